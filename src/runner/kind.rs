//! The runners bktec knows, their names and defaults.

use std::fmt;
use std::str::FromStr;

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

    /// The configuration value (`pytest`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunnerKind::Rspec => "rspec",
            RunnerKind::Jest => "jest",
            RunnerKind::Vitest => "vitest",
            RunnerKind::Cypress => "cypress",
            RunnerKind::Playwright => "playwright",
            RunnerKind::Pytest => "pytest",
            RunnerKind::Gotest => "gotest",
            RunnerKind::Cucumber => "cucumber",
            RunnerKind::Custom => "custom",
        }
    }

    /// The name used in messages (`RSpec`, `pytest`, `Custom test runner`).
    pub fn display_name(self) -> &'static str {
        match self {
            RunnerKind::Rspec => "RSpec",
            RunnerKind::Jest => "Jest",
            RunnerKind::Vitest => "Vitest",
            RunnerKind::Cypress => "Cypress",
            RunnerKind::Playwright => "Playwright",
            RunnerKind::Pytest => "pytest",
            RunnerKind::Gotest => "gotest",
            RunnerKind::Cucumber => "Cucumber",
            RunnerKind::Custom => "Custom test runner",
        }
    }

    /// The runner's default include pattern (behaviour document 5.2), if it has one.
    pub fn default_pattern(self) -> Option<&'static str> {
        match self {
            RunnerKind::Rspec => Some("spec/**/*_spec.rb"),
            RunnerKind::Jest | RunnerKind::Vitest => {
                Some("**/{__tests__/**/*,*.spec,*.test}.{ts,js,tsx,jsx}")
            }
            RunnerKind::Cypress => Some("**/*.cy.{js,jsx,ts,tsx}"),
            RunnerKind::Playwright => Some("**/{*.spec,*.test}.{ts,js}"),
            RunnerKind::Pytest => Some("**/{*_test,test_*}.py"),
            RunnerKind::Gotest => None,
            RunnerKind::Cucumber => Some("features/**/*.feature"),
            RunnerKind::Custom => None,
        }
    }

    /// The runner's default test command, if this bktec knows one, and what
    /// chose it. `collector_installed` is asked only when the answer depends
    /// on it (pytest, D14).
    pub fn default_command(
        self,
        collector_installed: impl FnOnce() -> bool,
    ) -> Option<(&'static str, &'static str)> {
        match self {
            RunnerKind::Pytest => Some(super::pytest::default_command(collector_installed())),
            RunnerKind::Rspec
            | RunnerKind::Jest
            | RunnerKind::Vitest
            | RunnerKind::Cypress
            | RunnerKind::Playwright
            | RunnerKind::Gotest
            | RunnerKind::Cucumber
            | RunnerKind::Custom => None,
        }
    }

    /// Whether `run` needs a configured result path (behaviour document 2.4).
    pub fn requires_result_path(self) -> bool {
        match self {
            RunnerKind::Rspec
            | RunnerKind::Jest
            | RunnerKind::Vitest
            | RunnerKind::Playwright
            | RunnerKind::Gotest
            | RunnerKind::Cucumber => true,
            RunnerKind::Cypress | RunnerKind::Pytest | RunnerKind::Custom => false,
        }
    }

    /// Whether discovery skips dot-directories and virtualenvs (D9).
    pub fn skips_hidden_and_venv_dirs(self) -> bool {
        match self {
            RunnerKind::Pytest => true,
            RunnerKind::Rspec
            | RunnerKind::Jest
            | RunnerKind::Vitest
            | RunnerKind::Cypress
            | RunnerKind::Playwright
            | RunnerKind::Gotest
            | RunnerKind::Cucumber
            | RunnerKind::Custom => false,
        }
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
