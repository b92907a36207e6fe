//! The attempts of a run and how it ends: run this job's share with
//! retries (9), then decide the verdict (D23) and send back what Test
//! Engine and the agent need (13).

use std::time::Duration;

use super::Context;
use super::durations_cmd::{Batch, store};
use super::error::BktecError;
use super::report_back::{Server, annotate_failures, declare_failure, post_metadata, uploader};
use super::run_checks::write_junit_out;
use super::session::Session;
use crate::config::RunSettings;
use crate::config::elements::Secret;
use crate::events::{FileNotice, Notice, RunEvent};
use crate::events::{RunEnd, RunOutcome, Verdict};
use crate::execute::{ProcessAttempts, execute, verdict};
use crate::plan::{JobTiming, TestCase};
use crate::runner::Runner;

/// This job's share of the plan, and what came with it.
pub(super) struct Share {
    /// The tests this job runs.
    pub(super) tests: Vec<TestCase>,
    /// Tests whose failures do not fail the run (D16).
    pub(super) muted: Vec<TestCase>,
    /// Tests Test Engine skipped, for the report.
    pub(super) skipped: Vec<TestCase>,
    /// The Test Engine connection, for a server plan.
    pub(super) server: Option<Server>,
    /// The token result uploads use, given or minted while connecting.
    pub(super) upload_token: Option<Secret>,
    /// The node ids of pytest's collection that the first attempt is
    /// limited to, when pytest discovered the targets (issue #12).
    pub(super) limit: Option<Vec<(String, String)>>,
    /// A job's start-up in milliseconds, when the plan measured one (D52).
    pub(super) startup: Option<f64>,
    /// How long this job's listing of the files to split took (D52).
    pub(super) listed_in: Option<Duration>,
}

/// What the attempts left.
pub(super) struct Ran {
    outcome: RunOutcome,
    /// The job's wall time so far: its planning, and its attempts with
    /// their retries (D52).
    took: Duration,
}

/// Runs the share with retries (9), and stores the measured durations when
/// asked (D31).
pub(super) fn attempts(
    context: &Context,
    session: &mut Session,
    settings: &RunSettings,
    runner: &Runner,
    share: &Share,
    options: super::RunOptions,
) -> Result<Ran, BktecError> {
    let uploader = uploader(
        context,
        settings,
        runner,
        share.upload_token.as_ref(),
        session.reporter,
    );
    let token = share
        .upload_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let Session {
        reporter,
        runtime,
        signals,
    } = session;
    let outcome = runtime.block_on(async {
        let mut attempts =
            ProcessAttempts::new(runner, signals, &token, settings.cancel_grace_period)
                .with_uploader(uploader)
                .with_deadline(settings.attempt_timeout);
        execute(
            &share.tests,
            &share.muted,
            settings.retry,
            &mut attempts,
            &mut |event| reporter.report(RunEvent::Attempt(event)),
        )
        .await
    });
    let took = context.began.elapsed();
    keep_costs(
        context,
        session,
        (settings, runner),
        share,
        &outcome,
        options,
    )?;
    Ok(Ran { outcome, took })
}

/// Keeps what the run measured (D52): the timing record beside the result
/// file, and with `--store-durations` the durations and costs themselves.
fn keep_costs(
    context: &Context,
    session: &mut Session,
    (settings, runner): (&RunSettings, &Runner),
    share: &Share,
    outcome: &RunOutcome,
    options: super::RunOptions,
) -> Result<(), BktecError> {
    // The first attempt's costs, with this job's listing.
    let timing = outcome.timing.clone().map(|mut timing| {
        timing.listing = share.listed_in.map(|d| d.as_secs_f64());
        timing
    });
    let retried = outcome.history.len() > 1;
    write_timing(
        context,
        settings,
        runner,
        (timing.as_ref(), retried),
        session,
    );
    if options.store_durations {
        let results: Vec<_> = outcome.record.results().cloned().collect();
        let batch = Batch {
            tests: &results,
            timing: timing.as_ref(),
        };
        let summary = store(
            context,
            settings,
            (&[batch], timing.as_slice()),
            None,
            true,
            session.reporter,
        )?;
        session.notice(Notice::Files(FileNotice::DurationsStored(&summary)));
    }
    Ok(())
}

/// Writes the first attempt's timing record beside the result file the
/// user named (D52), when the run keeps a timing history, so that
/// `bktec durations update` of the build's result files learns the job's
/// start-up and its files' own costs. A file there that is not a timing
/// record is left alone; an earlier run's record, which this run's result
/// file would be read with, goes.
fn write_timing(
    context: &Context,
    settings: &RunSettings,
    runner: &Runner,
    (timing, retried): (Option<&JobTiming>, bool),
    session: &mut Session,
) {
    let Some(result) = runner.result_file().filter(|_| !runner.owns_result_path()) else {
        return;
    };
    let keeps_history = super::local::durations_source(context, settings, false)
        .is_some_and(|source| source.required || source.path.exists());
    let result = context.cwd.join(&result.path);
    // The record measured the first attempt: after retries, its results
    // are kept beside the last attempt's, and the record goes with them.
    let first = if retried {
        crate::execute::kept_path(&result, 0)
    } else {
        result.clone()
    };
    let path = crate::plan::timing_path(&first);
    let done = match timing.filter(|_| keeps_history) {
        Some(timing) => crate::plan::write_timing(&path, timing, settings.runner.as_str()),
        None => crate::plan::remove_timing(&path),
    };
    // The result path's own record, from an earlier run, is stale now.
    let stale = if retried {
        crate::plan::remove_timing(&crate::plan::timing_path(&result))
    } else {
        Ok(())
    };
    if let Err(err) = done.and(stale) {
        let why = crate::chain::ErrorChain(&err).to_string();
        session.notice(Notice::Files(FileNotice::TimingNotWritten {
            path: &path,
            why,
        }));
    }
}

/// Decides how the run ends (D23) and reports it, then reports back:
/// the promise of failure, the merged JUnit report, the annotation, the
/// run's metadata. After a signal nothing is reported back (9.5 rule 1).
pub(super) fn finish(
    context: &Context,
    session: &mut Session,
    settings: &RunSettings,
    mut share: Share,
    ran: Ran,
) -> RunEnd {
    let Ran { outcome, took } = ran;
    let verdict = verdict(&outcome);
    if let Verdict::NoTests = verdict
        && settings.fail_on_no_tests
    {
        return RunEnd::NoTestsRefused;
    }
    if settings.promise_failure && !matches!(verdict, Verdict::Signal(_)) {
        let declared = declare_failure(settings, &outcome, &verdict, session.reporter);
        session.runtime.block_on(declared);
    }
    session.report(RunEvent::Finished {
        outcome: &outcome,
        verdict: &verdict,
        skipped_by_test_engine: &share.skipped,
    });
    if let Verdict::Signal(_) = verdict {
        return RunEnd::Ran {
            verdict,
            junit_out: crate::events::JUnitOut::NotAsked,
        };
    }
    let junit_out = write_junit_out(settings, &outcome.record, session.reporter);
    let annotated = annotate_failures(context, settings, &outcome, session.reporter);
    session.runtime.block_on(annotated);
    // D32: the plan's prediction for this job, its start-up included
    // (D52), against the time it took.
    let predicted: Option<f64> = share
        .tests
        .iter()
        .try_fold(share.startup.unwrap_or(0.0), |sum, t| {
            Some(sum + t.estimated_duration?)
        });
    if let Some(predicted) = predicted.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    {
        session.report(RunEvent::Timing {
            predicted,
            actual: took,
        });
    }
    let timeline = session.reporter.take_timeline();
    let sent = post_metadata(share.server.as_mut(), settings, Some((timeline, &outcome)));
    match session.until_signal(sent) {
        Ok(Ok(())) => {}
        Ok(Err(err)) => session.report(RunEvent::MetadataFailed(err)),
        Err(signal) => return RunEnd::Signalled(signal),
    }
    session.report(RunEvent::Exiting(&verdict));
    RunEnd::Ran { verdict, junit_out }
}
