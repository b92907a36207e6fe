//! The witness (D23): bktec's own pytest plugin records what the result
//! file cannot show. With real pytest and the real collector, each case here
//! exited 0 before the witness.

use std::fs;

use crate::support::Venv;
use crate::support::pytest::{FAILING, FLAKY, PASSING, bktec, project, write_plan};

const TEARDOWN_ERROR: &str = r#"
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown failed")

def test_td(broken_teardown):
    assert True
"#;

/// Fails on its first run, passes afterwards.
const FLAKY_ONLY: &str = r#"
import pathlib

MARK = pathlib.Path(__file__).with_name("ran")

def test_flaky():
    first = not MARK.exists()
    MARK.write_text("1")
    assert not first
"#;

#[test]
fn a_teardown_error_is_not_washed_out_by_a_passing_retry() {
    let dir = project(&[
        ("tests/test_td.py", TEARDOWN_ERROR),
        ("tests/test_flaky.py", FLAKY_ONLY),
    ]);
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--test-engine-retry-count", "1"])
        .output();
    // The errored test is retried with the flaky one, and errors again.
    out.assert_exit(1)
        .assert_stdout_contains("tests/test_flaky.py::test_flaky tests/test_td.py::test_td --json=")
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_td.py::test_td\n");
}

#[test]
fn a_muted_failure_beside_a_teardown_error_is_red() {
    let dir = project(&[
        ("tests/test_td.py", TEARDOWN_ERROR),
        (
            "tests/test_muted.py",
            "def test_muted():\n    assert False\n",
        ),
    ]);
    write_plan(
        &dir,
        &["tests/test_muted.py", "tests/test_td.py"],
        &[("tests/test_muted.py", "test_muted")],
    );
    bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "plan.json"])
        .output()
        .assert_exit(1)
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_td.py::test_td\n");
}

#[test]
fn deselecting_every_test_is_not_an_empty_node() {
    let dir = project(&[
        ("tests/test_pass.py", PASSING),
        ("pytest.ini", "[pytest]\naddopts = -k nothing_matches\n"),
    ]);
    for which in [Venv::Collector, Venv::NoCollector] {
        let out = bktec(&dir, which).output();
        out.assert_exit(5);
        assert!(
            !out.stdout().contains("No tests to run"),
            "{}",
            out.stdout()
        );
    }
}

#[test]
fn pytest_exit_0_in_the_middle_of_a_run_is_not_proven() {
    let dir = project(&[
        (
            "tests/test_a.py",
            "import pytest\n\ndef test_1():\n    pass\n\ndef test_2():\n    pytest.exit('enough', returncode=0)\n\ndef test_3():\n    pass\n",
        ),
        ("tests/test_b.py", FAILING),
    ]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_exit(17)
        .assert_stdout_contains("- 4 selected tests of the first run never ran: tests/test_a.py::test_2, tests/test_a.py::test_3, tests/test_b.py::test_ok and 1 more\n")
        .assert_stdout_contains("- 1 assigned target produced no result, so its tests may never have run\n");
    // Without the witness (turned off), the silent file is collected to see
    // whether it holds tests: it does, so still not green.
    let out = bktec(&dir, Venv::NoCollector)
        .args([
            "run",
            "--test-command",
            "pytest -p no:bktec_witness {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output();
    out.assert_exit(17).assert_stdout_contains(
        "- 1 assigned target produced no result, so its tests may never have run\n",
    );
    assert!(!out.stdout().contains("never ran:"), "{}", out.stdout());
    // Plugins that do not autoload are no way around the witness (D36).
    bktec(&dir, Venv::NoCollector)
        .env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        .output()
        .assert_exit(17)
        .assert_stdout_contains(
            "selected tests of the first run never ran: tests/test_a.py::test_2",
        );
}

#[test]
fn x_stopping_inside_a_file_with_a_muted_failure_is_red() {
    let dir = project(&[(
        "tests/test_a.py",
        "def test_1_muted():\n    assert False\n\ndef test_2_real():\n    assert False\n",
    )]);
    write_plan(
        &dir,
        &["tests/test_a.py"],
        &[("tests/test_a.py", "test_1_muted")],
    );
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-command",
            "pytest -x {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(1)
        .assert_stdout_contains(
            "- 1 selected test of the first run never ran: tests/test_a.py::test_2_real\n",
        );
}

#[test]
fn a_file_never_hides_behind_one_of_the_same_name() {
    let dir = project(&[
        ("a/__init__.py", ""),
        ("a/test_x.py", "def test_muted():\n    assert False\n"),
        ("b/__init__.py", ""),
        ("b/test_x.py", "def test_bad():\n    assert False\n"),
    ]);
    write_plan(
        &dir,
        &["a/test_x.py", "b/test_x.py"],
        &[("a/test_x.py", "test_muted")],
    );
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-command",
            "pytest -x {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(1)
        .assert_stdout_contains("1 assigned target produced no result:\n- b/test_x.py\n");
}

#[test]
fn node_ids_relative_to_a_rootdir_below_the_working_directory_cover_their_files() {
    // pytest.ini in py/ makes py/ the rootdir: node ids read `tests/...`.
    let dir = project(&[
        ("py/pytest.ini", "[pytest]\n"),
        ("py/tests/test_a.py", PASSING),
        ("py/tests/test_b.py", PASSING),
    ]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_success()
        .assert_stdout_contains("✅ All tests passed.");
    assert!(
        !out.stdout().contains("produced no result"),
        "{}",
        out.stdout()
    );
}

#[test]
fn the_witness_leaves_no_file_behind() {
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    bktec(&dir, Venv::Collector)
        .env("TMPDIR", tmp.display().to_string())
        .output()
        .assert_success();
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn junit_results_in_a_directory_with_a_dot_keep_their_node_ids() {
    // `tests.sub.dir.test_big` cannot say which dots were directories; the
    // witness names the tests, so the passing run is green and the flaky
    // test's retry runs the right node id.
    let dir = project(&[("tests/sub.dir/test_big.py", FLAKY)]);
    bktec(&dir, Venv::NoCollector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", "r.xml"])
        .output()
        .assert_success()
        .assert_stdout_contains("tests/sub.dir/test_big.py::test_flaky");
}
