//! The pytest configuration that pytest itself would read, for the warning
//! that the default pattern and pytest disagree about which tests exist
//! (issue #12). Found as pytest finds it: from the working directory
//! upwards, in each directory `pytest.ini`, `.pytest.ini`, `pyproject.toml`
//! (with `[tool.pytest.ini_options]` or `[tool.pytest]`), `tox.ini` (with
//! `[pytest]`) and `setup.cfg` (with `[tool:pytest]`); the first match
//! wins. Parsed with real parsers (TOML, INI), never with patterns.

use std::fs;
use std::path::{Path, PathBuf};

use configparser::ini::Ini;
use toml_edit::{Document, Item, TableLike, Value};

use crate::glob::Pattern;

/// pytest's default `python_files`.
const DEFAULT_PYTHON_FILES: [&str; 2] = ["test_*.py", "*_test.py"];

/// What a pytest configuration file declares that changes which tests
/// pytest collects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PytestConfig {
    /// The file, as found.
    pub file: PathBuf,
    /// `python_files`, when declared.
    pub python_files: Option<Vec<String>>,
    /// `testpaths`, relative to the file's directory (pytest's rootdir).
    pub testpaths: Vec<String>,
    /// `addopts`, split into words.
    pub addopts: Vec<String>,
    /// `norecursedirs`, when declared.
    pub norecursedirs: Option<Vec<String>>,
}

/// The configuration pytest would read when run in `cwd`, if any.
pub(crate) fn find(cwd: &Path) -> Option<PytestConfig> {
    for dir in cwd.ancestors() {
        for name in [
            "pytest.toml",
            ".pytest.toml",
            "pytest.ini",
            ".pytest.ini",
            "pyproject.toml",
            "tox.ini",
            "setup.cfg",
        ] {
            let file = dir.join(name);
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            // pytest reads a file that starts with a byte order mark.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let found = match name {
                // pytest stops at a pyproject.toml it cannot parse: so do we,
                // rather than warn about a file further up.
                "pyproject.toml" => match Document::parse(text) {
                    Ok(_) => from_pyproject(text),
                    Err(_) => return None,
                },
                "tox.ini" => from_ini(text, "pytest"),
                "setup.cfg" => from_ini(text, "tool:pytest"),
                // pytest 9's own TOML files: `[pytest]`, native lists.
                "pytest.toml" | ".pytest.toml" => {
                    from_toml_table(text).or_else(|| Some(PytestConfig::default()))
                }
                // pytest.ini is pytest's even when it is empty.
                _ => from_ini(text, "pytest").or_else(|| Some(PytestConfig::default())),
            };
            if let Some(config) = found {
                return Some(PytestConfig { file, ..config });
            }
        }
    }
    None
}

/// `[tool.pytest.ini_options]` (strings or lists) or `[tool.pytest]`
/// (pytest 9's native TOML, lists).
fn from_pyproject(text: &str) -> Option<PytestConfig> {
    let document = Document::parse(text).ok()?;
    let pytest = document.get("tool")?.get("pytest")?.as_table_like()?;
    let options = match pytest.get("ini_options").and_then(Item::as_table_like) {
        Some(ini) => ini,
        None => pytest,
    };
    Some(from_table(options))
}

/// The settings of a TOML table (strings or lists of strings).
fn from_table(options: &dyn TableLike) -> PytestConfig {
    let words = |key: &str| -> Option<Vec<String>> {
        let value = options.get(key)?.as_value()?;
        match value {
            Value::String(s) => Some(split(s.value())),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
            ),
            _ => None,
        }
    };
    PytestConfig {
        file: PathBuf::new(),
        python_files: words("python_files"),
        testpaths: words("testpaths").unwrap_or_default(),
        addopts: words("addopts").unwrap_or_default(),
        norecursedirs: words("norecursedirs"),
    }
}

/// The `[pytest]` table of `pytest.toml`.
fn from_toml_table(text: &str) -> Option<PytestConfig> {
    let document = Document::parse(text).ok()?;
    let pytest = document.get("pytest")?.as_table_like()?;
    Some(from_table(pytest))
}

/// The `section` of an INI file, if it has one. Values continue on
/// indented lines, as in pytest's own INI reader.
fn from_ini(text: &str, section: &str) -> Option<PytestConfig> {
    let mut ini = Ini::new_cs();
    ini.set_multiline(true);
    ini.set_comment_symbols(&['#', ';']);
    ini.set_inline_comment_symbols(Some(&[]));
    let map = ini.read(text.to_string()).ok()?;
    let values = map.get(section)?;
    let words = |key: &str| -> Option<Vec<String>> {
        values.get(key).map(|v| split(v.as_deref().unwrap_or("")))
    };
    Some(PytestConfig {
        file: PathBuf::new(),
        python_files: words("python_files"),
        testpaths: words("testpaths").unwrap_or_default(),
        addopts: words("addopts").unwrap_or_default(),
        norecursedirs: words("norecursedirs"),
    })
}

/// A value split into words, as pytest splits these settings: on white
/// space (a quoted word with a space in it is not a pattern, a path or an
/// option that matters here).
fn split(value: &str) -> Vec<String> {
    value.split_whitespace().map(String::from).collect()
}

impl PytestConfig {
    /// Why the default pattern, which found `targets` (relative to `cwd`),
    /// would run other tests than pytest: one line per reason, each with
    /// the setting that says so. Empty when they agree.
    pub(crate) fn disagreements(
        &self,
        cwd: &Path,
        targets: &[String],
        command: &[String],
    ) -> Vec<String> {
        let mut reasons = Vec::new();
        // `-c FILE` makes pytest read another file; `-o python_files=...`
        // overrides this one's.
        if let Some(i) = command
            .iter()
            .position(|w| w == "-c" || w.starts_with("--config-file"))
        {
            reasons.push(format!(
                "the test command names its own configuration (`{}`), which the pattern knows nothing of",
                command[i..(i + 2).min(command.len())].join(" ")
            ));
        }
        let overridden = command
            .windows(2)
            .find(|w| w[0] == "-o" && w[1].starts_with("python_files="))
            .map(|w| split(&w[1]["python_files=".len()..]));
        if let Some(files) = overridden.as_ref().or(self.python_files.as_ref()) {
            let mut sorted: Vec<&str> = files.iter().map(String::as_str).collect();
            sorted.sort_unstable();
            let mut default = DEFAULT_PYTHON_FILES;
            default.sort_unstable();
            if sorted != default {
                reasons.push(format!(
                    "it sets `python_files = {}`, which the pattern does not follow",
                    files.join(" ")
                ));
            }
        }
        if let Some(outside) = self.outside_testpaths(cwd, targets) {
            reasons.push(outside);
        }
        let doctest = |word: &&str| {
            word.starts_with("--doctest-modules") || word.starts_with("--doctest-glob")
        };
        let in_addopts: Vec<&str> = self
            .addopts
            .iter()
            .map(String::as_str)
            .filter(doctest)
            .collect();
        let in_command: Vec<&str> = command.iter().map(String::as_str).filter(doctest).collect();
        for (doctests, place) in [
            (in_addopts, "its `addopts` has"),
            (in_command, "the test command has"),
        ] {
            if !doctests.is_empty() {
                reasons.push(format!(
                    "{place} `{}`, and the pattern finds no doctests outside test files",
                    doctests.join(" ")
                ));
            }
        }
        if let Some(inside) = self.inside_norecursedirs(targets) {
            reasons.push(inside);
        }
        reasons
    }

    /// The targets in a directory pytest does not enter (`norecursedirs`,
    /// or its default `build`, `dist`, `*.egg`...), said as a reason.
    fn inside_norecursedirs(&self, targets: &[String]) -> Option<String> {
        const DEFAULT: [&str; 7] = [
            "*.egg",
            "_darcs",
            "build",
            "CVS",
            "dist",
            "node_modules",
            "venv",
        ];
        let declared = self.norecursedirs.is_some();
        let names: Vec<&str> = match &self.norecursedirs {
            Some(names) => names.iter().map(String::as_str).collect(),
            None => DEFAULT.to_vec(),
        };
        let patterns: Vec<Pattern> = names
            .iter()
            .filter_map(|n| Pattern::parse(n, None).ok())
            .collect();
        let inside: Vec<&String> = targets
            .iter()
            .filter(|t| {
                let dirs = t.rsplit_once('/').map_or("", |(dirs, _)| dirs);
                dirs.split('/')
                    .filter(|d| !d.is_empty() && *d != ".")
                    .any(|d| patterns.iter().any(|p| p.matches(d)))
            })
            .collect();
        let first = inside.first()?;
        let source = if declared {
            "its `norecursedirs`"
        } else {
            "pytest's default `norecursedirs`"
        };
        Some(format!(
            "{source} keeps pytest out of directories where the pattern finds {} files, e.g. `{first}`",
            inside.len()
        ))
    }

    /// The targets outside every `testpaths` entry, said as a reason.
    fn outside_testpaths(&self, cwd: &Path, targets: &[String]) -> Option<String> {
        let rootdir = self.file.parent()?;
        // pytest uses `testpaths` only when it runs in its rootdir.
        if self.testpaths.is_empty() || cwd != rootdir {
            return None;
        }
        let patterns: Vec<Pattern> = self
            .testpaths
            .iter()
            .map(|t| {
                // `./tests`, `tests/` and `/abs/root/tests` are all `tests`.
                let t = Path::new(t)
                    .strip_prefix(rootdir)
                    .map_or(t.as_str(), |p| p.to_str().unwrap_or(t));
                crate::glob::clean(t)
            })
            .filter_map(|t| Pattern::parse(&t, None).ok())
            .collect();
        let outside: Vec<&String> = targets
            .iter()
            .filter(|target| {
                let Ok(relative) = cwd
                    .join(target)
                    .strip_prefix(rootdir)
                    .map(Path::to_path_buf)
                else {
                    return true;
                };
                let relative = relative.to_string_lossy().replace('\\', "/");
                // The file, or one of its directories, is a test path.
                let mut prefixes = relative
                    .match_indices('/')
                    .map(|(i, _)| &relative[..i])
                    .chain([relative.as_str()]);
                !prefixes.any(|prefix| patterns.iter().any(|p| p.matches(prefix)))
            })
            .collect();
        let first = outside.first()?;
        Some(format!(
            "it sets `testpaths = {}`, and the pattern finds {} files outside them, e.g. `{first}`",
            self.testpaths.join(" "),
            outside.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn the_first_file_that_holds_pytest_settings_wins() {
        // setup.cfg without [tool:pytest] is skipped; tox.ini with [pytest]
        // comes before it; pytest.ini comes first of all, even when empty.
        let dir = dir_with(&[
            ("setup.cfg", "[metadata]\nname = x\n"),
            ("tox.ini", "[pytest]\npython_files = check_*.py\n"),
        ]);
        let found = find(dir.path()).unwrap();
        assert_eq!(found.file, dir.path().join("tox.ini"));
        assert_eq!(found.python_files, Some(vec!["check_*.py".to_string()]));
        fs::write(dir.path().join("pytest.ini"), "").unwrap();
        let found = find(dir.path()).unwrap();
        assert_eq!(found.file, dir.path().join("pytest.ini"));
        assert_eq!(found.python_files, None);
    }

    #[test]
    fn a_parent_directory_is_searched_and_pyproject_needs_its_table() {
        let dir = dir_with(&[
            (
                "pyproject.toml",
                "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\naddopts = \"-ra --doctest-modules\"\n",
            ),
            ("sub/pyproject.toml", "[project]\nname = \"x\"\n"),
        ]);
        let found = find(&dir.path().join("sub")).unwrap();
        assert_eq!(found.file, dir.path().join("pyproject.toml"));
        assert_eq!(found.testpaths, ["tests"]);
        assert_eq!(found.addopts, ["-ra", "--doctest-modules"]);
    }

    #[test]
    fn native_toml_and_multiline_ini_values() {
        let dir = dir_with(&[(
            "pyproject.toml",
            "[tool.pytest]\npython_files = [\"tests/*.py\", \"check_*.py\"]\n",
        )]);
        let found = find(dir.path()).unwrap();
        assert_eq!(
            found.python_files,
            Some(vec!["tests/*.py".to_string(), "check_*.py".to_string()])
        );
        let dir = dir_with(&[(
            "setup.cfg",
            "[tool:pytest]\n# a comment\npython_files =\n    tests/*.py\n    check_*.py\ntestpaths = tests\n",
        )]);
        let found = find(dir.path()).unwrap();
        assert_eq!(
            found.python_files,
            Some(vec!["tests/*.py".to_string(), "check_*.py".to_string()])
        );
        assert_eq!(found.testpaths, ["tests"]);
    }

    #[test]
    fn pytest_toml_first_a_bom_and_a_broken_pyproject() {
        let dir = dir_with(&[
            ("pytest.toml", "[pytest]\npython_files = [\"check_*.py\"]\n"),
            ("pytest.ini", "[pytest]\n"),
        ]);
        let found = find(dir.path()).unwrap();
        assert_eq!(found.file, dir.path().join("pytest.toml"));
        assert_eq!(found.python_files, Some(vec!["check_*.py".to_string()]));
        let dir = dir_with(&[("pytest.ini", "\u{feff}[pytest]\ntestpaths = t\n")]);
        assert_eq!(find(dir.path()).unwrap().testpaths, ["t"]);
        // pytest stops at a pyproject.toml it cannot parse.
        let dir = dir_with(&[
            ("pytest.ini", "[pytest]\ntestpaths = t\n"),
            ("sub/pyproject.toml", "[tool.pytest.ini_options\n"),
        ]);
        assert_eq!(find(&dir.path().join("sub")), None);
    }

    #[test]
    fn the_command_and_pytest_s_defaults_count_too() {
        let none = PytestConfig::default();
        let cwd = Path::new("/p");
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let targets = [
            "build/lib/tests/test_t.py".to_string(),
            "tests/test_a.py".to_string(),
        ];
        let reasons = none.disagreements(
            cwd,
            &targets,
            &words("pytest -o python_files=check_*.py --doctest-modules -c ci.ini"),
        );
        let text = reasons.join("\n");
        assert!(text.contains("(`-c ci.ini`)"), "{text}");
        assert!(text.contains("`python_files = check_*.py`"), "{text}");
        assert!(
            text.contains("the test command has `--doctest-modules`"),
            "{text}"
        );
        assert!(
            text.contains("pytest's default `norecursedirs` keeps pytest out of directories where the pattern finds 1 files, e.g. `build/lib/tests/test_t.py`"),
            "{text}"
        );
        assert!(
            none.disagreements(cwd, &targets[1..], &words("pytest"))
                .is_empty()
        );
    }

    #[test]
    fn testpaths_count_only_in_the_rootdir_and_in_any_spelling() {
        let dir = dir_with(&[("pytest.ini", "[pytest]\ntestpaths = ./tests/\n")]);
        let config = find(dir.path()).unwrap();
        let inside = ["tests/test_a.py".to_string()];
        assert!(config.disagreements(dir.path(), &inside, &[]).is_empty());
        let outside = ["other/test_b.py".to_string()];
        assert_eq!(config.disagreements(dir.path(), &outside, &[]).len(), 1);
        // Below the rootdir pytest ignores testpaths.
        let sub = dir.path().join("other");
        fs::create_dir_all(&sub).unwrap();
        assert!(
            config
                .disagreements(&sub, &["test_b.py".to_string()], &[])
                .is_empty()
        );
        let absolute = format!("[pytest]\ntestpaths = {}/tests\n", dir.path().display());
        fs::write(dir.path().join("pytest.ini"), absolute).unwrap();
        let config = find(dir.path()).unwrap();
        assert!(config.disagreements(dir.path(), &inside, &[]).is_empty());
    }

    #[test]
    fn disagreements_name_the_setting() {
        let dir = dir_with(&[(
            "pytest.ini",
            "[pytest]\npython_files = test_*.py *_test.py\ntestpaths = tests\naddopts = --doctest-glob=*.rst\n",
        )]);
        let config = find(dir.path()).unwrap();
        let targets = ["tests/test_a.py".to_string(), "bench/test_b.py".to_string()];
        let reasons = config.disagreements(dir.path(), &targets, &[]);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].contains("`testpaths = tests`")
                && reasons[0].contains("finds 1 files outside them, e.g. `bench/test_b.py`"),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("`--doctest-glob=*.rst`"), "{reasons:?}");
        // The default python_files, in any order, and targets inside
        // testpaths: nothing to say.
        let quiet = dir_with(&[(
            "pytest.ini",
            "[pytest]\npython_files = *_test.py test_*.py\ntestpaths = tests\n",
        )]);
        let config = find(quiet.path()).unwrap();
        assert!(
            config
                .disagreements(quiet.path(), &targets[..1], &[])
                .is_empty()
        );
    }
}
