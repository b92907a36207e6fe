//! The Markdown of Buildkite annotations (issue 13, item 3; D47): this
//! job's hard failures, and apart from them its flaky tests, each with its
//! name and the first lines of its failure. Every parallel job of a step
//! appends its part to the step's context, so each part says which job it
//! is, under the step's label.

use std::fmt::Write;

use super::verdict::count;
use crate::results::{Outcome, RunResult, TestResult};

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

/// The annotation context of a step's flaky tests (D47): apart from its
/// failures, so that each keeps its own style.
pub(crate) fn flaky_annotation_context(step_id: &str) -> String {
    format!("{}-flaky", annotation_context(step_id))
}

/// Who the annotation speaks for: the step's label (`BUILDKITE_LABEL`)
/// when it has one, else the runner's name, and how tests are named.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AnnotationTitle<'a> {
    /// The step's label, or the runner's name.
    pub(crate) label: &'a str,
    /// Whether tests are named by node id (pytest).
    pub(crate) node_ids: bool,
    /// This job (0-based) and the step's number of jobs.
    pub(crate) job: (u32, u32),
}

/// This job's part of the annotation, or `None` when no hard failure remains.
pub(crate) fn annotation_markdown(
    record: &RunResult,
    title: AnnotationTitle<'_>,
) -> Option<String> {
    let mut failed = record.unresolved();
    if failed.is_empty() {
        return None;
    }
    failed.sort_by(|a, b| a.path.cmp(&b.path));
    let heading = format!(
        "{} failed after retries",
        count(failed.len(), "test", "tests")
    );
    let entries = failed
        .iter()
        .map(|t| (test_name(t, title.node_ids), failure_lines(t)))
        .collect();
    Some(part(title, &heading, entries))
}

/// This job's part of the flaky tests' annotation (D47): each test that
/// failed, then passed on a retry, with its first failure; `None` when
/// there is none. `fail` says that flaky tests failed the run.
pub(crate) fn flaky_annotation_markdown(
    record: &RunResult,
    title: AnnotationTitle<'_>,
    fail: bool,
) -> Option<String> {
    let mut flaky: Vec<_> = record
        .histories()
        .filter(|h| !h.muted && h.last.outcome == Outcome::Passed)
        .filter_map(|h| {
            let first = h.earlier.iter().find(|t| t.outcome == Outcome::Failed)?;
            Some((test_name(h.last, title.node_ids), failure_lines(first)))
        })
        .collect();
    if flaky.is_empty() {
        return None;
    }
    flaky.sort();
    let verdict = if fail {
        "which fails the run"
    } else {
        "passed on a retry"
    };
    let heading = format!("{} flaky ({verdict})", count(flaky.len(), "test", "tests"));
    Some(part(title, &heading, flaky))
}

fn test_name(test: &TestResult, node_ids: bool) -> String {
    if node_ids {
        test.path.clone()
    } else {
        test.display_name()
    }
}

/// One job's part: a heading, then each test with the lines of its
/// failure, cut to a size Buildkite takes.
fn part(title: AnnotationTitle<'_>, heading: &str, entries: Vec<(String, Vec<String>)>) -> String {
    let (job, jobs) = title.job;
    let mut out = format!(
        "**{}, job {} of {jobs}: {heading}**\n\n",
        plain_markdown(title.label),
        job + 1
    );
    let mut named = 0;
    for (name, lines) in entries.iter().take(NAMED) {
        if out.len() > PART_BYTES {
            break;
        }
        named += 1;
        let _ = write!(
            out,
            "<details>\n<summary><code>{}</code></summary>\n\n",
            html_escape(name)
        );
        if lines.is_empty() {
            out.push_str("No failure message was recorded.\n");
        } else {
            // A fence longer than any run of backticks in the text.
            let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = writeln!(out, "{fence}");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}");
        }
        out.push_str("\n</details>\n");
    }
    if entries.len() > named {
        let _ = writeln!(
            out,
            "\n… and {} more; the job's log lists them all.",
            entries.len() - named
        );
    }
    out.push('\n');
    out
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

/// `text` as Markdown shows it, word for word: HTML and the characters
/// of emphasis, code and links escaped (a step label is the user's, and
/// `:emoji:` stays as Buildkite renders it).
fn plain_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in html_escape(text).chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Failure;

    fn title(job: u32, jobs: u32) -> AnnotationTitle<'static> {
        AnnotationTitle {
            label: "pytest",
            node_ids: true,
            job: (job, jobs),
        }
    }

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
    fn a_step_label_is_shown_word_for_word() {
        assert_eq!(
            plain_markdown(":pytest: Unit <b>*fast*</b> `x` [y](z)"),
            ":pytest: Unit &lt;b&gt;\\*fast\\*&lt;/b&gt; \\`x\\` \\[y\\](z)"
        );
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
        insta::assert_snapshot!(annotation_markdown(&record, title(2, 4)).unwrap());
    }

    #[test]
    fn many_failures_are_cut_and_no_failure_means_no_annotation() {
        let mut record = RunResult::new([]);
        record.record(vec![t("a.py::test_ok", Outcome::Passed, "", "")]);
        assert_eq!(annotation_markdown(&record, title(0, 1)), None);
        record.record(
            (0..13)
                .map(|i| t(&format!("a.py::test_{i:02}"), Outcome::Failed, "boom", ""))
                .collect(),
        );
        let text = annotation_markdown(&record, title(0, 1)).unwrap();
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
        let text = annotation_markdown(&record, title(0, 1)).unwrap();
        assert!(text.len() < PART_BYTES + 8 * 1024, "{} bytes", text.len());
        assert!(
            text.contains("… (4999600 more characters)"),
            "the cut is said"
        );
        assert!(text.contains("more; the job's log lists them all."));
    }
}
