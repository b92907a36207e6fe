//! gotest's retries run only the failed tests (D46), as gotestsum's
//! `--rerun-fails` does: the failed packages, with `-run` anchored on the
//! failed tests' top-level names (`-run '^(TestA|TestB)$'`). A failed
//! subtest reruns its top-level test with all its subtests, as gotestsum's
//! `--rerun-fails-run-root-test` does: subtests often share their parent's
//! state, and the per-test proof (D38) counts top-level tests. A failure
//! that is the package's own (its `TestMain`), or that ended the package's
//! test binary (a panic, `-timeout`, `os.Exit`) so that its later tests never
//! ran, reruns the whole package.

use std::path::Path;

use super::super::setup::Prepared;
use super::super::target::TargetProblem;
use super::super::template::{CommandTemplate, TEST_EXAMPLES};
use crate::results::{BINARY_EXITED, TestResult};

/// Between a package and its top-level test in a retry's target
/// (`example.com/m/cart::TestTotal`): no import path holds it.
const SEPARATOR: &str = "::";

/// What a retry runs for `test`, and what a retry's result answers for:
/// `<package>::<top-level test>`, or the package alone where the whole
/// package must run again.
pub(super) fn retry_key(test: &TestResult) -> String {
    let top = test.name.split('/').next().unwrap_or_default();
    let ended_the_binary = test
        .failure
        .as_ref()
        .is_some_and(|f| ended_the_binary(&f.details, &test.name));
    if top == "TestMain" || ended_the_binary || !is_identifier(top) {
        return test.path.clone();
    }
    format!("{}{SEPARATOR}{top}", test.path)
}

/// Whether the failure `details` of test `name` show that the package's
/// test binary ended while it ran: Go's `panic: ` line (a panic,
/// `-timeout`); bktec's note on a test cut off by its package's end
/// (`os.Exit`, in `go test -json` lines); or, in gotestsum's JUnit, where a
/// failure holds all the test printed, its `=== RUN` line without the
/// `--- FAIL` line Go prints when a test ends.
fn ended_the_binary(details: &str, name: &str) -> bool {
    details.contains(BINARY_EXITED)
        || details.lines().any(|l| l.starts_with("panic: "))
        || (details.lines().any(|l| l.trim_end() == format!("=== RUN   {name}"))
            && !details.contains(&format!("--- FAIL: {name} (")))
}

/// Whether `name` is a Go identifier, as the name of a top-level test
/// function is: nothing in it is special to a regular expression.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The package of a retry's target (`<package>::<test>` or a package).
pub(super) fn package_of(target: &str) -> &str {
    split(target).map_or(target, |(package, _)| package)
}

/// A retry's target as its package and top-level test.
fn split(target: &str) -> Option<(&str, &str)> {
    target
        .rsplit_once(SEPARATOR)
        .filter(|(package, test)| !package.is_empty() && is_identifier(test))
}

/// The packages of `tests` once each, in their order; for a retry, followed
/// by `-run` and a pattern matching exactly the failed top-level tests.
/// One `go test` takes one `-run` for all its packages, so a test of the
/// same name in another retried package runs again too; and a package that
/// must run whole (D46) makes the retry run every package whole.
pub(super) fn failed_tests_by_package(
    tests: Vec<String>,
    retry: bool,
) -> Result<Prepared, (String, TargetProblem)> {
    let mut packages: Vec<String> = Vec::with_capacity(tests.len());
    let mut names: Vec<&str> = Vec::new();
    let mut whole = !retry;
    for test in &tests {
        let package = match split(test) {
            Some((package, name)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
                package
            }
            None => {
                whole = true;
                test.as_str()
            }
        };
        if !packages.iter().any(|p| p == package) {
            packages.push(package.to_string());
        }
    }
    if !whole && !names.is_empty() {
        packages.push("-run".to_string());
        packages.push(format!("^({})$", names.join("|")));
    }
    Ok(Prepared {
        tests: packages,
        name_pattern: None,
    })
}

/// Whether a retry through `template` can be narrowed to the failed tests:
/// the packages are words of their own, given to `go test` (directly, in a
/// `sh -c` script, or through gotestsum or richgo), before any `-args`; and
/// the command has no `-run` of its own (bktec does not narrow a selection
/// it cannot read) nor `-failfast` (whose first attempt leaves later tests
/// unrun, which only a whole package runs). Otherwise retries run whole
/// packages, as before.
pub(super) fn narrows(template: &CommandTemplate) -> bool {
    if template.joins_tests() {
        return false;
    }
    let words = template.program_words();
    let name = |word: &str| {
        Path::new(word)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let go = |at: usize| {
        let program = name(&words[at]);
        let go = program == "go" || program.starts_with("go1.") || program == "richgo";
        go && words.get(at + 1).is_some_and(|w| w == "test")
    };
    let Some(program) = (0..words.len()).find(|&at| go(at) || name(&words[at]) == "gotestsum")
    else {
        return false;
    };
    let rest = &words[program + 1..];
    let end = rest
        .iter()
        .position(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&"))
        .unwrap_or(rest.len());
    let rest = &rest[..end];
    let args = rest
        .iter()
        .position(|w| w == "-args" || w == "--args")
        .unwrap_or(rest.len());
    let placed = rest.iter().position(|w| w == TEST_EXAMPLES);
    let mentioned = words.iter().any(|w| w.contains(TEST_EXAMPLES));
    let placed_well = match placed {
        Some(at) => at < args,
        // Appended after the words: only where nothing follows the command.
        None => !mentioned && !template.runs_script() && end == rest.len() && args == rest.len(),
    };
    placed_well && !rest.iter().any(|w| filters_tests(w))
}

/// Whether `word` is a `-run` or `-failfast` of `go test` or its test
/// binary (`-test.run=...`), in any spelling.
fn filters_tests(word: &str) -> bool {
    let flag = word
        .strip_prefix("--")
        .or_else(|| word.strip_prefix('-'))
        .unwrap_or_default();
    let name = flag.split_once('=').map_or(flag, |(name, _)| name);
    let name = name.strip_prefix("test.").unwrap_or(name);
    matches!(name, "run" | "failfast")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Failure, Outcome};

    fn result(name: &str, details: Option<&str>) -> TestResult {
        TestResult {
            scope: "example.com/m/a".into(),
            name: name.into(),
            path: "example.com/m/a".into(),
            identifier: String::new(),
            outcome: Outcome::Failed,
            duration: None,
            failure: details.map(|d| Failure::from_details(d.to_string())),
            output: None,
            location: None,
        }
    }

    #[test]
    fn a_failed_test_retries_its_top_level_test_and_a_package_failure_the_package() {
        let key = |name: &str, details: Option<&str>| retry_key(&result(name, details));
        assert_eq!(key("TestA", None), "example.com/m/a::TestA");
        assert_eq!(key("TestA/sub_case#01", None), "example.com/m/a::TestA");
        assert_eq!(key("TestMain", None), "example.com/m/a");
        let panic = "--- FAIL\npanic: boom [recovered]\n\tpanic: boom";
        assert_eq!(key("TestA", Some(panic)), "example.com/m/a");
        assert_eq!(key("TestA", Some(BINARY_EXITED)), "example.com/m/a");
        // gotestsum's JUnit: the test started and never ended.
        assert_eq!(key("TestA", Some("=== RUN   TestA\n")), "example.com/m/a");
        let ended = "=== RUN   TestA\n    a_test.go:3: no\n--- FAIL: TestA (0.00s)\n";
        assert_eq!(key("TestA", Some(ended)), "example.com/m/a::TestA");
        // A message that merely quotes a panic is indented by `t.Error`.
        let quoted = "    a_test.go:3: want panic: x";
        assert_eq!(key("TestA", Some(quoted)), "example.com/m/a::TestA");
        // A name no Go function has (a hostile result file) is no pattern.
        assert_eq!(key("Test.*", None), "example.com/m/a");
    }

    #[test]
    fn a_retry_runs_its_packages_with_one_anchored_pattern() {
        let prepared = |tests: &[&str], retry: bool| {
            let tests = tests.iter().map(|t| t.to_string()).collect();
            failed_tests_by_package(tests, retry).unwrap().tests
        };
        assert_eq!(
            prepared(&["m/a::TestA", "m/b::TestB", "m/a::TestC", "m/b::TestA"], true),
            ["m/a", "m/b", "-run", "^(TestA|TestB|TestC)$"]
        );
        // A package that must run whole runs every package whole.
        assert_eq!(prepared(&["m/a::TestA", "m/b"], true), ["m/a", "m/b"]);
        // The first attempt runs packages.
        assert_eq!(prepared(&["m/a", "m/a"], false), ["m/a"]);
        // `::` that is not followed by a test name is part of the package.
        assert_eq!(prepared(&["./-x::y.z"], true), ["./-x::y.z"]);
        assert_eq!(package_of("m/a::TestA"), "m/a");
    }

    #[test]
    fn only_a_command_bktec_can_read_is_narrowed() {
        let narrows = |command: &str| {
            let command = command.replace("{{packages}}", TEST_EXAMPLES);
            narrows(&CommandTemplate::parse(&command).unwrap())
        };
        for yes in [
            "gotestsum --jsonfile={{resultPath}} {{packages}}",
            "gotestsum --jsonfile={{resultPath}} -- -tags=x {{packages}} -count=1",
            "go test -json {{packages}}",
            "/opt/go/bin/go test -json {{packages}} -args -v",
            "sh -c 'go test -json {{packages}} > {{resultPath}}'",
            "richgo test {{packages}}",
            "gotestsum --jsonfile={{resultPath}}",
        ] {
            assert!(narrows(yes), "{yes}");
        }
        for no in [
            "gotestsum --jsonfile={{resultPath}} -- -run TestA {{packages}}",
            "go test -json {{packages}} -run=TestA",
            "go test -json {{packages}} -args -test.run=TestA",
            "go test -json -failfast {{packages}}",
            "go test -json --failfast=true {{packages}}",
            "go test -json -args {{packages}}",
            "make test PKGS={{packages}}",
            "sh -c 'go test -json \"pkgs: {{packages}}\" > {{resultPath}}'",
            "sh -c 'go test -json > {{resultPath}} && echo {{packages}}'",
        ] {
            assert!(!narrows(no), "{no}");
        }
    }
}
