//! The git commands of the backfill, each run through `process::output`
//! with a deadline, never through a shell: the default branch, which
//! commits exist, fetching the missing ones, the commits' metadata, the
//! fork point of each and its diffs (the Go client's `internal/git`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::process::{HelperOptions, ProcessError, output};

/// How long one git command may take: fetching a batch of commits from a
/// remote is the slowest of them.
const DEADLINE: Duration = Duration::from_secs(600);

/// How many commits one `git fetch` asks for.
const FETCH_CHUNK: usize = 1000;

/// Separates the fields of one commit in `git log` output (ASCII unit separator).
const FIELD: char = '\x1f';
/// Separates commits in `git log` output (ASCII record separator).
const RECORD: char = '\x1e';

/// A git command that failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GitError {
    /// git could not be run or was stopped.
    #[error("failed to run `git {}`", args.join(" "))]
    Run {
        /// Its arguments.
        args: Vec<String>,
        /// Why.
        #[source]
        source: ProcessError,
    },
    /// git exited unsuccessfully.
    #[error("`git {}` failed ({status}): {stderr}", args.join(" "))]
    Failed {
        /// Its arguments.
        args: Vec<String>,
        /// How it exited.
        status: std::process::ExitStatus,
        /// What it said.
        stderr: String,
    },
    /// Its output was not what the command prints.
    #[error("unexpected output from `git {}`: {detail}", args.join(" "))]
    Output {
        /// Its arguments.
        args: Vec<String>,
        /// What was wrong.
        detail: String,
    },
    /// No default branch was found for the remote.
    #[error(
        "could not detect the default branch: `{remote}/HEAD` is not set and neither \
         `{remote}/main` nor `{remote}/master` exists"
    )]
    NoDefaultBranch {
        /// The remote.
        remote: String,
    },
}

impl GitError {
    /// The process error underneath, if git was stopped by a signal.
    pub(crate) fn process(&self) -> Option<&ProcessError> {
        match self {
            GitError::Run { source, .. } => Some(source),
            GitError::Failed { .. }
            | GitError::Output { .. }
            | GitError::NoDefaultBranch { .. } => None,
        }
    }
}

/// git in one working directory.
#[derive(Clone, Debug)]
pub(crate) struct Git {
    /// Where git runs.
    pub dir: PathBuf,
}

impl Git {
    /// Runs `git args`, with `input` on its stdin, and returns its stdout.
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<String, GitError> {
        let owned = || args.iter().map(|a| (*a).to_string()).collect::<Vec<_>>();
        let mut command = Command::new("git");
        command.args(args).current_dir(&self.dir);
        let options = HelperOptions {
            input,
            deadline: Some(DEADLINE),
            inherit_output: false,
        };
        let captured = output(&mut command, options).map_err(|source| GitError::Run {
            args: owned(),
            source,
        })?;
        if !captured.status.success() {
            return Err(GitError::Failed {
                args: owned(),
                status: captured.status,
                stderr: String::from_utf8_lossy(&captured.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&captured.stdout).into_owned())
    }

    /// Runs `git args` where failing is an answer (`None`); git that could
    /// not run or was stopped is still an error.
    fn answer(&self, args: &[&str]) -> Result<Option<String>, GitError> {
        match self.run(args, None) {
            Ok(out) => Ok(Some(out)),
            Err(err) if err.process().is_some() => Err(err),
            Err(_) => Ok(None),
        }
    }

    /// Fails with git's own words when the directory is not in a work tree.
    pub(crate) fn check_repository(&self) -> Result<(), GitError> {
        self.run(&["rev-parse", "--git-dir"], None).map(drop)
    }

    /// The remote's default branch: `<remote>/HEAD`, else `<remote>/main`,
    /// else `<remote>/master`.
    pub(crate) fn default_branch(&self, remote: &str) -> Result<String, GitError> {
        let head = format!("refs/remotes/{remote}/HEAD");
        if let Some(out) = self.answer(&["symbolic-ref", "--short", &head])? {
            let branch = out.trim();
            if !branch.is_empty() {
                return Ok(branch.to_string());
            }
        }
        for name in ["main", "master"] {
            let candidate = format!("{remote}/{name}");
            let verify = format!("refs/remotes/{candidate}");
            if self
                .answer(&["rev-parse", "--verify", "--quiet", &verify])?
                .is_some()
            {
                return Ok(candidate);
            }
        }
        Err(GitError::NoDefaultBranch {
            remote: remote.to_string(),
        })
    }

    /// Splits `commits` into those that are commits here and those that are
    /// not (absent, or another kind of object), in order.
    pub(crate) fn partition_existing(
        &self,
        commits: &[String],
    ) -> Result<(Vec<String>, Vec<String>), GitError> {
        if commits.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let args = ["cat-file", "--batch-check"];
        let input = format!("{}\n", commits.join("\n"));
        let out = self.run(&args, Some(input.as_bytes()))?;
        let lines: Vec<&str> = out.lines().collect();
        if lines.len() != commits.len() {
            return Err(GitError::Output {
                args: args.iter().map(|a| (*a).to_string()).collect(),
                detail: format!("{} lines for {} commits", lines.len(), commits.len()),
            });
        }
        let (mut existing, mut missing) = (Vec::new(), Vec::new());
        for (sha, line) in commits.iter().zip(lines) {
            match line.split(' ').nth(1) {
                Some("commit") => existing.push(sha.clone()),
                _ => missing.push(sha.clone()),
            }
        }
        Ok((existing, missing))
    }

    /// Fetches `commits` from `remote` in chunks, halving a chunk that
    /// fails until the commits that cannot be fetched are found; returns
    /// how many could not be. A signal that stops git ends the fetch.
    pub(crate) fn fetch_missing(
        &self,
        remote: &str,
        commits: &[String],
    ) -> Result<usize, GitError> {
        let mut unfetchable = 0;
        for chunk in commits.chunks(FETCH_CHUNK) {
            unfetchable += self.fetch_bisect(remote, chunk)?;
        }
        Ok(unfetchable)
    }

    fn fetch_bisect(&self, remote: &str, commits: &[String]) -> Result<usize, GitError> {
        if commits.is_empty() {
            return Ok(0);
        }
        let mut args = vec!["fetch", "--no-tags", "--no-write-fetch-head", remote];
        args.extend(commits.iter().map(String::as_str));
        match self.run(&args, None) {
            Ok(_) => Ok(0),
            Err(err) if err.process().is_some() => Err(err),
            Err(_) if commits.len() == 1 => Ok(1),
            Err(_) => {
                let (left, right) = commits.split_at(commits.len() / 2);
                Ok(self.fetch_bisect(remote, left)? + self.fetch_bisect(remote, right)?)
            }
        }
    }

    /// The first-parent history of `branch` over the last `days` days:
    /// each commit on it with its first parent.
    pub(crate) fn mainline(&self, branch: &str, days: u32) -> Result<Mainline, GitError> {
        let since = format!("--since={days} days ago");
        let out = self.run(
            &[
                "log",
                "--first-parent",
                &since,
                "--format=%H %P",
                branch,
                "--",
            ],
            None,
        )?;
        let mut mainline = Mainline::default();
        for line in out.lines() {
            let mut fields = line.split_whitespace();
            let Some(sha) = fields.next() else { continue };
            mainline.on.insert(sha.to_string());
            if let Some(parent) = fields.next() {
                mainline.parent.insert(sha.to_string(), parent.to_string());
            }
        }
        Ok(mainline)
    }

    /// The metadata of `commits`, read with one `git log`, by SHA.
    pub(crate) fn metadata(
        &self,
        commits: &[String],
    ) -> Result<BTreeMap<String, CommitMetadata>, GitError> {
        if commits.is_empty() {
            return Ok(BTreeMap::new());
        }
        let format = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1e";
        let input = format!("{}\n", commits.join("\n"));
        let out = self.run(
            &["log", "--no-walk", "--stdin", format],
            Some(input.as_bytes()),
        )?;
        Ok(out
            .split(RECORD)
            .filter_map(CommitMetadata::parse)
            .map(|m| (m.commit_sha.clone(), m))
            .collect())
    }

    /// The commit `commit` is diffed against: its fork point from
    /// `branch` (from the reflog), else its first parent when it is on the
    /// mainline, else its merge base with `branch`.
    pub(crate) fn fork_point(
        &self,
        branch: &str,
        commit: &str,
        mainline: &Mainline,
    ) -> Result<ForkPoint, GitError> {
        if let Some(out) = self.answer(&["merge-base", "--fork-point", branch, commit])? {
            let base = out.trim();
            if !base.is_empty() && base != commit {
                return Ok(ForkPoint::new(base, Strategy::ForkPoint));
            }
        }
        if let Some(parent) = mainline
            .on
            .contains(commit)
            .then(|| mainline.parent.get(commit))
            .flatten()
        {
            return Ok(ForkPoint::new(parent, Strategy::MainlineParent));
        }
        let out = self.run(&["merge-base", branch, commit], None)?;
        let base = out.trim();
        if base.is_empty() {
            return Err(GitError::Output {
                args: vec!["merge-base".into(), branch.into(), commit.into()],
                detail: "no merge base".to_string(),
            });
        }
        Ok(ForkPoint::new(base, Strategy::MergeBase))
    }

    /// The diffs of `commit` against `base`: the changed files and numstat
    /// always, the full and raw diffs unless `skip_diffs`. A diff git
    /// cannot make is left empty, as the Go client does.
    pub(crate) fn diffs(
        &self,
        base: &str,
        commit: &str,
        skip_diffs: bool,
    ) -> Result<CommitDiffs, GitError> {
        let diff = |extra: Option<&str>| -> Result<String, GitError> {
            let mut args = vec!["diff", "--no-ext-diff", "--no-color"];
            args.extend(extra);
            args.extend([base, commit, "--"]);
            let out = self.answer(&args)?.unwrap_or_default();
            Ok(out.trim_end_matches('\n').to_string())
        };
        let full = |extra| -> Result<Option<String>, GitError> {
            if skip_diffs {
                return Ok(None);
            }
            Ok(Some(diff(extra)?).filter(|d| !d.is_empty()))
        };
        Ok(CommitDiffs {
            files_changed: diff(Some("--name-only"))?,
            diff_stat: diff(Some("--numstat"))?,
            git_diff: full(None)?,
            git_diff_raw: full(Some("--raw"))?,
        })
    }
}

/// The default branch's first-parent history.
#[derive(Debug, Default)]
pub(crate) struct Mainline {
    on: BTreeSet<String>,
    parent: BTreeMap<String, String>,
}

/// How a fork point was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// `git merge-base --fork-point`.
    ForkPoint,
    /// The first parent of a mainline commit.
    MainlineParent,
    /// `git merge-base`.
    MergeBase,
}

/// The base a commit is diffed against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ForkPoint {
    /// The base commit.
    pub base: String,
    /// How it was found.
    pub strategy: Strategy,
}

impl ForkPoint {
    fn new(base: &str, strategy: Strategy) -> ForkPoint {
        ForkPoint {
            base: base.to_string(),
            strategy,
        }
    }
}

/// A commit's metadata, as `git log` gives it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct CommitMetadata {
    pub commit_sha: String,
    pub parent_shas: Vec<String>,
    pub author_name: String,
    pub author_email: String,
    pub author_date: String,
    pub committer_name: String,
    pub committer_email: String,
    pub committer_date: String,
    pub message: String,
}

impl CommitMetadata {
    /// One record of the `git log` output of [`Git::metadata`].
    fn parse(record: &str) -> Option<CommitMetadata> {
        let record = record.trim();
        let fields: Vec<&str> = record.splitn(9, FIELD).collect();
        let [sha, parents, an, ae, ad, cn, ce, cd, message] = fields[..] else {
            return None;
        };
        let sha = sha.trim();
        if sha.is_empty() {
            return None;
        }
        Some(CommitMetadata {
            commit_sha: sha.to_string(),
            parent_shas: parents.split_whitespace().map(str::to_string).collect(),
            author_name: an.trim().to_string(),
            author_email: ae.trim().to_string(),
            author_date: ad.trim().to_string(),
            committer_name: cn.trim().to_string(),
            committer_email: ce.trim().to_string(),
            committer_date: cd.trim().to_string(),
            message: message.trim().to_string(),
        })
    }
}

/// A commit's diffs against its fork point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CommitDiffs {
    /// `git diff --name-only`.
    pub files_changed: String,
    /// `git diff --numstat`.
    pub diff_stat: String,
    /// `git diff`, unless diffs are skipped.
    pub git_diff: Option<String>,
    /// `git diff --raw`, unless diffs are skipped.
    pub git_diff_raw: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metadata_record_keeps_a_multi_line_message() {
        let record = "\nabc\x1fp1 p2\x1fAnn\x1fa@x\x1f2026-01-01T00:00:00Z\x1fCid\x1fc@x\x1f2026-01-02T00:00:00Z\x1fsubject\n\nbody\x1fstill body\n";
        let meta = CommitMetadata::parse(record).expect("a record");
        assert_eq!(meta.commit_sha, "abc");
        assert_eq!(meta.parent_shas, ["p1", "p2"]);
        assert_eq!(meta.committer_date, "2026-01-02T00:00:00Z");
        assert_eq!(meta.message, "subject\n\nbody\x1fstill body");
        assert_eq!(CommitMetadata::parse("\n"), None);
    }
}
