//! A cancelled CI job in every phase (issue 18, item 6): a signal sent to
//! bktec while pytest collects (discovery by pytest, the split of a slow
//! file), while the agent is asked for a token, or while Test Engine is
//! waited for ends bktec within a couple of seconds with 128 + n, and
//! nothing it started is left running, a `setsid` daemon included. Special
//! files named as plan, configuration or row files are refused before they
//! can block.

use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::signals::{alive, send, wait_exit, wait_for};
use crate::support::pytest::{PASSING, bktec, project};
use crate::support::stand_in::{Reply, StandIn};
use crate::support::{BktecCmd, TestDir, Venv};

/// How long bktec may take to end after the signal. The helpers get one
/// second of grace; pytest and `sh` die of the forwarded signal at once.
const PROMPTLY: Duration = Duration::from_secs(5);

/// A conftest that hangs pytest's collection, after starting a `setsid`
/// daemon that holds pytest's output pipe; it writes both pids.
const HANGING_CONFTEST: &str = r#"
import os, pathlib, subprocess, time

daemon = subprocess.Popen(["setsid", "sleep", "1000"])
pathlib.Path(os.environ["BKTEC_TEST_MARKER"]).write_text(f"{os.getpid()} {daemon.pid}")
time.sleep(1000)
"#;

/// Starts `cmd` with its output in files of `dir`.
fn start(dir: &TestDir, cmd: BktecCmd) -> Child {
    let out = fs::File::create(dir.path().join("bktec.out")).unwrap();
    let err = fs::File::create(dir.path().join("bktec.err")).unwrap();
    cmd.command()
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start bktec")
}

/// The pids written to `marker`, once there are `count`.
fn pids(marker: &Path, count: usize) -> Vec<i32> {
    wait_for("the child to start", Duration::from_secs(60), || {
        fs::read_to_string(marker).is_ok_and(|s| s.split_whitespace().count() == count)
    });
    fs::read_to_string(marker)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// Sends `signal` to bktec and asserts that it ends promptly with
/// 128 + `signal`, and that none of `pids` is left running.
fn cancel(dir: &TestDir, mut child: Child, signal: i32, pids: &[i32]) {
    send(&child, signal);
    let sent = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let took = sent.elapsed();
    let stderr = fs::read_to_string(dir.path().join("bktec.err")).unwrap_or_default();
    assert_eq!(
        status.code(),
        Some(128 + signal),
        "bktec's status; stderr:\n{stderr}"
    );
    assert!(
        took < PROMPTLY,
        "bktec took {took:?} to end; stderr:\n{stderr}"
    );
    wait_for("the job's processes to end", Duration::from_secs(5), || {
        pids.iter().all(|&pid| !alive(pid))
    });
}

fn hanging_project() -> (TestDir, String) {
    let dir = project(&[
        ("tests/test_a.py", PASSING),
        ("tests/conftest.py", HANGING_CONFTEST),
    ]);
    let marker = dir.path().join("pids.txt").display().to_string();
    (dir, marker)
}

#[test]
fn sigterm_during_discovery_by_pytest_ends_the_collection_and_its_daemon() {
    let (dir, marker) = hanging_project();
    let cmd = bktec(&dir, Venv::Collector)
        .env("BKTEC_TEST_MARKER", &marker)
        .args(["run", "--discovery", "pytest"]);
    let child = start(&dir, cmd);
    let pids = pids(Path::new(&marker), 2);
    cancel(&dir, child, libc::SIGTERM, &pids);
}

#[test]
fn sigterm_during_the_split_of_a_slow_file_ends_the_collection() {
    let (dir, marker) = hanging_project();
    dir.write("tests/test_slow.py", PASSING);
    let mut history = json!({
        "tests/test_slow.py::test_one": 50.0,
        "tests/test_slow.py::test_two": 50.0,
    });
    history["tests/test_a.py::test_one"] = json!(0.5);
    dir.write(".test_durations", &history.to_string());
    for command in [vec!["run"], vec!["plan", "--plan-out", "-"]] {
        let _ = fs::remove_file(&marker);
        let cmd = bktec(&dir, Venv::Collector)
            .env("BKTEC_TEST_MARKER", &marker)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .env("BUILDKITE_PARALLEL_JOB", "0")
            .args(command);
        let child = start(&dir, cmd);
        let pids = pids(Path::new(&marker), 2);
        cancel(&dir, child, libc::SIGTERM, &pids);
    }
}

/// A stand-in `buildkite-agent` that starts a grandchild, writes both
/// pids, and waits for ever.
fn hanging_agent(dir: &TestDir, marker: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let agent = dir.write(
        "bin/buildkite-agent",
        &format!("#!/bin/sh\nsleep 1000 &\necho \"$$ $!\" > '{marker}'\nwait\n"),
    );
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
    agent.display().to_string()
}

#[test]
fn sigterm_during_an_agent_call_ends_the_agent_and_its_child() {
    let (dir, marker) = hanging_project();
    fs::remove_file(dir.path().join("tests/conftest.py")).unwrap();
    let agent = hanging_agent(&dir, &marker);
    let stand_in = StandIn::start(|_| Reply::Hang);
    let cmd = bktec(&dir, Venv::Collector)
        .test_engine(&stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "")
        .env("BUILDKITE_TEST_ENGINE_OIDC", "true")
        .args(["run", "--buildkite-agent-command", &agent]);
    let child = start(&dir, cmd);
    let pids = pids(Path::new(&marker), 2);
    cancel(&dir, child, libc::SIGTERM, &pids);
    assert!(stand_in.requests().is_empty(), "no plan was asked for");
}

/// `bktec <args>` against a Test Engine that never answers, with its own
/// TMPDIR; sends `signal` once the plan was asked for.
fn signal_during_the_test_engine_wait(args: &[&str], signal: i32) {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let stand_in = StandIn::start(|_| Reply::Hang);
    let cmd = bktec(&dir, Venv::Collector)
        .test_engine(&stand_in.url)
        .env("TMPDIR", tmp.display().to_string())
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "60s")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "120s")
        .args(args);
    let child = start(&dir, cmd);
    wait_for("a request to Test Engine", Duration::from_secs(60), || {
        !stand_in.requests().is_empty()
    });
    cancel(&dir, child, signal, &[]);
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn every_forwarded_signal_ends_the_test_engine_wait_of_run() {
    for signal in [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGINT,
    ] {
        signal_during_the_test_engine_wait(&["run"], signal);
    }
}

#[test]
fn a_signal_ends_the_test_engine_wait_of_plan() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        signal_during_the_test_engine_wait(&["plan", "--plan-out", "-"], signal);
    }
}

/// Makes a FIFO at `dir`/`name`.
fn fifo(dir: &TestDir, name: &str) {
    let path = std::ffi::CString::new(dir.path().join(name).display().to_string()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
}

#[test]
fn special_files_are_refused_before_they_can_block() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    fifo(&dir, "pipe");
    for (args, what) in [
        (
            vec!["run", "--plan-file", "pipe"],
            "failed to read plan file `pipe`",
        ),
        (
            vec!["--config", "pipe", "run"],
            "failed to read configuration file `pipe`",
        ),
        (
            vec!["run", "--files", "pipe"],
            "couldn't read rows from `pipe`",
        ),
        (
            vec!["run", "--selector-file", "pipe"],
            "couldn't read rows from `pipe`",
        ),
        (
            vec!["run", "--durations-file", "pipe"],
            "failed to read durations file",
        ),
        (
            vec!["plan", "--durations-file", "pipe", "--json"],
            "failed to read durations file",
        ),
        (
            vec!["durations", "update", "pipe"],
            "failed to read result file `pipe`",
        ),
    ] {
        let cmd = bktec(&dir, Venv::Collector).args(args.clone());
        let mut child = start(&dir, cmd);
        let status = wait_exit(&mut child, Duration::from_secs(30));
        let stderr = fs::read_to_string(dir.path().join("bktec.err")).unwrap();
        assert_eq!(status.code(), Some(16), "{args:?}: {stderr}");
        assert!(stderr.contains(what), "{args:?}: {stderr}");
        assert!(
            stderr.contains("it is a FIFO (named pipe), not a regular file"),
            "{args:?}: {stderr}"
        );
    }
    bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "tests"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("it is a directory, not a regular file");
}

#[test]
fn files_over_their_size_limit_are_refused_naming_the_limit() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    // Sparse: the size is what counts, not what is written.
    let sized = |name: &str, bytes: u64| {
        fs::File::create(dir.path().join(name))
            .unwrap()
            .set_len(bytes)
            .unwrap();
    };
    sized("plan.json", (64 << 20) + 1);
    sized("bktec.toml", (1 << 20) + 1);
    sized("rows.txt", (64 << 20) + 1);
    bktec(&dir, Venv::Collector)
        .args(["--config", "bktec.toml", "run"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("larger than the 1 MiB bktec reads from such a file");
    fs::remove_file(dir.path().join("bktec.toml")).unwrap();
    for args in [
        ["run", "--plan-file", "plan.json"],
        ["run", "--files", "rows.txt"],
    ] {
        bktec(&dir, Venv::Collector)
            .args(args)
            .output()
            .assert_exit(16)
            .assert_stderr_contains("larger than the 64 MiB bktec reads from such a file");
    }
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_child_is_started_by_the_process_module() {
    // Outside `process/`, a child is started only through
    // `process::output` or `process::run_child`, which give it a group,
    // a deadline, the signals and the end of what it leaves (issue 18).
    let src = crate::support::repo_root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        if file.starts_with(src.join("process")) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        // Tests may run what they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for call in [".spawn()", ".output()", "tokio::process"] {
            if code.contains(call) {
                found.push(format!("{}: {call}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "children started outside process/: {found:#?}"
    );
}

#[test]
fn sigterm_during_go_list_ends_it_and_its_child() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.write("go.mod", "module example.com/shop\n");
    dir.write("cart/cart_test.go", "package cart\n");
    let marker = dir.path().join("pids.txt").display().to_string();
    let go = dir.write(
        "bin/go",
        &format!("#!/bin/sh\nsleep 1000 &\necho \"$$ $!\" > '{marker}'\nwait\n"),
    );
    fs::set_permissions(&go, fs::Permissions::from_mode(0o755)).unwrap();
    let cmd = dir
        .bktec()
        .path_prepend(&dir.path().join("bin"))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "gotest")
        .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "out.xml")
        .arg("run");
    let child = start(&dir, cmd);
    let pids = pids(Path::new(&marker), 2);
    cancel(&dir, child, libc::SIGTERM, &pids);
}

#[test]
fn sigterm_while_the_agent_annotates_the_build_ends_it() {
    let dir = project(&[("tests/test_a.py", "def test_fails():\n    assert False\n")]);
    let marker = dir.path().join("pids.txt").display().to_string();
    let agent = hanging_agent(&dir, &marker);
    let cmd = bktec(&dir, Venv::Collector)
        .env("BUILDKITE", "true")
        .env("BUILDKITE_STEP_ID", "step-1")
        .args(["run", "--buildkite-agent-command", &agent]);
    let child = start(&dir, cmd);
    let pids = pids(Path::new(&marker), 2);
    cancel(&dir, child, libc::SIGTERM, &pids);
}

#[test]
fn a_setsid_daemon_that_holds_the_collection_s_output_neither_holds_bktec_nor_outlives_it() {
    let dir = project(&[
        ("tests/test_a.py", PASSING),
        (
            "tests/conftest.py",
            r#"
import os, subprocess
daemon = subprocess.Popen(["setsid", "sleep", "1000"])
with open(os.environ["BKTEC_TEST_MARKER"], "a") as marker:
    marker.write(f"{daemon.pid} ")
"#,
        ),
    ]);
    let marker = dir.path().join("pids.txt");
    let started = Instant::now();
    let out = bktec(&dir, Venv::Collector)
        .env("BKTEC_TEST_MARKER", marker.display().to_string())
        .args(["list", "--discovery", "pytest"])
        .output();
    out.assert_success();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "bktec waited for the daemon: {:?}",
        started.elapsed()
    );
    let daemons: Vec<i32> = fs::read_to_string(&marker)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(!daemons.is_empty(), "the collection started a daemon");
    for pid in daemons {
        assert!(!alive(pid), "daemon {pid} outlived bktec");
    }
}

/// `runner.collection-timeout` ends a collection that hangs: exit 16 naming
/// the deadline, and nothing it started left running (the daemon included).
#[test]
fn a_collection_past_its_timeout_is_ended_and_named() {
    let (dir, marker) = hanging_project();
    let out = bktec(&dir, Venv::Collector)
        .env("BKTEC_TEST_MARKER", &marker)
        .args([
            "list",
            "--discovery",
            "pytest",
            "--collection-timeout",
            "2s",
        ])
        .output();
    out.assert_exit(16).assert_stderr_contains("2s");
    let pids = pids(Path::new(&marker), 2);
    wait_for(
        "the collection's processes to end",
        Duration::from_secs(5),
        || pids.iter().all(|&pid| !alive(pid)),
    );
}

/// A module whose third test hangs after writing a marker; its fourth
/// never starts. With `tests/test_b.py`, a file never reached.
const HANGS_MIDWAY: &str = r#"
import os, pathlib, time

def test_fast():
    pass

def test_fail():
    assert 1 == 2

def test_hangs():
    pathlib.Path(os.environ["BKTEC_TEST_MARKER"]).write_text(str(os.getpid()))
    time.sleep(1000)

def test_after():
    pass
"#;

fn midway_project() -> (TestDir, String) {
    let dir = project(&[
        ("tests/test_a.py", HANGS_MIDWAY),
        ("tests/test_b.py", PASSING),
    ]);
    let marker = dir.path().join("pids.txt").display().to_string();
    (dir, marker)
}

/// The lines of `text` under `heading`, up to the next line that is not a
/// list entry.
fn listed(text: &str, heading: &str) -> Vec<String> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}` in\n{text}"));
    text[start + heading.len()..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .map(str::to_string)
        .collect()
}

/// D48: a SIGTERM (a Buildkite cancel) in the middle of a run prints what
/// passed, what failed, what was running and what never started, from the
/// witness, although pytest dies before writing its result file; bktec
/// still exits 128 + n.
#[test]
fn a_cancel_explains_what_passed_failed_and_was_running() {
    let (dir, marker) = midway_project();
    let child = start(
        &dir,
        bktec(&dir, Venv::Collector)
            .env("BKTEC_TEST_MARKER", &marker)
            .args(["run", "--test-engine-retry-count", "2"]),
    );
    let pid = pids(Path::new(&marker), 1);
    cancel(&dir, child, libc::SIGTERM, &pid);
    let out = fs::read_to_string(dir.path().join("bktec.out")).unwrap();
    assert!(
        out.contains("+++ Buildkite Test Engine Client: 🛑 SIGTERM ended pytest in its first attempt\n1 passed, 1 failed, 1 still running before it ended."),
        "{out}"
    );
    assert_eq!(listed(&out, "Failed:"), ["- tests/test_a.py::test_fail"]);
    assert_eq!(
        listed(&out, "Still running:"),
        ["- tests/test_a.py::test_hangs"]
    );
    assert_eq!(listed(&out, "Never started:"), ["- tests/test_b.py"]);
    assert!(
        !out.contains("Failed to read test output"),
        "a cancelled pytest writes no result file, and that is no news: {out}"
    );
}

/// D48: `runner.attempt-timeout` ends a hung attempt like a cancel, names
/// what was running, does not retry it, and exits 124; from the flag, the
/// variable or the file.
#[test]
fn an_attempt_past_its_deadline_is_ended_and_named() {
    let (dir, marker) = midway_project();
    /// Where the deadline comes from: its name, a variable, a file.
    type Source<'a> = (&'a str, Option<(&'a str, &'a str)>, Option<&'a str>);
    let sources: [Source<'_>; 3] = [
        ("flag", None, None),
        (
            "env",
            Some(("BUILDKITE_TEST_ENGINE_ATTEMPT_TIMEOUT", "3s")),
            None,
        ),
        ("file", None, Some("[runner]\nattempt-timeout = \"3s\"\n")),
    ];
    for (source, var, file) in sources {
        let _ = fs::remove_file(dir.path().join("bktec.toml"));
        if let Some(text) = file {
            dir.write("bktec.toml", text);
        }
        let mut cmd = bktec(&dir, Venv::Collector)
            .env("BKTEC_TEST_MARKER", &marker)
            .args([
                "run",
                "--test-engine-retry-count",
                "2",
                "--cancel-grace-period",
                "1s",
            ]);
        if source == "flag" {
            cmd = cmd.args(["--attempt-timeout", "3s", "--junit-out", "out/j.xml"]);
        }
        if let Some((name, value)) = var {
            cmd = cmd.env(name, value);
        }
        let started = Instant::now();
        let out = cmd.output();
        out.assert_exit(124).assert_stderr_contains(
            "bktec run: an attempt ran past runner.attempt-timeout (3s) and was ended (exit status 124)",
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{source}");
        let stdout = out.stdout();
        assert!(
            stdout.contains(
                "⏱ pytest ran past runner.attempt-timeout (3s) in its first attempt and was ended"
            ),
            "{source}: {stdout}"
        );
        assert_eq!(
            listed(&stdout, "Still running:"),
            ["- tests/test_a.py::test_hangs"]
        );
        assert!(
            !stdout.contains("Attempt 1 of 2"),
            "{source}: a hung attempt is not retried: {stdout}"
        );
        let pid: i32 = fs::read_to_string(&marker).unwrap().trim().parse().unwrap();
        wait_for("the hung test to end", Duration::from_secs(5), || {
            !alive(pid)
        });
        if source == "flag" {
            // pytest wrote no result file, yet the report, the merged JUnit
            // and the annotation name what the witness saw: the hung test
            // as failed, the others as they ended.
            assert!(
                stdout.contains("+++ Failed Tests:\n- tests/test_a.py::test_fail\n- tests/test_a.py::test_hangs\n"),
                "{stdout}"
            );
            let xml = fs::read_to_string(dir.path().join("out/j.xml")).unwrap();
            assert!(xml.contains("tests=\"3\" failures=\"2\""), "{xml}");
            assert!(
                xml.contains(
                    "still running when the attempt was ended at runner.attempt-timeout (3s)"
                ),
                "{xml}"
            );
        }
    }
    // A deadline the attempt keeps changes nothing.
    bktec(&dir, Venv::Collector)
        .args(["run", "--attempt-timeout", "10m"])
        .env("BKTEC_TEST_MARKER", &marker)
        .arg("--test-file-pattern")
        .arg("tests/test_b.py")
        .output()
        .assert_success();
}

/// D48: a runner without a witness names the targets that had no result
/// when its attempt was ended.
#[test]
fn an_ended_runner_without_a_witness_names_its_targets_without_results() {
    let dir = TestDir::new();
    dir.write("a_test.sh", "");
    dir.write("b_test.sh", "");
    dir.write("slow.sh", "sleep 100\n");
    bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "*_test.sh")
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "sh slow.sh {{testExamples}}",
        )
        .args([
            "run",
            "--attempt-timeout",
            "1s",
            "--cancel-grace-period",
            "1s",
        ])
        .output()
        .assert_exit(124)
        .assert_stdout_contains(
            "Without a result (still running, or never started):\n- a_test.sh\n- b_test.sh\n",
        );
}
