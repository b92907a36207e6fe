//! Test framework adapters ("runners", as in `BUILDKITE_TEST_ENGINE_TEST_RUNNER`):
//! what each runner defaults to, how an attempt's command is built, where its
//! results go and what its exit codes mean. Each runner has a file holding
//! its [`framework::Framework`], registered by one line in the runner list
//! (`config::elements::for_each_runner`; see docs/architecture.md, "Add a
//! runner").

mod detect;
mod framework;
mod kind;
mod listing;
pub(crate) mod pytest_collect;
mod pytest_discovery;
mod rspec_witness;
mod setup;
mod target;
pub(crate) mod template;
mod witness;

/// Declares each runner's module and maps its [`RunnerKind`] variant to the
/// `FRAMEWORK` in it, from the one registration list
/// (`config::elements::for_each_runner`).
macro_rules! declare_frameworks {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $module:ident,)*) => {
        $(mod $module;)*

        impl RunnerKind {
            /// Everything bktec knows about this runner: the one match over runners.
            pub(crate) fn framework(self) -> &'static framework::Framework {
                match self {
                    $(RunnerKind::$variant => &$module::FRAMEWORK,)*
                }
            }
        }
    };
}

crate::config::elements::for_each_runner!(declare_frameworks);

pub(crate) use crate::config::elements::Targets;
pub(crate) use crate::results::ResultFormat;
pub(crate) use detect::{PYTEST_MARKERS, detect};
pub(crate) use gotest::{GoFlags, go_flags, go_module};
#[cfg(test)]
pub(crate) use kind::rules;
pub(crate) use kind::{RunnerKind, UnknownRunner, facts};
pub(crate) use pytest::collector_installed;
pub(crate) use pytest_collect::{CollectError, CollectedExample, PreflightError};
pub(crate) use pytest_discovery::{CollectionStats, PytestDiscoveryError};
pub(crate) use setup::{
    ExitHandling, Listed, RetryKey, Runner, RunnerError, RunnerInputs, build, retry_by_path,
};
pub(crate) use target::{TargetError, TargetOrigin, check_targets};
