//! The words of [`BackfillNotice`] (D43), as the Go client says them, on
//! stderr.

use super::notices::Channel;
use crate::events::BackfillNotice;

/// The text of `notice` and where it goes.
pub(super) fn words(notice: &BackfillNotice<'_>) -> (Channel, String) {
    let line = |text: String| (Channel::Stderr, format!("{text}\n"));
    match notice {
        BackfillNotice::Started => line(format!(
            "+++ Buildkite Test Engine Client: bktec {}\n",
            crate::VERSION
        )),
        BackfillNotice::FetchingCommits { suite, days } => line(format!(
            "Fetching commit list for suite \"{suite}\" (last {days} days)..."
        )),
        BackfillNotice::CommitsListed(n) => line(format!("Server returned {n} commits")),
        BackfillNotice::NoCommits => line("No commits to process.".to_string()),
        BackfillNotice::Presigning => line("Requesting presigned upload URL...".to_string()),
        BackfillNotice::DefaultBranch(branch) => {
            (Channel::Debug, format!("Default branch: {branch}"))
        }
        BackfillNotice::FetchingMissing { count, remote } => {
            line(format!("Fetching {count} missing commits from {remote}..."))
        }
        BackfillNotice::Unfetchable(n) => (
            Channel::Warning,
            format!("{n} commits could not be fetched (skipped)"),
        ),
        BackfillNotice::Missing(n) => (
            Channel::Warning,
            format!("{n} commits not available locally (skipped)"),
        ),
        BackfillNotice::Malformed(n) => (
            Channel::Warning,
            format!("{n} listed commits are not commit SHAs (skipped)"),
        ),
        BackfillNotice::Processing(n) => line(format!("Processing {n} commits")),
        BackfillNotice::NoneLocal => {
            line("No commits available locally. Nothing to export.".to_string())
        }
        BackfillNotice::Packaged(bytes) => line(format!("Packaged the archive: {}", size(*bytes))),
        BackfillNotice::Wrote(path) => line(format!("Wrote {}", path.display())),
        BackfillNotice::Uploading => line("Uploading...".to_string()),
        BackfillNotice::RetryingForbidden => line(
            "Storage rejected the upload (403); requesting a fresh presigned URL and retrying..."
                .to_string(),
        ),
        BackfillNotice::Uploaded { path, uri } => {
            line(format!("Uploaded {} to {uri}", path.display()))
        }
        BackfillNotice::Kept(path) => line(format!(
            "The archive is kept at {}; upload it again with: bktec tools \
             backfill-commit-metadata --upload {}",
            path.display(),
            crate::quote::shell_quote(&[path.to_string_lossy().into_owned()])
        )),
        BackfillNotice::Done { exported, skipped } if *skipped > 0 => line(format!(
            "Done. {exported} commits exported, {skipped} skipped."
        )),
        BackfillNotice::Done { exported, .. } => {
            line(format!("Done. {exported} commits exported."))
        }
    }
}

/// `bytes` as the Go client shows an archive's size.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.2} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.2} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
