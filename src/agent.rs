//! The calls bktec makes to `buildkite-agent`: an OIDC token (3.2), an early
//! failure for the job (13.2), a pipeline upload (11.4), and an annotation of
//! the build (issue 13, item 3).

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
}

/// `<agent> annotate --context <context> --style <style> --append`, with the
/// Markdown `body` on its standard input, within 10 seconds.
pub(crate) async fn annotate(
    agent: &str,
    context: &str,
    style: &str,
    body: &str,
) -> Result<(), AnnotateError> {
    use tokio::io::AsyncWriteExt;
    let start = |source| AnnotateError::Start {
        agent: agent.to_string(),
        source,
    };
    let run = async {
        let mut child = tokio::process::Command::new(agent)
            .args([
                "annotate",
                "--context",
                context,
                "--style",
                style,
                "--append",
            ])
            .stdin(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(start)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(body.as_bytes()).await.map_err(start)?;
        drop(stdin);
        child.wait().await.map_err(start)
    };
    match tokio::time::timeout(ANNOTATE_BUDGET, run).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(AnnotateError::Status {
            agent: agent.to_string(),
            status,
        }),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(AnnotateError::TimedOut {
            agent: agent.to_string(),
        }),
    }
}
