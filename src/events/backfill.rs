//! What `bktec tools backfill-commit-metadata` says while it works (D43);
//! `report/backfill.rs` words it.

use std::path::Path;

/// A step of the backfill.
#[derive(Debug)]
pub(crate) enum BackfillNotice<'a> {
    /// The command began.
    Started,
    /// The commit list is being fetched.
    FetchingCommits {
        /// The suite.
        suite: &'a str,
        /// Over how many days.
        days: u32,
    },
    /// Test Engine listed this many commits.
    CommitsListed(usize),
    /// Test Engine listed none: nothing to do.
    NoCommits,
    /// A presigned upload is being requested.
    Presigning,
    /// The default branch diffs are taken against (a debug line).
    DefaultBranch(&'a str),
    /// This many listed commits are missing and are being fetched from the remote.
    FetchingMissing {
        /// How many.
        count: usize,
        /// From where.
        remote: &'a str,
    },
    /// This many could not be fetched.
    Unfetchable(usize),
    /// This many listed lines are not commit SHAs and are skipped.
    Malformed(usize),
    /// This many listed commits are still missing and are skipped.
    Missing(usize),
    /// This many commits are being processed.
    Processing(usize),
    /// None of the listed commits is in the repository: nothing to export.
    NoneLocal,
    /// The archive was written, this many bytes.
    Packaged(u64),
    /// The archive was written to the `--output` file.
    Wrote(&'a Path),
    /// The archive is being uploaded.
    Uploading,
    /// Storage refused the presigned form; a fresh one is being requested.
    RetryingForbidden,
    /// The archive was uploaded.
    Uploaded {
        /// The archive.
        path: &'a Path,
        /// Where it went.
        uri: &'a str,
    },
    /// The upload failed and the archive is kept here.
    Kept(&'a Path),
    /// Finished.
    Done {
        /// Commits exported.
        exported: usize,
        /// Commits skipped.
        skipped: usize,
    },
}
