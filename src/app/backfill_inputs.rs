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

/// The connection values: all required, in every mode.
pub(crate) fn connection(cmd: &BackfillCmd, env: &EnvSnapshot) -> Result<Connection, InputError> {
    let required = |flag: &Option<String>, name, var, what, places| {
        pick(flag.as_deref(), name, env, &[var])
            .map(|(value, _)| value)
            .ok_or(InputError::Missing { what, places })
    };
    let token = required(
        &cmd.access_token,
        "access-token",
        EnvVars::BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN,
        "API access token",
        "--access-token or BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN",
    )?;
    let organization = required(
        &cmd.organization_slug,
        "organization-slug",
        EnvVars::BUILDKITE_ORGANIZATION_SLUG,
        "organization slug",
        "--organization-slug or BUILDKITE_ORGANIZATION_SLUG",
    )?;
    let suite = required(
        &cmd.suite_slug,
        "suite-slug",
        EnvVars::BUILDKITE_TEST_ENGINE_SUITE_SLUG,
        "suite slug",
        "--suite-slug or BUILDKITE_TEST_ENGINE_SUITE_SLUG",
    )?;
    let base = [EnvVars::BUILDKITE_TEST_ENGINE_BASE_URL];
    let base_url = match pick(cmd.base_url.as_deref(), "base-url", env, &base) {
        None => "https://api.buildkite.com".to_string(),
        Some((value, _)) if value.starts_with("http://") || value.starts_with("https://") => value,
        Some((value, origin)) => {
            return Err(InputError::Invalid {
                value,
                origin,
                why: "must be an http or https URL",
            });
        }
    };
    Ok(Connection {
        token: Secret::new(token),
        organization,
        suite,
        base_url,
    })
}

/// What the command does, with the collection values checked unless it
/// only uploads (as in the Go client, they are then ignored).
pub(crate) fn mode(cmd: &BackfillCmd, env: &EnvSnapshot) -> Result<Mode, InputError> {
    if let Some(path) = &cmd.upload {
        return match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Ok(Mode::UploadFile(path.clone())),
            Ok(_) => Err(InputError::UploadFile {
                path: path.clone(),
                source: None,
            }),
            Err(source) => Err(InputError::UploadFile {
                path: path.clone(),
                source: Some(source),
            }),
        };
    }
    let options = collect_options(cmd, env)?;
    match &cmd.output {
        Some(path) => {
            check_output(path)?;
            Ok(Mode::Output(options, path.clone()))
        }
        None => Ok(Mode::Upload(options)),
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

fn collect_options(cmd: &BackfillCmd, env: &EnvSnapshot) -> Result<CollectOptions, InputError> {
    let days_var = [EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_DAYS];
    let days = match pick(cmd.days.as_deref(), "days", env, &days_var) {
        None => 90,
        Some((value, origin)) => match value.trim().parse::<u32>() {
            Ok(days @ 1..=90) => days,
            _ => {
                return Err(invalid(
                    value,
                    origin,
                    "must be a whole number from 1 to 90",
                ));
            }
        },
    };
    let concurrency_var = [EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY];
    let concurrency = match pick(
        cmd.concurrency.as_deref(),
        "concurrency",
        env,
        &concurrency_var,
    ) {
        None => 10,
        Some((value, origin)) => match value.trim().parse::<usize>() {
            Ok(n @ 1..=MAX_CONCURRENCY) => n,
            _ => {
                return Err(invalid(
                    value,
                    origin,
                    "must be a whole number from 1 to 100",
                ));
            }
        },
    };
    let remote_vars = [
        EnvVars::BUILDKITE_TEST_ENGINE_REMOTE,
        EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE,
    ];
    let remote = match pick(cmd.remote.as_deref(), "remote", env, &remote_vars) {
        None => "origin".to_string(),
        // A remote is passed to git as a word of its own: one that starts
        // with `-` would be read as an option.
        Some((value, origin))
            if value.is_empty()
                || value.starts_with('-')
                || value.contains(char::is_whitespace) =>
        {
            return Err(invalid(value, origin, "must be a git remote name"));
        }
        Some((value, _)) => value,
    };
    let skip_var = [EnvVars::BUILDKITE_TEST_ENGINE_SKIP_DIFFS];
    let skip_diffs = match pick(cmd.skip_diffs.as_deref(), "skip-diffs", env, &skip_var) {
        None => false,
        Some((value, origin)) => parse_bool(&value)
            .ok_or_else(|| invalid(value, origin, "must be true or false (or 1, 0, t, f)"))?,
    };
    Ok(CollectOptions {
        days,
        remote,
        concurrency,
        skip_diffs,
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

/// Whether `BKTEC_PREVIEW_SELECTION` is truthy (`1`, `true`, `yes`, `on`,
/// in any case), which shows `bktec tools` in help.
pub(crate) fn preview(env: &EnvSnapshot) -> bool {
    env.get(EnvVars::BKTEC_PREVIEW_SELECTION)
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes" | "on"))
}
