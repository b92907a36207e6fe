//! Cucumber (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). Feature
//! files fill `{{testExamples}}` one argument each (appended when it is
//! absent); a retry runs the failed scenarios by `uri:line`. The JSON
//! formatter's file is read whatever the exit code. For Test Engine, a dry
//! run lists the scenarios of the files it splits (6.4).

use super::RunnerKind;
use std::path::Path;

use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{
    Detect, ExampleListing, Framework, History, Init, Listing, Roster, key_by_file,
};
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
    history: Some(History {
        format: ResultFormat::CucumberJson,
        key: key_by_file,
    }),
    build: Some(|inputs, _probe| cucumber(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 6,
            finds: detect::cucumber_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: None,
    },
};

/// Builds the Cucumber runner. Validation has made sure of a result path.
/// A dry run is refused: it reports every scenario, and runs none (D37).
fn cucumber(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands(COMMAND)?;
    RunnerError::refuse_dry_run(FRAMEWORK.display_name, [&test, &retry], |words| {
        dry_run_asked(words, Path::new("."))
    })?;
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

/// The files Cucumber reads its profiles from, the first that exists.
const PROFILE_FILES: [&str; 6] = [
    "cucumber.yml",
    "cucumber.yaml",
    ".config/cucumber.yml",
    ".config/cucumber.yaml",
    "config/cucumber.yml",
    "config/cucumber.yaml",
];

/// Where the command `words` (a script's words split on white space) ask
/// for a dry run: `--dry-run` or `-d` among them, or in the profiles they
/// use (`default` unless `-p` names others, none with `--no-profile`) in
/// the profile file under `dir`. A profile is read as its line and the
/// indented lines after it; ERB in it is not run.
fn dry_run_asked(words: &[String], dir: &Path) -> Option<String> {
    let words: Vec<&str> = words.iter().flat_map(|w| w.split_whitespace()).collect();
    let dry = |word: &str| matches!(word.trim_matches(['"', '\'']), "--dry-run" | "-d");
    if words.iter().any(|w| dry(w)) {
        return Some("`--dry-run` in the command".to_string());
    }
    if words.iter().any(|w| matches!(*w, "--no-profile" | "-P")) {
        return None;
    }
    let mut profiles: Vec<&str> = words
        .windows(2)
        .filter(|pair| matches!(pair[0], "-p" | "--profile"))
        .map(|pair| pair[1])
        .chain(words.iter().filter_map(|w| w.strip_prefix("--profile=")))
        .collect();
    if profiles.is_empty() {
        profiles.push("default");
    }
    let file = PROFILE_FILES.iter().find(|f| dir.join(f).is_file())?;
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    profiles.into_iter().find_map(|profile| {
        let value = profile_text(&text, profile)?;
        value
            .split_whitespace()
            .any(dry)
            .then(|| format!("`--dry-run` in the `{profile}` profile of {file}"))
    })
}

/// The text of `profile` in a profile file: its line's value and the
/// indented lines after it.
fn profile_text(text: &str, profile: &str) -> Option<String> {
    let mut lines = text.lines();
    let first = lines.find_map(|line| {
        let rest = line.strip_prefix(profile)?.trim_start();
        rest.strip_prefix(':')
    })?;
    let more = lines.take_while(|line| line.starts_with([' ', '\t']) || line.trim().is_empty());
    Some(std::iter::once(first).chain(more).collect::<Vec<_>>().join(" "))
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
    fn a_dry_run_is_found_in_the_command_and_in_the_profile_it_uses() {
        let dir = tempfile::tempdir().unwrap();
        let words = |text: &str| -> Vec<String> { text.split(' ').map(String::from).collect() };
        let asked = |text: &str| dry_run_asked(&words(text), dir.path());
        assert_eq!(asked("cucumber --dry-run").unwrap(), "`--dry-run` in the command");
        assert!(asked("cucumber -d").is_some());
        assert_eq!(asked("cucumber --format json"), None);
        std::fs::write(
            dir.path().join("cucumber.yml"),
            "default: --format pretty\nci:\n  --strict\n  --dry-run\nfast: -d\n",
        )
        .unwrap();
        assert_eq!(asked("cucumber"), None);
        assert_eq!(
            asked("cucumber -p ci").unwrap(),
            "`--dry-run` in the `ci` profile of cucumber.yml"
        );
        assert!(asked("cucumber --profile=fast").is_some());
        assert_eq!(asked("cucumber -p ci --no-profile"), None);
        assert!(asked("sh -c 'cucumber --dry-run features'").is_some());
    }

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
