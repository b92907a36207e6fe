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
use toml_edit::{Document, Item, Value};

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
}

/// The configuration pytest would read when run in `cwd`, if any.
pub(crate) fn find(cwd: &Path) -> Option<PytestConfig> {
    for dir in cwd.ancestors() {
        for name in [
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
            let found = match name {
                "pyproject.toml" => from_pyproject(&text),
                "tox.ini" => from_ini(&text, "pytest"),
                "setup.cfg" => from_ini(&text, "tool:pytest"),
                // pytest.ini is pytest's even when it is empty.
                _ => from_ini(&text, "pytest").or_else(|| Some(PytestConfig::default())),
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
    Some(PytestConfig {
        file: PathBuf::new(),
        python_files: words("python_files"),
        testpaths: words("testpaths").unwrap_or_default(),
        addopts: words("addopts").unwrap_or_default(),
    })
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
    pub(crate) fn disagreements(&self, cwd: &Path, targets: &[String]) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(files) = &self.python_files {
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
        let doctests: Vec<&str> = self
            .addopts
            .iter()
            .map(String::as_str)
            .filter(|word| {
                word.starts_with("--doctest-modules") || word.starts_with("--doctest-glob")
            })
            .collect();
        if !doctests.is_empty() {
            reasons.push(format!(
                "its `addopts` has `{}`, and the pattern finds no doctests outside test files",
                doctests.join(" ")
            ));
        }
        reasons
    }

    /// The targets outside every `testpaths` entry, said as a reason.
    fn outside_testpaths(&self, cwd: &Path, targets: &[String]) -> Option<String> {
        if self.testpaths.is_empty() {
            return None;
        }
        let rootdir = self.file.parent()?;
        let patterns: Vec<Pattern> = self
            .testpaths
            .iter()
            .filter_map(|t| Pattern::parse(t.trim_end_matches('/'), None).ok())
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
    fn disagreements_name_the_setting() {
        let dir = dir_with(&[(
            "pytest.ini",
            "[pytest]\npython_files = test_*.py *_test.py\ntestpaths = tests\naddopts = --doctest-glob=*.rst\n",
        )]);
        let config = find(dir.path()).unwrap();
        let targets = ["tests/test_a.py".to_string(), "bench/test_b.py".to_string()];
        let reasons = config.disagreements(dir.path(), &targets);
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
        assert!(config.disagreements(quiet.path(), &targets[..1]).is_empty());
    }
}
