//! `bktec run` against real pytest and the real buildkite-test-collector
//! (behaviour document 7-10; D6, D12-D20).

use std::fs;

use serde_json::{Value, json};

use crate::support::pytest::{FAILING, FLAKY, PASSING, bktec, project as pytest_project};
use crate::support::{TestDir, Venv, venv};

#[test]
fn passing_tests_exit_0_with_a_report() {
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_success()
        .assert_stdout_contains("Using JSON output for pytest results.")
        .assert_stdout_contains("splitting 1 test file locally across 1 node")
        .assert_stdout_contains("✅ All tests passed.")
        .assert_stdout_contains("| Total   |           | 2 |");
    assert!(
        out.stdout()
            .contains("\npytest tests/test_pass.py --json=/"),
        "{}",
        out.stdout()
    );
}

#[test]
fn failing_tests_exit_with_pytest_status_and_are_listed() {
    let dir = pytest_project(&[("tests/test_fail.py", FAILING)]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_exit(1)
        .assert_stdout_contains("❌ Some tests failed.")
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_fail.py::test_broken\n")
        .assert_stderr_contains("pytest exited with error: exit status 1");
    assert!(
        !out.stdout().contains("Attempt 1"),
        "retry count 0 never retries"
    );
}

#[test]
fn flaky_tests_are_retried_by_node_id_and_pass_on_retry() {
    let dir = pytest_project(&[("tests/test_flaky.py", FLAKY)]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", "out/results.json"])
        .output();
    out.assert_success()
        .assert_stdout_contains("♻️ Attempt 1 of 2 to retry failing tests")
        .assert_stdout_contains(
            "\npytest tests/test_flaky.py::test_flaky --json=out/results.json\n",
        )
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("✅ All tests passed; 1 of them only on a retry (flaky).");
    assert!(!out.stdout().contains("Attempt 2"), "{}", out.stdout());
    // Each attempt's results are kept: the first run beside the last.
    let first: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("out/results.attempt-0.json")).unwrap(),
    )
    .unwrap();
    let last: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/results.json")).unwrap())
            .unwrap();
    assert_eq!(first.as_array().unwrap().len(), 2);
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["result"], "passed");

    // A later run that passes at once leaves no copy of the earlier run's
    // failing attempt beside its results.
    dir.write("out/results.attempt-1.json", "[]");
    bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", "out/results.json"])
        .output()
        .assert_success();
    assert!(!dir.path().join("out/results.attempt-0.json").exists());
    assert!(!dir.path().join("out/results.attempt-1.json").exists());
}

#[test]
fn retries_are_used_up_on_persistent_failures() {
    let dir = pytest_project(&[("tests/test_fail.py", FAILING)]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Attempt 2 of 2")
        .assert_stdout_contains("\npytest tests/test_fail.py::test_broken --json=");
}

#[test]
fn collection_errors_are_terminal_even_with_retries_left() {
    let dir = pytest_project(&[
        ("tests/test_broken.py", "def test_x(:\n    pass\n"),
        ("tests/test_fail.py", FAILING),
    ]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3")
        .output();
    out.assert_exit(2)
        .assert_stdout_contains("🚨 pytest collection failed: tests/test_broken.py");
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
}

#[test]
fn pytest_exit_5_is_no_tests_and_4_passes_through() {
    // D23: a node whose files collect no tests has no tests to run.
    let dir = pytest_project(&[("tests/test_empty.py", "# no tests here\n")]);
    bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .output()
        .assert_success()
        .assert_stdout_contains("No tests to run on this node (pytest collected no tests");
    bktec(&dir, Venv::Collector)
        .args(["run", "--fail-on-no-tests"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("no tests assigned to this node");
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "pytest {{testExamples}} --no-such-option --json={{resultPath}}",
        ])
        .output()
        .assert_exit(4)
        .assert_stderr_contains("pytest exited with error: exit status 4");
}

fn write_plan(dir: &TestDir, plan: &Value) {
    dir.write("plan.json", &serde_json::to_string_pretty(plan).unwrap());
}

#[test]
fn muted_only_failures_exit_0_via_plan_file() {
    let dir = pytest_project(&[("tests/test_fail.py", FAILING)]);
    write_plan(
        &dir,
        &json!({
            "parallelism": 1,
            "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/test_fail.py"}]}},
            "muted_tests": [{"scope": "tests/test_fail.py", "name": "test_broken"}],
            "skipped_tests": [{"scope": "tests/test_old.py", "name": "test_gone"}]
        }),
    );
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-engine-retry-count",
            "1",
        ])
        .output();
    out.assert_success()
        .assert_stdout_contains("✅ Build passed. Some muted tests failed.")
        .assert_stdout_contains("Muted tests:\n- tests/test_fail.py::test_broken (failed)\n")
        .assert_stdout_contains("Skipped by Test Engine:\n- tests/test_old.py test_gone\n")
        // D16: muted failures are retried by default.
        .assert_stdout_contains("\npytest tests/test_fail.py::test_broken --json=");
    // With muted retries off, the muted failure is not retried.
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-engine-retry-count",
            "1",
            "--disable-retry-muted",
        ])
        .output();
    out.assert_success();
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
}

#[test]
fn a_plan_without_this_node_runs_nothing() {
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    write_plan(
        &dir,
        &json!({"parallelism": 2, "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/test_pass.py"}]}}}),
    );
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--parallelism",
            "2",
            "--parallel-job",
            "1",
        ])
        .output();
    // D17: a warning, no tests, exit 0; with --fail-on-no-tests, exit 16.
    out.assert_success()
        .assert_stderr_contains("The plan has no task for node 1.")
        .assert_stdout_contains("No tests to run on this node");
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--parallelism",
            "2",
            "--parallel-job",
            "1",
            "--fail-on-no-tests",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("no tests assigned to this node");
}

#[test]
fn file_names_with_shell_characters_run_and_inject_nothing() {
    let name = "tests/test_we ird'q\"$(touch INJECTED);x.py";
    let dir = pytest_project(&[(name, PASSING)]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_success()
        .assert_stdout_contains("| Total   |           | 2 |");
    assert!(!dir.path().join("INJECTED").exists());
    // The printed command is shell-quoted, so it can be pasted.
    out.assert_stdout_contains("'tests/test_we ird'\\''q\"$(touch INJECTED);x.py'");
}

#[test]
fn junit_in_the_test_command_wins_over_the_collector() {
    let dir = pytest_project(&[("tests/test_fail.py", FAILING)]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--test-command",
            "pytest {{testExamples}} -q --junit-xml={{resultPath}}",
        ])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Using JUnit XML output for pytest results.")
        .assert_stdout_contains("--junit-xml=")
        .assert_stdout_contains("\npytest tests/test_fail.py::test_broken -q --junit-xml=");
}

#[test]
fn without_the_collector_junit_is_used_and_retries_work() {
    let dir = pytest_project(&[("tests/test_flaky.py", FLAKY)]);
    let out = bktec(&dir, Venv::NoCollector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .output();
    out.assert_success()
        .assert_stdout_contains("Using JUnit XML output for pytest results.")
        .assert_stdout_contains("\npytest tests/test_flaky.py::test_flaky --junit-xml=")
        .assert_stdout_contains("|         | on retry  | 1 |");
}

#[test]
fn a_missing_result_file_never_turns_a_failure_green() {
    let dir = pytest_project(&[("tests/test_fail.py", FAILING)]);
    // The command ignores {{resultPath}}, so no result file is written.
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "pytest {{testExamples}}",
            "--test-engine-retry-count",
            "2",
        ])
        .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "out/r.json")
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Failed to read test output, failed tests will not be retried: failed to read result file `out/r.json`");
}

#[test]
fn the_same_run_from_bktec_toml() {
    let dir = pytest_project(&[("tests/test_flaky.py", FLAKY)]);
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"pytest\"\n[retry]\ncount = 2\n",
    );
    let out = dir.bktec().path_prepend(&venv(Venv::Collector)).output();
    out.assert_success()
        .assert_stdout_contains("♻️ Attempt 1 of 2");
}

#[test]
fn the_temporary_result_directory_is_removed() {
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    let tmp = dir.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    bktec(&dir, Venv::Collector)
        .env("TMPDIR", tmp.display().to_string())
        .output()
        .assert_success();
    // D18: bktec-pytest-* is gone once bktec exits.
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn custom_runner_substitutes_every_test_as_one_argument() {
    let dir = pytest_project(&[("a b.txt", ""), ("c;d.txt", "")]);
    let out = dir
        .bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "*.txt")
        .args([
            "run",
            "--test-command",
            "sh -c 'printf \"<%s>\\n\" \"$@\"' sh {{testExamples}}",
        ])
        .output();
    out.assert_success()
        .assert_stdout_contains("<a b.txt>\n<c;d.txt>\n")
        .assert_stderr_contains("is not set for the custom runner");
}

/// D41 (issue 20 item 5): a quoted placeholder with a prefix,
/// `TEST_FILES='{{testExamples}}'`, is one argument holding every test,
/// as the Go client passes it; a test whose name holds white space there
/// could not be told apart, and is refused with 16.
#[test]
fn a_quoted_placeholder_is_one_argument_of_every_test() {
    let dir = pytest_project(&[("a.txt", ""), ("b.txt", "")]);
    dir.write(
        "argv.py",
        "import sys\nfor a in sys.argv[1:]:\n    print('<%s>' % a)\n",
    );
    let run = |dir: &TestDir| {
        dir.bktec()
            .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
            .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "*.txt")
            .args([
                "run",
                "--test-command",
                "python3 argv.py TEST_FILES='{{testExamples}}'",
            ])
            .output()
    };
    run(&dir)
        .assert_success()
        .assert_stdout_contains("<TEST_FILES=a.txt b.txt>\n");
    dir.write("c d.txt", "");
    let out = run(&dir);
    out.assert_exit(16)
        .assert_stderr_contains("refusing test target `c d.txt`")
        .assert_stderr_contains("joins the tests with spaces into one quoted word");
    assert!(!out.stdout().contains("<TEST_FILES"), "nothing ran");
}

#[test]
fn a_command_that_cannot_start_exits_16() {
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-command",
            "no-such-program-xyz {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("failed to start `no-such-program-xyz`");
}

#[test]
fn template_errors_name_their_origin() {
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_TEST_CMD", "pytest '{{testExamples}}")
        .output()
        .assert_exit(16)
        .assert_stderr_contains("BUILDKITE_TEST_ENGINE_TEST_CMD is invalid: Unterminated single-quoted string in `pytest '{{testExamples}}` (from env BUILDKITE_TEST_ENGINE_TEST_CMD)");
}

#[test]
fn a_local_plan_written_by_plan_replays_with_plan_file() {
    let dir = pytest_project(&[
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", PASSING),
        ("tests/test_c.py", PASSING),
    ]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_BUILD_ID", "b1")
        .env("BUILDKITE_STEP_ID", "s1")
        .args(["plan", "--plan-out", "-", "--parallelism", "2"])
        .output();
    out.assert_success()
        .assert_stderr_contains("planning locally");
    let plan: Value = serde_json::from_str(&out.stdout()).expect("stdout is only the plan (D19)");
    assert_eq!(plan["identifier"], "b1/s1");
    assert_eq!(
        plan["tasks"]["1"]["tests"],
        json!([{"path": "tests/test_b.py"}])
    );
    dir.write("plan.json", &out.stdout());
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--parallelism",
            "2",
            "--parallel-job",
            "1",
        ])
        .output()
        .assert_success()
        .assert_stdout_contains("\npytest tests/test_b.py --json=");
    let json_line = bktec(&dir, Venv::Collector)
        .args([
            "plan",
            "--json",
            "--parallelism",
            "2",
            "--plan-identifier",
            "mine",
        ])
        .output();
    assert_eq!(
        json_line.stdout(),
        "{\"BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER\":\"mine\",\"BUILDKITE_TEST_ENGINE_PARALLELISM\":\"2\"}\n"
    );
}

#[test]
fn config_shows_the_test_command_that_run_executes() {
    // Issue #10: `bktec config` showed `runner.test-command (unset)` while
    // `bktec run` used pytest's default, which the collector probe chooses.
    let dir = pytest_project(&[("tests/test_pass.py", PASSING)]);
    for (which, basis) in [(Venv::Collector, "found"), (Venv::NoCollector, "not found")] {
        let shown = bktec(&dir, which).args(["config", "--json"]).output();
        shown.assert_success();
        let settings = shown.json()["settings"].as_array().unwrap().clone();
        let row = settings
            .iter()
            .find(|s| s["key"] == "runner.test-command")
            .unwrap();
        assert_eq!(
            row["origin"],
            format!("default for runner `pytest` (buildkite-test-collector {basis})")
        );
        let template = row["value"].as_str().unwrap();
        let (before_result, _) = template
            .replace("{{testExamples}}", "tests/test_pass.py")
            .split_once("{{resultPath}}")
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap();
        bktec(&dir, which)
            .arg("run")
            .output()
            .assert_success()
            .assert_stdout_contains(&format!("\n{before_result}"));
    }
}
