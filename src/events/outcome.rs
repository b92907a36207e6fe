//! How a run went and how it ends: the facts the verdict is decided from
//! (D23), and the verdict, as the reporter reads them.

use super::attempt::{AttemptError, AttemptExit};
use crate::config::FlakyResult;
use crate::exit_code;
use crate::plan::JobTiming;
use crate::results::RunResult;

/// What became of an attempt's results, as the verdict sees it (D23).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ResultsFact {
    /// The file was read and held this many results.
    Read(usize),
    /// The runner writes no result file.
    NoResultFile,
    /// The exit status said not to read the file.
    NotRead,
    /// The file was missing or malformed, for this reason.
    Unreadable(AttemptError),
}

/// The facts of one finished attempt that the verdict is computed from (D23).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptFacts {
    /// 0 for the first run, k for the k-th retry.
    pub attempt: u32,
    /// How the process ended.
    pub exit: AttemptExit,
    /// What became of its results.
    pub results: ResultsFact,
    /// For a retry: the tests it was asked to run that have no result in it.
    /// (The first attempt's targets are checked across the whole run.)
    pub asked_without_result: Vec<String>,
    /// The runner said it collected no tests at all, and nothing was
    /// deselected either.
    pub collected_nothing: bool,
    /// The tests that were selected but never reported: the run stopped
    /// before them (`pytest -x`, `pytest.exit`). Known only from the witness.
    pub never_ran: Vec<String>,
    /// The witness loaded, but the run ended before it could say what it
    /// saw (`exit!`, a crash) (D37).
    pub cut_short: bool,
}

/// What the runner's own listing proved per test (D37): beside pytest's
/// witness, the per-test proof of the other runners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ListingFact {
    /// The runner lists nothing: its targets are checked per file (pytest's
    /// witness checks per test on its own).
    #[default]
    PerFile,
    /// `tool` listed `listed` tests, and `unreported` of them have no
    /// result in any attempt.
    Listed {
        /// The listing (`go test -list`).
        tool: &'static str,
        /// How many tests it listed.
        listed: usize,
        /// The listed tests without a result, in listing order.
        unreported: Vec<String>,
    },
    /// `tool` could not list the tests, so nothing proves which ran.
    Failed {
        /// The listing.
        tool: &'static str,
        /// Why.
        error: AttemptError,
    },
}

/// Why the loop stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// Nothing failed (or only muted tests, with muted retries off).
    NothingToRetry,
    /// The retries are used up.
    RetriesExhausted,
    /// The run is in the error state (9.3).
    RunError,
    /// The attempt's results were not read or could not be, so its failures are unknown.
    ResultsUnavailable,
    /// A signal ended an attempt or arrived between attempts (D15).
    Signal,
    /// An attempt ran past its deadline (D48): a hung run is not retried.
    TimedOut,
    /// The command could not be started.
    StartFailed,
}

/// How the whole run went.
#[derive(Debug)]
pub(crate) struct RunOutcome {
    /// Every recorded test.
    pub record: RunResult,
    /// The last attempt's exit (a signal that arrived after it counts as
    /// having ended it, D15).
    pub last_exit: AttemptExit,
    /// How many attempts ran.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "asserted by the loop's tests; not reported yet")
    )]
    pub attempts: u32,
    /// Why the loop stopped.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "asserted by the loop's tests; not reported yet")
    )]
    pub stop: StopReason,
    /// Every attempt's facts, in order.
    pub history: Vec<AttemptFacts>,
    /// The assigned targets that no attempt produced a result for, in plan order.
    pub silent_targets: Vec<String>,
    /// Whether the silent targets provably hold no tests (helper modules,
    /// modules skipped as a whole): by the witness, or else by asking the
    /// runner to collect them. Only established when it decides the verdict
    /// (a last status of 0, or of 1 with only muted failures).
    pub silent_targets_quiet: bool,
    /// What the runner's listing proved per test (D37).
    pub listing: ListingFact,
    /// Whether a witness inside the runner (pytest's plugin, RSpec's
    /// witness) saw the first attempt (D23, D37).
    pub witnessed: bool,
    /// How flaky tests count (D47).
    pub flaky_result: FlakyResult,
    /// What the last attempt left, when bktec ended it (D48).
    pub interrupted: Option<Interrupted>,
    /// What the first attempt measured beyond its tests' durations (D52);
    /// `None` when its results were not read.
    pub timing: Option<JobTiming>,
}

/// What an attempt that bktec ended, on a cancel or at its deadline, left
/// behind (D48): the report names what passed, what failed and what was
/// still running.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Interrupted {
    /// Which attempt (0 is the first run).
    pub attempt: u32,
    /// How many tests passed in it.
    pub passed: usize,
    /// The tests that failed in it.
    pub failed: Vec<String>,
    /// The tests that were running when it ended, when the runner's
    /// witness saw them start (pytest).
    pub running: Option<Vec<String>>,
    /// The attempt's targets that had no result when it ended.
    pub unfinished: Vec<String>,
}

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
    /// Every test passed, but these many only on a retry, and flaky tests
    /// fail the run (`retry.flaky-result = "fail"`, D47): 1.
    FlakyFailed {
        /// How many tests were flaky.
        flaky: usize,
    },
    /// The test command was killed by, or cancelled with, this signal (D15).
    Signal(i32),
    /// An attempt ran past `runner.attempt-timeout` and was ended (D48): 124.
    TimedOut(std::time::Duration),
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
    /// Tests the runner listed before the first attempt have no result in
    /// any attempt: a filter hid them, or the run stopped before them (D37).
    Unreported {
        /// The listing (`go test -list`).
        tool: &'static str,
        /// The tests.
        tests: Vec<String>,
    },
    /// The runner's listing failed, so nothing proves which tests ran (D37).
    NotListed {
        /// The listing.
        tool: &'static str,
        /// Why.
        reason: String,
    },
    /// The witness loaded, but the attempt ended before it could say what
    /// ran (D37).
    CutShort {
        /// Which attempt.
        attempt: u32,
    },
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
            Verdict::FlakyFailed { flaky: _ } => exit_code::FLAKY_FAILED,
            Verdict::TimedOut(_) => exit_code::TIMED_OUT,
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
