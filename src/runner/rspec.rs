//! RSpec (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). The tests fill
//! `{{testExamples}}` one argument each (appended when it is absent) and a
//! retry runs the failed examples by id (`./spec/cart_spec.rb[1:2]`). The
//! JSON formatter's file is read whatever the exit code. For Test Engine, a
//! dry run lists the examples of the files it splits (6.4).

use super::RunnerKind;
use std::path::Path;

use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, ExampleListing, Framework, History, Init, Listing, key_by_file};
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
    history: Some(History {
        format: ResultFormat::RspecJson,
        key: key_by_file,
    }),
    build: Some(|inputs, _probe| rspec(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 5,
            finds: detect::rspec_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: None,
    },
};

/// Builds the RSpec runner. Validation has made sure of a result path.
/// A dry run is refused: RSpec reports every example as passed and runs
/// none (D37). One asked for where bktec cannot see (`config.dry_run`) is
/// the witness's to find.
fn rspec(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands(COMMAND)?;
    RunnerError::refuse_dry_run(FRAMEWORK.display_name, [&test, &retry], |words| {
        dry_run_asked(words, inputs.spec_opts, Path::new("."))
    })?;
    Ok(Runner {
        result: inputs.result_file(ResultFormat::RspecJson),
        rspec_witness: Some(RspecWitness::create(inputs.spec_opts).map_err(RunnerError::TempDir)?),
        ..Runner::new(RunnerKind::Rspec, test, retry)
    })
}

/// Where a dry run is asked for among the options RSpec reads besides the
/// code: the command's `words` (a script's split on white space),
/// `SPEC_OPTS`, and `.rspec` and `.rspec-local` in `dir`.
fn dry_run_asked(words: &[String], spec_opts: Option<&str>, dir: &Path) -> Option<String> {
    let dry = |text: &str| {
        text.lines()
            .map(|line| line.split('#').next().unwrap_or_default())
            .flat_map(str::split_whitespace)
            .any(|word| word.trim_matches(['"', '\'']) == "--dry-run")
    };
    if words.iter().any(|word| dry(word)) {
        return Some("`--dry-run` in the command".to_string());
    }
    if spec_opts.is_some_and(dry) {
        return Some("`--dry-run` in SPEC_OPTS".to_string());
    }
    [".rspec", ".rspec-local"].into_iter().find_map(|file| {
        let text = std::fs::read_to_string(dir.join(file)).ok()?;
        dry(&text).then(|| format!("`--dry-run` in {file}"))
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

    #[test]
    fn a_dry_run_is_found_in_the_command_spec_opts_and_options_files() {
        let dir = tempfile::tempdir().unwrap();
        let words = |text: &str| -> Vec<String> { text.split(' ').map(String::from).collect() };
        let asked = |text: &str, spec_opts| dry_run_asked(&words(text), spec_opts, dir.path());
        assert_eq!(
            asked("rspec --dry-run", None).unwrap(),
            "`--dry-run` in the command"
        );
        assert_eq!(
            asked("rspec", Some("--tag x --dry-run")).unwrap(),
            "`--dry-run` in SPEC_OPTS"
        );
        assert_eq!(asked("rspec --format json", Some("--tag x")), None);
        std::fs::write(dir.path().join(".rspec"), "--require spec_helper\n# --dry-run\n").unwrap();
        assert_eq!(asked("rspec", None), None, "a comment asks for nothing");
        std::fs::write(dir.path().join(".rspec-local"), "--format doc\n--dry-run\n").unwrap();
        assert_eq!(asked("rspec", None).unwrap(), "`--dry-run` in .rspec-local");
    }
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
