//! The calls bktec makes to `buildkite-agent`: an OIDC token (3.2), an early
//! failure for the job (13.2), a pipeline upload (11.4), and an annotation of
//! the build (issue 13, item 3). Each runs as a helper child
//! (`process::output`): in its own process group, within its deadline,
//! ended when bktec receives an ending signal, leaving nothing running.

use std::io;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::process::{self, Captured, HelperOptions, ProcessError};
use crate::secret::Secret;

/// How long `buildkite-agent oidc request-token` may take.
const OIDC_BUDGET: Duration = Duration::from_secs(60);

/// How long `buildkite-agent pipeline upload` may take.
const UPLOAD_BUDGET: Duration = Duration::from_secs(10 * 60);

/// Runs `command` as a helper child within `deadline`, writing `input` to
/// its standard input, its output captured, or shown when `shown`.
fn run_agent(
    command: &mut Command,
    input: Option<&[u8]>,
    deadline: Duration,
    shown: bool,
) -> Result<Captured, ProcessError> {
    process::output(
        command,
        HelperOptions {
            input,
            deadline: Some(deadline),
            inherit_output: shown,
        },
    )
}

/// Why the agent gave no OIDC token. The messages are the Go client's:
/// `error generating token: <stderr>: <status>`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OidcError {
    /// The agent could not be started. (The Go client's stderr part is
    /// empty then, hence `: :`.)
    #[error("error generating token: : failed to start `{agent}`")]
    Start {
        /// The agent command.
        agent: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The agent did not finish: it ran past its deadline, or bktec
    /// received a signal meanwhile.
    #[error("error generating token: the agent did not finish")]
    Stopped(#[source] ProcessError),
    /// The agent exited unsuccessfully.
    #[error("error generating token: {stderr}: {status}")]
    Agent {
        /// What the agent printed to stderr, trimmed.
        stderr: String,
        /// How it exited.
        status: ExitStatus,
    },
    /// The agent succeeded but printed nothing.
    #[error("error generating token: the agent printed no token")]
    NoToken,
}

/// Asks `agent` for an OIDC token for the suite's audience:
/// `<agent> oidc request-token --audience <base>/v2/analytics/organizations/<org>/suites/<suite> --lifetime <secs>`.
pub(crate) fn mint_oidc_token(
    agent: &str,
    base_url: &str,
    organization: &str,
    suite: &str,
    lifetime_secs: i64,
) -> Result<Secret, OidcError> {
    let audience = format!("{base_url}/v2/analytics/organizations/{organization}/suites/{suite}");
    let mut command = Command::new(agent);
    command
        .args([
            "oidc",
            "request-token",
            "--audience",
            &audience,
            "--lifetime",
        ])
        .arg(lifetime_secs.to_string());
    let output = run_agent(&mut command, None, OIDC_BUDGET, false).map_err(|err| match err {
        ProcessError::Spawn { source, .. } => OidcError::Start {
            agent: agent.to_string(),
            source,
        },
        err => OidcError::Stopped(err),
    })?;
    if !output.status.success() {
        return Err(OidcError::Agent {
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            status: output.status,
        });
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if token.is_empty() {
        return Err(OidcError::NoToken);
    }
    Ok(Secret::new(token))
}

/// How long `buildkite-agent job promise-failure` may take.
const PROMISE_BUDGET: Duration = Duration::from_secs(5);

/// Why the agent could not be told that the job will fail (13.2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PromiseError {
    /// The agent could not be started.
    #[error("failed to start the agent")]
    Start(#[source] io::Error),
    /// The agent exited with a failure.
    #[error("{0}")]
    Status(ExitStatus),
    /// It took longer than its budget.
    #[error("timed out after {}s", PROMISE_BUDGET.as_secs())]
    TimedOut,
    /// It was stopped: bktec received a signal, or waiting for it failed.
    #[error("the agent did not finish")]
    Stopped(#[source] ProcessError),
}

/// `<agent> job promise-failure 1 --reason <reason>`, within 5 seconds.
/// The agent's output is shown. It runs to its end on the calling thread:
/// nothing else runs meanwhile.
pub(crate) async fn promise_failure(agent: &str, reason: &str) -> Result<(), PromiseError> {
    let mut command = Command::new(agent);
    command.args(["job", "promise-failure", "1", "--reason", reason]);
    match run_agent(&mut command, None, PROMISE_BUDGET, true) {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(PromiseError::Status(output.status)),
        Err(ProcessError::Spawn { source, .. }) => Err(PromiseError::Start(source)),
        Err(ProcessError::TimedOut { .. }) => Err(PromiseError::TimedOut),
        Err(err) => Err(PromiseError::Stopped(err)),
    }
}

/// `<agent> pipeline upload <template>`, with `env` added, and its status.
/// The agent's output is shown. A run that did not finish (its deadline,
/// a signal) is an error whose inner error is the [`ProcessError`].
pub(crate) fn pipeline_upload(
    agent: &str,
    template: &str,
    env: &[(&str, String)],
) -> io::Result<ExitStatus> {
    let mut command = Command::new(agent);
    command
        .args(["pipeline", "upload", template])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    match run_agent(&mut command, None, UPLOAD_BUDGET, true) {
        Ok(output) => Ok(output.status),
        Err(ProcessError::Spawn { source, .. }) => Err(source),
        Err(err) => Err(io::Error::other(err)),
    }
}

/// How long `buildkite-agent annotate` may take.
const ANNOTATE_BUDGET: Duration = Duration::from_secs(10);

/// Why the build could not be annotated.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnnotateError {
    /// The agent could not be started, or its input not written.
    #[error("failed to run `{agent}`")]
    Start {
        /// The agent command.
        agent: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The agent exited with a failure.
    #[error("`{agent} annotate` exited with {status}")]
    Status {
        /// The agent command.
        agent: String,
        /// How it exited.
        status: ExitStatus,
    },
    /// It took longer than its budget.
    #[error("`{agent} annotate` timed out after {}s", ANNOTATE_BUDGET.as_secs())]
    TimedOut {
        /// The agent command.
        agent: String,
    },
    /// It was stopped: bktec received a signal, or waiting for it failed.
    #[error("`{agent} annotate` did not finish")]
    Stopped {
        /// The agent command.
        agent: String,
        /// Why.
        #[source]
        source: ProcessError,
    },
}

/// `<agent> annotate --context <context> --style <style> --append`, with the
/// Markdown `body` on its standard input, within 10 seconds. The agent's
/// output is shown. It runs to its end on the calling thread: nothing else
/// runs meanwhile.
pub(crate) async fn annotate(
    agent: &str,
    context: &str,
    style: &str,
    body: &str,
) -> Result<(), AnnotateError> {
    let mut command = Command::new(agent);
    command.args([
        "annotate",
        "--context",
        context,
        "--style",
        style,
        "--append",
    ]);
    let agent = agent.to_string();
    match run_agent(&mut command, Some(body.as_bytes()), ANNOTATE_BUDGET, true) {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(AnnotateError::Status {
            agent,
            status: output.status,
        }),
        Err(ProcessError::Spawn { source, .. }) => Err(AnnotateError::Start { agent, source }),
        Err(ProcessError::TimedOut { .. }) => Err(AnnotateError::TimedOut { agent }),
        Err(source) => Err(AnnotateError::Stopped { agent, source }),
    }
}
