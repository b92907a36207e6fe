//! Test discovery (behaviour document 5.1-5.3): where this run's targets come
//! from, in order: a selector file, a files list, or the runner's discovery.

pub(crate) mod pytest_config;
mod rows;
mod targets;
mod walk;

pub use rows::{RowFileError, read_rows};
pub(crate) use targets::discover_with_pytest;
pub use targets::{DiscoverError, Discovery, TargetSource, discover};
pub use walk::{WalkOptions, WalkOutput, walk};
