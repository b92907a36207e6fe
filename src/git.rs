//! The git calls of the test selection preview (D40; behaviour document
//! 13.3): the metadata of `HEAD` and its diff from the base branch's fork
//! point, sent in the create-plan request. Every call runs `git` itself
//! (never a shell) through `process::output`, with a deadline. As in the Go
//! client, a failing call only leaves its keys out; only a signal that
//! stopped git is an error, so that bktec ends with 128 + n.

use std::collections::BTreeMap;
use std::fmt;
use std::process::Command;
use std::time::Duration;

use crate::process::{self, HelperOptions, ProcessError};

/// How long one git call may take. Diffs of a long-lived branch in a large
/// repository are the slowest; a minute each is far beyond what they need.
const GIT_DEADLINE: Duration = Duration::from_secs(60);

/// The `git log` format of the commit fields: the Go client's, fields
/// separated by US (0x1f), the record ended by RS (0x1e).
const COMMIT_FORMAT: &str = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1e";

/// The keys of [`COMMIT_FORMAT`]'s fields, in order.
const COMMIT_KEYS: [&str; 9] = [
    "commit_sha",
    "parent_shas",
    "author_name",
    "author_email",
    "author_date",
    "committer_name",
    "committer_email",
    "committer_date",
    "message",
];

/// What collection reads besides the repository: the `--metadata
/// base_branch` override, the remote, and the Buildkite variables the Go
/// client reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct GitContext {
    /// `--metadata base_branch=…`, the first candidate diff base.
    pub explicit_base: Option<String>,
    /// `--remote`.
    pub remote: String,
    /// `BUILDKITE_PULL_REQUEST_BASE_BRANCH`, the second candidate.
    pub pull_request_base: Option<String>,
    /// `BUILDKITE_BRANCH`, the branch of a detached `HEAD`.
    pub buildkite_branch: Option<String>,
    /// `BUILDKITE_PIPELINE_SLUG`.
    pub pipeline_slug: Option<String>,
    /// `BUILDKITE_BUILD_ID`.
    pub build_id: Option<String>,
}

/// What collection could not do; each is a warning, none stops the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GitNote {
    /// `git rev-parse --git-dir` failed (or git could not be run): nothing
    /// was collected.
    NotARepository,
    /// No candidate diff base exists: no diff keys were collected.
    NoBaseBranch {
        /// The remote whose branches were tried.
        remote: String,
    },
    /// A git call ran past its deadline and was ended; its keys are left out.
    TimedOut {
        /// The call's arguments after `git`.
        args: String,
        /// Its deadline.
        after: Duration,
    },
}

impl fmt::Display for GitNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitNote::NotARepository => {
                f.write_str("Not a git repository, skipping metadata auto-collection.")
            }
            GitNote::NoBaseBranch { remote } if remote.is_empty() => f.write_str(
                "Could not resolve base branch for diff metadata: the git remote is empty (--remote, BUILDKITE_TEST_ENGINE_REMOTE)."
            ),
            GitNote::NoBaseBranch { remote } => write!(
                f,
                "Could not resolve base branch for diff metadata (tried {remote}/HEAD, {remote}/main and {remote}/master). Set --metadata base_branch=<branch> if your repo uses a non-standard default branch."
            ),
            GitNote::TimedOut { args, after } => write!(
                f,
                "`git {args}` did not finish within {}s; its metadata is left out",
                after.as_secs()
            ),
        }
    }
}

/// The collected metadata and what went wrong on the way.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Non-empty values only, by key.
    pub metadata: BTreeMap<String, String>,
    /// Warnings, in the order they arose.
    pub notes: Vec<GitNote>,
}

/// Runs git in the working directory.
struct Git<'a> {
    notes: &'a mut Vec<GitNote>,
}

impl Git<'_> {
    /// `git args…`'s standard output, or `None` when it failed, could not
    /// run or timed out (noted). Only a signal is an error.
    fn run(&mut self, args: &[&str]) -> Result<Option<String>, ProcessError> {
        let mut command = Command::new("git");
        command.args(args);
        let options = HelperOptions {
            deadline: Some(GIT_DEADLINE),
            ..HelperOptions::default()
        };
        match process::output(&mut command, options) {
            Ok(done) if done.status.success() => {
                Ok(Some(String::from_utf8_lossy(&done.stdout).into_owned()))
            }
            Ok(_)
            | Err(
                ProcessError::Spawn { .. } | ProcessError::Wait { .. } | ProcessError::Copy { .. },
            ) => Ok(None),
            Err(ProcessError::TimedOut { after, .. }) => {
                self.notes.push(GitNote::TimedOut {
                    args: args.join(" "),
                    after,
                });
                Ok(None)
            }
            Err(err @ (ProcessError::Cancelled { .. } | ProcessError::EmptyCommand)) => Err(err),
        }
    }

    /// Whether `reference` names a commit. No ref name starts with `-`
    /// (`git check-ref-format`), so such a value is never one, and is never
    /// handed to git, where it would read as an option.
    fn verifies(&mut self, reference: &str) -> Result<bool, ProcessError> {
        if reference.starts_with('-') {
            return Ok(false);
        }
        Ok(self.run(&["rev-parse", "--verify", reference])?.is_some())
    }
}

/// Collects the preview's git metadata of the repository in the working
/// directory (behaviour document 13.3).
pub(crate) fn collect(context: &GitContext) -> Result<Collected, ProcessError> {
    let mut collected = Collected::default();
    let mut git = Git {
        notes: &mut collected.notes,
    };
    if git.run(&["rev-parse", "--git-dir"])?.is_none() {
        git.notes.push(GitNote::NotARepository);
        return Ok(collected);
    }
    let base = base_branch(&mut git, context)?;
    let mut found = BTreeMap::new();
    if let Some(log) = git.run(&["log", "-1", COMMIT_FORMAT])? {
        found.extend(commit_fields(&log));
    }
    if let Some(base) = &base {
        found.extend(diff_fields(&mut git, base)?);
    }
    found.extend(context_fields(&mut git, context, base.as_deref())?);
    collected.metadata = found.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    Ok(collected)
}

/// The diff base: the explicit one, then the pull request's base, each as
/// written or under the remote; then the remote's `HEAD`, `main`, `master`.
fn base_branch(git: &mut Git<'_>, context: &GitContext) -> Result<Option<String>, ProcessError> {
    let remote = &context.remote;
    if remote.is_empty() {
        git.notes.push(GitNote::NoBaseBranch {
            remote: String::new(),
        });
        return Ok(None);
    }
    let candidates = [&context.explicit_base, &context.pull_request_base];
    for candidate in candidates.into_iter().flatten().filter(|c| !c.is_empty()) {
        for reference in [candidate.clone(), format!("{remote}/{candidate}")] {
            if git.verifies(&reference)? {
                return Ok(Some(reference));
            }
        }
    }
    let head = format!("refs/remotes/{remote}/HEAD");
    if let Some(out) = git.run(&["symbolic-ref", "--short", &head])? {
        let branch = out.trim();
        if !branch.is_empty() {
            return Ok(Some(branch.to_string()));
        }
    }
    for name in ["main", "master"] {
        let reference = format!("{remote}/{name}");
        if git.verifies(&reference)? {
            return Ok(Some(reference));
        }
    }
    git.notes.push(GitNote::NoBaseBranch {
        remote: remote.clone(),
    });
    Ok(None)
}

/// The fields of `git log -1` in [`COMMIT_FORMAT`], trimmed; none when the
/// record is malformed or has no commit hash.
fn commit_fields(log: &str) -> Vec<(String, String)> {
    let record = log.trim();
    let record = record.strip_suffix('\u{1e}').unwrap_or(record);
    let fields: Vec<&str> = record.splitn(COMMIT_KEYS.len(), '\u{1f}').collect();
    if fields.len() < COMMIT_KEYS.len() || fields[0].trim().is_empty() {
        return Vec::new();
    }
    COMMIT_KEYS
        .iter()
        .zip(fields)
        .map(|(key, value)| {
            let value = match *key {
                "parent_shas" => value.split_whitespace().collect::<Vec<_>>().join(" "),
                _ => value.trim().to_string(),
            };
            (key.to_string(), value)
        })
        .collect()
}

/// The diff of `HEAD` from its fork point with `base`: changed files, the
/// numstat, the patch and the raw diff, trailing newlines trimmed.
fn diff_fields(git: &mut Git<'_>, base: &str) -> Result<Vec<(String, String)>, ProcessError> {
    let Some(fork) = git.run(&["merge-base", base, "HEAD"])? else {
        return Ok(Vec::new());
    };
    let fork = fork.trim();
    let mut fields = Vec::new();
    for (key, option) in [
        ("files_changed", Some("--name-only")),
        ("diff_stat", Some("--numstat")),
        ("git_diff", None),
        ("git_diff_raw", Some("--raw")),
    ] {
        let mut args = vec!["diff", "--no-ext-diff"];
        args.extend(option);
        args.extend([fork, "HEAD"]);
        if let Some(out) = git.run(&args)? {
            fields.push((key.to_string(), out.trim_end_matches('\n').to_string()));
        }
    }
    Ok(fields)
}

/// `branch` (the checked-out branch, else `BUILDKITE_BRANCH`),
/// `base_branch`, `pipeline_slug` and `build_uuid`.
fn context_fields(
    git: &mut Git<'_>,
    context: &GitContext,
    base: Option<&str>,
) -> Result<Vec<(String, String)>, ProcessError> {
    let checked_out = git
        .run(&["branch", "--show-current"])?
        .map(|out| out.trim().to_string())
        .filter(|b| !b.is_empty());
    let fields = [
        ("branch", checked_out.or(context.buildkite_branch.clone())),
        ("base_branch", base.map(str::to_string)),
        ("pipeline_slug", context.pipeline_slug.clone()),
        ("build_uuid", context.build_id.clone()),
    ];
    Ok(fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .collect())
}

/// `user` with the collected values added under keys it does not have: the
/// user's values win, even empty ones (the Go client's `MergeMetadata`).
pub(crate) fn merge(
    user: &[(String, String)],
    collected: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut merged: BTreeMap<String, String> = user.iter().cloned().collect();
    for (key, value) in collected {
        merged.entry(key).or_insert(value);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_fields_are_trimmed_and_keep_the_message_whole() {
        let log = "abc\u{1f}p1 p2\u{1f}Ann\u{1f}a@x\u{1f}2026-01-01T00:00:00Z\u{1f}Cy\u{1f}c@x\u{1f}2026-01-02T00:00:00Z\u{1f}subject\n\nbody \u{1f} with US\n\u{1e}\n";
        let fields: BTreeMap<_, _> = commit_fields(log).into_iter().collect();
        assert_eq!(fields["commit_sha"], "abc");
        assert_eq!(fields["parent_shas"], "p1 p2");
        assert_eq!(fields["message"], "subject\n\nbody \u{1f} with US");
        assert_eq!(fields.len(), 9);
        assert!(commit_fields("abc\u{1f}only two").is_empty());
        assert!(commit_fields("").is_empty());
    }

    #[test]
    fn the_users_metadata_wins_over_collected_values() {
        let user = [
            ("base_branch".to_string(), String::new()),
            ("team".to_string(), "web".to_string()),
        ];
        let collected = BTreeMap::from([
            ("base_branch".to_string(), "origin/main".to_string()),
            ("commit_sha".to_string(), "abc".to_string()),
        ]);
        let merged = merge(&user, collected);
        assert_eq!(merged["base_branch"], "");
        assert_eq!(merged["team"], "web");
        assert_eq!(merged["commit_sha"], "abc");
    }
}
