//! The runners bktec knows, their names and defaults.

use std::fmt;
use std::str::FromStr;

use super::framework::Framework;

/// A test runner bktec knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunnerKind {
    /// RSpec.
    Rspec,
    /// Jest.
    Jest,
    /// Vitest.
    Vitest,
    /// Cypress.
    Cypress,
    /// Playwright.
    Playwright,
    /// pytest, the first-class runner.
    Pytest,
    /// `go test` (through gotestsum).
    Gotest,
    /// Cucumber.
    Cucumber,
    /// Any command, configured by the user.
    Custom,
}

/// Why a runner name is not known.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "runner value \"{0}\" is invalid, possible values are 'rspec', 'jest', 'vitest', 'cypress', 'playwright', 'pytest', 'gotest', 'cucumber', or 'custom'"
)]
pub struct UnknownRunner(pub String);

impl RunnerKind {
    /// Every runner, in the order the Go client lists them.
    pub const ALL: [RunnerKind; 9] = [
        RunnerKind::Rspec,
        RunnerKind::Jest,
        RunnerKind::Vitest,
        RunnerKind::Cypress,
        RunnerKind::Playwright,
        RunnerKind::Pytest,
        RunnerKind::Gotest,
        RunnerKind::Cucumber,
        RunnerKind::Custom,
    ];

    /// Everything bktec knows about this runner: the one match over runners.
    pub(crate) fn framework(self) -> &'static Framework {
        match self {
            RunnerKind::Rspec => &super::rspec::FRAMEWORK,
            RunnerKind::Jest => &super::jest::FRAMEWORK,
            RunnerKind::Vitest => &super::vitest::FRAMEWORK,
            RunnerKind::Cypress => &super::cypress::FRAMEWORK,
            RunnerKind::Playwright => &super::playwright::FRAMEWORK,
            RunnerKind::Pytest => &super::pytest::FRAMEWORK,
            RunnerKind::Gotest => &super::gotest::FRAMEWORK,
            RunnerKind::Cucumber => &super::cucumber::FRAMEWORK,
            RunnerKind::Custom => &super::custom::FRAMEWORK,
        }
    }

    /// The configuration value (`pytest`).
    pub fn as_str(self) -> &'static str {
        self.framework().name
    }

    /// The name used in messages (`RSpec`, `pytest`, `Custom test runner`).
    pub fn display_name(self) -> &'static str {
        self.framework().display_name
    }

    /// The runner's default include pattern (behaviour document 5.2), if it has one.
    pub fn default_pattern(self) -> Option<&'static str> {
        self.framework().default_pattern
    }

    /// The runner's default test command and what chose it, if it has one;
    /// `collector_installed` is asked only for a runner whose default
    /// depends on it (pytest, D14).
    pub fn default_command(
        self,
        collector_installed: impl FnOnce() -> bool,
    ) -> Option<(&'static str, &'static str)> {
        self.framework()
            .default_command
            .map(|command| command(collector_installed()))
    }

    /// Whether `run` needs a configured result path (behaviour document 2.4).
    pub fn requires_result_path(self) -> bool {
        self.framework().requires_result_path
    }

    /// Whether the runner can split files into their examples for Test
    /// Engine (6.1): pytest collects them, RSpec, Cucumber and Playwright
    /// list them with their own tools.
    pub fn splits_files(self) -> bool {
        let framework = self.framework();
        framework.collects_with_pytest || framework.example_listing.is_some()
    }

    /// Whether discovery skips dot-directories and virtualenvs (D9).
    pub fn skips_hidden_and_venv_dirs(self) -> bool {
        self.framework().skips_hidden_and_venv_dirs
    }
}

impl FromStr for RunnerKind {
    type Err = UnknownRunner;

    fn from_str(s: &str) -> Result<RunnerKind, UnknownRunner> {
        RunnerKind::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRunner(s.to_string()))
    }
}

impl fmt::Display for RunnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for r in RunnerKind::ALL {
            assert_eq!(r.as_str().parse(), Ok(r));
        }
        assert!("PyTest".parse::<RunnerKind>().is_err());
        assert!("nunit".parse::<RunnerKind>().is_err());
    }
}
