//! Recording results across attempts (behaviour document 8.4) and the
//! statistics of 10.2.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{Outcome, TestResult};

/// A test as recorded across attempts.
#[derive(Clone, Debug)]
struct Recorded {
    result: TestResult,
    /// The results of the attempts before the latest, oldest first.
    earlier: Vec<TestResult>,
    executions: u32,
    muted: bool,
    /// Whether any attempt recorded it as failed (D23 (b): only a later
    /// pass settles a failure; a later skip does not).
    ever_failed: bool,
}

/// One test across the attempts of a run.
#[derive(Clone, Copy, Debug)]
pub struct TestHistory<'a> {
    /// The latest result: the test's final outcome.
    pub last: &'a TestResult,
    /// The results of the attempts before, oldest first.
    pub earlier: &'a [TestResult],
    /// Whether Test Engine muted it.
    pub muted: bool,
}

/// The overall status of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Everything passed, was skipped, or failed while muted.
    Passed,
    /// At least one unmuted test failed.
    Failed,
    /// A run-level error (such as a collection error).
    Error(String),
    /// No tests were recorded, or some had an unknown status.
    Unknown,
}

/// The statistics of 10.2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    /// Recorded tests.
    pub total: usize,
    /// Not muted, passed the first time.
    pub passed_on_first_run: usize,
    /// Not muted, passed after a retry.
    pub passed_on_retry: usize,
    /// Muted and passed.
    pub muted_passed: usize,
    /// Muted and failed.
    pub muted_failed: usize,
    /// Not muted and failed.
    pub failed: usize,
    /// Not muted and skipped.
    pub skipped: usize,
}

/// Every test recorded so far, in first-seen order.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    tests: Vec<Recorded>,
    index: HashMap<String, usize>,
    muted: HashSet<String>,
    error: Option<String>,
}

impl RunResult {
    /// A record whose muted tests are `muted` (scope and name pairs).
    pub fn new<'a>(muted: impl IntoIterator<Item = (&'a str, &'a str)>) -> RunResult {
        RunResult {
            muted: muted
                .into_iter()
                .map(|(scope, name)| format!("{scope}/{name}"))
                .collect(),
            ..RunResult::default()
        }
    }

    /// Records an attempt's results: a known test is overwritten and its
    /// execution count goes up; a new one is added. Two results of one
    /// attempt under one name (Jest tests that share a full name, a
    /// `test.each` row) are one test whose worst outcome counts: a failure
    /// followed by a pass in the same attempt is a failure, never a flake.
    pub fn record(&mut self, results: Vec<TestResult>) {
        let mut this_attempt: Vec<TestResult> = Vec::with_capacity(results.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for result in results {
            let key = format!("{}/{}/{}", result.scope, result.name, result.path);
            match seen.get(&key) {
                Some(&i) => {
                    let kept = &mut this_attempt[i];
                    if severity(&result.outcome) > severity(&kept.outcome) {
                        *kept = result;
                    }
                }
                None => {
                    seen.insert(key, this_attempt.len());
                    this_attempt.push(result);
                }
            }
        }
        for result in this_attempt {
            let key = format!("{}/{}/{}", result.scope, result.name, result.path);
            match self.index.get(&key) {
                Some(&i) => {
                    let entry = &mut self.tests[i];
                    entry.ever_failed |= result.outcome == Outcome::Failed;
                    let previous = std::mem::replace(&mut entry.result, result);
                    entry.earlier.push(previous);
                    entry.executions += 1;
                }
                None => {
                    let muted = self
                        .muted
                        .contains(&format!("{}/{}", result.scope, result.name));
                    self.index.insert(key, self.tests.len());
                    self.tests.push(Recorded {
                        ever_failed: result.outcome == Outcome::Failed,
                        result,
                        earlier: Vec::new(),
                        executions: 1,
                        muted,
                    });
                }
            }
        }
    }

    /// Puts the run into the error state; the last error wins.
    pub fn set_error(&mut self, message: String) {
        self.error = Some(message);
    }

    /// The run-level error, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The run's status.
    pub fn status(&self) -> RunStatus {
        if let Some(error) = &self.error {
            return RunStatus::Error(error.clone());
        }
        if self.tests.is_empty() {
            return RunStatus::Unknown;
        }
        if !self.unresolved().is_empty() {
            return RunStatus::Failed;
        }
        let settled = self
            .tests
            .iter()
            .filter(|t| match t.result.outcome {
                Outcome::Passed | Outcome::Skipped | Outcome::ExpectedFailure => true,
                Outcome::Failed => t.muted,
                Outcome::Other(_) => false,
            })
            .count();
        if settled == self.tests.len() {
            RunStatus::Passed
        } else {
            RunStatus::Unknown
        }
    }

    fn select(&self, pick: impl Fn(&Recorded) -> bool) -> Vec<&TestResult> {
        self.tests
            .iter()
            .filter(|t| pick(t))
            .map(|t| &t.result)
            .collect()
    }

    /// Every recorded test, with its latest result, in first-seen order.
    pub fn results(&self) -> impl Iterator<Item = &TestResult> {
        self.tests.iter().map(|t| &t.result)
    }

    /// Every recorded test with its earlier attempts, in first-seen order.
    pub fn histories(&self) -> impl Iterator<Item = TestHistory<'_>> {
        self.tests.iter().map(|t| TestHistory {
            last: &t.result,
            earlier: &t.earlier,
            muted: t.muted,
        })
    }

    /// Whether any test ran: passed or failed (skips do not count).
    pub fn any_ran(&self) -> bool {
        self.tests
            .iter()
            .any(|t| matches!(t.result.outcome, Outcome::Passed | Outcome::Failed))
    }

    /// Failed tests that are not muted.
    pub fn failed(&self) -> Vec<&TestResult> {
        self.select(|t| t.result.outcome == Outcome::Failed && !t.muted)
    }

    /// Tests that are not muted, failed in some attempt and did not pass in a
    /// later one (D23 (b)): failed last, or failed and then were skipped.
    pub fn unresolved(&self) -> Vec<&TestResult> {
        self.select(|t| !t.muted && t.ever_failed && t.result.outcome != Outcome::Passed)
    }

    /// Tests that are not muted, failed in some attempt and passed in a
    /// later one: flaky.
    pub fn flaky(&self) -> Vec<&TestResult> {
        self.select(|t| !t.muted && t.ever_failed && t.result.outcome == Outcome::Passed)
    }

    /// Failed tests that are muted.
    pub fn failed_muted(&self) -> Vec<&TestResult> {
        self.select(|t| t.result.outcome == Outcome::Failed && t.muted)
    }

    /// Skipped tests, muted or not.
    pub fn skipped(&self) -> Vec<&TestResult> {
        self.select(|t| t.result.outcome == Outcome::Skipped)
    }

    /// Tests that failed as they were marked to (pytest's `xfail`).
    pub fn expected_failures(&self) -> Vec<&TestResult> {
        self.select(|t| t.result.outcome == Outcome::ExpectedFailure)
    }

    /// Muted tests, whatever their outcome.
    pub fn muted(&self) -> Vec<&TestResult> {
        self.select(|t| t.muted)
    }

    /// Whether the only failures are muted ones (9.5).
    pub fn only_muted_failures(&self) -> bool {
        matches!(self.status(), RunStatus::Passed | RunStatus::Failed)
            && self.unresolved().is_empty()
            && self
                .tests
                .iter()
                .any(|t| t.result.outcome == Outcome::Failed)
            && self
                .tests
                .iter()
                .filter(|t| t.result.outcome == Outcome::Failed)
                .all(|t| t.muted)
    }

    /// The statistics of 10.2.
    pub fn statistics(&self) -> Statistics {
        let mut s = Statistics {
            total: self.tests.len(),
            ..Statistics::default()
        };
        for t in &self.tests {
            match (&t.result.outcome, t.muted) {
                (Outcome::Passed, false) if t.executions == 1 => s.passed_on_first_run += 1,
                (Outcome::Passed, false) => s.passed_on_retry += 1,
                (Outcome::Passed, true) => s.muted_passed += 1,
                (Outcome::Failed, true) => s.muted_failed += 1,
                (Outcome::Failed, false) => s.failed += 1,
                // Test Engine's statistics have no count of expected
                // failures: the collector reports them as skipped.
                (Outcome::Skipped | Outcome::ExpectedFailure, false) => s.skipped += 1,
                (Outcome::Skipped | Outcome::ExpectedFailure, true) | (Outcome::Other(_), _) => {}
            }
        }
        s
    }
}

/// How bad an outcome is, for two results of one test in one attempt.
fn severity(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Passed => 0,
        Outcome::Skipped | Outcome::ExpectedFailure => 1,
        Outcome::Other(_) => 2,
        Outcome::Failed => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_attempt_s_results_under_one_name_keep_the_worst() {
        let result = |outcome| TestResult {
            location: None,
            scope: "a.test.js".into(),
            name: "adds".into(),
            path: "a.test.js::adds".into(),
            identifier: String::new(),
            outcome,
            duration: None,
            failure: None,
            output: None,
        };
        let mut run = RunResult::new([]);
        run.record(vec![result(Outcome::Failed), result(Outcome::Passed)]);
        assert_eq!(run.failed().len(), 1);
        assert!(run.flaky().is_empty(), "not a flake: one attempt");
    }

    fn t(name: &str, outcome: Outcome) -> TestResult {
        TestResult {
            location: None,
            scope: "f.py".into(),
            name: name.into(),
            path: format!("f.py::{name}"),
            identifier: String::new(),
            outcome,
            duration: None,
            failure: None,
            output: None,
        }
    }

    #[test]
    fn a_retry_that_passes_overwrites_the_failure() {
        let mut r = RunResult::new([]);
        r.record(vec![t("a", Outcome::Passed), t("b", Outcome::Failed)]);
        assert_eq!(r.status(), RunStatus::Failed);
        r.record(vec![t("b", Outcome::Passed)]);
        assert_eq!(r.status(), RunStatus::Passed);
        let flaky: Vec<&str> = r.flaky().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(flaky, ["b"]);
        let s = r.statistics();
        assert_eq!(
            (s.total, s.passed_on_first_run, s.passed_on_retry),
            (2, 1, 1)
        );
    }

    #[test]
    fn muted_failures_do_not_fail_the_run() {
        let mut r = RunResult::new([("f.py", "m")]);
        r.record(vec![t("a", Outcome::Passed), t("m", Outcome::Failed)]);
        assert_eq!(r.status(), RunStatus::Passed);
        assert!(r.only_muted_failures());
        assert_eq!(r.failed_muted().len(), 1);
        assert_eq!(r.statistics().muted_failed, 1);
    }

    #[test]
    fn a_failure_then_a_skip_stays_unresolved() {
        // D23 (b): a failure is settled only by a later pass.
        let mut r = RunResult::new([]);
        r.record(vec![t("a", Outcome::Failed)]);
        r.record(vec![t("a", Outcome::Skipped)]);
        assert!(r.failed().is_empty(), "nothing left to retry");
        assert_eq!(r.unresolved().len(), 1);
        assert_eq!(r.status(), RunStatus::Failed);
        assert!(!r.only_muted_failures());
        r.record(vec![t("a", Outcome::Passed)]);
        assert!(r.unresolved().is_empty());
    }

    #[test]
    fn unknown_outcomes_and_errors() {
        let mut r = RunResult::new([]);
        assert_eq!(r.status(), RunStatus::Unknown);
        r.record(vec![t("a", Outcome::Other("xfail".into()))]);
        assert_eq!(r.status(), RunStatus::Unknown);
        r.set_error("boom".into());
        assert_eq!(r.status(), RunStatus::Error("boom".into()));
        assert!(!r.only_muted_failures());
    }
}
