//! Configuration errors. Every one names the offending value and where it came
//! from (D4), and all of them exit 16 (D22).

use std::fmt;
use std::io;

use crate::config::origin::Origin;
use crate::config::registry::Setting;

/// One problem found while loading or validating configuration. Problems
/// in the configuration file come first, in the file's order (line, then
/// column); then the others, sorted by their text (which starts with the
/// variable, as the Go client's lines do); the flags' last, as the layers go.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Where in the file: `None` for a problem that is not in it, which
    /// sorts after every problem that is.
    at: FilePlace,
    text: String,
    /// A value no layer set, of a setting a `bktec.toml` may hold.
    unset_file_key: bool,
}

/// The place of a problem in the configuration file, ordered as the file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FilePlace {
    /// At this line and column (0 when the column is not known).
    In(usize, usize),
    /// Not in the file.
    Outside,
    /// On the command line, the top layer.
    CommandLine,
    /// A note about all of them, listed last.
    Note,
}

impl Problem {
    /// A problem at a position in the file `path` (`bktec.toml:3:1: …`).
    pub fn file(path: &str, line: usize, column: usize, message: String) -> Problem {
        Problem {
            at: FilePlace::In(line, column),
            text: format!("{path}:{line}:{column}: {message}"),
            unset_file_key: false,
        }
    }

    /// A problem with a setting's value. It leads with what the user wrote:
    /// a value from the file with the file, line and key
    /// (`bktec.toml:5: runner.cancel-grace-period was -5s, …`), a value from
    /// a flag with the flag; otherwise with the setting's environment
    /// variable, as the Go client's lines do, and it ends with where the
    /// value came from.
    pub fn setting(setting: &Setting, message: impl fmt::Display, origin: &Origin) -> Problem {
        let (at, text) = match origin {
            Origin::File { path, line, key } => (
                FilePlace::In(*line, 0),
                format!("{path}:{line}: {key} {message}"),
            ),
            Origin::Flag(flag) => (FilePlace::CommandLine, format!("{flag} {message}")),
            Origin::Unset => (
                FilePlace::Outside,
                format!(
                    "{} {message} (not set; set {})",
                    setting.field_name(),
                    setting.places()
                ),
            ),
            Origin::BuiltIn | Origin::RunnerDefault { .. } | Origin::Env(_) => (
                FilePlace::Outside,
                format!("{} {message} (from {origin})", setting.field_name()),
            ),
        };
        Problem {
            at,
            text,
            unset_file_key: *origin == Origin::Unset && setting.in_file(),
        }
    }

    /// A problem with a value that the message itself names: from the file
    /// it leads with the file, line and key
    /// (`bktec.toml:4: files.pattern: error parsing …`); from elsewhere it
    /// is `elsewhere`, which names its origin itself.
    pub fn value(message: impl fmt::Display, origin: &Origin, elsewhere: String) -> Problem {
        match origin {
            Origin::File { path, line, key } => Problem {
                at: FilePlace::In(*line, 0),
                text: format!("{path}:{line}: {key}: {message}"),
                unset_file_key: false,
            },
            Origin::Unset
            | Origin::BuiltIn
            | Origin::RunnerDefault { .. }
            | Origin::Env(_)
            | Origin::Flag(_) => Problem::other(elsewhere),
        }
    }

    /// A note after the problems: `(hint: …)`.
    pub fn note(hint: String) -> Problem {
        Problem {
            at: FilePlace::Note,
            text: format!("(hint: {hint})"),
            unset_file_key: false,
        }
    }

    /// Whether the problem is a value that no layer set, of a setting a
    /// `bktec.toml` could have set.
    pub fn is_unset(&self) -> bool {
        self.unset_file_key
    }

    /// A problem that is not about one setting.
    pub fn other(message: String) -> Problem {
        Problem {
            at: FilePlace::Outside,
            text: message,
            unset_file_key: false,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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
        /// The problems, in any order; they are rendered in the file's
        /// order, then sorted.
        problems: Vec<Problem>,
    },
}

fn render_problems(problems: &[Problem]) -> String {
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort();
    sorted.dedup();
    let lines: Vec<&str> = sorted.iter().map(|p| p.text.as_str()).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_s_problems_come_first_in_line_order_then_the_flags_last() {
        let file = |line| Origin::File {
            path: "bktec.toml".to_string(),
            line,
            key: "retry.count".to_string(),
        };
        let setting = crate::config::registry::RETRY.count.setting;
        let problems = vec![
            Problem::setting(setting, "was -1", &Origin::Flag("--x".to_string())),
            Problem::setting(setting, "was -2", &file(10)),
            Problem::setting(
                setting,
                "was -3",
                &Origin::Env("BUILDKITE_TEST_ENGINE_RETRY_COUNT"),
            ),
            Problem::file("bktec.toml", 9, 1, "unknown key `a`".to_string()),
            Problem::setting(setting, "was -4", &file(2)),
        ];
        assert_eq!(
            render_problems(&problems),
            "bktec.toml:2: retry.count was -4\n\
             bktec.toml:9:1: unknown key `a`\n\
             bktec.toml:10: retry.count was -2\n\
             BUILDKITE_TEST_ENGINE_RETRY_COUNT was -3 (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)\n\
             --x was -1"
        );
    }
}
