//! The verdict (D23): the one place where the exit status of a run is
//! decided, from the typed facts the retry loop recorded. A green exit is a
//! claim that every assigned test provably ran and passed; when the facts do
//! not prove it, the run is not green, whatever the test command said.

use super::retry_loop::{AttemptExit, ResultsFact, RunOutcome};
use crate::exit_code;

/// How a run ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every assigned test provably ran and passed, or failed only while muted.
    Passed {
        /// How many muted tests failed.
        muted_failures: usize,
    },
    /// The node's targets collected no tests at all (pytest's status 5
    /// without a collection error): no tests on this node.
    NoTests,
    /// The test command failed: bktec exits with its status.
    Failed {
        /// The status bktec exits with.
        status: u8,
        /// The command's own exit code.
        code: i32,
        /// Why a failure of muted tests only was not turned into success
        /// (empty when no such conversion was possible).
        refused: Vec<Unproven>,
    },
    /// The test command said 0, but its results do not prove success: 17.
    Unproven(Vec<Unproven>),
    /// The test command was killed by, or cancelled with, this signal (D15).
    Signal(i32),
    /// The test command could not be started.
    StartFailed(String),
}

/// A rule of D23 that a run did not satisfy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unproven {
    /// (a) An attempt's results were not read.
    ResultsUnread {
        /// Which attempt (0 is the first run).
        attempt: u32,
        /// Why, when the file was missing or malformed.
        reason: Option<String>,
    },
    /// The results were read, but not one test of any assigned target was
    /// in them (`pytest --co` as the test command): nothing provably ran.
    NothingReported(usize),
    /// A run-level error was recorded (a collection error).
    RunError(String),
    /// (b) Tests failed and neither passed later (a skip does not count) nor
    /// are muted.
    FailuresRemain(usize),
    /// (c) A retry produced no result for tests it was asked to run.
    RetryWithoutResults {
        /// Which retry.
        attempt: u32,
        /// The tests without a result.
        tests: Vec<String>,
    },
    /// (d) Assigned targets produced no result and are not proven to hold no
    /// tests, so the tests in them may never have run.
    SilentTargets(usize),
    /// Selected tests never reported: the run stopped before them.
    NeverRan {
        /// Which attempt.
        attempt: u32,
        /// The tests.
        tests: Vec<String>,
    },
}

impl Verdict {
    /// The exit status of this verdict (D22, D23). [`Verdict::NoTests`] is
    /// 0 here; `--fail-on-no-tests` turns it into an error before this.
    pub(crate) fn status(&self) -> u8 {
        match self {
            Verdict::Passed { muted_failures: _ } | Verdict::NoTests => exit_code::SUCCESS,
            Verdict::Failed {
                status,
                code: _,
                refused: _,
            } => *status,
            Verdict::Unproven(_) => exit_code::NOT_PROVEN,
            Verdict::Signal(signal) => exit_code::from_signal(*signal),
            Verdict::StartFailed(_) => exit_code::CONFIG_ERROR,
        }
    }
}

/// How a run ended: the one value its exit status is decided from, by
/// [`exit_status`] (D23, issue 18).
#[derive(Debug)]
pub(crate) enum RunEnd {
    /// A signal ended the run outside an attempt (D15).
    Signalled(i32),
    /// `run --dry-run` showed the plan and ran nothing.
    DryRun,
    /// This job had no tests, and `--fail-on-no-tests` refuses that.
    NoTestsRefused,
    /// The job had nothing to run, or its attempts ran.
    Ran {
        /// How the attempts ended (`NoTests` when there were none).
        verdict: Verdict,
        /// What became of the merged JUnit report.
        junit_out: JUnitOut,
    },
}

/// What became of the merged JUnit report (`--junit-out`, issue 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JUnitOut {
    /// None was asked for.
    NotAsked,
    /// It was written.
    Written,
    /// It could not be written.
    Failed,
}

/// The exit status of a run: the one place it is decided.
pub(crate) fn exit_status(end: &RunEnd) -> u8 {
    match end {
        RunEnd::Signalled(signal) => exit_code::from_signal(*signal),
        RunEnd::DryRun => exit_code::SUCCESS,
        RunEnd::NoTestsRefused => exit_code::CONFIG_ERROR,
        RunEnd::Ran { verdict, junit_out } => match (verdict.status(), junit_out) {
            // A green run whose merged report could not be written is not
            // green for the CI steps that read it.
            (exit_code::SUCCESS, JUnitOut::Failed) => exit_code::CONFIG_ERROR,
            (status, JUnitOut::NotAsked | JUnitOut::Written | JUnitOut::Failed) => status,
        },
    }
}

/// What the attempts themselves did not prove: results unread (a), tests
/// that never ran, and a retry's tests without results (c).
fn attempts_unproven(outcome: &RunOutcome) -> Vec<Unproven> {
    let mut unproven = Vec::new();
    for facts in &outcome.history {
        match &facts.results {
            ResultsFact::Read(_) | ResultsFact::NoResultFile => {}
            ResultsFact::NotRead => unproven.push(Unproven::ResultsUnread {
                attempt: facts.attempt,
                reason: None,
            }),
            ResultsFact::Unreadable(reason) => unproven.push(Unproven::ResultsUnread {
                attempt: facts.attempt,
                reason: Some(reason.to_string()),
            }),
        }
        if !facts.never_ran.is_empty() {
            unproven.push(Unproven::NeverRan {
                attempt: facts.attempt,
                tests: facts.never_ran.clone(),
            });
        }
        if !facts.asked_without_result.is_empty() {
            unproven.push(Unproven::RetryWithoutResults {
                attempt: facts.attempt,
                tests: facts.asked_without_result.clone(),
            });
        }
    }
    unproven
}

/// Decides how `outcome` ends (D23).
pub(crate) fn verdict(outcome: &RunOutcome) -> Verdict {
    let code = match &outcome.last_exit {
        AttemptExit::Cancelled(signal) | AttemptExit::Signaled(signal) => {
            return Verdict::Signal(*signal);
        }
        AttemptExit::StartFailed(error) => return Verdict::StartFailed(error.to_string()),
        AttemptExit::Exited(code) => *code,
    };
    let record = &outcome.record;
    if let [first] = outcome.history.as_slice()
        && first.collected_nothing
        && record.error().is_none()
        && !record.any_ran()
    {
        return Verdict::NoTests;
    }
    let mut unproven = attempts_unproven(outcome);
    // Silence means something only where every result file was read: a
    // runner without one has its exit status as its only evidence, and an
    // unread file is reported above.
    let all_read = outcome
        .history
        .iter()
        .all(|facts| matches!(facts.results, ResultsFact::Read(_)));
    let nothing_reported = all_read && record.results().next().is_none();
    if nothing_reported && !outcome.silent_targets.is_empty() {
        unproven.push(Unproven::NothingReported(outcome.silent_targets.len()));
    }
    if let Some(error) = record.error() {
        unproven.push(Unproven::RunError(error.to_string()));
    }
    let failed = record.unresolved().len();
    if failed > 0 {
        unproven.push(Unproven::FailuresRemain(failed));
    }
    let muted_failures = record.failed_muted().len();
    let silent = all_read
        && !nothing_reported
        && !outcome.silent_targets.is_empty()
        && !outcome.silent_targets_quiet;
    if code == 0 {
        // A target that produced no result and may hold tests is no proof
        // that they passed (D23).
        if silent {
            unproven.push(Unproven::SilentTargets(outcome.silent_targets.len()));
        }
        return if unproven.is_empty() {
            Verdict::Passed { muted_failures }
        } else {
            Verdict::Unproven(unproven)
        };
    }
    let status = u8::try_from(code).unwrap_or(1).max(1);
    // 9.5: a status of 1 with only muted failures is success, but only when
    // every assigned target answered (d): under `pytest -x` a muted failure
    // can stop the run before the other targets ever ran. Targets that the
    // runner proved to hold no tests (helper modules) need not answer.
    if code == 1 && record.only_muted_failures() {
        if silent {
            unproven.push(Unproven::SilentTargets(outcome.silent_targets.len()));
        }
        if unproven.is_empty() {
            return Verdict::Passed { muted_failures };
        }
        return Verdict::Failed {
            status,
            code,
            refused: unproven,
        };
    }
    Verdict::Failed {
        status,
        code,
        refused: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(verdict: Verdict, junit_out: JUnitOut) -> RunEnd {
        RunEnd::Ran { verdict, junit_out }
    }

    fn failed(status: u8) -> Verdict {
        Verdict::Failed {
            status,
            code: i32::from(status),
            refused: Vec::new(),
        }
    }

    /// Every way a run ends, and the one status each gets (D15, D22, D23).
    #[test]
    fn every_end_has_one_status() {
        let passed = || Verdict::Passed { muted_failures: 0 };
        let table = [
            (RunEnd::Signalled(libc::SIGTERM), 143),
            (RunEnd::Signalled(libc::SIGINT), 130),
            (RunEnd::Signalled(1000), 255),
            (RunEnd::DryRun, 0),
            (RunEnd::NoTestsRefused, 16),
            (ran(passed(), JUnitOut::NotAsked), 0),
            (ran(passed(), JUnitOut::Written), 0),
            // A green run whose merged report is missing is not green.
            (ran(passed(), JUnitOut::Failed), 16),
            (ran(Verdict::NoTests, JUnitOut::Failed), 16),
            (ran(Verdict::NoTests, JUnitOut::Written), 0),
            // A red run stays as red as the tests made it.
            (ran(failed(1), JUnitOut::Failed), 1),
            (ran(failed(3), JUnitOut::Written), 3),
            (ran(Verdict::Unproven(Vec::new()), JUnitOut::Written), 17),
            (ran(Verdict::Signal(libc::SIGKILL), JUnitOut::NotAsked), 137),
            (
                ran(
                    Verdict::StartFailed("no such program".into()),
                    JUnitOut::NotAsked,
                ),
                16,
            ),
        ];
        for (end, status) in table {
            assert_eq!(exit_status(&end), status, "{end:?}");
        }
    }
}
