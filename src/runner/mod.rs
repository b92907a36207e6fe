//! Test framework adapters ("runners", as in `BUILDKITE_TEST_ENGINE_TEST_RUNNER`):
//! what each runner defaults to, how an attempt's command is built, where its
//! results go and what its exit codes mean. Each runner has a file holding
//! its [`framework::Framework`]; adding one is that file, a `RunnerKind`
//! variant and an arm in `RunnerKind::framework`.

mod cucumber;
mod custom;
mod cypress;
mod framework;
mod gotest;
mod jest;
mod kind;
mod listing;
mod playwright;
mod pytest;
pub(crate) mod pytest_collect;
mod rspec;
mod setup;
mod target;
pub(crate) mod template;
mod vitest;
mod witness;

pub(crate) use crate::results::ResultFormat;
pub(crate) use framework::Targets;
pub(crate) use gotest::go_module;
pub(crate) use kind::{RunnerKind, UnknownRunner};
pub(crate) use pytest::collector_installed;
pub(crate) use pytest_collect::{CollectError, CollectedExample, PreflightError};
pub(crate) use setup::{ExitHandling, Runner, RunnerError, RunnerInputs, build};
pub(crate) use target::{TargetError, TargetOrigin, check_targets};
