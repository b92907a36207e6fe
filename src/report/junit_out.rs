//! The JUnit XML report merged over all attempts (`--junit-out`, issue 13
//! item 2): each test once, with its final outcome; the failed attempts of a
//! test that then passed as `flakyFailure`, those of a test that still fails
//! as `rerunFailure` (Maven Surefire's convention, which JUnit consumers
//! read), durations, and the output of failures. A test that passed on retry
//! is therefore not a failure here, as it is in the test command's own file
//! for the attempt in which it failed.

use std::fmt::Write;
use std::time::Duration;

use crate::results::{Failure, Outcome, RunResult, TestHistory, TestResult};

/// The merged report of `record` as JUnit XML, one suite named after the
/// runner. With `node_ids` (pytest), each test's `classname` and `name` are
/// pytest's own JUnit spelling of its node id, so that a reader (bktec's
/// own parser among them) gets the node id back.
///
/// The XML is written here rather than by a JUnit library, to keep the
/// rules of the strict readers (D44): Maven Surefire's 3.0 schema for each
/// `<testsuite>` (required `type` on failures and on the Surefire rerun
/// elements, the trace of a rerun in a `<stackTrace>` child, no `time` on
/// a rerun, `skipped` with a message only, a test case's children in the
/// schema's order, `time` on every test case) and Jenkins' `junit-10`
/// schema for the document (`<testsuites>` without `skipped`). `file` and
/// `line` on a test case are the one addition Surefire's schema lacks.
pub(crate) fn merged_junit(record: &RunResult, runner_name: &str, node_ids: bool) -> String {
    let cases: Vec<Case<'_>> = record.histories().map(|h| Case::new(h, node_ids)).collect();
    let total: Duration = cases.iter().map(|c| c.time).sum();
    let count = |kind: Kind| cases.iter().filter(|c| c.kind() == kind).count();
    let (failures, errors, skipped) = (
        count(Kind::Failure),
        count(Kind::Error),
        count(Kind::Skipped),
    );
    let tests = cases.len().to_string();
    let time = seconds(total);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    start_tag(
        &mut out,
        0,
        "testsuites",
        &[
            ("name", "bktec"),
            ("tests", &tests),
            ("failures", &failures.to_string()),
            ("errors", &errors.to_string()),
            ("time", &time),
        ],
    );
    start_tag(
        &mut out,
        1,
        "testsuite",
        &[
            ("name", runner_name),
            ("tests", &tests),
            ("failures", &failures.to_string()),
            ("errors", &errors.to_string()),
            ("skipped", &skipped.to_string()),
            ("time", &time),
        ],
    );
    for case in &cases {
        case.write(&mut out);
    }
    out.push_str("    </testsuite>\n</testsuites>\n");
    xml_1_0(out)
}

/// How a test case counts in its suite's totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Passed,
    Failure,
    Error,
    Skipped,
}

/// How a test ended, for the report.
enum End<'a> {
    Passed,
    Failed(&'a Failure),
    Skipped {
        message: Option<String>,
        details: Option<&'a str>,
    },
}

/// One `<testcase>`: the test's last result and its earlier failed runs.
struct Case<'a> {
    name: String,
    classname: String,
    time: Duration,
    file: Option<&'a str>,
    line: Option<u32>,
    end: End<'a>,
    /// The failed earlier runs: flaky ones when the test then passed,
    /// reruns when it still failed, none otherwise.
    runs: Vec<&'a TestResult>,
    output: Option<&'a str>,
}

/// A failure without a message or details, for a failed result that says
/// nothing about why.
static NO_FAILURE: Failure = Failure {
    message: String::new(),
    details: String::new(),
    error: false,
};

impl<'a> Case<'a> {
    fn new(history: TestHistory<'a>, node_ids: bool) -> Case<'a> {
        let TestHistory {
            last,
            earlier,
            muted,
        } = history;
        let (end, runs) = ending(last, earlier, muted);
        let (classname, name) = if node_ids {
            pytest_junit_names(last)
        } else {
            (last.scope.clone(), last.name.clone())
        };
        Case {
            name,
            classname,
            time: last.duration.unwrap_or_default(),
            // A pytest node id names the file as the tests are run (the
            // witness may have corrected it after a JUnit class name).
            file: match last.path.split_once("::") {
                Some((file, _)) if node_ids => Some(file),
                Some(_) | None => last.location.as_ref().map(|l| l.file.as_str()),
            },
            line: last.location.as_ref().and_then(|l| l.line),
            output: (last.outcome == Outcome::Failed)
                .then_some(last.output.as_deref())
                .flatten(),
            end,
            runs,
        }
    }

    fn kind(&self) -> Kind {
        match &self.end {
            End::Passed => Kind::Passed,
            End::Failed(failure) if failure.error => Kind::Error,
            End::Failed(_) => Kind::Failure,
            End::Skipped { .. } => Kind::Skipped,
        }
    }

    /// Writes the `<testcase>`, its children in the order of Surefire's
    /// schema: failure, rerunFailure, flakyFailure, skipped, error,
    /// rerunError, flakyError, system-out.
    fn write(&self, out: &mut String) {
        let time = seconds(self.time);
        let line = self.line.map(|l| l.to_string());
        let mut attributes = vec![("name", self.name.as_str())];
        if !self.classname.is_empty() {
            attributes.push(("classname", &self.classname));
        }
        attributes.push(("time", &time));
        if let Some(file) = self.file {
            attributes.push(("file", file));
        }
        if let Some(line) = &line {
            attributes.push(("line", line));
        }
        let mut children = String::new();
        let runs = |error: bool| self.runs.iter().filter(move |t| is_error(t) == error);
        // Earlier failed runs of a test that passed at last are flaky;
        // of one that still fails, reruns.
        let prefix = match self.end {
            End::Passed => "flaky",
            End::Failed(_) | End::Skipped { .. } => "rerun",
        };
        if let End::Failed(failure) = self.end
            && !failure.error
        {
            final_failure(&mut children, "failure", failure);
        }
        for run in runs(false) {
            earlier_run(&mut children, &format!("{prefix}Failure"), run);
        }
        if let End::Skipped { message, details } = &self.end {
            skipped(&mut children, message.as_deref(), *details);
        }
        if let End::Failed(failure) = self.end
            && failure.error
        {
            final_failure(&mut children, "error", failure);
        }
        for run in runs(true) {
            earlier_run(&mut children, &format!("{prefix}Error"), run);
        }
        if let Some(output) = self.output {
            element(&mut children, 3, "system-out", &[], output);
        }
        if children.is_empty() {
            empty_tag(out, 2, "testcase", &attributes);
        } else {
            start_tag(out, 2, "testcase", &attributes);
            out.push_str(&children);
            out.push_str("        </testcase>\n");
        }
    }
}

/// How the test ended, and the earlier failed runs the report shows: flaky
/// ones when it passed at last, reruns when it still failed.
fn ending<'a>(
    last: &'a TestResult,
    earlier: &'a [TestResult],
    muted: bool,
) -> (End<'a>, Vec<&'a TestResult>) {
    let failed_runs = || {
        earlier
            .iter()
            .filter(|t| t.outcome == Outcome::Failed)
            .collect()
    };
    match &last.outcome {
        Outcome::Passed => (End::Passed, failed_runs()),
        // A muted failure does not fail the run (D16, D23), so it is
        // not a failure for the JUnit consumers that gate or annotate
        // on them.
        Outcome::Failed if muted => {
            let failure = last.failure.as_ref();
            let message = format!(
                "muted in Test Engine; it failed: {}",
                failure.map_or("", |f| f.message.as_str())
            );
            let end = End::Skipped {
                message: Some(message.trim_end_matches([':', ' ']).to_string()),
                details: failure.map(|f| f.details.as_str()),
            };
            (end, Vec::new())
        }
        Outcome::Failed => (
            End::Failed(last.failure.as_ref().unwrap_or(&NO_FAILURE)),
            failed_runs(),
        ),
        Outcome::Skipped => (
            End::Skipped {
                message: None,
                details: None,
            },
            Vec::new(),
        ),
        // Surefire's schema has no element for it, and `<skipped>` no
        // `type`: the message says what it was.
        Outcome::ExpectedFailure => (
            End::Skipped {
                message: Some("expected failure (xfail)".to_string()),
                details: None,
            },
            Vec::new(),
        ),
        Outcome::Other(word) => (
            End::Skipped {
                message: Some(format!("outcome `{word}`")),
                details: None,
            },
            Vec::new(),
        ),
    }
}

fn is_error(t: &TestResult) -> bool {
    t.failure.as_ref().is_some_and(|f| f.error)
}

/// The final `<failure>` or `<error>` of a test case: message, type, and
/// the details as its text.
fn final_failure(out: &mut String, tag: &str, failure: &Failure) {
    let ty = failure_type(failure);
    let mut attributes = Vec::new();
    if !failure.message.is_empty() {
        attributes.push(("message", failure.message.as_str()));
    }
    attributes.push(("type", ty.as_str()));
    element(out, 3, tag, &attributes, &failure.details);
}

/// A failed earlier run (`flakyFailure`, `rerunFailure`, and their error
/// forms): message and type, the trace in `<stackTrace>` (which Surefire
/// requires, even empty), then what the run printed.
fn earlier_run(out: &mut String, tag: &str, run: &TestResult) {
    let failure = run.failure.as_ref().unwrap_or(&NO_FAILURE);
    let ty = failure_type(failure);
    let mut attributes = Vec::new();
    if !failure.message.is_empty() {
        attributes.push(("message", failure.message.as_str()));
    }
    attributes.push(("type", ty.as_str()));
    start_tag(out, 3, tag, &attributes);
    element(out, 4, "stackTrace", &[], &failure.details);
    if let Some(output) = &run.output {
        element(out, 4, "system-out", &[], output);
    }
    let _ = writeln!(out, "            </{tag}>");
}

fn skipped(out: &mut String, message: Option<&str>, details: Option<&str>) {
    let attributes: Vec<(&str, &str)> = message.map(|m| ("message", m)).into_iter().collect();
    match details.filter(|d| !d.is_empty()) {
        Some(details) => element(out, 3, "skipped", &attributes, details),
        None => empty_tag(out, 3, "skipped", &attributes),
    }
}

/// The `type` of a failure, which Surefire's schema requires: the
/// exception named by the last line of the details when it reads as
/// pytest's `path:line: ExceptionName`, else `failure` or `error`.
fn failure_type(failure: &Failure) -> String {
    let named = failure
        .details
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.rsplit_once(": "))
        .filter(|(place, _)| {
            place
                .rsplit_once(':')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|(_, name)| name.trim())
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
        });
    match named {
        Some(name) => name.to_string(),
        None if failure.error => "error".to_string(),
        None => "failure".to_string(),
    }
}

/// Seconds with three decimals, as Surefire's `SUREFIRE_TIME` allows.
fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n("    ", depth));
}

fn attributes_of(out: &mut String, attributes: &[(&str, &str)]) {
    for (key, value) in attributes {
        let _ = write!(out, " {key}=\"{}\"", escape(value, true));
    }
}

fn start_tag(out: &mut String, depth: usize, tag: &str, attributes: &[(&str, &str)]) {
    indent(out, depth);
    let _ = write!(out, "<{tag}");
    attributes_of(out, attributes);
    out.push_str(">\n");
}

fn empty_tag(out: &mut String, depth: usize, tag: &str, attributes: &[(&str, &str)]) {
    indent(out, depth);
    let _ = write!(out, "<{tag}");
    attributes_of(out, attributes);
    out.push_str("/>\n");
}

/// An element holding `text` only (no indentation inside: the text is kept
/// as it is).
fn element(out: &mut String, depth: usize, tag: &str, attributes: &[(&str, &str)], text: &str) {
    indent(out, depth);
    let _ = write!(out, "<{tag}");
    attributes_of(out, attributes);
    let _ = writeln!(out, ">{}</{tag}>", escape(text, false));
}

/// `text` escaped for XML; in an attribute (`attribute`), also the quote
/// and the white space a reader would otherwise normalize to spaces.
fn escape(text: &str, attribute: bool) -> std::borrow::Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>') || (attribute && matches!(c, '"' | '\n' | '\r' | '\t'))
    };
    if !text.contains(special) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            // A carriage return in text would be read as a newline.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out.into()
}

/// `xml` with every character XML 1.0 does not allow (control characters
/// but tab and newlines, lone surrogates cannot occur in a `String`,
/// U+FFFE and U+FFFF) replaced by U+FFFD: a failure message or output may
/// hold any of them, and one makes the whole report unreadable. The writer
/// escapes only markup, so such a character can only stand raw in text.
fn xml_1_0(xml: String) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if xml.chars().all(allowed) {
        return xml;
    }
    xml.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// pytest's JUnit `classname` and `name` of a test whose path is its node id
/// (`tests/sub/test_a.py::TestX::test_y[p]` is `tests.sub.test_a.TestX` and
/// `test_y[p]`).
fn pytest_junit_names(t: &TestResult) -> (String, String) {
    let prefix = t
        .path
        .strip_suffix(t.name.as_str())
        .and_then(|p| p.strip_suffix("::"));
    let Some(prefix) = prefix else {
        return (t.scope.clone(), t.name.clone());
    };
    let (file, classes) = prefix.split_once("::").unwrap_or((prefix, ""));
    let mut classname = file.strip_suffix(".py").unwrap_or(file).replace('/', ".");
    for class in classes.split("::").filter(|c| !c.is_empty()) {
        classname.push('.');
        classname.push_str(class);
    }
    (classname, t.name.clone())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::results::{Location, Mapping, parse_junit};

    fn t(path: &str, outcome: Outcome, message: &str) -> TestResult {
        let (scope, name) = path.rsplit_once("::").unwrap();
        TestResult {
            location: Location::new(path.split_once("::").unwrap().0, Some(3)),
            scope: scope.into(),
            name: name.into(),
            path: path.into(),
            identifier: String::new(),
            failure: (outcome == Outcome::Failed).then(|| Failure {
                message: message.into(),
                details: format!("E   {message}\ntests/x.py:3: AssertionError"),
                error: false,
            }),
            output: (outcome == Outcome::Failed).then(|| format!("printed before {message}\n")),
            outcome,
            duration: Some(Duration::from_millis(250)),
        }
    }

    fn record() -> RunResult {
        let mut record = RunResult::new([("tests/test_m.py", "test_muted")]);
        record.record(vec![
            t("tests/test_a.py::test_ok", Outcome::Passed, ""),
            t("tests/test_a.py::test_flaky", Outcome::Failed, "first"),
            t(
                "tests/sub/test_b.py::TestB::test_broken[x]",
                Outcome::Failed,
                "one",
            ),
            t("tests/test_m.py::test_muted", Outcome::Failed, "muted"),
            t("tests/test_s.py::test_skip", Outcome::Skipped, ""),
        ]);
        record.record(vec![
            t("tests/test_a.py::test_flaky", Outcome::Passed, ""),
            t(
                "tests/sub/test_b.py::TestB::test_broken[x]",
                Outcome::Failed,
                "two",
            ),
            t("tests/test_m.py::test_muted", Outcome::Failed, "muted"),
        ]);
        record
    }

    /// Characters XML 1.0 does not allow never reach the report, whichever
    /// field holds them (issue 19, item 4).
    #[test]
    fn characters_xml_does_not_allow_are_replaced() {
        let mut record = RunResult::new(Vec::<(&str, &str)>::new());
        let odd = "bad \u{1}\u{8}\u{B}\u{FFFE}\u{FFFF} end";
        let mut failed = t("tests/x.py::test_odd", Outcome::Failed, odd);
        failed.output = Some(format!("printed {odd}\n"));
        record.record(vec![failed]);
        let xml = merged_junit(&record, "pytest", true);
        for c in ['\u{1}', '\u{8}', '\u{B}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!xml.contains(c), "{c:?} in {xml}");
        }
        assert!(xml.contains("bad \u{FFFD}"), "{xml}");
        // bktec's own JUnit reader reads it back.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("merged.xml");
        std::fs::write(&path, &xml).unwrap();
        let parsed = crate::results::parse(
            &path,
            crate::results::ResultFormat::JUnitXml,
            crate::results::Mapping::Pytest,
        )
        .unwrap();
        assert_eq!(parsed.tests.len(), 1);
    }

    #[test]
    fn the_merged_report() {
        insta::assert_snapshot!(merged_junit(&record(), "pytest", true));
    }

    #[test]
    fn bktec_reads_back_each_test_once_with_its_final_outcome() {
        let xml = merged_junit(&record(), "pytest", true);
        let parsed = parse_junit(xml.as_bytes(), Path::new("merged.xml"), Mapping::Pytest).unwrap();
        let got: Vec<(&str, &str)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.as_str(), t.outcome.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("tests/test_a.py::test_ok", "passed"),
                ("tests/test_a.py::test_flaky", "passed"),
                ("tests/sub/test_b.py::TestB::test_broken[x]", "failed"),
                ("tests/test_m.py::test_muted", "skipped"),
                ("tests/test_s.py::test_skip", "skipped"),
            ]
        );
        let broken = &parsed.tests[2];
        let failure = broken.failure.as_ref().unwrap();
        assert_eq!(failure.message, "two");
        assert_eq!(failure.details, "E   two\ntests/x.py:3: AssertionError");
        assert_eq!(broken.output.as_deref(), Some("printed before two\n"));
        assert_eq!(broken.duration, Some(Duration::from_millis(250)));
        assert!(
            parsed.tests[1].failure.is_none(),
            "flaky runs are not failures"
        );
    }
}
