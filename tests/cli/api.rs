//! `bktec run` and `bktec plan` against the Test Engine stand-in (behaviour
//! document 3, 4, 10.3, 11; D17, D19, D21).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};

use crate::support::stand_in::{Reply, StandIn, query_value, refused_url};
use crate::support::{BktecCmd, TestDir, Venv, venv};

const TOKEN: &str = "bkua_secret_token_value";
const PASS: &str = "def test_ok():\n    assert True\n";

fn project() -> TestDir {
    let dir = TestDir::new();
    for f in ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py"] {
        dir.write(f, PASS);
    }
    dir
}

/// bktec in API mode against `url`, with fast retries.
fn api_bktec(dir: &TestDir, url: &str) -> BktecCmd {
    dir.bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "my suite")
        .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
        .env("BUILDKITE_BUILD_ID", "build-1")
        .env("BUILDKITE_STEP_ID", "step/1")
        .env("BUILDKITE_BRANCH", "main")
        .env("BUILDKITE_RETRY_COUNT", "2")
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", TOKEN)
        .env("BUILDKITE_TEST_ENGINE_OIDC", "false")
        .env("BUILDKITE_TEST_ENGINE_BASE_URL", url)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "2s")
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "1s")
}

fn plan_of(tests: &[&str]) -> Value {
    json!({
        "identifier": "build-1/step/1",
        "parallelism": 1,
        "tasks": {"0": {"node_number": 0, "tests": tests.iter().map(|t| json!({"format": "selector", "value": t})).collect::<Vec<_>>()}},
    })
}

#[test]
fn requests_are_exact_and_a_cache_miss_creates_the_plan() {
    let dir = project();
    let stand_in = StandIn::start(|req| match (req.method.as_str(), req.url.as_str()) {
        ("GET", _) => Reply::message(404, "no cached plan"),
        (_, url) if url.ends_with("/filter_tests") => Reply::json(200, json!({"tests": []})),
        _ => Reply::json(200, plan_of(&["tests/test_a.py", "tests/test_c.py"])),
    });
    let out = api_bktec(&dir, &stand_in.url).output();
    out.assert_success()
        .assert_stdout_contains("| Total   |           | 2 |");
    let reqs = stand_in.requests();
    let paths: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.split('?').next().unwrap()))
        .collect();
    let base = "/v2/analytics/organizations/acme/suites/my%20suite";
    assert_eq!(
        paths,
        [
            format!("GET {base}/test_plan"),
            format!("POST {base}/test_plan/filter_tests"),
            format!("POST {base}/test_plan"),
            format!("POST {base}/test_plan_metadata"),
        ]
    );
    let (get, post) = (&reqs[0], &reqs[2]);
    // D21: path segments and query values are percent-encoded.
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.url,
        "/v2/analytics/organizations/acme/suites/my%20suite/test_plan?identifier=build-1%2Fstep%2F1&job_retry_count=2"
    );
    assert_eq!(
        query_value(&get.url, "identifier").as_deref(),
        Some("build-1/step/1")
    );
    for req in [get, post] {
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
        let ua = req.header("user-agent").unwrap();
        assert!(
            ua.starts_with("Buildkite Test Engine Client/v") && ua.contains("(linux/"),
            "{ua}"
        );
    }
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.url,
        "/v2/analytics/organizations/acme/suites/my%20suite/test_plan"
    );
    assert_eq!(
        post.json(),
        json!({
            "runner": "pytest",
            "identifier": "build-1/step/1",
            "parallelism": 1,
            "branch": "main",
            "tests": {"selectors": [
                {"value": "tests/test_a.py"}, {"value": "tests/test_b.py"}, {"value": "tests/test_c.py"}
            ]}
        })
    );
}

/// D21 with hostile values: every byte of a suite slug or identifier other
/// than RFC 3986's unreserved characters reaches the server as `%XX`
/// (upper-case hex, UTF-8 bytes one by one), so `/`, `?`, `#`, `%` and a
/// space can neither add a path segment nor end the path or the query.
#[test]
fn hostile_slugs_and_identifiers_are_percent_encoded_byte_by_byte() {
    let dir = project();
    let stand_in = StandIn::start(|_| Reply::json(200, plan_of(&["tests/test_b.py"])));
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "50% a/b?c#d~ü")
        .env("BUILDKITE_BUILD_ID", "b 1&x=y")
        .env("BUILDKITE_STEP_ID", "s+é#1")
        .output();
    out.assert_success();
    let reqs = stand_in.requests();
    assert_eq!(
        reqs[0].url,
        "/v2/analytics/organizations/acme/suites/50%25%20a%2Fb%3Fc%23d~%C3%BC\
         /test_plan?identifier=b%201%26x%3Dy%2Fs%2B%C3%A9%231&job_retry_count=2"
    );
    assert_eq!(
        query_value(&reqs[0].url, "identifier").as_deref(),
        Some("b 1&x=y/s+é#1")
    );
}

#[test]
fn a_cached_plan_is_used_without_creating_one() {
    let dir = project();
    let stand_in = StandIn::start(|_| Reply::json(200, plan_of(&["tests/test_b.py"])));
    let out = api_bktec(&dir, &stand_in.url).output();
    out.assert_success()
        .assert_stdout_contains("\npytest tests/test_b.py --json=")
        .assert_stdout_contains("| Total   |           | 1 |");
    assert_eq!(
        stand_in.requests_to("/test_plan").len(),
        1,
        "only the cached plan is fetched"
    );
    assert!(stand_in.requests_to("/filter_tests").is_empty());
}

#[test]
fn an_error_plan_falls_back_to_the_local_split() {
    let dir = project();
    let stand_in = StandIn::start(|_| Reply::json(200, json!({"tasks": {}})));
    let out = api_bktec(&dir, &stand_in.url).output();
    out.assert_success()
        .assert_stderr_contains("⚠️ Error Plan: The Test Engine API failed to generate a plan.")
        .assert_stderr_contains(
            "⚠️ Falling back to non-intelligent splitting. Your build may take longer than usual.",
        )
        .assert_stdout_contains("| Total   |           | 3 |");
}

#[test]
fn a_missing_node_task_means_no_tests_here() {
    let dir = project();
    let stand_in = StandIn::start(|_| Reply::json(200, plan_of(&["tests/test_a.py"])));
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "1")
        .output();
    out.assert_success()
        .assert_stderr_contains("The plan has no task for node 1.")
        .assert_stdout_contains("No tests to run on this node");
}

/// Runs against a stand-in replying with `replies` in turn (the last one repeats).
fn scripted(replies: Vec<Reply>) -> (StandIn, TestDir) {
    let mut replies = replies
        .into_iter()
        .collect::<std::collections::VecDeque<_>>();
    let stand_in = StandIn::start(move |_| {
        if replies.len() > 1 {
            replies.pop_front().unwrap()
        } else {
            match replies.front().unwrap() {
                Reply::Body(s, b, h) => Reply::Body(*s, b.clone(), h.clone()),
                Reply::Hang => Reply::Hang,
            }
        }
    });
    (stand_in, project())
}

#[test]
fn connection_refused_warns_and_falls_back() {
    // Issue 21, item 3: a server that refuses connections is unreachable
    // after three quick tries, not retried for the whole budget (93 s with
    // the defaults), and said so. The budget here is the default's.
    let dir = project();
    let out = api_bktec(&dir, &refused_url())
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "3s")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "130s")
        .output();
    out.assert_success()
        .assert_stderr_contains("Buildkite Test Engine Client: API request failed: ")
        .assert_stderr_contains("Buildkite Test Engine Client: Retrying API request (attempt 3)")
        .assert_stderr_contains("⚠️ Unreachable: Test Engine API could not be reached")
        .assert_stderr_contains("Last request error: ")
        .assert_stdout_contains("| Total   |           | 3 |");
    assert!(
        !out.stderr().contains("attempt 4"),
        "three tries, then fall back:\n{}",
        out.stderr()
    );
}

#[test]
fn a_server_that_never_answers_times_out_per_attempt() {
    let (stand_in, dir) = scripted(vec![Reply::Hang]);
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "300ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "1s")
        .output();
    out.assert_success()
        .assert_stderr_contains("request timed out after 300ms")
        .assert_stderr_contains("⚠️ Timeout: Test Engine API timed out");
}

#[test]
fn server_errors_are_retried_until_they_pass() {
    let (stand_in, dir) = scripted(vec![
        Reply::message(500, "oops"),
        Reply::message(502, "oops"),
        Reply::message(503, "oops"),
        Reply::json(200, plan_of(&["tests/test_a.py"])),
    ]);
    let out = api_bktec(&dir, &stand_in.url).output();
    out.assert_success()
        .assert_stderr_contains(
            "Buildkite Test Engine Client: API request failed: response code: 500",
        )
        .assert_stderr_contains(
            "Buildkite Test Engine Client: API request failed: response code: 503",
        )
        .assert_stderr_contains("Buildkite Test Engine Client: Retrying API request (attempt 4)")
        .assert_stdout_contains("| Total   |           | 1 |");
    assert_eq!(stand_in.requests_to("/test_plan").len(), 4);
}

#[test]
fn rate_limits_wait_for_the_reset() {
    let (stand_in, dir) = scripted(vec![
        Reply::Body(
            429,
            r#"{"message":"slow down"}"#.into(),
            vec![("RateLimit-Reset".into(), "1".into())],
        ),
        Reply::json(200, plan_of(&["tests/test_a.py"])),
    ]);
    let started = Instant::now();
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "10s")
        .output();
    out.assert_success()
        .assert_stderr_contains("response code: 429");
    assert!(
        started.elapsed().as_millis() >= 1000,
        "waited for RateLimit-Reset"
    );
    assert_eq!(stand_in.requests_to("/test_plan").len(), 2);
}

#[test]
fn conflicts_are_retried() {
    let (stand_in, dir) = scripted(vec![
        Reply::message(404, "miss"),
        Reply::json(200, json!({"tests": []})),
        Reply::message(409, "being created"),
        Reply::json(200, plan_of(&["tests/test_a.py"])),
    ]);
    api_bktec(&dir, &stand_in.url)
        .output()
        .assert_success()
        .assert_stderr_contains("response code: 409");
    let methods: Vec<String> = stand_in
        .requests_to("/test_plan")
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(methods, ["GET", "POST", "POST"]);
}

#[test]
fn fatal_errors_exit_16_with_their_message() {
    for (reply, want) in [
        (
            Reply::message(401, "token expired"),
            "❌ Authentication Failed: token expired (check BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN",
        ),
        (
            Reply::message(403, "no access"),
            "❌ Access Denied: no access (check the scopes of BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN: planning needs read_suites and write_suites",
        ),
        (
            Reply::message(400, "bad selectors"),
            "❌ Invalid Request: bad selectors",
        ),
        (
            Reply::Body(200, "{not json".into(), vec![]),
            "❌ Unexpected error: parsing response: ",
        ),
        (
            Reply::Body(404, "<html>".into(), vec![]),
            "❌ Unexpected error: parsing response: ",
        ),
        (
            Reply::message(410, "gone for good"),
            "❌ Unexpected error: gone for good",
        ),
    ] {
        let (stand_in, dir) = scripted(vec![reply]);
        let out = api_bktec(&dir, &stand_in.url).output();
        out.assert_exit(16).assert_stderr_contains(want);
        assert!(
            !out.stdout().contains("Running tests"),
            "no tests run after a fatal error"
        );
    }
}

#[test]
fn recoverable_errors_fall_back_with_their_warning() {
    for (reply, want) in [
        (
            Reply::message(403, "Billing Error: trial ended"),
            vec!["⚠️ Billing Error: Billing Error: trial ended"],
        ),
        (
            Reply::message(422, "Test Engine is disabled"),
            vec!["⚠️ Unavailable: Test Engine is disabled"],
        ),
        (
            Reply::message(500, "down"),
            vec![
                "⚠️ Timeout: Test Engine API timed out",
                "Last request error: response code: 500",
            ],
        ),
    ] {
        let (stand_in, dir) = scripted(vec![reply]);
        let out = api_bktec(&dir, &stand_in.url)
            .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "300ms")
            .output();
        out.assert_success()
            .assert_stderr_contains("⚠️ Falling back to non-intelligent splitting.");
        for w in want {
            out.assert_stderr_contains(w);
        }
        out.assert_stdout_contains("| Total   |           | 3 |");
    }
    // A 404 on create (not the cache) means the org or suite is wrong.
    let (stand_in, dir) = scripted(vec![Reply::message(404, "Suite not found")]);
    api_bktec(&dir, &stand_in.url)
        .output()
        .assert_success()
        .assert_stderr_contains("⚠️ Not Found: Suite not found")
        .assert_stderr_contains(
            "Check BUILDKITE_ORGANIZATION_SLUG and BUILDKITE_TEST_ENGINE_SUITE_SLUG are correct.",
        );
}

/// A fake `buildkite-agent` that records its arguments and prints a token.
fn fake_agent(dir: &TestDir, token: &str, exit: i32) -> (PathBuf, PathBuf) {
    let log = dir.path().join("agent-args.txt");
    let script = dir.write(
        "bin/buildkite-agent",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho '--' >> '{}'\nif [ {exit} -ne 0 ]; then echo 'agent says no' >&2; exit {exit}; fi\necho '  {token}  '\n",
            log.display(),
            log.display()
        ),
    );
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

#[test]
fn oidc_tokens_come_from_the_agent() {
    let dir = project();
    let (agent, log) = fake_agent(&dir, "oidc-token-123", 0);
    let stand_in = StandIn::start(|_| Reply::json(200, plan_of(&["tests/test_a.py"])));
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "")
        .env("BUILDKITE_TEST_ENGINE_OIDC", "true")
        .args([
            "run",
            "--buildkite-agent-command",
            &agent.display().to_string(),
        ])
        .output();
    out.assert_success();
    let args = fs::read_to_string(&log).unwrap();
    let first: Vec<&str> = args.split("--\n").next().unwrap().lines().collect();
    assert_eq!(
        first,
        [
            "oidc",
            "request-token",
            "--audience",
            &format!(
                "{}/v2/analytics/organizations/acme/suites/my suite",
                stand_in.url
            ),
            "--lifetime",
            "7200"
        ]
    );
    assert_eq!(
        stand_in.requests()[0].header("authorization"),
        Some("Bearer oidc-token-123")
    );
    // The token is never printed.
    assert!(!out.stdout().contains("oidc-token-123") && !out.stderr().contains("oidc-token-123"));

    let (agent, _) = fake_agent(&dir, "", 3);
    api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "")
        .env("BUILDKITE_TEST_ENGINE_OIDC", "true")
        .args(["run", "--buildkite-agent-command", &agent.display().to_string()])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN error generating token: agent says no: exit status: 3");
}

#[test]
fn tokens_never_appear_in_debug_output() {
    let dir = project();
    let stand_in = StandIn::start(|_| Reply::json(200, plan_of(&["tests/test_a.py"])));
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_ANALYTICS_TOKEN", "analytics_secret_456")
        .args(["--debug", "run"])
        .output();
    out.assert_success()
        .assert_stderr_contains("DEBUG: Sending request GET ");
    let all = format!("{}{}", out.stdout(), out.stderr());
    assert!(
        !all.contains(TOKEN) && !all.contains("analytics_secret_456"),
        "{all}"
    );
}

fn plan_bktec(dir: &TestDir, url: &str) -> BktecCmd {
    api_bktec(dir, url)
        .env("BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER", "plan-xyz")
        .arg("plan")
}

#[test]
fn plan_json_prints_only_json() {
    let dir = project();
    let stand_in = StandIn::start(|_| {
        Reply::json(
            200,
            json!({"identifier": "plan-xyz", "parallelism": 6, "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}]}}}),
        )
    });
    let out = plan_bktec(&dir, &stand_in.url)
        .args(["--json", "--max-parallelism", "8", "--target-time", "90s"])
        .output();
    out.assert_success();
    assert_eq!(
        out.stdout(),
        "{\"BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER\":\"plan-xyz\",\"BUILDKITE_TEST_ENGINE_PARALLELISM\":\"6\"}\n"
    );
    assert!(
        stand_in.requests().iter().all(|r| r.method == "POST"),
        "plan never reads the cache"
    );
    let reqs = stand_in.requests_to("/test_plan");
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json();
    assert_eq!(
        (body["max_parallelism"].clone(), body["target_time"].clone()),
        (json!(8), json!(90.0))
    );
    // A fallback still prints JSON, with the configured identifier and parallelism.
    let out = plan_bktec(&dir, &refused_url())
        .args(["--json", "--max-parallelism", "4"])
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "200ms")
        .output();
    out.assert_success()
        .assert_stderr_contains("⚠️ Unreachable");
    assert_eq!(
        out.stdout(),
        "{\"BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER\":\"plan-xyz\",\"BUILDKITE_TEST_ENGINE_PARALLELISM\":\"4\"}\n"
    );
}

#[test]
fn plan_out_writes_the_raw_plan_reindented() {
    let dir = project();
    let raw = r#"{"zeta":1,"identifier":"plan-xyz","parallelism":2,"tasks":{"0":{"node_number":0,"tests":[{"format":"selector","value":"tests/test_a.py","estimated_duration":12.5}]}},"extra":{"kept":true}}"#;
    let stand_in = StandIn::start(move |_| Reply::Body(200, raw.to_string(), vec![]));
    let out = plan_bktec(&dir, &stand_in.url)
        .args(["--plan-out", "-"])
        .output();
    out.assert_success();
    let printed: Value = serde_json::from_str(&out.stdout()).expect("stdout is only JSON (D19)");
    assert_eq!(printed, serde_json::from_str::<Value>(raw).unwrap());
    assert!(
        out.stdout().starts_with("{\n  \"zeta\": 1,"),
        "key order and unknown fields kept: {}",
        out.stdout()
    );
    // The written plan replays with --plan-file, on a build of its 2 jobs (D26).
    dir.write("plan.json", &out.stdout());
    api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .args(["run", "--plan-file", "plan.json"])
        .output()
        .assert_success()
        .assert_stdout_contains("| Total   |           | 1 |");
}

#[test]
fn pipeline_upload_runs_the_agent_with_the_plan() {
    let dir = project();
    let log = dir.path().join("upload.txt");
    let agent = dir.write(
        "bin/buildkite-agent",
        &format!(
            "#!/bin/sh\necho \"$@ $BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER $BUILDKITE_TEST_ENGINE_PARALLELISM\" > '{}'\nexit 7\n",
            log.display()
        ),
    );
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
    let stand_in = StandIn::start(|_| {
        Reply::json(
            200,
            json!({"identifier": "plan-xyz", "parallelism": 3, "tasks": {"0": {"tests": [{"path": "tests/test_a.py"}]}}}),
        )
    });
    let out = plan_bktec(&dir, &stand_in.url)
        .args([
            "--pipeline-upload",
            "pipeline.yml",
            "--buildkite-agent-command",
            &agent.display().to_string(),
        ])
        .output();
    out.assert_exit(7).assert_stdout_contains(
        "Executing buildkite-agent pipeline upload with BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER=plan-xyz BUILDKITE_TEST_ENGINE_PARALLELISM=3",
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "pipeline upload pipeline.yml plan-xyz 3\n"
    );
}

#[test]
fn a_parallel_build_shares_one_plan() {
    let dir = TestDir::new();
    let files: Vec<String> = (0..7).map(|i| format!("tests/test_{i}.py")).collect();
    for f in &files {
        dir.write(f, PASS);
    }
    let stand_in = StandIn::test_engine();
    let n = 3;
    let children: Vec<_> = (0..n)
        .map(|i| {
            api_bktec(&dir, &stand_in.url)
                .env("BUILDKITE_PARALLEL_JOB_COUNT", n.to_string())
                .env("BUILDKITE_PARALLEL_JOB", i.to_string())
                .args(["run", "--result-path", &format!("out/node-{i}.json")])
                .command()
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("📊 Split summary"));
    }
    let mut ran: Vec<String> = Vec::new();
    for i in 0..n {
        let results: Value = serde_json::from_str(
            &fs::read_to_string(dir.path().join(format!("out/node-{i}.json"))).unwrap(),
        )
        .unwrap();
        ran.extend(
            results
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["file_name"].as_str().unwrap().to_string()),
        );
    }
    ran.sort();
    assert_eq!(ran, files, "every file once, none twice");
}

/// A Test Engine plan whose every task is empty runs nothing anywhere: it
/// is an error plan for every command (D26). `run` falls back to the local
/// split and runs its tests, rather than passing every job with none;
/// `plan --json` says so and prints the local plan's parallelism.
#[test]
fn a_plan_whose_every_task_is_empty_is_an_error_plan_for_every_command() {
    let dir = project();
    let stand_in = StandIn::start(|req| match (req.method.as_str(), req.url.as_str()) {
        ("GET", _) => Reply::message(404, "no cached plan"),
        (_, url) if url.ends_with("/filter_tests") => Reply::json(200, json!({"tests": []})),
        _ => Reply::json(
            200,
            json!({"identifier": "x", "parallelism": 2, "tasks": {"0": {"tests": []}, "1": {"tests": []}}}),
        ),
    });
    let out = api_bktec(&dir, &stand_in.url)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "0")
        .arg("run")
        .output();
    out.assert_success()
        .assert_stderr_contains("Error Plan: The Test Engine API failed to generate a plan.");
    let stdout = out.stdout();
    assert!(
        stdout.contains("2 passed") && !stdout.contains("No tests to run"),
        "the fallback ran this job's share:\n{stdout}"
    );
    let out = plan_bktec(&dir, &stand_in.url)
        .args(["--json", "--max-parallelism", "3"])
        .output();
    out.assert_success()
        .assert_stderr_contains("Error Plan: The Test Engine API failed to generate a plan.");
    assert_eq!(
        out.stdout(),
        "{\"BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER\":\"plan-xyz\",\"BUILDKITE_TEST_ENGINE_PARALLELISM\":\"3\"}\n"
    );
}

/// Tests in a task that no job of the build reads (a job index past the
/// job count, or spelled `"00"`) would be dropped by every job: such a plan
/// is an error plan too (D26), and the jobs fall back to the local split.
#[test]
fn a_plan_with_tests_no_job_reads_is_an_error_plan() {
    let test_a = json!([{"path": "tests/test_a.py"}]);
    for tasks in [
        json!({"5": {"tests": test_a}}),
        json!({"00": {"tests": test_a}}),
        json!({"0": {"tests": test_a}, "2": {"tests": test_a}}),
    ] {
        let dir = project();
        let plan = json!({"identifier": "x", "parallelism": 2, "tasks": tasks});
        let stand_in = StandIn::start(move |req| match (req.method.as_str(), req.url.as_str()) {
            ("GET", _) => Reply::message(404, "no cached plan"),
            (_, url) if url.ends_with("/filter_tests") => Reply::json(200, json!({"tests": []})),
            _ => Reply::json(200, plan.clone()),
        });
        let out = api_bktec(&dir, &stand_in.url)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .env("BUILDKITE_PARALLEL_JOB", "1")
            .arg("run")
            .output();
        out.assert_success()
            .assert_stderr_contains("Error Plan: The Test Engine API failed to generate a plan.")
            .assert_stdout_contains("1 passed");
    }
}

/// Credentials in a URL never reach the log (issue 19, item 5): not in
/// `bktec config`, not in the debug lines of requests, not in retry lines.
#[test]
fn credentials_in_the_base_url_are_never_shown() {
    let dir = project();
    let stand_in = StandIn::start(|req| match (req.method.as_str(), req.url.as_str()) {
        ("GET", _) => Reply::message(404, "no cached plan"),
        (_, url) if url.ends_with("/filter_tests") => Reply::json(200, json!({"tests": []})),
        _ => Reply::json(200, plan_of(&["tests/test_a.py"])),
    });
    let url = stand_in
        .url
        .replacen("http://", "http://ci-user:hunter2-secret@", 1);
    let config = api_bktec(&dir, &url).arg("config").output();
    let run = api_bktec(&dir, &url).args(["run", "--debug"]).output();
    run.assert_success()
        .assert_stderr_contains("REDACTED@127.0.0.1");
    for out in [&config, &run] {
        let text = format!(
            "{}{}",
            out.stdout(),
            String::from_utf8_lossy(&out.output.stderr)
        );
        assert!(!text.contains("hunter2-secret"), "{text}");
    }
}

/// What bktec prints as data (targets, plans) is never redacted: a node id
/// whose parameter is a URL with credentials reaches the next program as
/// it is, or that test would be renamed and lost.
#[test]
fn data_on_stdout_keeps_urls_as_they_are() {
    let dir = project();
    let node_id = "tests/test_a.py::test_ok[http://u:p@host]";
    dir.write("rows.txt", &format!("{node_id}\n"));
    let out = dir
        .bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .args(["list", "--files", "rows.txt"])
        .output();
    out.assert_success();
    assert_eq!(out.stdout(), format!("{node_id}\n"));
}
