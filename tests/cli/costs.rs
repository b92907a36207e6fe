//! The costs a timing history misses (D52, issue 22 item 2), with real
//! pytest: bktec's witness times each module's import and collection and
//! the set-up of fixtures wider than a function; `run` writes them with the
//! job's start-up to a timing record beside the result file;
//! `durations update` keeps them as samples; and the plan pays each file's
//! cost in every job that runs part of it, splitting a file only when that
//! pays. No assertion here depends on how fast the machine is: measured
//! costs are checked against the sleeps that bound them from below.

use std::fs;

use serde_json::{Value, json};

use crate::support::pytest::{PASSING, bktec, project, runs_of_jobs};
use crate::support::{BktecCmd, RunOutput, TestDir, Venv, run_jobs};

/// A module that takes 0.3 s to import and whose module-scoped fixture
/// takes 0.2 s to set up, beside a fast module, under a session fixture
/// that takes 0.1 s.
const HEAVY: &str = r#"
import time
time.sleep(0.3)

import pytest

@pytest.fixture(scope="module")
def db():
    time.sleep(0.2)
    yield 1

def test_a(db):
    assert db

def test_b(db):
    assert db

def test_c(db):
    assert db
"#;

const CONFTEST: &str = r#"
import time
import pytest

@pytest.fixture(scope="session", autouse=True)
def boot():
    time.sleep(0.1)
    yield
"#;

fn heavy_project() -> TestDir {
    project(&[
        ("conftest.py", CONFTEST),
        ("tests/test_heavy.py", HEAVY),
        ("tests/test_light.py", PASSING),
    ])
}

fn pytest_bktec(dir: &TestDir) -> BktecCmd {
    bktec(dir, Venv::Collector)
}

/// `bktec run` writing `results/job-0.json`, with a named durations file.
fn run_job_0(dir: &TestDir) -> RunOutput {
    pytest_bktec(dir)
        .args(["run", "--result-path", "results/job-0.json"])
        .args(["--durations-file", ".test_durations"])
        .output()
}

/// `bktec durations update` of `results/job-0.json` and its timing record.
fn update_from_job_0(dir: &TestDir) -> RunOutput {
    pytest_bktec(dir)
        .args(["durations", "update", "--durations-file", ".test_durations"])
        .args(["results/job-0.json", "results/job-0.json.timing.json"])
        .output()
}

fn read_json(dir: &TestDir, rel: &str) -> Value {
    let text = fs::read_to_string(dir.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"))
}

#[test]
fn a_run_records_its_start_up_and_its_files_costs_and_update_keeps_them() {
    let dir = heavy_project();
    run_job_0(&dir).assert_success();
    let record = read_json(&dir, "results/job-0.json.timing.json");
    assert_eq!(record["bktec-timing"], 1, "{record}");
    // The import and the module fixture are the heavy file's own cost.
    let heavy = record["files"]["tests/test_heavy.py"].as_f64().unwrap();
    assert!(heavy >= 0.5, "{record}");
    assert!(
        record["files"]["tests/test_light.py"].is_number(),
        "{record}"
    );
    // The first test of the module holds the module and session fixtures'
    // set-up in its duration: that part is moved to its file and the job.
    // Every test also gets its share of what pytest did around the tests,
    // which their durations miss (a negative part of `moved`), alike.
    let moved = |test: &str| {
        record["moved"][format!("tests/test_heavy.py::{test}")]
            .as_f64()
            .unwrap()
    };
    assert!(moved("test_a") - moved("test_b") >= 0.25, "{record}");
    assert!(moved("test_b") <= 0.0, "{record}");
    let moved = moved("test_a");
    // The session fixture is part of the job's start-up.
    assert!(record["startup"].as_f64().unwrap() >= 0.1, "{record}");

    // `results/*.json` holds the result file and the record.
    update_from_job_0(&dir)
        .assert_success()
        .assert_stderr_contains("Stored the durations of 5 tests");
    let durations = read_json(&dir, ".test_durations");
    let test_a = durations["tests/test_heavy.py::test_a"].as_f64().unwrap();
    assert!(
        test_a < moved,
        "test_a keeps only its own time: {durations}"
    );
    let samples = read_json(&dir, ".test_durations.samples.json");
    assert_eq!(samples["version"], 2);
    assert_eq!(samples["job"].as_array().unwrap().len(), 1, "{samples}");
    assert_eq!(
        samples["files"]["tests/test_heavy.py"],
        json!([heavy]),
        "{samples}"
    );
}

/// A history of the heavy file's three tests at 1 s each, the light
/// file's two at `light` seconds each, and costs: the heavy file's import
/// takes `import` seconds, a job's start-up 0.4 s.
fn write_history(dir: &TestDir, import: f64, light: f64) {
    let history = json!({
        "tests/test_heavy.py::test_a": 1.0,
        "tests/test_heavy.py::test_b": 1.0,
        "tests/test_heavy.py::test_c": 1.0,
        "tests/test_light.py::test_one": light,
        "tests/test_light.py::test_two": light,
    });
    dir.write(".test_durations", &history.to_string());
    let samples = json!({
        "version": 2,
        "job": [0.4],
        "files": {"tests/test_heavy.py": [import], "tests/test_light.py": [0.0]},
        "samples": {},
    });
    dir.write(".test_durations.samples.json", &samples.to_string());
}

fn explain(dir: &TestDir, jobs: u32) -> String {
    let out = pytest_bktec(dir)
        .args(["plan", "--explain", "--debug", "--plan-out", "/dev/null"])
        .args(["--parallelism", &jobs.to_string()])
        .output();
    out.assert_success();
    out.stderr()
}

#[test]
fn a_file_whose_import_outweighs_its_split_stays_whole_and_every_test_runs_once() {
    let dir = heavy_project();
    // A 3 s import beside a 4 s file: split, both jobs would pay it, and
    // the slowest would take 8.4 s against 6.4 s whole.
    write_history(&dir, 3.0, 2.0);
    let text = explain(&dir, 2);
    assert!(
        text.contains("1 file longer than its fair share is kept whole"),
        "{text}"
    );
    assert!(
        text.contains("job 0: 6.400s (1 entry: tests 3.000s, files' import and set-up 3.000s, start-up 0.400s)"),
        "{text}"
    );
    assert!(text.contains("a job's start-up 0.400s plus"), "{text}");
    // A 0.1 s import beside a light file: the split pays, and each job
    // that runs part of the file pays its import once.
    write_history(&dir, 0.1, 0.1);
    let text = explain(&dir, 2);
    assert!(
        text.contains("`tests/test_heavy.py` is longer than its fair share"),
        "{text}"
    );
    assert!(text.contains("files' import and set-up 0.100s"), "{text}");
    // Whichever way, the two jobs run every test exactly once.
    let outs = run_jobs(2, |i| {
        pytest_bktec(&dir).args(["run", "--result-path", &format!("results/node-{i}.json")])
    });
    for out in &outs {
        out.assert_success();
    }
    let runs = runs_of_jobs(dir.path(), 2);
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert!(runs.values().all(|&n| n == 1), "{runs:?}");
    // Each job listed the file to split before it ran: its record says
    // how long that took, and the samples keep it for the next plan.
    for i in 0..2 {
        let record = read_json(&dir, &format!("results/node-{i}.json.timing.json"));
        assert!(record["listing"].as_f64().unwrap() > 0.0, "{record}");
    }
    pytest_bktec(&dir)
        .args([
            "durations",
            "update",
            "results/node-0.json",
            "results/node-1.json",
        ])
        .args([
            "results/node-0.json.timing.json",
            "results/node-1.json.timing.json",
        ])
        .output()
        .assert_success();
    let samples = read_json(&dir, ".test_durations.samples.json");
    assert_eq!(
        samples["listing"].as_array().map(Vec::len),
        Some(2),
        "{samples}"
    );
    assert_eq!(samples["job"].as_array().unwrap().len(), 3, "{samples}");
}

#[test]
fn the_run_reports_its_prediction_with_the_start_up() {
    let dir = heavy_project();
    write_history(&dir, 0.5, 0.5);
    let out = pytest_bktec(&dir)
        .args(["run"])
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "0")
        .output();
    out.assert_success();
    // The heavy file is split; job 0 runs two of its tests: its start-up
    // 0.4 s, the listing of the file to split 0.9 s (a start-up and the
    // import), the import 0.5 s, tests 2 s.
    out.assert_stdout_contains("This node was predicted to take 3.8s and took");
}

#[test]
fn a_foreign_file_where_the_record_goes_is_kept_and_a_corrupt_record_is_refused() {
    let dir = heavy_project();
    let foreign = dir.write("results/job-0.json.timing.json", "my notes\n");
    run_job_0(&dir)
        .assert_success()
        .assert_stderr_contains("was not written (a file that is not a timing record is there)");
    assert_eq!(fs::read_to_string(&foreign).unwrap(), "my notes\n");

    dir.write(
        "results/job-0.json.timing.json",
        "{\"bktec-timing\": 1, \"runner\": \"pytest\", \"startup\": -3, \"files\": {}, \"moved\": {}}",
    );
    update_from_job_0(&dir)
        .assert_exit(16)
        .assert_stderr_contains("`results/job-0.json.timing.json` is not a timing record");
}

#[test]
fn no_record_is_written_without_a_timing_history() {
    let dir = heavy_project();
    pytest_bktec(&dir)
        .args(["run", "--result-path", "results/job-0.json"])
        .output()
        .assert_success();
    assert!(dir.path().join("results/job-0.json").exists());
    assert!(!dir.path().join("results/job-0.json.timing.json").exists());
}

#[test]
fn a_record_applies_to_its_own_result_file_and_nothing_counts_twice() {
    let dir = heavy_project();
    run_job_0(&dir).assert_success();
    // Another job's result file, without a record: its durations are taken
    // as they are, not less the set-up of job 0's first test.
    fs::copy(
        dir.path().join("results/job-0.json"),
        dir.path().join("results/other.json"),
    )
    .unwrap();
    pytest_bktec(&dir)
        .args(["durations", "update", "--durations-file", ".test_durations"])
        .args(["results/job-0.json", "results/job-0.json.timing.json"])
        .args([
            "results/other.json",
            "results/job-0.json",
            "./results/other.json",
        ])
        .output()
        .assert_success()
        .assert_stderr_contains("Stored the durations of 10 tests and one job's start-up");
    let samples = read_json(&dir, ".test_durations.samples.json");
    let test_a: Vec<f64> = samples["samples"]["tests/test_heavy.py::test_a"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(test_a.len(), 2, "each file once: {samples}");
    // Job 0's own time, and the other file's whole duration with the set-up.
    assert!(test_a[0] < 0.25 && test_a[1] >= 0.25, "{samples}");
    assert_eq!(samples["job"].as_array().unwrap().len(), 1, "{samples}");
}

#[test]
fn a_run_without_a_history_removes_an_earlier_record_beside_its_result_file() {
    let dir = heavy_project();
    run_job_0(&dir).assert_success();
    let record = dir.path().join("results/job-0.json.timing.json");
    assert!(record.exists());
    pytest_bktec(&dir)
        .args([
            "run",
            "--result-path",
            "results/job-0.json",
            "--durations-file",
            "",
        ])
        .output()
        .assert_success();
    assert!(
        !record.exists(),
        "a stale record would be read with the new results"
    );
}

#[test]
fn a_plan_file_with_a_duration_out_of_range_is_refused_by_key() {
    let dir = heavy_project();
    write_history(&dir, 0.5, 0.5);
    pytest_bktec(&dir)
        .args(["plan", "--plan-out", "plan.json", "--parallelism", "2"])
        .output()
        .assert_success();
    let mut plan = read_json(&dir, "plan.json");
    plan["startup_duration"] = json!(-5.0);
    dir.write("plan.json", &plan.to_string());
    pytest_bktec(&dir)
        .args(["run", "--plan-file", "plan.json"])
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "0")
        .output()
        .assert_exit(16)
        .assert_stderr_contains("`startup_duration` at the top level is -5");
}

/// A module fixture that freezes the clocks as freezegun does: it patches
/// `time.perf_counter` and `time.time` for the module's tests.
const FROZEN: &str = r#"
import time
import pytest

@pytest.fixture(scope="module", autouse=True)
def frozen():
    real = (time.perf_counter, time.time)
    time.perf_counter = lambda: 1577836800.0
    time.time = lambda: 1577836800.0
    yield
    time.perf_counter, time.time = real

def test_one():
    assert True

def test_two():
    assert True
"#;

#[test]
fn a_test_that_freezes_the_clock_leaves_a_history_every_later_plan_reads() {
    let dir = project(&[
        ("tests/test_frozen.py", FROZEN),
        ("tests/test_light.py", PASSING),
    ]);
    pytest_bktec(&dir)
        .args([
            "run",
            "--store-durations",
            "--result-path",
            "results/r.json",
        ])
        .args(["--durations-file", ".test_durations"])
        .output()
        .assert_success();
    let record = read_json(&dir, "results/r.json.timing.json");
    for (key, seconds) in record["files"].as_object().unwrap() {
        let seconds = seconds.as_f64().unwrap();
        assert!((0.0..60.0).contains(&seconds), "{key}: {record}");
    }
    update_from(&dir, &["results/r.json", "results/r.json.timing.json"]).assert_success();
    pytest_bktec(&dir)
        .args(["plan", "--parallelism", "2", "--plan-out", "/dev/null"])
        .output()
        .assert_success();
}

#[test]
fn a_witness_file_that_cannot_be_read_proves_nothing() {
    // A hook drops a test without deselecting it, and a broken clock makes
    // the witness's numbers NaN: the run must still not be green.
    let conftest = r#"
import time

def pytest_collection_modifyitems(items):
    items[:] = [i for i in items if i.name != "test_two"]
    time.perf_counter = lambda: float("nan")
"#;
    let dir = project(&[("conftest.py", conftest), ("tests/test_a.py", PASSING)]);
    let out = pytest_bktec(&dir)
        .args(["run", "--result-path", "results/r.json"])
        .output();
    assert_ne!(out.code(), Some(0), "{}", out.stderr());
}

/// `bktec durations update` of `files`, with a named durations file.
fn update_from(dir: &TestDir, files: &[&str]) -> RunOutput {
    pytest_bktec(dir)
        .args(["durations", "update", "--durations-file", ".test_durations"])
        .args(files)
        .output()
}

#[test]
fn after_a_retry_the_record_goes_with_the_first_attempt_s_results() {
    let dir = project(&[
        ("tests/test_heavy.py", HEAVY),
        ("tests/test_flaky.py", crate::support::pytest::FLAKY),
    ]);
    pytest_bktec(&dir)
        .args(["run", "--result-path", "results/r.json"])
        .args([
            "--durations-file",
            ".test_durations",
            "--test-engine-retry-count",
            "1",
        ])
        .output()
        .assert_success();
    // The record measured the first attempt, kept as `r.attempt-0.json`.
    let record = read_json(&dir, "results/r.attempt-0.json.timing.json");
    assert!(
        record["moved"]["tests/test_heavy.py::test_a"].is_number(),
        "{record}"
    );
    assert!(!dir.path().join("results/r.json.timing.json").exists());
    update_from(
        &dir,
        &[
            "results/r.json",
            "results/r.attempt-0.json",
            "results/r.attempt-0.json.timing.json",
        ],
    )
    .assert_success();
    let durations = read_json(&dir, ".test_durations");
    let test_a = durations["tests/test_heavy.py::test_a"].as_f64().unwrap();
    assert!(
        test_a < 0.2,
        "the module fixture is its file's: {durations}"
    );
}
