//! The three calls bktec makes to `buildkite-agent`: an OIDC token (3.2),
//! an early failure for the job (13.2), and a pipeline upload (11.4).

use std::io;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::secret::Secret;

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
    let output = Command::new(agent)
        .args([
            "oidc",
            "request-token",
            "--audience",
            &audience,
            "--lifetime",
        ])
        .arg(lifetime_secs.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|source| OidcError::Start {
            agent: agent.to_string(),
            source,
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
}

/// `<agent> job promise-failure 1 --reason <reason>`, within 5 seconds.
pub(crate) async fn promise_failure(agent: &str, reason: &str) -> Result<(), PromiseError> {
    let child = tokio::process::Command::new(agent)
        .args(["job", "promise-failure", "1", "--reason", reason])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(PROMISE_BUDGET, child).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(PromiseError::Status(status)),
        Ok(Err(err)) => Err(PromiseError::Start(err)),
        Err(_) => Err(PromiseError::TimedOut),
    }
}

/// `<agent> pipeline upload <template>`, with `env` added, and its status.
pub(crate) fn pipeline_upload(
    agent: &str,
    template: &str,
    env: &[(&str, String)],
) -> io::Result<ExitStatus> {
    Command::new(agent)
        .args(["pipeline", "upload", template])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .status()
}
