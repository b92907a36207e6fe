//! Split by example, tag filters, metadata, result upload and promise failure
//! against the Test Engine stand-in and real pytest (behaviour document 4.3,
//! 6, 7.6, 10.5, 13.1, 13.2).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::stand_in::{Recorded, Reply, StandIn};
use crate::support::{BktecCmd, TestDir, Venv, venv};

const SLOW: &str = r#"
import pytest

class TestSlow:
    @pytest.mark.parametrize("x", ["a b", "c[d]"])
    def test_param(self, x):
        assert x

def test_plain():
    assert True
"#;
const FAST: &str = "def test_fast():\n    assert True\n";
const TAGGED: &str = r#"
import pytest

@pytest.mark.execution_tag("team", "web")
def test_web():
    assert True

@pytest.mark.execution_tag("team", "api")
def test_api():
    assert True

def test_untagged():
    assert True
"#;
const FLAKY: &str = r#"
import pathlib

COUNTER = pathlib.Path(__file__).with_name("flaky-runs.txt")

def test_flaky():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs >= 1
"#;

fn api_bktec(dir: &TestDir, url: &str, which: Venv) -> BktecCmd {
    dir.bktec()
        .path_prepend(&venv(which))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "web")
        .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
        .env("BUILDKITE_BUILD_ID", "build-1")
        .env("BUILDKITE_STEP_ID", "step-1")
        .env("BUILDKITE_JOB_ID", "job-1")
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "api-token")
        .env("BUILDKITE_TEST_ENGINE_OIDC", "false")
        .env("BUILDKITE_TEST_ENGINE_BASE_URL", url)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "1s")
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "2s")
}

fn path_of(req: &Recorded) -> &str {
    req.url.split('?').next().unwrap_or_default()
}

/// A stand-in that asks for `split` files to be split and plans the examples
/// it is sent on node 0 and the selectors on node 1.
fn splitting_stand_in(split: &'static [&'static str]) -> StandIn {
    StandIn::start(move |req| {
        let path = path_of(req);
        if req.method == "GET" {
            return Reply::message(404, "miss");
        }
        if path.ends_with("/filter_tests") {
            let tests: Vec<Value> = split
                .iter()
                .map(|p| json!({"path": p, "reason": "slow file"}))
                .collect();
            return Reply::json(200, json!({"tests": tests}));
        }
        if path.ends_with("/test_plan") {
            let body = req.json();
            let examples: Vec<Value> = body["tests"]["examples"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let selectors: Vec<Value> = body["tests"]["selectors"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|s| json!({"format": "selector", "value": s["value"]}))
                .collect();
            return Reply::json(
                200,
                json!({"identifier": "build-1/step-1", "parallelism": 2, "tasks": {
                    "0": {"node_number": 0, "tests": examples},
                    "1": {"node_number": 1, "tests": selectors},
                }}),
            );
        }
        Reply::json(200, json!({}))
    })
}

#[test]
fn a_split_file_keeps_its_tests_whatever_addopts_does_to_the_output() {
    // `-q` in addopts makes `--collect-only -q` print `file: N`, and `-v` a
    // tree: the node ids come from the witness, never from scraping.
    for addopts in ["-q", "-v", "-qq"] {
        let dir = TestDir::new();
        dir.write("tests/test_slow.py", SLOW);
        dir.write("tests/test_fast.py", FAST);
        dir.write("pytest.ini", &format!("[pytest]\naddopts = {addopts}\n"));
        let stand_in = splitting_stand_in(&["tests/test_slow.py"]);
        api_bktec(&dir, &stand_in.url, Venv::Collector)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .env("BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE", "true")
            .output()
            .assert_success()
            .assert_stdout_contains("| Total   |           | 3 |");
        let create = stand_in
            .requests_to("/test_plan")
            .into_iter()
            .find(|r| r.method == "POST")
            .unwrap()
            .json();
        assert_eq!(
            create["tests"]["examples"].as_array().map(Vec::len),
            Some(3),
            "addopts {addopts}: {create}"
        );
    }
}

#[test]
fn slow_files_are_sent_as_pytest_node_ids_and_run_one_by_one() {
    let dir = TestDir::new();
    dir.write("tests/test_slow.py", SLOW);
    dir.write("tests/test_fast.py", FAST);
    dir.write("tests/test_other.py", FAST);
    let stand_in = splitting_stand_in(&["tests/test_slow.py"]);
    let out = api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE", "true")
        .output();
    out.assert_success()
        .assert_stdout_contains("'tests/test_slow.py::TestSlow::test_param[a b]' 'tests/test_slow.py::TestSlow::test_param[c[d]]' tests/test_slow.py::test_plain --json=")
        .assert_stdout_contains("| Total   |           | 3 |");
    let filter = &stand_in.requests_to("/filter_tests")[0].json();
    assert_eq!(
        filter["files"],
        json!([{"path": "tests/test_fast.py"}, {"path": "tests/test_other.py"}, {"path": "tests/test_slow.py"}])
    );
    assert_eq!(
        filter["env"]["BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE"],
        json!(true)
    );
    let create = stand_in
        .requests_to("/test_plan")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .json();
    assert_eq!(
        create["tests"],
        json!({
            "examples": [
                {"path": "tests/test_slow.py::TestSlow::test_param[a b]", "format": "example",
                 "identifier": "tests/test_slow.py::TestSlow::test_param[a b]", "name": "test_param[a b]",
                 "scope": "tests/test_slow.py::TestSlow"},
                {"path": "tests/test_slow.py::TestSlow::test_param[c[d]]", "format": "example",
                 "identifier": "tests/test_slow.py::TestSlow::test_param[c[d]]", "name": "test_param[c[d]]",
                 "scope": "tests/test_slow.py::TestSlow"},
                {"path": "tests/test_slow.py::test_plain", "format": "example",
                 "identifier": "tests/test_slow.py::test_plain", "name": "test_plain", "scope": "tests/test_slow.py"},
            ],
            "selectors": [{"value": "tests/test_fast.py"}, {"value": "tests/test_other.py"}],
        })
    );
    // Node 1 runs the other files as selectors.
    api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "1")
        .output()
        .assert_success()
        .assert_stdout_contains("\npytest tests/test_fast.py tests/test_other.py --json=");
}

#[test]
fn example_collection_failures_are_fatal() {
    let dir = TestDir::new();
    dir.write("tests/test_slow.py", "def test_x(:\n    pass\n");
    let stand_in = splitting_stand_in(&["tests/test_slow.py"]);
    api_bktec(&dir, &stand_in.url, Venv::Collector)
        .output()
        .assert_exit(16)
        .assert_stderr_contains("❌ Unexpected error: get examples: pytest collection failed:");
}

#[test]
fn tag_filters_send_only_tagged_tests() {
    let dir = TestDir::new();
    dir.write("tests/test_tagged.py", TAGGED);
    dir.write("tests/test_fast.py", FAST);
    let stand_in = splitting_stand_in(&[]);
    let out = api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_TAG_FILTERS", "team:web")
        .output();
    out.assert_success()
        .assert_stdout_contains("| Total   |           | 1 |");
    assert!(
        stand_in.requests_to("/filter_tests").is_empty(),
        "no filter_tests with tag filters"
    );
    let create = stand_in
        .requests_to("/test_plan")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .json();
    assert_eq!(
        create["tests"],
        json!({"examples": [{"path": "tests/test_tagged.py::test_web", "format": "example",
            "identifier": "tests/test_tagged.py::test_web", "name": "test_web", "scope": "tests/test_tagged.py"}]})
    );
}

#[test]
fn tag_filters_apply_in_local_mode_too() {
    let dir = TestDir::new();
    dir.write("tests/test_tagged.py", TAGGED);
    let out = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .args(["run", "--tag-filters", "team:api"])
        .output();
    out.assert_success()
        .assert_stdout_contains("--tag-filters team:api")
        .assert_stdout_contains("| Total   |           | 1 |");
}

#[test]
fn tag_filters_need_a_recent_collector() {
    let dir = TestDir::new();
    dir.write("tests/test_tagged.py", TAGGED);
    let run = |which| {
        dir.bktec()
            .path_prepend(&venv(which))
            .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
            .env("BUILDKITE_TEST_ENGINE_TAG_FILTERS", "team:web")
            .output()
    };
    run(Venv::NoCollector)
        .assert_exit(1)
        .assert_stderr_contains("Error: --tag-filters requires the 'buildkite-test-collector' package.\nPlease install it with: pip install buildkite-test-collector.");
    run(Venv::OldCollector)
        .assert_exit(1)
        .assert_stderr_contains("Error: buildkite-test-collector version 1.2.0 is installed, but version >1.2.0 is required for --tag-filters support\nPlease upgrade with: pip install --upgrade buildkite-test-collector");
}

#[test]
fn metadata_carries_the_timeline_statistics_and_env() {
    let dir = TestDir::new();
    dir.write("tests/test_flaky.py", FLAKY);
    dir.write("tests/test_fast.py", FAST);
    let stand_in = StandIn::test_engine();
    let out = api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/test_*.py")
        .output();
    out.assert_success();
    let metadata = stand_in.requests_to("/test_plan_metadata");
    assert_eq!(metadata.len(), 1);
    let body = metadata[0].json();
    assert_eq!(
        body["version"],
        json!(format!("v{}", env!("CARGO_PKG_VERSION")))
    );
    let events: Vec<&str> = body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["test_start", "test_end", "retry_1_start", "retry_1_end"]
    );
    for e in body["timeline"].as_array().unwrap() {
        let ts = e["timestamp"].as_str().unwrap();
        assert!(
            ts.len() >= 20 && ts.ends_with('Z') && ts.contains('T'),
            "{ts}"
        );
    }
    assert_eq!(
        body["statistics"],
        json!({"total": 2, "passed_on_first_run": 1, "passed_on_retry": 1, "muted_passed": 0, "muted_failed": 0, "failed": 0, "skipped": 0})
    );
    assert_eq!(
        body["env"],
        json!({
            "BUILDKITE_BUILD_ID": "build-1", "BUILDKITE_TEST_ENGINE_DEBUG_ENABLED": false,
            "BUILDKITE_TEST_ENGINE_IDENTIFIER": "build-1/step-1", "BUILDKITE_JOB_ID": "job-1",
            "BUILDKITE_RETRY_COUNT": 0, "BUILDKITE_TEST_ENGINE_RETRY_COUNT": 1, "BUILDKITE_PARALLEL_JOB": 0,
            "BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PARALLEL_JOB_COUNT": 1,
            "BUILDKITE_TEST_ENGINE_RETRY_CMD": "", "BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE": false,
            "BUILDKITE_STEP_ID": "step-1", "BUILDKITE_TEST_ENGINE_SUITE_SLUG": "web",
            "BUILDKITE_TEST_ENGINE_TAG_FILTERS": "", "BUILDKITE_TEST_ENGINE_TEST_CMD": "",
            "BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN": "",
            "BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN": "tests/test_*.py",
            "BUILDKITE_TEST_ENGINE_TEST_RUNNER": "pytest"
        })
    );
}

#[test]
fn metadata_failures_do_not_change_the_exit_status() {
    let dir = TestDir::new();
    dir.write("tests/test_fast.py", FAST);
    let stand_in = StandIn::start(|req| {
        let path = path_of(req).to_string();
        if path.ends_with("/test_plan_metadata") {
            Reply::message(500, "metadata is down")
        } else if path.ends_with("/filter_tests") {
            Reply::json(200, json!({"tests": []}))
        } else {
            Reply::json(
                200,
                json!({"tasks": {"0": {"node_number": 0, "tests": [{"format": "selector", "value": "tests/test_fast.py"}]}}}),
            )
        }
    });
    api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "200ms")
        .output()
        .assert_success()
        .assert_stdout_contains(
            "Failed to send metadata to Test Engine: request retry timeout: response code: 500",
        );
}

/// The parts of a multipart body: (name, filename, content).
fn multipart(req: &Recorded) -> Vec<(String, Option<String>, String)> {
    let content_type = req.header("content-type").unwrap();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    req.body
        .split(&format!("--{boundary}"))
        .filter(|p| !p.trim().is_empty() && p.trim() != "--")
        .map(|part| {
            let (head, content) = part.split_once("\r\n\r\n").unwrap();
            let disposition = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
                .unwrap();
            let field = |key: &str| {
                disposition
                    .split(';')
                    .map(str::trim)
                    .find_map(|kv| kv.strip_prefix(&format!("{key}=\"")))
                    .map(|v| v.trim_end_matches('"').to_string())
            };
            (
                field("name").unwrap(),
                field("filename"),
                content.trim_end_matches("\r\n").to_string(),
            )
        })
        .collect()
}

/// The form of an upload, field by field, in order (13.1).
fn assert_upload_fields(req: &Recorded, dir: &TestDir) {
    let parts = multipart(req);
    let fields: BTreeMap<String, String> = parts
        .iter()
        .filter(|p| p.1.is_none())
        .map(|p| (p.0.clone(), p.2.clone()))
        .collect();
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "format",
            "run_env[CI]",
            "run_env[key]",
            "run_env[branch]",
            "run_env[commit_sha]",
            "run_env[number]",
            "run_env[url]",
            "run_env[job_id]",
            "run_env[message]",
            "run_env[location_prefix]",
            "run_env[collector]",
            "run_env[test_runner]",
            "run_env[version]",
            "run_env[cwd]",
            "tags[team]",
            "tags[os]",
            "data"
        ]
    );
    assert_eq!(fields["format"], "junit");
    assert_eq!(fields["run_env[CI]"], "buildkite");
    assert_eq!(fields["run_env[key]"], "build-9");
    assert_eq!(fields["run_env[commit_sha]"], "abc123");
    assert_eq!(fields["run_env[number]"], "42");
    assert_eq!(fields["run_env[message]"], "Fix the thing");
    assert_eq!(fields["run_env[collector]"], "bktec");
    assert_eq!(fields["run_env[test_runner]"], "pytest");
    assert_eq!(fields["run_env[cwd]"], dir.path().display().to_string());
    assert_eq!(fields["tags[team]"], "web");
    let data = parts.iter().find(|p| p.0 == "data").unwrap();
    assert_eq!(data.1.as_deref(), Some("pytest-results.xml"));
    assert!(
        data.2.contains("<testcase") && data.2.contains("test_flaky"),
        "{}",
        data.2
    );
}

#[test]
fn results_are_uploaded_after_every_attempt_field_by_field() {
    let dir = TestDir::new();
    dir.write("tests/test_flaky.py", FLAKY);
    let uploads: Arc<Mutex<u32>> = Arc::default();
    let count = Arc::clone(&uploads);
    let stand_in = StandIn::start(move |req| {
        if path_of(req) == "/v1/uploads" {
            *count.lock().unwrap() += 1;
            return Reply::json(202, json!({"id": "x"}));
        }
        Reply::message(404, "nothing here")
    });
    let out = dir
        .bktec()
        .path_prepend(&venv(Venv::NoCollector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .env("BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS", "true")
        .env(
            "BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL",
            format!("{}/", stand_in.url),
        )
        .env("BUILDKITE_ANALYTICS_TOKEN", "upload-token-1")
        .env("BUILDKITE_BUILD_ID", "build-9")
        .env("BUILDKITE_BRANCH", "main")
        .env("BUILDKITE_COMMIT", "abc123")
        .env("BUILDKITE_BUILD_NUMBER", "42")
        .env(
            "BUILDKITE_BUILD_URL",
            "https://buildkite.com/acme/web/builds/42",
        )
        .env("BUILDKITE_JOB_ID", "job-9")
        .env("BUILDKITE_MESSAGE", "Fix the thing")
        .args(["run", "--tag", "team=web", "--tag", "os=linux"])
        .output();
    out.assert_success().assert_stdout_contains(
        "Buildkite Test Engine Client: Uploading test results to Test Engine",
    );
    assert_eq!(*uploads.lock().unwrap(), 2, "one upload per attempt");
    let req = &stand_in.requests_to("/v1/uploads")[0];
    assert_eq!(
        req.header("authorization"),
        Some("Token token=upload-token-1")
    );
    assert_upload_fields(req, &dir);
}

#[test]
fn upload_failures_only_warn() {
    let dir = TestDir::new();
    dir.write("tests/test_fast.py", FAST);
    let stand_in = StandIn::start(|_| Reply::Body(422, "bad format".into(), vec![]));
    dir.bktec()
        .path_prepend(&venv(Venv::NoCollector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS", "true")
        .env("BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL", stand_in.url.clone())
        .env("BUILDKITE_ANALYTICS_TOKEN", "upload-token-1")
        .output()
        .assert_success()
        .assert_stdout_contains("Failed to upload test results to Test Engine: upload failed with status 422: bad format");
    // No token: one warning, no upload.
    dir.bktec()
        .path_prepend(&venv(Venv::NoCollector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS", "true")
        .env(
            "BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL",
            stand_in.url.clone(),
        )
        .output()
        .assert_success()
        .assert_stdout_contains(
            "Warning: upload-results is enabled but no upload token was provided.",
        );
    assert_eq!(stand_in.requests().len(), 1);
}

#[test]
fn promise_failure_calls_the_agent_only_when_hard_failures_remain() {
    let dir = TestDir::new();
    let log = dir.path().join("agent.txt");
    let agent = dir.write(
        "bin/fake-agent",
        &format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", log.display()),
    );
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
    dir.write(
        "tests/test_fail.py",
        "def test_broken():\n    assert False\n",
    );
    let out = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_PROMISE_FAILURE", "true")
        .args([
            "run",
            "--buildkite-agent-command",
            &agent.display().to_string(),
        ])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("+++ Buildkite Test Engine Client: ⚠️  Declaring early failure: 1 hard test failure(s) remain after retries")
        .assert_stdout_contains("promise-failure command completed");
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "job\npromise-failure\n1\n--reason\ntest_failure (1 failed after retries)\n"
    );
    fs::remove_file(&log).unwrap();
    fs::write(dir.path().join("tests/test_fail.py"), FAST).unwrap();
    dir.bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_PROMISE_FAILURE", "true")
        .args([
            "run",
            "--buildkite-agent-command",
            &agent.display().to_string(),
        ])
        .output()
        .assert_success();
    assert!(!log.exists(), "no promise without hard failures");
}

#[test]
fn a_signal_while_metadata_is_sent_ends_bktec_at_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let dir = TestDir::new();
    dir.write("tests/test_fast.py", FAST);
    let reached = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&reached);
    let stand_in = StandIn::start(move |req| {
        let path = path_of(req).to_string();
        if path.ends_with("/test_plan_metadata") {
            seen.store(true, Ordering::SeqCst);
            Reply::Hang
        } else if path.ends_with("/filter_tests") {
            Reply::json(200, json!({"tests": []}))
        } else {
            Reply::json(
                200,
                json!({"tasks": {"0": {"node_number": 0, "tests": [{"format": "selector", "value": "tests/test_fast.py"}]}}}),
            )
        }
    });
    let mut child = api_bktec(&dir, &stand_in.url, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "20s")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "60s")
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !reached.load(Ordering::SeqCst) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "metadata was never sent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "bktec kept waiting for the metadata"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(143));
}
