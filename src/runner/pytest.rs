//! pytest (behaviour document 7.2, 7.3, 7.6; D13, D14, D18).

use std::process::Command;

use super::RunnerKind;
use super::detect;
use super::framework::{Detect, Framework, History, Init, key_by_node_id};
use super::pytest_collect::{
    CollectorVersionError, check_tag_filter_support, collector_version, run_probe,
};
use crate::config::elements::{RunnerRules, Targets};
use super::setup::{ExitHandling, ResultFile, Runner, RunnerError, RunnerInputs};
use super::template::CommandTemplate;
use super::witness::{PluginLoading, WitnessSite};
use crate::results::{Mapping, ResultFormat};

const JSON_COMMAND: &str = "pytest {{testExamples}} --json={{resultPath}}";
const JUNIT_COMMAND: &str = "pytest {{testExamples}} --junit-xml={{resultPath}}";

/// The test command pytest runs when none is configured, and what chose it:
/// collector JSON when buildkite-test-collector is installed, else JUnit XML
/// (D14). Configuration applies it (`resolve`), so `bktec config` shows it.
pub(crate) fn default_command(collector_installed: bool) -> (&'static str, &'static str) {
    if collector_installed {
        (JSON_COMMAND, "buildkite-test-collector found")
    } else {
        (JUNIT_COMMAND, "buildkite-test-collector not found")
    }
}

/// Whether `buildkite_test_collector` can be imported, asking `python3`, then
/// `python` (D14). A missing interpreter means "not installed"; so does one
/// that does not answer within its deadline or that a signal stopped (the
/// signal then ends bktec at its next step).
pub(crate) fn collector_installed() -> bool {
    const PROBE: &str =
        "import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]) is not None)";
    ["python3", "python"].iter().any(|python| {
        run_probe(Command::new(python).args(["-c", PROBE, "buildkite_test_collector"])).is_ok_and(
            |out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "True",
        )
    })
}

/// What bktec knows about pytest, the first-class runner.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "pytest",
    rules: RunnerRules {
        default_pattern: Some("**/{*_test,test_*}.py"),
        default_command: Some(default_command),
        requires_result_path: false,
        user_defined: false,
        tag_filters: true,
        discovery_by_pytest: true,
        targets: Targets::Walk,
    },
    skips_hidden_and_venv_dirs: true,
    node_ids: true,
    announces_result_format: true,
    mapping: Mapping::Pytest,
    collects_with_pytest: true,
    fail_fast_options: &[],
    example_listing: None,
    roster: None,
    history: Some(History {
        format: ResultFormat::CollectorJson,
        key: key_by_node_id,
    }),
    build: Some(|inputs, probe| pytest(inputs, probe)),
    init: Init {
        detect: Some(Detect {
            rank: 7,
            finds: detect::pytest_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: None,
    },
};

/// Builds the pytest runner. The format is decided by the option holding
/// `{{resultPath}}` (D30), else the test command's options, else the
/// collector probe (D14).
pub(crate) fn pytest(
    inputs: RunnerInputs<'_>,
    probe: impl FnOnce() -> bool,
) -> Result<Runner, RunnerError> {
    pytest_with(inputs, probe, collector_version)
}

/// [`pytest`], with the collector's version query injectable for tests.
pub(super) fn pytest_with(
    inputs: RunnerInputs<'_>,
    probe: impl FnOnce() -> bool,
    version: impl FnOnce() -> Result<String, CollectorVersionError>,
) -> Result<Runner, RunnerError> {
    let mut probe = Some(probe);
    let mut installed: Option<bool> = None;
    let mut is_installed =
        || *installed.get_or_insert_with(|| (probe.take().expect("probed once"))());
    if inputs.tag_filters.is_some() {
        check_tag_filter_support(is_installed(), version).map_err(RunnerError::Preflight)?;
    }
    let configured_template = inputs.test_command.cloned();
    let names = |option: &str| {
        configured_template
            .as_ref()
            .is_some_and(|t| t.words().iter().any(|w| w.contains(option)))
    };
    // D30: the option holding `{{resultPath}}` decides; without one, the
    // command's options, then the collector probe (D14).
    let held = configured_template
        .as_ref()
        .and_then(CommandTemplate::result_format);
    let format = match held {
        Some(format) => format,
        None if names("--junit-xml") => ResultFormat::JUnitXml,
        None if names("--json=") => ResultFormat::CollectorJson,
        None => {
            if is_installed() {
                ResultFormat::CollectorJson
            } else {
                ResultFormat::JUnitXml
            }
        }
    };
    // The format is collector JSON or JUnit XML, by the choice above.
    let (default_command, file_name) = if format == ResultFormat::JUnitXml {
        (JUNIT_COMMAND, "pytest-results.xml")
    } else {
        (JSON_COMMAND, "pytest-results.json")
    };
    let test = match configured_template {
        Some(template) => template,
        None => Runner::parse_template("test command", default_command)?,
    };
    let retry = inputs
        .retry_command
        .cloned()
        .unwrap_or_else(|| test.clone());
    RunnerError::refuse_dry_run("pytest", [&test, &retry], |words| {
        dry_run_asked(words, inputs.pytest_addopts)
    })?;
    let (path, temp_dir) = match inputs.result_path {
        Some(path) => (path.to_path_buf(), None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("bktec-pytest-")
                .tempdir()
                .map_err(RunnerError::TempDir)?;
            (dir.path().join(file_name), Some(dir))
        }
    };
    Ok(Runner {
        result: Some(ResultFile { path, format }),
        // Tag filters also apply when running, so a local or fallback plan
        // runs only the tagged tests too.
        extra_args: inputs
            .tag_filters
            .map(|f| vec!["--tag-filters".to_string(), f.to_string()])
            .unwrap_or_default(),
        exit_rules: pytest_exit_rules,
        temp_dir,
        witness: Some(
            WitnessSite::create(PluginLoading {
                python_path: inputs.python_path,
                pytest_plugins: inputs.pytest_plugins,
                autoload_off: autoload_off(&inputs, &test),
            })
            .map_err(RunnerError::TempDir)?,
        ),
        pytest_addopts: inputs.pytest_addopts.map(String::from),
        ..Runner::new(RunnerKind::Pytest, test, retry)
    })
}

/// The options that make pytest run no test: it only collects them, or
/// only sets their fixtures up (D37).
const DRY_RUNS: [&str; 4] = ["--collect-only", "--co", "--setup-only", "--setup-plan"];

/// Where the command `words` (a script's split on white space) or
/// `PYTEST_ADDOPTS` ask for a run of no test ([`DRY_RUNS`]).
fn dry_run_asked(words: &[String], addopts: Option<&str>) -> Option<String> {
    let dry = |text: &str| {
        text.split_whitespace()
            .map(|word| word.trim_matches(['"', '\'']))
            .find(|word| DRY_RUNS.contains(word))
            .map(String::from)
    };
    if let Some(option) = words.iter().find_map(|word| dry(word)) {
        return Some(format!("`{option}` in the command"));
    }
    addopts
        .and_then(dry)
        .map(|option| format!("`{option}` in PYTEST_ADDOPTS"))
}

/// Whether pytest will load no plugin automatically, as far as bktec can
/// see: `PYTEST_DISABLE_PLUGIN_AUTOLOAD` in its environment, or
/// `--disable-plugin-autoload` in the test command or `PYTEST_ADDOPTS`
/// (D36). A variable or option set inside a script or an ini file is not
/// seen: then the witness does not load, and the result file alone counts.
fn autoload_off(inputs: &RunnerInputs<'_>, test: &CommandTemplate) -> bool {
    const OPTION: &str = "--disable-plugin-autoload";
    // A command that sets its own PYTHONPATH, or runs `python -I`, hides
    // the plugin's directory: naming the plugin in PYTEST_PLUGINS would
    // then stop pytest with an import error (status 4) instead of running
    // without the witness.
    let hides_site = test
        .words()
        .iter()
        .any(|w| w.contains("PYTHONPATH=") || w == "-I");
    !hides_site
        && (inputs
        .pytest_disable_plugin_autoload
        .is_some_and(|v| !v.is_empty())
        || test.words().iter().any(|w| w == OPTION)
        || inputs
            .pytest_addopts
            .is_some_and(|a| a.split_whitespace().any(|w| w == OPTION)))
}

/// Behaviour document 7.6: 0 and 1 are test outcomes; 2 (interrupted or
/// collection errors) is read in JSON mode but ends the run; 5 means no
/// tests were collected (D23: no tests on this node); anything else is not
/// read. A signalled attempt is read (the file may be stale or absent).
fn pytest_exit_rules(runner: &Runner, code: Option<i32>) -> ExitHandling {
    let json = runner
        .result
        .as_ref()
        .is_some_and(|r| r.format == ResultFormat::CollectorJson);
    match code {
        None | Some(0 | 1) => ExitHandling::Parse,
        Some(2) if json => ExitHandling::ParseThenError(
            "pytest exited with status 2 (interrupted, or errors during collection)".to_string(),
        ),
        Some(5) => ExitHandling::NoTests,
        Some(_) => ExitHandling::Skip,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn t(text: &str) -> CommandTemplate {
        CommandTemplate::parse(text).unwrap()
    }

    #[test]
    fn the_command_decides_the_format_before_the_probe() {
        let junit = RunnerInputs {
            test_command: Some(&t("python -m pytest --junit-xml={{resultPath}}")),
            ..RunnerInputs::default()
        };
        let r = pytest(junit, || panic!("no probe when the command decides (D14)")).unwrap();
        assert_eq!(r.result_file().unwrap().format, ResultFormat::JUnitXml);
        let r = pytest(RunnerInputs::default(), || true).unwrap();
        assert_eq!(r.result_file().unwrap().format, ResultFormat::CollectorJson);
        assert!(
            r.result_file()
                .unwrap()
                .path
                .ends_with("pytest-results.json")
        );
        assert!(r.owns_result_path());
        let r = pytest(RunnerInputs::default(), || false).unwrap();
        assert_eq!(
            r.argv(&["a.py".into()], 0).unwrap()[2],
            format!("--junit-xml={}", r.result_file().unwrap().path.display())
        );
    }

    #[test]
    fn the_option_holding_the_result_path_decides_the_format() {
        // D30: the extra JUnit file of an annotation step changes nothing.
        let both = RunnerInputs {
            test_command: Some(&t(
                "pytest {{testExamples}} --json={{resultPath}} --junit-xml=j.xml",
            )),
            ..RunnerInputs::default()
        };
        let r = pytest(both, || panic!("no probe when an option holds the path")).unwrap();
        assert_eq!(r.result_file().unwrap().format, ResultFormat::CollectorJson);
        assert!(
            r.result_file()
                .unwrap()
                .path
                .ends_with("pytest-results.json")
        );
        // No option holds it: the older rule (D14).
        let neither = RunnerInputs {
            test_command: Some(&t("pytest {{testExamples}} --junit-xml=j.xml")),
            ..RunnerInputs::default()
        };
        let r = pytest(neither, || panic!("no probe")).unwrap();
        assert_eq!(r.result_file().unwrap().format, ResultFormat::JUnitXml);
    }

    #[test]
    fn retries_use_the_retry_command_or_the_test_command() {
        let inputs = RunnerInputs {
            test_command: Some(&t("pytest -x {{testExamples}} --json={{resultPath}}")),
            retry_command: None,
            result_path: Some(Path::new("out/r.json")),
            tag_filters: None,
            ..RunnerInputs::default()
        };
        let r = pytest(inputs, || true).unwrap();
        assert_eq!(
            r.argv(&["t.py::a".into()], 1).unwrap(),
            ["pytest", "-x", "t.py::a", "--json=out/r.json"]
        );
        assert!(!r.owns_result_path());
    }

    /// With autoloading off, the witness is named in PYTEST_PLUGINS, unless
    /// the command hides its directory, where naming it would stop pytest
    /// (D36).
    #[test]
    fn autoload_is_off_as_far_as_bktec_can_see() {
        let command = |text| t(text);
        let inputs = |env: Option<&'static str>, addopts: Option<&'static str>| RunnerInputs {
            pytest_disable_plugin_autoload: env,
            pytest_addopts: addopts,
            ..RunnerInputs::default()
        };
        let plain = command("pytest {{testExamples}}");
        assert!(autoload_off(&inputs(Some("1"), None), &plain));
        assert!(!autoload_off(&inputs(Some(""), None), &plain));
        assert!(!autoload_off(&inputs(None, None), &plain));
        assert!(autoload_off(
            &inputs(None, Some("-q --disable-plugin-autoload")),
            &plain
        ));
        let flag = command("pytest --disable-plugin-autoload {{testExamples}}");
        assert!(autoload_off(&inputs(None, None), &flag));
        for hiding in [
            "env PYTHONPATH=src pytest {{testExamples}}",
            "python -I -m pytest {{testExamples}}",
            "sh -c 'PYTHONPATH=src pytest \"$@\"' sh {{testExamples}}",
        ] {
            assert!(!autoload_off(&inputs(Some("1"), None), &command(hiding)), "{hiding}");
        }
    }

    #[test]
    fn exit_codes() {
        let json = pytest(RunnerInputs::default(), || true).unwrap();
        let junit = pytest(RunnerInputs::default(), || false).unwrap();
        assert_eq!(json.exit_handling(Some(1)), ExitHandling::Parse);
        assert!(matches!(
            json.exit_handling(Some(2)),
            ExitHandling::ParseThenError(_)
        ));
        assert_eq!(junit.exit_handling(Some(2)), ExitHandling::Skip);
        assert_eq!(json.exit_handling(Some(5)), ExitHandling::NoTests);
        assert_eq!(junit.exit_handling(Some(4)), ExitHandling::Skip);
        assert_eq!(json.exit_handling(None), ExitHandling::Parse);
    }
}
