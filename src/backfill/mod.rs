//! `bktec tools backfill-commit-metadata` (D43): the git half. What Test
//! Engine listed is looked up in the local repository (missing commits
//! fetched from the remote), each commit's metadata is read and its diffs
//! against its fork point on the default branch are taken, and the result
//! is written as the documented archive. The API half is in `api/` and
//! the command in `app/backfill_cmd.rs`.

mod archive;
mod git;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};

pub(crate) use archive::{
    ArchiveError, ArchiveMetadata, CommitRecord, NotAnArchive, inspect, write,
};
pub(crate) use git::{CommitDiffs, Git, GitError};

/// What collection is told to do.
#[derive(Clone, Debug)]
pub(crate) struct CollectOptions {
    /// The days of history (1-90).
    pub days: u32,
    /// The remote to fetch from and to find the default branch on.
    pub remote: String,
    /// How many commits are diffed at once.
    pub concurrency: usize,
    /// Leave out the full and raw diffs.
    pub skip_diffs: bool,
}

/// What collection says while it works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The default branch diffs are taken against.
    DefaultBranch(String),
    /// This many listed commits are not here and are being fetched.
    Fetching(usize),
    /// This many could not be fetched.
    Unfetchable(usize),
    /// This many listed commits are still not here and are skipped.
    Missing(usize),
    /// This many commits are being processed.
    Processing(usize),
    /// This many listed lines are not commit SHAs and are skipped.
    Malformed(usize),
}

/// Whether `name` is a full SHA-1 or SHA-256 object name.
fn is_object_name(name: &str) -> bool {
    matches!(name.len(), 40 | 64) && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The collected records.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// One per commit found, in the order Test Engine listed them.
    pub records: Vec<CommitRecord>,
    /// The listed commits that are not in the repository.
    pub skipped: usize,
    /// The earliest and latest committer dates.
    pub dates: Option<(String, String)>,
}

/// Collects the records of `commits` in the repository of `git`.
pub(crate) fn collect(
    git: &Git,
    commits: &[String],
    options: &CollectOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Collected, GitError> {
    git.check_repository()?;
    let branch = git.default_branch(&options.remote)?;
    progress(Progress::DefaultBranch(branch.clone()));
    // Only object names reach git: a listed line that is anything else
    // (an option, a ref name) would be read by `git fetch` or `git log
    // --stdin` as what it says.
    let (commits, malformed): (Vec<String>, Vec<String>) =
        commits.iter().cloned().partition(|c| is_object_name(c));
    if !malformed.is_empty() {
        progress(Progress::Malformed(malformed.len()));
    }
    let commits = &commits[..];
    let (mut existing, mut missing) = git.partition_existing(commits)?;
    if !missing.is_empty() {
        progress(Progress::Fetching(missing.len()));
        let unfetchable = git.fetch_missing(&options.remote, &missing)?;
        if unfetchable > 0 {
            progress(Progress::Unfetchable(unfetchable));
        }
        (existing, missing) = git.partition_existing(commits)?;
    }
    if !missing.is_empty() {
        progress(Progress::Missing(missing.len()));
    }
    progress(Progress::Processing(existing.len()));
    missing.extend(malformed);
    if existing.is_empty() {
        return Ok(Collected {
            skipped: missing.len(),
            ..Collected::default()
        });
    }
    let mainline = git.mainline(&branch, options.days)?;
    let metadata = git.metadata(&existing)?;
    let diffs = diffs(git, &existing, &branch, &mainline, options)?;
    let mut collected = Collected {
        skipped: missing.len(),
        ..Collected::default()
    };
    for (sha, diffs) in existing.iter().zip(diffs) {
        let Some(meta) = metadata.get(sha) else {
            continue;
        };
        let date = &meta.committer_date;
        collected.dates = Some(match collected.dates.take() {
            None => (date.clone(), date.clone()),
            Some((min, max)) => (min.min(date.clone()), max.max(date.clone())),
        });
        collected.records.push(record(meta, diffs));
    }
    Ok(collected)
}

/// The diffs of every commit, `options.concurrency` at a time. A commit
/// whose fork point cannot be found gets empty diffs, as in the Go client;
/// a git stopped by a signal ends the collection.
fn diffs(
    git: &Git,
    commits: &[String],
    branch: &str,
    mainline: &git::Mainline,
    options: &CollectOptions,
) -> Result<Vec<CommitDiffs>, GitError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CommitDiffs>>> = Mutex::new(vec![None; commits.len()]);
    let stopped: Mutex<Option<GitError>> = Mutex::new(None);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= commits.len() || stopped.lock().expect("not poisoned").is_some() {
                return;
            }
            let diffs = git
                .fork_point(branch, &commits[i], mainline)
                .and_then(|fork| git.diffs(&fork.base, &commits[i], options.skip_diffs));
            let diffs = match diffs {
                Ok(diffs) => diffs,
                Err(err) if err.process().is_some() => {
                    *stopped.lock().expect("not poisoned") = Some(err);
                    return;
                }
                Err(_) => CommitDiffs::default(),
            };
            results.lock().expect("not poisoned")[i] = Some(diffs);
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.clamp(1, commits.len().max(1)) {
            scope.spawn(work);
        }
    });
    if let Some(err) = stopped.into_inner().expect("not poisoned") {
        return Err(err);
    }
    Ok(results
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

fn record(meta: &git::CommitMetadata, diffs: CommitDiffs) -> CommitRecord {
    CommitRecord {
        schema_version: 1,
        commit: meta.clone(),
        files_changed: diffs.files_changed,
        diff_stat: diffs.diff_stat,
        git_diff: diffs.git_diff,
        git_diff_raw: diffs.git_diff_raw,
    }
}

/// The time now, as the archive writes it.
#[derive(Clone, Debug)]
pub(crate) struct Stamp {
    /// Seconds since the epoch.
    pub secs: u64,
    /// `2026-04-02T10:00:00Z`.
    pub rfc3339: String,
    /// `20260402T100000.000Z`, for the archive's directory.
    pub compact: String,
}

impl Stamp {
    /// Now.
    pub(crate) fn now() -> Stamp {
        Stamp::at(Utc::now())
    }

    fn at(now: DateTime<Utc>) -> Stamp {
        Stamp {
            secs: u64::try_from(now.timestamp()).unwrap_or_default(),
            rfc3339: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            compact: now.format("%Y%m%dT%H%M%S%.3fZ").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_dates() {
        let at =
            |second, nanosecond| DateTime::from_timestamp(second, nanosecond).expect("in range");
        let stamp = Stamp::at(at(1_775_124_000, 7_999_999));
        assert_eq!(stamp.secs, 1_775_124_000);
        assert_eq!(stamp.rfc3339, "2026-04-02T10:00:00Z");
        assert_eq!(stamp.compact, "20260402T100000.007Z");
        let leap = Stamp::at(at(951_782_400, 0));
        assert_eq!(leap.rfc3339, "2000-02-29T00:00:00Z");
        assert_eq!(leap.compact, "20000229T000000.000Z");
    }
}
