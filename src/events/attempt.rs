//! What happens in an attempt: the facts the retry loop and the attempts
//! emit.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::chain::ErrorChain;
use crate::results::ResultFormat;

/// How an attempt's process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttemptExit {
    /// The command exited with this code.
    Exited(i32),
    /// The command was killed by this signal.
    Signaled(i32),
    /// bktec received this SIGINT or SIGTERM and ended the attempt (D15).
    Cancelled(i32),
    /// The attempt ran past its deadline (`runner.attempt-timeout`), and
    /// bktec ended it like a cancel (D48).
    TimedOut(std::time::Duration),
    /// The command could not be started.
    StartFailed(AttemptError),
}

/// What went wrong in an attempt (it could not start, its results could not
/// be read, its upload failed): the error itself, with its causes, so that
/// the reporter words it. Shared, as the attempt's event and its facts both
/// hold it. Its `Display` is the chain on one line (`ErrorChain`'s `{:#}`).
#[derive(Clone, Debug)]
pub(crate) struct AttemptError(Arc<dyn Error + Send + Sync + 'static>);

impl AttemptError {
    /// `error` as an attempt's error.
    pub(crate) fn new(error: impl Error + Send + Sync + 'static) -> AttemptError {
        AttemptError(Arc::new(error))
    }

    /// The error, for a renderer that walks its causes.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "for the reporter of the event leaf (issue 18)")
    )]
    pub(crate) fn error(&self) -> &(dyn Error + 'static) {
        &*self.0
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", ErrorChain(&*self.0))
    }
}

/// Two attempt errors are the same fact when they say the same.
impl PartialEq for AttemptError {
    fn eq(&self, other: &AttemptError) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.to_string() == other.to_string()
    }
}

impl Eq for AttemptError {}

/// A scripted attempt's error, in tests: it says `text`.
#[cfg(test)]
impl From<&'static str> for AttemptError {
    fn from(text: &'static str) -> AttemptError {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Said(&'static str);
        AttemptError::new(Said(text))
    }
}

/// Which attempt this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryData {
    /// 0 for the first run, k for the k-th retry.
    pub attempt: u32,
    /// The most retries allowed.
    pub max_retries: u32,
}

/// What happens in an attempt, for the reporter (S11). Wording is the
/// reporter's; these are the facts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AttemptEvent {
    /// An attempt is about to run these tests.
    Started {
        /// Which attempt.
        retry: RetryData,
        /// How many tests.
        tests: usize,
    },
    /// The command line of an attempt.
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
        /// The command line a person pastes to run the attempt again
        /// (`Runner::reproduction`).
        reproduction: Vec<String>,
    },
    /// The command left processes running, which were ended (D28).
    ProcessesLeft {
        /// How many.
        count: usize,
    },
    /// The result file is being uploaded (13.1).
    Uploading,
    /// The upload failed; the run goes on.
    UploadFailed {
        /// Why.
        error: AttemptError,
    },
    /// The command ended without writing its result file, which the report
    /// explains with a hint (issue 13, item 5).
    NoResultFile {
        /// Where the results were expected.
        path: std::path::PathBuf,
        /// The format bktec reads.
        format: ResultFormat,
        /// Whether the attempt's command template holds `{{resultPath}}`.
        template_names_it: bool,
        /// Whether the runner reported a usage error (pytest's status 4,
        /// which an option it does not know, such as `--json` without
        /// buildkite-test-collector, causes).
        usage_error: bool,
    },
    /// The result file of an attempt could not be used.
    ResultsUnreadable {
        /// Why.
        message: AttemptError,
    },
    /// The runner listed the tests its targets hold before the first
    /// attempt (D37).
    Listed {
        /// The listing (`go test -list`).
        tool: &'static str,
        /// How many tests it listed.
        tests: usize,
        /// How long it took.
        elapsed: std::time::Duration,
    },
    /// The runner's listing failed: no attempt can prove its tests (D37).
    ListingFailed {
        /// The listing.
        tool: &'static str,
        /// Why.
        error: AttemptError,
    },
    /// An attempt finished.
    Finished {
        /// Which attempt.
        retry: RetryData,
        /// How it ended.
        exit: AttemptExit,
    },
}
