//! pytest's holes of issue 19 (D36): with real pytest, each case here ended
//! green without proof before. The cache plugin's selection (`--lf`,
//! `--sw`), nested pytest sessions, plugins that do not autoload, test files
//! whose names are not UTF-8, and hooks that drop tests without deselecting
//! them.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use crate::support::pytest::{PASSING, bktec, project, write_plan};
use crate::support::{TestDir, Venv};

/// `test_a1` passes, `test_a2` fails.
const HALF_FAILING: &str = "def test_a1():\n    pass\n\ndef test_a2():\n    assert False\n";

/// A project whose cache says `test_a1` and `test_b` failed last time, and
/// whose stepwise cache says the run stopped at `test_b`: pytest's cache
/// plugin then leaves the failing `test_a2` out.
fn cached_project(extra: &[(&str, &str)]) -> TestDir {
    let mut files = vec![
        ("tests/test_a.py", HALF_FAILING),
        ("tests/test_b.py", "def test_b():\n    pass\n"),
        (
            ".pytest_cache/v/cache/lastfailed",
            r#"{"tests/test_a.py::test_a1": true, "tests/test_b.py::test_b": true}"#,
        ),
        (
            ".pytest_cache/v/cache/stepwise",
            r#"{"last_failed": "tests/test_b.py::test_b", "last_test_count": 3,
                "last_cache_date_str": "2026-01-01T00:00:00"}"#,
        ),
    ];
    files.extend_from_slice(extra);
    project(&files)
}

const NEVER_RAN: &str = "of the first run never ran: tests/test_a.py::test_a";

#[test]
fn the_cache_plugin_leaving_out_a_failing_test_is_not_green() {
    for option in ["--lf", "--sw", "--stepwise-skip", "--last-failed"] {
        let dir = cached_project(&[]);
        bktec(&dir, Venv::Collector)
            .env("PYTEST_ADDOPTS", option)
            .output()
            .assert_exit(17)
            .assert_stdout_contains(NEVER_RAN)
            .assert_stdout_contains("bktec: pytest's cache plugin (--lf, --sw) deselected");
    }
    // From the ini file's addopts, and from the test command.
    let dir = cached_project(&[("pytest.ini", "[pytest]\naddopts = --lf\n")]);
    bktec(&dir, Venv::NoCollector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .output()
        .assert_exit(17)
        .assert_stdout_contains(NEVER_RAN);
    let dir = cached_project(&[]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "pytest --sw {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains(NEVER_RAN);
    // pytest-xdist's workers say what the cache plugin took away, under
    // discovery by pytest too (whose own collection ignores the cache).
    for discovery in ["pattern", "pytest"] {
        let dir = cached_project(&[]);
        bktec(&dir, Venv::NoCollector)
            .env("PYTEST_ADDOPTS", "--lf")
            .args([
                "run",
                "--discovery",
                discovery,
                "--test-command",
                "pytest -n 2 {{testExamples}} --junit-xml={{resultPath}}",
            ])
            .output()
            .assert_exit(17)
            .assert_stdout_contains(NEVER_RAN);
    }
}

#[test]
fn lf_with_nothing_to_run_is_not_green() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    let out = bktec(&dir, Venv::Collector)
        .env("PYTEST_ADDOPTS", "--lf --lfnf none")
        .output();
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
}

/// Where the cache selects nothing (a fresh checkout) or only reorders
/// (`--ff`, `--nf`), the run is judged as any other: these options never
/// break a legitimate run.
#[test]
fn cache_options_that_leave_nothing_out_change_nothing() {
    let dir = project(&[("tests/test_a.py", PASSING), ("tests/test_b.py", PASSING)]);
    for option in ["--lf", "--sw", "--ff", "--nf", "--lf -k test_one"] {
        bktec(&dir, Venv::Collector)
            .env("PYTEST_ADDOPTS", option)
            .output()
            .assert_success();
    }
    // `--ff` runs the failing test it moved first: red, as without it.
    let dir = cached_project(&[]);
    bktec(&dir, Venv::Collector)
        .env("PYTEST_ADDOPTS", "--ff")
        .output()
        .assert_exit(1)
        .assert_stdout_contains("- tests/test_a.py::test_a2\n");
}

/// A test of a pytest plugin: runs an inner test file with pytester, in
/// the same process and in a subprocess. The inner tests check that bktec
/// is nowhere in the inner session.
const PLUGIN_TEST: &str = r#"
INNER = """
import os

def test_inner_alone(request):
    manager = request.config.pluginmanager
    assert manager.get_plugin("bktec-witness") is None
    assert manager.get_plugin("bktec-allow") is None
    assert "BKTEC_WITNESS" not in os.environ
    assert "BKTEC_WITNESS_ALLOW" not in os.environ

def test_inner_fails():
    assert False
"""

def test_in_process(pytester):
    pytester.makepyfile(test_inner=INNER)
    pytester.runpytest().assert_outcomes(passed=1, failed=1)

def test_in_a_subprocess(pytester):
    pytester.makepyfile(test_inner=INNER)
    pytester.runpytest_subprocess().assert_outcomes(passed=1, failed=1)
"#;

#[test]
fn nested_pytest_sessions_run_as_without_bktec() {
    let dir = project(&[
        ("conftest.py", "pytest_plugins = [\"pytester\"]\n"),
        ("tests/test_plugin.py", PLUGIN_TEST),
        ("tests/test_other.py", PASSING),
    ]);
    for discovery in ["pattern", "pytest"] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--discovery", discovery, "--result-path", "r.json"])
            .output();
        out.assert_success();
        // The outer witness was not overwritten: the outer tests count.
        let results = fs::read_to_string(dir.path().join("r.json")).unwrap();
        assert!(results.contains("test_in_a_subprocess"), "{results}");
        assert!(!results.contains("test_inner"), "{results}");
    }
}

/// A teardown error beside a muted failure.
fn teardown_project() -> TestDir {
    let dir = project(&[
        (
            "tests/test_td.py",
            "import pytest\n\n@pytest.fixture\ndef broken():\n    yield\n    raise RuntimeError('teardown')\n\ndef test_td(broken):\n    pass\n",
        ),
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
    dir
}

const BY_NAME: &str =
    "pytest -p buildkite_test_collector.pytest_plugin {{testExamples}} --json={{resultPath}}";

#[test]
fn with_plugin_autoload_off_a_teardown_error_is_red() {
    let dir = teardown_project();
    bktec(&dir, Venv::Collector)
        .env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        .args(["run", "--plan-file", "plan.json", "--test-command", BY_NAME])
        .output()
        .assert_exit(1)
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_td.py::test_td\n");
    // pytest's own option, and the user's PYTEST_PLUGINS kept beside ours.
    let command = "pytest --disable-plugin-autoload {{testExamples}} --json={{resultPath}}";
    bktec(&dir, Venv::Collector)
        .env("PYTEST_PLUGINS", "buildkite_test_collector.pytest_plugin")
        .args(["run", "--plan-file", "plan.json", "--test-command", command])
        .output()
        .assert_exit(1)
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_td.py::test_td\n");
    // Named by the user as well, it loads once.
    bktec(&dir, Venv::Collector)
        .env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        .env("PYTEST_PLUGINS", "bktec_witness")
        .args(["run", "--plan-file", "plan.json", "--test-command", BY_NAME])
        .output()
        .assert_exit(1);
}

#[test]
fn with_plugin_autoload_off_a_collector_that_did_not_load_is_an_error() {
    let dir = teardown_project();
    bktec(&dir, Venv::Collector)
        .env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        .args(["run", "--plan-file", "plan.json"])
        .output()
        .assert_exit(4)
        .assert_stdout_contains(
            "plugins do not load automatically there (PYTEST_DISABLE_PLUGIN_AUTOLOAD)",
        );
}

/// Writes a test file whose name holds the byte 0xff.
fn write_non_utf8_test(dir: &TestDir) {
    let mut name = b"tests/test_".to_vec();
    name.push(0xff);
    name.extend_from_slice(b".py");
    fs::write(
        dir.path().join(OsStr::from_bytes(&name)),
        "def test_x():\n    assert False\n",
    )
    .unwrap();
}

#[test]
fn a_test_file_whose_name_is_not_utf8_is_refused_by_name() {
    let dir = project(&[("tests/test_ok.py", PASSING)]);
    write_non_utf8_test(&dir);
    // A directory of that kind without test files changes nothing.
    let mut data = b"data_".to_vec();
    data.push(0xe9);
    fs::create_dir(dir.path().join(OsStr::from_bytes(&data))).unwrap();
    bktec(&dir, Venv::Collector)
        .output()
        .assert_exit(16)
        .assert_stderr_contains("the test file `tests/test_\\xff.py` (found with pattern \"**/{*_test,test_*}.py\" from default for runner `pytest`) has a name that is not UTF-8");
    bktec(&dir, Venv::Collector)
        .args(["run", "--discovery", "pytest"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "pytest collected tests in `tests/test_\\xff.py`, whose name is not UTF-8",
        );
    let listed = bktec(&dir, Venv::Collector)
        .args(["list", "--discovery", "pytest"])
        .output();
    assert!(
        !listed.stderr().contains("without bktec's pytest plugin"),
        "{}",
        listed.stderr()
    );
    // In a directory whose name is not UTF-8, it is refused the same way.
    let nested = project(&[("tests/test_ok.py", PASSING)]);
    let dir_name = nested.path().join(OsStr::from_bytes(b"caf\xe9"));
    fs::create_dir(&dir_name).unwrap();
    fs::write(dir_name.join("test_x.py"), PASSING).unwrap();
    bktec(&nested, Venv::Collector)
        .output()
        .assert_exit(16)
        .assert_stderr_contains("the test file `caf\\xe9/test_x.py`");
    // Left out by an exclude pattern, it is no target.
    bktec(&dir, Venv::Collector)
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN",
            "tests/test_?xff.py",
        )
        .output()
        .assert_success();
}

/// Drops `tests/test_b.py`'s tests without deselecting them.
const DROPPING_CONFTEST: &str = "def pytest_collection_modifyitems(items):\n    items[:] = [i for i in items if 'test_b' not in i.nodeid]\n";

#[test]
fn tests_a_hook_drops_without_deselecting_are_unproven_with_and_without_the_witness() {
    let dir = project(&[
        ("conftest.py", DROPPING_CONFTEST),
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", "def test_b():\n    assert False\n"),
    ]);
    bktec(&dir, Venv::Collector)
        .output()
        .assert_exit(17)
        .assert_stdout_contains(
            "selected test of the first run never ran: tests/test_b.py::test_b\n",
        )
        .assert_stdout_contains("bktec: a hook dropped without deselecting 1 test(s)");
    bktec(&dir, Venv::NoCollector)
        .args([
            "run",
            "--test-command",
            "pytest -n 2 {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("never ran: tests/test_b.py::test_b\n");
    bktec(&dir, Venv::NoCollector)
        .args([
            "run",
            "--test-command",
            "pytest -p no:bktec_witness {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains(
            "1 assigned target produced no result, so its tests may never have run",
        );
}

/// Drops every collected test without deselecting one: pytest says 5.
const DROPPING_ALL_CONFTEST: &str =
    "def pytest_collection_modifyitems(items):\n    items[:] = []\n";

/// D36: when a hook drops every test, pytest's 5 does not make a job
/// without tests, with the witness or without it: the files hold tests.
#[test]
fn a_hook_that_drops_every_test_is_no_job_without_tests() {
    let dir = project(&[
        ("conftest.py", DROPPING_ALL_CONFTEST),
        ("tests/test_a.py", PASSING),
    ]);
    bktec(&dir, Venv::Collector).output().assert_exit(5);
    bktec(&dir, Venv::NoCollector)
        .args([
            "run",
            "--test-command",
            "pytest -p no:bktec_witness {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output()
        .assert_exit(5);
    // A file of helpers alone is still a job without tests.
    let helpers = project(&[("tests/test_helpers.py", "VALUE = 1\n")]);
    bktec(&helpers, Venv::NoCollector)
        .args([
            "run",
            "--test-command",
            "pytest -p no:bktec_witness {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output()
        .assert_success();
}
