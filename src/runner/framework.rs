//! What bktec knows about a test framework, one value per runner (behaviour
//! document 5.2, 7, 8). Each runner's file holds its [`Framework`];
//! `RunnerKind::framework` is the one match over runners. Adding a runner
//! is its file, a `RunnerKind` variant and that match arm.

use std::path::Path;

use super::setup::{Runner, RunnerError, RunnerInputs};
use super::target::TargetError;
use crate::results::{Mapping, ResultFormat};

/// Builds a runner's [`Runner`]; `probe` answers whether
/// buildkite-test-collector is installed, asked only when needed (D14).
pub(crate) type Build =
    fn(RunnerInputs<'_>, &mut dyn FnMut() -> bool) -> Result<Runner, RunnerError>;

/// A runner's default test command and what chose it (the text `bktec
/// config` shows; empty when nothing did), from whether
/// buildkite-test-collector is installed.
pub(crate) type DefaultCommand = fn(bool) -> (&'static str, &'static str);

/// A command that lists examples, and the variables it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// The program and its arguments.
    pub(crate) argv: Vec<String>,
    /// Variables added to bktec's environment.
    pub(crate) env: Vec<(String, String)>,
}

/// The command that lists the examples of some files into a JSON file
/// (6.4).
pub(crate) type ListingCommand = fn(&Runner, &[String], &Path) -> Result<Listing, TargetError>;

/// How a runner other than pytest lists the examples of files, for Test
/// Engine to split them (behaviour document 6.1, 6.4).
#[derive(Debug)]
pub(crate) struct ExampleListing {
    /// The listing's name in messages (`rspec dry run`).
    pub(crate) tool: &'static str,
    /// Whether Test Engine may skip the runner's tests (6.1); without,
    /// files are split into examples only with `--split-by-example`.
    pub(crate) skips: bool,
    /// The command that writes the examples of the files to the path.
    pub(crate) command: ListingCommand,
    /// The format it writes them in.
    pub(crate) format: ResultFormat,
}

/// Where a runner's targets come from when no row file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Targets {
    /// Files matching the include pattern (5.4, 5.5).
    Walk,
    /// Go packages, from `go list ./...` (5.3).
    GoPackages,
}

/// Everything bktec knows about one test framework.
#[derive(Debug)]
pub(crate) struct Framework {
    /// The configuration value (`pytest`).
    pub(crate) name: &'static str,
    /// The name in messages (`RSpec`, `Custom test runner`).
    pub(crate) display_name: &'static str,
    /// The default include pattern, if it has one.
    pub(crate) default_pattern: Option<&'static str>,
    /// The default test command and what chose it, from whether the
    /// collector is installed; `None` when the user must give one.
    pub(crate) default_command: Option<DefaultCommand>,
    /// Whether `run` needs a configured result path (2.4).
    pub(crate) requires_result_path: bool,
    /// Whether discovery skips dot-directories and virtualenvs (D9).
    pub(crate) skips_hidden_and_venv_dirs: bool,
    /// Where its targets come from.
    pub(crate) targets: Targets,
    /// How entries of its result files map to tests.
    pub(crate) mapping: Mapping,
    /// Whether pytest collection serves it: example discovery (6.3) and the
    /// proof that silent targets hold no tests (D23).
    pub(crate) collects_with_pytest: bool,
    /// The test command's options that stop the run at the first failure.
    /// With retries they are refused: the retry of that failure could pass
    /// while the tests after it never ran, and nothing in the results would
    /// say so (D23). pytest's `-x` needs no entry: the witness sees the
    /// tests it stopped before. gotest retries whole packages.
    pub(crate) fail_fast_options: &'static [&'static str],
    /// How it lists the examples of files, when it is not pytest and can.
    pub(crate) example_listing: Option<ExampleListing>,
    /// How `run` builds it; `None` for a runner `run` does not support yet.
    pub(crate) build: Option<Build>,
}
