//! What a CI user reads and gets at the end of a run (issue 13): the
//! actionable report, with real pytest in both result formats.

use std::process::Command;

use crate::support::pytest::{FAILING, FLAKY, bktec, project};
use crate::support::{TestDir, Venv, venv};

/// The lines of the report's section that starts with `heading`, up to the
/// next blank line.
fn section(stdout: &str, heading: &str) -> Vec<String> {
    let start = stdout
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}` in\n{stdout}"));
    stdout[start + heading.len()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn flaky_and_failing() -> TestDir {
    project(&[
        ("tests/test_fail.py", FAILING),
        ("tests/test_flaky.py", FLAKY),
        (
            "tests/sub/test_class.py",
            "class TestCart:\n    def test_total(self):\n        assert 3 == 4\n",
        ),
    ])
}

#[test]
fn the_report_names_failed_and_flaky_tests_by_node_id_in_both_formats() {
    let mut reports = Vec::new();
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = flaky_and_failing();
        let out = bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .output();
        out.assert_exit(1);
        let stdout = out.stdout();
        let failed = section(&stdout, "+++ Failed Tests:");
        let flaky = section(&stdout, "Flaky tests (failed, then passed on a retry):");
        let slowest = section(&stdout, "Slowest tests on this node:");
        assert!(
            stdout.contains("To reproduce the failures, run:\npytest "),
            "{stdout}"
        );
        assert_eq!(slowest.len(), 5, "{stdout}");
        // Each failed line pasted after `pytest` runs that very test.
        for line in &failed {
            let id = line.strip_prefix("- ").expect("a list entry");
            let status = Command::new(venv(which).join("pytest"))
                .args(["-q", "-p", "no:cacheprovider", id])
                .current_dir(dir.path())
                .output()
                .expect("run pytest");
            assert_eq!(
                status.status.code(),
                Some(1),
                "{id} did not run as one failing test"
            );
        }
        reports.push((failed, flaky));
    }
    assert_eq!(
        reports[0].0,
        [
            "- tests/sub/test_class.py::TestCart::test_total",
            "- tests/test_fail.py::test_broken",
        ]
    );
    assert_eq!(reports[0].1, ["- tests/test_flaky.py::test_flaky"]);
    assert_eq!(reports[0], reports[1], "JSON and JUnit mode differ");
}

/// Reads a JUnit file with junitparser (from PyPI, in the test Python
/// environment), an independent reader: one line per test case, `classname
/// name result`, then the count of Surefire's flaky and rerun elements,
/// which junitparser leaves alone, from the standard library's parser.
fn read_with_junitparser(path: &std::path::Path) -> Vec<String> {
    const SCRIPT: &str = r#"
import sys
import xml.etree.ElementTree as ET
from junitparser import JUnitXml
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        kinds = [type(r).__name__.lower() for r in case.result] or ["passed"]
        print(case.classname, case.name, ",".join(kinds), case.time)
root = ET.parse(sys.argv[1]).getroot()
for tag in ["flakyFailure", "rerunFailure"]:
    print(tag, len(root.findall(".//" + tag)))
"#;
    let out = Command::new(venv(Venv::Collector).join("python"))
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn junit_out_merges_every_attempt_and_is_read_alike_by_bktec_and_junitparser() {
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = flaky_and_failing();
        let out = bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "ci/merged.xml")
            .output();
        out.assert_exit(1).assert_stdout_contains(
            "Wrote the JUnit report of all attempts (5 tests) to `ci/merged.xml`",
        );
        let path = dir.path().join("ci/merged.xml");
        // bktec's own parser: each test once, with its final outcome.
        let parsed = bktec::results::parse(
            &path,
            bktec::results::ResultFormat::JUnitXml,
            bktec::results::Mapping::Pytest,
        )
        .unwrap();
        let mut got: Vec<(String, String)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.clone(), t.outcome.as_str().to_string()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "tests/sub/test_class.py::TestCart::test_total".into(),
                    "failed".into()
                ),
                ("tests/test_fail.py::test_broken".into(), "failed".into()),
                ("tests/test_fail.py::test_ok".into(), "passed".into()),
                ("tests/test_flaky.py::test_flaky".into(), "passed".into()),
                ("tests/test_flaky.py::test_steady".into(), "passed".into()),
            ],
            "{which:?}"
        );
        let broken = parsed
            .tests
            .iter()
            .find(|t| t.name == "test_broken")
            .unwrap();
        assert!(
            broken
                .failure
                .as_ref()
                .unwrap()
                .details
                .contains("assert 1 == 2"),
            "{which:?}: {broken:?}"
        );
        // junitparser: the same tests and outcomes; durations; one flaky
        // run (test_flaky's first), two reruns (the failures' first runs).
        let mut lines = read_with_junitparser(&path);
        let counts = lines.split_off(lines.len() - 2);
        lines.sort();
        let outcomes: Vec<String> = lines
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
            .collect();
        assert_eq!(
            outcomes,
            [
                "tests.sub.test_class.TestCart test_total failure",
                "tests.test_fail test_broken failure",
                "tests.test_fail test_ok passed",
                "tests.test_flaky test_flaky passed",
                "tests.test_flaky test_steady passed",
            ],
            "{which:?}"
        );
        assert!(
            lines
                .iter()
                .all(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().is_ok()),
            "{lines:?}"
        );
        assert_eq!(counts, ["flakyFailure 1", "rerunFailure 2"], "{which:?}");
    }
}

#[test]
fn junit_out_that_cannot_be_written_fails_a_green_run() {
    let dir = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    dir.write("ci/merged.xml/keep", "a directory where the file should go");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "ci/merged.xml"])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "bktec run: failed to write the JUnit report `ci/merged.xml` (from --junit-out)",
    );
}
