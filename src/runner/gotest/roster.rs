//! gotest's per-test proof (D37, D38): before the first attempt,
//! `go test -list` names the tests of the job's packages, with the test
//! command's build flags and the environment it runs in, and every listed
//! test must then report a result. A `-run` or `-skip` in the command or in
//! `GOFLAGS` hides tests from the run, never from the listing: Go's
//! `-list` reads no other filter.

use std::collections::BTreeMap;
use std::process::Command;

use serde::Deserialize;

use super::super::framework::Roster;
use super::super::pytest_collect::{CollectError, printed, run_collection};
use super::super::setup::Runner;
use super::super::target::{TargetOrigin, target_args};
use super::flags::{GoFlags, go_flags};
use crate::results::TestResult;

/// The listing's name in messages.
const TOOL: &str = "go test -list";

/// How gotest proves per test what ran.
pub(super) const ROSTER: Roster = Roster {
    tool: TOOL,
    list: list_tests,
    key: test_key,
    // It runs `go` itself, with the command's build flags (D38).
    through_command: false,
};

/// The tests of `packages`, each `<import path> <test>`, as `go test
/// -list` names them with the test command's flags: tests, fuzz targets
/// (their seed corpus runs as tests) and examples with output, not
/// benchmarks. A package without tests lists nothing.
fn list_tests(runner: &Runner, packages: &[String]) -> Result<Vec<String>, CollectError> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let packages =
        target_args(packages, &TargetOrigin::Plan).map_err(|err| CollectError::target(TOOL, err))?;
    let flags = go_flags(&runner.test);
    if let Some(pattern) = subtest_filter(runner, &flags) {
        return Err(CollectError::failed(
            TOOL,
            format!(
                "`{pattern}` selects subtests, which `go test -list` cannot name, so no listing can show which ran; leave subtest patterns out of the command and GOFLAGS"
            ),
        ));
    }
    let mut command = Command::new(&flags.go);
    // `-C` must come first; vet is the run's business, not the listing's.
    command
        .arg("test")
        .args(&flags.build)
        .args(&flags.test)
        .args(["-json", "-vet=off", "-list", "."])
        .args(&packages)
        .envs(flags.env);
    let output = run_collection(&mut command, runner.collect_deadline)
        .map_err(|err| CollectError::process(TOOL, err))?;
    let printed = || printed([&output.stderr, &output.stdout]);
    if !output.status.success() {
        return Err(CollectError::failed(
            TOOL,
            format!("{}\n{}", output.status, printed()),
        ));
    }
    Ok(listed(&output.stdout))
}

/// A `-run` or `-skip` pattern with a `/` part, in the test command or in
/// the `GOFLAGS` that `go env` reports for it: it hides subtests, which the
/// listing cannot name, while their test still answers (D38).
fn subtest_filter(runner: &Runner, flags: &GoFlags) -> Option<String> {
    let mut command = Command::new(&flags.go);
    command.args(["env", "GOFLAGS"]).envs(flags.env.clone());
    let goflags = run_collection(&mut command, runner.collect_deadline)
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    let words: Vec<&str> = runner
        .test
        .words()
        .iter()
        .flat_map(|word| word.split_whitespace())
        .chain(goflags.split_whitespace())
        .collect();
    let filters = ["-run", "-skip", "-test.run", "-test.skip"];
    words.iter().enumerate().find_map(|(i, word)| {
        let word = word.trim_matches(['"', '\'']);
        let plain = word.strip_prefix('-').filter(|w| w.starts_with('-')).unwrap_or(word);
        let (name, value) = match plain.split_once('=') {
            Some((name, value)) => (name, value.to_string()),
            None => (plain, words.get(i + 1)?.trim_matches(['"', '\'']).to_string()),
        };
        (filters.contains(&name) && value.contains('/')).then(|| format!("{name}={value}"))
    })
}

/// One line of `go test -json -list`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Line {
    #[serde(default)]
    action: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    output: Option<String>,
}

/// The tests in `stdout`, by package: what each package's test binary
/// printed that is a test's name (a `TestMain` may print more).
fn listed(stdout: &[u8]) -> Vec<String> {
    let mut by_package: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let Ok(line) = serde_json::from_str::<Line>(line) else {
            continue;
        };
        // A listed name is the package's output; one attributed to a test
        // is taken too, so a Go that frames the listing differently lists
        // more, never less.
        if line.action != "output" || line.package.is_empty() {
            continue;
        }
        let Some(name) = line.output.as_deref().map(str::trim) else {
            continue;
        };
        if is_listed_test(name) {
            by_package
                .entry(line.package)
                .or_default()
                .push(name.to_string());
        }
    }
    by_package
        .into_iter()
        .flat_map(|(package, tests)| {
            tests
                .into_iter()
                .map(move |test| format!("{package} {test}"))
        })
        .collect()
}

/// Whether `name` is a test `go test` runs, as Go's `isTest` tells:
/// `Test`, `Fuzz` or `Example`, then nothing or not a lower-case letter;
/// `TestMain` is not a test, nor is a benchmark.
fn is_listed_test(name: &str) -> bool {
    let identifier = name.chars().all(|c| c.is_alphanumeric() || c == '_');
    let prefixed = ["Test", "Fuzz", "Example"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_lowercase()))
    });
    identifier && prefixed && name != "TestMain"
}

/// The listed test a result answers for: its package and its top-level
/// test (a subtest `TestA/sub` answers for `TestA`), as the results of
/// `go test -json` name them (scope: the package).
fn test_key(result: &TestResult) -> Option<String> {
    let test = result.name.split('/').next()?;
    Some(format!("{} {test}", result.scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Outcome;

    #[test]
    fn tests_examples_and_fuzz_targets_are_listed_by_package() {
        let line = |pkg: &str, output: &str| {
            serde_json::json!({"Action": "output", "Package": pkg, "Output": format!("{output}\n")})
                .to_string()
        };
        let stdout = [
            line("m/b", "TestB"),
            line("m/a", "TestOne"),
            line("m/a", "BenchmarkB"),
            line("m/a", "FuzzF"),
            line("m/a", "ExampleRun"),
            line("m/a", "setting up the database"),
            line("m/a", "Testing"),
            line("m/a", "TestMain"),
            line("m/a", "Test_under"),
            line("m/a", "ok  \tm/a\t0.002s"),
            r#"{"Action":"pass","Package":"m/a"}"#.to_string(),
            r#"{"Action":"output","Package":"m/c","Test":"TestC","Output":"TestC\n"}"#.to_string(),
            "go: downloading x".to_string(),
        ]
        .join("\n");
        assert_eq!(
            listed(stdout.as_bytes()),
            [
                "m/a TestOne",
                "m/a FuzzF",
                "m/a ExampleRun",
                "m/a Test_under",
                "m/b TestB",
                "m/c TestC"
            ]
        );
    }

    #[test]
    fn a_subtest_answers_for_its_test() {
        let result = |name: &str| TestResult {
            location: None,
            scope: "example.com/m/a".into(),
            name: name.into(),
            path: "example.com/m/a".into(),
            identifier: String::new(),
            outcome: Outcome::Passed,
            duration: None,
            failure: None,
            output: None,
        };
        assert_eq!(
            test_key(&result("TestA/sub/deeper")).as_deref(),
            Some("example.com/m/a TestA")
        );
        assert_eq!(
            test_key(&result("FuzzF/seed#0")).as_deref(),
            Some("example.com/m/a FuzzF")
        );
    }
}
