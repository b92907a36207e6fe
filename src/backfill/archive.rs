//! The backfill archive (the Go client's `internal/packaging`): a gzipped
//! tar holding one directory, `backfill-<org>-<suite>-<timestamp>/`, with
//! `commit-metadata.jsonl` (one [`CommitRecord`] a line) and
//! `metadata.json` (the [`ArchiveMetadata`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

use super::git::CommitMetadata;

/// One line of `commit-metadata.jsonl`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CommitRecord {
    /// Always 1.
    pub schema_version: u32,
    /// The commit as `git log` gives it, its fields at this level.
    #[serde(flatten)]
    pub commit: CommitMetadata,
    /// `git diff --name-only` against the fork point.
    pub files_changed: String,
    /// `git diff --numstat` against the fork point.
    pub diff_stat: String,
    /// The full diff; absent with `--skip-diffs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_diff: Option<String>,
    /// `git diff --raw`; absent with `--skip-diffs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_diff_raw: Option<String>,
}

/// `metadata.json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ArchiveMetadata {
    /// Always 2.
    pub schema_version: u32,
    /// `bktec`.
    pub tool: &'static str,
    pub tool_version: &'static str,
    /// RFC 3339, UTC, whole seconds.
    pub generated_at: String,
    pub organization_slug: String,
    pub suite_slug: String,
    pub organization_uuid: String,
    pub suite_uuid: String,
    pub commit_count: usize,
    /// Commits Test Engine listed that are not in the repository.
    pub skipped_commits: usize,
    pub days: u32,
    pub remote: String,
    pub skipped_diffs: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_commit_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_commit_date: Option<String>,
}

/// The archive could not be written.
#[derive(Debug, thiserror::Error)]
#[error("failed to write the archive `{}`", path.display())]
pub(crate) struct ArchiveError {
    /// The archive.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// The directory the archive's files are in: `backfill-<org>-<suite>-<stamp>`,
/// `stamp` as `20260402T100000.000Z`.
pub(crate) fn directory_name(meta: &ArchiveMetadata, stamp: &str) -> String {
    format!(
        "backfill-{}-{}-{stamp}",
        meta.organization_slug, meta.suite_slug
    )
}

/// Writes the archive of `records` and `meta` to `path`; `stamp` names its
/// directory and `mtime` (seconds since the epoch) dates its entries.
pub(crate) fn write(
    path: &Path,
    records: &[CommitRecord],
    meta: &ArchiveMetadata,
    stamp: &str,
    mtime: u64,
) -> Result<(), ArchiveError> {
    let fail = |source| ArchiveError {
        path: path.to_path_buf(),
        source,
    };
    let mut jsonl = Vec::new();
    for record in records {
        serde_json::to_writer(&mut jsonl, record).map_err(|e| fail(e.into()))?;
        jsonl.push(b'\n');
    }
    let mut metadata = serde_json::to_vec_pretty(meta).map_err(|e| fail(e.into()))?;
    metadata.push(b'\n');
    let file = File::create(path).map_err(fail)?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    let dir = directory_name(meta, stamp);
    let entry = |kind: tar::EntryType, mode: u32, size: usize| {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size as u64);
        header.set_mtime(mtime);
        header
    };
    let mut header = entry(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut header, format!("{dir}/"), io::empty())
        .map_err(fail)?;
    for (name, body) in [
        ("commit-metadata.jsonl", &jsonl),
        ("metadata.json", &metadata),
    ] {
        let mut header = entry(tar::EntryType::Regular, 0o644, body.len());
        tar.append_data(&mut header, format!("{dir}/{name}"), body.as_slice())
            .map_err(fail)?;
    }
    let mut gz = tar.into_inner().map_err(fail)?;
    gz.flush().map_err(fail)?;
    gz.finish().map_err(fail)?.sync_all().map_err(fail)
}

/// The most of `metadata.json` that is read from an archive to upload.
const METADATA_LIMIT: u64 = 1 << 20;

/// What an archive made earlier says it holds.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ArchiveFacts {
    /// The organization it was made for.
    pub organization_slug: String,
    /// The suite it was made for.
    pub suite_slug: String,
}

/// An archive to upload is not one this command writes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotAnArchive {
    /// It cannot be read as a gzipped tar.
    #[error("`{}` is not a gzipped tar", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// It has no `backfill-*/metadata.json`, or one that does not parse.
    #[error("`{}` has no readable `backfill-*/metadata.json`", path.display())]
    NoMetadata {
        /// The file.
        path: PathBuf,
    },
}

/// Reads the `metadata.json` of the archive at `path`, which must be a
/// gzipped tar whose entries are all inside one `backfill-*/` directory.
pub(crate) fn inspect(path: &Path) -> Result<ArchiveFacts, NotAnArchive> {
    let unreadable = |source| NotAnArchive::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let no_metadata = || NotAnArchive::NoMetadata {
        path: path.to_path_buf(),
    };
    let file = File::open(path).map_err(unreadable)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut facts = None;
    for entry in archive.entries().map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .into_owned();
        let Some((dir, rest)) = name.split_once('/') else {
            return Err(no_metadata());
        };
        if !dir.starts_with("backfill-") {
            return Err(no_metadata());
        }
        if rest == "metadata.json" {
            let mut text = Vec::new();
            io::Read::read_to_end(&mut io::Read::take(entry, METADATA_LIMIT), &mut text)
                .map_err(unreadable)?;
            facts = serde_json::from_slice::<ArchiveFacts>(&text).ok();
        }
    }
    facts.ok_or_else(no_metadata)
}
