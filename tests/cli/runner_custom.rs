//! The custom runner with real bats (Debian's `bats`) writing JUnit XML, as
//! the Go client's own tests run it (`internal/runner/testdata/custom`):
//! bats names each test case's `classname` by its file's name alone
//! (`happy_test.bats`), which covers the assigned `tests/happy_test.bats`
//! when no other assigned file has that name (D23, D39).

use serde_json::json;

use crate::support::runners::{bktec, ensure_tools};
use crate::support::{RunOutput, TestDir};

const HAPPY: &str = "#!/usr/bin/env bats\n\n@test \"happy\" {\n  run bash -c 'echo \"ok\"; exit 0'\n  [ \"$status\" -eq 0 ]\n  [ \"$output\" = \"ok\" ]\n}\n";

const FAILED: &str = "#!/usr/bin/env bats\n\n@test \"failed\" {\n  run bash -c 'echo \"something went wrong\" >&2; exit 1'\n  [ \"$status\" -eq 0 ]\n}\n";

/// The Go client's bats fixtures (its `tests/*.bats`), at `files`.
fn project(files: &[(&str, &str)]) -> TestDir {
    // scripts/runner-tools.sh installs bats (Debian's package).
    ensure_tools();
    let dir = TestDir::new();
    for (path, source) in files {
        dir.write(path, source);
    }
    dir
}

/// `bktec run` with bats writing JUnit to `out/report.xml`, on the plan in
/// `plan.json` when there is one.
fn run_bats(dir: &TestDir, plan: Option<serde_json::Value>) -> RunOutput {
    let mut cmd = bktec(dir)
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/**/*.bats")
        .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "out/report.xml")
        .args([
            "run",
            "--test-command",
            "bats --report-formatter junit --output out {{testExamples}}",
        ]);
    if let Some(plan) = plan {
        dir.write("plan.json", &plan.to_string());
        cmd = cmd.args(["--plan-file", "plan.json"]);
    }
    dir.write("out/.keep", "");
    cmd.output()
}

/// D39: before, `tests/happy_test.bats` "produced no result" and a green
/// run exited 17.
#[test]
fn a_bats_file_named_by_its_base_name_is_covered() {
    let dir = project(&[("tests/happy_test.bats", HAPPY)]);
    run_bats(&dir, None)
        .assert_success()
        .assert_stdout_contains("✅ All tests passed.");
}

/// D39: Test Engine mutes a bats test by its JUnit classname and name; a
/// run whose only failure is muted passes.
#[test]
fn a_muted_bats_failure_passes() {
    let dir = project(&[
        ("tests/happy_test.bats", HAPPY),
        ("tests/failed_test.bats", FAILED),
    ]);
    let plan = json!({
        "parallelism": 1,
        "tasks": {"0": {"node_number": 0, "tests": [
            {"path": "tests/failed_test.bats"}, {"path": "tests/happy_test.bats"}
        ]}},
        "muted_tests": [{"scope": "failed_test.bats", "name": "failed"}],
    });
    run_bats(&dir, Some(plan))
        .assert_success()
        .assert_stdout_contains("Some muted tests failed.")
        .assert_stdout_contains("- failed_test.bats failed (failed)");
    // Unmuted, the failure fails the run.
    run_bats(&dir, None)
        .assert_exit(1)
        .assert_stdout_contains("- failed_test.bats failed");
}

/// D39: two assigned files of the same name cannot be told apart by a
/// file name alone: the run is not green.
#[test]
fn two_files_of_the_same_name_are_not_proven_by_it() {
    let dir = project(&[
        ("tests/a/same_test.bats", HAPPY),
        ("tests/b/same_test.bats", HAPPY),
    ]);
    run_bats(&dir, None)
        .assert_exit(17)
        .assert_stdout_contains("tests/a/same_test.bats");
}

/// A test that fails until it has left a marker file beside itself.
const FLAKY: &str = "#!/usr/bin/env bats\n\n@test \"flaky\" {\n  marker=\"$BATS_TEST_DIRNAME/.flaky-ran\"\n  if [ ! -e \"$marker\" ]; then touch \"$marker\"; false; fi\n}\n";

/// D39: a retry names the failed bats test's file as it was assigned
/// (`tests/flaky_test.bats`), not by the classname bats gave it, which bats
/// could not find.
#[test]
fn a_flaky_bats_test_passes_on_retry_by_its_file() {
    let dir = project(&[
        ("tests/happy_test.bats", HAPPY),
        ("tests/flaky_test.bats", FLAKY),
    ]);
    let out = bktec(&dir)
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/**/*.bats")
        .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "out/report.xml")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--test-command",
            "bats --report-formatter junit --output out {{testExamples}}",
        ]);
    dir.write("out/.keep", "");
    out.output()
        .assert_success()
        .assert_stdout_contains(
            "\nbats --report-formatter junit --output out tests/flaky_test.bats\n",
        )
        .assert_stdout_contains("✅ All tests passed; 1 of them only on a retry (flaky).");
}
