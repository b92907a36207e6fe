//! The values of `bktec tools backfill-commit-metadata` (D43): each from
//! its flag, else from its variables, never from bktec.toml, with where it
//! came from kept for the refusal that names it.

use std::path::PathBuf;

use crate::backfill::CollectOptions;
use crate::cli::BackfillCmd;
use crate::config::{EnvSnapshot, EnvVars};
use crate::secret::Secret;

/// The most commits diffed at once: each is a git child.
const MAX_CONCURRENCY: usize = 100;

/// A value the command was given that it cannot use.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// A value is malformed or out of range.
    #[error("invalid value `{value}` for {origin}: {why}")]
    Invalid {
        /// The value.
        value: String,
        /// Where it came from (a flag or a variable).
        origin: String,
        /// What it must be.
        why: &'static str,
    },
    /// A required value was not given.
    #[error("no {what} given (hint: set {places})")]
    Missing {
        /// What.
        what: &'static str,
        /// Where it could come from.
        places: &'static str,
    },
    /// The `--upload` archive is not a file.
    #[error("cannot upload `{}` (from --upload): not a readable file", path.display())]
    UploadFile {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: Option<std::io::Error>,
    },
    /// More than one value is wrong: each, on a line of its own.
    #[error("invalid configuration:{}", .0.iter().map(|e| format!("\n  {e}")).collect::<String>())]
    Several(Vec<InputError>),
    /// The `--output` path cannot be written.
    #[error("cannot write the archive to `{}` (from --output): {why}", path.display())]
    OutputFile {
        /// The path.
        path: PathBuf,
        /// Why.
        why: &'static str,
    },
}

/// Where the API is and who is calling.
#[derive(Debug)]
pub(crate) struct Connection {
    pub token: Secret,
    pub organization: String,
    pub suite: String,
    pub base_url: String,
}

/// What the command does.
#[derive(Debug)]
pub(crate) enum Mode {
    /// Collect, then write the archive to this file.
    Output(CollectOptions, PathBuf),
    /// Collect, then upload.
    Upload(CollectOptions),
    /// Upload this archive, made earlier.
    UploadFile(PathBuf),
}

/// The first of the flag's value and the variables' values that is set
/// (an empty variable is unset), with its origin.
fn pick(
    flag: Option<&str>,
    name: &str,
    env: &EnvSnapshot,
    vars: &[&str],
) -> Option<(String, String)> {
    if let Some(value) = flag {
        return Some((value.to_string(), format!("--{name}")));
    }
    vars.iter().find_map(|var| {
        env.get(var)
            .filter(|v| !v.is_empty())
            .map(|v| (v.to_string(), (*var).to_string()))
    })
}

/// The connection and the mode, every problem with them reported at once.
pub(crate) fn inputs(
    cmd: &BackfillCmd,
    env: &EnvSnapshot,
) -> Result<(Connection, Mode), InputError> {
    let mut problems = Problems::default();
    let connection = connection(cmd, env, &mut problems);
    let mode = mode(cmd, env, &mut problems);
    match (connection, mode, problems.0.len()) {
        (Some(connection), Some(mode), 0) => Ok((connection, mode)),
        _ if problems.0.len() == 1 => Err(problems.0.remove(0)),
        _ => Err(InputError::Several(problems.0)),
    }
}

/// The problems found so far.
#[derive(Default)]
struct Problems(Vec<InputError>);

impl Problems {
    /// The value of `result`, or `None` with its error kept.
    fn keep<T>(&mut self, result: Result<T, InputError>) -> Option<T> {
        result.map_err(|err| self.0.push(err)).ok()
    }
}

/// A value read by `parse`, or its default when neither the flag nor the
/// variables give one; a value `parse` refuses is invalid, with `why`.
fn parsed<T>(
    found: Option<(String, String)>,
    default: T,
    why: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, InputError> {
    match found {
        None => Ok(default),
        Some((value, origin)) => parse(&value).ok_or_else(|| invalid(value, origin, why)),
    }
}

/// The connection values: all required, in every mode.
fn connection(cmd: &BackfillCmd, env: &EnvSnapshot, problems: &mut Problems) -> Option<Connection> {
    let mut required = |flag: &Option<String>, name, var, what, places| {
        let found = pick(flag.as_deref(), name, env, &[var]).map(|(value, _)| value);
        problems.keep(found.ok_or(InputError::Missing { what, places }))
    };
    let token = required(
        &cmd.access_token,
        "access-token",
        EnvVars::BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN,
        "API access token",
        "--access-token or BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN",
    );
    let organization = required(
        &cmd.organization_slug,
        "organization-slug",
        EnvVars::BUILDKITE_ORGANIZATION_SLUG,
        "organization slug",
        "--organization-slug or BUILDKITE_ORGANIZATION_SLUG",
    );
    let suite = required(
        &cmd.suite_slug,
        "suite-slug",
        EnvVars::BUILDKITE_TEST_ENGINE_SUITE_SLUG,
        "suite slug",
        "--suite-slug or BUILDKITE_TEST_ENGINE_SUITE_SLUG",
    );
    let base = [EnvVars::BUILDKITE_TEST_ENGINE_BASE_URL];
    let base_url = problems.keep(parsed(
        pick(cmd.base_url.as_deref(), "base-url", env, &base),
        "https://api.buildkite.com".to_string(),
        "must be an http or https URL",
        |v| (v.starts_with("http://") || v.starts_with("https://")).then(|| v.to_string()),
    ));
    Some(Connection {
        token: Secret::new(token?),
        organization: organization?,
        suite: suite?,
        base_url: base_url?,
    })
}

/// What the command does, with the collection values checked unless it
/// only uploads (as in the Go client, they are then ignored).
fn mode(cmd: &BackfillCmd, env: &EnvSnapshot, problems: &mut Problems) -> Option<Mode> {
    if let Some(path) = &cmd.upload {
        let file = match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Ok(Mode::UploadFile(path.clone())),
            Ok(_) => Err(None),
            Err(source) => Err(Some(source)),
        };
        return problems.keep(file.map_err(|source| InputError::UploadFile {
            path: path.clone(),
            source,
        }));
    }
    let options = collect_options(cmd, env, problems);
    match &cmd.output {
        Some(path) => {
            let checked = problems.keep(check_output(path));
            Some(Mode::Output(options?, path.clone())).filter(|_| checked.is_some())
        }
        None => Some(Mode::Upload(options?)),
    }
}

/// `--output` must name a file in a directory that exists.
fn check_output(path: &std::path::Path) -> Result<(), InputError> {
    let fail = |why| InputError::OutputFile {
        path: path.to_path_buf(),
        why,
    };
    if path.as_os_str().is_empty() {
        return Err(fail("the path is empty"));
    }
    if path.is_dir() {
        return Err(fail("it is a directory"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if parent.is_some_and(|p| !p.is_dir()) {
        return Err(fail("its directory does not exist"));
    }
    Ok(())
}

fn collect_options(
    cmd: &BackfillCmd,
    env: &EnvSnapshot,
    problems: &mut Problems,
) -> Option<CollectOptions> {
    let days_var = [EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_DAYS];
    let days = problems.keep(parsed(
        pick(cmd.days.as_deref(), "days", env, &days_var),
        90,
        "must be a whole number from 1 to 90",
        |v| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=90).contains(d))
        },
    ));
    let concurrency_var = [EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY];
    let concurrency = problems.keep(parsed(
        pick(
            cmd.concurrency.as_deref(),
            "concurrency",
            env,
            &concurrency_var,
        ),
        10,
        "must be a whole number from 1 to 100",
        |v| {
            v.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        },
    ));
    let remote_vars = [
        EnvVars::BUILDKITE_TEST_ENGINE_REMOTE,
        EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE,
    ];
    // A remote is passed to git as a word of its own: one that starts with
    // `-` would be read as an option.
    let remote = problems.keep(parsed(
        pick(cmd.remote.as_deref(), "remote", env, &remote_vars),
        "origin".to_string(),
        "must be a git remote name",
        |v| {
            let word = !v.is_empty() && !v.starts_with('-') && !v.contains(char::is_whitespace);
            word.then(|| v.to_string())
        },
    ));
    let skip_var = [EnvVars::BUILDKITE_TEST_ENGINE_SKIP_DIFFS];
    let skip_diffs = problems.keep(parsed(
        pick(cmd.skip_diffs.as_deref(), "skip-diffs", env, &skip_var),
        false,
        "must be true or false (or 1, 0, t, f)",
        parse_bool,
    ));
    Some(CollectOptions {
        days: days?,
        remote: remote?,
        concurrency: concurrency?,
        skip_diffs: skip_diffs?,
    })
}

fn invalid(value: String, origin: String, why: &'static str) -> InputError {
    InputError::Invalid { value, origin, why }
}

/// A boolean as Go's `strconv.ParseBool` reads it.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}
