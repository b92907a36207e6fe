//! Test framework adapters ("runners", as in `BUILDKITE_TEST_ENGINE_TEST_RUNNER`):
//! what each runner defaults to, how an attempt's command is built, where its
//! results go and what its exit codes mean. Adding a runner is one file that
//! builds a [`Runner`].

mod custom;
mod kind;
mod pytest;
pub mod pytest_collect;
mod setup;
mod target;
pub mod template;
mod witness;

pub use crate::results::ResultFormat;
pub use custom::custom;
pub use kind::{RunnerKind, UnknownRunner};
pub use pytest::{collector_installed, default_command, pytest};
pub use pytest_collect::{CollectError, CollectorVersionError, PreflightError};
pub use setup::{ExitHandling, ResultFile, Runner, RunnerError, RunnerInputs, build};
pub use target::{
    TargetError, TargetOrigin, TargetProblem, check_targets, target_arg, target_args,
};
