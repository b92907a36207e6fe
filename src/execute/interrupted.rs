//! What an attempt that bktec ended left behind (D48): the report's
//! account of it, and, at a deadline, the tests the attempt was seen to
//! run, recorded so that the report, the merged JUnit and the annotation
//! name them although the runner wrote no result file.

use std::time::Duration;

use crate::events::Interrupted;
use crate::results::{
    Failure, Outcome, PathOffset, Progress, RunResult, TestResult, split_node_id, uncovered,
};

/// What an ended attempt left, and where it is known from.
pub(super) struct Left<'a> {
    /// Which attempt (0 is the first run).
    pub(super) attempt: u32,
    /// What the witness saw start and end (pytest).
    pub(super) progress: Option<&'a Progress>,
    /// What the results show still running (a cut `go test -json` stream).
    pub(super) stream_running: &'a [String],
    /// The attempt's targets.
    pub(super) to_run: &'a [String],
    /// How the witness's node ids map to targets.
    pub(super) offset: &'a PathOffset,
}

impl Left<'_> {
    /// The report's account: from what the witness saw as it happened
    /// when it loaded (a cancelled pytest writes no result file), else
    /// from the results read.
    pub(super) fn interrupted(&self, record: &RunResult) -> Interrupted {
        let (passed, failed, running, ended) = match self.progress {
            Some(p) => {
                let ended: Vec<String> = p.passed.iter().chain(&p.failed).cloned().collect();
                (
                    p.passed.len(),
                    p.failed.clone(),
                    Some(p.running.clone()),
                    ended,
                )
            }
            None => {
                let mut failed: Vec<String> = record.unresolved().iter().map(|t| name(t)).collect();
                failed.dedup();
                let passed = record.results().filter(|t| t.outcome == Outcome::Passed);
                (
                    passed.count(),
                    failed,
                    (!self.stream_running.is_empty()).then(|| self.stream_running.to_vec()),
                    record.results().map(|t| t.path.clone()).collect(),
                )
            }
        };
        let seen = ended
            .iter()
            .chain(running.iter().flatten())
            .map(String::as_str)
            .chain(record.results().map(|t| t.path.as_str()));
        let unfinished = uncovered(self.to_run, seen, self.offset)
            .into_iter()
            .map(String::from)
            .collect();
        Interrupted {
            attempt: self.attempt,
            passed,
            failed,
            running,
            unfinished,
        }
    }

    /// At a deadline, records what the attempt was seen to do that its
    /// results do not hold: the tests the witness saw pass or fail (pytest
    /// writes no result file when it is ended), and the tests still running
    /// as failed, so that the report, the merged JUnit and the annotation
    /// name them.
    pub(super) fn record_seen(&self, record: &mut RunResult, after: Duration) {
        let known: std::collections::HashSet<String> =
            record.results().map(|t| t.path.clone()).collect();
        let mut seen = Vec::new();
        if let Some(p) = self.progress {
            let unwritten = "the attempt was ended before pytest wrote this failure";
            for (id, outcome, why) in p.passed.iter().map(|id| (id, Outcome::Passed, None)).chain(
                p.failed
                    .iter()
                    .map(|id| (id, Outcome::Failed, Some(unwritten))),
            ) {
                if !known.contains(id) {
                    seen.push(node(id, outcome, why.map(str::to_string)));
                }
            }
            for id in p.running.iter().filter(|id| !known.contains(*id)) {
                seen.push(node(id, Outcome::Failed, Some(still_running(after))));
            }
        }
        for entry in self.stream_running {
            let (package, test) = entry.split_once(' ').unwrap_or((entry, ""));
            seen.push(TestResult {
                scope: package.to_string(),
                name: test.to_string(),
                path: package.to_string(),
                ..node(entry, Outcome::Failed, Some(still_running(after)))
            });
        }
        if !seen.is_empty() {
            record.record(seen);
        }
    }
}

/// How a test is named in the account: by node id where it has one
/// (pytest), else as people read it.
fn name(test: &TestResult) -> String {
    if test.path.contains("::") {
        test.path.clone()
    } else {
        test.display_name()
    }
}

fn still_running(after: Duration) -> String {
    format!("still running when the attempt was ended at runner.attempt-timeout ({after:?})")
}

/// A result for pytest node id `id`.
fn node(id: &str, outcome: Outcome, why: Option<String>) -> TestResult {
    let (scope, name) = split_node_id(id);
    TestResult {
        scope: scope.to_string(),
        name: name.to_string(),
        path: id.to_string(),
        identifier: String::new(),
        failure: why.map(Failure::from_details),
        outcome,
        duration: None,
        output: None,
        location: None,
    }
}
