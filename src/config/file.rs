//! Reading `bktec.toml`: syntax errors with line and column, unknown keys with a
//! suggestion, secrets and job context refused (D2-D4), and the line of every
//! key, so that origins can say `bktec.toml:LINE`.

use std::collections::BTreeMap;

use std::io;
use std::path::{Path, PathBuf};

use figment::value::{Dict, Value};
use toml_edit::{Document, Item, TableLike};

use crate::config::elements::{Flag, Int};
use crate::config::error::{ConfigError, Problem};
use crate::config::registry::{Placement, SETTINGS};
use crate::config::setting::SettingKind;
use crate::input::{CONFIG_FILE, read_regular};

/// A parsed configuration file.
#[derive(Debug)]
pub(crate) struct ConfigFile {
    /// The path as the user named it (for messages).
    pub display: String,
    /// The directory relative paths in the file resolve against.
    pub dir: PathBuf,
    /// The file's values, as a figment dictionary.
    pub dict: Dict,
    /// The 1-based line of each dotted key path.
    lines: BTreeMap<String, usize>,
    /// Settings whose value has another TOML type than the schema declares,
    /// with why; [`LoadedConfig`](crate::config::LoadedConfig) reports them
    /// as invalid values.
    pub mistyped: BTreeMap<String, String>,
    /// Keys that are unknown or not allowed in a file. They are reported with
    /// every other configuration problem, not on their own (issue #9).
    pub problems: Vec<Problem>,
}

impl ConfigFile {
    /// The line where `key` is set, if it is.
    pub(crate) fn line_of(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    /// Reads and checks the file at `path`, shown in messages as `display`.
    /// `cwd` anchors relative paths.
    pub(crate) fn read(
        path: &Path,
        display: String,
        cwd: &Path,
    ) -> Result<ConfigFile, ConfigError> {
        // A FIFO, a device or a file over the limit is refused before any
        // byte is read (issue 18, item 6).
        let content = read_regular(path, CONFIG_FILE)
            .and_then(|bytes| {
                String::from_utf8(bytes)
                    .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.utf8_error()))
            })
            .map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => ConfigError::MissingFile {
                    path: display.clone(),
                },
                _ => ConfigError::ReadFile {
                    path: display.clone(),
                    source,
                },
            })?;
        let absolute = cwd.join(path);
        let dir = absolute
            .parent()
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
        Self::parse(&content, display, dir)
    }

    /// Parses and checks file content. Only a syntax error is an error here;
    /// key problems are kept in [`ConfigFile::problems`].
    pub(crate) fn parse(
        content: &str,
        display: String,
        dir: PathBuf,
    ) -> Result<ConfigFile, ConfigError> {
        let doc = Document::parse(content).map_err(|err| {
            let (line, column) = err
                .span()
                .map_or((1, 1), |span| line_col(content, span.start));
            ConfigError::Syntax {
                path: display.clone(),
                line,
                column,
                message: err.message().trim().to_string(),
            }
        })?;
        let mut file = ConfigFile {
            display,
            dir,
            dict: Dict::new(),
            lines: BTreeMap::new(),
            mistyped: BTreeMap::new(),
            problems: Vec::new(),
        };
        let mut problems = Vec::new();
        let root = doc.as_table();
        file.dict = file.walk(content, root, "", &mut problems);
        file.problems = problems;
        Ok(file)
    }

    /// Checks every key of `table` (at dotted `prefix`) against the registry,
    /// records key lines, and converts the values.
    fn walk(
        &mut self,
        content: &str,
        table: &dyn TableLike,
        prefix: &str,
        problems: &mut Vec<Problem>,
    ) -> Dict {
        let mut dict = Dict::new();
        for (name, item) in table.iter() {
            let key = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            let (line, column) = table
                .key(name)
                .and_then(|k| k.span())
                .or_else(|| item.span())
                .map_or((0, 0), |span| line_col(content, span.start));
            let display = self.display.clone();
            let at = |message: String| Problem::file(&display, line, column, message);
            if name.contains('.') {
                // `"runner.name" = ...` is one key whose name holds a dot,
                // not `runner.name`: no setting is named so, and reading it
                // as one would silently change nothing (D4).
                let hint = match classify(&key) {
                    KeyClass::Setting => format!(" (did you mean `{key}` without quotes?)"),
                    KeyClass::Section
                    | KeyClass::Secret { .. }
                    | KeyClass::JobContext { .. }
                    | KeyClass::Unknown => suggest(&key)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default(),
                };
                problems.push(at(format!(
                    "unknown key `\"{name}\"`: the quotes make the dots part of one name{hint}"
                )));
                continue;
            }
            match classify(&key) {
                KeyClass::Setting => {
                    self.lines.insert(key.clone(), line);
                    // A mistyped value stays in the layer, so that its origin
                    // is this file, but is refused as invalid (issue 13).
                    if let Some(message) = mistyped(&key, item, content) {
                        self.mistyped.insert(key.clone(), message);
                    }
                    dict.insert(name.to_string(), item_value(item));
                }
                KeyClass::Section => match item.as_table_like() {
                    Some(inner) => {
                        let inner = self.walk(content, inner, &key, problems);
                        dict.insert(name.to_string(), Value::from(inner));
                    }
                    None => problems.push(at(format!(
                        "`{key}` must be a table (such as `[{key}]`)"
                    ))),
                },
                KeyClass::Secret { env, flag } => problems.push(at(format!(
                    "`{key}` is a secret and is not read from files; set {env} or {flag} instead"
                ))),
                KeyClass::JobContext { env, flag } => problems.push(at(format!(
                    "`{key}` is Buildkite job context, not a file setting; set {env} or {flag} instead"
                ))),
                KeyClass::Unknown => {
                    let hint = suggest(&key)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    problems.push(at(format!("unknown key `{key}`{hint}")));
                }
            }
        }
        dict
    }
}

enum KeyClass {
    Setting,
    Section,
    Secret { env: String, flag: String },
    JobContext { env: String, flag: String },
    Unknown,
}

fn classify(key: &str) -> KeyClass {
    if let Some(s) = SETTINGS.iter().find(|s| s.key == key) {
        let env = s.primary_env().unwrap_or("the environment").to_string();
        let flag = s.flag_text().unwrap_or_default();
        return match s.placement {
            Placement::Everywhere => KeyClass::Setting,
            Placement::Secret => KeyClass::Secret { env, flag },
            Placement::JobContext => KeyClass::JobContext { env, flag },
        };
    }
    let section = format!("{key}.");
    if SETTINGS.iter().any(|s| s.key.starts_with(&section)) {
        // Sections that only hold job context (`[buildkite]`) are walked too,
        // so each key is refused with its own variable and flag.
        return KeyClass::Section;
    }
    KeyClass::Unknown
}

/// The TOML type a setting of `kind` must have in a file, as the schema
/// declares it. Environment variables and flags are text and parse by the
/// type's own rules; a file has types, so `count = "2"` is a mistake the
/// schema rejects, and bktec rejects it too (issue 13, item 6).
fn toml_type_of(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Text | SettingKind::Path | SettingKind::Duration => "string",
        SettingKind::Bool => "boolean",
        SettingKind::Int => "integer",
        SettingKind::KeyValues => "array",
    }
}

/// The name of an item's TOML type, as the TOML specification names it.
fn toml_type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) | Item::Value(toml_edit::Value::InlineTable(_)) => "table",
        Item::ArrayOfTables(_) => "array of tables",
        Item::Value(toml_edit::Value::String(_)) => "string",
        Item::Value(toml_edit::Value::Integer(_)) => "integer",
        Item::Value(toml_edit::Value::Float(_)) => "float",
        Item::Value(toml_edit::Value::Boolean(_)) => "boolean",
        Item::Value(toml_edit::Value::Datetime(_)) => "datetime",
        Item::Value(toml_edit::Value::Array(_)) => "array",
    }
}

/// Why `item` does not have the TOML type of the setting at `key`, if it
/// does not: the message names both types and the value as written (the key
/// and the line come with the setting's origin).
fn mistyped(key: &str, item: &Item, content: &str) -> Option<String> {
    let setting = SETTINGS.iter().find(|s| s.key == key)?;
    let wanted = toml_type_of(setting.kind);
    let found = toml_type_name(item);
    let source = |v: &toml_edit::Value| {
        v.span()
            .and_then(|span| content.get(span))
            .map(|text| text.trim().to_string())
    };
    let written = item.as_value().and_then(source);
    if found == wanted {
        let bad_entry = item.as_array().and_then(|a| a.iter().find(|v| !v.is_str()));
        return bad_entry.map(|v| {
            let entry = source(v).unwrap_or_default();
            format!("an array holding `{entry}` where bktec.toml needs an array of strings")
        });
    }
    let a = |t: &str| if t.starts_with(['a', 'i']) { "an" } else { "a" };
    let mut message = format!("{} {found}", a(found));
    if let Some(written) = &written {
        message.push_str(&format!(" (`{written}`)"));
    }
    message.push_str(&format!(" where bktec.toml needs {} {wanted}", a(wanted)));
    if let Some(written) = written
        && let (Some(text), "string") = (item.as_str(), found)
    {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let unquoted = match setting.kind {
            SettingKind::Int => text.parse::<Int>().ok().map(|i| i.to_string()),
            SettingKind::Bool => text.parse::<Flag>().ok().map(|f| f.to_string()),
            SettingKind::KeyValues => Some(format!("[{written}]")),
            SettingKind::Text | SettingKind::Path | SettingKind::Duration => None,
        };
        if let Some(unquoted) = unquoted {
            message.push_str(&format!("; write `{leaf} = {unquoted}`"));
        }
    }
    Some(message)
}

/// The closest file key to an unknown `key`, looking across tables: by the
/// whole path, by its last part, and by the last part against a key's
/// whole path with its dot as a dash, so that `[runner] retry-count` finds
/// `retry.count`. An exact match of either kind wins over a near one.
fn suggest(key: &str) -> Option<&'static str> {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    SETTINGS
        .iter()
        .filter(|s| s.in_file())
        .map(|s| {
            let s_leaf = s.key.rsplit('.').next().unwrap_or(s.key);
            let flat = s.key.replace('.', "-");
            let score = [
                strsim::jaro_winkler(key, s.key),
                strsim::jaro_winkler(leaf, s_leaf),
                strsim::jaro_winkler(leaf, &flat),
            ]
            .into_iter()
            .fold(0.0, f64::max);
            (score, s.key)
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, key)| key)
}

fn item_value(item: &Item) -> Value {
    match item {
        Item::None => Value::from(Dict::new()),
        Item::Value(v) => toml_value(v),
        Item::Table(t) => table_value(t),
        Item::ArrayOfTables(a) => Value::from(
            a.iter()
                .map(|t| table_value(t as &dyn TableLike))
                .collect::<Vec<_>>(),
        ),
    }
}

fn table_value(t: &dyn TableLike) -> Value {
    Value::from(
        t.iter()
            .map(|(k, v)| (k.to_string(), item_value(v)))
            .collect::<Dict>(),
    )
}

fn toml_value(v: &toml_edit::Value) -> Value {
    match v {
        toml_edit::Value::String(s) => Value::from(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::from(*i.value()),
        toml_edit::Value::Float(f) => Value::from(*f.value()),
        toml_edit::Value::Boolean(b) => Value::from(*b.value()),
        toml_edit::Value::Datetime(d) => Value::from(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::from(a.iter().map(toml_value).collect::<Vec<_>>()),
        toml_edit::Value::InlineTable(t) => table_value(t),
    }
}

/// The 1-based line and column of byte `offset` in `content`.
fn line_col(content: &str, offset: usize) -> (usize, usize) {
    let before = &content[..offset.min(content.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(content, "bktec.toml".into(), PathBuf::from("/repo"))
    }

    fn problems(content: &str) -> Vec<String> {
        let file = parse(content).expect("no syntax error");
        assert!(
            !file.problems.is_empty(),
            "expected problems in {content:?}"
        );
        file.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn records_key_lines() {
        let file = parse("# comment\n[runner]\nname = \"pytest\"\n\n[retry]\ncount = 2\n").unwrap();
        assert_eq!(file.line_of("runner.name"), Some(3));
        assert_eq!(file.line_of("retry.count"), Some(6));
        let dotted = parse("runner.name = \"pytest\"\n").unwrap();
        assert_eq!(dotted.line_of("runner.name"), Some(1));
    }

    #[test]
    fn quoted_dotted_keys_are_not_settings() {
        let file = parse("\"runner.name\" = \"custom\"\n[runner]\n\"retry.x\" = 1\n").unwrap();
        let text: Vec<String> = file.problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].contains("unknown key `\"runner.name\"`: the quotes make the dots part of one name (did you mean `runner.name` without quotes?)"),
            "{text:?}"
        );
        assert!(text[1].contains("unknown key `\"retry.x\"`"), "{text:?}");
    }

    #[test]
    fn unknown_keys_suggest_the_closest_key() {
        assert_eq!(
            problems("[runner]\ntest-comand = \"pytest\"\n"),
            [
                "bktec.toml:2:1: unknown key `runner.test-comand` (did you mean `runner.test-command`?)"
            ]
        );
        assert_eq!(
            problems("[retyr]\ncount = 1\n"),
            ["bktec.toml:1:2: unknown key `retyr` (did you mean `retry.count`?)"]
        );
        assert_eq!(problems("zzz = 1\n"), ["bktec.toml:1:1: unknown key `zzz`"]);
    }

    #[test]
    fn suggestions_look_across_tables() {
        // Issue 21 item 6: the retry count is `retry.count`, not a runner key.
        assert_eq!(
            problems("[runner]\nretry-count = 3\n"),
            ["bktec.toml:2:1: unknown key `runner.retry-count` (did you mean `retry.count`?)"]
        );
        assert_eq!(
            problems("[runner]\nexclude-pattern = \"x\"\n"),
            [
                "bktec.toml:2:1: unknown key `runner.exclude-pattern` (did you mean `files.exclude-pattern`?)"
            ]
        );
    }

    #[test]
    fn secrets_and_job_context_are_refused() {
        // D3: a token key in bktec.toml is an error that says why.
        let p = problems("[test-engine]\naccess-token = \"x\"\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("is a secret"), "{p:?}");
        assert!(
            p[0].contains("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN"),
            "{p:?}"
        );
        // D2: job context is not a file setting.
        let p = problems("[buildkite]\nparallelism = 3\n");
        assert!(p[0].contains("job context"), "{p:?}");
    }

    fn mistyped(content: &str) -> Vec<(String, String)> {
        let file = parse(content).expect("no syntax error");
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        file.mistyped.into_iter().collect()
    }

    #[test]
    fn values_must_have_the_schemas_toml_type() {
        // Issue 13 item 6: the file is typed as the schema says; only
        // environment variables and flags are text.
        let cases = [
            (
                "[retry]\ncount = \"2\"\n",
                "retry.count",
                "a string (`\"2\"`) where bktec.toml needs an integer; write `count = 2`",
            ),
            (
                "[runner]\nfail-on-no-tests = \"true\"\n",
                "runner.fail-on-no-tests",
                "a string (`\"true\"`) where bktec.toml needs a boolean; write `fail-on-no-tests = true`",
            ),
            (
                "[retry]\ncount = \"two\"\n",
                "retry.count",
                "a string (`\"two\"`) where bktec.toml needs an integer",
            ),
            (
                "[test-engine]\nsuite-slug = 5\n",
                "test-engine.suite-slug",
                "an integer (`5`) where bktec.toml needs a string",
            ),
            (
                "[test-engine]\noidc-lifetime = 60\n",
                "test-engine.oidc-lifetime",
                "an integer (`60`) where bktec.toml needs a string",
            ),
            (
                "[test-engine]\nupload-tags = \"a=b\"\n",
                "test-engine.upload-tags",
                "a string (`\"a=b\"`) where bktec.toml needs an array; write `upload-tags = [\"a=b\"]`",
            ),
            (
                "[test-engine]\nupload-tags = [\"a=b\", 1]\n",
                "test-engine.upload-tags",
                "an array holding `1` where bktec.toml needs an array of strings",
            ),
            (
                "[retry]\ncount = 2.0\n",
                "retry.count",
                "a float (`2.0`) where bktec.toml needs an integer",
            ),
        ];
        for (content, key, message) in cases {
            assert_eq!(
                mistyped(content),
                [(key.to_string(), message.to_string())],
                "{content}"
            );
        }
        assert_eq!(
            mistyped("[retry]\ncount = 2\n[runner]\nfail-on-no-tests = true\n"),
            []
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("[runner]\nname = \"pytest\nx = 1\n").unwrap_err();
        let ConfigError::Syntax { line, column, .. } = err else {
            panic!("expected a syntax error, got {err:?}");
        };
        assert_eq!((line, column), (2, 15));
    }
}
