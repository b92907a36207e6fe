//! Green means proven (D23): with real pytest and the real collector, every
//! way a run used to exit 0 without proof now exits non-zero, and the quiet
//! cases (skipped modules, helper modules, nodes without tests) stay green.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;

use crate::support::pytest::{FAILING, PASSING, bktec, project, write_plan};
use crate::support::{TestDir, Venv, run_jobs, venv};

const HELPER: &str = "def helper():\n    return 42\n";
const MODULE_SKIP: &str = "import pytest\npytest.skip('not on this platform', allow_module_level=True)\n\ndef test_never():\n    assert False\n";
const SOME_SKIPPED: &str = "import pytest\n\n@pytest.mark.skip(reason='later')\ndef test_later():\n    assert False\n\ndef test_now():\n    assert True\n";

#[test]
fn exit_0_without_a_result_file_is_not_proven() {
    // The command forgot `--json={{resultPath}}`: pytest passes, nothing is written.
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    bktec(&dir, Venv::Collector)
        .args(["run", "--test-command", "pytest {{testExamples}}"])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("pytest exited with status 0, but the tests did not prove success:\n- the results of the first run could not be read: failed to read result file")
        .assert_stderr_contains("bktec run: the tests did not prove success (exit status 17)");
}

#[test]
fn exit_0_with_a_garbage_result_file_is_not_proven() {
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--result-path",
            "out/r.json",
            "--test-command",
            "sh -c 'pytest \"$@\" --json=out/r.json; echo garbage > out/r.json' sh {{testExamples}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("is not valid test collector JSON");
}

#[test]
fn exit_0_with_no_result_for_any_target_is_not_proven() {
    // `--co` where bktec cannot see it (a variable the command sets for
    // itself): pytest collects and says 0.
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    for command in [
        "env PYTEST_ADDOPTS=--co pytest {{testExamples}} --json={{resultPath}}",
        "env PYTEST_ADDOPTS=--co pytest {{testExamples}} --junit-xml={{resultPath}}",
    ] {
        bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output()
            .assert_exit(17)
            .assert_stdout_contains(
                "- the results report no test at all for the 1 assigned target\n",
            );
    }
}

/// D37: options that make pytest run no test (`--co`, `--collect-only`,
/// `--setup-only`, `--setup-plan`), in the command, the retry command or
/// `PYTEST_ADDOPTS`, are refused with 16 before anything runs.
#[test]
fn a_pytest_dry_run_bktec_can_see_is_refused() {
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    let refused = |out: crate::support::RunOutput, found: &str| {
        out.assert_exit(16)
            .assert_stderr_contains(&format!("runs pytest as a dry run ({found})"));
        assert!(!out.stdout().contains("Running tests"), "{}", out.stdout());
    };
    let command = "pytest --co {{testExamples}} --json={{resultPath}}";
    refused(
        bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output(),
        "`--co` in the command",
    );
    refused(
        bktec(&dir, Venv::Collector)
            .args([
                "run",
                "--retry-command",
                "pytest --setup-only {{testExamples}}",
            ])
            .output(),
        "`--setup-only` in the command",
    );
    refused(
        bktec(&dir, Venv::Collector)
            .env("PYTEST_ADDOPTS", "-q --setup-plan")
            .output(),
        "`--setup-plan` in PYTEST_ADDOPTS",
    );
}

#[test]
fn exit_0_with_a_junit_failure_is_not_proven() {
    // `|| true` hides pytest's status; the JUnit file still records the failure.
    let dir = project(&[("tests/test_fail.py", FAILING)]);
    for retries in ["0", "1"] {
        bktec(&dir, Venv::NoCollector)
            .args([
                "run",
                "--result-path",
                "out/r.xml",
                "--test-engine-retry-count",
                retries,
                "--test-command",
                "sh -c 'pytest \"$@\" --junit-xml=out/r.xml || true' sh {{testExamples}}",
            ])
            .output()
            .assert_exit(17)
            .assert_stdout_contains("🚨 The tests did not prove success.")
            .assert_stdout_contains("- 1 test failed and did not pass on a retry\n");
    }
}

#[test]
fn a_retry_command_that_runs_nothing_is_not_proven() {
    let dir = project(&[("tests/test_fail.py", FAILING)]);
    for retry in [
        "true {{testExamples}}",
        "env PYTEST_ADDOPTS=--co pytest {{testExamples}} --json={{resultPath}}",
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args([
                "run",
                "--test-engine-retry-count",
                "1",
                "--retry-command",
                retry,
            ])
            .output();
        out.assert_exit(17)
            .assert_stdout_contains("🚨 The tests did not prove success.")
            .assert_stdout_contains("- 1 test failed and did not pass on a retry\n");
        if retry.contains("pytest") {
            out.assert_stdout_contains(
                "- retry 1 reported no result for 1 test it was asked to run: tests/test_fail.py::test_broken\n",
            );
        } else {
            out.assert_stdout_contains("- the results of retry 1 could not be read");
        }
    }
}

#[test]
fn a_muted_failure_under_x_does_not_hide_files_that_never_ran() {
    // `pytest -x` stops at the muted failure in a_test.py, so b_test.py,
    // which fails for real, never runs. 9.5 alone would turn pytest's 1 into 0.
    let dir = project(&[
        ("tests/a_test.py", "def test_muted():\n    assert False\n"),
        ("tests/b_test.py", FAILING),
    ]);
    write_plan(
        &dir,
        &["tests/a_test.py", "tests/b_test.py"],
        &[("tests/a_test.py", "test_muted")],
    );
    for retries in ["0", "2"] {
        bktec(&dir, Venv::Collector)
            .args([
                "run",
                "--plan-file",
                "plan.json",
                "--test-engine-retry-count",
                retries,
                "--test-command",
                "pytest -x {{testExamples}} --json={{resultPath}}",
            ])
            .output()
            .assert_exit(1)
            .assert_stdout_contains("1 assigned target produced no result:\n- tests/b_test.py\n")
            .assert_stdout_contains("Only muted tests failed, but the run cannot be passed:\n")
            .assert_stdout_contains("- 2 selected tests of the first run never ran: tests/b_test.py::test_ok, tests/b_test.py::test_broken\n")
            .assert_stdout_contains("- 1 assigned target produced no result, so its tests may never have run\n")
            .assert_stderr_contains("pytest exited with error: exit status 1");
    }
    // Without -x every file answers, and the muted-only rule holds.
    bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "plan.json"])
        .output()
        .assert_exit(1)
        .assert_stdout_contains("+++ Failed Tests:\n- tests/b_test.py::test_broken\n");
}

#[test]
fn a_muted_failure_beside_helper_modules_stays_green() {
    // The helper and the wholly skipped module produce no result, but pytest
    // proves they hold no tests, so nothing was missed.
    let dir = project(&[
        ("tests/a_test.py", "def test_muted():\n    assert False\n"),
        ("tests/test_helpers.py", HELPER),
        ("tests/test_platform.py", MODULE_SKIP),
    ]);
    write_plan(
        &dir,
        &[
            "tests/a_test.py",
            "tests/test_helpers.py",
            "tests/test_platform.py",
        ],
        &[("tests/a_test.py", "test_muted")],
    );
    bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "plan.json"])
        .output()
        .assert_success()
        .assert_stdout_contains("✅ Build passed. Some muted tests failed.")
        .assert_stdout_contains("2 assigned targets produced no result:\n- tests/test_helpers.py\n- tests/test_platform.py\n");
}

#[test]
fn quiet_cases_stay_green_and_are_listed() {
    let dir = project(&[
        ("tests/test_pass.py", PASSING),
        ("tests/test_helpers.py", HELPER),
        ("tests/test_platform.py", MODULE_SKIP),
        ("tests/test_some_skipped.py", SOME_SKIPPED),
    ]);
    for which in [Venv::Collector, Venv::NoCollector] {
        // A module-level skip has no result in collector JSON, and in JUnit
        // one named after the module, not the file: either way the file is
        // listed, and the run stays green.
        bktec(&dir, which)
            .output()
            .assert_success()
            .assert_stdout_contains(
                "2 assigned targets produced no result:\n- tests/test_helpers.py\n- tests/test_platform.py\n",
            );
    }
}

#[test]
fn a_node_of_test_less_and_skipped_files_has_no_tests() {
    let dir = project(&[
        ("tests/test_helpers.py", HELPER),
        ("tests/test_platform.py", MODULE_SKIP),
    ]);
    for which in [Venv::Collector, Venv::NoCollector] {
        bktec(&dir, which)
            .output()
            .assert_success()
            .assert_stdout_contains("No tests to run on this node (pytest collected no tests from the 2 targets assigned to it)");
    }
}

#[test]
fn a_collection_error_is_never_no_tests() {
    let dir = project(&[
        ("tests/test_helpers.py", HELPER),
        ("tests/test_broken.py", "import does_not_exist\n"),
    ]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_exit(2);
    assert!(
        !out.stdout().contains("No tests to run"),
        "{}",
        out.stdout()
    );
}

/// The node ids real pytest collects in `dir`.
fn collected(dir: &TestDir) -> BTreeSet<String> {
    let out = std::process::Command::new(venv(Venv::Collector).join("pytest"))
        .args(["--collect-only", "-q", "-p", "no:cacheprovider"])
        .current_dir(dir.path())
        .output()
        .expect("run pytest --collect-only");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("::"))
        .map(str::to_string)
        .collect()
}

#[test]
fn three_jobs_cover_every_test_once_and_only_jobs_with_failures_are_red() {
    let mut files: Vec<(String, &str)> = Vec::new();
    for i in 0..5 {
        files.push((format!("tests/test_pass_{i}.py"), PASSING));
    }
    files.push(("tests/test_fail_a.py".into(), FAILING));
    files.push(("tests/test_fail_b.py".into(), FAILING));
    files.push(("tests/test_some_skipped.py".into(), SOME_SKIPPED));
    files.push(("tests/test_platform.py".into(), MODULE_SKIP));
    files.push(("tests/test_helpers.py".into(), HELPER));
    let dir = TestDir::new();
    for (path, content) in &files {
        dir.write(path, content);
    }
    let n = 3;
    let plan_out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", n.to_string())
        .args(["plan", "--plan-out", "plan.json"])
        .output();
    plan_out.assert_success();
    let plan: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("plan.json")).unwrap()).unwrap();
    let outputs = run_jobs(n, |i| {
        bktec(&dir, Venv::Collector).args([
            "run",
            "--result-path",
            &format!("results/node-{i}.json"),
        ])
    });
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    for (i, out) in outputs.into_iter().enumerate() {
        let out = out.output;
        let assigned: Vec<&str> = plan["tasks"][i.to_string()]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["path"].as_str().unwrap())
            .collect();
        let holds_failure = assigned.iter().any(|p| p.contains("test_fail_"));
        let want = if holds_failure { 1 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "node {i} with {assigned:?}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = dir.path().join(format!("results/node-{i}.json"));
        let results: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for t in results.as_array().unwrap() {
            let id = format!(
                "{}::{}",
                t["scope"].as_str().unwrap(),
                t["name"].as_str().unwrap()
            );
            *runs.entry(id).or_default() += 1;
        }
    }
    let all = collected(&dir);
    assert_eq!(all.len(), 5 * 2 + 2 * 2 + 2, "{all:?}");
    let ran: BTreeSet<String> = runs.keys().cloned().collect();
    assert_eq!(ran, all, "the jobs together run every collected test");
    assert!(
        runs.values().all(|&c| c == 1),
        "no test runs twice: {runs:?}"
    );
}

#[test]
fn a_failure_that_is_skipped_on_retry_is_not_settled() {
    // D23 (b): only a later pass settles a failure.
    let dir = project(&[(
        "tests/test_skip_on_retry.py",
        "import pathlib, pytest\n\nMARK = pathlib.Path(__file__).with_name('ran')\n\ndef test_fail_then_skip():\n    if MARK.exists():\n        pytest.skip('flaky infrastructure')\n    MARK.write_text('1')\n    assert False\n",
    )]);
    for which in [Venv::Collector, Venv::NoCollector] {
        let _ = fs::remove_file(dir.path().join("tests/ran"));
        bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .output()
            .assert_exit(17)
            // (JUnit names the scope by its classname: `tests.test_skip_on_retry`.)
            .assert_stdout_contains("+++ Failed Tests:\n- tests")
            .assert_stdout_contains("test_skip_on_retry")
            .assert_stdout_contains("- 1 test failed and did not pass on a retry\n");
    }
}

#[test]
fn a_result_path_that_is_not_a_file_is_refused_and_kept() {
    let dir = project(&[("tests/test_pass.py", PASSING)]);
    fs::create_dir(dir.path().join("results")).unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    for path in ["results", "pipe"] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--result-path", path])
            .output();
        out.assert_exit(16)
            .assert_stderr_contains("bktec run: unusable result path")
            .assert_stderr_contains(
                "bktec replaces a stale result file before each attempt and will not remove it",
            );
        assert!(!out.stdout().contains("Running tests"), "{}", out.stdout());
    }
    assert!(dir.path().join("results").is_dir());
    let kind = fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the FIFO is kept"
    );
}

#[test]
fn a_fail_fast_option_with_retries_is_refused_for_every_runner_that_has_one() {
    // With retries, the retry of the first failure could pass while the
    // tests after it never ran, and no result would say so (D23).
    let dir = TestDir::new();
    for (runner, command) in [
        (
            "rspec",
            "rspec --fail-fast {{testExamples}} --format json --out {{resultPath}}",
        ),
        (
            "cucumber",
            "cucumber --fail-fast {{testExamples}} --format json --out {{resultPath}}",
        ),
        (
            "jest",
            "npx jest --bail=1 {{testExamples}} --json --outputFile={{resultPath}}",
        ),
        (
            "vitest",
            "npx vitest run --bail 1 {{testExamples}} --reporter=json --outputFile={{resultPath}}",
        ),
        ("playwright", "npx playwright test -x {{testExamples}}"),
    ] {
        dir.bktec()
            .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", runner)
            .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "r.json")
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
            .env("BUILDKITE_TEST_ENGINE_TEST_CMD", command)
            .arg("run")
            .output()
            .assert_exit(16)
            .assert_stderr_contains(
                "which stops the run at the first failure, and retries are on (1)",
            )
            .assert_stderr_contains("(from env BUILDKITE_TEST_ENGINE_TEST_CMD)");
    }
}

/// A wrapper script that passes pytest only its first target: the other
/// target, which holds a failing test, never runs. The witness saw an
/// empty selection for it only because pytest was never given it; that is
/// no proof that it holds no tests, so the run is not green (D23).
#[test]
fn a_target_the_test_command_never_hands_to_pytest_is_not_proven_empty() {
    let dir = project(&[
        ("tests/test_ok.py", PASSING),
        ("tests/test_zbad.py", FAILING),
    ]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "sh -c 'pytest --json={{resultPath}} \"$1\"' sh {{testExamples}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("tests/test_zbad.py");
}

/// pytest given a directory may not collect every file of the job from it
/// (a file outside `python_files`): being inside a directory pytest was
/// given proves nothing about a silent target, so the run is not green.
#[test]
fn a_target_pytest_only_saw_inside_a_directory_is_not_proven_empty() {
    let dir = project(&[("tests/test_a.py", PASSING), ("tests/b_check.py", FAILING)]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-file-pattern",
            "tests/*.py",
            "--test-command",
            "sh -c 'pytest tests --json={{resultPath}}' sh {{testExamples}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("tests/b_check.py");
}

/// A split file's tests are targets of their own: pytest given one of them
/// was not given the others, so a wrapper that drops a node id does not
/// make the dropped test "proven empty".
#[test]
fn a_dropped_node_id_of_a_split_file_is_not_proven_empty() {
    let dir = project(&[("tests/test_big.py", FAILING)]);
    write_plan(
        &dir,
        &[
            "tests/test_big.py::test_ok",
            "tests/test_big.py::test_broken",
        ],
        &[],
    );
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-command",
            "sh -c 'pytest --json={{resultPath}} \"$1\"' sh {{testExamples}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("tests/test_big.py::test_broken");
}

#[test]
fn collector_entries_without_a_result_are_not_results() {
    // Under `--setup-plan` or `--setup-only` pytest runs no test and says
    // 0; the collector writes every test with no `result` ("has no result
    // set"). Without the witness (the command's own PYTHONPATH hides it)
    // these entries used to count as results: "Proven per file", exit 0,
    // with a failing test in the run.
    let dir = project(&[
        ("tests/test_broken.py", FAILING),
        ("tests/test_c.py", PASSING),
    ]);
    for option in ["--setup-plan", "--setup-only"] {
        let command = format!(
            "env PYTEST_ADDOPTS={option} PYTHONPATH=. pytest {{{{testExamples}}}} --json={{{{resultPath}}}}"
        );
        bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", &command])
            .output()
            .assert_exit(17)
            .assert_stdout_contains("2 assigned targets produced no result:\n- tests/test_broken.py\n- tests/test_c.py\n")
            .assert_stdout_contains(
                "- the results report no test at all for the 2 assigned targets\n",
            );
    }
}

/// A conftest hook that starts and finishes `test_b.py`'s tests without
/// running them: the collector writes them with no result.
const SILENT_RUNS: &str = r#"
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if "test_b" not in item.nodeid:
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"#;

#[test]
fn a_file_whose_entries_have_no_result_is_silent_beside_one_that_ran() {
    // `test_a.py` passes; `test_b.py`'s failing test never runs and pytest
    // says 0. Its entry without a result used to prove the file ("Proven
    // per file", exit 0); now the file is silent, and holds a test.
    let dir = project(&[
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", FAILING),
        ("conftest.py", SILENT_RUNS),
    ]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "env PYTHONPATH=. pytest {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(17)
        .assert_stdout_contains("1 assigned target produced no result:\n- tests/test_b.py\n")
        .assert_stdout_contains(
            "- 1 assigned target produced no result, so its tests may never have run\n",
        );
}
