//! What a command that runs stages holds while they run: the reporter that
//! says what happened, the async runtime, and the signals that end the
//! command in any phase with 128 + n (D15).

use std::future::Future;

use super::error::BktecError;
use crate::events::{Notice, RunEvent};
use crate::process::Signals;
use crate::report::Reporter;

/// The reporter, the runtime and the signals of one command.
pub(super) struct Session<'r> {
    /// Every event of the command goes here.
    pub(super) reporter: &'r mut Reporter,
    /// The runtime the API calls, the agent calls and the attempts run on.
    pub(super) runtime: tokio::runtime::Runtime,
    /// From here a SIGINT or SIGTERM no longer ends bktec outright: it is
    /// seen, and the command returns, so that temporary files are removed
    /// (D18) in every phase.
    pub(super) signals: Signals,
}

impl<'r> Session<'r> {
    /// Builds the runtime and installs the signal handlers.
    pub(super) fn start(reporter: &'r mut Reporter) -> Result<Session<'r>, BktecError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BktecError::Runtime)?;
        let signals = runtime
            .block_on(async { Signals::install() })
            .map_err(BktecError::Runtime)?;
        Ok(Session {
            reporter,
            runtime,
            signals,
        })
    }

    /// Says what happened.
    pub(super) fn report(&mut self, event: RunEvent<'_>) {
        self.reporter.report(event);
    }

    /// Says something outside the run's own events.
    pub(super) fn notice(&mut self, notice: Notice<'_>) {
        self.reporter.notice(notice);
    }

    /// Runs `future` to its end, or until a signal that ends bktec
    /// arrives (D33). Biased: a signal that came while a child ran (the
    /// agent annotating, say) wins over a future that is ready at once.
    pub(super) fn until_signal<F: Future>(&mut self, future: F) -> Result<F::Output, i32> {
        let signals = &mut self.signals;
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                signal = signals.next_cancel() => Err(signal),
                output = future => Ok(output),
            }
        })
    }

    /// A signal that ends bktec and arrived while nothing watched for it.
    pub(super) fn pending_signal(&mut self) -> Option<i32> {
        self.signals.pending()
    }
}
