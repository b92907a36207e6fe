//! The retry loop (behaviour document 9; D15, D16): run an attempt, record its
//! results, decide whether to retry, and finally the exit status. The loop
//! knows nothing about processes: an [`AttemptRunner`] runs each attempt, so
//! the state machine is tested with a scripted one.

mod attempt;
mod evidence;
mod interrupted;
mod listing;
mod retry_loop;
mod timing;
mod verdict;

pub(crate) use attempt::{ProcessAttempts, check_result_path, check_stale_result, kept_path};
pub(crate) use retry_loop::execute;
pub(crate) use verdict::{exit_status, verdict};
