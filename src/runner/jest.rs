//! Jest (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). The first run
//! passes the files, sorted and without duplicates, one argument each. A
//! retry runs the files of the failed tests with `--testNamePattern`, a
//! regular expression that matches exactly their full names (bktec's retry
//! default names the files too, where the Go client ran the pattern over the
//! whole project). The result file is read whatever the exit code.
//! Vitest shares all of this (`runner::vitest`).

use super::RunnerKind;
use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, Framework, History, Init, key_by_node_id};
use super::setup::{Prepared, Runner, RunnerError, RunnerInputs};
use super::target::TargetProblem;
use super::template::{CommandTemplate, RESULT_PATH, TEST_NAME_PATTERN};
use crate::results::{Mapping, NAME_SEPARATOR, ResultFormat};

const COMMAND: &str = "npx jest --runTestsByPath {{testExamples}} --json --testLocationInResults --outputFile {{resultPath}}";

/// The include pattern of Jest and Vitest.
pub(super) const PATTERN: &str = "**/{__tests__/**/*,*.spec,*.test}.{ts,js,tsx,jsx}";

/// What bktec knows about Jest.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Jest",
    rules: RunnerRules::walking(PATTERN, |_| (COMMAND, "")),
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &["--bail", "-b"],
    example_listing: None,
    roster: None,
    history: Some(History {
        format: ResultFormat::JestJson,
        key: key_by_node_id,
    }),
    build: Some(|inputs, _probe| by_name(RunnerKind::Jest, COMMAND, inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 3,
            finds: detect::jest_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: None,
    },
};

/// Builds the Jest or Vitest runner (`kind`), whose default test command is
/// `command`. Without a configured retry command, a retry runs the test
/// command with `--testNamePattern {{testNamePattern}}` added.
pub(super) fn by_name(
    kind: RunnerKind,
    command: &str,
    inputs: RunnerInputs<'_>,
) -> Result<Runner, RunnerError> {
    let test = inputs.test_template(command)?;
    let retry = match inputs.retry_command {
        Some(template) => template.clone(),
        None => Runner::parse_template(
            "retry command",
            &format!("{} --testNamePattern {TEST_NAME_PATTERN}", test.as_str()),
        )?,
    };
    check_placeholders("test command", &test, false)?;
    check_placeholders("retry command", &retry, true)?;
    let format = if kind == RunnerKind::Jest {
        ResultFormat::JestJson
    } else {
        ResultFormat::VitestJson
    };
    Ok(Runner {
        result: inputs.result_file(format),
        prepare: files_and_names,
        ..Runner::new(kind, test, retry)
    })
}

/// 7.2: both commands write `{{resultPath}}`, and a retry command has
/// `{{testNamePattern}}` as a word of its own, outside any `sh -c` script,
/// where the pattern could be read as code (D12, D25).
fn check_placeholders(
    which: &'static str,
    template: &CommandTemplate,
    retry: bool,
) -> Result<(), RunnerError> {
    let problem = |problem: String| RunnerError::Placeholder {
        which,
        template: template.as_str().to_string(),
        problem,
    };
    if !template.mentions(RESULT_PATH) {
        return Err(problem(format!("couldn't find `{RESULT_PATH}`")));
    }
    let words = template.words();
    let mut found = false;
    for (i, word) in words.iter().enumerate() {
        if !word.contains(TEST_NAME_PATTERN) {
            continue;
        }
        if word != TEST_NAME_PATTERN || template.is_script_word(i) {
            return Err(problem(format!(
                "`{TEST_NAME_PATTERN}` must be a word of its own, outside any shell script"
            )));
        }
        found = true;
    }
    if retry && !found {
        return Err(problem(format!("couldn't find `{TEST_NAME_PATTERN}`")));
    }
    Ok(())
}

/// The first run's files, sorted and without duplicates; for a retry, the
/// files of the failed tests (`file::full name`) and a pattern that matches
/// exactly their full names. A test without a name reruns its whole file.
fn files_and_names(tests: Vec<String>, retry: bool) -> Result<Prepared, (String, TargetProblem)> {
    let mut files = Vec::with_capacity(tests.len());
    let mut names = Vec::new();
    let mut whole_file = false;
    for test in tests {
        match test.split_once(NAME_SEPARATOR).filter(|_| retry) {
            Some((file, name)) => {
                files.push(file.to_string());
                names.push(regex_escape(name));
            }
            None => {
                whole_file = true;
                files.push(test);
            }
        }
    }
    files.sort();
    files.dedup();
    names.sort();
    names.dedup();
    let name_pattern = retry.then(|| {
        if whole_file || names.is_empty() {
            String::new()
        } else {
            format!("^(?:{})$", names.join("|"))
        }
    });
    Ok(Prepared {
        tests: files,
        name_pattern,
    })
}

/// `text` as a JavaScript regular expression that matches it literally
/// (Jest's and Vitest's `--testNamePattern`, Playwright's file filters).
pub(super) fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn runner(test: Option<&str>, retry: Option<&str>) -> Result<Runner, RunnerError> {
        let test = test.map(|t| CommandTemplate::parse(t).unwrap());
        let retry = retry.map(|t| CommandTemplate::parse(t).unwrap());
        by_name(
            RunnerKind::Jest,
            COMMAND,
            RunnerInputs {
                test_command: test.as_ref(),
                retry_command: retry.as_ref(),
                result_path: Some(Path::new("r.json")),
                ..RunnerInputs::default()
            },
        )
    }

    #[test]
    fn first_runs_pass_sorted_files_and_retries_a_name_pattern() {
        let r = runner(None, None).unwrap();
        assert_eq!(
            r.argv(
                &["b.test.js".into(), "-t.test.js".into(), "b.test.js".into()],
                0
            )
            .unwrap()[3..5],
            ["./-t.test.js", "b.test.js"]
        );
        let argv = r
            .argv(
                &[
                    "src/a.test.js::Cart adds (1+1)".into(),
                    "src/a.test.js::top".into(),
                    "-t.test.js::x".into(),
                ],
                1,
            )
            .unwrap();
        assert_eq!(
            argv,
            [
                "npx",
                "jest",
                "--runTestsByPath",
                "./-t.test.js",
                "src/a.test.js",
                "--json",
                "--testLocationInResults",
                "--outputFile",
                "r.json",
                "--testNamePattern",
                r"^(?:Cart adds \(1\+1\)|top|x)$"
            ]
        );
    }

    #[test]
    fn placeholders_are_checked() {
        let err = runner(Some("jest {{testExamples}}"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid test command `jest {{testExamples}}`: couldn't find `{{resultPath}}`"
        );
        let err = runner(None, Some("jest --outputFile {{resultPath}}")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("couldn't find `{{testNamePattern}}`"),
            "{err}"
        );
        let script = "sh -c 'jest -t {{testNamePattern}} --outputFile {{resultPath}}'";
        let err = runner(None, Some(script)).unwrap_err();
        assert!(
            err.to_string().contains("must be a word of its own"),
            "{err}"
        );
        let err = runner(None, Some("sh -c {{testNamePattern}} {{resultPath}}")).unwrap_err();
        assert!(
            err.to_string().contains("must be a word of its own"),
            "{err}"
        );
    }
}
