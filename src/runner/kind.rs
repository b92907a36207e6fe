//! What a [`RunnerKind`] (a config element: the parsed `runner.name`) means
//! here: its [`Framework`], found through the registration list in
//! `runner/mod.rs`, and the facts the rest of bktec asks of it.

use crate::config::elements::{RunnerFacts, RunnerRules, Targets};
pub(crate) use crate::config::elements::{RunnerKind, UnknownRunner};

use super::pytest::collector_installed;

/// The rules settings need of `kind` (its defaults and validation); the app
/// hands this function to `config::resolve` (config does not import `runner`).
pub(crate) fn rules(kind: RunnerKind) -> &'static RunnerRules {
    &kind.framework().rules
}

/// What configuration is told about runners (`config::resolve`, `bktec
/// config`): their rules, and the real collector probe (D14).
pub(crate) fn facts() -> RunnerFacts<'static> {
    RunnerFacts::new(rules, &collector_installed)
}

impl RunnerKind {
    /// The name used in messages (`RSpec`, `pytest`, `Custom test runner`).
    pub fn display_name(self) -> &'static str {
        self.framework().display_name
    }

    /// The runner's default include pattern (behaviour document 5.2), if it has one.
    pub fn default_pattern(self) -> Option<&'static str> {
        self.framework().rules.default_pattern
    }

    /// The runner's default test command and what chose it, if it has one;
    /// `collector_installed` is asked only for a runner whose default
    /// depends on it (pytest, D14).
    pub fn default_command(
        self,
        collector_installed: impl FnOnce() -> bool,
    ) -> Option<(&'static str, &'static str)> {
        self.framework()
            .rules
            .default_command
            .map(|command| command(collector_installed()))
    }

    /// Whether `run` needs a configured result path (behaviour document 2.4).
    pub fn requires_result_path(self) -> bool {
        self.framework().rules.requires_result_path
    }

    /// Whether the runner can split files into their examples for Test
    /// Engine (6.1): pytest collects them, RSpec, Cucumber and Playwright
    /// list them with their own tools.
    pub fn splits_files(self) -> bool {
        let framework = self.framework();
        framework.collects_with_pytest || framework.example_listing.is_some()
    }

    /// Whether pytest's collection serves the runner: discovery by pytest,
    /// the split of files into tests for a local plan with timing history
    /// (D31), and the proof that silent targets hold no tests (D23).
    pub fn collects_with_pytest(self) -> bool {
        self.framework().collects_with_pytest
    }

    /// Whether its tests are named by pytest node ids, kept whole in the
    /// merged JUnit report, the annotation and the log.
    pub fn names_tests_by_node_id(self) -> bool {
        self.framework().node_ids
    }

    /// Whether the log says which result format a run of it uses (D14, D30).
    pub fn announces_result_format(self) -> bool {
        self.framework().announces_result_format
    }

    /// Whether `files.discovery = "pytest"` may be used with it: then what
    /// pytest's configuration collects is what counts (issue #12).
    pub fn allows_discovery_by_pytest(self) -> bool {
        self.framework().rules.discovery_by_pytest
    }

    /// Whether it supports Test Engine tag filters.
    pub fn supports_tag_filters(self) -> bool {
        self.framework().rules.tag_filters
    }

    /// Whether it is the user's own command, about which bktec knows
    /// nothing (`custom`).
    pub fn is_user_defined(self) -> bool {
        self.framework().rules.user_defined
    }

    /// Where its targets come from when no row file names them.
    pub(crate) fn targets(self) -> Targets {
        self.framework().rules.targets
    }

    /// The result path `bktec init` writes for a runner that must be told
    /// one.
    pub fn init_result_path(self) -> &'static str {
        self.framework().init.result_path
    }

    /// Whether discovery skips dot-directories and virtualenvs (D9).
    pub fn skips_hidden_and_venv_dirs(self) -> bool {
        self.framework().skips_hidden_and_venv_dirs
    }

    /// How the runner writes its results when its command does not name
    /// `{{resultPath}}`, for `bktec init` and the missing-file hint (D46).
    pub fn results_note(self) -> Option<&'static str> {
        self.framework().init.results_note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner_has_a_framework_whose_rules_agree_with_it() {
        for &kind in RunnerKind::ALL {
            let framework = kind.framework();
            assert!(!framework.display_name.is_empty(), "{kind}");
            // Discovery by pytest and tag filters need pytest's collection.
            if framework.rules.discovery_by_pytest || framework.rules.tag_filters {
                assert!(framework.collects_with_pytest, "{kind}");
            }
        }
    }

    #[test]
    fn configuration_s_test_rules_are_the_real_ones() {
        // config's tests may not import `runner`; they use a copy of the
        // rules, which must not drift from what runners say.
        use crate::config::runner_defaults::test_rules;
        for kind in [RunnerKind::Pytest, RunnerKind::Custom, RunnerKind::Gotest] {
            let (real, copy) = (rules(kind), test_rules(kind));
            assert_eq!(real.default_pattern, copy.default_pattern, "{kind}");
            for installed in [true, false] {
                assert_eq!(
                    real.default_command.map(|c| c(installed)),
                    copy.default_command.map(|c| c(installed)),
                    "{kind}"
                );
            }
            assert_eq!(
                real.requires_result_path, copy.requires_result_path,
                "{kind}"
            );
            assert_eq!(real.user_defined, copy.user_defined, "{kind}");
            assert_eq!(real.tag_filters, copy.tag_filters, "{kind}");
            assert_eq!(real.discovery_by_pytest, copy.discovery_by_pytest, "{kind}");
            assert_eq!(real.targets, copy.targets, "{kind}");
        }
    }
}
