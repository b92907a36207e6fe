//! Value types shared by `bktec.toml`, the environment and flags. Each accepts
//! its native TOML shape and, because environment variables and flags arrive as
//! text, a string, which it parses with the same rules everywhere.

mod config_path;
mod duration;
mod flag;
mod int;
mod key_values;

pub use crate::secret::Secret;
pub use config_path::ConfigPath;
pub use duration::GoDuration;
pub use flag::Flag;
pub use int::Int;
pub use key_values::KeyValues;
