//! The end-of-run report (behaviour document 10.1, 10.2; lists sorted, D19).

mod annotation;
mod backfill;
mod human;
mod interrupted;
mod junit_out;
mod notices;
mod shell;
mod summary;
mod verdict;

use std::collections::HashSet;
use std::fmt::Write;

use crate::events::{RetryData, Verdict};
use crate::plan::TestCase;
use crate::quote::{one_line, shell_quote};
use crate::results::{Outcome, RunResult, RunStatus, Statistics, TestResult};

pub(crate) use annotation::{
    AnnotationTitle, annotation_context, annotation_markdown, flaky_annotation_context,
    flaky_annotation_markdown,
};
pub(crate) use human::Reporter;
pub(crate) use junit_out::merged_junit;
pub(crate) use notices::api_notices;
pub(crate) use shell::{ColorEnv, Shell};
pub(crate) use verdict::render_verdict;

/// The header printed before each attempt (9.1). Its section opens
/// collapsed (`---`), and is reopened when the attempt fails (issue 13,
/// item 4), so a green log reads as a list of passed sections.
pub(crate) fn attempt_header(retry: RetryData) -> String {
    if retry.attempt == 0 {
        "--- Buildkite Test Engine Client: Running tests\n".to_string()
    } else {
        format!(
            "--- Buildkite Test Engine Client: ♻️ Attempt {} of {} to retry failing tests\n",
            retry.attempt, retry.max_retries
        )
    }
}

/// How many entries a list of the report shows without `--debug`; the rest
/// are counted (issue 13, item 1).
pub(super) const LISTED: usize = 20;

/// How many of the slowest tests the report names.
const SLOWEST: usize = 5;

/// What the report needs besides the record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReportContext<'a> {
    /// The runner's name in messages (`pytest`).
    pub runner_name: &'a str,
    /// Whether tests are named by their runnable path (pytest's node id,
    /// the same in JSON and JUnit mode, pasteable after `pytest`) rather
    /// than by scope and name.
    pub node_ids: bool,
    /// The last attempt's command, for the line that reproduces it.
    pub last_command: Option<&'a [String]>,
    /// Whether lists are shown whole (`--debug`).
    pub list_all: bool,
    /// Whether the runner writes no result file (Cypress), so its exit
    /// status alone decided and the report names no test (D46).
    pub by_exit_status: bool,
}

/// The report's headline, which follows the verdict (D23); `None` when the
/// run's status is unknown (10.1).
fn headline(record: &RunResult, verdict: &Verdict) -> Option<String> {
    let overruled = match verdict {
        Verdict::Unproven(_) => Some("🚨 The tests did not prove success.".to_string()),
        Verdict::Failed { refused, .. } if !refused.is_empty() => {
            Some("❌ Only muted tests failed, but the run cannot be passed.".to_string())
        }
        // The command failed although no test the results name did (an
        // exit status other than 1, which 9.5 never forgives).
        Verdict::Failed { code, .. } if record.status() == RunStatus::Passed => Some(format!(
            "❌ The test command failed (exit status {code}), though no unmuted test failed."
        )),
        Verdict::TimedOut(_) => {
            Some("⏱ An attempt ran past its deadline and was ended.".to_string())
        }
        Verdict::FlakyFailed { flaky } => Some(format!(
            "❌ {} passed only on a retry, and flaky tests fail this run.",
            verdict::count(*flaky, "test", "tests")
        )),
        // D48: a cancelled run says so, whatever its tests did before.
        Verdict::Signal(signal) => Some(format!(
            "🛑 The run was ended by {}.",
            crate::exit_code::signal_name(*signal)
        )),
        Verdict::Passed { .. }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::StartFailed(_) => None,
    };
    let status = match (record.status(), overruled) {
        (RunStatus::Unknown, _) => return None,
        (_, Some(headline)) => headline,
        (RunStatus::Passed, None) if record.failed_muted().is_empty() => {
            match record.flaky().len() {
                0 => "✅ All tests passed.".to_string(),
                n => format!("✅ All tests passed; {n} of them only on a retry (flaky)."),
            }
        }
        (RunStatus::Passed, None) => "✅ Build passed. Some muted tests failed.".to_string(),
        (RunStatus::Failed, None) => "❌ Some tests failed.".to_string(),
        (RunStatus::Error(message), None) => format!("🚨 {message}"),
    };
    Some(status)
}

/// The headline of a runner that writes no result file (Cypress): its exit
/// status, and where its tests are named instead (D46).
fn exit_status_headline(runner_name: &str, verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Passed { .. } => Some(format!(
            "✅ {runner_name} exited with status 0. It writes no result file bktec reads, so its own output above lists its tests."
        )),
        Verdict::Failed { code, .. } => Some(format!(
            "❌ {runner_name} exited with status {code}. It writes no result file bktec reads, so its own output above says which tests failed."
        )),
        Verdict::TimedOut(_) => Some(format!(
            "⏱ {runner_name} ran past its deadline and was ended."
        )),
        Verdict::NoTests
        | Verdict::Unproven(_)
        | Verdict::Signal(_)
        | Verdict::StartFailed(_)
        | Verdict::FlakyFailed { .. } => None,
    }
}

/// The report, or `None` when the run's status is unknown (10.1). Its
/// headline follows the verdict, so it never calls a run passed that exits
/// non-zero (D23). What the user must look at (failed tests, and the line
/// that reproduces them) comes last, in a `+++` section; everything else is
/// in the report's own section, which is collapsed (`---`) when the run is
/// green (issue 13, items 1 and 4).
pub(crate) fn render_report(
    record: &RunResult,
    skipped_by_test_engine: &[TestCase],
    verdict: &Verdict,
    context: ReportContext<'_>,
) -> Option<String> {
    let ReportContext {
        runner_name,
        node_ids,
        last_command,
        list_all,
        by_exit_status,
    } = context;
    let status = match headline(record, verdict) {
        Some(status) => status,
        None if by_exit_status => exit_status_headline(runner_name, verdict)?,
        None => return None,
    };
    let green = matches!(verdict, Verdict::Passed { .. } | Verdict::NoTests);
    // Flaky tests open the report even when green (D47): they are what a
    // green log most often hides.
    let marker = if green && record.flaky().is_empty() {
        "---"
    } else {
        "+++"
    };
    let mut out = format!("{marker} ========== Buildkite Test Engine Report  ==========\n");
    // Colour where the stream takes it (the writer strips it elsewhere);
    // never before a `+++`/`---` marker, which Buildkite reads.
    let style = match (green, record.flaky().is_empty()) {
        (true, true) => shell::SUCCESS,
        (true, false) => shell::FLAKY,
        (false, _) => shell::FAILURE,
    };
    out.push_str(&shell::paint(style, &status));
    out.push('\n');
    let stats = record.statistics();
    if stats.total > 0 {
        out.push('\n');
        out.push_str(&statistics_table(&stats));
    }
    let name = |t: &TestResult| {
        if !node_ids {
            t.display_name()
        } else if t.path.starts_with('-') {
            // Pasted after `pytest`, it must not read as an option (D24).
            format!("./{}", t.path)
        } else {
            t.path.clone()
        }
    };
    let limit = if list_all { usize::MAX } else { LISTED };
    lists(
        &mut out,
        record,
        skipped_by_test_engine,
        runner_name,
        &name,
        limit,
    );
    let failed: Vec<String> = record.unresolved().iter().map(|t| name(t)).collect();
    let any_failed = !failed.is_empty();
    let heading = format!("+++ {}", shell::paint(shell::FAILURE, "Failed Tests:"));
    list(&mut out, &heading, failed, limit);
    if let (Some(argv), false) = (last_command, green) {
        let _ = write!(
            out,
            "\nTo reproduce {}, run:\n{}\n",
            if any_failed {
                "the failures"
            } else {
                "this node's last attempt"
            },
            shell_quote(argv)
        );
    }
    out.push_str(&"=".repeat(51));
    out.push('\n');
    Some(out)
}

/// The report's lists of flaky, muted, slow and skipped tests.
fn lists(
    out: &mut String,
    record: &RunResult,
    skipped_by_test_engine: &[TestCase],
    runner_name: &str,
    name: &dyn Fn(&TestResult) -> String,
    limit: usize,
) {
    list(
        out,
        &shell::paint(
            shell::FLAKY,
            "Flaky tests (failed, then passed on a retry):",
        ),
        record.flaky().iter().map(|t| name(t)).collect(),
        limit,
    );
    list(
        out,
        "Muted tests:",
        record
            .muted()
            .iter()
            .map(|t| format!("{} ({})", name(t), t.outcome.as_str()))
            .collect(),
        limit,
    );
    slowest(out, record, name);
    list(
        out,
        &format!("Skipped by {runner_name}:"),
        record.skipped().iter().map(|t| name(t)).collect(),
        limit,
    );
    list(
        out,
        "Expected failures (xfail):",
        record.expected_failures().iter().map(|t| name(t)).collect(),
        limit,
    );
    list(
        out,
        "Skipped by Test Engine:",
        not_run(skipped_by_test_engine, record)
            .into_iter()
            .map(|t| format!("{} {}", t.scope, t.name))
            .collect(),
        limit,
    );
}

/// The tests of `skipped` (Test Engine's) that have no result in `record`,
/// by scope and name, or by node id: one in a file that ran whole ran
/// anyway, and is reported by how it ended, not as skipped too (issue 21
/// item 11, D46).
fn not_run<'a>(skipped: &'a [TestCase], record: &RunResult) -> Vec<&'a TestCase> {
    let mut names: HashSet<(&str, &str)> = HashSet::new();
    let mut node_ids: HashSet<&str> = HashSet::new();
    for t in record.results() {
        names.insert((t.scope.as_str(), t.name.as_str()));
        node_ids.insert(t.path.as_str());
    }
    skipped
        .iter()
        .filter(|t| {
            let by_id = t.path.contains("::") && node_ids.contains(t.path.as_str());
            !by_id && !names.contains(&(t.scope.as_str(), t.name.as_str()))
        })
        .collect()
}

/// A sorted list under `heading`, cut after `limit` entries with a count of
/// the rest; nothing when it is empty.
pub(super) fn list(out: &mut String, heading: &str, mut items: Vec<String>, limit: usize) {
    if items.is_empty() {
        return;
    }
    items.sort();
    let _ = write!(out, "\n{heading}\n");
    for item in items.iter().take(limit) {
        // A name never starts a line of the log (a `+++` in a file name).
        let _ = writeln!(out, "- {}", one_line(item));
    }
    if items.len() > limit {
        let _ = writeln!(
            out,
            "- … and {} more (`--debug` lists them all)",
            items.len() - limit
        );
    }
}

/// The slowest tests of this node with their times, slowest first (ties by
/// name, so the report is stable, D19).
fn slowest(out: &mut String, record: &RunResult, name: &dyn Fn(&TestResult) -> String) {
    let mut timed: Vec<(std::time::Duration, String)> = record
        .results()
        .filter(|t| matches!(t.outcome, Outcome::Passed | Outcome::Failed))
        .filter_map(|t| t.duration.map(|d| (d, name(t))))
        .collect();
    if timed.is_empty() {
        return;
    }
    timed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let _ = write!(
        out,
        "\nSlowest {} on this node:\n",
        if timed.len() == 1 { "test" } else { "tests" }
    );
    for (duration, test) in timed.iter().take(SLOWEST) {
        let _ = writeln!(out, "{:>8.2}s {}", duration.as_secs_f64(), one_line(test));
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

    /// The report as the tests read it: without its colours, which the
    /// writer strips where colour is off.
    fn render_report(
        record: &RunResult,
        skipped: &[TestCase],
        verdict: &Verdict,
        context: ReportContext<'_>,
    ) -> Option<String> {
        super::render_report(record, skipped, verdict, context)
            .map(|text| anstream::adapter::strip_str(&text).to_string())
    }

    fn t(scope: &str, name: &str, outcome: Outcome) -> TestResult {
        TestResult {
            location: None,
            scope: scope.into(),
            name: name.into(),
            path: format!("{scope}::{name}"),
            identifier: String::new(),
            outcome,
            duration: None,
            failure: None,
            output: None,
        }
    }

    fn failed() -> Verdict {
        Verdict::Failed {
            status: 1,
            code: 1,
            refused: Vec::new(),
        }
    }

    fn context(node_ids: bool, last_command: Option<&[String]>) -> ReportContext<'_> {
        ReportContext {
            runner_name: "pytest",
            node_ids,
            last_command,
            list_all: false,
            by_exit_status: false,
        }
    }

    /// One run's two attempts as collector JSON: the first run, then the
    /// retry of its failures.
    const FIRST_JSON: &str = r#"[
      {"scope":"tests/test_cart.py::TestCart","name":"test_total","result":"failed","history":{"duration":0.5}},
      {"scope":"tests/test_cart.py","name":"test_flaky","result":"failed","history":{"duration":0.25}},
      {"scope":"tests/test_cart.py","name":"test_ok[a b]","result":"passed","history":{"duration":2.0}},
      {"scope":"tests/sub/test_muted.py","name":"test_muted","result":"failed","history":{"duration":0.125}},
      {"scope":"tests/test_skip.py","name":"test_later","result":"skipped","history":{"duration":0.0}}
    ]"#;
    const RETRY_JSON: &str = r#"[
      {"scope":"tests/test_cart.py::TestCart","name":"test_total","result":"failed","history":{"duration":0.5}},
      {"scope":"tests/test_cart.py","name":"test_flaky","result":"passed","history":{"duration":0.25}},
      {"scope":"tests/sub/test_muted.py","name":"test_muted","result":"failed","history":{"duration":0.125}}
    ]"#;
    /// The same attempts as pytest's JUnit XML.
    const FIRST_JUNIT: &str = r#"<testsuites><testsuite name="pytest">
      <testcase classname="tests.test_cart.TestCart" name="test_total" time="0.5"><failure message="assert 3 == 4">E assert 3 == 4</failure></testcase>
      <testcase classname="tests.test_cart" name="test_flaky" time="0.25"><failure message="boom"/></testcase>
      <testcase classname="tests.test_cart" name="test_ok[a b]" time="2.0"/>
      <testcase classname="tests.sub.test_muted" name="test_muted" time="0.125"><failure message="m"/></testcase>
      <testcase classname="tests.test_skip" name="test_later" time="0"><skipped message="later"/></testcase>
    </testsuite></testsuites>"#;
    const RETRY_JUNIT: &str = r#"<testsuites><testsuite name="pytest">
      <testcase classname="tests.test_cart.TestCart" name="test_total" time="0.5"><failure message="assert 3 == 4"/></testcase>
      <testcase classname="tests.test_cart" name="test_flaky" time="0.25"/>
      <testcase classname="tests.sub.test_muted" name="test_muted" time="0.125"><failure message="m"/></testcase>
    </testsuite></testsuites>"#;

    fn report_of(attempts: [Vec<TestResult>; 2], muted_scope: &str) -> String {
        let mut record = RunResult::new([(muted_scope, "test_muted")]);
        for attempt in attempts {
            record.record(attempt);
        }
        let skipped = vec![TestCase {
            scope: "tests/te.py".into(),
            name: "test_old".into(),
            ..TestCase::default()
        }];
        let command: Vec<String> = [
            "pytest",
            "tests/test_cart.py::TestCart::test_total",
            "tests/sub/test_muted.py::test_muted",
            "--json=/tmp/r.json",
        ]
        .map(String::from)
        .to_vec();
        render_report(&record, &skipped, &failed(), context(true, Some(&command))).unwrap()
    }

    #[test]
    fn the_report_names_tests_by_node_id_alike_in_json_and_junit_mode() {
        use crate::results::{Mapping, parse_collector_json, parse_junit};
        let path = std::path::Path::new("r");
        let json = |text: &str| {
            parse_collector_json(text.as_bytes(), path, Mapping::Pytest)
                .unwrap()
                .tests
        };
        let junit = |text: &str| {
            parse_junit(text.as_bytes(), path, Mapping::Pytest)
                .unwrap()
                .tests
        };
        // Muted tests are matched by scope and name, which differ by format.
        let from_json = report_of(
            [json(FIRST_JSON), json(RETRY_JSON)],
            "tests/sub/test_muted.py",
        );
        let from_junit = report_of(
            [junit(FIRST_JUNIT), junit(RETRY_JUNIT)],
            "tests.sub.test_muted",
        );
        assert_eq!(from_json, from_junit);
        insta::assert_snapshot!(from_json);
    }

    /// A status other than 1 is never forgiven (9.5): with only muted
    /// failures in the results, the headline still follows the exit.
    #[test]
    fn the_headline_never_calls_a_failed_command_passed() {
        let mut record = RunResult::new([("t.py", "test_muted")]);
        record.record(vec![t("t.py", "test_muted", Outcome::Failed)]);
        let failed_with = |code| Verdict::Failed {
            status: 2,
            code,
            refused: Vec::new(),
        };
        assert_eq!(
            headline(&record, &failed_with(2)).unwrap(),
            "❌ The test command failed (exit status 2), though no unmuted test failed."
        );
        assert_eq!(
            headline(&record, &Verdict::Passed { muted_failures: 1 }).unwrap(),
            "✅ Build passed. Some muted tests failed."
        );
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let mut record = RunResult::new([]);
        record.record(
            (0..25)
                .map(|i| TestResult {
                    duration: Some(std::time::Duration::from_millis(100 * i)),
                    failure: None,
                    output: None,
                    ..t(
                        "tests/test_many.py",
                        &format!("test_{i:02}"),
                        Outcome::Failed,
                    )
                })
                .collect(),
        );
        let command: Vec<String> = vec!["pytest".into(), "tests/test_many.py".into()];
        let report = render_report(&record, &[], &failed(), context(true, Some(&command))).unwrap();
        insta::assert_snapshot!(report);
        // `--debug` lists them all.
        let all = render_report(
            &record,
            &[],
            &failed(),
            ReportContext {
                list_all: true,
                ..context(true, None)
            },
        )
        .unwrap();
        assert!(all.contains("- tests/test_many.py::test_24\n") && !all.contains("more"));
    }

    #[test]
    fn a_green_run_is_collapsed_and_has_no_reproduce_line() {
        let mut record = RunResult::new([]);
        record.record(vec![t("a.py", "test_ok", Outcome::Passed)]);
        let command: Vec<String> = vec!["pytest".into()];
        let report = render_report(
            &record,
            &[],
            &Verdict::Passed { muted_failures: 0 },
            context(false, Some(&command)),
        )
        .unwrap();
        insta::assert_snapshot!(report);
    }

    #[test]
    fn a_node_id_that_reads_as_an_option_is_listed_as_a_path() {
        let mut record = RunResult::new([]);
        record.record(vec![t("--deselect=x.py", "test_a", Outcome::Failed)]);
        let report = render_report(&record, &[], &failed(), context(true, None)).unwrap();
        assert!(
            report.contains("+++ Failed Tests:\n- ./--deselect=x.py::test_a\n"),
            "{report}"
        );
    }

    #[test]
    fn unknown_status_has_no_report() {
        assert_eq!(
            render_report(
                &RunResult::new([]),
                &[],
                &Verdict::Passed { muted_failures: 0 },
                context(true, None),
            ),
            None
        );
    }

    /// Issue 21 item 11: a green Cypress run printed no report. A runner
    /// without a result file gets one from its exit status (D46).
    #[test]
    fn a_runner_without_a_result_file_is_reported_by_its_exit_status() {
        let by_status = |verdict: &Verdict, command: Option<&[String]>| {
            let context = ReportContext {
                runner_name: "Cypress",
                by_exit_status: true,
                ..context(false, command)
            };
            render_report(&RunResult::new([]), &[], verdict, context)
        };
        let green = by_status(&Verdict::Passed { muted_failures: 0 }, None).unwrap();
        assert!(green.starts_with("--- ====="), "{green}");
        assert!(
            green.contains("✅ Cypress exited with status 0."),
            "{green}"
        );
        let command: Vec<String> = vec!["cypress".into(), "run".into()];
        let red = by_status(&failed(), Some(&command)).unwrap();
        assert!(red.starts_with("+++ ====="), "{red}");
        assert!(red.contains("❌ Cypress exited with status 1."), "{red}");
        assert!(red.contains("\ncypress run\n"), "{red}");
    }

    #[test]
    fn headers() {
        assert_eq!(
            attempt_header(RetryData {
                attempt: 2,
                max_retries: 3
            }),
            "--- Buildkite Test Engine Client: ♻️ Attempt 2 of 3 to retry failing tests\n"
        );
    }
}
