//! No descendant outlives bktec (D28, D15): a test command that starts a
//! daemon in its own session (`setsid`, so it leaves the process group) has
//! it ended when the command exits, is interrupted or is terminated; a
//! daemon that ignores SIGTERM is killed after the grace period. On Linux
//! the test command dies with a SIGKILLed bktec. And no temporary result
//! directory outlives a terminated bktec (D18).

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::signals::{alive, send, wait_exit, wait_for};
use crate::support::stand_in::{Reply, StandIn};
use crate::support::{TestDir, Venv, venv};

/// A daemon's pid; the daemon is killed when the test ends, so that a
/// failing test (bktec leaving it running) does not leave it behind either.
struct Daemon(i32);

impl Drop for Daemon {
    fn drop(&mut self) {
        if alive(self.0) {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
}

/// What the test command does once its daemon runs.
#[derive(Clone, Copy)]
enum Then {
    /// Exits 3.
    Exit,
    /// Writes `ready` and waits until it is signalled.
    Wait,
}

/// A test command that starts a daemon in a new session, with its standard
/// streams on /dev/null (so it holds no pipe of bktec's caller open), waits
/// until the daemon has written its pid, and then does `then`. With
/// `ignore_term` the daemon ignores SIGTERM.
fn daemon_script(dir: &TestDir, ignore_term: bool, then: Then) -> PathBuf {
    let pid_file = dir.path().join("daemon.pid");
    let ready = dir.path().join("ready");
    let setup = if ignore_term { "trap \"\" TERM; " } else { "" };
    let then = match then {
        Then::Exit => "exit 3".to_string(),
        Then::Wait => format!(
            "echo ready > '{}'\nwhile true; do sleep 0.1; done",
            ready.display()
        ),
    };
    dir.write(
        "daemon.sh",
        &format!(
            "setsid sh -c '{setup}echo $$ > \"$0\"; exec sleep 300' '{pid}' </dev/null >/dev/null 2>&1 &\n\
             while [ ! -s '{pid}' ]; do sleep 0.05; done\n\
             {then}\n",
            pid = pid_file.display(),
        ),
    );
    dir.write("selectors.txt", "all\n");
    pid_file
}

/// bktec running `sh daemon.sh` with the custom runner.
fn start(dir: &TestDir, grace: &str, stdout: Stdio) -> Child {
    dir.bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_SELECTOR_FILE", "selectors.txt")
        .env("BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD", grace)
        .args(["run", "--test-command", "sh daemon.sh"])
        .command()
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec")
}

fn daemon_pid(pid_file: &Path) -> Daemon {
    Daemon(
        fs::read_to_string(pid_file)
            .expect("the daemon wrote its pid")
            .trim()
            .parse()
            .expect("a pid"),
    )
}

#[test]
fn a_setsid_daemon_is_ended_when_the_command_exits() {
    let dir = TestDir::new();
    let pid_file = daemon_script(&dir, false, Then::Exit);
    let child = start(&dir, "10s", Stdio::piped());
    let started = Instant::now();
    let out = child.wait_with_output().expect("wait for bktec");
    let daemon = daemon_pid(&pid_file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "the command's status\n{stdout}");
    assert!(!alive(daemon.0), "the daemon outlived bktec");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "a daemon that obeys SIGTERM is not waited for until the grace period ends"
    );
    assert!(
        stdout.contains(
            "Buildkite Test Engine Client: Warning: the test command left 1 process running after it exited; it was terminated\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_daemon_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let dir = TestDir::new();
    let pid_file = daemon_script(&dir, true, Then::Exit);
    let started = Instant::now();
    let child = start(&dir, "1s", Stdio::piped());
    let out = child.wait_with_output().expect("wait for bktec");
    let daemon = daemon_pid(&pid_file);
    assert_eq!(out.status.code(), Some(3));
    assert!(!alive(daemon.0), "the daemon outlived bktec");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "SIGKILL comes only after the grace period"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("left 1 process running"));
}

fn signalled_run(signal: i32, want: i32, ignore_term: bool) {
    let dir = TestDir::new();
    let pid_file = daemon_script(&dir, ignore_term, Then::Wait);
    let mut child = start(&dir, "1s", Stdio::null());
    wait_for("the command to be ready", Duration::from_secs(30), || {
        dir.path().join("ready").exists()
    });
    let daemon = daemon_pid(&pid_file);
    send(&child, signal);
    // The daemon gets what remains of the grace period the signal started.
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(want), "bktec's exit status");
    assert!(!alive(daemon.0), "the daemon outlived bktec");
}

#[test]
fn a_setsid_daemon_is_ended_after_sigint() {
    signalled_run(libc::SIGINT, 130, false);
}

#[test]
fn a_setsid_daemon_is_ended_after_sigterm() {
    signalled_run(libc::SIGTERM, 143, false);
}

#[test]
fn a_daemon_that_ignores_sigterm_is_killed_within_the_grace_period_of_a_sigterm() {
    signalled_run(libc::SIGTERM, 143, true);
}

/// The entries of `dir` whose names start with `bktec-`.
fn bktec_entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read TMPDIR")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with("bktec-"))
        .collect()
}

#[test]
fn sigterm_while_waiting_for_the_plan_leaves_no_temporary_directory() {
    let dir = TestDir::new();
    dir.write("tests/test_ok.py", "def test_ok():\n    assert True\n");
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).expect("create TMPDIR");
    let stand_in = StandIn::start(|_| Reply::Hang);
    let mut child = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("TMPDIR", tmp.display().to_string())
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .test_engine(&stand_in.url)
        .env("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "20s")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "60s")
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("a request to Test Engine", Duration::from_secs(60), || {
        !stand_in.requests().is_empty()
    });
    assert!(
        !bktec_entries(&tmp).is_empty(),
        "bktec made its result directory in TMPDIR before asking for the plan"
    );
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143), "bktec's exit status");
    assert_eq!(bktec_entries(&tmp), Vec::<String>::new(), "left in TMPDIR");
}

#[test]
fn a_sigkilled_bktec_takes_its_test_command_with_it() {
    // SIGKILL gives bktec no chance to end anything: the test command used
    // to be re-parented to init and run on. On Linux the kernel now kills it
    // (PR_SET_PDEATHSIG, D28); its own children are not covered (README).
    let dir = TestDir::new();
    dir.write("selectors.txt", "all\n");
    let mut bktec = dir
        .bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_SELECTOR_FILE", "selectors.txt")
        .args([
            "run",
            "--test-command",
            "sh -c 'echo $$ > child.tmp && mv child.tmp child.pid && exec sleep 300'",
        ])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    let pid_file = dir.path().join("child.pid");
    wait_for("the test command to start", Duration::from_secs(30), || {
        pid_file.exists()
    });
    let child = daemon_pid(&pid_file);
    assert!(alive(child.0), "the test command runs");
    send(&bktec, libc::SIGKILL);
    let status = wait_exit(&mut bktec, Duration::from_secs(5));
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let started = Instant::now();
    while alive(child.0) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(child.0),
        "the test command outlived a SIGKILLed bktec"
    );
}
