//! Cucumber (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). Feature
//! files fill `{{testExamples}}` one argument each (appended when it is
//! absent); a retry runs the failed scenarios by `uri:line`. The JSON
//! formatter's file is read whatever the exit code.

use super::RunnerKind;
use super::framework::{Framework, Targets};
use super::setup::{
    ExitHandling, ResultFile, Runner, RunnerError, RunnerInputs, tests_as_they_are,
};
use super::template::MissingTests;
use crate::results::{Mapping, ResultFormat};

const COMMAND: &str =
    "cucumber --format pretty --format json --out {{resultPath}} {{testExamples}}";

/// What bktec knows about Cucumber.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "cucumber",
    display_name: "Cucumber",
    default_pattern: Some("features/**/*.feature"),
    default_command: Some(|_| (COMMAND, "")),
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::Walk,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    build: Some(|inputs, _probe| cucumber(inputs)),
};

/// Builds the Cucumber runner. Validation has made sure of a result path.
fn cucumber(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let test = match inputs.test_command {
        Some(template) => template.clone(),
        None => Runner::parse_template("test command", COMMAND)?,
    };
    let retry = inputs
        .retry_command
        .cloned()
        .unwrap_or_else(|| test.clone());
    Ok(Runner {
        kind: RunnerKind::Cucumber,
        test,
        retry,
        result: inputs.result_path.map(|path| ResultFile {
            path: path.to_path_buf(),
            format: ResultFormat::CucumberJson,
        }),
        missing_tests: MissingTests::Append,
        extra_args: Vec::new(),
        exit_rules: |_, _| ExitHandling::Parse,
        prepare: tests_as_they_are,
        env: Vec::new(),
        temp_dir: None,
        witness: None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn features_fill_the_template_and_retries_run_scenarios_by_line() {
        let inputs = RunnerInputs {
            result_path: Some(Path::new("r.json")),
            ..RunnerInputs::default()
        };
        let r = cucumber(inputs).unwrap();
        assert_eq!(
            r.argv(&["features/a.feature:6".into(), "--help.feature".into()], 1)
                .unwrap()[7..],
            ["features/a.feature:6", "./--help.feature"]
        );
        assert_eq!(r.upload_format(), Some(ResultFormat::CucumberJson));
    }
}
