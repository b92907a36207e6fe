//! `bktec tools backfill-commit-metadata` (issue 20 item 7, D43) against a
//! real git repository (an upstream with branches, and a clone of it) and
//! the Test Engine stand-in.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::stand_in::{Reply, StandIn};
use crate::support::{BktecCmd, RunOutput, TestDir};

/// A SHA no repository has.
const ABSENT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Runs git in `dir` with a fixed identity and no user or system config.
fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Ann Author",
            "-c",
            "user.email=ann@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The repositories of a test and the commits Test Engine lists.
struct Repo {
    dir: TestDir,
    /// The clone bktec runs in.
    work: PathBuf,
    /// Main's commits, oldest first.
    main: Vec<String>,
    /// The feature branch's commit (forked from `main[1]`).
    feature: String,
    /// A commit on a branch made upstream after the clone.
    late: String,
}

impl Repo {
    fn new() -> Repo {
        let dir = TestDir::new();
        let home = dir.path().to_path_buf();
        let up = dir.path().join("up");
        std::fs::create_dir(&up).expect("mkdir");
        let g = |args: &[&str]| git(&home, &up, args);
        g(&["init", "-q", "-b", "main"]);
        let commit = |file: &str, text: &str, message: &str| {
            std::fs::write(up.join(file), text).expect("write");
            g(&["add", file]);
            g(&["commit", "-q", "-m", message]);
            g(&["rev-parse", "HEAD"])
        };
        let c1 = commit("a.txt", "one\n", "first");
        let c2 = commit("a.txt", "one\ntwo\n", "second\n\nwith a body");
        g(&["checkout", "-q", "-b", "feature"]);
        let feature = commit("b.txt", "feature\n", "a feature");
        g(&["checkout", "-q", "main"]);
        let c3 = commit("a.txt", "one\n2\n", "third");
        git(&home, dir.path(), &["clone", "-q", "up", "work"]);
        g(&["checkout", "-q", "-b", "late"]);
        let late = commit("late.txt", "late\n", "made after the clone");
        g(&["checkout", "-q", "main"]);
        let work = dir.path().join("work");
        Repo {
            dir,
            work,
            main: vec![c1, c2, c3],
            feature,
            late,
        }
    }

    /// What Test Engine lists: the last of main, the feature, the first of
    /// main, the late commit and one no repository has.
    fn listed(&self) -> Vec<String> {
        vec![
            self.main[2].clone(),
            self.feature.clone(),
            self.main[0].clone(),
            self.late.clone(),
            ABSENT.to_string(),
        ]
    }

    fn bktec(&self, url: &str) -> BktecCmd {
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("mkdir");
        BktecCmd::new(&self.work)
            .args(["tools", "backfill-commit-metadata"])
            .env("HOME", self.dir.path().to_string_lossy())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TMPDIR", tmp.to_string_lossy())
            .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "bkua_token")
            .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
            .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "suite")
            .env("BUILDKITE_TEST_ENGINE_BASE_URL", url)
    }

    /// The archives left in the temporary directory.
    fn kept(&self) -> Vec<PathBuf> {
        let tmp = self.dir.path().join("tmp");
        let mut found: Vec<PathBuf> = std::fs::read_dir(tmp)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.sort();
        found
    }
}

/// The archive's entries: names and contents.
fn entries(gz: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    archive
        .entries()
        .expect("a tar")
        .map(|e| {
            let mut e = e.expect("an entry");
            let name = e.path().expect("a path").to_string_lossy().into_owned();
            let mut body = Vec::new();
            e.read_to_end(&mut body).expect("read");
            (name, body)
        })
        .collect()
}

/// The records and metadata of the archive, checking its layout.
fn open(gz: &[u8]) -> (Vec<Value>, Value) {
    let entries = entries(gz);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let dir = names[0];
    let pattern = regex::Regex::new(r"^backfill-acme-suite-\d{8}T\d{6}\.\d{3}Z/$").unwrap();
    assert!(pattern.is_match(dir), "{dir}");
    assert_eq!(names[1], format!("{dir}commit-metadata.jsonl"));
    assert_eq!(names[2], format!("{dir}metadata.json"));
    let jsonl = String::from_utf8(entries[1].1.clone()).expect("UTF-8");
    let records = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let meta = serde_json::from_slice(&entries[2].1).expect("JSON");
    (records, meta)
}

fn record<'a>(records: &'a [Value], sha: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["commit_sha"] == sha)
        .unwrap_or_else(|| panic!("no record of {sha} in {records:?}"))
}

/// The file part of a multipart upload.
fn uploaded_file(raw: &[u8]) -> Vec<u8> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let field = find(raw, b"name=\"file\"", 0).expect("a file part");
    let start = find(raw, b"\r\n\r\n", field).expect("the part's body") + 4;
    let end = (start..raw.len())
        .rev()
        .find(|&i| raw[i..].starts_with(b"\r\n--"))
        .expect("the closing boundary");
    raw[start..end].to_vec()
}

#[test]
fn output_writes_the_documented_archive() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![204]);
    let out = repo.dir.path().join("x.tar.gz");
    let run = repo
        .bktec(&api.url)
        .args(["--output", &out.to_string_lossy(), "--days", "30"])
        .output();
    run.assert_success();
    run.assert_stderr_contains("Server returned 5 commits")
        .assert_stderr_contains("1 commits could not be fetched")
        .assert_stderr_contains("Done. 4 commits exported, 1 skipped.");
    let (records, meta) = open(&std::fs::read(&out).expect("the archive"));
    assert_eq!(records.len(), 4);
    let order: Vec<&str> = records
        .iter()
        .map(|r| r["commit_sha"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [&repo.main[2], &repo.feature, &repo.main[0], &repo.late]
    );
    // A mainline commit is diffed against its first parent.
    let c3 = record(&records, &repo.main[2]);
    assert_eq!(c3["schema_version"], 1);
    assert_eq!(c3["parent_shas"], serde_json::json!([repo.main[1]]));
    assert_eq!(c3["author_name"], "Ann Author");
    assert_eq!(c3["committer_email"], "ann@example.com");
    assert_eq!(c3["message"], "third");
    assert_eq!(c3["files_changed"], "a.txt");
    assert_eq!(c3["diff_stat"], "1\t1\ta.txt");
    assert!(c3["git_diff"].as_str().unwrap().contains("+2"), "{c3}");
    assert!(
        c3["git_diff_raw"].as_str().unwrap().contains("a.txt"),
        "{c3}"
    );
    // A branch commit is diffed against its fork point, not against main's tip.
    let feature = record(&records, &repo.feature);
    assert_eq!(feature["files_changed"], "b.txt");
    assert_eq!(feature["diff_stat"], "1\t0\tb.txt");
    // The root commit has nothing to be diffed against.
    let root = record(&records, &repo.main[0]);
    assert_eq!(root["parent_shas"], serde_json::json!([]));
    assert_eq!(root["files_changed"], "");
    assert!(root.get("git_diff").is_none(), "{root}");
    // The commit that was not in the clone was fetched.
    assert_eq!(record(&records, &repo.late)["files_changed"], "late.txt");
    assert_eq!(meta["schema_version"], 2);
    assert_eq!(meta["tool"], "bktec");
    assert_eq!(meta["organization_slug"], "acme");
    assert_eq!(meta["suite_slug"], "suite");
    assert_eq!(meta["organization_uuid"], "org-uuid");
    assert_eq!(meta["suite_uuid"], "suite-uuid");
    assert_eq!(meta["commit_count"], 4);
    assert_eq!(meta["skipped_commits"], 1);
    assert_eq!(meta["days"], 30);
    assert_eq!(meta["remote"], "origin");
    assert_eq!(meta["skipped_diffs"], false);
    assert!(meta["min_commit_date"].as_str().unwrap() <= meta["max_commit_date"].as_str().unwrap());
    // The commit list and the suite were asked for; nothing was uploaded.
    let listed = api.requests_to("/commits");
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]
            .url
            .ends_with("/v2/analytics/organizations/acme/suites/suite/commits?days=30")
    );
    assert_eq!(listed[0].header("authorization"), Some("Bearer bkua_token"));
    assert_eq!(listed[0].header("accept"), Some("text/plain"));
    assert_eq!(api.requests_to("/suites/suite").len(), 1);
    assert!(api.requests_to("/presigned-upload").is_empty());
    assert!(api.requests_to("/storage").is_empty());
    assert!(repo.kept().is_empty(), "{:?}", repo.kept());
}

#[test]
fn the_archive_is_uploaded_with_the_presigned_form_and_then_removed() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![204]);
    let run = repo
        .bktec(&api.url)
        .env("BUILDKITE_TEST_ENGINE_SKIP_DIFFS", "true")
        .env("BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY", "2")
        .output();
    run.assert_success();
    run.assert_stderr_contains("Uploaded ")
        .assert_stderr_contains("s3://backfill-bucket/acme/suite/upload.tar.gz");
    // The presigned upload is asked for before any git work, the commit
    // list before it; the storage gets the form's fields and the file.
    let order: Vec<String> = api.requests().iter().map(|r| r.url.clone()).collect();
    assert!(order[0].contains("/commits?days=90"), "{order:?}");
    assert!(
        order[1].ends_with("/commit-metadata-backfill/presigned-upload"),
        "{order:?}"
    );
    assert_eq!(order[2], "/storage");
    let presign = &api.requests_to("/presigned-upload")[0];
    assert_eq!(presign.method, "POST");
    assert_eq!(presign.header("authorization"), Some("Bearer bkua_token"));
    let storage = &api.requests_to("/storage")[0];
    assert_eq!(storage.header("authorization"), None, "no token to storage");
    assert!(
        storage.body.contains("name=\"policy\"\r\n\r\np0l1cy"),
        "{}",
        storage.body
    );
    let (records, meta) = open(&uploaded_file(&storage.raw));
    assert_eq!(records.len(), 4);
    assert_eq!(meta["skipped_diffs"], true);
    assert_eq!(meta["days"], 90);
    for r in &records {
        assert!(
            r.get("git_diff").is_none() && r.get("git_diff_raw").is_none(),
            "{r}"
        );
        assert!(
            r.get("files_changed").is_some() && r.get("diff_stat").is_some(),
            "{r}"
        );
    }
    assert!(repo.kept().is_empty(), "{:?}", repo.kept());
}

#[test]
fn a_failed_upload_keeps_the_archive_and_upload_retries_it() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![500]);
    let failed = repo.bktec(&api.url).output();
    failed.assert_exit(16);
    let kept = repo.kept();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let path = kept[0].to_string_lossy().into_owned();
    failed
        .assert_stderr_contains(&format!("The archive is kept at {path}"))
        .assert_stderr_contains(&format!(
            "bktec tools backfill-commit-metadata --upload {path}"
        ))
        .assert_stderr_contains("storage rejected the upload with status 500");
    let bytes = std::fs::read(&kept[0]).expect("the kept archive");
    assert_eq!(open(&bytes).0.len(), 4);

    // The retry uploads the same bytes, without git or the commit list,
    // and leaves the file it was given where it is.
    let api = StandIn::backfill(Vec::new(), vec![204]);
    let retry = BktecCmd::new(repo.dir.path())
        .args(["tools", "backfill-commit-metadata", "--upload", &path])
        .args([
            "--access-token",
            "bkua_token",
            "--organization-slug",
            "acme",
        ])
        .args(["--suite-slug", "suite", "--base-url", &api.url])
        .output();
    retry.assert_success();
    retry.assert_stderr_contains(&format!("Uploaded {path} to s3://"));
    assert!(api.requests_to("/commits").is_empty());
    assert_eq!(uploaded_file(&api.requests_to("/storage")[0].raw), bytes);
    assert!(kept[0].exists());
}

#[test]
fn storage_refusing_the_form_gets_one_fresh_form() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![403, 204]);
    let run = repo.bktec(&api.url).output();
    run.assert_success();
    run.assert_stderr_contains("requesting a fresh presigned URL");
    assert_eq!(api.requests_to("/presigned-upload").len(), 2);
    assert_eq!(api.requests_to("/storage").len(), 2);

    let api = StandIn::backfill(repo.listed(), vec![403]);
    let run = repo.bktec(&api.url).output();
    run.assert_exit(16);
    run.assert_stderr_contains("status 403")
        .assert_stderr_contains("--upload");
    assert_eq!(api.requests_to("/storage").len(), 2, "one retry only");
}

#[test]
fn a_token_without_the_scopes_fails_before_any_git_work() {
    // Not a git repository: had git run, it would have failed otherwise.
    let dir = TestDir::new();
    let api = StandIn::start(|req| {
        if req.url.contains("/presigned-upload") {
            Reply::message(403, "Forbidden: the token lacks the write_suites scope")
        } else {
            Reply::Body(200, format!("{ABSENT}\n"), Vec::new())
        }
    });
    let run = dir
        .bktec()
        .args(["tools", "backfill-commit-metadata", "--access-token", "t"])
        .args(["--organization-slug", "acme", "--suite-slug", "suite"])
        .args(["--base-url", &api.url])
        .output();
    run.assert_exit(16);
    run.assert_stderr_contains("failed to presign the upload")
        .assert_stderr_contains("write_suites");
    assert!(!run.stderr().contains("git"), "{}", run.stderr());

    let api = StandIn::start(|_| Reply::message(401, "Authentication required"));
    let run = dir
        .bktec()
        .args(["tools", "backfill-commit-metadata", "--output", "x.tar.gz"])
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "t")
        .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "suite")
        .env("BUILDKITE_TEST_ENGINE_BASE_URL", &api.url)
        .output();
    run.assert_exit(16);
    run.assert_stderr_contains("failed to fetch the commit list: Authentication required");
    assert!(!dir.path().join("x.tar.gz").exists());
}

/// Runs the command with `args` and `env` and no reachable API.
fn refused(args: &[&str], env: &[(&str, &str)]) -> RunOutput {
    let dir = TestDir::new();
    let api = StandIn::start(|_| Reply::message(500, "must not be called"));
    let mut cmd = dir
        .bktec()
        .args(["tools", "backfill-commit-metadata"])
        .args(args)
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "t")
        .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "suite")
        .env("BUILDKITE_TEST_ENGINE_BASE_URL", &api.url);
    for (k, v) in env {
        cmd = cmd.env(k, *v);
    }
    let run = cmd.output();
    run.assert_exit(16);
    assert!(api.requests().is_empty(), "{:?}", api.requests());
    run
}

#[test]
fn bad_values_are_refused_naming_the_value_and_its_source() {
    refused(&["--days", "91"], &[]).assert_stderr_contains("invalid value `91` for --days");
    refused(&[], &[("BUILDKITE_TEST_ENGINE_BACKFILL_DAYS", "0")])
        .assert_stderr_contains("invalid value `0` for BUILDKITE_TEST_ENGINE_BACKFILL_DAYS");
    refused(&["--concurrency", "0"], &[]).assert_stderr_contains("`0` for --concurrency");
    refused(
        &[],
        &[("BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY", "ten")],
    )
    .assert_stderr_contains("`ten` for BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY");
    refused(&["--remote=--upload-pack=touch pwned"], &[])
        .assert_stderr_contains("for --remote: must be a git remote name");
    refused(&[], &[("BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE", "-x")])
        .assert_stderr_contains("`-x` for BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE");
    refused(&[], &[("BUILDKITE_TEST_ENGINE_SKIP_DIFFS", "maybe")])
        .assert_stderr_contains("`maybe` for BUILDKITE_TEST_ENGINE_SKIP_DIFFS");
    refused(&["--output", "no/such/dir/x.tar.gz"], &[])
        .assert_stderr_contains("(from --output): its directory does not exist");
    refused(&["--upload", "missing.tar.gz"], &[])
        .assert_stderr_contains("cannot upload `missing.tar.gz` (from --upload)");
    refused(&["--upload", "a", "--output", "b"], &[]).assert_stderr_contains("cannot be used with");
    refused(&[], &[("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "")]).assert_stderr_contains(
        "no API access token given (hint: set --access-token or BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN)",
    );
    // Every problem at once, each naming its source.
    refused(
        &["--days", "91", "--concurrency", "0"],
        &[("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "")],
    )
    .assert_stderr_contains(
        "backfill-commit-metadata: invalid configuration:\n  no API access token",
    )
    .assert_stderr_contains("\n  invalid value `91` for --days")
    .assert_stderr_contains("\n  invalid value `0` for --concurrency");
    refused(&["--base-url", "ftp://x"], &[])
        .assert_stderr_contains("invalid value `ftp://x` for --base-url");
}

#[test]
fn the_remote_variable_wins_over_the_backfill_one_and_the_flag_over_both() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![204]);
    let out = repo.dir.path().join("r.tar.gz");
    let run = repo
        .bktec(&api.url)
        .args(["--output", &out.to_string_lossy()])
        .env("BUILDKITE_TEST_ENGINE_REMOTE", "nowhere")
        .env("BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE", "origin")
        .output();
    run.assert_exit(16);
    run.assert_stderr_contains("`nowhere/HEAD` is not set");
    let run = repo
        .bktec(&api.url)
        .args(["--output", &out.to_string_lossy(), "--remote", "origin"])
        .env("BUILDKITE_TEST_ENGINE_REMOTE", "nowhere")
        .output();
    run.assert_success();
    assert_eq!(
        open(&std::fs::read(&out).expect("archive")).1["remote"],
        "origin"
    );
}

#[test]
fn tools_are_hidden_from_help_unless_preview_selection_is_truthy() {
    let dir = TestDir::new();
    let help = dir.bktec().arg("--help").output();
    help.assert_success();
    assert!(!help.stdout().contains("tools"), "{}", help.stdout());
    for truthy in ["1", "true", "YES", "on"] {
        let help = dir
            .bktec()
            .arg("--help")
            .env("BKTEC_PREVIEW_SELECTION", truthy)
            .output();
        assert!(
            help.stdout().contains("tools"),
            "{truthy}: {}",
            help.stdout()
        );
        let tools = dir
            .bktec()
            .args(["tools", "--help"])
            .env("BKTEC_PREVIEW_SELECTION", truthy)
            .output();
        tools.assert_stdout_contains("backfill-commit-metadata");
    }
    let help = dir
        .bktec()
        .args(["tools", "backfill-commit-metadata", "--help"])
        .output();
    help.assert_success();
    help.assert_stdout_contains("BUILDKITE_TEST_ENGINE_BACKFILL_DAYS")
        .assert_stdout_contains("--upload <FILE>");
}

#[test]
fn listed_lines_that_are_not_shas_never_reach_git() {
    let repo = Repo::new();
    let mut listed = repo.listed();
    listed.push("--upload-pack=touch pwned".to_string());
    listed.push("HEAD".to_string());
    let api = StandIn::backfill(listed, vec![204]);
    let out = repo.dir.path().join("x.tar.gz");
    let run = repo
        .bktec(&api.url)
        .args(["--output", &out.to_string_lossy()])
        .output();
    run.assert_success();
    run.assert_stderr_contains("2 listed commits are not commit SHAs (skipped)")
        .assert_stderr_contains("Done. 4 commits exported, 3 skipped.");
    assert!(!repo.work.join("pwned").exists() && !repo.dir.path().join("pwned").exists());
    let (records, meta) = open(&std::fs::read(&out).expect("archive"));
    assert_eq!(records.len(), 4);
    assert_eq!(meta["skipped_commits"], 3);
}

#[test]
fn outside_a_repository_git_says_why() {
    let dir = TestDir::new();
    let api = StandIn::backfill(vec![ABSENT.to_string()], vec![204]);
    let run = dir
        .bktec()
        .args(["tools", "backfill-commit-metadata", "--output", "x.tar.gz"])
        .env("HOME", dir.path().to_string_lossy())
        .env(
            "GIT_CEILING_DIRECTORIES",
            dir.path().parent().unwrap().to_string_lossy(),
        )
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "t")
        .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
        .env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "suite")
        .env("BUILDKITE_TEST_ENGINE_BASE_URL", &api.url)
        .output();
    run.assert_exit(16);
    run.assert_stderr_contains("failed to collect commit metadata")
        .assert_stderr_contains("not a git repository");
    assert!(!dir.path().join("x.tar.gz").exists());
}

#[test]
fn sigint_during_an_api_call_ends_the_command_with_130() {
    use std::time::Duration;

    use crate::signals::{send, wait_exit, wait_for};

    let repo = Repo::new();
    let api = StandIn::start(|_| Reply::Hang);
    let mut child = repo
        .bktec(&api.url)
        .command()
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start bktec");
    wait_for("the commit list request", Duration::from_secs(10), || {
        !api.requests().is_empty()
    });
    send(&child, libc::SIGINT);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("read");
    assert!(stderr.contains("SIGINT"), "{stderr}");
    assert!(repo.kept().is_empty());
}

#[test]
fn sigterm_during_a_git_fetch_ends_git_and_exits_143() {
    use std::time::Duration;

    use crate::signals::{send, wait_exit, wait_for};

    let repo = Repo::new();
    // A remote whose server never answers: `git fetch` hangs on it.
    let hung = StandIn::start(|_| Reply::Hang);
    let home = repo.dir.path();
    git(
        home,
        &repo.work,
        &["remote", "add", "slow", &format!("{}/repo.git", hung.url)],
    );
    git(
        home,
        &repo.work,
        &["update-ref", "refs/remotes/slow/main", &repo.main[2]],
    );
    let api = StandIn::backfill(repo.listed(), vec![204]);
    let out = repo.dir.path().join("x.tar.gz");
    let mut child = repo
        .bktec(&api.url)
        .args(["--remote", "slow", "--output", &out.to_string_lossy()])
        .command()
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start bktec");
    wait_for(
        "git fetch to reach the remote",
        Duration::from_secs(20),
        || !hung.requests().is_empty(),
    );
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143));
    let port = hung.url.rsplit(':').next().expect("a port").to_string();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&port) && c.contains("git"))
        .collect();
    assert!(left.is_empty(), "git left running: {left:?}");
    assert!(!out.exists());
}

#[test]
fn upload_refuses_a_file_that_is_not_an_archive_for_the_suite() {
    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![204]);
    let out = repo.dir.path().join("x.tar.gz");
    repo.bktec(&api.url)
        .args(["--output", &out.to_string_lossy()])
        .output()
        .assert_success();
    let secrets = repo.dir.write("secrets.env", "TOKEN=hunter2\n");
    let api = StandIn::backfill(Vec::new(), vec![204]);
    let upload = |file: &Path, suite: &str| {
        BktecCmd::new(repo.dir.path())
            .args(["tools", "backfill-commit-metadata", "--upload"])
            .arg(file)
            .args(["--access-token", "t", "--organization-slug", "acme"])
            .args(["--suite-slug", suite, "--base-url", &api.url])
            .output()
    };
    upload(&secrets, "suite")
        .assert_exit(16)
        .assert_stderr_contains("refusing to upload (from --upload)")
        .assert_stderr_contains("secrets.env` is not a gzipped tar");
    upload(&out, "other")
        .assert_exit(16)
        .assert_stderr_contains("it holds commits of `acme/suite`, not of `acme/other`");
    assert!(api.requests().is_empty(), "{:?}", api.requests());
    upload(&out, "suite").assert_success();
    assert_eq!(api.requests_to("/storage").len(), 1);
}

#[test]
fn sigint_during_the_upload_keeps_the_archive_and_says_how_to_retry() {
    use std::time::Duration;

    use crate::signals::{send, wait_exit, wait_for};

    let repo = Repo::new();
    let api = StandIn::backfill(repo.listed(), vec![0]);
    let mut child = repo
        .bktec(&api.url)
        .command()
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start bktec");
    wait_for("the upload", Duration::from_secs(20), || {
        !api.requests_to("/storage").is_empty()
    });
    send(&child, libc::SIGINT);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("read");
    let kept = repo.kept();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let retry = format!("--upload {}", kept[0].display());
    assert!(stderr.contains(&retry), "{stderr}");
}
