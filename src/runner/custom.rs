//! The custom runner (behaviour document 7.2, 8.1, 8.2; D12): any command.
//! Tests replace `{{testExamples}}` (one argument each) and are not appended
//! when it is absent. Unlike the Go client, `{{resultPath}}` is substituted
//! too. With a result path, `.xml` means JUnit and anything else collector
//! JSON; without one, only the exit code counts, and a template that uses
//! `{{resultPath}}` is refused by `config::resolve` (it would be empty).

use super::RunnerKind;
use crate::config::elements::{RunnerRules, Targets};
use super::framework::{Framework, History, Init, key_by_file};
use super::setup::{ExitHandling, ResultFile, Runner, RunnerError, RunnerInputs};
use super::template::MissingTests;
use crate::results::{Mapping, ResultFormat};

/// What bktec knows about the custom runner: nothing but what the user
/// configures.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Custom test runner",
    rules: RunnerRules {
        default_pattern: None,
        default_command: None,
        requires_result_path: false,
        user_defined: true,
        tag_filters: false,
        discovery_by_pytest: false,
        targets: Targets::Walk,
    },
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &[],
    example_listing: None,
    roster: None,
    history: Some(History {
        format: ResultFormat::JUnitXml,
        key: key_by_file,
    }),
    build: Some(|inputs, _probe| custom(inputs)),
    init: Init::NAMED_ONLY,
};

/// Builds the custom runner. Validation has made sure a test command exists.
pub(crate) fn custom(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands("")?;
    let result = inputs.result_path.map(|path| ResultFile {
        path: path.to_path_buf(),
        format: if path.extension().is_some_and(|e| e == "xml") {
            ResultFormat::JUnitXml
        } else {
            ResultFormat::CollectorJson
        },
    });
    Ok(Runner {
        result,
        missing_tests: MissingTests::Omit,
        exit_rules: |runner, _code| {
            if runner.result.is_some() {
                ExitHandling::Parse
            } else {
                ExitHandling::Skip
            }
        },
        ..Runner::new(RunnerKind::Custom, test, retry)
    })
}
