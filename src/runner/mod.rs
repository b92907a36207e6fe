//! Test framework adapters ("runners", as in `BUILDKITE_TEST_ENGINE_TEST_RUNNER`):
//! what each runner defaults to, how an attempt's command is built, where its
//! results go and what its exit codes mean. Adding a runner is one file that
//! builds a [`Runner`].

mod custom;
mod kind;
mod pytest;
pub(crate) mod pytest_collect;
mod setup;
mod target;
pub(crate) mod template;
mod witness;

pub(crate) use crate::results::ResultFormat;
pub(crate) use custom::custom;
pub(crate) use kind::RunnerKind;
pub(crate) use pytest::{collector_installed, pytest};
pub(crate) use pytest_collect::{CollectError, PreflightError};
pub(crate) use setup::{ExitHandling, Runner, RunnerError, RunnerInputs, build};
pub(crate) use target::{TargetError, TargetOrigin, check_targets};
