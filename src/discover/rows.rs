//! Row files (`--files`, `--selector-file`; behaviour document 5.1, D11):
//! UTF-8 text, one target per line, whitespace trimmed, empty lines dropped.
//! Rows are used as they are: no existence check and no filtering.

use std::io;
use std::path::PathBuf;

use crate::config::Origin;
use crate::config::resolve::Sourced;
use crate::input::{ROW_FILE, read_regular};

/// Why a row file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum RowFileError {
    /// The file could not be read.
    #[error("couldn't read rows from `{path}` (from {})", origin.describe())]
    Read {
        /// The file.
        path: PathBuf,
        /// Where its name came from.
        origin: Origin,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not UTF-8 text, or holds a NUL byte (D11).
    #[error("`{path}` is not a text file: {reason} (from {})", origin.describe())]
    NotText {
        /// The file.
        path: PathBuf,
        /// Where its name came from.
        origin: Origin,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has no rows.
    #[error("no rows found in `{path}` (from {})", origin.describe())]
    Empty {
        /// The file.
        path: PathBuf,
        /// Where its name came from.
        origin: Origin,
    },
}

/// Reads the rows of `file`.
pub fn read_rows(file: &Sourced<PathBuf>) -> Result<Vec<String>, RowFileError> {
    let path = file.value.clone();
    let origin = file.origin.clone();
    // A FIFO, a device or a file over the limit is refused before any
    // byte is read (issue 18, item 6).
    let bytes = read_regular(&path, ROW_FILE).map_err(|source| RowFileError::Read {
        path: path.clone(),
        origin: origin.clone(),
        source,
    })?;
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(RowFileError::NotText {
            path,
            origin,
            reason: format!("it holds a NUL byte at offset {at}"),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| RowFileError::NotText {
        path: path.clone(),
        origin: origin.clone(),
        reason: format!(
            "it is not UTF-8 (at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    let rows: Vec<String> = text
        .split('\n')
        .map(str::trim)
        .filter(|row| !row.is_empty())
        .map(str::to_string)
        .collect();
    if rows.is_empty() {
        return Err(RowFileError::Empty { path, origin });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(content: &[u8]) -> Result<Vec<String>, RowFileError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.txt");
        std::fs::write(&path, content).unwrap();
        read_rows(&Sourced {
            value: path,
            origin: Origin::Flag("--files".into()),
        })
    }

    #[test]
    fn trims_drops_blank_lines_and_keeps_duplicates() {
        let rows = rows_of(b"  a.py \r\n\nb c.py\n\ta.py\n").unwrap();
        assert_eq!(rows, ["a.py", "b c.py", "a.py"]);
    }

    #[test]
    fn rejects_binary_and_empty_files() {
        let err = rows_of(b"a.py\0\n").unwrap_err().to_string();
        assert!(
            err.contains("is not a text file: it holds a NUL byte at offset 4 (from --files)"),
            "{err}"
        );
        let err = rows_of(b"a\xff\n").unwrap_err().to_string();
        assert!(err.contains("is not UTF-8"), "{err}");
        let err = rows_of(b"\n  \n").unwrap_err().to_string();
        assert!(err.contains("no rows found in"), "{err}");
    }
}
