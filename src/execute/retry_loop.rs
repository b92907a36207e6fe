//! The retry loop and the final exit status (behaviour document 9).

use std::collections::BTreeMap;

use super::evidence::{apply_witness, silent_targets_quiet};
use super::interrupted::Left;
use super::listing::{Roster, list_first, listing_fact};
use super::timing::first_timing;
use crate::config::FlakyResult;
pub(crate) use crate::config::resolve::RetryPolicy;
pub(crate) use crate::events::{
    AttemptError, AttemptEvent, AttemptExit, AttemptFacts, Interrupted, ResultsFact, RetryData,
    RunOutcome, StopReason,
};
use crate::plan::{JobTiming, TestCase};
use crate::results::{Outcome, ParsedResults, PathOffset, Progress, RunResult, Witness, uncovered};
use crate::runner::{Listed, RetryKey, retry_by_path};

/// What became of an attempt's result file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttemptResults {
    /// It was read.
    Parsed(ParsedResults),
    /// The runner writes no result file, so only the exit status counts.
    NoResultFile,
    /// The exit status says the file is not to be read.
    NotRead,
    /// It was missing or malformed.
    Unreadable(AttemptError),
}

/// One finished attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptReport {
    /// How the process ended.
    pub exit: AttemptExit,
    /// Its results.
    pub results: AttemptResults,
    /// A run-level error implied by the exit code (pytest's status 2 in JSON mode).
    pub run_error: Option<String>,
    /// The runner said it collected no tests at all (pytest's status 5).
    pub collected_nothing: bool,
    /// What bktec's witness plugin saw, when it loaded (D23).
    pub witness: Option<Witness>,
    /// Which tests the witness saw start and end (D48).
    pub progress: Option<Progress>,
}

/// Runs one attempt.
pub(crate) trait AttemptRunner {
    /// Runs `tests` as attempt `retry.attempt`, sending events to `events`.
    fn run_attempt(
        &mut self,
        tests: &[String],
        retry: RetryData,
        events: &mut dyn FnMut(AttemptEvent),
    ) -> impl Future<Output = AttemptReport>;

    /// A SIGINT or SIGTERM received between attempts, if any.
    fn cancelled(&mut self) -> Option<i32>;

    /// Whether the runner proves that `targets` hold no tests at all (pytest
    /// collects nothing from them). Asked only when the answer decides the
    /// verdict and the witness cannot tell (D23); `false` when it cannot
    /// tell either.
    fn hold_no_tests(&mut self, targets: &[String]) -> impl Future<Output = bool>;

    /// The tests `targets` hold, listed by the runner's own tool before
    /// the first attempt (D37); `None` for a runner without a listing.
    fn list_tests(&mut self, _targets: &[String]) -> impl Future<Output = Option<Listed>> {
        std::future::ready(None)
    }

    /// What a retry runs for a failed test, and what a retry's result
    /// answers for; the result path unless the runner says otherwise (D46).
    fn retry_key(&self) -> RetryKey {
        retry_by_path
    }
}

/// Runs `tests` with retries (9.1) and returns the outcome.
pub(crate) async fn execute(
    tests: &[TestCase],
    muted: &[TestCase],
    policy: RetryPolicy,
    runner: &mut impl AttemptRunner,
    events: &mut dyn FnMut(AttemptEvent),
) -> RunOutcome {
    let targets: Vec<String> = tests.iter().map(|t| t.runnable().to_string()).collect();
    let mut run = Evidence {
        record: RunResult::new(muted.iter().map(|t| (t.scope.as_str(), t.name.as_str()))),
        history: Vec::new(),
        first_witness: None,
        offset: PathOffset::Same,
        roster: list_first(runner, &targets, events).await,
        interrupted: None,
        stream_running: Vec::new(),
        retry_key: runner.retry_key(),
        flaky_result: policy.flaky,
        first_spawned: (std::time::SystemTime::UNIX_EPOCH, std::time::Duration::ZERO),
        timing: None,
    };
    // A signal that ended the listing ends the run before its first attempt.
    if run.roster.is_some()
        && let Some(signal) = runner.cancelled()
    {
        let stop = (0, StopReason::Signal);
        return run
            .outcome(&targets, AttemptExit::Cancelled(signal), stop, runner)
            .await;
    }
    let mut to_run = targets.clone();
    let mut attempt = 0;
    loop {
        let retry = RetryData {
            attempt,
            max_retries: policy.count,
        };
        events(AttemptEvent::Started {
            retry,
            tests: to_run.len(),
        });
        let started = (std::time::SystemTime::now(), std::time::Instant::now());
        let mut report = runner.run_attempt(&to_run, retry, events).await;
        if attempt == 0 {
            run.first_spawned = (started.0, started.1.elapsed());
        }
        let witness = report.witness.take();
        let progress = report.progress.take();
        let results_read = run.record_attempt(attempt, &mut report, witness, &to_run, events);
        run.note_interrupted(attempt, &report.exit, progress.as_ref(), &to_run);
        events(AttemptEvent::Finished {
            retry,
            exit: report.exit.clone(),
        });
        match next_step(
            &report.exit,
            &run.record,
            attempt,
            policy,
            results_read,
            runner,
        ) {
            Step::Retry(next) => {
                to_run = crate::results::as_targets(next, &targets);
                attempt += 1;
            }
            Step::Stop { reason, pending } => {
                let last_exit = pending.map_or(report.exit, AttemptExit::Cancelled);
                return run
                    .outcome(&targets, last_exit, (attempt + 1, reason), runner)
                    .await;
            }
        }
    }
}

/// What the attempts have shown so far.
struct Evidence {
    record: RunResult,
    history: Vec<AttemptFacts>,
    first_witness: Option<Witness>,
    /// How the first witness's node ids map to targets.
    offset: PathOffset,
    /// What the runner listed before the first attempt (D37).
    roster: Option<Roster>,
    /// What the last attempt left, when bktec ended it (D48).
    interrupted: Option<Interrupted>,
    /// The tests the last attempt's results show still running (a
    /// `go test -json` stream cut short, D48).
    stream_running: Vec<String>,
    /// What a retry runs for a failed test (D46).
    retry_key: RetryKey,
    /// How flaky tests count (D47).
    flaky_result: FlakyResult,
    /// When the first attempt started, and how long it took to its
    /// results.
    first_spawned: (std::time::SystemTime, std::time::Duration),
    /// What the first attempt measured beyond its tests (D52).
    timing: Option<JobTiming>,
}

impl Evidence {
    /// When bktec ended attempt `attempt` (it ended with `exit`), what it
    /// left; at a deadline, the tests it was seen to run are recorded too
    /// (D48).
    fn note_interrupted(
        &mut self,
        attempt: u32,
        exit: &AttemptExit,
        progress: Option<&Progress>,
        to_run: &[String],
    ) {
        let left = Left {
            attempt,
            progress,
            stream_running: &self.stream_running,
            to_run,
            offset: &self.offset,
        };
        match exit {
            AttemptExit::Cancelled(_) => self.interrupted = Some(left.interrupted(&self.record)),
            AttemptExit::TimedOut(after) => {
                self.interrupted = Some(left.interrupted(&self.record));
                left.record_seen(&mut self.record, *after);
            }
            AttemptExit::Exited(_) | AttemptExit::Signaled(_) | AttemptExit::StartFailed(_) => {}
        }
    }

    /// Records attempt `attempt`, asked to run `to_run`; returns whether its
    /// results were read.
    fn record_attempt(
        &mut self,
        attempt: u32,
        report: &mut AttemptReport,
        witness: Option<Witness>,
        to_run: &[String],
        events: &mut dyn FnMut(AttemptEvent),
    ) -> bool {
        if attempt == 0
            && let Some(w) = &witness
        {
            self.offset = w.offset();
        }
        let mut results = std::mem::replace(&mut report.results, AttemptResults::NotRead);
        let mut file_costs = BTreeMap::new();
        self.stream_running = match &mut results {
            AttemptResults::Parsed(parsed) => {
                file_costs = std::mem::take(&mut parsed.file_costs);
                std::mem::take(&mut parsed.running)
            }
            AttemptResults::NoResultFile
            | AttemptResults::NotRead
            | AttemptResults::Unreadable(_) => Vec::new(),
        };
        let (results, asked_without_result) = record_results(
            &mut self.record,
            results,
            witness.as_ref(),
            (attempt, to_run, self.retry_key),
            events,
        );
        let results_read = matches!(results, ResultsFact::Read(_));
        self.history.push(attempt_facts(
            attempt,
            (&report.exit, report.collected_nothing),
            results,
            asked_without_result,
            witness.as_ref(),
        ));
        if attempt == 0 {
            // A first attempt that ended in a run error (a collection
            // error) ran no tests to time.
            let timed = results_read && report.run_error.is_none() && self.record.error().is_none();
            self.timing = timed.then(|| {
                first_timing(
                    &self.record,
                    self.first_spawned,
                    witness.as_ref(),
                    file_costs,
                )
            });
            self.first_witness = witness;
        }
        if let Some(error) = report.run_error.take()
            && self.record.error().is_none()
        {
            self.record.set_error(error);
        }
        results_read
    }

    /// The run's outcome, once `attempts` attempts ran and the loop stopped
    /// for `stop`.
    async fn outcome(
        self,
        targets: &[String],
        last_exit: AttemptExit,
        (attempts, stop): (u32, StopReason),
        runner: &mut impl AttemptRunner,
    ) -> RunOutcome {
        // A runner without a result file (Cypress) names no test, so its
        // targets' silence says nothing (D46).
        let silent = if self
            .history
            .iter()
            .all(|f| f.results == ResultsFact::NoResultFile)
        {
            Silent {
                targets: Vec::new(),
            }
        } else {
            Silent::find(targets, &self.record, &self.offset)
        };
        // A first attempt that collected nothing decides on its silence
        // too: its job has no tests only if its targets provably hold none.
        let nothing_collected =
            matches!(self.history.as_slice(), [first] if first.collected_nothing);
        let silent_targets_quiet = silent
            .quiet(
                (&last_exit, nothing_collected),
                &self.record,
                self.first_witness.as_ref(),
                &self.offset,
                runner,
            )
            .await;
        RunOutcome {
            listing: listing_fact(self.roster.as_ref(), &self.record),
            witnessed: self.first_witness.is_some(),
            record: self.record,
            last_exit,
            attempts,
            stop,
            history: self.history,
            silent_targets: silent.targets,
            silent_targets_quiet,
            flaky_result: self.flaky_result,
            interrupted: self.interrupted,
            timing: self.timing,
        }
    }
}

/// The facts of attempt `attempt` that the verdict reads.
fn attempt_facts(
    attempt: u32,
    (exit, collected_nothing): (&AttemptExit, bool),
    results: ResultsFact,
    asked_without_result: Vec<String>,
    witness: Option<&Witness>,
) -> AttemptFacts {
    // Deselected tests are tests: a run that deselected them all did not
    // collect nothing (D23).
    let deselected = witness.is_some_and(Witness::found_tests);
    AttemptFacts {
        attempt,
        exit: exit.clone(),
        results,
        asked_without_result,
        collected_nothing: collected_nothing && !deselected,
        never_ran: witness.map(Witness::never_ran).unwrap_or_default(),
        cut_short: witness.is_some_and(|w| w.cut_short),
    }
}

/// What the loop does after an attempt.
enum Step {
    /// Run these tests again.
    Retry(Vec<String>),
    /// Stop, for this reason; `pending` is a signal that arrived after the
    /// attempt ended, which counts as having ended it (D15).
    Stop {
        reason: StopReason,
        pending: Option<i32>,
    },
}

/// What the loop does after attempt `attempt` ended with `exit`.
fn next_step(
    exit: &AttemptExit,
    record: &RunResult,
    attempt: u32,
    policy: RetryPolicy,
    results_read: bool,
    runner: &mut impl AttemptRunner,
) -> Step {
    if let Some(reason) = stop_after(exit, record, attempt, policy, results_read) {
        return Step::Stop {
            reason,
            pending: None,
        };
    }
    let next = to_retry(record, policy, runner.retry_key());
    if next.is_empty() {
        return Step::Stop {
            reason: StopReason::NothingToRetry,
            pending: None,
        };
    }
    // A SIGINT or SIGTERM that arrived while results were read ends the run
    // before the next attempt, as if it had ended that attempt (D15).
    match runner.cancelled() {
        Some(signal) => Step::Stop {
            reason: StopReason::Signal,
            pending: Some(signal),
        },
        None => Step::Retry(next),
    }
}

/// Records what attempt `attempt`, asked to run `to_run` (named by `key`),
/// wrote in its result file, corrected by its `witness`. Returns what
/// became of the results and, for a retry, the tests it was asked to run
/// that have no result in it.
fn record_results(
    record: &mut RunResult,
    results: AttemptResults,
    witness: Option<&Witness>,
    (attempt, to_run, key): (u32, &[String], RetryKey),
    events: &mut dyn FnMut(AttemptEvent),
) -> (ResultsFact, Vec<String>) {
    let mut parsed = match results {
        AttemptResults::Parsed(parsed) => parsed,
        AttemptResults::NoResultFile => return (ResultsFact::NoResultFile, Vec::new()),
        AttemptResults::NotRead => return (ResultsFact::NotRead, Vec::new()),
        AttemptResults::Unreadable(message) => {
            events(AttemptEvent::ResultsUnreadable {
                message: message.clone(),
            });
            return (ResultsFact::Unreadable(message), Vec::new());
        }
    };
    if let Some(w) = witness {
        apply_witness(&mut parsed.tests, w);
    }
    let mut asked_without_result = Vec::new();
    if attempt > 0 {
        // A retry's skips of tests it was not asked to run say nothing
        // about them: a name filter (Jest's and Vitest's
        // `--testNamePattern`) skips the rest of each file it runs
        // (behaviour document 8.3).
        parsed.tests.retain(|t| {
            t.outcome != Outcome::Skipped || to_run.contains(&t.path) || to_run.contains(&key(t))
        });
        // D23 (c): a retry must answer for every test it was asked to run.
        let keys: Vec<String> = parsed.tests.iter().map(key).collect();
        asked_without_result =
            uncovered(to_run, keys.iter().map(String::as_str), &PathOffset::Same)
                .into_iter()
                .map(String::from)
                .collect();
    }
    let count = parsed.tests.len();
    record.record(parsed.tests);
    if let Some(error) = parsed.run_error {
        record.set_error(error);
    }
    (ResultsFact::Read(count), asked_without_result)
}

/// Why the loop stops after attempt `attempt` ended with `exit`, or `None`
/// when it may retry.
fn stop_after(
    exit: &AttemptExit,
    record: &RunResult,
    attempt: u32,
    policy: RetryPolicy,
    results_read: bool,
) -> Option<StopReason> {
    match exit {
        AttemptExit::Cancelled(_) | AttemptExit::Signaled(_) => Some(StopReason::Signal),
        AttemptExit::TimedOut(_) => Some(StopReason::TimedOut),
        AttemptExit::StartFailed(_) => Some(StopReason::StartFailed),
        AttemptExit::Exited(_) if record.error().is_some() => Some(StopReason::RunError),
        AttemptExit::Exited(_) if attempt == policy.count => Some(StopReason::RetriesExhausted),
        // Without this attempt's results, its failures are unknown, and
        // the exit code alone never triggers a retry (9.3).
        AttemptExit::Exited(_) if !results_read => Some(StopReason::ResultsUnavailable),
        AttemptExit::Exited(_) => None,
    }
}

/// The tests the next attempt runs, each named by `key`: the failed ones,
/// and the failed muted ones when muted tests are retried (D16).
fn to_retry(record: &RunResult, policy: RetryPolicy, key: RetryKey) -> Vec<String> {
    let mut next: Vec<String> = record.failed().into_iter().map(key).collect();
    if policy.retry_muted {
        next.extend(record.failed_muted().into_iter().map(key));
    }
    next
}

/// The assigned targets that no attempt produced a result for.
struct Silent {
    targets: Vec<String>,
}

impl Silent {
    /// The targets of `targets` without a result in `record`.
    fn find(targets: &[String], record: &RunResult, offset: &PathOffset) -> Silent {
        Silent {
            targets: uncovered(targets, record.results().map(|t| t.path.as_str()), offset)
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }

    /// Whether the silent targets provably hold no tests. Established only
    /// when it decides the verdict (a last status of 0, of 1 with only
    /// muted failures, or a first attempt that collected nothing): by the
    /// first attempt's witness, or else by asking the runner to collect them.
    async fn quiet(
        &self,
        (last_exit, nothing_collected): (&AttemptExit, bool),
        record: &RunResult,
        first_witness: Option<&Witness>,
        offset: &PathOffset,
        runner: &mut impl AttemptRunner,
    ) -> bool {
        if self.targets.is_empty() {
            return true;
        }
        let decides = match last_exit {
            AttemptExit::Exited(_) if nothing_collected => true,
            AttemptExit::Exited(0) => true,
            AttemptExit::Exited(1) => record.only_muted_failures(),
            AttemptExit::Exited(_)
            | AttemptExit::Signaled(_)
            | AttemptExit::Cancelled(_)
            | AttemptExit::TimedOut(_)
            | AttemptExit::StartFailed(_) => false,
        };
        if !decides {
            return false;
        }
        match silent_targets_quiet(&self.targets, first_witness, offset) {
            Some(quiet) => quiet,
            None => runner.hold_no_tests(&self.targets).await,
        }
    }
}

#[cfg(test)]
mod tests;
