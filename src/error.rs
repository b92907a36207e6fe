//! The top-level error and its exit status.

use crate::config::ConfigError;
use crate::config::registry::CommandKind;
use crate::discover::DiscoverError;
use crate::exit_code;
use crate::plan::PlanFileError;
use crate::runner::{RunnerError, TargetError};

/// An error that ends a bktec command.
#[derive(Debug, thiserror::Error)]
pub enum BktecError {
    /// Configuration could not be loaded or is invalid.
    #[error("bktec {}: {source}", command.name())]
    Config {
        /// The command being run.
        command: CommandKind,
        /// What is wrong.
        #[source]
        source: ConfigError,
    },
    /// Test discovery failed.
    #[error("bktec {}: {source}", command.name())]
    Discover {
        /// The command being run.
        command: CommandKind,
        /// What went wrong.
        #[source]
        source: Box<DiscoverError>,
    },
    /// The runner could not be set up.
    #[error("bktec run: {0}")]
    Runner(#[source] RunnerError),
    /// The plan file is unusable.
    #[error("bktec run: {0}")]
    PlanFile(#[source] PlanFileError),
    /// A test target that no argument can carry unambiguously (D24).
    #[error("bktec run: {0}")]
    Target(#[source] TargetError),
    /// A pytest pre-flight check failed (7.6); exits 1 as the Go client does.
    #[error("{}", .0.join("\n"))]
    Preflight(Vec<String>),
    /// A fatal Test Engine API error (4.2), as its message.
    #[error("{0}")]
    Api(String),
    /// `--fail-on-no-tests` and this node has no tests.
    #[error("no tests assigned to this node")]
    NoTestsAssigned,
    /// The async runtime or the signal handlers could not be set up.
    #[error("failed to set up process and signal handling")]
    Runtime(#[source] std::io::Error),
    /// A word that is not a command (D1).
    #[error("invalid command: \"{0}\"")]
    InvalidCommand(String),
    /// A command-line usage error found after parsing.
    #[error("{0}")]
    Usage(String),
    /// Something other than a result file is at the result path.
    #[error("bktec run: unusable result path")]
    ResultPath(#[source] std::io::Error),
    /// The working directory could not be determined.
    #[error("failed to determine the working directory")]
    CurrentDir(#[source] std::io::Error),
}

impl BktecError {
    /// The exit status for this error (D22).
    pub fn exit_code(&self) -> u8 {
        match self {
            BktecError::Preflight(_) => exit_code::PREFLIGHT_FAILED,
            BktecError::Config { .. }
            | BktecError::Discover { .. }
            | BktecError::Runner(_)
            | BktecError::PlanFile(_)
            | BktecError::Target(_)
            | BktecError::Api(_)
            | BktecError::NoTestsAssigned
            | BktecError::Runtime(_)
            | BktecError::InvalidCommand(_)
            | BktecError::Usage(_)
            | BktecError::ResultPath(_)
            | BktecError::CurrentDir(_) => exit_code::CONFIG_ERROR,
        }
    }

    /// Whether the error's own text already includes its direct cause, so
    /// the renderer starts the `caused by` lines one level further down.
    pub fn repeats_source(&self) -> bool {
        match self {
            BktecError::Config { .. }
            | BktecError::Discover { .. }
            | BktecError::Runner(_)
            | BktecError::PlanFile(_)
            | BktecError::Target(_) => true,
            BktecError::Preflight(_)
            | BktecError::Api(_)
            | BktecError::NoTestsAssigned
            | BktecError::Runtime(_)
            | BktecError::InvalidCommand(_)
            | BktecError::Usage(_)
            | BktecError::ResultPath(_)
            | BktecError::CurrentDir(_) => false,
        }
    }
}
