//! `bktec init`: a commented `bktec.toml` for the project in the working
//! directory, with the schema beside it for editors (Taplo's `#:schema`
//! directive). It never overwrites a file (issue 13, item 5).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::schema::schema_json;
use crate::events::{FileNotice, Notice};
use crate::report::Reporter;
use crate::runner::{PYTEST_MARKERS, RunnerKind};

/// The schema file `bktec init` writes beside `bktec.toml`, and that the
/// file's `#:schema` directive names (relative to the file).
const SCHEMA_FILE: &str = "bktec.schema.json";

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
        "cannot tell which test runner this project uses (no {} here, no `go.mod`, no RSpec `spec/` or Cucumber `features/`, no Jest, Vitest, Playwright or Cypress in `package.json`); name it with `bktec init --test-runner RUNNER` ({})",
        PYTEST_MARKERS.join(", "),
        runner_names()
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

/// `rspec, jest, … or custom`, from the runners bktec knows.
fn runner_names() -> String {
    let names: Vec<&str> = RunnerKind::ALL.iter().map(|kind| kind.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
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
        None => crate::runner::detect(dir).ok_or(InitError::Undetected)?,
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
    reporter.notice(Notice::Files(FileNotice::Initialized {
        path,
        runner: kind.display_name(),
        why: &why,
        schema_written,
        schema_file: SCHEMA_FILE,
    }));
    Ok(())
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
    text.push_str(&command_section(kind));
    text.push_str("\n[files]\n");
    match kind.default_pattern() {
        Some(pattern) => text.push_str(&format!(
            "# Which files are test files (zzglob syntax); the runner's default is:\n# pattern = \"{pattern}\"\n"
        )),
        None => text.push_str("# Which files are test files (zzglob syntax):\n# pattern = \"tests/**/*\"\n"),
    }
    text.push_str(REST);
    text
}

/// The end of every `bktec.toml` that `bktec init` writes.
const REST: &str = "# Files and directories to leave out:
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
";

/// The `[runner]` lines about the test command and the result path, from
/// the runner's defaults.
fn command_section(kind: RunnerKind) -> String {
    let mut text = String::new();
    match kind.default_command(|| true) {
        Some((json, _)) if let Some(note) = kind.results_note() => {
            // D46: the runner is pointed at its results without the command.
            text.push_str(&comment(&format!(
                "The command of each attempt: {{{{testExamples}}}} becomes this job's tests (appended when it is absent). The default is `{json}`. {note}"
            )));
            text.push_str(&format!("# test-command = \"{json}\"\n"));
        }
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
    if kind.requires_result_path() {
        text.push_str(&format!(
            "# Where the command writes its results; {} needs to be told.\nresult-path = \"{}\"\n",
            kind.display_name(),
            kind.init_result_path()
        ));
    } else if kind.default_command(|| true).is_some() && kind.results_note().is_none() {
        text.push_str(
            "# Where results are written; by default a temporary file that bktec removes.\n\
             # result-path = \"tmp/results.json\"\n",
        );
    }
    text
}

/// `text` as comment lines of at most 78 columns.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 78 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pytest_template() {
        insta::assert_snapshot!(template("pytest".parse().unwrap(), "`pytest.ini`"));
    }

    #[test]
    fn the_custom_template() {
        insta::assert_snapshot!(template("custom".parse().unwrap(), "--test-runner"));
    }

    /// Issue 21 item 11: Playwright's and Cypress's commands never name
    /// `{{resultPath}}`; `bktec init` says how their results come (D46).
    #[test]
    fn playwright_and_cypress_templates_say_where_results_come_from() {
        let playwright = template("playwright".parse().unwrap(), "`package.json`");
        assert!(playwright.contains("its `json` reporter"), "{playwright}");
        assert!(
            playwright.contains("PLAYWRIGHT_JSON_OUTPUT_FILE"),
            "{playwright}"
        );
        assert!(
            !playwright.contains("must write its results to"),
            "{playwright}"
        );
        assert!(playwright.contains("\nresult-path = \"tmp/bktec-results.json\"\n"));
        let cypress = template("cypress".parse().unwrap(), "`package.json`");
        assert!(
            cypress.contains("Cypress writes no result file"),
            "{cypress}"
        );
        assert!(!cypress.contains("result-path"), "{cypress}");
        for line in playwright.lines().chain(cypress.lines()) {
            assert!(line.len() <= 78, "{line}");
        }
    }

    #[test]
    fn the_template_follows_the_runner_s_facts() {
        let rspec: RunnerKind = "rspec".parse().unwrap();
        let gotest: RunnerKind = "gotest".parse().unwrap();
        assert!(
            without_bundler(&template(rspec, "`spec/`")).contains(
                "\ntest-command = \"rspec --format progress --format json --out {{resultPath}} {{testExamples}}\"\n"
            )
        );
        // A runner that must be told its result path gets one.
        assert!(
            template(rspec, "`spec/`").contains("\nresult-path = \"tmp/bktec-results.json\"\n")
        );
        assert!(
            template(gotest, "`go.mod`").contains("\nresult-path = \"tmp/bktec-results.jsonl\"\n")
        );
    }
}
