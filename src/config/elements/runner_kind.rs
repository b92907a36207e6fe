//! The runner setting (`runner.name`): the names of the runners bktec
//! knows, and the plain facts about each that settings need to validate and
//! default a configuration (`RunnerRules`).
//!
//! The rules themselves are written in each runner's file (`runner/<name>.rs`,
//! in its `Framework`) and reach `resolve` through [`RunnerFacts`], which the
//! caller passes in. Configuration so never imports `runner`: settings are a
//! leaf, and what a runner is stays in one file per runner. The list of
//! runners is here ([`for_each_runner`]) because settings must parse and list
//! the names; `runner/` expands the same list into its modules.

use std::fmt;
use std::str::FromStr;

/// The registration list of runners: one line per runner, `Variant =
/// "name" => module`, in the order the Go client lists them. Adding a runner
/// is this line and its file `src/runner/<module>.rs`.
///
/// The list is handed to a macro (`$callback`): here, `declare_runner_kinds`
/// makes [`RunnerKind`] from the variants and names, and leaves the modules
/// alone, so configuration names no runner module; in `runner/mod.rs`,
/// `declare_frameworks` makes each `mod` line and the match from a
/// `RunnerKind` to its `FRAMEWORK`.
macro_rules! for_each_runner {
    ($callback:ident) => {
        $callback! {
            /// RSpec.
            Rspec = "rspec" => rspec,
            /// Jest.
            Jest = "jest" => jest,
            /// Vitest.
            Vitest = "vitest" => vitest,
            /// Cypress.
            Cypress = "cypress" => cypress,
            /// Playwright.
            Playwright = "playwright" => playwright,
            /// pytest, the first-class runner.
            Pytest = "pytest" => pytest,
            /// `go test` (through gotestsum).
            Gotest = "gotest" => gotest,
            /// Cucumber.
            Cucumber = "cucumber" => cucumber,
            /// Any command, configured by the user.
            Custom = "custom" => custom,
        }
    };
}
pub(crate) use for_each_runner;

/// Declares [`RunnerKind`] from the registration list.
macro_rules! declare_runner_kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $module:ident,)*) => {
        /// A test runner bktec knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RunnerKind {
            $($(#[$doc])* $variant,)*
        }

        impl RunnerKind {
            /// Every runner, in the order the Go client lists them.
            pub const ALL: &'static [RunnerKind] = &[$(RunnerKind::$variant,)*];

            /// The configuration value (`pytest`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RunnerKind::$variant => $name,)*
                }
            }
        }
    };
}

for_each_runner!(declare_runner_kinds);

/// Why a runner name is not known.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("runner value \"{0}\" is invalid, possible values are {list}", list = possible_values())]
pub struct UnknownRunner(pub String);

/// `'rspec', 'jest', … or 'custom'`, from [`RunnerKind::ALL`].
fn possible_values() -> String {
    let quoted: Vec<String> = RunnerKind::ALL
        .iter()
        .map(|kind| format!("'{kind}'"))
        .collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}, or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl UnknownRunner {
    /// The runner name closest to the unknown one, if one is close: the
    /// same name in another case, or one at most two edits away
    /// (`pytset` -> `pytest`).
    pub fn suggestion(&self) -> Option<RunnerKind> {
        let given = self.0.to_lowercase();
        RunnerKind::ALL
            .iter()
            .map(|&kind| (strsim::osa_distance(&given, kind.as_str()), kind))
            .filter(|&(distance, kind)| distance <= 2 && distance < kind.as_str().len() / 2)
            .min_by_key(|&(distance, _)| distance)
            .map(|(_, kind)| kind)
    }
}

impl FromStr for RunnerKind {
    type Err = UnknownRunner;

    fn from_str(s: &str) -> Result<RunnerKind, UnknownRunner> {
        RunnerKind::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRunner(s.to_string()))
    }
}

impl fmt::Display for RunnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A runner's default test command and what chose it (the text `bktec
/// config` shows; empty when nothing did), from whether
/// buildkite-test-collector is installed.
pub(crate) type DefaultCommand = fn(bool) -> (&'static str, &'static str);

/// Where a runner's targets come from when no row file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Targets {
    /// Files matching the include pattern (5.4, 5.5).
    Walk,
    /// Go packages, from `go list ./...` (5.3).
    GoPackages,
}

/// What settings need to know of a runner to validate and default a
/// configuration (behaviour document 2.3, 2.4, 5.2). Plain data, written in
/// the runner's own file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunnerRules {
    /// The default include pattern, if it has one.
    pub(crate) default_pattern: Option<&'static str>,
    /// The default test command and what chose it, from whether the
    /// collector is installed; `None` when the user must give one.
    pub(crate) default_command: Option<DefaultCommand>,
    /// Whether `run` needs a configured result path (2.4).
    pub(crate) requires_result_path: bool,
    /// Whether the runner is the user's own command (`custom`): then the test
    /// command and a pattern (or a selector file) are required, and
    /// `{{resultPath}}` needs a result path, since the runner has none.
    pub(crate) user_defined: bool,
    /// Whether it supports Test Engine tag filters (`tag-filters`).
    pub(crate) tag_filters: bool,
    /// Whether `files.discovery = "pytest"` may be used with it.
    pub(crate) discovery_by_pytest: bool,
    /// Where its targets come from.
    pub(crate) targets: Targets,
}

impl RunnerRules {
    /// The rules of most runners: tests are files that match `pattern`,
    /// `command` is the default test command, and bktec reads the results
    /// the runner writes where it says (so a result path is required). A
    /// runner file changes what differs with struct update syntax.
    pub(crate) const fn walking(pattern: &'static str, command: DefaultCommand) -> RunnerRules {
        RunnerRules {
            default_pattern: Some(pattern),
            default_command: Some(command),
            requires_result_path: true,
            user_defined: false,
            tag_filters: false,
            discovery_by_pytest: false,
            targets: Targets::Walk,
        }
    }
}

/// What `resolve` and `bktec config` are told about runners by their caller:
/// each runner's rules, and whether buildkite-test-collector is installed
/// (D14). Injected rather than imported, so that configuration neither
/// imports `runner` nor spawns Python itself; tests pass their own answers.
pub(crate) struct RunnerFacts<'a> {
    rules: fn(RunnerKind) -> &'static RunnerRules,
    collector: CollectorProbe<'a>,
}

impl<'a> RunnerFacts<'a> {
    /// Facts from `rules` (the app passes `runner::rules`) and `ask` (the
    /// collector probe, asked at most once and only when needed).
    pub(crate) fn new(
        rules: fn(RunnerKind) -> &'static RunnerRules,
        ask: &'a dyn Fn() -> bool,
    ) -> RunnerFacts<'a> {
        RunnerFacts {
            rules,
            collector: CollectorProbe::new(ask),
        }
    }

    /// The rules of `kind`.
    pub(crate) fn rules(&self, kind: RunnerKind) -> &'static RunnerRules {
        (self.rules)(kind)
    }

    /// The collector probe.
    pub(crate) fn collector(&self) -> &CollectorProbe<'a> {
        &self.collector
    }
}

impl fmt::Debug for RunnerFacts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunnerFacts")
            .field("collector", &self.collector)
            .finish_non_exhaustive()
    }
}

/// Whether buildkite-test-collector is installed (D14), asked at most once
/// and only when a default depends on it. Tests inject the answer.
pub(crate) struct CollectorProbe<'a> {
    ask: &'a dyn Fn() -> bool,
    answer: std::cell::OnceCell<bool>,
}

impl<'a> CollectorProbe<'a> {
    /// A probe that asks `ask` the first time it is needed.
    pub(crate) fn new(ask: &'a dyn Fn() -> bool) -> CollectorProbe<'a> {
        CollectorProbe {
            ask,
            answer: std::cell::OnceCell::new(),
        }
    }

    /// Whether the collector is installed.
    pub(crate) fn installed(&self) -> bool {
        *self.answer.get_or_init(|| (self.ask)())
    }

    /// The answer, if the probe was asked.
    pub(crate) fn answered(&self) -> Option<bool> {
        self.answer.get().copied()
    }
}

impl fmt::Debug for CollectorProbe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectorProbe({:?})", self.answer.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for &r in RunnerKind::ALL {
            assert_eq!(r.as_str().parse(), Ok(r));
        }
        assert!("PyTest".parse::<RunnerKind>().is_err());
        assert!("nunit".parse::<RunnerKind>().is_err());
    }

    #[test]
    fn the_unknown_runner_message_lists_every_runner() {
        assert_eq!(
            UnknownRunner("nunit".to_string()).to_string(),
            "runner value \"nunit\" is invalid, possible values are 'rspec', 'jest', 'vitest', 'cypress', 'playwright', 'pytest', 'gotest', 'cucumber', or 'custom'"
        );
    }

    #[test]
    fn a_near_name_is_suggested() {
        let near = |s: &str| UnknownRunner(s.to_string()).suggestion();
        assert_eq!(near("pytset"), Some(RunnerKind::Pytest));
        assert_eq!(near("PyTest"), Some(RunnerKind::Pytest));
        assert_eq!(near("jset"), Some(RunnerKind::Jest));
        assert_eq!(near("nunit"), None);
        assert_eq!(near("rpsec"), Some(RunnerKind::Rspec));
    }
}
