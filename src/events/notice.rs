//! What a command says outside a run's own events: configuration,
//! discovery, planning and the commands' outputs.

use super::run::DurationsStored;
use crate::config::env_vars::UnknownVariable;

/// What a command says outside a run's own events: configuration,
/// discovery, planning and the commands' outputs. Every word of it is
/// chosen in `report/notices.rs`.
#[derive(Debug)]
pub(crate) enum Notice<'a> {
    /// The command failed with this error; its chain is shown.
    Error(&'a dyn std::error::Error),
    /// A signal stopped the command while a child ran (D33).
    Stopped {
        /// The signal.
        signal: i32,
    },
    /// A command's output for stdout, as it is: data a program reads (a
    /// schema, a completion script, a plan, the targets), never altered.
    Document(&'a str),
    /// `bktec config`'s table of settings, for people: credentials in URLs
    /// are redacted like every other line shown.
    Settings(&'a str),
    /// The command line parser's own text: help and version on stdout,
    /// usage errors on stderr.
    Parser {
        /// The text.
        text: &'a str,
        /// Whether it is an error.
        error: bool,
    },
    /// bktec runs from the directory of the `bktec.toml` it found above
    /// the working directory (issue 21, item 6; D45).
    ConfigAbove {
        /// The file's directory, which bktec runs from.
        dir: &'a std::path::Path,
        /// Where bktec was started.
        started_in: &'a std::path::Path,
    },
    /// A `BUILDKITE_TEST_ENGINE_*` variable that is no setting (D29).
    UnknownVariable(&'a UnknownVariable),
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
    /// Something planning said.
    Plan(PlanNotice<'a>),
    /// What `bktec tools backfill-commit-metadata` says (D43).
    Backfill(super::BackfillNotice<'a>),
    /// Something about the files bktec writes: durations, `bktec init`.
    Files(FileNotice<'a>),
}

/// What planning says: `bktec plan`'s own lines, the local split's.
#[derive(Debug)]
pub(crate) enum PlanNotice<'a> {
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
    /// The durations file the user named does not exist yet: the split is
    /// made without history (issue 21, item 7).
    HistoryMissing {
        /// The file.
        path: &'a std::path::Path,
        /// Where it was named.
        origin: &'a str,
    },
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
    PlannerNote(&'a crate::plan::PlanNote),
    /// The test selection preview's git metadata is incomplete (D40).
    GitMetadata(&'a crate::git::GitNote),
}

/// What bktec says about the files it writes: the durations file and the
/// configuration `bktec init` writes.
#[derive(Debug)]
pub(crate) enum FileNotice<'a> {
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
    /// The timing record beside the result file was not written (D52).
    TimingNotWritten {
        /// Where it would have gone.
        path: &'a std::path::Path,
        /// Why not.
        why: String,
    },
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
