//! The test selection preview on `run` and `plan` (D40; behaviour document
//! 1.4, 4.3 C, 13.3): its flags and variables, gated by
//! `BKTEC_PREVIEW_SELECTION`, as the create-plan request the Test Engine
//! stand-in receives; git metadata from a real repository made here.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::signals::{alive, send, wait_exit, wait_for};
use crate::support::stand_in::StandIn;
use crate::support::{BktecCmd, TestDir, Venv, venv};

const PASS: &str = "def test_ok():\n    assert True\n";

fn project() -> TestDir {
    let dir = TestDir::new();
    for f in ["tests/test_a.py", "tests/test_b.py"] {
        dir.write(f, PASS);
    }
    dir
}

/// bktec against the stand-in at `url`, with pytest.
fn bktec(dir: &TestDir, url: &str) -> BktecCmd {
    dir.bktec()
        .path_prepend(&venv(Venv::Collector))
        .test_engine(url)
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "2s")
}

/// bktec with the preview on.
fn preview(dir: &TestDir, url: &str) -> BktecCmd {
    bktec(dir, url).env("BKTEC_PREVIEW_SELECTION", "true")
}

/// The body of the one create-plan request.
fn plan_request(stand_in: &StandIn) -> Value {
    let posts: Vec<_> = stand_in
        .requests_to("/test_plan")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "one create-plan request");
    posts[0].json()
}

/// `git args…` in `dir`, which must succeed; its stdout, trimmed.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ann Author")
        .env("GIT_AUTHOR_EMAIL", "ann@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05+00:00")
        .env("GIT_COMMITTER_NAME", "Cy Committer")
        .env("GIT_COMMITTER_EMAIL", "cy@example.com")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:06+00:00")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository on branch `feature`, one commit ahead of `<remote>/main`
/// (a remote-tracking ref), the commit changing `tests/test_b.py`.
fn repository(remote: &str) -> (TestDir, String, String) {
    let dir = project();
    let path = dir.path();
    git(path, &["init", "-q", "-b", "main"]);
    git(path, &["add", "."]);
    git(path, &["commit", "-q", "-m", "first"]);
    let base = git(path, &["rev-parse", "HEAD"]);
    git(
        path,
        &["update-ref", &format!("refs/remotes/{remote}/main"), &base],
    );
    git(path, &["checkout", "-q", "-b", "feature"]);
    dir.write("tests/test_b.py", "def test_ok():\n    assert 1\n");
    git(
        path,
        &[
            "commit",
            "-q",
            "-am",
            "Change b\n\nWith a body, and commas.",
        ],
    );
    let head = git(path, &["rev-parse", "HEAD"]);
    (dir, base, head)
}

#[test]
fn flags_send_the_strategy_its_params_and_the_metadata_as_the_go_client_does() {
    let dir = project();
    let stand_in = StandIn::test_engine();
    let out = preview(&dir, &stand_in.url)
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .args(["--selection-param", "percent=40"])
        .args(["--selection-param", "note=a, b=c"])
        .args(["--metadata", "team=web"])
        .args(["--metadata", "message=line one\nline two"])
        .args(["--metadata", "team=payments"])
        .output();
    out.assert_success();
    // Not a repository: collection warns and the user's metadata still goes.
    out.assert_stderr_contains("Not a git repository, skipping metadata auto-collection.");
    let body = plan_request(&stand_in);
    assert_eq!(
        body["selection"],
        json!({"strategy": "percent", "params": {"note": "a, b=c", "percent": "40"}})
    );
    assert_eq!(
        body["metadata"],
        json!({"message": "line one\nline two", "team": "payments"})
    );
}

#[test]
fn the_variables_are_read_with_the_gate_on_and_ignored_with_it_off() {
    let (dir, _, head) = repository("upstream");
    let stand_in = StandIn::test_engine();
    let env = |cmd: BktecCmd| {
        cmd.env("BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY", "Percent")
            .env("BUILDKITE_TEST_ENGINE_REMOTE", "upstream")
            .env("BUILDKITE_TEST_ENGINE_COLLECT_GIT_METADATA", "true")
            .args(["plan", "--json"])
    };
    env(preview(&dir, &stand_in.url)).output().assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body["selection"], json!({"strategy": "Percent"}));
    assert_eq!(body["metadata"]["commit_sha"], head);
    assert_eq!(body["metadata"]["base_branch"], "upstream/main");

    // Off: the Go client does not read them, and sends neither object.
    let stand_in = StandIn::test_engine();
    let out = env(bktec(&dir, &stand_in.url)).output();
    out.assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body.get("selection"), None, "{body}");
    assert_eq!(body.get("metadata"), None, "{body}");
    assert!(!out.stderr().contains("git"), "{}", out.stderr());
}

#[test]
fn collect_git_metadata_sends_what_the_go_client_collects() {
    let (dir, base, head) = repository("origin");
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .env("BUILDKITE_PIPELINE_SLUG", "my-pipeline")
        .env("BUILDKITE_BRANCH", "not-used-when-git-knows")
        .args(["plan", "--json", "--collect-git-metadata"])
        .args(["--metadata", "author_name=Someone Else"])
        .output()
        .assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body.get("selection"), None, "no strategy, no selection");
    let metadata = &body["metadata"];
    let keys: Vec<&str> = metadata
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "author_date",
            "author_email",
            "author_name",
            "base_branch",
            "branch",
            "build_uuid",
            "commit_sha",
            "committer_date",
            "committer_email",
            "committer_name",
            "diff_stat",
            "files_changed",
            "git_diff",
            "git_diff_raw",
            "message",
            "parent_shas",
            "pipeline_slug",
        ]
    );
    assert_eq!(metadata["commit_sha"], head);
    assert_eq!(metadata["parent_shas"], base);
    assert_eq!(
        metadata["author_name"], "Someone Else",
        "the user's value wins"
    );
    assert_eq!(metadata["author_email"], "ann@example.com");
    assert_eq!(metadata["author_date"], "2026-01-02T03:04:05Z");
    assert_eq!(metadata["committer_name"], "Cy Committer");
    assert_eq!(metadata["message"], "Change b\n\nWith a body, and commas.");
    assert_eq!(metadata["base_branch"], "origin/main");
    assert_eq!(metadata["branch"], "feature");
    assert_eq!(metadata["build_uuid"], "build-1");
    assert_eq!(metadata["pipeline_slug"], "my-pipeline");
    assert_eq!(metadata["files_changed"], "tests/test_b.py");
    assert_eq!(metadata["diff_stat"], "1\t1\ttests/test_b.py");
    let diff = metadata["git_diff"].as_str().unwrap();
    assert!(
        diff.starts_with("diff --git a/tests/test_b.py b/tests/test_b.py"),
        "{diff}"
    );
    assert!(diff.contains("+    assert 1"), "{diff}");
    let raw = metadata["git_diff_raw"].as_str().unwrap();
    assert!(
        raw.starts_with(":100644 100644 ") && raw.ends_with("\ttests/test_b.py"),
        "{raw}"
    );
}

#[test]
fn the_base_branch_comes_from_the_metadata_then_the_pull_request_then_the_remote() {
    let (dir, base, _) = repository("origin");
    git(dir.path(), &["branch", "release", &base]);
    // An explicit base that exists as written.
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .args(["--metadata", "base_branch=release"])
        .output()
        .assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body["metadata"]["base_branch"], "release");
    assert_eq!(body["metadata"]["files_changed"], "tests/test_b.py");
    // A value git would read as an option is never a base, and never run.
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .args(["--metadata", "base_branch=--output=/dev/null"])
        .output()
        .assert_success();
    let metadata = &plan_request(&stand_in)["metadata"];
    assert_eq!(
        metadata["base_branch"], "--output=/dev/null",
        "the user's value is sent"
    );
    assert_eq!(
        metadata["files_changed"], "tests/test_b.py",
        "diffed from origin/main"
    );
    // The pull request's base: as written when it exists, else under the
    // remote.
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .env("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main")
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .output()
        .assert_success();
    assert_eq!(plan_request(&stand_in)["metadata"]["base_branch"], "main");
    git(dir.path(), &["branch", "-q", "-D", "main"]);
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .env("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main")
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .output()
        .assert_success();
    assert_eq!(
        plan_request(&stand_in)["metadata"]["base_branch"],
        "origin/main"
    );
    // No such remote: no diff, a warning, the commit still sent.
    let stand_in = StandIn::test_engine();
    let out = preview(&dir, &stand_in.url)
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .args(["--remote", "nowhere"])
        .output();
    out.assert_success()
        .assert_stderr_contains("Could not resolve base branch for diff metadata");
    let metadata = &plan_request(&stand_in)["metadata"];
    assert_eq!(metadata.get("files_changed"), None, "{metadata}");
    assert_eq!(metadata.get("base_branch"), None, "{metadata}");
    assert!(metadata["commit_sha"].is_string(), "{metadata}");
}

#[test]
fn a_strategy_that_reads_as_off_sends_no_selection_but_still_collects() {
    // The Go client collects for any strategy given, and sends none of these.
    let (dir, _, head) = repository("origin");
    for off in ["none", " OFF ", "false", "Disabled", "no"] {
        let stand_in = StandIn::test_engine();
        preview(&dir, &stand_in.url)
            .args(["plan", "--json", "--selection-strategy", off])
            .args(["--selection-param", "percent=40"])
            .output()
            .assert_success();
        let body = plan_request(&stand_in);
        assert_eq!(body.get("selection"), None, "{off:?}: {body}");
        assert_eq!(body["metadata"]["commit_sha"], head, "{off:?}");
    }
}

#[test]
fn run_collects_only_with_a_strategy_and_only_on_a_cache_miss() {
    let (dir, _, head) = repository("origin");
    let stand_in = StandIn::test_engine();
    // --collect-git-metadata alone: `run` sends only the user's metadata.
    preview(&dir, &stand_in.url)
        .args(["run", "--collect-git-metadata", "--metadata", "team=web"])
        .output()
        .assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body["metadata"], json!({"team": "web"}));
    assert_eq!(body.get("selection"), None);

    let stand_in = StandIn::test_engine();
    let run = || {
        preview(&dir, &stand_in.url)
            .args(["run", "--selection-strategy", "percent"])
            .output()
    };
    run().assert_success();
    let body = plan_request(&stand_in);
    assert_eq!(body["selection"], json!({"strategy": "percent"}));
    assert_eq!(body["metadata"]["commit_sha"], head);
    // The plan is cached now: the second run creates none.
    run().assert_success();
    assert_eq!(plan_request(&stand_in)["selection"]["strategy"], "percent");
}

#[test]
fn preview_flags_and_file_keys_are_refused_with_the_gate_off() {
    let dir = project();
    let stand_in = StandIn::test_engine();
    for (flag, value) in [
        ("--selection-strategy", "percent"),
        ("--selection-param", "percent=40"),
        ("--metadata", "a=b"),
        ("--remote", "upstream"),
    ] {
        let out = bktec(&dir, &stand_in.url)
            .args(["plan", "--json", flag, value])
            .output();
        out.assert_exit(16)
            .assert_stderr_contains(&format!("unexpected argument '{flag}' found"))
            .assert_stderr_contains("BKTEC_PREVIEW_SELECTION=true");
    }
    bktec(&dir, &stand_in.url)
        .args(["run", "--collect-git-metadata"])
        .output()
        .assert_exit(16);
    // A falsy gate is off.
    bktec(&dir, &stand_in.url)
        .env("BKTEC_PREVIEW_SELECTION", "0")
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .output()
        .assert_exit(16);
    dir.write("bktec.toml", "[selection]\nstrategy = \"percent\"\n");
    bktec(&dir, &stand_in.url)
        .args(["plan", "--json"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "bktec.toml:2: selection.strategy \"percent\" is a test selection preview setting, which needs BKTEC_PREVIEW_SELECTION=true",
        );
    assert!(
        stand_in.requests().is_empty(),
        "nothing was asked of Test Engine"
    );
    // With the gate on, the file's key is read.
    preview(&dir, &stand_in.url)
        .args(["plan", "--json"])
        .output()
        .assert_success();
    assert_eq!(
        plan_request(&stand_in)["selection"],
        json!({"strategy": "percent"})
    );
}

#[test]
fn an_entry_without_equals_or_key_is_refused_naming_it_and_its_flag() {
    let dir = project();
    let stand_in = StandIn::test_engine();
    preview(&dir, &stand_in.url)
        .args([
            "plan",
            "--json",
            "--metadata",
            "a=b",
            "--metadata",
            "base_branch",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("--metadata is invalid: `base_branch` must use key=value format\n");
    preview(&dir, &stand_in.url)
        .args(["run", "--selection-param", "=40"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("--selection-param is invalid: `=40` has empty key\n");
    dir.write("bktec.toml", "[selection]\nparams = [\"percent\"]\n");
    preview(&dir, &stand_in.url)
        .args(["plan", "--json"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "bktec.toml:2: selection.params is invalid: `percent` must use key=value format\n",
        );
    assert!(stand_in.requests().is_empty());
}

#[test]
fn config_shows_the_preview_settings_only_with_the_gate_on() {
    let dir = project();
    let shown = |cmd: BktecCmd| {
        let out = cmd
            .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
            .env("BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY", "percent")
            .args(["config"])
            .output();
        out.assert_success();
        out.stdout()
    };
    let on = shown(dir.bktec().env("BKTEC_PREVIEW_SELECTION", "yes"));
    assert!(
        on.lines().any(|l| l.starts_with("selection.strategy")
            && l.contains("\"percent\"")
            && l.contains("env BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY")),
        "{on}"
    );
    let off = shown(dir.bktec());
    assert!(!off.contains("\"percent\""), "{off}");
}

#[test]
fn a_signal_while_git_runs_ends_bktec_with_128_plus_n_and_git_with_it() {
    // D33: a hung git (a network file system, a lock) is ended with bktec.
    let dir = project();
    let bin = dir.path().join("bin");
    let marker = dir.path().join("git.pid");
    let git = dir.write(
        "bin/git",
        "#!/bin/sh\necho $$ > \"$BKTEC_TEST_MARKER\"\nexec sleep 1000\n",
    );
    std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stand_in = StandIn::test_engine();
    let mut child = preview(&dir, &stand_in.url)
        .path_prepend(&bin)
        .env("BKTEC_TEST_MARKER", marker.display().to_string())
        .args(["plan", "--json", "--selection-strategy", "percent"])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("git to start", Duration::from_secs(60), || {
        std::fs::read_to_string(&marker).is_ok_and(|s| s.trim().parse::<i32>().is_ok())
    });
    let git_pid: i32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    wait_for("git to end", Duration::from_secs(5), || !alive(git_pid));
    assert!(
        stand_in
            .requests()
            .iter()
            .all(|r| !(r.method == "POST" && r.url.ends_with("/test_plan"))),
        "no plan was created"
    );
}
