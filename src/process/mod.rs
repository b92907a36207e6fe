//! Child processes: spawn a test command in its own process group, forward
//! signals to the group, escalate, and leave nothing running (S10, D15, D28).

mod unix;

use std::time::Duration;

pub(crate) use unix::{Signals, run_child};

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildExit {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal.
    Signal(i32),
}

/// What to run.
#[derive(Clone, Debug)]
pub(crate) struct ChildSpec {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// How long the group gets after the first SIGINT or SIGTERM before it is killed.
    pub grace: Duration,
}

/// How a child run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildOutcome {
    /// The child's exit.
    pub exit: ChildExit,
    /// The SIGINT or SIGTERM that bktec received while the child ran, if any.
    pub cancelled_by: Option<i32>,
    /// How many descendants were still running when the child had exited;
    /// they have been ended (D28). Always 0 where descendants that left the
    /// process group cannot be found (anywhere but Linux).
    pub left_running: usize,
}

/// Why a child could not be run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProcessError {
    /// The command is empty.
    #[error("the command is empty")]
    EmptyCommand,
    /// The program could not be started.
    #[error("failed to start `{program}`")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the child failed.
    #[error("failed to wait for `{program}`")]
    Wait {
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
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
