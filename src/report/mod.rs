//! The end-of-run report (behaviour document 10.1, 10.2; lists sorted, D19).

mod events;
mod human;
mod verdict;

use std::fmt::Write;

use crate::execute::{RetryData, Verdict};
use crate::plan::TestCase;
use crate::results::{RunResult, RunStatus, Statistics, TestResult};

pub(crate) use events::{PlanOrigin, RunEvent};
pub(crate) use human::Reporter;
pub(crate) use verdict::render_verdict;

/// The header printed before each attempt (9.1).
pub(crate) fn attempt_header(retry: RetryData) -> String {
    if retry.attempt == 0 {
        "+++ Buildkite Test Engine Client: Running tests\n".to_string()
    } else {
        format!(
            "+++ Buildkite Test Engine Client: ♻️ Attempt {} of {} to retry failing tests\n",
            retry.attempt, retry.max_retries
        )
    }
}

/// The report, or `None` when the run's status is unknown (10.1). Its
/// headline follows the verdict, so it never calls a run passed that exits
/// non-zero (D23).
pub(crate) fn render_report(
    record: &RunResult,
    skipped_by_test_engine: &[TestCase],
    runner_name: &str,
    verdict: &Verdict,
) -> Option<String> {
    let overruled = match verdict {
        Verdict::Unproven(_) => Some("🚨 The tests did not prove success."),
        Verdict::Failed { refused, .. } if !refused.is_empty() => {
            Some("❌ Only muted tests failed, but the run cannot be passed.")
        }
        Verdict::Passed { .. }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Signal(_)
        | Verdict::StartFailed(_) => None,
    };
    let status = match (record.status(), overruled) {
        (RunStatus::Unknown, _) => return None,
        (_, Some(headline)) => headline.to_string(),
        (RunStatus::Passed, None) if record.failed_muted().is_empty() => {
            "✅ All tests passed.".to_string()
        }
        (RunStatus::Passed, None) => "✅ Build passed. Some muted tests failed.".to_string(),
        (RunStatus::Failed, None) => "❌ Some tests failed.".to_string(),
        (RunStatus::Error(message), None) => format!("🚨 {message}"),
    };
    let mut out = String::from("+++ ========== Buildkite Test Engine Report  ==========\n");
    out.push_str(&status);
    out.push('\n');
    let stats = record.statistics();
    if stats.total > 0 {
        out.push('\n');
        out.push_str(&statistics_table(&stats));
    }
    let muted: Vec<String> = record
        .muted()
        .iter()
        .map(|t| format!("{} ({})", label(t), t.outcome.as_str()))
        .collect();
    list(&mut out, "+++ Muted Tests:", muted);
    list(
        &mut out,
        "+++ Failed Tests:",
        record.unresolved().iter().map(|t| label(t)).collect(),
    );
    list(
        &mut out,
        &format!("+++ Skipped by {runner_name}:"),
        record.skipped().iter().map(|t| label(t)).collect(),
    );
    list(
        &mut out,
        "+++ Skipped by Test Engine:",
        skipped_by_test_engine
            .iter()
            .map(|t| format!("{} {}", t.scope, t.name))
            .collect(),
    );
    out.push_str(&"=".repeat(51));
    out.push('\n');
    Some(out)
}

fn label(t: &TestResult) -> String {
    format!("{} {}", t.scope, t.name)
}

fn list(out: &mut String, heading: &str, mut items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    items.sort();
    let _ = write!(out, "\n{heading}\n");
    for item in items {
        let _ = writeln!(out, "- {item}");
    }
}

/// The bordered statistics table, with repeated first-column labels merged.
fn statistics_table(s: &Statistics) -> String {
    let rows: [(&str, &str, usize); 6] = [
        ("Passed", "first run", s.passed_on_first_run),
        ("", "on retry", s.passed_on_retry),
        ("Muted", "passed", s.muted_passed),
        ("", "failed", s.muted_failed),
        ("Failed", "", s.failed),
        ("Skipped", "", s.skipped),
    ];
    let total = s.total.to_string();
    let w0 = "Skipped".len();
    let w1 = "first run".len();
    let w2 = rows
        .iter()
        .map(|r| r.2.to_string().len())
        .chain([total.len()])
        .max()
        .unwrap_or(1);
    let border = format!(
        "+-{}-+-{}-+-{}-+\n",
        "-".repeat(w0),
        "-".repeat(w1),
        "-".repeat(w2)
    );
    let mut out = border.clone();
    for (i, (a, b, n)) in rows.iter().enumerate() {
        if i > 0 && !a.is_empty() {
            out.push_str(&border);
        }
        let _ = writeln!(out, "| {a:w0$} | {b:w1$} | {n:>w2$} |");
    }
    out.push_str(&border);
    let _ = writeln!(out, "| {:w0$} | {:w1$} | {total:>w2$} |", "Total", "");
    out.push_str(&border);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Outcome;

    fn t(scope: &str, name: &str, outcome: Outcome) -> TestResult {
        TestResult {
            scope: scope.into(),
            name: name.into(),
            path: format!("{scope}::{name}"),
            identifier: String::new(),
            outcome,
            duration: None,
        }
    }

    #[test]
    fn report_lists_are_sorted_and_complete() {
        let mut record = RunResult::new([("m.py", "test_muted")]);
        record.record(vec![
            t("z.py", "test_fail", Outcome::Failed),
            t("a.py", "test_fail", Outcome::Failed),
            t("a.py", "test_ok", Outcome::Passed),
            t("s.py", "test_skip", Outcome::Skipped),
            t("m.py", "test_muted", Outcome::Failed),
        ]);
        let skipped = vec![TestCase {
            scope: "te.py".into(),
            name: "test_old".into(),
            ..TestCase::default()
        }];
        let report = render_report(
            &record,
            &skipped,
            "pytest",
            &Verdict::Failed {
                status: 1,
                code: 1,
                refused: Vec::new(),
            },
        )
        .unwrap();
        let want = "\
+++ ========== Buildkite Test Engine Report  ==========
❌ Some tests failed.

+---------+-----------+---+
| Passed  | first run | 1 |
|         | on retry  | 0 |
+---------+-----------+---+
| Muted   | passed    | 0 |
|         | failed    | 1 |
+---------+-----------+---+
| Failed  |           | 2 |
+---------+-----------+---+
| Skipped |           | 1 |
+---------+-----------+---+
| Total   |           | 5 |
+---------+-----------+---+

+++ Muted Tests:
- m.py test_muted (failed)

+++ Failed Tests:
- a.py test_fail
- z.py test_fail

+++ Skipped by pytest:
- s.py test_skip

+++ Skipped by Test Engine:
- te.py test_old
===================================================
";
        assert_eq!(report, want);
    }

    #[test]
    fn unknown_status_has_no_report() {
        assert_eq!(
            render_report(
                &RunResult::new([]),
                &[],
                "pytest",
                &Verdict::Passed { muted_failures: 0 }
            ),
            None
        );
    }

    #[test]
    fn headers() {
        assert_eq!(
            attempt_header(RetryData {
                attempt: 2,
                max_retries: 3
            }),
            "+++ Buildkite Test Engine Client: ♻️ Attempt 2 of 3 to retry failing tests\n"
        );
    }
}
