//! Time-aware local planning (D31, D32, issue #11): the durations file is
//! read (or refused, exit 16), slow files are split into their tests with
//! real pytest, the plan is the same on every job, and no test is lost.

use std::collections::BTreeMap;
use std::fs;

use serde_json::{Value, json};

use crate::support::pytest::{PASSING, bktec, bktec_at, project, result_node_ids, runs_of_jobs};
use crate::support::stand_in::refused_url;
use crate::support::{BktecCmd, TestDir, Venv, run_jobs};

/// A slow file whose history knows two of its three tests (a test added
/// since the history was written), parametrised ids with brackets and
/// spaces, and six fast files.
const SLOW: &str = r#"
import pytest

@pytest.mark.parametrize("word", ["a b", "c[d]"])
def test_param(word):
    assert word

def test_known():
    assert True

def test_added_since():
    assert True
"#;

fn skewed_project() -> TestDir {
    let mut files = vec![("tests/test_slow.py", SLOW)];
    let fast = ["a", "b", "c", "d", "e", "f"].map(|n| format!("tests/test_{n}.py"));
    for f in &fast {
        files.push((f.as_str(), PASSING));
    }
    let dir = project(&files);
    let mut history = json!({
        "tests/test_slow.py::test_param[a b]": 6.0,
        "tests/test_slow.py::test_param[c[d]]": 6.0,
        "tests/test_slow.py::test_known": 6.0,
        "tests/test_gone.py::test_old": 50.0,
    });
    for f in &fast {
        history[format!("{f}::test_one")] = json!(0.5);
        history[format!("{f}::test_two")] = json!(0.5);
    }
    dir.write(".test_durations", &serde_json::to_string(&history).unwrap());
    dir
}

fn pytest_bktec(dir: &TestDir) -> BktecCmd {
    bktec(dir, Venv::Collector)
}

fn plan_out(dir: &TestDir, jobs: u32) -> (String, Value) {
    let out = pytest_bktec(dir)
        .args([
            "plan",
            "--plan-out",
            "-",
            "--parallelism",
            &jobs.to_string(),
        ])
        .output();
    out.assert_success();
    let text = out.stdout();
    let plan = serde_json::from_str(&text).expect("the plan is JSON");
    (text, plan)
}

/// Every entry of every job: (job, path, estimated_duration).
fn entries(plan: &Value) -> Vec<(String, String, Option<f64>)> {
    let mut all = Vec::new();
    for (job, task) in plan["tasks"].as_object().unwrap() {
        for t in task["tests"].as_array().unwrap() {
            all.push((
                job.clone(),
                t["path"].as_str().unwrap().to_string(),
                t["estimated_duration"].as_f64(),
            ));
        }
    }
    all
}

#[test]
fn without_history_the_round_robin_plan_is_unchanged() {
    let dir = project(&[
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", PASSING),
        ("tests/test_c.py", PASSING),
    ]);
    let (text, _) = plan_out(&dir, 2);
    let expected = json!({
        "identifier": "",
        "parallelism": 2,
        "tasks": {
            "0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}, {"path": "tests/test_c.py"}]},
            "1": {"node_number": 1, "tests": [{"path": "tests/test_b.py"}]},
        },
        "muted_tests": [],
        "skipped_tests": [],
    });
    assert_eq!(
        text,
        format!("{}\n", serde_json::to_string_pretty(&expected).unwrap())
    );
}

#[test]
fn unusable_durations_files_exit_16_naming_the_file_and_the_problem() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    // Issue 21, item 7: a named file that does not exist yet is a warning,
    // and the plan is made without history, as pytest-split does; a
    // malformed one stays an error.
    pytest_bktec(&dir)
        .args([
            "plan",
            "--plan-out",
            "-",
            "--durations-file",
            "timings.json",
        ])
        .output()
        .assert_success()
        .assert_stderr_contains("timings.json` (from --durations-file) does not exist yet: planning without timing history");
    for (content, problem) in [
        ("[1]", "the document is an array, not a JSON object"),
        (
            r#"{"tests/test_a.py::test_one": -2}"#,
            "the duration of `tests/test_a.py::test_one` is -2, which is negative",
        ),
        (
            r#"{"tests/test_a.py::test_one": "2s"}"#,
            "the duration of `tests/test_a.py::test_one` is a string, not a number of seconds",
        ),
        ("{", "is not valid JSON"),
        // D27: no test takes 1e300 seconds; a sum of them would overflow.
        (
            r#"{"tests/test_a.py::test_one": 1e300}"#,
            "the duration of `tests/test_a.py::test_one` is 1e+300 seconds, longer than any test runs",
        ),
    ] {
        dir.write(".test_durations", content);
        pytest_bktec(&dir)
            .args(["plan", "--plan-out", "-"])
            .output()
            .assert_exit(16)
            .assert_stderr_contains(".test_durations`")
            .assert_stderr_contains(problem);
        pytest_bktec(&dir)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .arg("run")
            .output()
            .assert_exit(16)
            .assert_stderr_contains(problem);
    }
}

#[test]
fn the_plan_is_deterministic_and_splits_the_slow_file_without_losing_tests() {
    let dir = skewed_project();
    let (first, plan) = plan_out(&dir, 3);
    let (second, _) = plan_out(&dir, 3);
    assert_eq!(first, second, "two runs give byte-identical plans");
    for job in 0..3 {
        let out = pytest_bktec(&dir)
            .env("BUILDKITE_PARALLEL_JOB", job.to_string())
            .args(["plan", "--plan-out", "-", "--parallelism", "3"])
            .output();
        out.assert_success();
        assert_eq!(out.stdout(), first, "job {job} computes the same plan");
    }

    let all = entries(&plan);
    let paths: Vec<&str> = all.iter().map(|(_, p, _)| p.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), paths.len(), "no entry twice: {paths:?}");
    for expected in [
        "tests/test_slow.py::test_param[a b]",
        "tests/test_slow.py::test_param[c[d]]",
        "tests/test_slow.py::test_known",
        "tests/test_slow.py::test_added_since",
        "tests/test_a.py",
        "tests/test_f.py",
    ] {
        assert!(paths.contains(&expected), "{expected} missing: {paths:?}");
    }
    assert!(!paths.contains(&"tests/test_slow.py"), "{paths:?}");
    assert_eq!(paths.len(), 4 + 6);
    assert!(all.iter().all(|(_, _, est)| est.is_some()), "{all:?}");
    let known = all
        .iter()
        .find(|(_, p, _)| p == "tests/test_slow.py::test_known")
        .unwrap();
    assert_eq!(known.2, Some(6000.0));
    let fast = all.iter().find(|(_, p, _)| p == "tests/test_a.py").unwrap();
    assert_eq!(fast.2, Some(1000.0));

    // Issue 22, item 5: the test added since is estimated at the mean test
    // of its file, 6 s, not at the suite's median test.
    let added = all
        .iter()
        .find(|(_, p, _)| p == "tests/test_slow.py::test_added_since")
        .unwrap();
    assert_eq!(added.2, Some(6000.0));
    // Predicted loads: 4 x 6 s and 6 x 1 s over 3 jobs: one job gets two
    // of the 6 s tests, the others one each and three files.
    let mut loads: BTreeMap<&str, f64> = BTreeMap::new();
    for (job, _, est) in &all {
        *loads.entry(job.as_str()).or_default() += est.unwrap();
    }
    let max = loads.values().cloned().fold(0.0, f64::max);
    assert!(max <= 12000.0, "{loads:?}");
}

#[test]
fn debug_says_what_was_estimated() {
    let dir = skewed_project();
    dir.write("tests/test_new.py", PASSING);
    pytest_bktec(&dir)
        .args(["--debug", "plan", "--plan-out", "-", "--parallelism", "3"])
        .output()
        .assert_success()
        .assert_stderr_contains("1 of 8 targets have no timing history")
        .assert_stderr_contains("`tests/test_slow.py` is longer than its fair share")
        .assert_stderr_contains("1 tests of split files have no timing history");
}

#[test]
fn three_real_jobs_run_every_test_exactly_once() {
    let dir = skewed_project();
    let n = 3;
    let outputs = run_jobs(n, |i| {
        pytest_bktec(&dir).args(["run", "--result-path", &format!("results/node-{i}.json")])
    });
    for out in outputs {
        let out = out.output;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // D32: the report shows the job's predicted and actual time.
        assert!(
            stdout.contains("This node was predicted to take "),
            "{stdout}"
        );
    }
    let runs = runs_of_jobs(dir.path(), n);
    assert_eq!(runs.len(), 4 + 6 * 2, "{runs:?}");
    assert!(runs.values().all(|&c| c == 1), "{runs:?}");
    assert!(runs.contains_key("tests/test_slow.py::test_added_since"));
}

#[test]
fn the_fallback_after_an_api_failure_plans_with_history() {
    let dir = skewed_project();
    let out = pytest_bktec(&dir)
        .test_engine(&refused_url())
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "200ms")
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "1s")
        .env("BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER", "plan-xyz")
        .args(["plan", "--plan-out", "-", "--parallelism", "3"])
        .output();
    out.assert_success();
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    let (_, local) = plan_out(&dir, 3);
    assert_eq!(
        plan["tasks"], local["tasks"],
        "the fallback is the local plan"
    );
    assert!(
        entries(&plan)
            .iter()
            .any(|(_, p, _)| p == "tests/test_slow.py::test_added_since")
    );
}

/// A parametrised test with brackets and spaces, a slow test, and a test
/// inherited from a class defined in another file.
const MEASURED: &[(&str, &str)] = &[
    (
        "tests/test_m.py",
        r#"
import time
import pytest

@pytest.mark.parametrize("word", ["a b", "c[d]"])
def test_param(word):
    assert word

def test_slow():
    time.sleep(0.3)
"#,
    ),
    (
        "tests/test_base.py",
        "class TestBase:\n    def test_inherited(self):\n        assert True\n",
    ),
    (
        "tests/test_child.py",
        "from test_base import TestBase\n\nclass TestChild(TestBase):\n    pass\n",
    ),
];

fn stored(dir: &TestDir) -> serde_json::Map<String, Value> {
    let text = fs::read_to_string(dir.path().join(".test_durations")).unwrap();
    assert!(text.ends_with("}\n"), "{text}");
    let value: Value = serde_json::from_str(&text).unwrap();
    value.as_object().unwrap().clone()
}

#[track_caller]
fn assert_measured(durations: &serde_json::Map<String, Value>) {
    for id in [
        "tests/test_m.py::test_param[a b]",
        "tests/test_m.py::test_param[c[d]]",
        "tests/test_base.py::TestBase::test_inherited",
        "tests/test_child.py::TestChild::test_inherited",
    ] {
        assert!(durations.contains_key(id), "{id} missing: {durations:?}");
    }
    let slow = durations["tests/test_m.py::test_slow"].as_f64().unwrap();
    assert!((0.25..5.0).contains(&slow), "{slow}");
}

#[test]
fn update_merges_collector_json_and_junit_results() {
    let dir = project(MEASURED);
    pytest_bktec(&dir)
        .args(["run", "--result-path", "r.json"])
        .output()
        .assert_success();
    pytest_bktec(&dir)
        .args([
            "run",
            "--test-command",
            "pytest {{testExamples}} --junit-xml={{resultPath}}",
            "--result-path",
            "r.xml",
        ])
        .output()
        .assert_success();

    // Collector JSON, keyed on the node id of the file pytest collected.
    dir.write(
        ".test_durations",
        r#"{"tests/test_m.py::test_slow": 99, "tests/old.py::t": 1}"#,
    );
    pytest_bktec(&dir)
        .args(["durations", "update", "r.json"])
        .output()
        .assert_success()
        .assert_stderr_contains("Stored the durations of 6 tests");
    let durations = stored(&dir);
    assert_measured(&durations);
    assert!(
        durations.contains_key("tests/old.py::t"),
        "kept without --prune"
    );

    // JUnit, and --prune: the file that is no longer discovered goes.
    fs::remove_file(dir.path().join(".test_durations")).unwrap();
    pytest_bktec(&dir)
        .args(["durations", "update", "--prune", "r.xml"])
        .output()
        .assert_success();
    let durations = stored(&dir);
    assert_measured(&durations);
    let first = fs::read(dir.path().join(".test_durations")).unwrap();
    dir.write(
        ".test_durations",
        &String::from_utf8(first.clone())
            .unwrap()
            .replace('{', "{\"tests/old.py::t\": 1,\n"),
    );
    pytest_bktec(&dir)
        .args(["durations", "update", "--prune", "r.xml"])
        .output()
        .assert_success()
        .assert_stderr_contains("1 no longer discovered dropped");
    assert_eq!(
        fs::read(dir.path().join(".test_durations")).unwrap(),
        first,
        "the same measurements give the same bytes"
    );
}

#[test]
fn update_refuses_a_malformed_durations_file_and_result_file() {
    let dir = project(MEASURED);
    dir.write("r.json", "[]");
    dir.write(".test_durations", "[]");
    pytest_bktec(&dir)
        .args(["durations", "update", "r.json"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("bktec durations: durations file `")
        .assert_stderr_contains("the document is an array");
    dir.write("bad.xml", "<testsuite><testcase");
    pytest_bktec(&dir)
        .args(["durations", "update", "bad.xml"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("bad.xml` is not valid JUnit XML");
}

#[test]
fn run_store_durations_keeps_this_runs_measurements() {
    let dir = project(MEASURED);
    pytest_bktec(&dir)
        .args(["run", "--store-durations"])
        .output()
        .assert_success()
        .assert_stderr_contains("Stored the durations of 6 tests");
    assert_measured(&stored(&dir));
}

#[test]
fn explain_prints_each_job_the_lower_bound_and_the_ratio() {
    let dir = skewed_project();
    let out = pytest_bktec(&dir)
        .args(["plan", "--explain", "--parallelism", "3"])
        .output();
    out.assert_success()
        .assert_stdout_contains("  job 0: ")
        .assert_stdout_contains("  job 2: ")
        .assert_stdout_contains(
            "Lower bound: 10.000s (the larger of total / jobs = 10.000s and the longest single entry = 6.000s)",
        )
        .assert_stdout_contains("x the lower bound");
    // With --plan-out -, stdout is only the plan (D19).
    let out = pytest_bktec(&dir)
        .args(["plan", "--explain", "--plan-out", "-", "--parallelism", "3"])
        .output();
    out.assert_success().assert_stderr_contains("Lower bound: ");
    let _: Value = serde_json::from_str(&out.stdout()).expect("stdout is only the plan");
}

#[test]
fn a_split_file_keeps_the_tests_that_only_the_command_s_options_collect() {
    // `--doctest-modules` in the test command adds a doctest to the slow
    // file: collecting it without the command's options would lose it.
    let dir = project(&[
        (
            "tests/test_doc.py",
            "def helper():\n    \"\"\"\n    >>> helper()\n    1\n    \"\"\"\n    return 1\n\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n",
        ),
        ("tests/test_f.py", "def test_f():\n    pass\n"),
    ]);
    dir.write(
        ".test_durations",
        r#"{"tests/test_doc.py::test_a": 10, "tests/test_doc.py::test_b": 10, "tests/test_f.py::test_f": 1}"#,
    );
    let command = "pytest --doctest-modules {{testExamples}} --json={{resultPath}}";
    let mut ran: Vec<String> = Vec::new();
    for i in 0..2 {
        pytest_bktec(&dir)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .env("BUILDKITE_PARALLEL_JOB", i.to_string())
            .args([
                "run",
                "--test-command",
                command,
                "--result-path",
                &format!("results/node-{i}.json"),
            ])
            .output()
            .assert_success();
        ran.extend(
            result_node_ids(&dir.path().join(format!("results/node-{i}.json")))
                .expect("each job writes results"),
        );
    }
    ran.sort();
    assert_eq!(ran.len(), 4, "{ran:?}");
    assert!(
        ran.iter().any(|id| id.contains("test_doc.helper")),
        "the doctest runs: {ran:?}"
    );
}

#[test]
fn a_slow_file_that_cannot_be_collected_stops_every_job_with_pytest_s_error() {
    // The slow file must be split, and pytest cannot collect it. A job
    // cannot know whether the other jobs collected it (an import that fails
    // only sometimes, a dependency missing on one agent), so it cannot know
    // what they run: it stops with 16, never guessing (D23).
    let dir = skewed_project();
    dir.write(
        "tests/test_slow.py",
        &format!("import no_such_module_bktec\n{SLOW}"),
    );
    let outputs = run_jobs(2, |i| {
        pytest_bktec(&dir).args(["run", "--result-path", &format!("results/node-{i}.json")])
    });
    for out in &outputs {
        out.assert_exit(16)
            .assert_stderr_contains(
                "bktec run: File `tests/test_slow.py` is longer than a fair share of the time",
            )
            .assert_stderr_contains(
                "must be split into tests, but the runner could not list the tests of it",
            )
            .assert_stderr_contains("no_such_module_bktec");
    }
}

#[test]
fn store_durations_creates_a_named_durations_file_that_does_not_exist_yet() {
    let dir = project(MEASURED);
    pytest_bktec(&dir)
        .args([
            "run",
            "--store-durations",
            "--durations-file",
            "ci/timings.json",
        ])
        .output()
        .assert_success()
        .assert_stderr_contains(
            "Stored the durations of 6 tests and one job's start-up and files' costs in `",
        );
    let text = fs::read_to_string(dir.path().join("ci/timings.json")).unwrap();
    let durations: Value = serde_json::from_str(&text).unwrap();
    assert_measured(durations.as_object().unwrap());
    // Without --store-durations a named file that does not exist yet is
    // said, and the run plans without history (issue 21, item 7).
    pytest_bktec(&dir)
        .args(["run", "--durations-file", "ci/other.json"])
        .output()
        .assert_success()
        .assert_stderr_contains("other.json` (from --durations-file) does not exist yet");
}

/// A repository whose pytest rootdir (`pytest.ini`) is above the directory
/// bktec runs in: node ids in the history start with `sub/`.
fn rootdir_above_project() -> TestDir {
    let dir = project(&[]);
    dir.write("pytest.ini", "[pytest]\n");
    dir.write("sub/tests/test_slow.py", SLOW);
    let mut history = json!({
        "sub/tests/test_slow.py::test_param[a b]": 6.0,
        "sub/tests/test_slow.py::test_param[c[d]]": 6.0,
        "sub/tests/test_slow.py::test_known": 6.0,
        "elsewhere/test_x.py::test_x": 3.0,
    });
    for n in ["a", "b", "c"] {
        dir.write(&format!("sub/tests/test_{n}.py"), PASSING);
        history[format!("sub/tests/test_{n}.py::test_one")] = json!(0.5);
        history[format!("sub/tests/test_{n}.py::test_two")] = json!(0.5);
    }
    dir.write(
        "sub/.test_durations",
        &serde_json::to_string(&history).unwrap(),
    );
    dir
}

#[test]
fn history_from_a_rootdir_above_the_working_directory_still_plans_by_time() {
    let dir = rootdir_above_project();
    let sub = dir.path().join("sub");
    let bktec = || bktec_at(&sub, Venv::Collector);
    let out = bktec()
        .args(["plan", "--plan-out", "-", "--parallelism", "2", "--debug"])
        .output();
    out.assert_success()
        .assert_stderr_contains("`sub/` is taken off its node ids");
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    let all = entries(&plan);
    // The history is used: the fast files have their measured 1 s, and the
    // slow file is split into node ids that pytest can run from `sub/`.
    assert!(
        all.iter()
            .any(|(_, path, ms)| path == "tests/test_a.py" && *ms == Some(1000.0)),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(_, path, _)| path == "tests/test_slow.py::test_added_since"),
        "{all:?}"
    );
    let outputs = run_jobs(2, |i| {
        bktec().args(["run", "--result-path", &format!("results/node-{i}.json")])
    });
    for out in &outputs {
        out.assert_success();
    }
    let runs = runs_of_jobs(&sub, outputs.len() as u32);
    assert_eq!(runs.len(), 4 + 3 * 2, "{runs:?}");
    assert!(runs.values().all(|&c| c == 1), "{runs:?}");

    // --prune keeps what discovery finds from `sub/`, and what lies outside it.
    bktec()
        .args(["durations", "update", "--prune", "results/node-0.json"])
        .output()
        .assert_success()
        .assert_stderr_contains("0 no longer discovered dropped");
    let text = fs::read_to_string(sub.join(".test_durations")).unwrap();
    let kept: Value = serde_json::from_str(&text).unwrap();
    assert!(
        kept.get("sub/tests/test_a.py::test_one").is_some(),
        "{text}"
    );
    assert!(kept.get("elsewhere/test_x.py::test_x").is_some(), "{text}");
}

#[test]
fn prune_never_empties_a_durations_file_that_matches_nothing() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    dir.write(".test_durations", r#"{"other/test_z.py::test_z": 2.0}"#);
    dir.write("r.json", "[]");
    pytest_bktec(&dir)
        .args(["durations", "update", "--prune", "r.json"])
        .output()
        .assert_success()
        .assert_stderr_contains(
            "None of the 1 tests in the durations file is in a file that discovery found",
        );
    assert!(stored(&dir).contains_key("other/test_z.py::test_z"));
}

#[test]
fn a_pattern_with_a_leading_dot_slash_still_finds_its_history() {
    let dir = skewed_project();
    let out = pytest_bktec(&dir)
        .args([
            "plan",
            "--plan-out",
            "-",
            "--parallelism",
            "3",
            "--test-file-pattern",
            "./tests/**/test_*.py",
        ])
        .output();
    out.assert_success();
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    let all = entries(&plan);
    assert!(
        all.iter()
            .any(|(_, path, ms)| path.ends_with("tests/test_a.py") && *ms == Some(1000.0)),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(_, path, _)| path.ends_with("test_slow.py::test_added_since")),
        "the slow file is still split: {all:?}"
    );
}

#[test]
fn a_script_that_sets_up_pytest_is_collected_through_the_script() {
    // The script exports what the conftest parametrizes over: collecting
    // with pytest alone would see only `[sqlite]` and lose the others.
    let dir = project(&[
        (
            "conftest.py",
            "import os\n\ndef pytest_generate_tests(metafunc):\n    if \"backend\" in metafunc.fixturenames:\n        metafunc.parametrize(\"backend\", os.environ.get(\"BACKENDS\", \"sqlite\").split(\",\"))\n",
        ),
        (
            "tests/test_db.py",
            "def test_q1(backend):\n    pass\n\ndef test_q2(backend):\n    pass\n\ndef test_q3(backend):\n    pass\n",
        ),
        ("tests/test_s1.py", PASSING),
        ("tests/test_s2.py", PASSING),
    ]);
    dir.write(
        ".test_durations",
        r#"{"tests/test_db.py::test_q1[sqlite]": 10, "tests/test_db.py::test_q2[sqlite]": 10, "tests/test_db.py::test_q3[sqlite]": 10, "tests/test_s1.py::test_one": 1}"#,
    );
    let command =
        "sh -c 'export BACKENDS=sqlite,pg,mysql && pytest {{testExamples}} --json={{resultPath}}'";
    let outputs = run_jobs(3, |i| {
        pytest_bktec(&dir).args([
            "run",
            "--test-command",
            command,
            "--result-path",
            &format!("results/node-{i}.json"),
        ])
    });
    for out in &outputs {
        out.assert_success();
    }
    let runs = runs_of_jobs(dir.path(), outputs.len() as u32);
    assert_eq!(runs.len(), 9 + 4, "{runs:?}");
    assert!(
        runs.contains_key("tests/test_db.py::test_q2[mysql]"),
        "{runs:?}"
    );
    assert!(runs.values().all(|&c| c == 1), "{runs:?}");
}

/// A collector JSON result file of `count` passing tests of `file`, each
/// taking one second.
fn collector_results(file: &str, count: usize) -> String {
    let tests: Vec<Value> = (0..count)
        .map(|k| {
            json!({
                "id": format!("{file}-{k}"),
                "scope": file,
                "name": format!("test_{k}"),
                "location": format!("{file}:{k}"),
                "file_name": file,
                "result": "passed",
                "history": {"section": "top", "start_at": 0.0, "end_at": 1.0, "duration": 1.0}
            })
        })
        .collect();
    serde_json::to_string(&tests).unwrap()
}

#[test]
fn updates_at_once_keep_every_measurement_and_the_file_s_link_and_mode() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = project(&[]);
    dir.write("shared/durations.json", "{}");
    fs::set_permissions(
        dir.path().join("shared/durations.json"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    symlink("shared/durations.json", dir.path().join(".test_durations")).unwrap();
    let n = 12;
    for j in 0..n {
        dir.write(
            &format!("r{j}.json"),
            &collector_results(&format!("tests/test_{j}.py"), 20),
        );
    }
    let children: Vec<_> = (0..n)
        .map(|j| {
            pytest_bktec(&dir)
                .args(["durations", "update", &format!("r{j}.json")])
                .command()
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let link = dir.path().join(".test_durations");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let target = dir.path().join("shared/durations.json");
    let text = fs::read_to_string(&target).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored.as_object().unwrap().len(), n * 20, "no update lost");
    assert_eq!(
        fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn measurements_the_reader_would_refuse_are_never_written() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    dir.write(
        "j.xml",
        r#"<testsuites><testsuite><testcase classname="tests.test_a" name="test_1" time="5000000"/><testcase classname="tests.test_a" name="test_2" time="1.5"/></testsuite></testsuites>"#,
    );
    pytest_bktec(&dir)
        .args(["durations", "update", "j.xml"])
        .output()
        .assert_success()
        .assert_stderr_contains("1 measured durations are out of range")
        .assert_stderr_contains("`tests/test_a.py::test_1`: 5000000 seconds");
    let stored = stored(&dir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    pytest_bktec(&dir)
        .args(["plan", "--plan-out", "-"])
        .output()
        .assert_success();
}

#[test]
fn store_durations_is_refused_in_one_of_several_jobs() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    pytest_bktec(&dir)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "3")
        .env("BUILDKITE_PARALLEL_JOB", "0")
        .args(["run", "--store-durations"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "--store-durations is for a single local run, and this is one of 3 parallel jobs",
        )
        .assert_stderr_contains("bktec durations update");
}

#[test]
fn every_job_prints_the_fingerprint_of_the_history_it_planned_from() {
    let dir = skewed_project();
    let outputs = run_jobs(2, |_| {
        pytest_bktec(&dir).args(["plan", "--plan-out", "/dev/null"])
    });
    let lines: Vec<String> = outputs
        .iter()
        .map(|o| {
            o.stderr()
                .lines()
                .find(|l| l.contains("Planning by the timing history in `.test_durations`"))
                .unwrap_or_else(|| panic!("{}", o.stderr()))
                .to_string()
        })
        .collect();
    assert_eq!(lines[0], lines[1]);
    assert!(lines[0].contains("(16 tests, fingerprint "), "{}", lines[0]);
}

/// The targets a `--dry-run` prints: the lines after its header, up to the
/// blank line before the command.
fn dry_run_targets(out: &std::process::Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .skip_while(|line| !line.contains("Dry run: node"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(String::from)
        .collect()
}

/// `run` and `plan` acquire a plan through one stage (issue 18): the plan
/// `plan --plan-out` writes, read back by each job with `--plan-file`, gives
/// every job exactly the targets it plans itself from the same history, a
/// slow file split into its tests included; and the jobs together cover
/// every target once.
#[test]
fn plan_and_run_split_alike_for_every_job() {
    let dir = skewed_project();
    let jobs = 3;
    let (_, plan) = plan_out(&dir, jobs);
    dir.write("plan.json", &serde_json::to_string(&plan).unwrap());
    let mut every = Vec::new();
    for job in 0..jobs {
        let run = |extra: &[&str]| {
            let out = pytest_bktec(&dir)
                .env("BUILDKITE_PARALLEL_JOB_COUNT", jobs.to_string())
                .env("BUILDKITE_PARALLEL_JOB", job.to_string())
                .args(["run", "--dry-run"])
                .args(extra.iter().copied())
                .output();
            out.assert_success();
            dry_run_targets(&out.output)
        };
        let planned_here = run(&[]);
        let from_plan = run(&["--plan-file", "plan.json"]);
        assert!(!planned_here.is_empty(), "job {job} has targets");
        assert_eq!(planned_here, from_plan, "job {job}");
        every.extend(planned_here);
    }
    let slow: Vec<&String> = every
        .iter()
        .filter(|t| t.contains("test_slow.py::"))
        .collect();
    assert!(slow.len() > 1, "the slow file is split: {every:?}");
    let mut unique = every.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), every.len(), "no target twice: {every:?}");
    assert_eq!(every.len(), 6 + slow.len(), "{every:?}");
}

/// A module whose one test takes `BKTEC_TEST_SLEEP` seconds (0.05 unless
/// set), and another that takes a fixed time.
const TUNABLE: &str = r#"
import os, time

def test_tunable():
    time.sleep(float(os.environ.get("BKTEC_TEST_SLEEP", "0.05")))

def test_fixed():
    time.sleep(0.05)
"#;

/// D50 (issue 22, item 1): one run on a busy machine moves the history
/// little, a test that really became slower is followed within three runs,
/// the samples live beside the durations file, and pytest-split still reads
/// the durations file bktec writes.
#[test]
fn one_noisy_run_moves_the_history_little_and_a_real_slowdown_is_followed() {
    let dir = project(&[("tests/test_t.py", TUNABLE)]);
    let id = "tests/test_t.py::test_tunable";
    let run = |sleep: &str| {
        pytest_bktec(&dir)
            .env("BKTEC_TEST_SLEEP", sleep)
            .args(["run", "--store-durations"])
            .output()
            .assert_success();
        stored(&dir)[id].as_f64().unwrap()
    };
    assert!(run("0.05") < 0.5);
    // A noisy run: ten times slower, and outvoted.
    assert!(run("0.6") < 0.5, "one slow run moved the history");
    assert!(run("0.05") < 0.5);
    // The test became slower: one slow run is not enough, three are.
    assert!(run("0.6") < 0.5);
    run("0.6");
    assert!(run("0.6") >= 0.6, "a real slowdown is followed");
    let samples: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join(".test_durations.samples.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(samples["version"], 2);
    assert_eq!(samples["samples"][id].as_array().unwrap().len(), 5);
    // pytest-split reads the file bktec wrote and splits by it.
    for group in ["1", "2"] {
        let out =
            std::process::Command::new(crate::support::venv(Venv::NoCollector).join("pytest"))
                .args([
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--splits",
                    "2",
                    "--group",
                    group,
                ])
                .current_dir(dir.path())
                .output()
                .unwrap();
        assert!(
            out.status.success(),
            "pytest-split could not read the durations file: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// D50: a durations file another tool rewrote wins over the samples, and
/// a samples file bktec did not write is refused, naming it.
#[test]
fn a_rewritten_durations_file_wins_and_foreign_samples_are_refused() {
    let dir = project(&[("tests/test_t.py", TUNABLE)]);
    let id = "tests/test_t.py::test_fixed";
    pytest_bktec(&dir)
        .args(["run", "--store-durations"])
        .output()
        .assert_success();
    // pytest-split's --store-durations rewrote the file: 9 s.
    dir.write(".test_durations", &format!("{{\"{id}\": 9.0}}"));
    pytest_bktec(&dir)
        .args(["run", "--store-durations"])
        .output()
        .assert_success();
    let samples = fs::read_to_string(dir.path().join(".test_durations.samples.json")).unwrap();
    assert!(samples.contains(&format!("\"{id}\": [9.0,")), "{samples}");
    dir.write(".test_durations.samples.json", "{\"tests\": {}}");
    pytest_bktec(&dir)
        .args(["run", "--store-durations"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            ".test_durations.samples.json` is not a samples file of this bktec",
        );
}
