//! Cucumber (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). Feature
//! files fill `{{testExamples}}` one argument each (appended when it is
//! absent); a retry runs the failed scenarios by `uri:line`. The JSON
//! formatter's file is read whatever the exit code. For Test Engine, a dry
//! run lists the scenarios of the files it splits (6.4).

use super::RunnerKind;
use std::path::Path;

use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, ExampleListing, Framework, Init, Listing, Roster};
use super::listing::list_results;
use super::pytest_collect::CollectError;
use super::template::RESULT_PATH;
use super::setup::{Runner, RunnerError, RunnerInputs};
use super::target::{TargetError, TargetOrigin, target_args};
use crate::results::{Mapping, ResultFormat, TestResult};

const COMMAND: &str =
    "cucumber --format pretty --format json --out {{resultPath}} {{testExamples}}";

/// What bktec knows about Cucumber.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Cucumber",
    rules: RunnerRules::walking("features/**/*.feature", |_| (COMMAND, "")),
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &["--fail-fast"],
    example_listing: Some(ExampleListing {
        tool: "cucumber dry run",
        skips: true,
        command: dry_run,
        format: ResultFormat::CucumberJson,
    }),
    roster: Some(Roster {
        tool: ROSTER_TOOL,
        list: roster,
        key: scenario_key,
        through_command: true,
    }),
    build: Some(|inputs, _probe| cucumber(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 6,
            finds: detect::cucumber_project,
        }),
        result_path: "tmp/bktec-results.json",
    },
};

/// Builds the Cucumber runner. Validation has made sure of a result path.
fn cucumber(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands(COMMAND)?;
    Ok(Runner {
        result: inputs.result_file(ResultFormat::CucumberJson),
        ..Runner::new(RunnerKind::Cucumber, test, retry)
    })
}

/// 6.4: the test command's program (its words before the first option or
/// placeholder: `cucumber`, `bundle exec cucumber`) as a dry run of the
/// files that writes its JSON report to `out`. The Go client kept only the
/// first word, which made `bundle exec cucumber` run `bundle`.
fn dry_run(runner: &Runner, files: &[String], out: &Path) -> Result<Listing, TargetError> {
    let mut argv: Vec<String> = runner
        .test
        .words()
        .iter()
        .take_while(|w| !w.starts_with('-') && !w.contains("{{"))
        .cloned()
        .collect();
    if argv.is_empty() {
        argv.push("cucumber".to_string());
    }
    argv.extend([
        "--dry-run".to_string(),
        "--format".to_string(),
        "json".to_string(),
        "--out".to_string(),
        out.display().to_string(),
        "--format".to_string(),
        "progress".to_string(),
    ]);
    argv.extend(target_args(files, &TargetOrigin::Plan)?);
    Ok(Listing {
        argv,
        env: Vec::new(),
    })
}

/// The listing that proves per test what ran (D37).
const ROSTER_TOOL: &str = "cucumber --dry-run";

/// D37: the scenarios of the files, listed by the test command itself (its
/// options and profile, so its tags) as a dry run.
fn roster(runner: &Runner, files: &[String]) -> Result<Vec<String>, CollectError> {
    let tests = list_results(runner, ROSTER_TOOL, ResultFormat::CucumberJson, files, |out| {
        let mut argv = runner.argv_writing_to(files, out)?;
        argv.push("--dry-run".to_string());
        // The JSON formatter already writes to `out` when the template
        // holds `{{resultPath}}`.
        if !runner.test.mentions(RESULT_PATH) {
            argv.extend(
                ["--format", "json", "--out"]
                    .map(String::from)
                    .into_iter()
                    .chain([out.display().to_string()]),
            );
        }
        Ok(Listing {
            argv,
            env: Vec::new(),
        })
    })?;
    Ok(tests.iter().filter_map(scenario_key).collect())
}

/// The name under which a scenario's result answers for a listed one: its
/// `uri:line` and its name.
fn scenario_key(test: &TestResult) -> Option<String> {
    Some(format!("{} › {}", test.path, test.name))
}

#[cfg(test)]
mod tests {
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
