//! Configuration: the settings registry, layered loading with provenance,
//! validation, and the `bktec.toml` schema.

pub mod elements;
pub mod env_vars;
pub mod error;
pub mod file;
pub mod load;
pub mod origin;
#[cfg(test)]
mod pipeline_tests;
pub mod registry;
pub mod resolve;
pub mod runner_defaults;
pub mod schema;
pub mod setting;
pub mod show;
pub mod value;

pub use env_vars::{EnvSnapshot, EnvVars};
pub use error::ConfigError;
pub use load::{CliOverrides, FileChoice, LoadedConfig, RawValue, load};
pub use origin::Origin;
pub use resolve::{RunSettings, resolve};
