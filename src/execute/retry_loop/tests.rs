//! The retry state machine, driven by a scripted runner (no processes).

use std::collections::VecDeque;

use super::*;
use crate::events::{Unproven, Verdict};
use crate::execute::verdict::verdict;
use crate::results::{Outcome, ParsedResults, TestResult, Witness};

/// Replays scripted attempts and records what it was asked to run.
struct Scripted {
    script: VecDeque<AttemptReport>,
    asked: Vec<Vec<String>>,
    cancel_between: Option<i32>,
    /// The targets that collect no tests.
    empty_targets: Vec<String>,
    /// What `hold_no_tests` was asked about.
    asked_empty: Vec<Vec<String>>,
    /// The tests the runner's listing names (D37), by their paths.
    listing: Option<Vec<String>>,
}

impl Scripted {
    fn new(script: Vec<AttemptReport>) -> Scripted {
        Scripted {
            script: script.into(),
            asked: Vec::new(),
            cancel_between: None,
            empty_targets: Vec::new(),
            asked_empty: Vec::new(),
            listing: None,
        }
    }
}

impl AttemptRunner for Scripted {
    async fn run_attempt(
        &mut self,
        tests: &[String],
        _retry: RetryData,
        _events: &mut dyn FnMut(AttemptEvent),
    ) -> AttemptReport {
        self.asked.push(tests.to_vec());
        self.script
            .pop_front()
            .expect("the script has another attempt")
    }

    fn cancelled(&mut self) -> Option<i32> {
        self.cancel_between.take()
    }

    async fn hold_no_tests(&mut self, targets: &[String]) -> bool {
        self.asked_empty.push(targets.to_vec());
        targets.iter().all(|t| self.empty_targets.contains(t))
    }

    async fn list_tests(&mut self, _targets: &[String]) -> Option<crate::runner::Listed> {
        Some(crate::runner::Listed {
            tool: "lister",
            tests: Ok(self.listing.clone()?),
            key: |t| Some(t.path.clone()),
        })
    }
}

fn test(name: &str, outcome: Outcome) -> TestResult {
    test_in("t.py", name, outcome)
}

fn test_in(file: &str, name: &str, outcome: Outcome) -> TestResult {
    TestResult {
        location: None,
        scope: file.into(),
        name: name.into(),
        path: format!("{file}::{name}"),
        identifier: format!("{file}::{name}"),
        outcome,
        duration: None,
        failure: None,
        output: None,
    }
}

/// The passing test of `u.py`, the second assigned file.
fn u_ok() -> TestResult {
    test_in("u.py", "c", Outcome::Passed)
}

fn exited(code: i32, tests: Vec<TestResult>) -> AttemptReport {
    AttemptReport {
        exit: AttemptExit::Exited(code),
        results: AttemptResults::Parsed(ParsedResults {
            tests,
            ..ParsedResults::default()
        }),
        run_error: None,
        collected_nothing: false,
        witness: None,
        progress: None,
    }
}

fn files() -> Vec<TestCase> {
    vec![TestCase::for_path("t.py"), TestCase::for_path("u.py")]
}

fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        count: max_retries,
        retry_muted: true,
        flaky: FlakyResult::Pass,
    }
}

fn run(script: &mut Scripted, muted: &[TestCase], policy: RetryPolicy) -> RunOutcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(execute(&files(), muted, policy, script, &mut |_| {}))
}

use Outcome::{Failed, Passed};

#[test]
fn passing_first_time_stops() {
    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed), u_ok()])]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(out.stop, StopReason::NothingToRetry);
    assert_eq!(verdict(&out).status(), 0);
    assert_eq!(s.asked, [vec!["t.py".to_string(), "u.py".to_string()]]);
}

#[test]
fn flaky_tests_are_retried_by_node_id_and_pass_on_retry() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
        exited(0, vec![test("b", Passed)]),
    ]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(s.asked[1], ["t.py::b"]);
    assert_eq!(out.attempts, 2);
    assert_eq!(out.record.statistics().passed_on_retry, 1);
    assert_eq!(verdict(&out).status(), 0);
}

#[test]
fn flaky_tests_fail_the_run_only_when_the_policy_says_so() {
    // D47: a run green after a retry exits 1 under `flaky-result = "fail"`;
    // a muted test that failed and passed does not count, nor does a run
    // that is red anyway change its status.
    let script = || {
        Scripted::new(vec![
            exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
            exited(0, vec![test("b", Passed)]),
        ])
    };
    let fail = RetryPolicy {
        flaky: FlakyResult::Fail,
        ..policy(2)
    };
    let out = run(&mut script(), &[], fail);
    assert_eq!(verdict(&out), Verdict::FlakyFailed { flaky: 1 });
    assert_eq!(verdict(&out).status(), 1);
    assert_eq!(verdict(&run(&mut script(), &[], policy(2))).status(), 0);
    let out = run(&mut script(), &muted_b(), fail);
    assert_eq!(
        verdict(&out).status(),
        0,
        "a muted flaky test fails nothing"
    );
    let mut red = Scripted::new(vec![
        exited(1, vec![test("a", Failed), test("b", Failed), u_ok()]),
        exited(1, vec![test("a", Failed), test("b", Passed)]),
        exited(1, vec![test("a", Failed)]),
    ]);
    assert_eq!(verdict(&run(&mut red, &[], fail)).status(), 1);
}

#[test]
fn a_retry_skipping_tests_it_was_not_asked_for_records_no_skip() {
    // A name filter skips the rest of the file: those skips are not news.
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
        exited(0, vec![test("a", Outcome::Skipped), test("b", Passed)]),
    ]);
    let out = run(&mut s, &[], policy(1));
    let stats = out.record.statistics();
    assert_eq!((stats.passed_on_first_run, stats.skipped), (2, 0));
    assert_eq!(verdict(&out).status(), 0);
}

#[test]
fn retry_count_zero_never_retries() {
    let mut s = Scripted::new(vec![exited(1, vec![test("b", Failed)])]);
    let out = run(&mut s, &[], policy(0));
    assert_eq!(out.stop, StopReason::RetriesExhausted);
    assert_eq!(verdict(&out).status(), 1);
}

#[test]
fn persistent_failures_use_every_retry() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("b", Failed)]),
        exited(1, vec![test("b", Failed)]),
        exited(1, vec![test("b", Failed)]),
    ]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(
        (out.attempts, out.stop.clone()),
        (3, StopReason::RetriesExhausted)
    );
    assert_eq!(
        verdict(&out),
        Verdict::Failed {
            status: 1,
            code: 1,
            refused: Vec::new()
        }
    );
}

#[test]
fn collection_errors_are_terminal_even_with_retries_left() {
    let mut report = exited(1, vec![test("b", Failed)]);
    if let AttemptResults::Parsed(p) = &mut report.results {
        p.run_error = Some("pytest collection failed: t.py".into());
    }
    let mut s = Scripted::new(vec![report]);
    let out = run(&mut s, &[], policy(3));
    assert_eq!(out.stop, StopReason::RunError);
    assert_eq!(s.asked.len(), 1);
    assert_eq!(verdict(&out).status(), 1);
}

#[test]
fn an_exit_code_error_is_terminal() {
    let mut report = exited(2, vec![test("b", Failed)]);
    report.run_error = Some("pytest exited with status 2".into());
    let mut s = Scripted::new(vec![report]);
    let out = run(&mut s, &[], policy(3));
    assert_eq!(out.stop, StopReason::RunError);
    assert_eq!(verdict(&out).status(), 2);
}

#[test]
fn unread_results_stop_the_loop_and_keep_the_exit_code() {
    let mut s = Scripted::new(vec![AttemptReport {
        exit: AttemptExit::Exited(5),
        results: AttemptResults::NotRead,
        run_error: None,
        collected_nothing: false,
        witness: None,
        progress: None,
    }]);
    let out = run(&mut s, &[], policy(3));
    assert_eq!(out.stop, StopReason::ResultsUnavailable);
    assert_eq!(verdict(&out).status(), 5);
}

#[test]
fn a_retry_whose_results_cannot_be_read_is_not_retried_again() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("b", Failed)]),
        AttemptReport {
            exit: AttemptExit::Exited(1),
            results: AttemptResults::Unreadable("missing".into()),
            run_error: None,
            collected_nothing: false,
            witness: None,
            progress: None,
        },
    ]);
    let out = run(&mut s, &[], policy(5));
    assert_eq!(
        (out.attempts, out.stop.clone()),
        (2, StopReason::ResultsUnavailable)
    );
    assert_eq!(verdict(&out).status(), 1);
}

fn muted_b() -> Vec<TestCase> {
    vec![TestCase {
        scope: "t.py".into(),
        name: "b".into(),
        ..TestCase::default()
    }]
}

#[test]
fn muted_failures_are_retried_by_default_and_exit_0() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
        exited(1, vec![test("b", Failed)]),
    ]);
    let out = run(&mut s, &muted_b(), policy(1));
    assert_eq!(s.asked[1], ["t.py::b"], "D16: muted failures are retried");
    assert_eq!(verdict(&out).status(), 0);
}

#[test]
fn muted_retries_can_be_disabled() {
    let mut s = Scripted::new(vec![exited(
        1,
        vec![test("a", Passed), test("b", Failed), u_ok()],
    )]);
    let out = run(
        &mut s,
        &muted_b(),
        RetryPolicy {
            count: 3,
            retry_muted: false,
            flaky: FlakyResult::Pass,
        },
    );
    assert_eq!(out.stop, StopReason::NothingToRetry);
    assert_eq!(verdict(&out).status(), 0);
}

#[test]
fn muted_only_is_not_green_when_the_last_results_were_unreadable() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("b", Failed)]),
        AttemptReport {
            exit: AttemptExit::Exited(1),
            results: AttemptResults::Unreadable("malformed".into()),
            run_error: None,
            collected_nothing: false,
            witness: None,
            progress: None,
        },
    ]);
    let out = run(&mut s, &muted_b(), policy(1));
    assert_eq!(verdict(&out).status(), 1);
}

#[test]
fn signals_end_the_run_without_retries() {
    for exit in [
        AttemptExit::Signaled(libc::SIGSEGV),
        AttemptExit::Cancelled(libc::SIGTERM),
    ] {
        let mut s = Scripted::new(vec![AttemptReport {
            exit: exit.clone(),
            results: AttemptResults::Parsed(ParsedResults {
                tests: vec![test("b", Failed)],
                ..ParsedResults::default()
            }),
            run_error: None,
            collected_nothing: false,
            witness: None,
            progress: None,
        }]);
        let out = run(&mut s, &[], policy(3));
        assert_eq!(out.stop, StopReason::Signal);
        let want = match exit {
            AttemptExit::Signaled(_) => 139,
            _ => 143,
        };
        assert_eq!(verdict(&out).status(), want);
    }
}

#[test]
fn a_signal_between_attempts_stops_before_the_retry() {
    let mut s = Scripted::new(vec![exited(1, vec![test("b", Failed)])]);
    s.cancel_between = Some(libc::SIGINT);
    let out = run(&mut s, &[], policy(3));
    assert_eq!(out.stop, StopReason::Signal);
    assert_eq!(s.asked.len(), 1);
    assert_eq!(verdict(&out).status(), 130);
}

#[test]
fn a_command_that_cannot_start_exits_16() {
    let mut s = Scripted::new(vec![AttemptReport {
        exit: AttemptExit::StartFailed("failed to start `nope`".into()),
        results: AttemptResults::NotRead,
        run_error: None,
        collected_nothing: false,
        witness: None,
        progress: None,
    }]);
    let out = run(&mut s, &[], policy(3));
    assert_eq!(out.stop, StopReason::StartFailed);
    assert_eq!(verdict(&out).status(), 16);
}

// D23: green means proven. Each case below exited 0 before the verdict.

fn unreadable(code: i32) -> AttemptReport {
    AttemptReport {
        exit: AttemptExit::Exited(code),
        results: AttemptResults::Unreadable("failed to read result file `r.json`".into()),
        run_error: None,
        collected_nothing: false,
        witness: None,
        progress: None,
    }
}

#[test]
fn exit_0_without_readable_results_is_not_proven() {
    let mut s = Scripted::new(vec![unreadable(0)]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::ResultsUnread {
            attempt: 0,
            reason: Some("failed to read result file `r.json`".into())
        }])
    );
    assert_eq!(verdict(&out).status(), 17);
}

#[test]
fn exit_0_with_a_recorded_failure_is_not_proven() {
    let mut s = Scripted::new(vec![exited(
        0,
        vec![test("a", Passed), test("b", Failed), u_ok()],
    )]);
    let out = run(&mut s, &[], policy(0));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::FailuresRemain(1)])
    );
}

#[test]
fn a_retry_that_runs_nothing_is_not_proven() {
    // `true ...` or `pytest --co ...` as the retry command: exit 0, no results.
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
        exited(0, Vec::new()),
    ]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![
            Unproven::RetryWithoutResults {
                attempt: 1,
                tests: vec!["t.py::b".into()]
            },
            Unproven::FailuresRemain(1)
        ])
    );
    let mut s = Scripted::new(vec![
        exited(1, vec![test("b", Failed), u_ok()]),
        unreadable(0),
    ]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(verdict(&out).status(), 17);
}

#[test]
fn a_retry_that_answers_for_every_asked_test_is_proven() {
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Passed), test("b", Failed), u_ok()]),
        exited(0, vec![test("b", Passed)]),
    ]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });
    assert!(out.history[1].asked_without_result.is_empty());
}

#[test]
fn muted_only_failures_stay_red_when_assigned_targets_never_ran() {
    // `pytest -x`: the muted test fails first and u.py never runs.
    let mut s = Scripted::new(vec![
        exited(1, vec![test("b", Failed)]),
        exited(1, vec![test("b", Failed)]),
    ]);
    let out = run(&mut s, &muted_b(), policy(1));
    assert_eq!(out.silent_targets, ["u.py"]);
    assert_eq!(s.asked_empty, [vec!["u.py".to_string()]]);
    assert_eq!(
        verdict(&out),
        Verdict::Failed {
            status: 1,
            code: 1,
            refused: vec![Unproven::SilentTargets(1)]
        }
    );
}

#[test]
fn muted_only_failures_pass_when_the_silent_targets_hold_no_tests() {
    // u.py is a helper module that matches the pattern: pytest collects
    // nothing from it, so its silence proves nothing was missed.
    let mut s = Scripted::new(vec![exited(1, vec![test("b", Failed)])]);
    s.empty_targets = vec!["u.py".to_string()];
    let out = run(&mut s, &muted_b(), policy(0));
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 1 });
}

#[test]
fn silent_targets_are_listed_but_do_not_fail_a_passing_run() {
    // A helper module that matches the pattern but defines no tests.
    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed)])]);
    s.empty_targets = vec!["u.py".to_string()];
    let out = run(&mut s, &[], policy(1));
    assert_eq!(out.silent_targets, ["u.py"]);
    assert_eq!(s.asked_empty, [vec!["u.py".to_string()]]);
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });
}

#[test]
fn a_silent_target_that_holds_tests_is_not_proven() {
    // `pytest.exit(returncode=0)` in t.py: u.py never runs, and pytest says 0.
    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed)])]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::SilentTargets(1)])
    );
}

#[test]
fn a_failing_run_never_asks_about_silent_targets() {
    let mut s = Scripted::new(vec![exited(1, vec![test("a", Failed)])]);
    let out = run(&mut s, &[], policy(0));
    assert!(
        s.asked_empty.is_empty(),
        "collection only runs when it decides"
    );
    assert_eq!(verdict(&out).status(), 1);
}

#[test]
fn nothing_collected_on_the_first_run_means_no_tests() {
    let empty = || vec!["t.py".to_string(), "u.py".to_string()];
    let mut report = exited(5, Vec::new());
    report.collected_nothing = true;
    let mut s = Scripted::new(vec![report]);
    s.empty_targets = empty();
    let out = run(&mut s, &[], policy(2));
    assert_eq!(verdict(&out), Verdict::NoTests);
    assert_eq!(verdict(&out).status(), 0);
    // Module-level skips are still nothing run.
    let mut report = exited(5, vec![test("mod", Outcome::Skipped)]);
    report.collected_nothing = true;
    let mut s = Scripted::new(vec![report]);
    s.empty_targets = empty();
    let out = run(&mut s, &[], policy(2));
    assert_eq!(verdict(&out), Verdict::NoTests);
}

/// D36: pytest's 5 after a hook dropped every collected test without
/// deselecting it: the targets hold tests, so the job is not one without
/// tests, witness or not.
#[test]
fn nothing_collected_from_targets_that_hold_tests_is_a_failure() {
    let mut report = exited(5, Vec::new());
    report.collected_nothing = true;
    let mut s = Scripted::new(vec![report]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(
        s.asked_empty,
        [vec!["t.py".to_string(), "u.py".to_string()]]
    );
    assert_eq!(verdict(&out).status(), 5);
}

#[test]
fn nothing_collected_on_a_retry_is_a_failure() {
    let mut retry = exited(5, Vec::new());
    retry.collected_nothing = true;
    let mut s = Scripted::new(vec![exited(1, vec![test("b", Failed), u_ok()]), retry]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(verdict(&out).status(), 5);
}

#[test]
fn without_a_result_file_the_exit_status_is_the_only_evidence() {
    for (code, want) in [(0, 0), (3, 3)] {
        let mut s = Scripted::new(vec![AttemptReport {
            exit: AttemptExit::Exited(code),
            results: AttemptResults::NoResultFile,
            run_error: None,
            collected_nothing: false,
            witness: None,
            progress: None,
        }]);
        let out = run(&mut s, &[], policy(2));
        assert_eq!(verdict(&out).status(), want);
    }
}

#[test]
fn exit_0_with_no_result_for_any_target_is_not_proven() {
    // `pytest --co` as the test command: the file is read, and empty.
    let mut s = Scripted::new(vec![exited(0, Vec::new())]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::NothingReported(2)])
    );
}

/// A witness that selected `selected` and saw `outcomes` (D23).
fn witness(selected: &[&str], deselected: usize, outcomes: &[(&str, &str)]) -> Witness {
    let outcomes: serde_json::Map<String, serde_json::Value> = outcomes
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    // pytest was given the files of `files()`, as the test command gives
    // a job's targets.
    let here = std::env::current_dir().unwrap();
    let given: Vec<String> = files()
        .iter()
        .map(|f| here.join(&f.path).display().to_string())
        .collect();
    serde_json::from_value(serde_json::json!({
        "rootdir_from_cwd": ".", "cwd_from_rootdir": ".", "given": given,
        "selected": selected, "deselected": deselected, "outcomes": outcomes,
    }))
    .unwrap()
}

#[test]
fn selected_tests_that_never_reported_keep_a_muted_only_run_red() {
    // `pytest -x` stops at the muted failure; t.py::c in the same file never runs.
    let mut report = exited(1, vec![test("b", Failed), u_ok()]);
    report.witness = Some(witness(
        &["t.py::b", "t.py::c", "u.py::c"],
        0,
        &[("t.py::b", "failed"), ("u.py::c", "passed")],
    ));
    let out = run(&mut Scripted::new(vec![report]), &muted_b(), policy(0));
    assert_eq!(
        verdict(&out),
        Verdict::Failed {
            status: 1,
            code: 1,
            refused: vec![Unproven::NeverRan {
                attempt: 0,
                tests: vec!["t.py::c".into()]
            }]
        }
    );
}

#[test]
fn a_teardown_error_the_result_file_calls_a_pass_is_retried() {
    let mut first = exited(0, vec![test("a", Passed), u_ok()]);
    first.witness = Some(witness(
        &["t.py::a", "u.py::c"],
        0,
        &[("t.py::a", "failed"), ("u.py::c", "passed")],
    ));
    let mut s = Scripted::new(vec![first, exited(0, vec![test("a", Passed)])]);
    let out = run(&mut s, &[], policy(1));
    assert_eq!(s.asked[1], ["t.py::a"]);
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });
    // Without a retry it stays a failure, whatever pytest said.
    let mut first = exited(0, vec![test("a", Passed), u_ok()]);
    first.witness = Some(witness(&["t.py::a"], 0, &[("t.py::a", "failed")]));
    let out = run(&mut Scripted::new(vec![first]), &[], policy(0));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::FailuresRemain(1)])
    );
}

#[test]
fn deselecting_every_test_is_not_no_tests() {
    let mut report = exited(5, Vec::new());
    report.collected_nothing = true;
    report.witness = Some(witness(&[], 2, &[]));
    let out = run(&mut Scripted::new(vec![report]), &[], policy(0));
    assert_eq!(verdict(&out).status(), 5);
}

#[test]
fn the_witness_proves_silent_targets_quiet_without_a_collection() {
    let mut report = exited(0, vec![test("a", Passed)]);
    report.witness = Some(witness(&["t.py::a"], 0, &[("t.py::a", "passed")]));
    let mut s = Scripted::new(vec![report]);
    let out = run(&mut s, &[], policy(0));
    assert!(s.asked_empty.is_empty());
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });
}

#[test]
fn an_attempt_error_keeps_the_error_and_its_causes() {
    let error = AttemptError::new(crate::results::ResultsError::Read {
        path: "r.json".into(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
    });
    assert_eq!(
        error.to_string(),
        "failed to read result file `r.json`: no such file"
    );
    let cause = error.error().source().expect("the I/O error is kept");
    assert_eq!(cause.to_string(), "no such file");
    assert_eq!(error.clone(), error);
}

/// D37: a test the listing named that no attempt reported (a filter in the
/// runner's configuration hid it) keeps a green command from being green,
/// and a muted failure from being forgiven.
#[test]
fn every_listed_test_must_report_a_result() {
    let listed = |tests: &[&str]| Some(tests.iter().map(|t| t.to_string()).collect());
    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed), u_ok()])]);
    s.listing = listed(&["t.py::a", "u.py::c"]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });

    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed), u_ok()])]);
    s.listing = listed(&["t.py::a", "t.py::hidden", "u.py::c"]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(
        verdict(&out),
        Verdict::Unproven(vec![Unproven::Unreported {
            tool: "lister",
            tests: vec!["t.py::hidden".to_string()]
        }])
    );

    // A listing of nothing, while the run reported tests, proves nothing.
    let mut s = Scripted::new(vec![exited(0, vec![test("a", Passed), u_ok()])]);
    s.listing = listed(&[]);
    let out = run(&mut s, &[], policy(2));
    assert!(
        matches!(&verdict(&out), Verdict::Unproven(rules)
            if matches!(rules.as_slice(), [Unproven::NotListed { reason, .. }] if reason.contains("it listed no test, while the run reported 2"))),
        "{:?}",
        verdict(&out)
    );

    // A test that failed and passed on a retry answered.
    let mut s = Scripted::new(vec![
        exited(1, vec![test("a", Failed), u_ok()]),
        exited(0, vec![test("a", Passed)]),
    ]);
    s.listing = listed(&["t.py::a", "u.py::c"]);
    let out = run(&mut s, &[], policy(2));
    assert_eq!(verdict(&out), Verdict::Passed { muted_failures: 0 });

    // Only a muted test failed, but a listed test never reported.
    let muted = [TestCase {
        scope: "t.py".into(),
        name: "a".into(),
        ..TestCase::default()
    }];
    let mut s = Scripted::new(vec![exited(1, vec![test("a", Failed), u_ok()])]);
    s.listing = listed(&["t.py::a", "u.py::c", "u.py::gone"]);
    let out = run(
        &mut s,
        &muted,
        RetryPolicy {
            count: 0,
            retry_muted: false,
            flaky: FlakyResult::Pass,
        },
    );
    assert!(
        matches!(&verdict(&out), Verdict::Failed { refused, .. }
            if refused.contains(&Unproven::Unreported { tool: "lister", tests: vec!["u.py::gone".into()] })),
        "{:?}",
        verdict(&out)
    );
}
