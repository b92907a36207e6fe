//! Signals (D15): SIGTERM and SIGINT sent to bktec during a run reach the
//! test command's process group, bktec exits 128 + n, and no test process
//! (grandchildren included) survives.

use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::support::{TestDir, Venv, venv};

/// A test that starts a grandchild, writes both pids, and waits forever.
const SLEEPER: &str = r#"
import os, pathlib, subprocess, time

def test_waits():
    child = subprocess.Popen(["sleep", "1000"])
    marker = pathlib.Path(os.environ["BKTEC_TEST_MARKER"])
    marker.write_text(f"{os.getpid()} {child.pid}")
    time.sleep(1000)
"#;

/// Whether `pid` is a live process (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            state != Some("Z")
        }
    }
}

pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        sleep(Duration::from_millis(50));
    }
}

pub fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("bktec did not exit within {limit:?}");
        }
        sleep(Duration::from_millis(50));
    }
}

fn pids(marker: &Path) -> Vec<i32> {
    fs::read_to_string(marker)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

fn signal_run(signal: i32, want: i32) {
    let dir = TestDir::new();
    dir.write("tests/test_sleeper.py", SLEEPER);
    let marker = dir.path().join("pids.txt");
    let mut cmd = dir
        .bktec()
        .path_prepend(&venv(Venv::Collector))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .env("BKTEC_TEST_MARKER", marker.display().to_string())
        .command();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("the test to start", Duration::from_secs(60), || {
        fs::read_to_string(&marker).is_ok_and(|s| s.split_whitespace().count() == 2)
    });
    let [pytest, grandchild] = pids(&marker)[..] else {
        panic!("two pids expected");
    };
    // SAFETY: kill has no memory-safety preconditions.
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(want), "bktec's exit status");
    wait_for("the test processes to end", Duration::from_secs(10), || {
        !alive(pytest) && !alive(grandchild)
    });
}

#[test]
fn sigterm_reaches_the_process_group_and_exits_143() {
    signal_run(libc::SIGTERM, 143);
}

#[test]
fn sigint_reaches_the_process_group_and_exits_130() {
    signal_run(libc::SIGINT, 130);
}

/// Starts bktec with a custom command that ignores `traps` and records its
/// pid; returns bktec and the command's pid once it runs.
fn start_stubborn(dir: &TestDir, traps: &str, grace: &str) -> (Child, i32) {
    let marker = dir.path().join("pid.txt");
    let script = format!(
        "trap '' {traps}; echo $$ > '{}'; while true; do sleep 0.1; done",
        marker.display()
    );
    dir.write("selectors.txt", "all\n");
    let child = dir
        .bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env("BUILDKITE_TEST_ENGINE_SELECTOR_FILE", "selectors.txt")
        .env("BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD", grace)
        .args(["run", "--test-command", &format!("sh -c \"{script}\"")])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("the command to start", Duration::from_secs(30), || {
        fs::read_to_string(&marker).is_ok_and(|s| s.trim().parse::<i32>().is_ok())
    });
    let pid = fs::read_to_string(&marker).unwrap().trim().parse().unwrap();
    (child, pid)
}

pub fn send(child: &Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

#[test]
fn a_second_sigint_kills_a_command_that_ignores_the_first() {
    let dir = TestDir::new();
    let (mut child, shell) = start_stubborn(&dir, "INT TERM", "60s");
    send(&child, libc::SIGINT);
    sleep(Duration::from_millis(300));
    assert!(alive(shell), "the command ignores the first SIGINT");
    send(&child, libc::SIGINT);
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    wait_for("the command to be killed", Duration::from_secs(10), || {
        !alive(shell)
    });
}

#[test]
fn a_grace_period_ends_in_a_kill() {
    let dir = TestDir::new();
    let (mut child, shell) = start_stubborn(&dir, "TERM", "500ms");
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(143));
    wait_for("the command to be killed", Duration::from_secs(10), || {
        !alive(shell)
    });
}
