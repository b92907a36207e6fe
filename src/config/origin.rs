//! Where a setting's value came from (D4).

use std::fmt;

use crate::config::elements::RunnerKind;

/// The source of a resolved value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// No layer set it.
    Unset,
    /// The built-in default.
    BuiltIn,
    /// The default of the configured runner (behaviour document 5.2), applied
    /// by `resolve`.
    RunnerDefault {
        /// The runner.
        runner: RunnerKind,
        /// What chose between the runner's defaults, if anything did
        /// (`buildkite-test-collector found`).
        basis: Option<&'static str>,
    },
    /// A key in a configuration file.
    File {
        /// The file as the user named it (`bktec.toml`, `ci/bktec.toml`).
        path: String,
        /// The 1-based line of the key.
        line: usize,
        /// The dotted key path.
        key: String,
    },
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag, with its dashes.
    Flag(String),
}

impl Origin {
    /// Whether the user set the value: in a configuration file, the
    /// environment or a flag, rather than a default.
    pub fn set_by_user(&self) -> bool {
        matches!(self, Origin::File { .. } | Origin::Env(_) | Origin::Flag(_))
    }

    /// Where the value came from, for an error message: like `Display`, but a
    /// file origin also names the key.
    pub fn describe(&self) -> String {
        match self {
            Origin::File { key, .. } => format!("`{key}` at {self}"),
            Origin::Unset
            | Origin::BuiltIn
            | Origin::RunnerDefault { .. }
            | Origin::Env(_)
            | Origin::Flag(_) => self.to_string(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Unset => f.write_str("not set"),
            Origin::BuiltIn => f.write_str("built-in default"),
            Origin::RunnerDefault {
                runner,
                basis: None,
            } => write!(f, "default for runner `{runner}`"),
            Origin::RunnerDefault {
                runner,
                basis: Some(basis),
            } => write!(f, "default for runner `{runner}` ({basis})"),
            Origin::File { path, line, key: _ } => write!(f, "{path}:{line}"),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Flag(flag) => f.write_str(flag),
        }
    }
}
