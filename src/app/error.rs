//! The top-level error, its exit status, and the one renderer of error
//! chains (S6).

use std::error::Error;

use crate::chain::ErrorChain;
use std::fmt;
use std::io;

use super::plan_cmd::PlanOutputError;
use crate::api::ApiError;
use crate::cli::UsageError;
use crate::config::ConfigError;
use crate::config::registry::CommandKind;
use crate::discover::DiscoverError;
use crate::exit_code;
use crate::plan::{DurationsError, PlanFileError, SplitError};
use crate::results::ResultsError;
use crate::runner::{CollectError, PreflightError, RunnerError, TargetError};

/// An error that ends a bktec command.
///
/// The variants labelled with their command (`bktec run: …`, the Go client's
/// shape) show the wrapped error's own message after the label: the label is
/// not a link of the chain, so [`Error::source`] is the wrapped error's
/// source, and the renderer never prints a cause twice. That is why this
/// type implements `Display` and `Error` by hand: `thiserror` can forward a
/// source only for a transparent variant, which cannot carry a label.
#[derive(Debug)]
pub(crate) enum BktecError {
    /// Configuration could not be loaded or is invalid.
    Config {
        /// The command being run.
        command: CommandKind,
        /// What is wrong.
        source: ConfigError,
    },
    /// Test discovery failed.
    Discover {
        /// The command being run.
        command: CommandKind,
        /// What went wrong.
        source: Box<DiscoverError>,
    },
    /// The runner could not be set up.
    Runner(RunnerError),
    /// The plan file is unusable.
    PlanFile(PlanFileError),
    /// The durations file is unusable (D31).
    Durations {
        /// The command being run.
        command: CommandKind,
        /// What is wrong.
        source: DurationsError,
    },
    /// pytest could not collect a file that time-aware planning must split
    /// (D31); the message has pytest's own.
    Split {
        /// The command being run.
        command: CommandKind,
        /// What happened.
        source: SplitError<CollectError>,
    },
    /// `--junit-out` names a file bktec must not write (issue 13).
    JUnitOut {
        /// The path.
        path: std::path::PathBuf,
        /// Where it came from, described.
        origin: String,
        /// Why not.
        why: String,
    },
    /// An output path is a file the run reads (D35).
    OutputPath(super::run_checks::OutputPathError),
    /// A result file given to `bktec durations update` is unusable.
    DurationsResults(ResultsError),
    /// A timing record given to `bktec durations update` is unusable (D52).
    TimingRecord(crate::plan::TimingError),
    /// A test target that no argument can carry unambiguously (D24).
    Target(TargetError),
    /// A pytest pre-flight check failed (7.6); exits 1 as the Go client does.
    Preflight(PreflightError),
    /// A fatal Test Engine API error (4.2). The Go client prints it on one
    /// line, `❌ <heading>: <error>: <cause>`, so its chain is part of the
    /// message rather than `caused by` lines.
    Api(ApiError),
    /// `--fail-on-no-tests` and this node has no tests.
    NoTestsAssigned,
    /// The async runtime or the signal handlers could not be set up.
    Runtime(io::Error),
    /// `bktec init` wrote nothing.
    Init(super::init_cmd::InitError),
    /// A word that is not a command (D1), and the command clap suggests.
    InvalidCommand {
        /// The word.
        word: String,
        /// The closest command, if one is close.
        suggestion: Option<String>,
    },
    /// A command-line usage error found after parsing.
    Usage(UsageError),
    /// `bktec plan` could not write its output.
    PlanOutput(PlanOutputError),
    /// Something other than a result file is at the result path.
    ResultPath {
        /// Where the result path was configured, described; `None` for
        /// bktec's own temporary one.
        origin: Option<String>,
        /// Why it is unusable.
        source: io::Error,
    },
    /// The working directory could not be determined.
    CurrentDir(io::Error),
    /// `bktec tools backfill-commit-metadata` failed (D43).
    Backfill(super::backfill_cmd::BackfillError),
}

impl fmt::Display for BktecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BktecError::Config { command, source } => {
                write!(f, "bktec {}: {source}", command.name())
            }
            BktecError::Discover { command, source } => {
                write!(f, "bktec {}: {source}", command.name())
            }
            BktecError::Runner(err) => write!(f, "bktec run: {err}"),
            BktecError::PlanFile(err) => write!(f, "bktec run: {err}"),
            BktecError::Durations { command, source } => {
                write!(f, "bktec {}: {source}", command.name())
            }
            BktecError::DurationsResults(err) => write!(f, "bktec durations: {err}"),
            BktecError::TimingRecord(err) => write!(f, "bktec durations: {err}"),
            BktecError::JUnitOut { path, origin, why } => write!(
                f,
                "bktec run: refusing to write the merged JUnit report to `{}` (from {origin}): {why}",
                path.display()
            ),
            BktecError::Split { command, source } => {
                write!(f, "bktec {}: {source}. pytest said:", command.name())?;
                for line in brief(&source.source).lines() {
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
            BktecError::Target(err) => write!(f, "bktec run: {err}"),
            BktecError::OutputPath(err) => write!(f, "bktec run: {err}"),
            BktecError::Preflight(err) => write!(f, "{err}"),
            BktecError::Api(err) => fatal_api(f, err),
            BktecError::NoTestsAssigned => f.write_str("no tests assigned to this node"),
            BktecError::Runtime(_) => f.write_str("failed to set up process and signal handling"),
            BktecError::Init(err) => write!(f, "bktec init: {err}"),
            BktecError::InvalidCommand {
                word,
                suggestion: None,
            } => write!(f, "invalid command: \"{word}\""),
            BktecError::InvalidCommand {
                word,
                suggestion: Some(suggestion),
            } => write!(
                f,
                "invalid command: \"{word}\"\n\n  tip: a similar subcommand exists: '{suggestion}'"
            ),
            BktecError::Usage(err) => write!(f, "{err}"),
            BktecError::PlanOutput(err) => write!(f, "{err}"),
            BktecError::ResultPath {
                origin: Some(origin),
                source: _,
            } => write!(f, "bktec run: unusable result path (from {origin})"),
            BktecError::ResultPath {
                origin: None,
                source: _,
            } => f.write_str("bktec run: unusable result path"),
            BktecError::CurrentDir(_) => f.write_str("failed to determine the working directory"),
            BktecError::Backfill(err) => write!(f, "bktec tools backfill-commit-metadata: {err}"),
        }
    }
}

/// A fatal API error (4.2) on one line, as the Go client prints it, with
/// a hint at its end when the answer names the token.
fn fatal_api(f: &mut fmt::Formatter<'_>, err: &ApiError) -> fmt::Result {
    write!(f, "❌ {}: {:#}", err.fatal_heading(), ErrorChain(err))?;
    match err.hint() {
        Some(hint) => write!(f, " ({hint})"),
        None => Ok(()),
    }
}

impl Error for BktecError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            // Labelled: the message is the wrapped error's, so the chain
            // goes on with the wrapped error's cause.
            BktecError::Config { source, .. } => source.source(),
            BktecError::Discover { source, .. } => source.source(),
            BktecError::Runner(err) => err.source(),
            BktecError::PlanFile(err) => err.source(),
            BktecError::Durations { source, .. } => source.source(),
            BktecError::DurationsResults(err) => err.source(),
            BktecError::TimingRecord(err) => err.source(),
            BktecError::Target(err) => err.source(),
            BktecError::Preflight(err) => err.source(),
            BktecError::Usage(err) => err.source(),
            BktecError::PlanOutput(err) => err.source(),
            BktecError::Init(err) => err.source(),
            BktecError::Backfill(err) => err.source(),
            // The message already holds the whole chain, on one line.
            BktecError::Api(_) => None,
            BktecError::Runtime(err)
            | BktecError::ResultPath { source: err, .. }
            | BktecError::CurrentDir(err) => Some(err),
            BktecError::NoTestsAssigned
            | BktecError::InvalidCommand { .. }
            | BktecError::Split { .. }
            | BktecError::JUnitOut { .. }
            | BktecError::OutputPath(_) => None,
        }
    }
}

impl BktecError {
    /// The exit status for this error (D22).
    pub(crate) fn exit_code(&self) -> u8 {
        // An error that a signal caused (a child it stopped) ends bktec as
        // the signal would: 128 + n (D15, D33).
        if let Some(signal) = crate::process::cancelled_by(self) {
            return exit_code::from_signal(signal);
        }
        match self {
            BktecError::Preflight(_) => exit_code::PREFLIGHT_FAILED,
            BktecError::Config { .. }
            | BktecError::Discover { .. }
            | BktecError::Runner(_)
            | BktecError::PlanFile(_)
            | BktecError::Durations { .. }
            | BktecError::DurationsResults(_)
            | BktecError::TimingRecord(_)
            | BktecError::Split { .. }
            | BktecError::JUnitOut { .. }
            | BktecError::OutputPath(_)
            | BktecError::Target(_)
            | BktecError::Api(_)
            | BktecError::NoTestsAssigned
            | BktecError::Runtime(_)
            | BktecError::InvalidCommand { .. }
            | BktecError::Init(_)
            | BktecError::Usage(_)
            | BktecError::PlanOutput(_)
            | BktecError::ResultPath { .. }
            | BktecError::CurrentDir(_)
            | BktecError::Backfill(_) => exit_code::CONFIG_ERROR,
        }
    }
}

/// Why pytest could not collect, short enough for a warning: pytest's
/// error lines (`E ...`, `ERROR ...`) when it printed some, else its last
/// lines.
fn brief(err: &(dyn std::error::Error + 'static)) -> String {
    const LINES: usize = 6;
    let text = ErrorChain(err).to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("E ") || l.starts_with("ERROR "))
        .collect();
    let shown = if errors.is_empty() {
        &lines[..]
    } else {
        &errors[..]
    };
    let start = shown.len().saturating_sub(LINES);
    let mut brief = shown[start..].join("\n");
    if start > 0 {
        brief = format!("({start} lines left out)\n{brief}");
    }
    brief
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::error::Problem;
    use crate::results::ResultsError;
    use crate::upload::UploadError;

    /// Both forms of a chain, for one snapshot.
    fn both(err: &dyn Error) -> String {
        format!("{}\n---\n{:#}", ErrorChain(err), ErrorChain(err))
    }

    fn not_found() -> io::Error {
        io::Error::new(io::ErrorKind::NotFound, "No such file or directory")
    }

    #[test]
    fn an_error_without_a_cause_is_its_message() {
        insta::assert_snapshot!(both(&BktecError::NoTestsAssigned));
    }

    #[test]
    fn each_cause_is_one_line() {
        let err = ResultsError::Read {
            path: PathBuf::from("results/r.json"),
            source: not_found(),
        };
        insta::assert_snapshot!(both(&err));
    }

    #[test]
    fn a_labelled_error_is_not_printed_again_as_its_cause() {
        let err = BktecError::PlanFile(PlanFileError::Read {
            path: PathBuf::from("missing.json"),
            origin: "--plan-file".to_string(),
            source: not_found(),
        });
        insta::assert_snapshot!(both(&err));
    }

    #[test]
    fn a_multi_line_message_keeps_its_lines() {
        let err = BktecError::Config {
            command: CommandKind::Run,
            source: ConfigError::Invalid {
                problems: vec![
                    Problem::other(
                        "BUILDKITE_PARALLEL_JOB was 4, must not be greater than 3".to_string(),
                    ),
                    Problem::other("BUILDKITE_ORGANIZATION_SLUG must not be blank".to_string()),
                ],
            },
        };
        insta::assert_snapshot!(both(&err));
    }

    #[test]
    fn every_cause_of_a_deep_chain_is_shown_once() {
        /// An error around an error around an I/O error.
        #[derive(Debug, thiserror::Error)]
        #[error("failed to upload the results of attempt 2")]
        struct Outer(#[source] UploadError);
        let err = Outer(UploadError::Read {
            path: PathBuf::from("results/r.xml"),
            source: not_found(),
        });
        insta::assert_snapshot!(both(&err));
        let err = BktecError::Runner(RunnerError::TempDir(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "Permission denied",
        )));
        insta::assert_snapshot!("labelled_runner_error", both(&err));
    }

    #[test]
    fn a_preflight_failure_keeps_the_go_client_lines() {
        let err = BktecError::Preflight(PreflightError::VersionTooOld {
            version: "1.2.0".to_string(),
        });
        insta::assert_snapshot!(both(&err));
    }

    #[test]
    fn a_fatal_api_error_is_one_line() {
        insta::assert_snapshot!(both(&BktecError::Api(ApiError::Auth(
            "token expired".to_string()
        ))));
    }
}
