//! Per-runner defaults (S3): the include pattern and the test command a
//! runner supplies where the configuration leaves them unset. They are
//! applied here, once, with an origin that says so; `resolve` puts them in
//! `RunSettings` and `bktec config` shows them, so the table shows what
//! `bktec run` will run. The defaults themselves are each runner's
//! (`RunnerRules`, given to `resolve` in `RunnerFacts`).

use crate::config::elements::{CollectorProbe, RunnerKind, RunnerRules};
use crate::config::origin::Origin;
use crate::config::resolve::Sourced;

/// The runner's include pattern, for when none is configured.
pub(crate) fn default_pattern(runner: RunnerKind, rules: &RunnerRules) -> Option<Sourced<String>> {
    rules.default_pattern.map(|pattern| Sourced {
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
    rules: &RunnerRules,
    probe: Option<&CollectorProbe<'_>>,
) -> Option<Sourced<String>> {
    let probe = probe?;
    let (command, basis) = rules.default_command?(probe.installed());
    Some(Sourced {
        value: command.to_string(),
        origin: Origin::RunnerDefault {
            runner,
            basis: (!basis.is_empty()).then_some(basis),
        },
    })
}

/// Runner rules for the tests of configuration, which may not import
/// `runner`: pytest's defaults as pytest has them (D14), and a runner of each
/// other shape. `runner/` tests the real ones.
#[cfg(test)]
pub(crate) fn test_rules(kind: RunnerKind) -> &'static RunnerRules {
    use crate::config::elements::Targets;

    const WALKING: RunnerRules = RunnerRules {
        default_pattern: Some("spec/**/*_spec.rb"),
        default_command: Some(|_| ("rspec {{testExamples}} --out {{resultPath}}", "")),
        requires_result_path: true,
        user_defined: false,
        tag_filters: false,
        discovery_by_pytest: false,
        targets: Targets::Walk,
    };
    const PYTEST: RunnerRules = RunnerRules {
        default_pattern: Some("**/{*_test,test_*}.py"),
        default_command: Some(|installed| {
            if installed {
                (
                    "pytest {{testExamples}} --json={{resultPath}}",
                    "buildkite-test-collector found",
                )
            } else {
                (
                    "pytest {{testExamples}} --junit-xml={{resultPath}}",
                    "buildkite-test-collector not found",
                )
            }
        }),
        requires_result_path: false,
        tag_filters: true,
        discovery_by_pytest: true,
        ..WALKING
    };
    const GO: RunnerRules = RunnerRules {
        default_pattern: None,
        default_command: Some(|_| ("gotestsum --jsonfile={{resultPath}} {{packages}}", "")),
        targets: Targets::GoPackages,
        ..WALKING
    };
    const CUSTOM: RunnerRules = RunnerRules {
        default_pattern: None,
        default_command: None,
        requires_result_path: false,
        user_defined: true,
        ..WALKING
    };
    match kind.as_str() {
        "pytest" => &PYTEST,
        "gotest" => &GO,
        "custom" => &CUSTOM,
        _ => &WALKING,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::config::elements::CommandTemplate;

    /// A runner by name, as configuration names it.
    fn kind(name: &str) -> RunnerKind {
        name.parse().expect("a runner's name")
    }

    #[test]
    fn pytest_defaults_follow_the_probe_and_say_so() {
        let found = CollectorProbe::new(&|| true);
        let command =
            default_test_command(kind("pytest"), test_rules(kind("pytest")), Some(&found)).unwrap();
        assert_eq!(
            command.value,
            "pytest {{testExamples}} --json={{resultPath}}"
        );
        assert_eq!(
            command.origin.to_string(),
            "default for runner `pytest` (buildkite-test-collector found)"
        );
        let missing = CollectorProbe::new(&|| false);
        let command =
            default_test_command(kind("pytest"), test_rules(kind("pytest")), Some(&missing))
                .unwrap();
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
        let command = |kind, probe| default_test_command(kind, test_rules(kind), probe);
        assert_eq!(command(kind("custom"), Some(&probe)), None);
        // `list` and a local `plan` give no probe: no default, no question.
        assert_eq!(command(kind("pytest"), None), None);
        assert_eq!((asked.get(), probe.answered()), (0, None));
        command(kind("pytest"), Some(&probe));
        command(kind("pytest"), Some(&probe));
        assert_eq!((asked.get(), probe.answered()), (1, Some(true)));
    }

    #[test]
    fn patterns_default_to_the_runner_s() {
        let pattern = default_pattern(kind("pytest"), test_rules(kind("pytest"))).unwrap();
        assert_eq!(pattern.value, "**/{*_test,test_*}.py");
        assert_eq!(pattern.origin.to_string(), "default for runner `pytest`");
        assert_eq!(
            default_pattern(kind("custom"), test_rules(kind("custom"))),
            None
        );
    }
}
