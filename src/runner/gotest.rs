//! `go test` through gotestsum (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2,
//! 13.1). Targets are packages, from `go list`; `{{packages}}` takes them one
//! argument each, without duplicates, in plan order (and they are appended
//! when it is absent). A retry runs the packages of the failed tests again,
//! whole. An exit code other than 0 and 1 (a package that did not build) is
//! not read: the run stops with it.

use super::RunnerKind;
use super::framework::{Framework, Targets};
use super::setup::{ExitHandling, Prepared, Runner, RunnerError, RunnerInputs};
use super::target::TargetProblem;
use super::template::{CommandTemplate, TEST_EXAMPLES};
use crate::results::{Mapping, ResultFormat};

/// `{{packages}}`: the Go packages to test.
const PACKAGES: &str = "{{packages}}";

const COMMAND: &str = "gotestsum --jsonfile={{resultPath}} {{packages}}";

/// What bktec knows about gotest.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "gotest",
    display_name: "gotest",
    default_pattern: None,
    default_command: Some(|_| (COMMAND, "")),
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::GoPackages,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &[],
    example_listing: None,
    build: Some(|inputs, _probe| gotest(inputs)),
};

/// Builds the gotest runner. Validation has made sure of a result path.
fn gotest(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let test = packages_template("test command", inputs.test_command, COMMAND)?;
    let retry = match inputs.retry_command {
        Some(_) => packages_template("retry command", inputs.retry_command, COMMAND)?,
        None => test.clone(),
    };
    Ok(Runner {
        result: inputs.result_file(ResultFormat::GoJsonl),
        exit_rules: |_, code| match code {
            None | Some(0 | 1) => ExitHandling::Parse,
            Some(_) => ExitHandling::Skip,
        },
        prepare: packages_once,
        ..Runner::new(RunnerKind::Gotest, test, retry)
    })
}

/// The template with `{{packages}}` read as `{{testExamples}}`, so packages
/// are substituted, and quoted inside a `sh -c` script, as tests are (D12,
/// D25).
fn packages_template(
    which: &'static str,
    configured: Option<&CommandTemplate>,
    default: &str,
) -> Result<CommandTemplate, RunnerError> {
    let text = configured.map_or(default, CommandTemplate::as_str);
    Runner::parse_template(which, &text.replace(PACKAGES, TEST_EXAMPLES))
}

/// Each package once, in the order they came.
fn packages_once(tests: Vec<String>, _retry: bool) -> Result<Prepared, (String, TargetProblem)> {
    let mut packages: Vec<String> = Vec::with_capacity(tests.len());
    for test in tests {
        if !packages.contains(&test) {
            packages.push(test);
        }
    }
    Ok(Prepared {
        tests: packages,
        name_pattern: None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn packages_fill_the_template_once_each() {
        let inputs = RunnerInputs {
            result_path: Some(Path::new("r.jsonl")),
            ..RunnerInputs::default()
        };
        let r = gotest(inputs).unwrap();
        assert_eq!(
            r.argv(&["m/b".into(), "m/a".into(), "m/b".into()], 1)
                .unwrap(),
            ["gotestsum", "--jsonfile=r.jsonl", "m/b", "m/a"]
        );
        assert_eq!(r.exit_handling(Some(1)), ExitHandling::Parse);
        assert_eq!(r.exit_handling(Some(2)), ExitHandling::Skip);
        assert_eq!(r.upload_format(), Some(ResultFormat::GoJsonl));
    }

    #[test]
    fn packages_in_a_script_are_quoted() {
        let script =
            CommandTemplate::parse("sh -c 'go test -json {{packages}} > {{resultPath}}'").unwrap();
        let inputs = RunnerInputs {
            test_command: Some(&script),
            result_path: Some(Path::new("r.jsonl")),
            ..RunnerInputs::default()
        };
        let r = gotest(inputs).unwrap();
        assert_eq!(
            r.argv(&["m/a;x".into()], 0).unwrap()[2],
            "go test -json 'm/a;x' > r.jsonl"
        );
    }
}
