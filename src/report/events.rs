//! The events of a run: the output contract between the stages and the
//! reporter (S11). Stages say what happened, as data; every word the user
//! reads is chosen in `report/`.

use std::path::PathBuf;

use crate::agent::{AnnotateError, PromiseError};
use crate::api::{ApiError, FallbackReason};
use crate::events::AttemptEvent;
use crate::execute::{RunOutcome, Verdict};
use crate::plan::TestCase;
use crate::runner::{ResultFormat, RunnerKind};

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
    /// Test Engine's split summary (behaviour document 10.3).
    SplitSummary(&'a str),
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
    /// The build was annotated with this job's failures, or not.
    Annotated {
        /// The annotation context.
        context: &'a str,
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
    },
}

/// What a command says outside a run's own events: configuration,
/// discovery, planning and the commands' outputs. Every word of it is
/// chosen in `report/notices.rs`.
#[derive(Debug)]
pub(crate) enum Notice<'a> {
    /// The command failed with this error; its chain is shown.
    Error(&'a dyn std::error::Error),
    /// A command's output for stdout, as it is (a schema, a completion
    /// script, a table, JSON).
    Document(&'a str),
    /// The command line parser's own text: help and version on stdout,
    /// usage errors on stderr.
    Parser {
        /// The text.
        text: &'a str,
        /// Whether it is an error.
        error: bool,
    },
    /// A `BUILDKITE_TEST_ENGINE_*` variable that is no setting (D29).
    UnknownVariable(&'a crate::config::env_vars::UnknownVariable),
    /// Discovery warned.
    DiscoveryWarning(&'a str),
    /// Discovery found this many targets (a debug line).
    Discovered {
        /// How many.
        targets: usize,
    },
    /// The runner's default pattern finds other tests than pytest would
    /// (issue #12).
    PatternDisagrees {
        /// The default pattern.
        pattern: &'a str,
        /// pytest's configuration file, relative to the working directory.
        config_file: Option<&'a str>,
        /// Each difference.
        reasons: &'a [String],
    },
    /// pytest collected the suite for discovery (a debug line).
    PytestCollected {
        /// The collection command.
        command: &'a str,
        /// How many tests.
        tests: usize,
        /// In how many files.
        files: usize,
        /// How many files the include and exclude patterns left out.
        left_out: usize,
        /// How long it took.
        took: std::time::Duration,
    },
    /// `bktec plan` started.
    PlanStarted,
    /// `--plan-out` writes a local plan, because Test Engine gave none.
    FallbackPlanWritten,
    /// The plan's parallelism is 0.
    ZeroParallelism,
    /// `plan --explain`.
    Explained {
        /// The explanation; `None` when the plan has no durations.
        text: Option<&'a str>,
        /// Whether it is the command's output (else stderr, D19).
        to_stdout: bool,
    },
    /// `plan --pipeline-upload` calls the agent.
    UploadingPipeline {
        /// The plan identifier the pipeline gets.
        identifier: &'a str,
        /// Its parallelism.
        parallelism: i64,
    },
    /// Targets that repeat others, or lie inside them, run once.
    TargetsRepeated {
        /// How many.
        count: usize,
        /// The first of them.
        first: &'a str,
    },
    /// There is no timing history: the split is round-robin (a debug line).
    NoHistory,
    /// Files to split are split with discovery's collection (a debug line).
    SplitsWithDiscovery,
    /// The local plan follows the timing history in this file (D20).
    PlannedByHistory {
        /// The file, relative to the working directory when under it.
        path: &'a std::path::Path,
        /// How many tests it holds.
        tests: usize,
        /// Its fingerprint, the same in every job that read the same file.
        fingerprint: &'a str,
    },
    /// A note of the time-aware planner (a debug line).
    PlannerNote(&'a str),
    /// Measured durations out of range, not stored (D27).
    DurationsOutOfRange {
        /// How many.
        count: usize,
        /// The first one's node id.
        first: &'a str,
        /// Its duration.
        seconds: f64,
        /// The largest duration stored.
        max: f64,
    },
    /// Pruning found no test of the durations file in a discovered file,
    /// so it dropped none.
    NothingPruned {
        /// The tests in the file.
        tests: usize,
        /// The files discovery found.
        files: usize,
    },
    /// The durations file was updated, or there is none.
    DurationsStored(&'a DurationsStored),
    /// `bktec init` wrote the configuration file.
    Initialized {
        /// Where.
        path: &'a std::path::Path,
        /// The runner's display name.
        runner: &'a str,
        /// What chose the runner.
        why: &'a str,
        /// Whether the schema was written beside it (else it was there).
        schema_written: bool,
        /// The schema file's name.
        schema_file: &'a str,
    },
}
