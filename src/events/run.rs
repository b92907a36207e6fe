//! What happens in a run's stages, from the runner being ready to the
//! exit.

use std::path::PathBuf;

use super::attempt::AttemptEvent;
use super::outcome::{RunOutcome, Verdict};
use crate::agent::{AnnotateError, PromiseError};
use crate::api::{ApiError, FallbackReason};
use crate::config::elements::RunnerKind;
use crate::plan::TestCase;
use crate::results::ResultFormat;

/// Where this job's plan came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PlanOrigin {
    /// Test Engine, under this identifier.
    TestEngine {
        /// The plan identifier.
        identifier: String,
    },
    /// The local split: no suite is configured.
    Local,
    /// The local split, because Test Engine gave no plan (4.2).
    Fallback {
        /// Why.
        reason: FallbackReason,
    },
    /// A plan file given with `--plan-file`.
    File(PathBuf),
}

/// Something that happened in a run.
#[derive(Debug)]
pub(crate) enum RunEvent<'a> {
    /// bktec started.
    Started,
    /// The runner is set up and will read results in this format.
    RunnerReady {
        /// Which runner.
        kind: RunnerKind,
        /// Its result format, when it reads a result file.
        format: Option<ResultFormat>,
    },
    /// No suite is configured: the files are split locally (D6, D20).
    PlanningLocally {
        /// How many test files.
        files: usize,
        /// Across how many jobs.
        jobs: u32,
        /// This job's index; `None` for `bktec plan`, which plans them all.
        job: Option<u32>,
    },
    /// Test Engine could not give a plan; the local split is used.
    Fallback(&'a FallbackReason),
    /// Test Engine's plan, whose split summary is shown (behaviour
    /// document 10.3).
    SplitSummary(&'a crate::plan::TestPlan),
    /// The time the plan predicted for this job's tests, and the time they
    /// took, attempts and retries included (D32).
    Timing {
        /// The sum of this job's `estimated_duration`s.
        predicted: std::time::Duration,
        /// The wall time of the attempts.
        actual: std::time::Duration,
    },
    /// This job's plan is known.
    PlanReady {
        /// Where it came from.
        origin: &'a PlanOrigin,
        /// This job's index.
        job: u32,
        /// How many jobs.
        jobs: u32,
    },
    /// `run --dry-run`: what this job would run, instead of running it.
    DryRun {
        /// This job's index.
        job: u32,
        /// How many jobs.
        jobs: u32,
        /// The job's targets, as the command gets them.
        targets: &'a [String],
        /// The first attempt's command; `None` when there is nothing to run.
        argv: Option<&'a [String]>,
        /// How many times failed tests would be retried.
        retries: u32,
    },
    /// The plan has no task for this job (D17).
    NoTaskForJob(u32),
    /// This job has no tests to run.
    NoTests,
    /// Something happened in an attempt.
    Attempt(AttemptEvent),
    /// `--upload-results` is on, but there is no upload token.
    UploadsWithoutToken,
    /// bktec tells the agent early that the job will fail (13.2).
    DeclaringFailure {
        /// How many hard failures remain; 0 when the tests did not prove
        /// success for another reason (D23).
        failed: usize,
    },
    /// How telling the agent went.
    FailureDeclared(Result<(), PromiseError>),
    /// The build was annotated with this job's failures, or its flaky
    /// tests (D47), or not.
    Annotated {
        /// The annotation context.
        context: &'a str,
        /// Whether it names the flaky tests rather than the failures.
        flaky: bool,
        /// How the agent call went.
        result: Result<(), AnnotateError>,
    },
    /// The run's metadata could not be sent to Test Engine.
    MetadataFailed(ApiError),
    /// The run ended.
    Finished {
        /// What was recorded.
        outcome: &'a RunOutcome,
        /// How it ends (D23).
        verdict: &'a Verdict,
        /// Tests Test Engine skipped.
        skipped_by_test_engine: &'a [TestCase],
    },
    /// The merged JUnit report (`--junit-out`) was written, or not.
    JUnitWritten {
        /// Where.
        path: &'a std::path::Path,
        /// Where the path came from.
        origin: &'a crate::config::Origin,
        /// How many tests it holds.
        tests: usize,
        /// Whether writing worked.
        result: std::io::Result<()>,
    },
    /// bktec is about to exit with the verdict's status.
    Exiting(&'a Verdict),
}

/// What `durations update` or `run --store-durations` stored (D31).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DurationsStored {
    /// No durations file is configured.
    NoFile,
    /// The file was updated.
    Stored {
        /// How many measured durations were merged.
        count: usize,
        /// The file.
        path: PathBuf,
        /// How many tests it holds now.
        total: usize,
        /// How many tests pruning dropped, when it was asked for.
        pruned: Option<usize>,
        /// How many jobs' costs (timing records) were kept (D52).
        jobs: usize,
    },
}
