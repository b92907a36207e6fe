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
        assert!(stdout.contains("To reproduce the failures, run:\npytest "), "{stdout}");
        assert_eq!(slowest.len(), 5, "{stdout}");
        // Each failed line pasted after `pytest` runs that very test.
        for line in &failed {
            let id = line.strip_prefix("- ").expect("a list entry");
            let status = Command::new(venv(which).join("pytest"))
                .args(["-q", "-p", "no:cacheprovider", id])
                .current_dir(dir.path())
                .output()
                .expect("run pytest");
            assert_eq!(status.status.code(), Some(1), "{id} did not run as one failing test");
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
