//! `go test` through gotestsum (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2,
//! 13.1). Targets are packages, from `go list`; `{{packages}}` takes them one
//! argument each, without duplicates, in plan order (and they are appended
//! when it is absent). A retry runs only the failed tests, by their
//! top-level test, in their packages (`retry`, D46), as gotestsum's
//! `--rerun-fails` does. An exit code other than 0 and 1 (a package that did
//! not build) is not read: the run stops with it. Discovery and the listing
//! read the test command's build flags (`flags`), and the listing proves per
//! test what ran (`roster`, D38).

mod flags;
mod retry;
mod roster;

use std::path::{Path, PathBuf};

use super::RunnerKind;
use super::detect;
use crate::config::elements::{RunnerRules, Targets};
use super::framework::{Detect, Framework, History, Init};
use super::setup::{ExitHandling, Prepared, Runner, RunnerError, RunnerInputs};
use super::target::TargetProblem;
use super::template::{CommandTemplate, RESULT_PATH, TEST_EXAMPLES};
use crate::results::{Mapping, ResultFormat, TestResult};

pub(crate) use flags::{GoFlags, go_flags};

/// `{{packages}}`: the Go packages to test.
const PACKAGES: &str = "{{packages}}";

const COMMAND: &str = "gotestsum --jsonfile={{resultPath}} {{packages}}";

/// What bktec knows about gotest.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "gotest",
    rules: RunnerRules {
        default_pattern: None,
        default_command: Some(|_| (COMMAND, "")),
        requires_result_path: true,
        user_defined: false,
        tag_filters: false,
        discovery_by_pytest: false,
        targets: Targets::GoPackages,
    },
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &[],
    example_listing: None,
    roster: Some(roster::ROSTER),
    history: Some(History {
        format: ResultFormat::GoJsonl,
        key: key_by_package,
    }),
    build: Some(|inputs, _probe| gotest(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 4,
            finds: detect::go_project,
        }),
        result_path: "tmp/bktec-results.jsonl",
        results_note: None,
    },
};

/// Go's key in the timing history (D51): the package, then the top-level
/// test. A subtest's time is part of its test's, and a package's own
/// failure (`TestMain`) has none to keep.
fn key_by_package(test: &TestResult) -> Option<String> {
    let top_level = !test.name.is_empty() && !test.name.contains('/');
    (top_level && test.name != "TestMain").then(|| format!("{}::{}", test.path, test.name))
}

/// Builds the gotest runner. Validation has made sure of a result path.
fn gotest(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let test = packages_template("test command", inputs.test_command, COMMAND)?;
    let retry = match inputs.retry_command {
        Some(_) => packages_template("retry command", inputs.retry_command, COMMAND)?,
        None => test.clone(),
    };
    let prepare = if retry::narrows(&retry) {
        retry::failed_tests_by_package
    } else {
        packages_once
    };
    Ok(Runner {
        result: inputs.result_file(result_format(&test)),
        exit_rules: |_, code| match code {
            None | Some(0 | 1) => ExitHandling::Parse,
            // A package that did not build: the other packages' results
            // are read and reported, and the run stays red (D46).
            Some(2) => ExitHandling::ParseThenError(
                "go test exited with status 2: a package did not build".to_string(),
            ),
            Some(_) => ExitHandling::Skip,
        },
        prepare,
        retry_key: retry::retry_key,
        ..Runner::new(RunnerKind::Gotest, test, retry)
    })
}

/// D30, D39: the option holding `{{resultPath}}` decides the format:
/// gotestsum's `--junitfile` is JUnit XML (its test cases named by package
/// and test, as `go test -json` names them), anything else `go test -json`
/// lines (`--jsonfile`, a script's `> {{resultPath}}`, or no result path in
/// the command: `go test -json` on standard output).
fn result_format(template: &CommandTemplate) -> ResultFormat {
    match template.result_option().as_deref() {
        Some("--junitfile") => ResultFormat::JUnitXml,
        Some(_) | None => ResultFormat::GoJsonl,
    }
}

/// Whether `template` is `go test ... -json ...` and names no result path:
/// its standard output is its results, as the Go client reads it (D39).
fn prints_results(template: &CommandTemplate) -> bool {
    let words = template.words();
    let is_go = words
        .first()
        .is_some_and(|program| Path::new(program).file_name() == Some("go".as_ref()));
    // Words after `-args` go to the test binary, not to `go test`.
    let flags = words.iter().skip(2).take_while(|w| *w != "-args");
    template.script().is_none()
        && is_go
        && words.get(1).is_some_and(|w| w == "test")
        && !template.mentions(RESULT_PATH)
        && flags
            .into_iter()
            .any(|w| matches!(w.as_str(), "-json" | "--json" | "-json=true" | "--json=true"))
}

impl Runner {
    /// Where attempt `attempt` copies the test command's standard output:
    /// the result path, when the command is `go test -json` without a
    /// result path of its own (D39). The output still reaches bktec's.
    pub(crate) fn stdout_copy(&self, attempt: u32) -> Option<PathBuf> {
        let template = if attempt == 0 { &self.test } else { &self.retry };
        let file = self.result.as_ref()?;
        (self.kind == RunnerKind::Gotest
            && file.format == ResultFormat::GoJsonl
            && prints_results(template))
        .then(|| file.path.clone())
    }
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

/// Each package once, in the order they came; a retry's failed test
/// (`<package>::<test>`, D46) runs its whole package.
fn packages_once(tests: Vec<String>, _retry: bool) -> Result<Prepared, (String, TargetProblem)> {
    let mut packages: Vec<String> = Vec::with_capacity(tests.len());
    for test in tests {
        let package = retry::package_of(&test).to_string();
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    Ok(Prepared {
        tests: packages,
        name_pattern: None,
    })
}

/// The module path that `base`'s `go.mod` declares, if any: the prefix of
/// the import paths of the packages below `base`.
pub(crate) fn go_module(base: &Path) -> Option<String> {
    let text = std::fs::read_to_string(base.join("go.mod")).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(|m| m.trim().trim_matches('"').to_string())
}

/// Whether every package of `targets` (import paths under the module of
/// `base`'s `go.mod`, or `./dir`) provably holds no test that `go test`
/// runs: none of its `_test.go` files declares a `Test` or `Fuzz` function,
/// or an `Example` with an `// Output:` comment. A package of benchmarks
/// only reports `[no tests to run]`, as does one whose tests a `-run`
/// filter left out or whose `TestMain` exits early; only its sources tell
/// them apart (D23). Anything unreadable is "cannot tell": `false`.
pub(crate) fn packages_hold_no_tests(targets: &[String], base: &Path) -> bool {
    let Some(module) = go_module(base) else {
        return false;
    };
    !targets.is_empty()
        && targets.iter().all(|target| {
            let dir = if *target == module {
                Some(base.to_path_buf())
            } else if let Some(rest) = target.strip_prefix(&format!("{module}/")) {
                Some(base.join(rest))
            } else {
                target.strip_prefix("./").map(|rest| base.join(rest))
            };
            dir.is_some_and(|dir| package_holds_no_tests(&dir))
        })
}

/// Whether the package in `dir` declares no test `go test` runs.
fn package_holds_no_tests(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut read_any = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with("_test.go") {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(entry.path()) else {
            return false;
        };
        read_any = true;
        let examples_run = source.contains("// Output:") || source.contains("// Unordered output:");
        let runs = source.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with("func Test") && !line.starts_with("func TestMain(")
                || line.starts_with("func Fuzz")
                || (examples_run && line.starts_with("func Example"))
        });
        if runs {
            return false;
        }
    }
    read_any
}

#[cfg(test)]
mod tests {
    use super::*;

    /// D51: a Go test is kept under its package and top-level test; its
    /// subtests and the package's own failure are not.
    #[test]
    fn history_keys_are_package_and_top_level_test() {
        let test = |name: &str| crate::results::TestResult {
            scope: "example.com/m/a".into(),
            name: name.into(),
            path: "example.com/m/a".into(),
            identifier: String::new(),
            outcome: crate::results::Outcome::Passed,
            duration: None,
            failure: None,
            output: None,
            location: None,
        };
        assert_eq!(
            key_by_package(&test("TestTotal")).as_deref(),
            Some("example.com/m/a::TestTotal")
        );
        assert_eq!(key_by_package(&test("TestTotal/empty")), None);
        assert_eq!(key_by_package(&test("TestMain")), None);
    }

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
        assert!(matches!(
            r.exit_handling(Some(2)),
            ExitHandling::ParseThenError(_)
        ));
        assert_eq!(r.exit_handling(Some(3)), ExitHandling::Skip);
        assert_eq!(r.upload_format(), Some(ResultFormat::GoJsonl));
    }

    /// D30, D39: the option holding `{{resultPath}}` decides the format,
    /// and only `go test -json` without a result path is read from its
    /// standard output.
    #[test]
    fn the_result_option_decides_the_format_and_stdout_is_read_only_from_go_test_json() {
        let runner = |command: &str| {
            let template = CommandTemplate::parse(command).unwrap();
            let inputs = RunnerInputs {
                test_command: Some(&template),
                result_path: Some(Path::new("r.out")),
                ..RunnerInputs::default()
            };
            let r = gotest(inputs).unwrap();
            (r.upload_format(), r.stdout_copy(0).is_some())
        };
        let (jsonl, junit) = (Some(ResultFormat::GoJsonl), Some(ResultFormat::JUnitXml));
        for (command, want) in [
            ("gotestsum --junitfile={{resultPath}} {{packages}}", (junit, false)),
            ("gotestsum --junitfile {{resultPath}} {{packages}}", (junit, false)),
            ("gotestsum --jsonfile={{resultPath}} --junitfile=x.xml {{packages}}", (jsonl, false)),
            ("sh -c 'gotestsum --junitfile {{resultPath}} {{packages}}'", (junit, false)),
            ("go test -json {{packages}}", (jsonl, true)),
            ("/usr/local/go/bin/go test -v -json=true {{packages}}", (jsonl, true)),
            ("sh -c 'go test -json {{packages}} > {{resultPath}}'", (jsonl, false)),
            ("go test {{packages}} -args -json", (jsonl, false)),
            ("go test json {{packages}}", (jsonl, false)),
            ("go vet -json {{packages}}", (jsonl, false)),
        ] {
            assert_eq!(runner(command), want, "{command}");
        }
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

    #[test]
    fn only_sources_without_tests_prove_a_package_empty() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("go.mod", "module example.com/m\n");
        write(
            "bench/b_test.go",
            "package bench\nfunc BenchmarkX(b *testing.B) {}\nfunc ExampleY() {}\n",
        );
        write(
            "exit/e_test.go",
            "package exit\nfunc TestMain(m *testing.M) { os.Exit(0) }\nfunc TestNever(t *testing.T) {}\n",
        );
        write(
            "ex/x_test.go",
            "package ex\nfunc ExampleZ() {\n\t// Output: z\n}\n",
        );
        let empty = |targets: &[&str]| {
            let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
            packages_hold_no_tests(&targets, dir.path())
        };
        assert!(empty(&["example.com/m/bench"]));
        assert!(empty(&["./bench"]));
        assert!(
            !empty(&["example.com/m/exit"]),
            "a Test function that never ran"
        );
        assert!(!empty(&["example.com/m/ex"]), "an example with output runs");
        assert!(!empty(&["example.com/m/missing"]));
        assert!(!empty(&["other.org/x"]));
        assert!(!empty(&["example.com/m/bench", "example.com/m/exit"]));
    }
}
