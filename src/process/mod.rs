//! Child processes: every child bktec runs, the test command and its
//! helpers alike, runs in its own process group, gets the signals bktec
//! receives, and leaves nothing running (S10, D15, D28). One process-wide
//! source publishes those signals (`cancel`).

mod cancel;
mod output;
mod unix;

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) use cancel::{install as install_cancellation, received};
pub(crate) use output::{Captured, HelperOptions, output};
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
    /// A file that gets a copy of what the child writes to its standard
    /// output, which still reaches bktec's (gotest's `go test -json`, D39).
    pub stdout_copy: Option<PathBuf>,
    /// How long the child may run before it is ended like a cancel: SIGTERM
    /// to its group, then SIGKILL after the grace period (D48).
    pub deadline: Option<Duration>,
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
    /// Whether its deadline ended it (D48).
    pub timed_out: bool,
}

/// Why a child could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
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
    /// bktec received an ending signal before or while the child ran; the
    /// child was ended. bktec exits 128 + `signal`.
    #[error("`{program}` was stopped: bktec received {}", signal_name(*signal))]
    Cancelled {
        /// The program.
        program: String,
        /// The signal.
        signal: i32,
    },
    /// The child ran past its deadline and was ended.
    #[error("`{program}` did not finish within {}s", after.as_secs_f64())]
    TimedOut {
        /// The program.
        program: String,
        /// Its deadline.
        after: Duration,
    },
    /// The file that gets a copy of the child's output cannot be created.
    #[error("failed to create `{}` for the output of `{program}`", path.display())]
    Copy {
        /// The program.
        program: String,
        /// The file.
        path: PathBuf,
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

pub(crate) use crate::exit_code::signal_name;

/// The signal that cancelled what `err` reports, if it was cancelled: a
/// [`ProcessError::Cancelled`] in its chain of causes, else any ending
/// signal bktec received (an error that follows a signal is its
/// consequence, even where a cause was turned into text). The caller exits
/// 128 + n.
pub(crate) fn cancelled_by(err: &(dyn Error + 'static)) -> Option<i32> {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(ProcessError::Cancelled { signal, .. }) = err.downcast_ref::<ProcessError>() {
            return Some(*signal);
        }
        cause = err.source();
    }
    received()
}
