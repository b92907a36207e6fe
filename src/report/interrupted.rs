//! What an attempt that bktec ended left behind (D48): after a cancel
//! (a Buildkite cancel or timeout sends SIGTERM) or at the attempt's
//! deadline, the tests that passed, those that failed and those that were
//! still running, so that a job ended from outside still explains itself.

use std::fmt::Write;
use std::time::Duration;

use super::shell::{FAILURE, paint};
use super::{LISTED, list};
use crate::events::Interrupted;

/// Why bktec ended the attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cause {
    /// bktec received this SIGINT or SIGTERM.
    Signal(i32),
    /// The attempt ran past `runner.attempt-timeout`.
    Deadline(Duration),
}

/// The report of an attempt bktec ended.
pub(crate) fn render_interrupted(
    interrupted: &Interrupted,
    cause: Cause,
    runner_name: &str,
    list_all: bool,
) -> String {
    let attempt = match interrupted.attempt {
        0 => "its first attempt".to_string(),
        n => format!("retry {n}"),
    };
    let why = match cause {
        Cause::Signal(signal) => format!(
            "🛑 {} ended {runner_name} in {attempt}",
            crate::exit_code::signal_name(signal)
        ),
        // As the last line and the recorded failure say it (`3s`, `1ms`).
        Cause::Deadline(after) => format!(
            "⏱ {runner_name} ran past runner.attempt-timeout ({after:?}) in {attempt} and was ended"
        ),
    };
    let mut out = format!(
        "\n+++ Buildkite Test Engine Client: {}\n",
        paint(FAILURE, &why)
    );
    let running = interrupted.running.as_ref().map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "{} passed, {} failed{} before it ended.",
        interrupted.passed,
        interrupted.failed.len(),
        match &interrupted.running {
            Some(_) => format!(", {running} still running"),
            None => String::new(),
        }
    );
    let limit = if list_all { usize::MAX } else { LISTED };
    let failed = paint(FAILURE, "Failed:");
    list(&mut out, &failed, interrupted.failed.clone(), limit);
    let unfinished = interrupted.unfinished.clone();
    if let Some(running) = &interrupted.running {
        list(&mut out, "Still running:", running.clone(), limit);
        list(&mut out, "Never started:", unfinished, limit);
    } else {
        let heading = "Without a result (still running, or never started):";
        list(&mut out, heading, unfinished, limit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_passed_failed_and_was_running() {
        let interrupted = Interrupted {
            attempt: 0,
            passed: 3,
            failed: vec!["t.py::test_fail".into()],
            running: Some(vec!["t.py::test_slow".into()]),
            unfinished: vec!["u.py".into()],
        };
        let text = render_interrupted(&interrupted, Cause::Signal(libc::SIGTERM), "pytest", false);
        let text = anstream::adapter::strip_str(&text).to_string();
        assert_eq!(
            text,
            "\n+++ Buildkite Test Engine Client: 🛑 SIGTERM ended pytest in its first attempt\n\
             3 passed, 1 failed, 1 still running before it ended.\n\
             \nFailed:\n- t.py::test_fail\n\
             \nStill running:\n- t.py::test_slow\n\
             \nNever started:\n- u.py\n"
        );
        let unknown = Interrupted {
            attempt: 2,
            running: None,
            ..interrupted
        };
        let text = render_interrupted(
            &unknown,
            Cause::Deadline(Duration::from_millis(1500)),
            "Jest",
            false,
        );
        let text = anstream::adapter::strip_str(&text).to_string();
        assert!(text.starts_with(
            "\n+++ Buildkite Test Engine Client: ⏱ Jest ran past runner.attempt-timeout (1.5s) in retry 2 and was ended\n\
             3 passed, 1 failed before it ended.\n"
        ), "{text}");
        assert!(text.ends_with("\nWithout a result (still running, or never started):\n- u.py\n"));
    }
}
