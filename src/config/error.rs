//! Configuration errors. Every one names the offending value and where it came
//! from (D4), and all of them exit 16 (D22).

use std::fmt;
use std::io;

use crate::config::origin::Origin;
use crate::config::registry::Setting;

/// One problem found while loading or validating configuration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem(String);

impl Problem {
    /// A problem at a position in a file (`bktec.toml:3:1`).
    pub fn file(at: &str, message: String) -> Problem {
        Problem(format!("{at}: {message}"))
    }

    /// A problem with a setting's value. The line starts with the setting's
    /// environment variable (as the Go client's lines do, so they sort the
    /// same way) and ends with where the value came from.
    pub fn setting(setting: &Setting, message: impl fmt::Display, origin: &Origin) -> Problem {
        let whence = match origin {
            Origin::Unset => format!("not set; set {}", setting.places()),
            Origin::BuiltIn
            | Origin::RunnerDefault { .. }
            | Origin::File { .. }
            | Origin::Env(_)
            | Origin::Flag(_) => format!("from {}", origin.describe()),
        };
        Problem(format!("{} {message} ({whence})", setting.field_name()))
    }

    /// A problem that is not about one setting.
    pub fn other(message: String) -> Problem {
        Problem(message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why configuration could not be loaded or validated.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An explicitly named configuration file does not exist.
    #[error("configuration file `{path}` does not exist")]
    MissingFile {
        /// The path as given.
        path: String,
    },
    /// The configuration file could not be read.
    #[error("failed to read configuration file `{path}`")]
    ReadFile {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The configuration file is not valid TOML.
    #[error("{path}:{line}:{column}: invalid TOML: {message}")]
    Syntax {
        /// The path as given.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// One or more settings are invalid.
    #[error("invalid configuration:\n{}", render_problems(problems))]
    Invalid {
        /// The problems, in any order; they are rendered sorted.
        problems: Vec<Problem>,
    },
}

fn render_problems(problems: &[Problem]) -> String {
    let mut lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.sort();
    lines.dedup();
    lines.join("\n")
}
