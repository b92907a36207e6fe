//! Configuration: the settings registry, layered loading with provenance,
//! validation, and the `bktec.toml` schema.

pub(crate) mod elements;
pub(crate) mod env_vars;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod load;
pub(crate) mod origin;
pub mod registry;
pub(crate) mod resolve;
pub(crate) mod runner_defaults;
pub mod schema;
pub(crate) mod setting;
pub mod show;
pub(crate) mod value;

pub use env_vars::EnvSnapshot;
pub(crate) use env_vars::EnvVars;
pub(crate) use error::ConfigError;
pub use load::{CliOverrides, FileChoice, FileSearch, load};
pub(crate) use load::{LoadedConfig, RawValue};
pub(crate) use origin::Origin;
pub(crate) use resolve::{FlakyResult, RunSettings, resolve};
