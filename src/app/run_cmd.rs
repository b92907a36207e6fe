//! `bktec run` (and bare `bktec`): the stages of a run, in order (S9):
//! set up the runner, plan this job's share, run it with retries, decide the
//! verdict (D23), report, and send back what Test Engine and the agent need.
//! Each stage says what happened through the reporter (S11).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Context;
use super::connect::{api_client, build_runner, tokens};
use super::durations_cmd::store;
use super::error::BktecError;
use super::local::plan_locally;
use super::report_back::{Server, annotate_failures, declare_failure, post_metadata, uploader};
use super::request::build_request;
use crate::api::{ApiClient, ApiError, PlanLookup, PlanSource, acquire_plan};
use crate::cli::UsageError;
use crate::config::RunSettings;
use crate::config::elements::Secret;
use crate::config::registry::CommandKind;
use crate::config::resolve::PlanMode;
use crate::config::resolve::Sourced;
use crate::discover::TargetSource;
use crate::execute::{ProcessAttempts, Verdict, check_result_path, execute, kept_path, verdict};
use crate::exit_code;
use crate::glob::{clean, through_symlinks};
use crate::plan::{TestCase, TestFormat, TestPlan, plain, read_plan_file, split_summary, trim};
use crate::process::Signals;
use crate::report::{PlanOrigin, Reporter, RunEvent, merged_junit};
use crate::results::RunResult;
use crate::runner::{self, CollectedExample, Runner, TargetOrigin};
use crate::shell::Shell;

/// This job's plan, and what came with it.
struct Planned {
    plan: TestPlan,
    origin: PlanOrigin,
    /// The Test Engine connection, for a server plan: metadata is posted at
    /// the end.
    server: Option<Server>,
    /// An upload token minted while connecting.
    minted_upload_token: Option<Secret>,
    /// Every test pytest collected, when it discovered the targets (issue
    /// #12): the first attempt is limited to this job's share of them.
    collected: Option<Vec<CollectedExample>>,
}

/// How a stage ended when it did not hand on its result.
enum Stop {
    /// A SIGINT or SIGTERM arrived: exit 128 + n (D15).
    Signal(i32),
}

/// Runs this job's share of the tests.
pub(super) fn run_tests(
    context: &Context,
    overrides: crate::config::CliOverrides,
    options: super::RunOptions,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let super::RunOptions {
        store_durations,
        dry_run,
    } = options;
    let mut settings = context.settings(overrides, CommandKind::Run)?;
    settings.store_durations = store_durations;
    if store_durations && settings.parallelism > 1 {
        return Err(BktecError::Usage(UsageError::StoreDurationsInParallel {
            jobs: settings.parallelism,
        }));
    }
    refuse_fail_fast_with_retries(&settings)?;
    let mut reporter = Reporter::new(settings.runner, settings.debug);
    reporter.report(shell, RunEvent::Started);
    let mut runner = build_runner(context, &settings)?;
    if let Some(file) = runner.result_file() {
        check_result_path(&file.path).map_err(BktecError::ResultPath)?;
    }
    if let Some(out) = &settings.junit_out {
        check_junit_out(
            out,
            runner.result_file().map(|f| f.path.as_path()),
            settings.retry.count,
        )?;
    }
    reporter.report(
        shell,
        RunEvent::RunnerReady {
            kind: runner.kind,
            format: runner.result_file().map(|f| f.format),
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BktecError::Runtime)?;
    // From here a SIGINT or SIGTERM no longer ends bktec outright: it is
    // seen, and bktec returns, so the temporary result directory is removed
    // (D18) even when the signal comes while the plan is fetched.
    let mut signals = runtime
        .block_on(async { Signals::install() })
        .map_err(BktecError::Runtime)?;
    let planned = match plan_this_job(
        context,
        &settings,
        &runner,
        &runtime,
        &mut signals,
        &mut reporter,
        shell,
    )? {
        Ok(planned) => planned,
        Err(Stop::Signal(signal)) => return Ok(signal_status(signal)),
    };
    if let Some(signal) = signals.pending() {
        return Ok(signal_status(signal));
    }
    let Planned {
        plan,
        origin,
        mut server,
        minted_upload_token,
        collected,
    } = planned;
    reporter.report(
        shell,
        RunEvent::PlanReady {
            origin: &origin,
            job: settings.node_index,
            jobs: settings.parallelism,
        },
    );
    let tests = assigned_tests(&plan, &origin, &settings, &mut reporter, shell)?;
    if dry_run {
        // The plan is made as for a run (which may ask Test Engine, or
        // pytest to collect a file to split), but the test command is not
        // run, and nothing is reported back.
        let targets: Vec<String> = tests.iter().map(|t| t.runnable().to_string()).collect();
        let argv = match targets.is_empty() {
            true => None,
            false => Some(runner.argv(&targets, 0).map_err(BktecError::Target)?),
        };
        reporter.report(
            shell,
            RunEvent::DryRun {
                job: settings.node_index,
                jobs: settings.parallelism,
                targets: &targets,
                argv: argv.as_deref(),
                retries: settings.retry.count,
            },
        );
        return Ok(exit_code::SUCCESS);
    }
    if tests.is_empty() {
        if settings.fail_on_no_tests {
            return Err(BktecError::NoTestsAssigned);
        }
        reporter.report(shell, RunEvent::NoTests);
        let written = write_junit_out(&settings, &RunResult::default(), &mut reporter, shell);
        if let Err(err) = runtime.block_on(post_metadata(server.as_mut(), &settings, None)) {
            reporter.report(shell, RunEvent::MetadataFailed(err));
        }
        return Ok(if written {
            exit_code::SUCCESS
        } else {
            exit_code::CONFIG_ERROR
        });
    }

    if let Some(collected) = &collected
        && let Some(node_ids) = share_of(collected, &tests)
    {
        runner
            .limit_first_attempt(&node_ids)
            .map_err(BktecError::Runtime)?;
    }

    // Run this job's share, with retries (9).
    let upload_token = settings.upload_token.clone().or(minted_upload_token);
    let uploader = uploader(
        context,
        &settings,
        &runner,
        upload_token.as_ref(),
        &mut reporter,
        shell,
    );
    let token = upload_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let policy = settings.retry;
    // D32: the plan's prediction for this job, against the time it takes.
    let predicted: Option<f64> = tests
        .iter()
        .map(|t| t.estimated_duration)
        .try_fold(0.0, |sum, ms| Some(sum + ms?));
    let started = std::time::Instant::now();
    let (outcome, mut signals) = runtime.block_on(async {
        let mut attempts =
            ProcessAttempts::new(&runner, signals, &token, settings.cancel_grace_period)
                .with_uploader(uploader);
        let outcome = execute(
            &tests,
            &plan.muted_tests,
            policy,
            &mut attempts,
            &mut |event| reporter.report(shell, RunEvent::Attempt(event)),
        )
        .await;
        (outcome, attempts.into_signals())
    });
    let actual = started.elapsed();

    // D31: this run's measured durations, for a single local run.
    if settings.store_durations {
        let results: Vec<_> = outcome.record.results().cloned().collect();
        let line = store(context, &settings, &results, None, shell)?;
        shell.err(&format!("{line}\n"));
    }

    // D23: the one decision of how the run ends.
    let verdict = verdict(&outcome);
    if let Verdict::NoTests = verdict
        && settings.fail_on_no_tests
    {
        return Err(BktecError::NoTestsAssigned);
    }
    if settings.promise_failure && !matches!(verdict, Verdict::Signal(_)) {
        runtime.block_on(declare_failure(
            &settings,
            &outcome,
            &verdict,
            &mut reporter,
            shell,
        ));
    }
    reporter.report(
        shell,
        RunEvent::Finished {
            outcome: &outcome,
            verdict: &verdict,
            skipped_by_test_engine: &plan.skipped_tests,
        },
    );
    if let Verdict::Signal(_) = verdict {
        // 9.5 rule 1: no promise, report or metadata after a signal.
        return Ok(verdict.status());
    }
    // A green run whose merged report could not be written is not green for
    // the CI steps that read it.
    let mut status = verdict.status();
    if !write_junit_out(&settings, &outcome.record, &mut reporter, shell)
        && status == exit_code::SUCCESS
    {
        status = exit_code::CONFIG_ERROR;
    }
    runtime.block_on(annotate_failures(
        context,
        &settings,
        &outcome,
        &mut reporter,
        shell,
    ));
    if let Some(predicted) = predicted.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    {
        reporter.report(shell, RunEvent::Timing { predicted, actual });
    }

    // The handlers installed for the attempts stay: a SIGINT or SIGTERM while
    // the metadata is sent ends bktec at once rather than after the retries.
    let timeline = reporter.take_timeline();
    let sent = runtime.block_on(async {
        tokio::select! {
            sent = post_metadata(server.as_mut(), &settings, Some((timeline, &outcome))) => Ok(sent),
            signal = signals.next_cancel() => Err(signal),
        }
    });
    match sent {
        Ok(Ok(())) => {}
        Ok(Err(err)) => reporter.report(shell, RunEvent::MetadataFailed(err)),
        Err(signal) => return Ok(signal_status(signal)),
    }
    reporter.report(shell, RunEvent::Exiting(&verdict));
    Ok(status)
}

/// Writes the JUnit report merged over all attempts where `--junit-out`
/// says, if it says (issue 13, item 2); whether it was written.
/// Refuses a test command that stops at the first failure when retries
/// are on (see `Framework::fail_fast_options`).
fn refuse_fail_fast_with_retries(settings: &RunSettings) -> Result<(), BktecError> {
    let (Some(command), retries @ 1..) = (&settings.test_command, settings.retry.count) else {
        return Ok(());
    };
    let options = settings.runner.framework().fail_fast_options;
    let words = command.value.program_words();
    match fail_fast_option(&words, options) {
        Some(option) => Err(BktecError::Usage(UsageError::FailFastWithRetries {
            option,
            origin: command.origin.describe(),
            retries,
        })),
        None => Ok(()),
    }
}

/// The first of `options` that `words` turn on: as a word (`--bail`), with
/// a value (`--bail=1`, `--bail 1`), or inside an assignment that passes it
/// on (`SPEC_OPTS=--fail-fast`). A value of 0 or `false` turns it off
/// (`--bail=0`, `--max-failures=0`).
fn fail_fast_option(words: &[String], options: &[&str]) -> Option<String> {
    let off = |value: &str| matches!(value, "0" | "false");
    for (at, word) in words.iter().enumerate() {
        // `SPEC_OPTS=--fail-fast -f d`: each part after the `=` is a word.
        let parts: Vec<&str> = match word.split_once('=') {
            Some((name, rest)) if !name.starts_with('-') => rest.split_whitespace().collect(),
            _ => vec![word.as_str()],
        };
        for part in parts {
            for option in options {
                if part == *option {
                    let next = words.get(at + 1).map(String::as_str);
                    if next.is_some_and(off) {
                        continue;
                    }
                    return Some(part.to_string());
                }
                if let Some(value) = part.strip_prefix(option).and_then(|r| r.strip_prefix('='))
                    && !off(value)
                {
                    return Some(part.to_string());
                }
            }
        }
    }
    None
}

/// Refuses a `--junit-out` path that would clobber this run's own result
/// files (the result path, or an attempt's kept copy), or that is not a
/// regular file: a FIFO would block bktec, a directory cannot be written.
fn check_junit_out(
    out: &Sourced<PathBuf>,
    result: Option<&Path>,
    retries: u32,
) -> Result<(), BktecError> {
    let refuse = |why: String| {
        Err(BktecError::JUnitOut {
            path: out.value.clone(),
            origin: out.origin.describe(),
            why,
        })
    };
    if let Ok(meta) = std::fs::metadata(&out.value)
        && !meta.is_file()
    {
        return refuse("it is not a regular file".to_string());
    }
    let Some(result) = result else {
        return Ok(());
    };
    let same = |a: &Path, b: &Path| {
        // Symlinks followed, even to a file that does not exist yet.
        let (a, b) = (through_symlinks(a), through_symlinks(b));
        let absolute = |p: &Path| std::path::absolute(p).map(|p| clean(&p.to_string_lossy()));
        match (std::fs::canonicalize(&a), std::fs::canonicalize(&b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => absolute(&a).ok() == absolute(&b).ok(),
        }
    };
    if same(&out.value, result) {
        return refuse("it is the test command's own result file".to_string());
    }
    if let Some(n) = (0..=retries).find(|&n| same(&out.value, &kept_path(result, n))) {
        return refuse(format!("it is where attempt {n}'s results are kept"));
    }
    Ok(())
}

fn write_junit_out(
    settings: &RunSettings,
    record: &RunResult,
    reporter: &mut Reporter,
    shell: &mut Shell,
) -> bool {
    let Some(out) = &settings.junit_out else {
        return true;
    };
    let xml = merged_junit(
        record,
        settings.runner.as_str(),
        settings.runner.names_tests_by_node_id(),
    );
    let written = out
        .value
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&out.value, xml));
    let ok = written.is_ok();
    reporter.report(
        shell,
        RunEvent::JUnitWritten {
            path: &out.value,
            origin: &out.origin,
            tests: record.results().count(),
            result: written,
        },
    );
    ok
}

/// The plan stage: a plan file, the local split (D6, D20), or Test Engine's
/// plan with its fallback (4.5).
fn plan_this_job(
    context: &Context,
    settings: &RunSettings,
    runner: &Runner,
    runtime: &tokio::runtime::Runtime,
    signals: &mut Signals,
    reporter: &mut Reporter,
    shell: &mut Shell,
) -> Result<Result<Planned, Stop>, BktecError> {
    let local = |plan: TestPlan| Planned {
        plan,
        origin: PlanOrigin::Local,
        server: None,
        minted_upload_token: None,
        collected: None,
    };
    if let Some(file) = &settings.plan_file {
        let plan = read_plan_file(&file.value, file.origin.describe(), settings.parallelism)
            .map_err(BktecError::PlanFile)?;
        return Ok(Ok(Planned {
            origin: PlanOrigin::File(file.value.clone()),
            ..local(plan)
        }));
    }
    let discovery = context.discover(settings, shell)?;
    let targets = &discovery.targets;
    let collected = match &discovery.source {
        TargetSource::Pytest { collected, .. } => Some(collected.clone()),
        _ => None,
    };
    let local = |plan: TestPlan| Planned {
        collected: collected.clone(),
        ..local(plan)
    };
    // The local split (D20, D31): without a suite, and as the fallback.
    let split_locally = |shell: &mut Shell| {
        plan_locally(
            context,
            settings,
            &discovery,
            settings.parallelism,
            Some(runner),
            shell,
        )
    };
    let api = match &settings.mode {
        PlanMode::Local => {
            reporter.report(
                shell,
                RunEvent::PlanningLocally {
                    files: targets.len(),
                    jobs: settings.parallelism,
                    job: settings.node_index,
                },
            );
            let plan = split_locally(shell)?;
            return Ok(Ok(local(plan)));
        }
        PlanMode::TestEngine(api) => api,
    };
    let tokens = tokens(settings, api)?;
    let mut client = api_client(
        api,
        settings.api_retry,
        tokens.access,
        settings.debug,
        shell,
    )?;
    let acquired = runtime.block_on(async {
        tokio::select! {
            acquired = acquire_plan(
                &mut client,
                PlanLookup::CachedFirst {
                    identifier: &api.plan_identifier,
                    job_retry_count: settings.job.job_retry_count,
                },
                async |client: &mut ApiClient| {
                    build_request(client, settings, api, Some(runner), targets).await
                },
            ) => Ok(acquired),
            signal = signals.next_cancel() => Err(signal),
        }
    });
    let acquired = match acquired {
        Ok(acquired) => acquired.map_err(BktecError::Api)?,
        Err(signal) => return Ok(Err(Stop::Signal(signal))),
    };
    Ok(Ok(match acquired.source {
        PlanSource::Server(plan) => {
            if let Some(summary) = split_summary(&plan) {
                reporter.report(shell, RunEvent::SplitSummary(&summary));
            }
            let plan = trim_prefix(plan, settings.location_prefix.as_deref())?;
            Planned {
                origin: PlanOrigin::TestEngine {
                    identifier: plan.identifier.clone(),
                },
                plan,
                server: Some(Server {
                    client,
                    api: api.clone(),
                }),
                minted_upload_token: tokens.upload,
                collected,
            }
        }
        PlanSource::Fallback { reason } => {
            reporter.report(shell, RunEvent::Fallback(&reason));
            let plan = split_locally(shell)?;
            Planned {
                minted_upload_token: tokens.upload,
                ..local(plan)
            }
        }
    }))
}

/// This job's tests (D17), each one checked so that no target can be read
/// as an option (D24), naming where it came from.
fn assigned_tests(
    plan: &TestPlan,
    origin: &PlanOrigin,
    settings: &RunSettings,
    reporter: &mut Reporter,
    shell: &mut Shell,
) -> Result<Vec<TestCase>, BktecError> {
    let tests = match plan.task_tests(settings.node_index) {
        Some(tests) => tests.to_vec(),
        None => {
            reporter.report(shell, RunEvent::NoTaskForJob(settings.node_index));
            Vec::new()
        }
    };
    runner::check_targets(
        tests.iter().map(TestCase::runnable),
        &target_origin(origin, settings),
    )
    .map_err(BktecError::Target)?;
    Ok(tests)
}

/// The exit status of a run that a signal ended outside an attempt (D15).
fn signal_status(signal: i32) -> u8 {
    exit_code::SIGNAL_BASE.saturating_add(u8::try_from(signal).unwrap_or(0))
}

/// Where this job's targets came from (D24).
fn target_origin(origin: &PlanOrigin, settings: &RunSettings) -> TargetOrigin {
    match origin {
        PlanOrigin::TestEngine { identifier } => TargetOrigin::TestEngine {
            identifier: identifier.clone(),
        },
        PlanOrigin::File(path) => TargetOrigin::PlanFile(path.clone()),
        PlanOrigin::Local => match (&settings.selector_file, &settings.files_list) {
            (Some(file), _) => TargetOrigin::SelectorFile(file.value.clone()),
            (None, Some(file)) => TargetOrigin::FilesList(file.value.clone()),
            (None, None) => TargetOrigin::Discovery,
        },
    }
}

/// Trims the location prefix from a server plan's non-selector tests (5.6).
fn trim_prefix(mut plan: TestPlan, prefix: Option<&str>) -> Result<TestPlan, BktecError> {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return Ok(plan);
    };
    for task in plan.tasks.values_mut() {
        for test in &mut task.tests {
            if test.format.unwrap_or_default() != TestFormat::Selector {
                test.path =
                    trim(&test.path, prefix).map_err(|e| BktecError::Api(ApiError::Prefix(e)))?;
            }
        }
    }
    Ok(plan)
}

/// The tests of `collected` that `tests` name, as (key, node id): each
/// whole file's tests, and each test named on its own. `None` when a test
/// names something pytest did not collect (a plan from elsewhere): the
/// files then run unlimited, so that nothing is dropped.
fn share_of(collected: &[CollectedExample], tests: &[TestCase]) -> Option<Vec<(String, String)>> {
    let mut by_file: HashMap<&str, Vec<&CollectedExample>> = HashMap::new();
    let mut by_path: HashMap<&str, &CollectedExample> = HashMap::new();
    for example in collected {
        by_file
            .entry(plain(&example.file))
            .or_default()
            .push(example);
        by_path.insert(plain(&example.path), example);
        by_path.insert(&example.node_id, example);
    }
    let mut share = Vec::new();
    let pair = |e: &&CollectedExample| (e.key.clone(), e.node_id.clone());
    for test in tests {
        let path = plain(&test.path);
        if path.contains("::") {
            share.push(pair(&by_path.get(path)?));
        } else {
            share.extend(by_file.get(path)?.iter().map(pair));
        }
    }
    Some(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(command: &str, options: &[&str]) -> Option<String> {
        let words: Vec<String> = command.split(' ').map(String::from).collect();
        fail_fast_option(&words, options)
    }

    #[test]
    fn fail_fast_options_in_every_spelling_and_off_when_zero() {
        let jest = ["--bail", "-b"];
        assert_eq!(found("npx jest --bail", &jest).as_deref(), Some("--bail"));
        assert_eq!(
            found("npx jest --bail=2", &jest).as_deref(),
            Some("--bail=2")
        );
        assert_eq!(
            found("npx jest --bail 1 x", &jest).as_deref(),
            Some("--bail")
        );
        assert_eq!(found("npx jest -b", &jest).as_deref(), Some("-b"));
        assert_eq!(found("npx jest --bail=0", &jest), None);
        assert_eq!(found("npx jest --bail 0", &jest), None);
        assert_eq!(found("npx jest --bail=false", &jest), None);
        assert_eq!(
            found("npx jest --no-bail --testNamePattern=--bail", &jest),
            None
        );
        let rspec = ["--fail-fast", "--next-failure"];
        assert_eq!(
            found("env SPEC_OPTS=--fail-fast rspec", &rspec).as_deref(),
            Some("--fail-fast")
        );
        assert_eq!(
            found("rspec --next-failure", &rspec).as_deref(),
            Some("--next-failure")
        );
        assert_eq!(found("rspec --no-fail-fast", &rspec), None);
        let playwright = ["--max-failures", "-x"];
        assert_eq!(
            found("npx playwright test --max-failures=0", &playwright),
            None
        );
    }
}
