//! The Markdown of a Buildkite annotation (issue 13, item 3): this job's
//! hard failures, each with its node id and the first lines of its failure.
//! Every parallel job of a step appends its part to the step's one context,
//! so each part says which job it is.

use std::fmt::Write;

use crate::results::{RunResult, TestResult};

/// How many failures a job's part names.
const NAMED: usize = 10;

/// How many lines of each failure are shown.
const LINES: usize = 12;

/// How many characters of a failure's line are shown.
const LINE_CHARS: usize = 400;

/// The most bytes one job's part may hold: Buildkite takes at most 1 MiB
/// for a whole annotation, which every job of a step appends to.
const PART_BYTES: usize = 24 * 1024;

/// The annotation context of a step: one per step, shared by its jobs.
pub(crate) fn annotation_context(step_id: &str) -> String {
    if step_id.is_empty() {
        "bktec".to_string()
    } else {
        format!("bktec-{step_id}")
    }
}

/// This job's part of the annotation, or `None` when no hard failure remains.
pub(crate) fn annotation_markdown(
    record: &RunResult,
    runner_name: &str,
    node_ids: bool,
    job: u32,
    jobs: u32,
) -> Option<String> {
    let mut failed = record.unresolved();
    if failed.is_empty() {
        return None;
    }
    failed.sort_by(|a, b| a.path.cmp(&b.path));
    let name = |t: &TestResult| {
        if node_ids { t.path.clone() } else { t.label() }
    };
    let mut out = format!(
        "**{runner_name}, job {} of {jobs}: {} failed after retries**\n\n",
        job + 1,
        count(failed.len())
    );
    let mut named = 0;
    for test in failed.iter().take(NAMED) {
        if out.len() > PART_BYTES {
            break;
        }
        named += 1;
        let _ = write!(
            out,
            "<details>\n<summary><code>{}</code></summary>\n\n",
            html_escape(&name(test))
        );
        let lines = failure_lines(test);
        if lines.is_empty() {
            out.push_str("No failure message was recorded.\n");
        } else {
            // A fence longer than any run of backticks in the text.
            let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = writeln!(out, "{fence}");
            for line in &lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}");
        }
        out.push_str("\n</details>\n");
    }
    if failed.len() > named {
        let _ = writeln!(
            out,
            "\n… and {} more; the job's log lists them all.",
            failed.len() - named
        );
    }
    out.push('\n');
    Some(out)
}

/// The first lines of a test's failure: its message, then its details.
fn failure_lines(test: &TestResult) -> Vec<String> {
    let Some(failure) = &test.failure else {
        return Vec::new();
    };
    let mut lines: Vec<String> = failure
        .message
        .lines()
        .chain(failure.details.lines())
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.char_indices().nth(LINE_CHARS) {
            Some((cut, _)) => format!(
                "{} … ({} more characters)",
                &l[..cut],
                l[cut..].chars().count()
            ),
            None => l,
        })
        .collect();
    lines.dedup();
    if lines.len() > LINES {
        let more = lines.len() - LINES;
        lines.truncate(LINES);
        lines.push(format!("… {more} more lines"));
    }
    lines
}

fn longest_run(text: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "test" } else { "tests" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Failure, Outcome};

    fn t(path: &str, outcome: Outcome, message: &str, details: &str) -> TestResult {
        let (scope, name) = path.rsplit_once("::").unwrap();
        TestResult {
            location: None,
            scope: scope.into(),
            name: name.into(),
            path: path.into(),
            identifier: String::new(),
            failure: (outcome == Outcome::Failed).then(|| Failure {
                message: message.into(),
                details: details.into(),
                error: false,
            }),
            output: None,
            outcome,
            duration: None,
        }
    }

    #[test]
    fn a_job_s_failures() {
        let mut record = RunResult::new([]);
        let long: String = (0..20).map(|i| format!("line {i}\n")).collect();
        record.record(vec![
            t("tests/test_a.py::test_ok", Outcome::Passed, "", ""),
            t(
                "tests/test_a.py::test_broken[<x>]",
                Outcome::Failed,
                "assert 1 == 2",
                "def test_broken():\n>       assert 1 == 2\nE       assert 1 == 2",
            ),
            t("tests/test_b.py::test_long", Outcome::Failed, "", &long),
            t(
                "tests/test_b.py::test_fenced",
                Outcome::Failed,
                "```code``` in the message",
                "",
            ),
            t("tests/test_c.py::test_silent", Outcome::Failed, "", ""),
        ]);
        insta::assert_snapshot!(annotation_markdown(&record, "pytest", true, 2, 4).unwrap());
    }

    #[test]
    fn many_failures_are_cut_and_no_failure_means_no_annotation() {
        let mut record = RunResult::new([]);
        record.record(vec![t("a.py::test_ok", Outcome::Passed, "", "")]);
        assert_eq!(annotation_markdown(&record, "pytest", true, 0, 1), None);
        record.record(
            (0..13)
                .map(|i| t(&format!("a.py::test_{i:02}"), Outcome::Failed, "boom", ""))
                .collect(),
        );
        let text = annotation_markdown(&record, "pytest", true, 0, 1).unwrap();
        assert!(text.starts_with("**pytest, job 1 of 1: 13 tests failed after retries**"));
        assert!(text.contains("<code>a.py::test_09</code>") && !text.contains("test_10"));
        assert!(
            text.ends_with("\n… and 3 more; the job's log lists them all.\n\n"),
            "{text}"
        );
        assert_eq!(annotation_context("0190-ab"), "bktec-0190-ab");
        assert_eq!(annotation_context(""), "bktec");
    }

    #[test]
    fn a_huge_failure_is_cut_to_a_size_buildkite_takes() {
        let mut record = RunResult::new([]);
        let huge = "x".repeat(5_000_000);
        let lines: String = (0..20)
            .map(|i| format!("{i} {}\n", "y".repeat(3000)))
            .collect();
        record.record(
            (0..10)
                .map(|i| t(&format!("a.py::test_{i}"), Outcome::Failed, &huge, &lines))
                .collect(),
        );
        let text = annotation_markdown(&record, "pytest", true, 0, 1).unwrap();
        assert!(text.len() < PART_BYTES + 8 * 1024, "{} bytes", text.len());
        assert!(
            text.contains("… (4999600 more characters)"),
            "the cut is said"
        );
        assert!(text.contains("more; the job's log lists them all."));
    }
}
