//! `bktec init`: a commented `bktec.toml` for the project in the working
//! directory, with the schema beside it for editors (Taplo's `#:schema`
//! directive). It never overwrites a file (issue 13, item 5).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::schema::schema_json;
use crate::report::{Notice, Reporter};
use crate::runner::RunnerKind;

/// The schema file `bktec init` writes beside `bktec.toml`, and that the
/// file's `#:schema` directive names (relative to the file).
const SCHEMA_FILE: &str = "bktec.schema.json";

/// Files that show a project is tested with pytest, in the order they are
/// looked for.
const PYTEST_MARKERS: [&str; 6] = [
    "pytest.ini",
    "conftest.py",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "setup.py",
];

/// Why `bktec init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InitError {
    /// The configuration file is already there.
    #[error(
        "`{}` already exists; bktec init never overwrites it (edit it, or remove it and run bktec init again)",
        .0.display()
    )]
    Exists(PathBuf),
    /// No file tells which runner the project uses.
    #[error(
        "cannot tell which test runner this project uses (no {} here, no `go.mod`, no RSpec `spec/` or Cucumber `features/`, no Jest, Vitest, Playwright or Cypress in `package.json`); name it with `bktec init --test-runner RUNNER` (rspec, jest, vitest, playwright, cypress, pytest, gotest, cucumber or custom)",
        PYTEST_MARKERS.join(", ")
    )]
    Undetected,
    /// `--test-runner` names no runner.
    #[error(transparent)]
    UnknownRunner(#[from] crate::runner::UnknownRunner),
    /// A file could not be written.
    #[error("failed to write `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Writes `bktec.toml` at `path` (and the schema beside it when none is
/// there) for the project in `dir`.
pub(super) fn init(
    dir: &Path,
    path: &Path,
    runner: Option<&str>,
    reporter: &mut Reporter,
) -> Result<(), InitError> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(InitError::Exists(path.to_path_buf()));
    }
    let (kind, why) = match runner {
        Some(name) => (name.parse::<RunnerKind>()?, "--test-runner".to_string()),
        None => detect(dir).ok_or(InitError::Undetected)?,
    };
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InitError::Write { path, source }
    };
    // `create_new`: a file that appeared since the check is not clobbered.
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut file| {
            let mut text = template(kind, &why);
            // Without a Gemfile, `bundle exec` cannot start the runner.
            if !dir.join("Gemfile").exists() {
                text = without_bundler(&text);
            }
            io::Write::write_all(&mut file, text.as_bytes())
        })
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => InitError::Exists(path.to_path_buf()),
            _ => InitError::Write {
                path: path.to_path_buf(),
                source,
            },
        })?;
    let schema = path.with_file_name(SCHEMA_FILE);
    let schema_written = !schema.exists();
    if schema_written {
        fs::write(&schema, schema_json()).map_err(write_error(&schema))?;
    }
    reporter.notice(Notice::Initialized {
        path,
        runner: kind.display_name(),
        why: &why,
        schema_written,
        schema_file: SCHEMA_FILE,
    });
    Ok(())
}

/// The runner the files in `dir` point to, and the file that said so.
fn detect(dir: &Path) -> Option<(RunnerKind, String)> {
    let has = |name: &str| dir.join(name).exists();
    // A JavaScript project's runner, from its package.json.
    let package = fs::read_to_string(dir.join("package.json")).unwrap_or_default();
    for (dependency, kind) in [
        ("\"@playwright/test\"", RunnerKind::Playwright),
        ("\"cypress\"", RunnerKind::Cypress),
        ("\"vitest\"", RunnerKind::Vitest),
        ("\"jest\"", RunnerKind::Jest),
    ] {
        if package.contains(dependency) {
            return Some((kind, format!("{dependency} in `package.json`")));
        }
    }
    if has("go.mod") {
        return Some((RunnerKind::Gotest, "`go.mod`".to_string()));
    }
    if has(".rspec") || has("spec/spec_helper.rb") || holds(&dir.join("spec"), "_spec.rb") {
        return Some((RunnerKind::Rspec, "`spec/`".to_string()));
    }
    if holds(&dir.join("features"), ".feature") {
        return Some((RunnerKind::Cucumber, "`features/`".to_string()));
    }
    PYTEST_MARKERS
        .iter()
        .find(|marker| dir.join(marker).is_file())
        .map(|marker| (RunnerKind::Pytest, format!("`{marker}`")))
}

/// Whether `dir` or a directory in it holds a file whose name ends with
/// `suffix`.
fn holds(dir: &Path, suffix: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            fs::read_dir(&path).is_ok_and(|inner| {
                inner
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(suffix))
            })
        } else {
            entry.file_name().to_string_lossy().ends_with(suffix)
        }
    })
}

/// `text` with its default `bundle exec` command set without Bundler, for
/// a project that has no Gemfile.
fn without_bundler(text: &str) -> String {
    text.lines()
        .map(
            |line| match line.strip_prefix("# test-command = \"bundle exec ") {
                Some(rest) => format!(
                    "# No Gemfile here, so not through `bundle exec`:\ntest-command = \"{rest}"
                ),
                None => line.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Where a runner that must be told its result path writes, by its format.
fn result_path_for(kind: RunnerKind) -> &'static str {
    match kind {
        RunnerKind::Gotest => "tmp/bktec-results.jsonl",
        _ => "tmp/bktec-results.json",
    }
}

/// The commented `bktec.toml` for `kind`; `why` says how the runner was chosen.
fn template(kind: RunnerKind, why: &str) -> String {
    let name = kind.as_str();
    let mut text = format!(
        "#:schema ./{SCHEMA_FILE}
# bktec configuration, written by `bktec init` (runner from {why}).
#
# Lowest to highest: built-in defaults, this file, BUILDKITE_TEST_ENGINE_*
# environment variables, flags. `bktec config` shows each value and where it
# came from. The `#:schema` line above lets editors with Taplo (Even Better
# TOML) complete and check this file; `bktec schema` prints the schema.

[runner]
# The test framework.
name = \"{name}\"
"
    );
    match kind.default_command(|| true) {
        Some((json, _)) => {
            let junit = kind.default_command(|| false).map_or(json, |(c, _)| c);
            let default = if junit == json {
                format!("`{json}`")
            } else {
                format!("`{json}` when buildkite-test-collector is\n# installed, else `{junit}`")
            };
            text.push_str(&format!(
                "# The command of each attempt: {{{{testExamples}}}} becomes this job's tests,
# and the command must write its results to {{{{resultPath}}}}. The default is
# {default}.
# test-command = \"{json}\"
"
            ));
        }
        None => text.push_str(
            "# The command of each attempt: {{testExamples}} becomes this job's tests,
# and the command must write JUnit XML or collector JSON to {{resultPath}}.
# Set it before running bktec, for example:
# test-command = \"./run-tests {{testExamples}} --junit-xml={{resultPath}}\"
# result-path = \"tmp/results.xml\"
",
        ),
    }
    if kind.framework().requires_result_path {
        text.push_str(&format!(
            "# Where the command writes its results; {} needs to be told.\nresult-path = \"{}\"\n",
            kind.display_name(),
            result_path_for(kind)
        ));
    } else if kind.default_command(|| true).is_some() {
        text.push_str(
            "# Where results are written; by default a temporary file that bktec removes.\n\
             # result-path = \"tmp/results.json\"\n",
        );
    }
    text.push_str("\n[files]\n");
    match kind.default_pattern() {
        Some(pattern) => text.push_str(&format!(
            "# Which files are test files (zzglob syntax); the runner's default is:\n# pattern = \"{pattern}\"\n"
        )),
        None => text.push_str("# Which files are test files (zzglob syntax):\n# pattern = \"tests/**/*\"\n"),
    }
    text.push_str(
        "# Files and directories to leave out:
# exclude-pattern = \"tests/fixtures\"

[retry]
# Retry failed tests up to this many times (0 = no retries). A test that
# fails and then passes is reported as flaky.
count = 2

[test-engine]
# Without a suite slug bktec splits the tests locally and never calls the
# Test Engine API. With one (and BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN in
# the environment), Test Engine splits them by their timings:
# suite-slug = \"my-suite\"
",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pytest_template() {
        insta::assert_snapshot!(template(RunnerKind::Pytest, "`pytest.ini`"));
    }

    #[test]
    fn the_custom_template() {
        insta::assert_snapshot!(template(RunnerKind::Custom, "--test-runner"));
    }

    #[test]
    fn detection() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path()), None);
        fs::write(dir.path().join("pyproject.toml"), "").unwrap();
        assert_eq!(
            detect(dir.path()),
            Some((RunnerKind::Pytest, "`pyproject.toml`".to_string()))
        );
        let runner = |files: &[(&str, &str)]| {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                let path = dir.path().join(name);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, text).unwrap();
            }
            detect(dir.path()).map(|(kind, _)| kind)
        };
        assert_eq!(
            runner(&[("go.mod", "module m\n")]),
            Some(RunnerKind::Gotest)
        );
        assert_eq!(
            runner(&[("spec/shop/cart_spec.rb", "")]),
            Some(RunnerKind::Rspec)
        );
        assert_eq!(
            runner(&[("features/a.feature", "")]),
            Some(RunnerKind::Cucumber)
        );
        let package = |dep: &str| format!("{{\"devDependencies\": {{\"{dep}\": \"1\"}}}}");
        assert_eq!(
            runner(&[("package.json", &package("jest"))]),
            Some(RunnerKind::Jest)
        );
        assert_eq!(
            runner(&[("package.json", &package("vitest"))]),
            Some(RunnerKind::Vitest)
        );
        assert_eq!(
            runner(&[("package.json", &package("@playwright/test"))]),
            Some(RunnerKind::Playwright)
        );
        assert_eq!(
            runner(&[("package.json", &package("cypress"))]),
            Some(RunnerKind::Cypress)
        );
        assert!(
            without_bundler(&template(RunnerKind::Rspec, "`spec/`")).contains(
                "\ntest-command = \"rspec --format progress --format json --out {{resultPath}} {{testExamples}}\"\n"
            )
        );
        // A runner that must be told its result path gets one.
        assert!(
            template(RunnerKind::Rspec, "`spec/`")
                .contains("\nresult-path = \"tmp/bktec-results.json\"\n")
        );
        assert!(
            template(RunnerKind::Gotest, "`go.mod`")
                .contains("\nresult-path = \"tmp/bktec-results.jsonl\"\n")
        );
    }
}
