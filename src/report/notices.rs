//! The words of every [`Notice`]: what configuration, discovery, planning
//! and the commands' outputs say, and where each line goes. Pure, so each
//! is tested without a shell.

use crate::chain::ErrorChain;

use super::shell::{Shell, debug_line};
use crate::events::{
    ApiNotice, DurationsStored, FallbackReason, FileNotice, Notice, Notify, PlanNote, PlanNotice,
};

/// Where a notice's text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Channel {
    /// stdout, always, as it is: data a program reads.
    Data,
    /// stdout, always: the command's output for people.
    Output,
    /// stderr, as it is.
    Stderr,
    /// stderr, as a warning.
    Warning,
    /// stderr, as a debug line, only with `--debug`.
    Debug,
}

/// The text of `notice` and where it goes.
pub(super) fn words(notice: &Notice<'_>) -> (Channel, String) {
    match notice {
        Notice::Error(err) => (Channel::Stderr, format!("{}\n", ErrorChain(*err))),
        Notice::Stopped { signal } => (
            Channel::Stderr,
            format!(
                "Buildkite Test Engine Client: bktec was stopped by {}.\n",
                crate::exit_code::signal_name(*signal)
            ),
        ),
        Notice::Document(text) => (Channel::Data, (*text).to_string()),
        Notice::Settings(text) => (Channel::Output, (*text).to_string()),
        Notice::Parser { text, error: false } => (Channel::Output, (*text).to_string()),
        Notice::Parser { text, error: true } => (Channel::Stderr, (*text).to_string()),
        Notice::ConfigAbove { dir, started_in } => (
            Channel::Stderr,
            format!(
                "Buildkite Test Engine Client: Using {}, found above {}; running from {}.\n",
                dir.join("bktec.toml").display(),
                started_in.display(),
                dir.display()
            ),
        ),
        Notice::UnknownVariable(unknown) => (Channel::Warning, unknown.to_string()),
        Notice::DiscoveryWarning(warning) => (Channel::Stderr, format!("{warning}\n")),
        Notice::Discovered { targets } => {
            (Channel::Debug, format!("Discovered {targets} test targets"))
        }
        Notice::PatternDisagrees {
            pattern,
            config_file,
            reasons,
        } => (
            Channel::Warning,
            pattern_disagrees(pattern, *config_file, reasons),
        ),
        Notice::PytestCollected {
            command,
            tests,
            files,
            left_out,
            took,
        } => (
            Channel::Debug,
            pytest_collected(command, *tests, *files, *left_out, *took),
        ),
        Notice::Plan(notice) => planning(notice),
        Notice::Files(notice) => files(notice),
        Notice::Backfill(notice) => super::backfill::words(notice),
    }
}

/// The notices of planning.
fn planning(notice: &PlanNotice<'_>) -> (Channel, String) {
    match notice {
        PlanNotice::PlanStarted => (
            Channel::Stderr,
            format!(
                "+++ Buildkite Test Engine Client: bktec {}\n\n",
                crate::VERSION
            ),
        ),
        PlanNotice::FallbackPlanWritten => (
            Channel::Warning,
            "This is a locally-computed fallback plan, not a plan from the server.".to_string(),
        ),
        PlanNotice::ZeroParallelism => (
            Channel::Warning,
            "Parallelism is 0, there is nothing to run.".to_string(),
        ),
        PlanNotice::Explained { text, to_stdout } => {
            let text = text.unwrap_or(
                "The plan has no estimated durations (no timing history), so there is nothing to explain.\n",
            );
            let channel = if *to_stdout {
                Channel::Output
            } else {
                Channel::Stderr
            };
            (channel, text.to_string())
        }
        PlanNotice::UploadingPipeline {
            identifier,
            parallelism,
        } => (
            Channel::Output,
            format!(
                "Executing buildkite-agent pipeline upload with BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER={identifier} BUILDKITE_TEST_ENGINE_PARALLELISM={parallelism}\n"
            ),
        ),
        PlanNotice::TargetsRepeated { count, first } => (
            Channel::Warning,
            format!(
                "{count} targets repeat others or lie inside them, and run only once as part of those, e.g. `{first}`"
            ),
        ),
        PlanNotice::HistoryMissing { path, origin } => (
            Channel::Warning,
            format!(
                "The durations file `{}` (from {origin}) does not exist yet: planning without timing history. `bktec run --store-durations` or `bktec durations update` creates it",
                path.display()
            ),
        ),
        PlanNotice::NoHistory => (
            Channel::Debug,
            "No timing history: planning round-robin".to_string(),
        ),
        PlanNotice::SplitsWithDiscovery => (
            Channel::Debug,
            "Files to split are split with the tests that discovery collected".to_string(),
        ),
        PlanNotice::PlannedByHistory {
            path,
            tests,
            fingerprint,
        } => (
            Channel::Stderr,
            format!(
                "Buildkite Test Engine Client: Planning by the timing history in `{}` ({tests} tests, fingerprint {fingerprint}).\n",
                path.display()
            ),
        ),
        PlanNotice::PlannerNote(note) => (Channel::Debug, planner_note(note)),
        PlanNotice::GitMetadata(note) => (Channel::Warning, note.to_string()),
    }
}

/// The notices about files bktec writes: durations and `bktec init`.
fn files(notice: &FileNotice<'_>) -> (Channel, String) {
    match notice {
        FileNotice::DurationsOutOfRange {
            count,
            first,
            seconds,
            max,
        } => (
            Channel::Warning,
            format!(
                "{count} measured durations are out of range (0 to {max} seconds) and were not stored, e.g. `{first}`: {seconds} seconds"
            ),
        ),
        FileNotice::TimingNotWritten { path, why } => (
            Channel::Warning,
            format!(
                "The timing record `{}` was not written ({why}); `bktec durations update` learns this job's start-up and its files' own costs from it",
                path.display()
            ),
        ),
        FileNotice::NothingPruned { tests, files } => (
            Channel::Warning,
            format!(
                "None of the {tests} tests in the durations file is in a file that discovery found ({files} files), so none was pruned; are its node ids relative to another directory?"
            ),
        ),
        FileNotice::Initialized {
            path,
            runner,
            why,
            schema_written,
            schema_file,
        } => {
            let schema_note = if *schema_written {
                format!(" and its schema `{schema_file}`")
            } else {
                format!(
                    "; `{schema_file}` was already there (`bktec schema > {schema_file}` refreshes it)"
                )
            };
            (
                Channel::Stderr,
                format!(
                    "Wrote `{}` for a {runner} project (from {why}){schema_note}.\n\
                     Next: `bktec config` shows every setting and where it comes from; \
                     `bktec run --dry-run` shows what this job would run.\n",
                    path.display(),
                ),
            )
        }
        FileNotice::DurationsStored(stored) => (Channel::Stderr, durations_stored(stored)),
    }
}

/// What the time-aware planner did and why (D32).
fn planner_note(note: &PlanNote) -> String {
    let seconds = |us: u64| format!("{:.3}s", us as f64 / 1e6);
    match note {
        PlanNote::HistoryFromAbove { dir } => format!(
            "The timing history names tests from pytest's rootdir, above the working directory: `{dir}/` is taken off its node ids"
        ),
        PlanNote::HistoryFromBelow { dir } => format!(
            "The timing history names tests from pytest's rootdir `{dir}`, below the working directory: `{dir}/` is put in front of its node ids"
        ),
        PlanNote::TargetsWithoutHistory {
            count,
            of,
            estimate_us,
            first,
        } => format!(
            "{count} of {of} targets have no timing history; each is estimated at {} (the median of the known files), e.g. `{first}`",
            seconds(*estimate_us)
        ),
        PlanNote::FileSplit {
            file,
            fair_share_us,
            tests,
        } => format!(
            "`{file}` is longer than its fair share ({}); it is split into its {tests} tests",
            seconds(*fair_share_us)
        ),
        PlanNote::SplitTestsWithoutHistory {
            count,
            first,
            estimate_us,
        } => format!(
            "{count} tests of split files have no timing history; each is estimated at the mean test of its file (`{first}` at {})",
            seconds(*estimate_us)
        ),
        PlanNote::SplitDidNotPay {
            files,
            whole_us,
            split_us,
        } => format!(
            "{files} {} longer than {} fair share {} kept whole: every job that runs part of a file pays its import and set-up again, so the slowest job would take {} split against {} whole",
            if *files == 1 { "file" } else { "files" },
            if *files == 1 { "its" } else { "their" },
            if *files == 1 { "is" } else { "are" },
            seconds(*split_us),
            seconds(*whole_us)
        ),
        PlanNote::SplitListing { us } => format!(
            "each job lists the tests of the files to split before it runs any, which takes about {} (a start of the runner and their import); it is counted in each job's start-up",
            seconds(*us)
        ),
        PlanNote::StrayCollected { path } => format!(
            "files longer than their fair share are kept whole: pytest collected `{path}`, which is not in a file it was given"
        ),
        PlanNote::TooLongToSplit {
            file,
            tests,
            bytes,
            max,
        } => format!(
            "`{file}` is longer than its fair share, but its {tests} tests' node ids take {bytes} bytes, more than the {max} a command line is given here; it is kept whole"
        ),
    }
}

/// The warning that the default pattern finds other tests than pytest.
fn pattern_disagrees(pattern: &str, config_file: Option<&str>, reasons: &[String]) -> String {
    let read = match config_file {
        None => "pytest has no configuration file here, but".to_string(),
        Some(file) => format!("pytest reads `{file}`, and"),
    };
    let mut text =
        format!("The default pattern `{pattern}` may run other tests than `pytest` would. {read}");
    for reason in reasons {
        text.push_str(&format!("\n  - {reason}"));
    }
    text.push_str("\nTo run what pytest collects, use `--discovery pytest` (BUILDKITE_TEST_ENGINE_DISCOVERY=pytest, or `discovery = \"pytest\"` under `[files]` in bktec.toml); or set a pattern that matches your tests with `--test-file-pattern`.");
    text
}

/// The debug line of discovery by pytest.
fn pytest_collected(
    command: &str,
    tests: usize,
    files: usize,
    left_out: usize,
    took: std::time::Duration,
) -> String {
    let left_out = match left_out {
        0 => String::new(),
        n => format!("; the include and exclude patterns leave out {n} files"),
    };
    format!(
        "`{command}` collected {tests} tests in {files} files in {:.3}s{left_out}",
        took.as_secs_f64()
    )
}

/// What storing durations did.
fn durations_stored(stored: &DurationsStored) -> String {
    match stored {
        DurationsStored::NoFile => {
            "No durations file is configured; nothing was stored\n".to_string()
        }
        DurationsStored::Stored {
            count,
            path,
            total,
            pruned,
            jobs,
        } => {
            let pruned = match pruned {
                Some(n) => format!(", {n} no longer discovered dropped"),
                None => String::new(),
            };
            let costs = match jobs {
                0 => String::new(),
                1 => " and one job's start-up and files' costs".to_string(),
                n => format!(" and {n} jobs' start-ups and files' costs"),
            };
            format!(
                "Stored the durations of {count} tests{costs} in `{}` ({total} tests in all{pruned})\n",
                path.display()
            )
        }
    }
}

/// Where the API client's notices go: stderr, written apart from the
/// reporter because the client runs inside a stage (4.1); debug notices
/// only with `debug`.
pub(crate) fn api_notices(color: bool, debug: bool) -> Notify {
    Box::new(move |notice: ApiNotice<'_>| {
        let mut shell = Shell::stderr_only(color);
        match notice {
            ApiNotice::Sending { method, url } if debug => {
                shell.err(&debug_line(&format!("Sending request {method} {url}")));
            }
            ApiNotice::Response { status } if debug => {
                shell.err(&debug_line(&format!("Response code {status}")));
            }
            ApiNotice::Sending { .. } | ApiNotice::Response { .. } => {}
            ApiNotice::Failed { reason } => {
                shell.err(&format!(
                    "Buildkite Test Engine Client: API request failed: {reason}\n"
                ));
            }
            ApiNotice::Retrying { attempt } => {
                shell.err(&format!(
                    "Buildkite Test Engine Client: Retrying API request (attempt {attempt})\n"
                ));
            }
        }
    })
}

const FALLBACK_NOTICE: &str =
    "⚠️ Falling back to non-intelligent splitting. Your build may take longer than usual.";

/// The warning lines of a fallback (4.2), the first one emphasised.
pub(super) fn fallback_lines(reason: &FallbackReason) -> Vec<String> {
    let mut lines = match reason {
        FallbackReason::Timeout(last) => vec![
            "Timeout: Test Engine API timed out".to_string(),
            format!("Last request error: {last}"),
        ],
        FallbackReason::Unreachable(last) => vec![
            "Unreachable: Test Engine API could not be reached".to_string(),
            format!("Last request error: {last}"),
        ],
        FallbackReason::Billing(message) => vec![format!("Billing Error: {message}")],
        FallbackReason::Unavailable(message) => vec![format!("Unavailable: {message}")],
        FallbackReason::NotFound(message) => vec![
            format!("Not Found: {message}"),
            "Check BUILDKITE_ORGANIZATION_SLUG and BUILDKITE_TEST_ENGINE_SUITE_SLUG are correct."
                .to_string(),
        ],
        FallbackReason::ErrorPlan => {
            vec!["Error Plan: The Test Engine API failed to generate a plan.".to_string()]
        }
    };
    lines.push(FALLBACK_NOTICE.to_string());
    lines
}
