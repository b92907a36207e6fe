//! bktec's exit statuses (D22). These are an API: CI pipelines branch on them.
//!
//! | Status | Meaning |
//! |---|---|
//! | 0 | success (including muted-only failures and an empty node without `--fail-on-no-tests`) |
//! | the runner's own status | the last test attempt exited with it |
//! | 1 | a pytest pre-flight check failed (tag filters without a new enough collector; behaviour document 7.6) |
//! | 1 | every test passed, some only on a retry, and `retry.flaky-result` is `fail` (D47) |
//! | 124 | an attempt ran past `runner.attempt-timeout` and was ended (D48) |
//! | 16 | configuration, usage or tool error (compatible with the Go client) |
//! | 17 | the test command exited 0, but its results do not prove that every assigned test ran and passed (D23) |
//! | 128 + n | the test runner was killed by signal n |

/// Success.
pub(crate) const SUCCESS: u8 = 0;

/// A pytest pre-flight check failed (behaviour document 2.7, 7.6).
pub(crate) const PREFLIGHT_FAILED: u8 = 1;

/// Every test passed, but some only on a retry, and `retry.flaky-result`
/// is `fail` (D47): the status of a failed test run.
pub(crate) const FLAKY_FAILED: u8 = 1;

/// An attempt ran past `runner.attempt-timeout` and was ended (D48), as
/// `timeout(1)` exits.
pub(crate) const TIMED_OUT: u8 = 124;

/// A configuration, usage or tool error (behaviour document 2.7).
pub(crate) const CONFIG_ERROR: u8 = 16;

/// The test command exited 0, but its results do not prove success (D23):
/// unread results, failures that remain, a retry without results.
pub(crate) const NOT_PROVEN: u8 = 17;

/// The base of "killed by signal n" statuses.
pub(crate) const SIGNAL_BASE: u8 = 128;

/// The status for a run that signal `signal` ended: 128 + n (D15), 255 when
/// that does not fit.
pub(crate) fn from_signal(signal: i32) -> u8 {
    SIGNAL_BASE.saturating_add(u8::try_from(signal).unwrap_or(u8::MAX))
}

/// A signal's name for messages (`SIGTERM`), or its number.
pub(crate) fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}
