//! What a run sends back: each attempt's result file (13.1), the run's
//! metadata (4.3 D), and an early failure to the agent (13.2). Failures of
//! these only warn; they never change the exit status.

use std::time::Duration;

use super::Context;
use super::request::env_payload;
use crate::api::{ApiClient, MetadataRequest, TimelineEvent};
use crate::config::elements::Secret;
use crate::config::resolve::ApiSettings;
use crate::config::{EnvVars, RunSettings};
use crate::execute::{RunOutcome, Verdict};
use crate::report::{Reporter, RunEvent};
use crate::runner::Runner;
use crate::shell::Shell;
use crate::upload::Uploader;

/// The Test Engine connection of a run with a server plan.
pub(super) struct Server {
    /// The API client.
    pub(super) client: ApiClient,
    /// The API settings.
    pub(super) api: Box<ApiSettings>,
}

/// Posts the run's metadata for a server plan (4.3 D); failures only print.
pub(super) async fn post_metadata(
    server: Option<&mut Server>,
    settings: &RunSettings,
    run: Option<(Vec<TimelineEvent>, &RunOutcome)>,
) -> Result<(), String> {
    let Some(Server { client, api }) = server else {
        return Ok(());
    };
    let (timeline, statistics) = match run {
        Some((timeline, outcome)) => (Some(timeline), outcome.record.statistics()),
        None => (None, crate::results::Statistics::default()),
    };
    let request = MetadataRequest {
        version: crate::VERSION.to_string(),
        env: env_payload(settings, api),
        timeline,
        statistics,
    };
    client
        .post_metadata(&request)
        .await
        .map_err(|err| err.to_string())
}

/// The uploader of 13.1, when uploads are on and possible.
pub(super) fn uploader(
    context: &Context,
    settings: &RunSettings,
    runner: &Runner,
    token: Option<&Secret>,
    reporter: &mut Reporter,
    shell: &mut Shell,
) -> Option<Uploader> {
    if !settings.upload_results {
        return None;
    }
    let Some(token) = token.filter(|t| !t.expose().is_empty()) else {
        reporter.report(shell, RunEvent::UploadsWithoutToken);
        return None;
    };
    let format = runner.upload_format()?.upload_name();
    let env = |name: &str| context.env.get(name).unwrap_or_default().to_string();
    let build_id = env(EnvVars::BUILDKITE_BUILD_ID);
    let mut fields = vec![
        ("format".to_string(), format.to_string()),
        ("run_env[CI]".to_string(), "buildkite".to_string()),
        ("run_env[key]".to_string(), build_id.clone()),
        (
            "run_env[branch]".to_string(),
            env(EnvVars::BUILDKITE_BRANCH),
        ),
        (
            "run_env[commit_sha]".to_string(),
            env(EnvVars::BUILDKITE_COMMIT),
        ),
        (
            "run_env[number]".to_string(),
            env(EnvVars::BUILDKITE_BUILD_NUMBER),
        ),
        (
            "run_env[url]".to_string(),
            env(EnvVars::BUILDKITE_BUILD_URL),
        ),
        (
            "run_env[job_id]".to_string(),
            env(EnvVars::BUILDKITE_JOB_ID),
        ),
        (
            "run_env[message]".to_string(),
            env(EnvVars::BUILDKITE_MESSAGE),
        ),
        (
            "run_env[location_prefix]".to_string(),
            settings.location_prefix.clone().unwrap_or_default(),
        ),
        ("run_env[collector]".to_string(), "bktec".to_string()),
        (
            "run_env[test_runner]".to_string(),
            settings.runner.as_str().to_string(),
        ),
        ("run_env[version]".to_string(), crate::VERSION.to_string()),
    ];
    if !build_id.is_empty() {
        fields.push((
            "run_env[cwd]".to_string(),
            context.cwd.display().to_string(),
        ));
    }
    fields.extend(
        settings
            .upload_tags
            .0
            .iter()
            .map(|(k, v)| (format!("tags[{k}]"), v.clone())),
    );
    match Uploader::new(
        &settings.upload_base_url,
        token.clone(),
        fields,
        settings.api_retry,
    ) {
        Ok(uploader) => Some(uploader),
        Err(err) => {
            shell.out(&format!(
                "Buildkite Test Engine Client: Failed to upload test results to Test Engine: {err}\n"
            ));
            None
        }
    }
}

/// Tells the agent early that the job will fail (13.2), when it will: hard
/// failures remain, or the tests did not prove success (D23).
pub(super) async fn promise_failure(
    settings: &RunSettings,
    outcome: &RunOutcome,
    verdict: &Verdict,
    reporter: &mut Reporter,
    shell: &mut Shell,
) {
    let failed = outcome.record.unresolved().len();
    let (declared, reason) = match verdict {
        Verdict::Unproven(_) => (0, "tests_not_proven".to_string()),
        Verdict::Passed { .. }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Signal(_)
        | Verdict::StartFailed(_) => {
            if failed == 0 {
                return;
            }
            (
                failed,
                format!("test_failure ({failed} failed after retries)"),
            )
        }
    };
    reporter.report(shell, RunEvent::DeclaringFailure { failed: declared });
    let child = tokio::process::Command::new(&settings.agent_command)
        .args(["job", "promise-failure", "1", "--reason", &reason])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    let result = match tokio::time::timeout(Duration::from_secs(5), child).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(status.to_string()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("timed out after 5s".to_string()),
    };
    reporter.report(shell, RunEvent::FailureDeclared(result));
}
