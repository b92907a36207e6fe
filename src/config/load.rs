//! Layered loading (D2): built-in defaults < `bktec.toml` < environment <
//! flags, merged by figment, with the origin of every value kept (D4).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use figment::value::{Dict, Value};
use figment::{Figment, Metadata, Profile, Provider};

use crate::config::env_vars::{EnvSnapshot, EnvVars};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::ConfigFile;
use crate::config::origin::Origin;
use crate::config::registry::{BktecOptions, SETTINGS};
use crate::config::setting::{Key, Setting, SettingKind};
use crate::config::value::{SettingType, Shown};

const DEFAULTS_LAYER: &str = "built-in defaults";
const FILE_LAYER: &str = "bktec.toml";
const ENV_LAYER: &str = "environment";
const CLI_LAYER: &str = "command line";

/// A raw value given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// A single value.
    One(String),
    /// A repeated flag's values.
    Many(Vec<String>),
}

/// The setting flags given on the command line: the top layer.
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    values: Vec<(&'static Setting, String, RawValue)>,
}

impl CliOverrides {
    /// Records `value` for `setting`, given as `flag` (with dashes).
    pub fn push(&mut self, setting: &'static Setting, flag: String, value: RawValue) {
        self.values.retain(|(s, _, _)| s.key != setting.key);
        self.values.push((setting, flag, value));
    }

    /// The first test selection preview flag given (D40), as given.
    pub fn preview_flag(&self) -> Option<String> {
        self.values
            .iter()
            .find(|(s, _, _)| s.is_preview())
            .map(|(_, flag, _)| flag.clone())
    }

    /// The recorded flags, in order.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[(&'static Setting, String, RawValue)] {
        &self.values
    }
}

/// Which configuration file to read.
#[derive(Clone, Debug)]
pub enum FileChoice {
    /// `./bktec.toml` if it exists. The command line runs from the
    /// directory of a `bktec.toml` found above ([`FileSearch`]), so this
    /// is that file.
    Auto,
    /// A file named by `--config` or `BUILDKITE_TEST_ENGINE_CONFIG`; it must exist.
    Explicit(PathBuf),
    /// `--no-config`: no file.
    Disabled,
}

impl FileChoice {
    /// The choice made by the flags, falling back to the environment.
    pub fn from_flags(config: Option<PathBuf>, no_config: bool, env: &EnvSnapshot) -> FileChoice {
        if no_config {
            FileChoice::Disabled
        } else if let Some(path) = config {
            FileChoice::Explicit(path)
        } else if let Some(path) = env.non_empty(EnvVars::BUILDKITE_TEST_ENGINE_CONFIG) {
            FileChoice::Explicit(PathBuf::from(path))
        } else {
            FileChoice::Auto
        }
    }
}

/// Where `bktec.toml` is, for a command run without `--config` (issue 21,
/// item 6): the working directory and each directory above it are looked
/// in, up to the first that holds `.git` (a directory, or the file of a
/// worktree or submodule) or the filesystem root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSearch {
    /// In the working directory.
    Here,
    /// In this directory above the working directory.
    Above(PathBuf),
    /// Nowhere: looked for from the working directory up to this one.
    Nowhere(PathBuf),
}

impl FileSearch {
    /// Looks for `bktec.toml` from `cwd` upward. Anything named so counts
    /// (a directory there is an error when it is read, D34), and a
    /// directory that holds both `bktec.toml` and `.git` finds the file.
    pub fn from(cwd: &Path) -> FileSearch {
        let mut last = cwd;
        for dir in cwd.ancestors() {
            last = dir;
            if fs::symlink_metadata(dir.join("bktec.toml")).is_ok() {
                return if dir == cwd {
                    FileSearch::Here
                } else {
                    FileSearch::Above(dir.to_path_buf())
                };
            }
            if fs::symlink_metadata(dir.join(".git")).is_ok() {
                break;
            }
        }
        FileSearch::Nowhere(last.to_path_buf())
    }
}

/// The merged configuration with the origin of each value.
#[derive(Debug)]
pub struct LoadedConfig {
    figment: Figment,
    /// The merged values, computed once: figment's `find_value` merges the
    /// layers again on every call.
    merged: Value,
    file: Option<ConfigFile>,
    env_used: BTreeMap<&'static str, &'static str>,
    cli_used: BTreeMap<&'static str, String>,
    /// The merged layers, extracted once into their typed shape.
    options: BktecOptions,
    /// `HOME`, which a leading `~/` in a test file pattern stands for.
    home: Option<String>,
    /// Problems found while loading: keys the file may not have, and values
    /// that do not parse. `resolve` reports them with its own, all at once.
    problems: Vec<Problem>,
    /// The directory bktec was started in, when it runs from the directory
    /// of a `bktec.toml` found above it: relative paths from the
    /// environment and flags are relative to where they were typed.
    started_in: Option<PathBuf>,
    /// The file layers below the winning one, for `bktec config`.
    layers: Layers,
    /// Where bktec looked for `bktec.toml` in vain, as a note.
    no_file: Option<String>,
}

/// The file and environment layers as given, so that `bktec config` can
/// show what a higher layer overrode.
#[derive(Debug)]
struct Layers {
    file: Option<Value>,
    env: Value,
}

/// A value a higher layer overrode, for `bktec config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overridden {
    /// Where the overridden value came from.
    pub origin: Origin,
    /// The value as it was written, as JSON.
    pub value: serde_json::Value,
}

impl LoadedConfig {
    /// The problems found while loading (empty when every value parsed).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&str> {
        self.home.as_deref()
    }

    /// The merged options.
    pub fn options(&self) -> &BktecOptions {
        &self.options
    }

    /// The value of `key`, if a layer set it and it parsed.
    pub fn get<T: SettingType>(&self, key: Key<T>) -> Option<&T> {
        if self.refused_by_file(key.setting).is_some() {
            return None;
        }
        key.get(&self.options)
    }

    /// The state of `setting`, whatever its type.
    pub fn shown(&self, setting: &Setting) -> Shown {
        if let Some(message) = self.refused_by_file(setting) {
            return Shown::Invalid(message.to_string());
        }
        (setting.read)(&self.options)
    }

    /// Why the file's value of `setting` is refused, when the value in force
    /// is the file's and has another TOML type than the schema declares
    /// (`count = "2"`; issue 13). A higher layer's value overrides it.
    fn refused_by_file(&self, setting: &Setting) -> Option<&str> {
        let file = self.file.as_ref()?;
        let message = file.mistyped.get(setting.key)?;
        matches!(self.origin(setting), Origin::File { .. }).then_some(message.as_str())
    }

    /// Whether `setting` was given a value that does not parse. Such a value
    /// is reported once, as itself: rules that read it leave it alone.
    pub fn is_broken(&self, setting: &Setting) -> bool {
        matches!(self.shown(setting), Shown::Invalid(_))
    }

    /// Where the value of `setting` came from.
    pub fn origin(&self, setting: &Setting) -> Origin {
        let key = setting.key;
        let Some(metadata) = self
            .merged
            .find_ref(key)
            .and_then(|value| self.figment.get_metadata(value.tag()))
        else {
            return Origin::Unset;
        };
        match metadata.name.as_ref() {
            DEFAULTS_LAYER => Origin::BuiltIn,
            FILE_LAYER => {
                let file = self.file.as_ref().expect("file layer has a file");
                Origin::File {
                    path: file.display.clone(),
                    line: file.line_of(key).unwrap_or(0),
                    key: key.to_string(),
                }
            }
            ENV_LAYER => Origin::Env(self.env_used.get(key).copied().unwrap_or("")),
            CLI_LAYER => Origin::Flag(self.cli_used.get(key).cloned().unwrap_or_default()),
            other => unreachable!("unknown configuration layer `{other}`"),
        }
    }

    /// The directory relative paths from `origin` resolve against: the
    /// configuration file's for a value from it, the directory bktec was
    /// started in for the environment and flags when bktec runs from a
    /// file's directory above it (`None`: the working directory).
    pub fn file_dir(&self, origin: &Origin) -> Option<&Path> {
        match (origin, &self.file) {
            (Origin::File { .. }, Some(file)) => Some(&file.dir),
            (Origin::Env(_) | Origin::Flag(_), _) => self.started_in.as_deref(),
            _ => None,
        }
    }

    /// Says that bktec was started in `dir`, below the directory of the
    /// configuration file it runs from.
    pub fn started_in(mut self, dir: Option<PathBuf>) -> LoadedConfig {
        self.started_in = dir;
        self
    }

    /// Why no configuration file was read, when bktec looked for one and
    /// found none: said after problems of values no layer set.
    pub fn no_file_note(&self) -> Option<&str> {
        self.no_file.as_deref()
    }

    /// The configuration file read, as named in messages, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.file.as_ref().map(|f| f.display.as_str())
    }

    /// The values of `setting` that the layer in force overrode, highest
    /// first: the environment's under a flag, the file's under either.
    pub fn overridden(&self, setting: &Setting) -> Vec<Overridden> {
        let origin = self.origin(setting);
        let mut below = Vec::new();
        if matches!(origin, Origin::Flag(_))
            && let Some(value) = self.layers.env.find_ref(setting.key)
        {
            below.push(Overridden {
                origin: Origin::Env(self.env_used.get(setting.key).copied().unwrap_or("")),
                value: json_of(value),
            });
        }
        if matches!(origin, Origin::Flag(_) | Origin::Env(_))
            && let (Some(file), Some(layer)) = (&self.file, &self.layers.file)
            && let Some(value) = layer.find_ref(setting.key)
        {
            below.push(Overridden {
                origin: Origin::File {
                    path: file.display.clone(),
                    line: file.line_of(setting.key).unwrap_or(0),
                    key: setting.key.to_string(),
                },
                value: json_of(value),
            });
        }
        below
    }
}

/// A figment value as JSON, as it was written.
fn json_of(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Loads the configuration layers and extracts every setting. Only a file that
/// cannot be read or is not TOML is an error here: every other problem (a key
/// the file may not have, a value that does not parse) is collected in
/// [`LoadedConfig::problems`], for `resolve` to report with its own (issue #9).
pub fn load(
    env: &EnvSnapshot,
    cli: &CliOverrides,
    choice: &FileChoice,
    cwd: &Path,
) -> Result<LoadedConfig, ConfigError> {
    let file = read_file(choice, cwd)?;
    let (env_dict, env_used) = env_layer(env);
    let (cli_dict, cli_used) = cli_layer(cli);
    let layers = Layers {
        file: file.as_ref().map(|f| Value::from(f.dict.clone())),
        env: Value::from(env_dict.clone()),
    };
    let mut figment = Figment::new().merge(Layer::new(DEFAULTS_LAYER, defaults_layer()));
    if let Some(file) = &file {
        figment = figment.merge(Layer::new(FILE_LAYER, file.dict.clone()));
    }
    let figment = figment
        .merge(Layer::new(ENV_LAYER, env_dict))
        .merge(Layer::new(CLI_LAYER, cli_dict));

    let problems = file
        .as_ref()
        .map(|f| f.problems.clone())
        .unwrap_or_default();
    let mut problems = problems;
    // Every layer is a plain dictionary, so merging cannot fail.
    let merged = figment
        .data()
        .ok()
        .and_then(|mut profiles| profiles.remove(&Profile::Default))
        .map_or_else(|| Value::from(Dict::new()), Value::from);
    // Each value keeps its own parse error (`Given`), and the layers hold
    // only registered keys, so extraction fails only on a bug; even then
    // bktec reports it rather than panic (D27).
    let options = figment.extract::<BktecOptions>().unwrap_or_else(|err| {
        problems.push(Problem::other(format!(
            "failed to read the configuration: {err}"
        )));
        BktecOptions::default()
    });
    let no_file = no_file_note(choice, file.is_some(), cwd);
    let mut loaded = LoadedConfig {
        figment,
        merged,
        file,
        env_used,
        cli_used,
        options,
        home: env.non_empty(EnvVars::HOME).map(str::to_string),
        problems: Vec::new(),
        started_in: None,
        layers,
        no_file,
    };
    let preview = env.preview_selection();
    for setting in SETTINGS {
        if setting.is_preview()
            && !preview
            && matches!(
                loaded.origin(setting),
                Origin::File { .. } | Origin::Flag(_)
            )
        {
            // D40: the file's preview keys and flags are refused while the
            // gate is off (the Go client does not know the flags then); its
            // variables are ignored, as the Go client ignores them.
            let value = match loaded.shown(setting) {
                Shown::Set { text, .. } => text,
                Shown::Unset | Shown::Invalid(_) => String::new(),
            };
            problems.push(Problem::setting(
                setting,
                format!(
                    "{value} is a test selection preview setting, which needs {}=true",
                    EnvVars::BKTEC_PREVIEW_SELECTION
                ),
                &loaded.origin(setting),
            ));
        } else if let Shown::Invalid(message) = loaded.shown(setting) {
            problems.push(Problem::setting(
                setting,
                format!("is invalid: {message}"),
                &loaded.origin(setting),
            ));
        }
    }
    loaded.problems = problems;
    Ok(loaded)
}

/// The configuration file `choice` names, read and checked; `None` when
/// there is none to read.
fn read_file(choice: &FileChoice, cwd: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    Ok(match choice {
        FileChoice::Disabled => None,
        FileChoice::Explicit(path) => {
            Some(ConfigFile::read(path, path.display().to_string(), cwd)?)
        }
        FileChoice::Auto => {
            let path = cwd.join("bktec.toml");
            // Anything named `bktec.toml` is read: a directory, a FIFO or a
            // dangling symlink there is an error (D34), never a silent run
            // with the defaults.
            if fs::symlink_metadata(&path).is_ok() {
                Some(ConfigFile::read(&path, "bktec.toml".to_string(), cwd)?)
            } else {
                None
            }
        }
    })
}

/// Where bktec looked for `bktec.toml` in vain, when it looked (no
/// `--config`, no `--no-config`) and found none.
fn no_file_note(choice: &FileChoice, found: bool, cwd: &Path) -> Option<String> {
    if found || !matches!(choice, FileChoice::Auto) {
        return None;
    }
    Some(match FileSearch::from(cwd) {
        FileSearch::Nowhere(top) if top != cwd => format!(
            "no bktec.toml was found in {} or above it, up to {}",
            cwd.display(),
            top.display()
        ),
        FileSearch::Nowhere(_) | FileSearch::Here | FileSearch::Above(_) => {
            format!("no bktec.toml was found in {}", cwd.display())
        }
    })
}

/// One configuration layer as a figment provider.
struct Layer {
    name: &'static str,
    dict: Dict,
}

impl Layer {
    fn new(name: &'static str, dict: Dict) -> Layer {
        Layer { name, dict }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

fn insert_path(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = dict
                .entry(head.to_string())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn defaults_layer() -> Dict {
    let mut dict = Dict::new();
    for setting in SETTINGS {
        if let Some(default) = setting.default {
            insert_path(&mut dict, setting.key, Value::from(default.to_string()));
        }
    }
    dict
}

/// The environment layer: for each setting, the first of its variables that is
/// set. As in the Go client, a variable set to the empty string counts as set,
/// except for integers and durations, where it is ignored (behaviour document 1.3).
/// The test selection preview's variables are read only while its gate is on
/// (D40), as in the Go client.
fn env_layer(env: &EnvSnapshot) -> (Dict, BTreeMap<&'static str, &'static str>) {
    let mut dict = Dict::new();
    let mut used = BTreeMap::new();
    let preview = env.preview_selection();
    for setting in SETTINGS.iter().filter(|s| preview || !s.is_preview()) {
        let Some((name, value)) = setting
            .env
            .iter()
            .find_map(|name| env.get(name).map(|v| (*name, v)))
        else {
            continue;
        };
        let ignored_when_empty = matches!(setting.kind, SettingKind::Int | SettingKind::Duration);
        if value.trim().is_empty() && ignored_when_empty {
            continue;
        }
        insert_path(&mut dict, setting.key, Value::from(value.to_string()));
        used.insert(setting.key, name);
    }
    (dict, used)
}

fn cli_layer(cli: &CliOverrides) -> (Dict, BTreeMap<&'static str, String>) {
    let mut dict = Dict::new();
    let mut used = BTreeMap::new();
    for (setting, flag, raw) in &cli.values {
        let value = match raw {
            RawValue::One(v) => Value::from(v.clone()),
            RawValue::Many(vs) => Value::from(vs.clone()),
        };
        insert_path(&mut dict, setting.key, value);
        used.insert(setting.key, flag.clone());
    }
    (dict, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::elements::{Flag, Int};
    use crate::config::registry::{RETRY, RUNNER, TEST_ENGINE};

    fn load_with(
        file: Option<&str>,
        env: &[(&str, &str)],
        cli: &[(&'static Setting, &str)],
    ) -> Result<LoadedConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(content) = file {
            std::fs::write(dir.path().join("bktec.toml"), content).unwrap();
        }
        let mut overrides = CliOverrides::default();
        for (s, v) in cli {
            overrides.push(s, s.flag_text().unwrap(), RawValue::One(v.to_string()));
        }
        load(
            &EnvSnapshot::from_pairs(env.iter().copied()),
            &overrides,
            &FileChoice::Auto,
            dir.path(),
        )
    }

    #[test]
    fn highest_layer_wins_and_reports_its_origin() {
        let file = "[retry]\ncount = 2\n";
        let env = [("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3")];
        let cli = [(RETRY.count.setting, "4")];

        let c = load_with(None, &[], &[]).unwrap();
        assert_eq!(c.get(RETRY.count), Some(&Int(0)));
        assert_eq!(c.origin(&RETRY.count), Origin::BuiltIn);

        let c = load_with(Some(file), &[], &[]).unwrap();
        assert_eq!(c.get(RETRY.count), Some(&Int(2)));
        assert_eq!(c.origin(&RETRY.count).to_string(), "bktec.toml:2");

        let c = load_with(Some(file), &env, &[]).unwrap();
        assert_eq!(c.get(RETRY.count), Some(&Int(3)));
        assert_eq!(
            c.origin(&RETRY.count).to_string(),
            "env BUILDKITE_TEST_ENGINE_RETRY_COUNT"
        );

        let c = load_with(Some(file), &env, &cli).unwrap();
        assert_eq!(c.get(RETRY.count), Some(&Int(4)));
        assert_eq!(
            c.origin(&RETRY.count).to_string(),
            "--test-engine-retry-count"
        );
    }

    #[test]
    fn empty_env_values_follow_go_rules() {
        let env = [
            ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", ""),
            ("BUILDKITE_TEST_ENGINE_OIDC", ""),
            ("BUILDKITE_TEST_ENGINE_TEST_CMD", ""),
        ];
        let c = load_with(Some("[runner]\ntest-command = \"x\"\n"), &env, &[]).unwrap();
        assert_eq!(c.get(RETRY.count), Some(&Int(0)));
        assert_eq!(c.origin(&RETRY.count), Origin::BuiltIn);
        assert_eq!(c.get(TEST_ENGINE.oidc), Some(&Flag(false)));
        assert_eq!(c.get(RUNNER.test_command), Some(&String::new()));
    }

    #[test]
    fn second_env_var_is_used_when_the_first_is_unset() {
        let env = [("BUILDKITE_ANALYTICS_LOCATION_PREFIX", "app")];
        let c = load_with(None, &env, &[]).unwrap();
        assert_eq!(
            c.origin(&TEST_ENGINE.location_prefix),
            Origin::Env("BUILDKITE_ANALYTICS_LOCATION_PREFIX")
        );
    }

    fn problems(loaded: &LoadedConfig) -> String {
        let mut sorted = loaded.problems().to_vec();
        sorted.sort();
        let lines: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        lines.join("\n")
    }

    #[test]
    fn every_bad_value_is_reported_with_its_origin() {
        let loaded = load_with(
            Some("[retry]\ncount = \"two\"\n"),
            &[("BUILDKITE_PARALLEL_JOB_COUNT", "0x10")],
            &[(TEST_ENGINE.oidc.setting, "maybe")],
        )
        .unwrap();
        // Issue 21 item 6: each problem leads with what the user wrote;
        // the variable is named only when the value came from it.
        assert_eq!(
            problems(&loaded),
            "bktec.toml:2: retry.count is invalid: a string (`\"two\"`) where bktec.toml needs an integer\n\
             BUILDKITE_PARALLEL_JOB_COUNT is invalid: `0x10` is not a decimal integer (from env BUILDKITE_PARALLEL_JOB_COUNT)\n\
             --oidc is invalid: `maybe` is not a boolean (use true or false)"
        );
    }

    #[test]
    fn the_options_struct_and_the_registry_agree() {
        // Every registry key, set from a flag, deserializes into BktecOptions,
        // whose unknown-field checks would reject a key it does not have.
        let mut overrides = CliOverrides::default();
        for s in SETTINGS {
            let value = match (s.kind, s.default) {
                (SettingKind::KeyValues, _) => RawValue::Many(vec!["k=v".to_string()]),
                (_, Some(default)) => RawValue::One(default.to_string()),
                (SettingKind::Text | SettingKind::Path, None) => RawValue::One("x".to_string()),
                (SettingKind::Bool | SettingKind::Int | SettingKind::Duration, None) => {
                    unreachable!("typed settings have defaults")
                }
            };
            overrides.push(s, format!("--{}", s.key), value);
        }
        let preview = EnvSnapshot::from_pairs([(EnvVars::BKTEC_PREVIEW_SELECTION, "true")]);
        let loaded = load(&preview, &overrides, &FileChoice::Disabled, Path::new("/")).unwrap();
        assert_eq!(loaded.problems(), []);
        let tree = serde_json::to_value(&loaded.options).unwrap();
        for s in SETTINGS {
            let mut node = &tree;
            for part in s.path() {
                node = &node[part];
            }
            assert!(!node.is_null(), "BktecOptions has no field for `{}`", s.key);
        }
    }

    #[test]
    fn a_mistyped_file_value_is_invalid_unless_a_higher_layer_overrides_it() {
        // Issue 13 item 6: `count = "2"` is refused as the schema refuses it.
        let loaded = load_with(Some("[retry]\ncount = \"2\"\n"), &[], &[]).unwrap();
        assert!(loaded.is_broken(&RETRY.count));
        assert_eq!(loaded.get(RETRY.count), None);
        let env = [("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3")];
        let loaded = load_with(Some("[retry]\ncount = \"2\"\n"), &env, &[]).unwrap();
        assert_eq!(loaded.problems(), []);
        assert_eq!(loaded.get(RETRY.count), Some(&Int(3)));
    }

    #[test]
    fn wrong_toml_types_name_the_key() {
        let loaded = load_with(Some("[test-engine]\nsuite-slug = 5\n"), &[], &[]).unwrap();
        assert!(loaded.is_broken(&TEST_ENGINE.suite_slug));
        assert_eq!(
            problems(&loaded),
            "bktec.toml:2: test-engine.suite-slug is invalid: an integer (`5`) where bktec.toml needs a string"
        );
    }
}
