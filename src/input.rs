//! Reading the files bktec is given or reads back (plan file,
//! configuration file, row files: `--files` and `--selector-file`, the
//! durations file, result files and the witness file): regular files only,
//! and only up to a size limit (issue 18, item 6). A FIFO would block bktec, deaf to
//! every signal, until something writes to it; a device or a huge file
//! would be read until memory runs out. Each is refused before any byte is
//! read, with an error that says why; the caller names the path and where
//! it came from.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use rustix::fs::OFlags;

/// How much of one kind of file bktec reads at most.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limit {
    /// The limit in bytes.
    pub bytes: u64,
    /// The limit as the error shows it.
    pub shown: &'static str,
}

/// A plan file (`--plan-file`): a plan for the largest suites is a few MiB.
pub(crate) const PLAN_FILE: Limit = Limit {
    bytes: 64 << 20,
    shown: "64 MiB",
};

/// A row file (`--files`, `--selector-file`): one path or selector a line.
pub(crate) const ROW_FILE: Limit = Limit {
    bytes: 64 << 20,
    shown: "64 MiB",
};

/// A configuration file (`bktec.toml`).
pub(crate) const CONFIG_FILE: Limit = Limit {
    bytes: 1 << 20,
    shown: "1 MiB",
};

/// A durations file (D31): a history of 100,000 tests is about 10 MiB.
pub(crate) const DURATIONS_FILE: Limit = Limit {
    bytes: 256 << 20,
    shown: "256 MiB",
};

/// A result file a test command wrote, or the witness file: a JUnit report
/// of a very large suite with its output is some hundreds of MiB.
pub(crate) const RESULT_FILE: Limit = Limit {
    bytes: 1 << 30,
    shown: "1 GiB",
};

/// The bytes of the regular file at `path` (symlinks followed), at most
/// `limit` of them. Anything else is an error: a FIFO, a device, a
/// directory or a socket (refused without blocking: the file is opened
/// with `O_NONBLOCK` and its type read from the open file, so it cannot be
/// swapped in between), or a file larger than the limit.
pub(crate) fn read_regular(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    let file = open_regular(path, limit)?;
    let mut bytes = Vec::new();
    // A file that grows while it is read stops at the limit too.
    Read::take(&file, limit.bytes + 1).read_to_end(&mut bytes)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit.bytes {
        return Err(too_large(read, limit));
    }
    Ok(bytes)
}

/// The regular file at `path`, opened for reading, when it is within
/// `limit`: for a reader that streams it (`Read::take` it to `limit` to
/// stop a file that grows meanwhile). Refuses what [`read_regular`] does.
pub(crate) fn open_regular(path: &Path, limit: Limit) -> io::Result<fs::File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits().cast_signed())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "it is {}, not a regular file",
            kind(&meta.file_type())
        )));
    }
    if meta.len() > limit.bytes {
        return Err(too_large(meta.len(), limit));
    }
    Ok(file)
}

/// The error of a file larger than `limit`.
fn too_large(size: u64, limit: Limit) -> io::Error {
    io::Error::other(format!(
        "it is {size} bytes, larger than the {} bktec reads from such a file",
        limit.shown
    ))
}

/// What a file that is not a regular file is, for messages.
fn kind(file_type: &fs::FileType) -> &'static str {
    if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limit = Limit {
        bytes: 4,
        shown: "4 bytes",
    };

    #[test]
    fn a_regular_file_within_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "abcd").unwrap();
        assert_eq!(read_regular(&path, SMALL).unwrap(), b"abcd");
    }

    #[test]
    fn a_larger_file_is_refused_with_its_size_and_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "abcde").unwrap();
        let err = read_regular(&path, SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is 5 bytes, larger than the 4 bytes bktec reads from such a file"
        );
    }

    #[test]
    fn a_fifo_a_directory_and_a_device_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let mode = rustix::fs::Mode::from_raw_mode(0o600);
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, mode, 0)
            .expect("mkfifo");
        let refused = |path: &Path| read_regular(path, SMALL).unwrap_err().to_string();
        assert_eq!(
            refused(&fifo),
            "it is a FIFO (named pipe), not a regular file"
        );
        assert_eq!(refused(dir.path()), "it is a directory, not a regular file");
        assert_eq!(
            refused(Path::new("/dev/zero")),
            "it is a character device, not a regular file"
        );
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let err = read_regular(Path::new("/nonexistent/bktec"), SMALL).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
