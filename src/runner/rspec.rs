//! RSpec (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). The tests fill
//! `{{testExamples}}` one argument each (appended when it is absent) and a
//! retry runs the failed examples by id (`./spec/cart_spec.rb[1:2]`). The
//! JSON formatter's file is read whatever the exit code. For Test Engine, a
//! dry run lists the examples of the files it splits (6.4).

use super::RunnerKind;
use std::path::Path;

use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, ExampleListing, Framework, Init, Listing};
use super::rspec_witness::RspecWitness;
use super::setup::{Runner, RunnerError, RunnerInputs};
use super::target::TargetError;
use super::template::RESULT_PATH;
use crate::results::{Mapping, ResultFormat};

const COMMAND: &str =
    "bundle exec rspec --format progress --format json --out {{resultPath}} {{testExamples}}";

/// What bktec knows about RSpec.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "RSpec",
    rules: RunnerRules::walking("spec/**/*_spec.rb", |_| (COMMAND, "")),
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &["--fail-fast", "--next-failure"],
    example_listing: Some(ExampleListing {
        tool: "rspec dry run",
        skips: true,
        command: dry_run,
        format: ResultFormat::RspecJson,
    }),
    roster: None,
    build: Some(|inputs, _probe| rspec(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 5,
            finds: detect::rspec_project,
        }),
        result_path: "tmp/bktec-results.json",
    },
};

/// Builds the RSpec runner. Validation has made sure of a result path.
fn rspec(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands(COMMAND)?;
    Ok(Runner {
        result: inputs.result_file(ResultFormat::RspecJson),
        rspec_witness: Some(RspecWitness::create(inputs.spec_opts).map_err(RunnerError::TempDir)?),
        ..Runner::new(RunnerKind::Rspec, test, retry)
    })
}

/// 6.4: the test command with the files, as a dry run that writes its
/// JSON report to `out`.
fn dry_run(runner: &Runner, files: &[String], out: &Path) -> Result<Listing, TargetError> {
    let mut argv = runner.argv_writing_to(files, out)?;
    argv.push("--dry-run".to_string());
    // The JSON formatter already writes to `out` when the template holds
    // `{{resultPath}}`; a second one on the same file could interleave.
    if runner.test.mentions(RESULT_PATH) {
        return Ok(Listing {
            argv,
            env: Vec::new(),
        });
    }
    argv.extend([
        "--format".to_string(),
        "json".to_string(),
        "--out".to_string(),
        out.display().to_string(),
        "--format".to_string(),
        "progress".to_string(),
    ]);
    Ok(Listing {
        argv,
        env: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::setup::ExitHandling;
    use crate::runner::template::CommandTemplate;

    #[test]
    fn examples_fill_the_template_and_retries_run_failed_ids() {
        let inputs = RunnerInputs {
            result_path: Some(Path::new("out/r.json")),
            ..RunnerInputs::default()
        };
        let r = rspec(inputs).unwrap();
        assert_eq!(
            r.argv(&["spec/a_spec.rb".into(), "--help_spec.rb".into()], 0)
                .unwrap(),
            [
                "bundle",
                "exec",
                "rspec",
                "--format",
                "progress",
                "--format",
                "json",
                "--out",
                "out/r.json",
                "spec/a_spec.rb",
                "./--help_spec.rb"
            ]
        );
        let template = CommandTemplate::parse("rspec --format json --out {{resultPath}}").unwrap();
        let inputs = RunnerInputs {
            test_command: Some(&template),
            result_path: Some(Path::new("r.json")),
            ..RunnerInputs::default()
        };
        let r = rspec(inputs).unwrap();
        assert_eq!(
            r.argv(&["./spec/a_spec.rb[1:2]".into()], 1).unwrap(),
            [
                "rspec",
                "--format",
                "json",
                "--out",
                "r.json",
                "./spec/a_spec.rb[1:2]"
            ]
        );
        assert_eq!(r.exit_handling(Some(2)), ExitHandling::Parse);
        assert_eq!(r.upload_format(), Some(ResultFormat::RspecJson));
    }
}
