//! `bktec run` (and bare `bktec`): the stages of a run, in order (S9):
//! settings, the runner, targets, plan acquisition (shared with `plan`),
//! this job's share, the attempts with retries, and how the run ends
//! (`attempts.rs`). Each stage says what happened through the reporter
//! (S11); the exit status is decided once, from the [`RunEnd`].

use std::collections::HashMap;

use super::Context;
use super::acquire::{Acquired, Ask, PlanInputs, Stop, acquire};
use super::attempts::{Share, attempts, finish};
use super::connect::build_runner;
use super::error::BktecError;
use super::run_checks::{
    check_junit_out, refuse_fail_fast_with_retries, refuse_outputs_on_inputs,
    refuse_outputs_on_targets, write_junit_out,
};
use super::session::Session;
use super::targets::targets;
use crate::api::ApiError;
use crate::cli::UsageError;
use crate::config::registry::CommandKind;
use crate::config::{CliOverrides, RunSettings};
use crate::discover::{Discovery, TargetSource};
use crate::events::{PlanOrigin, RunEvent};
use crate::events::{RunEnd, Verdict};
use crate::execute::check_result_path;
use crate::plan::{TestCase, TestFormat, plain, trim};
use crate::report::Reporter;
use crate::results::RunResult;
use crate::runner::{self, CollectedExample, Runner, TargetOrigin};

/// Runs this job's share of the tests.
pub(super) fn run_tests(
    context: &Context,
    overrides: CliOverrides,
    options: super::RunOptions,
    reporter: &mut Reporter,
) -> Result<RunEnd, BktecError> {
    let settings = run_settings(context, overrides, options)?;
    refuse_outputs_on_inputs(context, &settings)?;
    reporter.for_runner(settings.runner, settings.debug);
    reporter.report(RunEvent::Started);
    let mut runner = prepared_runner(context, &settings, reporter)?;
    let mut session = Session::start(reporter)?;
    let discovery = match settings.plan_file {
        Some(_) => None,
        None => Some(targets(context, &settings, session.reporter)?),
    };
    let inputs = PlanInputs {
        ask: Ask::CachedFirst,
        fallback_jobs: settings.parallelism,
        runner: Some(&runner),
        creates_history: options.store_durations,
    };
    let acquired = match acquire(context, &mut session, &settings, discovery.as_ref(), inputs)? {
        Ok(acquired) => acquired,
        Err(Stop::Signal(signal)) => return Ok(RunEnd::Signalled(signal)),
    };
    if let Some(signal) = session.pending_signal() {
        return Ok(RunEnd::Signalled(signal));
    }
    let result = runner.result_file().map(|f| (f.path.as_path(), f.format));
    let outputs = (&settings, result);
    refuse_outputs_on_targets(context, outputs, discovery.as_ref(), &acquired.plan)?;
    let share = share(&mut session, &settings, acquired, discovery.as_ref())?;
    if options.dry_run {
        return dry_run(&mut session, &settings, &runner, &share);
    }
    if share.tests.is_empty() {
        return Ok(nothing_to_run(&mut session, &settings, share));
    }
    if let Some(node_ids) = share.limit.as_deref() {
        runner
            .limit_first_attempt(node_ids)
            .map_err(BktecError::Runtime)?;
    }
    let ran = attempts(context, &mut session, &settings, &runner, &share, options)?;
    Ok(finish(context, &mut session, &settings, share, ran))
}

/// The settings of a run, and the usage errors they make.
fn run_settings(
    context: &Context,
    overrides: CliOverrides,
    options: super::RunOptions,
) -> Result<RunSettings, BktecError> {
    let settings = context.settings(overrides, CommandKind::Run)?;
    if options.store_durations && settings.parallelism > 1 {
        return Err(BktecError::Usage(UsageError::StoreDurationsInParallel {
            jobs: settings.parallelism,
        }));
    }
    refuse_fail_fast_with_retries(&settings)?;
    Ok(settings)
}

/// The runner, with its result path and `--junit-out` checked before any
/// test runs.
fn prepared_runner(
    context: &Context,
    settings: &RunSettings,
    reporter: &mut Reporter,
) -> Result<Runner, BktecError> {
    let runner = build_runner(context, settings)?;
    let result = runner.result_file();
    if let Some(file) = result {
        check_result_path(&file.path).map_err(|source| BktecError::ResultPath {
            origin: settings.result_path.as_ref().map(|p| p.origin.describe()),
            source,
        })?;
    }
    if let Some(out) = &settings.junit_out {
        check_junit_out(out, result.map(|f| f.path.as_path()), settings.retry.count)?;
    }
    reporter.report(RunEvent::RunnerReady {
        kind: runner.kind,
        format: result.map(|f| f.format),
    });
    Ok(runner)
}

/// This job's share of the plan (D17): its tests, with a server plan's
/// location prefix trimmed (5.6), each checked so that no target can be
/// read as an option (D24), naming where it came from.
fn share(
    session: &mut Session,
    settings: &RunSettings,
    acquired: Acquired,
    discovery: Option<&Discovery>,
) -> Result<Share, BktecError> {
    let Acquired {
        plan,
        origin,
        server,
        minted_upload_token,
        raw: _,
    } = acquired;
    session.report(RunEvent::PlanReady {
        origin: &origin,
        job: settings.node_index,
        jobs: settings.parallelism,
    });
    let mut tests = match plan.task_tests(settings.node_index) {
        Some(tests) => tests.to_vec(),
        None => {
            session.report(RunEvent::NoTaskForJob(settings.node_index));
            Vec::new()
        }
    };
    if let PlanOrigin::TestEngine { .. } = origin {
        trim_prefix(&mut tests, settings.location_prefix.as_deref())?;
    }
    runner::check_targets(
        tests.iter().map(TestCase::runnable),
        &target_origin(&origin, settings),
    )
    .map_err(BktecError::Target)?;
    let limit = match discovery.map(|d| &d.source) {
        Some(TargetSource::Pytest { collected, .. }) => share_of(collected, &tests),
        _ => None,
    };
    Ok(Share {
        tests,
        muted: plan.muted_tests,
        skipped: plan.skipped_tests,
        server,
        upload_token: settings.upload_token.clone().or(minted_upload_token),
        limit,
        startup: plan.startup_duration,
        listed_in: plan.listed_in,
    })
}

/// `run --dry-run`: the plan is made as for a run (which may ask Test
/// Engine, or pytest to collect a file to split), but the test command is
/// not run, and nothing is reported back.
fn dry_run(
    session: &mut Session,
    settings: &RunSettings,
    runner: &Runner,
    share: &Share,
) -> Result<RunEnd, BktecError> {
    let targets: Vec<String> = share
        .tests
        .iter()
        .map(|t| t.runnable().to_string())
        .collect();
    let argv = match targets.is_empty() {
        true => None,
        false => Some(runner.argv(&targets, 0).map_err(BktecError::Target)?),
    };
    session.report(RunEvent::DryRun {
        job: settings.node_index,
        jobs: settings.parallelism,
        targets: &targets,
        argv: argv.as_deref(),
        retries: settings.retry.count,
    });
    Ok(RunEnd::DryRun)
}

/// A job without tests: green unless `--fail-on-no-tests`; an empty merged
/// report is still written, and the metadata still sent.
fn nothing_to_run(session: &mut Session, settings: &RunSettings, mut share: Share) -> RunEnd {
    if settings.fail_on_no_tests {
        return RunEnd::NoTestsRefused;
    }
    session.report(RunEvent::NoTests);
    let junit_out = write_junit_out(settings, &RunResult::default(), session.reporter);
    let sent = super::report_back::post_metadata(share.server.as_mut(), settings, None);
    if let Err(err) = session.runtime.block_on(sent) {
        session.report(RunEvent::MetadataFailed(err));
    }
    RunEnd::Ran {
        verdict: Verdict::NoTests,
        junit_out,
    }
}

/// Where this job's targets came from (D24).
fn target_origin(origin: &PlanOrigin, settings: &RunSettings) -> TargetOrigin {
    match origin {
        PlanOrigin::TestEngine { identifier } => TargetOrigin::TestEngine {
            identifier: identifier.clone(),
        },
        PlanOrigin::File(path) => TargetOrigin::PlanFile(path.clone()),
        PlanOrigin::Local | PlanOrigin::Fallback { .. } => {
            match (&settings.selector_file, &settings.files_list) {
                (Some(file), _) => TargetOrigin::SelectorFile(file.value.clone()),
                (None, Some(file)) => TargetOrigin::FilesList(file.value.clone()),
                (None, None) => TargetOrigin::Discovery,
            }
        }
    }
}

/// Trims the location prefix from a server plan's non-selector tests (5.6).
fn trim_prefix(tests: &mut [TestCase], prefix: Option<&str>) -> Result<(), BktecError> {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    for test in tests {
        if test.format.unwrap_or_default() != TestFormat::Selector {
            test.path =
                trim(&test.path, prefix).map_err(|e| BktecError::Api(ApiError::Prefix(e)))?;
        }
    }
    Ok(())
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
