//! Plan files are checked (D26): a plan read with `--plan-file` that is not
//! a plan for this build's jobs, or that runs nothing, is exit 16 naming the
//! file and the problem, on every job; and `bktec plan --plan-out` never
//! writes such a plan, even when Test Engine answers with an error plan.

use std::fs;

use serde_json::{Value, json};

use crate::support::pytest::PASSING;
use crate::support::stand_in::{Reply, StandIn, refused_url};
use crate::support::{BktecCmd, TestDir, Venv, venv};

const FILES: [&str; 3] = ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py"];

fn project() -> TestDir {
    let dir = TestDir::new();
    for f in FILES {
        dir.write(f, PASSING);
    }
    dir
}

/// `bktec run --plan-file plan.json` as job `job` of `jobs`.
fn run_plan(dir: &TestDir, jobs: u32, job: u32) -> BktecCmd {
    dir.bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_PARALLEL_JOB_COUNT", jobs.to_string())
        .env("BUILDKITE_PARALLEL_JOB", job.to_string())
        .args(["run", "--plan-file", "plan.json"])
}

/// Every job of a `jobs`-job build refuses `plan` with exit 16, naming the
/// file and `problem`, and runs nothing.
#[track_caller]
fn refused(plan: &str, jobs: u32, problem: &str) {
    let dir = project();
    dir.write("plan.json", plan);
    for job in 0..jobs {
        let out = run_plan(&dir, jobs, job).output();
        out.assert_exit(16)
            .assert_stderr_contains(
                "bktec run: plan file `plan.json` is not a valid test plan (from --plan-file)\n",
            )
            .assert_stderr_contains(&format!("caused by: {problem}"));
        assert!(
            !out.stdout().contains("No tests to run on this node"),
            "{}",
            out.stdout()
        );
    }
}

const TASK: &str = r#"{"node_number": 0, "tests": [{"path": "tests/test_a.py"}]}"#;

#[test]
fn an_error_plan_is_refused_on_every_job() {
    refused(
        r#"{"parallelism":2,"tasks":{}}"#,
        2,
        "the plan runs no tests on any job (it has no tasks); this is what an error plan from Test Engine looks like",
    );
    refused(
        r#"{"parallelism":2,"tasks":{"0":{"tests":[]},"1":{"node_number":1}}}"#,
        2,
        "the plan runs no tests on any job (every task is empty)",
    );
}

#[test]
fn documents_that_are_not_plans_are_refused() {
    refused("[]", 1, "the plan is an array, not a JSON object");
    refused("{}", 1, "`tasks` is missing");
    refused(
        r#"{"tasks":null}"#,
        1,
        "`tasks` is null, not an object keyed by job index",
    );
    refused(
        &format!(r#"{{"parallelism":1,"Tasks":{{"0":{TASK}}}}}"#),
        1,
        "key `Tasks` at the top level must be spelt `tasks` (keys are case-sensitive)",
    );
}

#[test]
fn task_keys_must_be_job_indexes() {
    for key in ["00", "-1", " 1"] {
        refused(
            &format!(r#"{{"parallelism":2,"tasks":{{"{key}":{TASK}}}}}"#),
            2,
            &format!("task key `{key}` is not a job index"),
        );
    }
    refused(
        &format!(r#"{{"parallelism":2,"tasks":{{"2":{TASK}}}}}"#),
        2,
        "task key `2` is not a job of a plan for 2 jobs (job indexes run from 0 to 1)",
    );
}

#[test]
fn the_plan_must_be_for_this_many_jobs() {
    refused(
        &format!(r#"{{"parallelism":2,"tasks":{{"0":{TASK}}}}}"#),
        3,
        "the plan is for 2 jobs (`parallelism`) but this build runs 3 (the configured parallelism)",
    );
    refused(
        &format!(r#"{{"tasks":{{"0":{TASK}}}}}"#),
        1,
        "`parallelism` is missing",
    );
}

#[test]
fn a_good_plan_still_runs() {
    let dir = project();
    dir.write(
        "plan.json",
        &json!({
            "identifier": "mine",
            "parallelism": 2,
            "tasks": {
                "0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}]},
                "1": {"node_number": 1, "tests": [{"path": "tests/test_b.py"}, {"path": "tests/test_c.py"}]},
            },
        })
        .to_string(),
    );
    run_plan(&dir, 2, 1)
        .output()
        .assert_success()
        .assert_stdout_contains("\npytest tests/test_b.py tests/test_c.py --json=")
        .assert_stdout_contains("| Total   |           | 4 |");
}

/// Issue 21 item 11: a test the plan skips, in a file its task runs whole,
/// runs anyway; it failed, and the report listed it under "Skipped by Test
/// Engine" as well as under "Failed Tests". It is reported once, by how it
/// ended; a skipped test that did not run is still listed as skipped (D46).
#[test]
fn a_skipped_test_that_ran_in_a_whole_file_is_reported_once() {
    let dir = project();
    dir.write("tests/test_a.py", crate::support::pytest::FAILING);
    dir.write(
        "plan.json",
        &json!({
            "parallelism": 1,
            "tasks": {
                "0": {"node_number": 0, "tests": [{"path": "tests/test_a.py", "format": "file"}]},
            },
            "skipped_tests": [
                {"scope": "tests/test_a.py", "name": "test_broken", "path": "tests/test_a.py::test_broken"},
                {"scope": "tests/test_c.py", "name": "test_one", "path": "tests/test_c.py::test_one"},
            ],
        })
        .to_string(),
    );
    let out = run_plan(&dir, 1, 0).output();
    out.assert_exit(1)
        .assert_stdout_contains("Skipped by Test Engine:\n- tests/test_c.py test_one\n\n")
        .assert_stdout_contains("+++ Failed Tests:\n- tests/test_a.py::test_broken\n");
    assert!(
        !out.stdout().contains("- tests/test_a.py test_broken"),
        "{}",
        out.stdout()
    );
}

/// `bktec plan --plan-out plan.json` for 2 jobs against `url`.
fn plan_out(dir: &TestDir, url: &str) -> BktecCmd {
    dir.bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .test_engine(url)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "200ms")
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "1s")
        .env("BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER", "plan-xyz")
        .args(["plan", "--plan-out", "plan.json", "--parallelism", "2"])
}

/// The written plan is the local plan over 2 jobs, and the two jobs run
/// every test file between them.
#[track_caller]
fn assert_usable_local_plan(dir: &TestDir) {
    let plan: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("plan.json")).unwrap())
            .expect("plan.json is JSON");
    assert_eq!(plan["identifier"], "plan-xyz");
    assert_eq!(plan["parallelism"], 2);
    assert_eq!(
        plan["tasks"]["0"]["tests"],
        json!([{"path": "tests/test_a.py"}, {"path": "tests/test_c.py"}])
    );
    assert_eq!(
        plan["tasks"]["1"]["tests"],
        json!([{"path": "tests/test_b.py"}])
    );
    run_plan(dir, 2, 0)
        .output()
        .assert_success()
        .assert_stdout_contains("\npytest tests/test_a.py tests/test_c.py --json=");
    run_plan(dir, 2, 1)
        .output()
        .assert_success()
        .assert_stdout_contains("\npytest tests/test_b.py --json=");
}

#[test]
fn plan_out_writes_the_local_plan_for_an_error_plan() {
    for error_plan in [
        json!({"identifier": "plan-xyz", "parallelism": 2, "tasks": {}}),
        json!({"tasks": null}),
        json!({"parallelism": 2, "tasks": {"0": {"tests": []}, "1": {"tests": []}}}),
    ] {
        let dir = project();
        let stand_in = StandIn::start(move |_| Reply::json(200, error_plan.clone()));
        plan_out(&dir, &stand_in.url)
            .output()
            .assert_success()
            // The warning that --json prints for an error plan.
            .assert_stderr_contains("⚠️ Error Plan: The Test Engine API failed to generate a plan.")
            .assert_stderr_contains(
                "Falling back to non-intelligent splitting. Your build may take longer than usual.",
            )
            .assert_stderr_contains(
                "This is a locally-computed fallback plan, not a plan from the server.",
            );
        assert_usable_local_plan(&dir);
    }
}

#[test]
fn plan_out_writes_the_local_plan_when_test_engine_is_unreachable() {
    let dir = project();
    plan_out(&dir, &refused_url())
        .output()
        .assert_success()
        .assert_stderr_contains("⚠️ Unreachable")
        .assert_stderr_contains(
            "This is a locally-computed fallback plan, not a plan from the server.",
        );
    assert_usable_local_plan(&dir);
}

/// With nothing to plan there is no plan to write: discovery refuses first
/// (and `plan` would refuse a local plan that ran nothing, D26).
#[test]
fn plan_out_writes_nothing_when_there_are_no_tests() {
    let dir = TestDir::new();
    dir.write("README.md", "no tests here\n");
    let out = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .args(["plan", "--plan-out", "plan.json", "--parallelism", "2"])
        .output();
    out.assert_exit(16)
        .assert_stderr_contains("bktec plan: no files found with pattern");
    assert_eq!(
        fs::read_to_string(dir.path().join("plan.json")).unwrap(),
        ""
    );
}

/// Issue 21, item 10: a plan made here has no identifier, and `plan
/// --json` does not print an empty one (it would set the variable to
/// nothing in the step that reads it).
#[test]
fn plan_json_without_test_engine_prints_no_empty_identifier() {
    let dir = project();
    let out = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .args(["plan", "--json", "--parallelism", "2"])
        .output();
    out.assert_success();
    assert_eq!(
        out.stdout(),
        "{\"BUILDKITE_TEST_ENGINE_PARALLELISM\":\"2\"}\n"
    );
}
