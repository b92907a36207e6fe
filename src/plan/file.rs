use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::model::TestPlan;

/// Why a plan file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// The file could not be read.
    #[error("failed to read plan file `{path}` (from {origin})")]
    Read {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not a plan.
    #[error("plan file `{path}` is not a valid test plan (from {origin})")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The JSON error, with line and column.
        #[source]
        source: serde_json::Error,
    },
}

/// Reads a plan in the Test Engine format (behaviour document 4.4).
pub fn read_plan_file(path: &Path, origin: String) -> Result<TestPlan, PlanFileError> {
    let bytes = fs::read(path).map_err(|source| PlanFileError::Read {
        path: path.to_path_buf(),
        origin: origin.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| PlanFileError::Parse {
        path: path.to_path_buf(),
        origin,
        source,
    })
}
