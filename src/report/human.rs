//! The human reporter: every event of a run as the lines a person reads in
//! a CI log, and the timeline that the run's metadata carries (10.5).

use super::shell::{SUCCESS, Shell, debug_line, paint, rfc3339_now};
use crate::chain::ErrorChain;
use crate::events::{
    AnnotateError, AttemptEvent, AttemptExit, FallbackReason, ListingFact, Notice, Origin,
    PlanOrigin, PromiseError, ResultsFact, RunEvent, RunOutcome, RunnerKind, TimelineEvent,
    Verdict,
};
use crate::plan::TestCase;
use crate::quote::shell_quote;
use crate::results::ResultFormat;

use super::interrupted::{Cause, render_interrupted};
use super::notices::{Channel, fallback_lines, words};
use super::summary::split_summary;
use super::{ReportContext, attempt_header, render_report, render_verdict};

/// Turns events into output.
pub(crate) struct Reporter {
    /// Where every word goes: only the reporter holds it (S11).
    shell: Shell,
    runner_name: &'static str,
    /// Whether tests are named by node id in the report (pytest).
    node_ids: bool,
    /// Whether the runner writes either of two result formats, chosen by
    /// an option of its command (pytest: `--json` or `--junit-xml`).
    chooses_format: bool,
    /// How the runner writes its results when its command does not name
    /// `{{resultPath}}` (Playwright's `json` reporter, D46).
    results_note: Option<&'static str>,
    /// The command of the latest attempt, for the report's reproduce line.
    last_command: Option<Vec<String>>,
    debug: bool,
    /// Whether stdout carries a command's output (`plan`, D19), so every
    /// notice goes to stderr.
    stdout_is_output: bool,
    timeline: Vec<TimelineEvent>,
}

impl Reporter {
    /// A reporter writing to `shell`, before the settings are known.
    pub(crate) fn new(shell: Shell) -> Reporter {
        Reporter {
            shell,
            runner_name: "the test command",
            node_ids: false,
            chooses_format: false,
            results_note: None,
            last_command: None,
            debug: false,
            stdout_is_output: false,
            timeline: Vec::new(),
        }
    }

    /// Names tests as `runner` does; `debug` adds the debug lines.
    pub(crate) fn for_runner(&mut self, runner: RunnerKind, debug: bool) {
        self.runner_name = runner.display_name();
        self.node_ids = runner.names_tests_by_node_id();
        self.chooses_format = runner.announces_result_format();
        self.results_note = runner.results_note();
        self.debug = debug;
    }

    /// Whether stderr may be coloured (for writers that live apart from
    /// the reporter, such as the API client's notices).
    pub(crate) fn color(&self) -> bool {
        self.shell.color()
    }

    /// A reporter for a command whose stdout is its output (`plan`): every
    /// notice goes to stderr (D19).
    pub(crate) fn notices_to_stderr(&mut self) {
        self.stdout_is_output = true;
    }

    fn say(&mut self, text: &str) {
        if self.stdout_is_output {
            self.shell.err(text);
        } else {
            self.shell.out(text);
        }
    }

    /// The timeline of the attempts so far: `test_start`, `test_end`,
    /// `retry_<k>_start`, `retry_<k>_end` (10.5).
    pub(crate) fn take_timeline(&mut self) -> Vec<TimelineEvent> {
        std::mem::take(&mut self.timeline)
    }

    /// Writes what `notice` says where it goes.
    pub(crate) fn notice(&mut self, notice: Notice<'_>) {
        let (channel, text) = words(&notice);
        match channel {
            Channel::Data => self.shell.data(&text),
            Channel::Output => self.shell.out(&text),
            Channel::Stderr => self.shell.err(&text),
            Channel::Warning => self.shell.warn(&text),
            Channel::Debug if self.debug => self.shell.err(&debug_line(&text)),
            Channel::Debug => {}
        }
    }

    /// Writes what `event` means for the user to `shell`.
    pub(crate) fn report(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Started => self.say(&format!(
                "--- Buildkite Test Engine Client: bktec {}\n\n",
                crate::VERSION
            )),
            RunEvent::RunnerReady { kind, format } => {
                if let (true, Some(format)) = (kind.announces_result_format(), format) {
                    let what = format.display_name();
                    self.say(&format!(
                        "Buildkite Test Engine Client: Using {what} output for pytest results.\n"
                    ));
                }
            }
            RunEvent::PlanningLocally { files, jobs, job } => {
                self.say(&planning_locally(files, jobs, job));
            }
            RunEvent::Fallback(reason) => self.fallback(reason),
            RunEvent::SplitSummary(plan) => {
                if let Some(summary) = split_summary(plan) {
                    self.say(&summary);
                }
            }
            RunEvent::Timing { predicted, actual } => self.say(&format!(
                "Buildkite Test Engine Client: This node was predicted to take {:.1}s and took {:.1}s.\n",
                predicted.as_secs_f64(),
                actual.as_secs_f64(),
            )),
            RunEvent::PlanReady { origin, job, jobs } => self.plan_ready(origin, job, jobs),
            RunEvent::DryRun {
                job,
                jobs,
                targets,
                argv,
                retries,
            } => self.say(&dry_run(job, jobs, targets, argv, retries)),
            RunEvent::NoTaskForJob(job) => {
                self.shell.warn(&format!("The plan has no task for node {job}."));
            }
            RunEvent::NoTests => {
                self.say("--- Buildkite Test Engine Client: No tests to run on this node\n");
            }
            RunEvent::Attempt(event) => self.attempt(event),
            RunEvent::UploadsWithoutToken => self.say(UPLOADS_WITHOUT_TOKEN),
            RunEvent::DeclaringFailure { failed } => self.say(&declaring_failure(failed)),
            RunEvent::FailureDeclared(result) => self.say(&failure_declared(&result)),
            RunEvent::Annotated {
                context,
                flaky,
                result,
            } => self.annotated(context, flaky, &result),
            RunEvent::MetadataFailed(err) => self.say(&format!(
                "Failed to send metadata to Test Engine: {:#}\n",
                ErrorChain(&err)
            )),
            RunEvent::Finished {
                outcome,
                verdict,
                skipped_by_test_engine,
            } => self.finished(outcome, verdict, skipped_by_test_engine),
            RunEvent::JUnitWritten {
                path,
                origin,
                tests,
                result,
            } => self.junit_written(path, origin, tests, &result),
            RunEvent::Exiting(verdict) => self.exiting(verdict),
        }
    }

    /// The warning lines of a fallback to the local plan (4.2).
    fn fallback(&mut self, reason: &FallbackReason) {
        for (i, line) in fallback_lines(reason).iter().enumerate() {
            if i == 0 {
                self.shell.warn(line);
            } else {
                self.shell.warn_more(line);
            }
        }
    }

    /// Where this job's plan came from, a debug line.
    fn plan_ready(&mut self, origin: &PlanOrigin, job: u32, jobs: u32) {
        if !self.debug {
            return;
        }
        let source = match origin {
            PlanOrigin::TestEngine { identifier } => format!("Test Engine plan `{identifier}`"),
            PlanOrigin::Local => "local plan".to_string(),
            PlanOrigin::Fallback { reason: _ } => "local fallback plan".to_string(),
            PlanOrigin::File(path) => format!("plan file `{}`", path.display()),
        };
        self.shell.err(&debug_line(&format!(
            "Running node {job} of {jobs} from the {source}"
        )));
    }

    /// Whether the build was annotated.
    fn annotated(&mut self, context: &str, flaky: bool, result: &Result<(), AnnotateError>) {
        let what = if flaky { "flaky tests" } else { "failures" };
        match result {
            Ok(()) => self.say(&format!(
                "Buildkite Test Engine Client: Annotated the build with this node's {what} (context `{context}`)\n"
            )),
            Err(err) => self.shell.warn(&format!(
                "Buildkite Test Engine Client: failed to annotate the build: {:#}",
                ErrorChain(err)
            )),
        }
    }

    /// The end-of-run report and the verdict; after a signal only the
    /// signal (9.5 rule 1).
    fn finished(&mut self, outcome: &RunOutcome, verdict: &Verdict, skipped: &[TestCase]) {
        let name = self.runner_name;
        let cause = match verdict {
            Verdict::Signal(signal) => Some(Cause::Signal(*signal)),
            Verdict::TimedOut(after) => Some(Cause::Deadline(*after)),
            Verdict::Passed { .. }
            | Verdict::NoTests
            | Verdict::Failed { .. }
            | Verdict::Unproven(_)
            | Verdict::FlakyFailed { .. }
            | Verdict::StartFailed(_) => None,
        };
        let interrupted = outcome.interrupted.as_ref().zip(cause);
        // A runner killed by a signal of its own says only that (9.5 rule
        // 1); a run bktec ended says what it left (D48).
        if let (Verdict::Signal(_), None) = (verdict, interrupted) {
            self.terminated(verdict);
            return;
        }
        let context = ReportContext {
            runner_name: name,
            node_ids: self.node_ids,
            last_command: self.last_command.as_deref(),
            list_all: self.debug,
            by_exit_status: by_exit_status(outcome),
        };
        if let Some(text) = render_report(&outcome.record, skipped, verdict, context) {
            self.say(&text);
        }
        if let Some((interrupted, cause)) = interrupted {
            self.say(&render_interrupted(interrupted, cause, name, self.debug));
        }
        if let Verdict::Signal(_) = verdict {
            self.terminated(verdict);
            return;
        }
        let debug = self.debug;
        // An attempt bktec ended has said which targets it never reached.
        let silent: &[String] = match outcome.interrupted {
            Some(_) => &[],
            None => &outcome.silent_targets,
        };
        self.say(&render_verdict(verdict, silent, name, debug));
        if matches!(verdict, Verdict::Passed { .. }) {
            self.say(&paint(SUCCESS, &proof_line(outcome, name)));
        }
    }

    /// The line that says a signal ended the test command.
    fn terminated(&mut self, verdict: &Verdict) {
        if let Verdict::Signal(signal) = verdict {
            self.say(&format!(
                "Buildkite Test Engine Client: {} was terminated with signal: {}\n",
                self.runner_name,
                crate::exit_code::signal_name(*signal)
            ));
        }
    }

    /// Whether the merged JUnit report was written.
    fn junit_written(
        &mut self,
        path: &std::path::Path,
        origin: &Origin,
        tests: usize,
        result: &std::io::Result<()>,
    ) {
        match result {
            Ok(()) => self.say(&format!(
                "Buildkite Test Engine Client: Wrote the JUnit report of all attempts ({tests} {}) to `{}`\n",
                plural(tests, "test", "tests"),
                path.display()
            )),
            Err(err) => self.shell.fatal(&format!(
                "bktec run: failed to write the JUnit report `{}` (from {}): {err}",
                path.display(),
                origin.describe()
            )),
        }
    }

    /// The last line before bktec exits with the verdict's status.
    fn exiting(&mut self, verdict: &Verdict) {
        let name = self.runner_name;
        match verdict {
            Verdict::Failed {
                status: _,
                code,
                refused: _,
            } => self
                .shell
                .fatal(&format!("{name} exited with error: exit status {code}")),
            Verdict::StartFailed(message) => self.shell.fatal(message),
            Verdict::Unproven(_) => self.shell.fatal(&format!(
                "bktec run: the tests did not prove success (exit status {})",
                verdict.status()
            )),
            Verdict::TimedOut(after) => self.shell.fatal(&format!(
                "bktec run: an attempt ran past runner.attempt-timeout ({after:?}) and was ended (exit status {})",
                verdict.status()
            )),
            Verdict::FlakyFailed { flaky } => self.shell.fatal(&format!(
                "bktec run: {} passed only on a retry, and retry.flaky-result is `fail` (exit status {})",
                super::verdict::count(*flaky, "flaky test", "flaky tests"),
                verdict.status()
            )),
            Verdict::Passed { muted_failures: _ } | Verdict::NoTests | Verdict::Signal(_) => {}
        }
    }

    fn attempt(&mut self, event: AttemptEvent) {
        match event {
            AttemptEvent::Started { retry, tests: _ } => {
                self.timeline.push(timeline_event(retry.attempt, "start"));
                self.say(&attempt_header(retry));
            }
            AttemptEvent::Command { argv, reproduction } => {
                self.say(&format!("{}\n\n", shell_quote(&argv)));
                self.last_command = Some(reproduction);
            }
            AttemptEvent::ProcessesLeft { count } => self.say(&format!(
                "Buildkite Test Engine Client: Warning: the test command left {count} {} running after it exited; {} terminated\n",
                plural(count, "process", "processes"),
                if count == 1 { "it was" } else { "they were" },
            )),
            AttemptEvent::Uploading => self.say("Buildkite Test Engine Client: Uploading test results to Test Engine\n",
            ),
            AttemptEvent::UploadFailed { error } => self.say(&format!(
                "Buildkite Test Engine Client: Failed to upload test results to Test Engine: {error}\n"
            )),
            AttemptEvent::NoResultFile {
                path,
                format,
                template_names_it,
                usage_error,
            } => {
                let hint = no_result_file_hint(
                    self.runner_name,
                    (self.chooses_format, self.results_note),
                    &path,
                    format,
                    template_names_it,
                    usage_error,
                );
                self.say(&hint);
            }
            AttemptEvent::ResultsUnreadable { message } => self.say(&format!(
                "Buildkite Test Engine Client: Failed to read test output, failed tests will not be retried: {message}\n"
            )),
            AttemptEvent::Listed {
                tool,
                tests,
                elapsed,
            } => self.say(&format!(
                "Buildkite Test Engine Client: `{tool}` listed {tests} {} in {:.2}s; each must report a result\n",
                plural(tests, "test", "tests"),
                elapsed.as_secs_f64()
            )),
            AttemptEvent::ListingFailed { tool, error } => self.say(&format!(
                "Buildkite Test Engine Client: Warning: `{tool}` could not list the tests, so this run cannot prove them: {error}\n"
            )),
            AttemptEvent::Finished { retry, exit } => {
                self.timeline.push(timeline_event(retry.attempt, "end"));
                // The attempt's section opened collapsed (`---`); when it
                // failed, the user must look at it: reopen it.
                if !matches!(exit, AttemptExit::Exited(0)) {
                    self.say(REOPEN);
                }
            }
        }
    }
}

/// Whether the runner wrote no result file in any attempt (Cypress): its
/// exit status alone decided (D46).
fn by_exit_status(outcome: &RunOutcome) -> bool {
    outcome
        .history
        .iter()
        .all(|facts| facts.results == ResultsFact::NoResultFile)
}

/// How a green run was proven (D23, D37): per test by a witness or a
/// listing, per file, or by the exit status alone.
fn proof_line(outcome: &RunOutcome, runner: &str) -> String {
    let how = match &outcome.listing {
        ListingFact::Listed {
            tool,
            listed,
            unreported: _,
        } => format!(
            "per test: each of the {listed} {} that `{tool}` listed reported a result",
            plural(*listed, "test", "tests")
        ),
        ListingFact::PerFile | ListingFact::Failed { .. } if outcome.witnessed => {
            format!("per test, by bktec's witness inside {runner}")
        }
        ListingFact::PerFile | ListingFact::Failed { .. } if by_exit_status(outcome) => {
            format!("by {runner}'s exit status alone, as it writes no result file")
        }
        ListingFact::PerFile | ListingFact::Failed { .. } => {
            format!(
                "per file: no witness or listing saw {runner}'s tests in this run, so bktec checked that every assigned file reported results"
            )
        }
    };
    format!("Buildkite Test Engine Client: Proven {how}\n")
}

/// The warning that uploads are on without a token.
const UPLOADS_WITHOUT_TOKEN: &str = "Buildkite Test Engine Client: Warning: upload-results is enabled but no upload token was provided. Test results will not be uploaded.\n";

/// The line of a local split: for one job of `run`, or for `plan`.
fn planning_locally(files: usize, jobs: u32, job: Option<u32>) -> String {
    match job {
        Some(job) => format!(
            "Buildkite Test Engine Client: No Test Engine suite is configured; splitting {files} test {} locally across {jobs} {} (this is node {job}).\n",
            plural(files, "file", "files"),
            plural(jobs as usize, "node", "nodes"),
        ),
        None => {
            "Buildkite Test Engine Client: No Test Engine suite is configured; planning locally.\n"
                .to_string()
        }
    }
}

/// The line before bktec tells the agent the job will fail (13.2).
fn declaring_failure(failed: usize) -> String {
    match failed {
        0 => "+++ Buildkite Test Engine Client: ⚠️  Declaring early failure: the tests did not prove success\n".to_string(),
        n => format!(
            "+++ Buildkite Test Engine Client: ⚠️  Declaring early failure: {n} hard test failure(s) remain after retries\n"
        ),
    }
}

/// How telling the agent went.
fn failure_declared(result: &Result<(), PromiseError>) -> String {
    match result {
        Ok(()) => "Buildkite Test Engine Client: promise-failure command completed (see agent output above for the result).\n".to_string(),
        Err(err) => format!(
            "Buildkite Test Engine Client: Warning: failed to run promise-failure command: {:#}\n",
            ErrorChain(err)
        ),
    }
}

/// Why an attempt may have written no result file, and what to change: the
/// two commonest first-run mistakes (issue 13, item 5).
fn no_result_file_hint(
    runner_name: &str,
    (chooses_format, results_note): (bool, Option<&str>),
    path: &std::path::Path,
    format: ResultFormat,
    template_names_it: bool,
    usage_error: bool,
) -> String {
    let path = path.display();
    let option = match format {
        ResultFormat::CollectorJson => Some("--json={{resultPath}}"),
        ResultFormat::JUnitXml => Some("--junit-xml={{resultPath}}"),
        _ => None,
    };
    let text = if let (false, Some(note)) = (template_names_it, results_note) {
        // D46: the runner is pointed at the path without the command.
        format!("{runner_name} wrote no result file at `{path}`. {note}")
    } else if !template_names_it {
        let add = match option {
            Some(option) if chooses_format => format!("add `{option}` to it"),
            _ => format!(
                "add the option that makes it write its {} there",
                format.display_name()
            ),
        };
        format!(
            "{runner_name} wrote no result file at `{path}`. The test command must write {{{{resultPath}}}}, and it does not name it: {add} (the `runner.test-command` setting, BUILDKITE_TEST_ENGINE_TEST_CMD or --test-command)."
        )
    } else if usage_error && format == ResultFormat::CollectorJson {
        format!(
            "{runner_name} stopped with a usage error (status 4) before writing `{path}`. If it said \"unrecognized arguments: --json\", buildkite-test-collector is not installed where the command runs, or plugins do not load automatically there (PYTEST_DISABLE_PLUGIN_AUTOLOAD): install it (`pip install buildkite-test-collector`), load it by name (`-p buildkite_test_collector.pytest_plugin`), or write JUnit XML with `--junit-xml={{{{resultPath}}}}` instead of `--json={{{{resultPath}}}}`."
        )
    } else {
        format!(
            "{runner_name} exited without writing its result file `{path}` (the command's {{{{resultPath}}}}); its output above says why it stopped early."
        )
    };
    format!("Buildkite Test Engine Client: hint: {text}\n")
}

/// What `run --dry-run` prints: this job's plan and its exact command.
fn dry_run(
    job: u32,
    jobs: u32,
    targets: &[String],
    argv: Option<&[String]>,
    retries: u32,
) -> String {
    let mut out = format!(
        "+++ Buildkite Test Engine Client: Dry run: node {job} of {jobs} would run {} {} (nothing is run)\n",
        targets.len(),
        plural(targets.len(), "target", "targets"),
    );
    for target in targets {
        out.push_str(&format!("{target}\n"));
    }
    if let Some(argv) = argv {
        out.push_str(&format!("\nCommand:\n{}\n", shell_quote(argv)));
        if retries > 0 {
            out.push_str(&format!(
                "Failed tests would be retried up to {retries} {}.\n",
                plural(retries as usize, "time", "times")
            ));
        }
    }
    out
}

/// Buildkite's marker that expands the previous log section, on a line of
/// its own (the test command's output may not end with a newline).
const REOPEN: &str = "\n^^^ +++\n";

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// `test_start`, `test_end`, `retry_<k>_start`, `retry_<k>_end` (10.5).
fn timeline_event(attempt: u32, edge: &str) -> TimelineEvent {
    let event = if attempt == 0 {
        format!("test_{edge}")
    } else {
        format!("retry_{attempt}_{edge}")
    };
    TimelineEvent {
        timestamp: rfc3339_now(),
        event,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::events::FallbackReason;
    use crate::events::{AttemptEvent, RetryData};
    use crate::results::ResultFormat;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// stdout and stderr of `events` as the reporter writes them, the
    /// timeline's event names after them.
    fn render(setup: (RunnerKind, bool, bool), events: Vec<RunEvent<'_>>) -> String {
        let (kind, debug, notices_to_stderr) = setup;
        let (out, err) = (Captured::default(), Captured::default());
        let shell = Shell::from_writers(Box::new(out.clone()), Box::new(err.clone()));
        let mut reporter = Reporter::new(shell);
        reporter.for_runner(kind, debug);
        if notices_to_stderr {
            reporter.notices_to_stderr();
        }
        for event in events {
            reporter.report(event);
        }
        let timeline: Vec<String> = reporter
            .take_timeline()
            .into_iter()
            .map(|t| t.event)
            .collect();
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}--- timeline ---\n{}\n",
            out.text(),
            err.text(),
            timeline.join(" ")
        )
    }

    fn retry(attempt: u32) -> RetryData {
        RetryData {
            attempt,
            max_retries: 2,
        }
    }

    fn attempt_events(attempt: u32, argv: &[&str]) -> Vec<RunEvent<'static>> {
        vec![
            RunEvent::Attempt(AttemptEvent::Started {
                retry: retry(attempt),
                tests: argv.len(),
            }),
            RunEvent::Attempt(AttemptEvent::Command {
                argv: argv.iter().map(|a| a.to_string()).collect(),
                reproduction: argv.iter().map(|a| a.to_string()).collect(),
            }),
        ]
    }

    /// pytest, as configuration names it.
    fn pytest() -> RunnerKind {
        "pytest".parse().expect("pytest is a runner")
    }

    #[test]
    fn a_local_run_with_a_retry() {
        let setup = (pytest(), false, false);
        let mut events = vec![
            RunEvent::Started,
            RunEvent::RunnerReady {
                kind: pytest(),
                format: Some(ResultFormat::CollectorJson),
            },
            RunEvent::PlanningLocally {
                files: 3,
                jobs: 2,
                job: Some(1),
            },
        ];
        events.extend(attempt_events(
            0,
            &["pytest", "tests/a b.py", "--json=/tmp/r.json"],
        ));
        events.push(RunEvent::Attempt(AttemptEvent::ProcessesLeft { count: 2 }));
        events.push(RunEvent::Attempt(AttemptEvent::Finished {
            retry: retry(0),
            exit: crate::events::AttemptExit::Exited(1),
        }));
        events.extend(attempt_events(1, &["pytest", "tests/a b.py::test_x"]));
        events.push(RunEvent::Attempt(AttemptEvent::ResultsUnreadable {
            message: "failed to read result file `/tmp/r.json`".into(),
        }));
        events.push(RunEvent::Attempt(AttemptEvent::Finished {
            retry: retry(1),
            exit: crate::events::AttemptExit::Exited(1),
        }));
        let verdict = Verdict::Failed {
            status: 1,
            code: 1,
            refused: Vec::new(),
        };
        events.push(RunEvent::Exiting(&verdict));
        insta::assert_snapshot!(render(setup, events));
    }

    #[test]
    fn a_fallback_with_debug_lines_and_uploads() {
        let setup = (pytest(), true, false);
        let reason = FallbackReason::NotFound("suite `web` not found".into());
        let origin = PlanOrigin::Local;
        let verdict = Verdict::Unproven(Vec::new());
        let events = vec![
            RunEvent::Fallback(&reason),
            RunEvent::PlanReady {
                origin: &origin,
                job: 0,
                jobs: 1,
            },
            RunEvent::UploadsWithoutToken,
            RunEvent::Attempt(AttemptEvent::Uploading),
            RunEvent::Attempt(AttemptEvent::UploadFailed {
                error: "upload failed with status 500: oops".into(),
            }),
            RunEvent::DeclaringFailure { failed: 0 },
            RunEvent::DeclaringFailure { failed: 3 },
            RunEvent::NoTaskForJob(4),
            RunEvent::NoTests,
            RunEvent::Exiting(&verdict),
        ];
        let text = render(setup, events);
        // Debug lines carry the time; the rest is stable.
        let text: String = text
            .lines()
            .map(|l| match l.find(" DEBUG: ") {
                Some(i) => format!("[time]{}\n", &l[i..]),
                None => format!("{l}\n"),
            })
            .collect();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_dry_run_and_the_hints_for_a_missing_result_file() {
        let setup = (pytest(), false, false);
        let targets = ["tests/a b.py".to_string(), "tests/c.py".to_string()];
        let argv: Vec<String> = ["pytest", "tests/a b.py", "tests/c.py", "--json=/tmp/r.json"]
            .map(String::from)
            .to_vec();
        let missing = |format, template_names_it, usage_error| {
            RunEvent::Attempt(AttemptEvent::NoResultFile {
                path: "/tmp/r.json".into(),
                format,
                template_names_it,
                usage_error,
            })
        };
        let events = vec![
            RunEvent::DryRun {
                job: 1,
                jobs: 2,
                targets: &targets,
                argv: Some(&argv),
                retries: 1,
            },
            RunEvent::DryRun {
                job: 0,
                jobs: 2,
                targets: &[],
                argv: None,
                retries: 0,
            },
            missing(ResultFormat::JUnitXml, false, false),
            missing(ResultFormat::CollectorJson, true, true),
            missing(ResultFormat::CollectorJson, true, false),
        ];
        insta::assert_snapshot!(render(setup, events));
    }

    #[test]
    fn plan_sends_every_notice_to_stderr() {
        let setup = (pytest(), false, true);
        let events = vec![RunEvent::RunnerReady {
            kind: pytest(),
            format: Some(ResultFormat::JUnitXml),
        }];
        insta::assert_snapshot!(render(setup, events));
    }
}
