//! Per-runner defaults (S3): the include pattern and the test command a
//! runner supplies where the configuration leaves them unset. They are
//! applied here, once, with an origin that says so; `resolve` puts them in
//! `RunSettings` and `bktec config` shows them, so the table shows what
//! `bktec run` will run.

use std::cell::OnceCell;
use std::fmt;

use crate::config::origin::Origin;
use crate::config::resolve::Sourced;
use crate::runner::RunnerKind;

/// Whether buildkite-test-collector is installed (D14), asked at most once
/// and only when a default depends on it. Tests inject the answer.
pub struct CollectorProbe<'a> {
    ask: &'a dyn Fn() -> bool,
    answer: OnceCell<bool>,
}

impl<'a> CollectorProbe<'a> {
    /// A probe that asks `ask` the first time it is needed.
    pub fn new(ask: &'a dyn Fn() -> bool) -> CollectorProbe<'a> {
        CollectorProbe {
            ask,
            answer: OnceCell::new(),
        }
    }

    /// Whether the collector is installed.
    pub fn installed(&self) -> bool {
        *self.answer.get_or_init(|| (self.ask)())
    }

    /// The answer, if the probe was asked.
    pub fn answered(&self) -> Option<bool> {
        self.answer.get().copied()
    }
}

impl fmt::Debug for CollectorProbe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectorProbe({:?})", self.answer.get())
    }
}

/// The runner's include pattern, for when none is configured.
pub(crate) fn default_pattern(runner: RunnerKind) -> Option<Sourced<String>> {
    runner.default_pattern().map(|pattern| Sourced {
        value: pattern.to_string(),
        origin: Origin::RunnerDefault {
            runner,
            basis: None,
        },
    })
}

/// The runner's test command, for when none is configured. A default that
/// needs the probe is only given when `probe` is, so commands that never run
/// the tests (`list`, a local `plan`) do not pay for it.
pub(crate) fn default_test_command(
    runner: RunnerKind,
    probe: Option<&CollectorProbe<'_>>,
) -> Option<Sourced<String>> {
    let probe = probe?;
    let (command, basis) = runner.default_command(|| probe.installed())?;
    Some(Sourced {
        value: command.to_string(),
        origin: Origin::RunnerDefault {
            runner,
            basis: (!basis.is_empty()).then_some(basis),
        },
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::runner::template::CommandTemplate;

    #[test]
    fn pytest_defaults_follow_the_probe_and_say_so() {
        let found = CollectorProbe::new(&|| true);
        let command = default_test_command(RunnerKind::Pytest, Some(&found)).unwrap();
        assert_eq!(
            command.value,
            "pytest {{testExamples}} --json={{resultPath}}"
        );
        assert_eq!(
            command.origin.to_string(),
            "default for runner `pytest` (buildkite-test-collector found)"
        );
        let missing = CollectorProbe::new(&|| false);
        let command = default_test_command(RunnerKind::Pytest, Some(&missing)).unwrap();
        assert_eq!(
            command.value,
            "pytest {{testExamples}} --junit-xml={{resultPath}}"
        );
        assert_eq!(
            command.origin.to_string(),
            "default for runner `pytest` (buildkite-test-collector not found)"
        );
        assert!(CommandTemplate::parse(&command.value).is_ok());
    }

    #[test]
    fn the_probe_runs_once_and_only_when_a_default_needs_it() {
        let asked = Cell::new(0);
        let ask = || {
            asked.set(asked.get() + 1);
            true
        };
        let probe = CollectorProbe::new(&ask);
        assert_eq!(default_test_command(RunnerKind::Custom, Some(&probe)), None);
        // `list` and a local `plan` give no probe: no default, no question.
        assert_eq!(default_test_command(RunnerKind::Pytest, None), None);
        assert_eq!((asked.get(), probe.answered()), (0, None));
        default_test_command(RunnerKind::Pytest, Some(&probe));
        default_test_command(RunnerKind::Pytest, Some(&probe));
        assert_eq!((asked.get(), probe.answered()), (1, Some(true)));
    }

    #[test]
    fn patterns_default_to_the_runner_s() {
        let pattern = default_pattern(RunnerKind::Pytest).unwrap();
        assert_eq!(pattern.value, "**/{*_test,test_*}.py");
        assert_eq!(pattern.origin.to_string(), "default for runner `pytest`");
        assert_eq!(default_pattern(RunnerKind::Custom), None);
    }
}
