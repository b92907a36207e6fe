//! The verdict (D23): the one place where the exit status of a run is
//! decided, from the typed facts the retry loop recorded. A green exit is a
//! claim that every assigned test provably ran and passed; when the facts do
//! not prove it, the run is not green, whatever the test command said.

use crate::config::FlakyResult;
use crate::events::{
    AttemptExit, JUnitOut, ListingFact, ResultsFact, RunEnd, RunOutcome, Unproven, Verdict,
};
use crate::exit_code;

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
        if facts.cut_short {
            unproven.push(Unproven::CutShort {
                attempt: facts.attempt,
            });
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
    unproven.extend(listing_unproven(&outcome.listing));
    unproven
}

/// What the runner's listing did not prove (D37): listed tests without a
/// result, or no listing at all.
fn listing_unproven(listing: &ListingFact) -> Option<Unproven> {
    match listing {
        ListingFact::PerFile => None,
        ListingFact::Listed {
            tool,
            listed: _,
            unreported,
        } => (!unreported.is_empty()).then(|| Unproven::Unreported {
            tool,
            tests: unreported.clone(),
        }),
        ListingFact::Failed { tool, error } => Some(Unproven::NotListed {
            tool,
            reason: error.to_string(),
        }),
    }
}

/// A run whose every test provably passed: green, unless some passed only
/// on a retry and flaky tests fail the run (D47).
fn passed(outcome: &RunOutcome, muted_failures: usize) -> Verdict {
    let flaky = outcome.record.flaky().len();
    match outcome.flaky_result {
        FlakyResult::Fail if flaky > 0 => Verdict::FlakyFailed { flaky },
        FlakyResult::Fail | FlakyResult::Pass => Verdict::Passed { muted_failures },
    }
}

/// Decides how `outcome` ends (D23).
pub(crate) fn verdict(outcome: &RunOutcome) -> Verdict {
    let code = match &outcome.last_exit {
        AttemptExit::Cancelled(signal) | AttemptExit::Signaled(signal) => {
            return Verdict::Signal(*signal);
        }
        AttemptExit::StartFailed(error) => return Verdict::StartFailed(error.to_string()),
        AttemptExit::TimedOut(after) => return Verdict::TimedOut(*after),
        AttemptExit::Exited(code) => *code,
    };
    let record = &outcome.record;
    if let [first] = outcome.history.as_slice()
        && first.collected_nothing
        && record.error().is_none()
        && !record.any_ran()
        // A hook that dropped collected tests without deselecting them
        // left them unrun: with or without the witness, the targets must
        // provably hold no tests (D36).
        && outcome.silent_targets_quiet
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
            passed(outcome, muted_failures)
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
            return passed(outcome, muted_failures);
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
