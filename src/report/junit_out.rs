//! The JUnit XML report merged over all attempts (`--junit-out`, issue 13
//! item 2): each test once, with its final outcome; the failed attempts of a
//! test that then passed as `flakyFailure`, those of a test that still fails
//! as `rerunFailure` (Maven Surefire's convention, which JUnit consumers
//! read), durations, and the output of failures. A test that passed on retry
//! is therefore not a failure here, as it is in the test command's own file
//! for the attempt in which it failed.

use std::time::Duration;

use quick_junit::{
    FlakyOrRerun, NonSuccessKind, NonSuccessReruns, Report, TestCase, TestCaseStatus, TestRerun,
    TestSuite,
};

use crate::results::{Failure, Outcome, RunResult, TestHistory, TestResult};

/// The merged report of `record` as JUnit XML, one suite named after the
/// runner. With `node_ids` (pytest), each test's `classname` and `name` are
/// pytest's own JUnit spelling of its node id, so that a reader (bktec's
/// own parser among them) gets the node id back.
pub(crate) fn merged_junit(record: &RunResult, runner_name: &str, node_ids: bool) -> String {
    let mut suite = TestSuite::new(runner_name);
    let mut total = Duration::ZERO;
    for history in record.histories() {
        total += history.last.duration.unwrap_or_default();
        suite.add_test_case(test_case(history, node_ids));
    }
    suite.set_time(total);
    let mut report = Report::new("bktec");
    report.set_time(total);
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .expect("a report of valid strings serializes");
    xml_1_0(xml)
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

fn test_case(history: TestHistory<'_>, node_ids: bool) -> TestCase {
    let TestHistory {
        last,
        earlier,
        muted,
    } = history;
    let reruns = earlier
        .iter()
        .filter(|t| t.outcome == Outcome::Failed)
        .map(rerun);
    let status = match &last.outcome {
        Outcome::Passed => {
            let mut status = TestCaseStatus::success();
            status.add_reruns(reruns);
            status
        }
        // A muted failure does not fail the run (D16, D23), so it is not a
        // failure for the JUnit consumers that gate or annotate on them.
        Outcome::Failed if muted => TestCaseStatus::Skipped {
            message: Some(
                format!(
                    "muted in Test Engine; it failed: {}",
                    last.failure.as_ref().map_or("", |f| f.message.as_str())
                )
                .trim_end_matches([':', ' '])
                .into(),
            ),
            ty: Some("muted".into()),
            description: last
                .failure
                .as_ref()
                .map(|f| f.details.as_str())
                .filter(|d| !d.is_empty())
                .map(Into::into),
        },
        Outcome::Failed => {
            let failure = last.failure.clone().unwrap_or_default();
            TestCaseStatus::NonSuccess {
                kind: kind(&failure),
                message: Some(failure.message)
                    .filter(|m| !m.is_empty())
                    .map(Into::into),
                ty: None,
                description: Some(failure.details)
                    .filter(|d| !d.is_empty())
                    .map(Into::into),
                reruns: NonSuccessReruns {
                    kind: FlakyOrRerun::Rerun,
                    runs: reruns.collect(),
                },
            }
        }
        Outcome::Skipped => TestCaseStatus::skipped(),
        Outcome::Other(word) => TestCaseStatus::Skipped {
            message: Some(format!("outcome `{word}`").into()),
            ty: None,
            description: None,
        },
    };
    let (classname, name) = if node_ids {
        pytest_junit_names(last)
    } else {
        (last.scope.clone(), last.name.clone())
    };
    let mut case = TestCase::new(name, status);
    if !classname.is_empty() {
        case.set_classname(classname);
    }
    if let Some(duration) = last.duration {
        case.set_time(duration);
    }
    if last.outcome == Outcome::Failed
        && let Some(output) = &last.output
    {
        case.set_system_out(output.as_str());
    }
    case
}

fn kind(failure: &Failure) -> NonSuccessKind {
    if failure.error {
        NonSuccessKind::Error
    } else {
        NonSuccessKind::Failure
    }
}

/// A failed earlier attempt.
fn rerun(t: &TestResult) -> TestRerun {
    let failure = t.failure.clone().unwrap_or_default();
    let mut run = TestRerun::new(kind(&failure));
    if !failure.message.is_empty() {
        run.set_message(failure.message);
    }
    if !failure.details.is_empty() {
        run.set_description(failure.details);
    }
    if let Some(duration) = t.duration {
        run.set_time(duration);
    }
    if let Some(output) = &t.output {
        run.set_system_out(output.as_str());
    }
    run
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
    use crate::results::{Mapping, parse_junit};

    fn t(path: &str, outcome: Outcome, message: &str) -> TestResult {
        let (scope, name) = path.rsplit_once("::").unwrap();
        TestResult {
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
