//! Value types shared by `bktec.toml`, the environment and flags. Each accepts
//! its native TOML shape and, because environment variables and flags arrive as
//! text, a string, which it parses with the same rules everywhere.

pub(crate) mod command_template;
mod config_path;
mod duration;
mod entries;
mod flag;
mod int;
mod key_values;
mod runner_kind;

pub(crate) use crate::secret::Secret;
pub(crate) use command_template::CommandTemplate;
pub(crate) use config_path::ConfigPath;
pub(crate) use duration::GoDuration;
pub(crate) use entries::Entries;
pub(crate) use flag::Flag;
pub(crate) use int::Int;
pub(crate) use key_values::KeyValues;
pub(crate) use runner_kind::for_each_runner;
pub(crate) use runner_kind::{
    CollectorProbe, RunnerFacts, RunnerKind, RunnerRules, Targets, UnknownRunner,
};
