//! What a run sends back: each attempt's result file (13.1), the run's
//! metadata (4.3 D), an early failure to the agent (13.2), and an annotation
//! of the build (issue 13, item 3). Failures of these only warn; they never
//! change the exit status.

use super::Context;
use super::request::env_payload;
use crate::agent::{annotate, promise_failure};
use crate::api::{ApiClient, ApiError, MetadataRequest, TimelineEvent};
use crate::config::elements::Secret;
use crate::config::resolve::ApiSettings;
use crate::config::{EnvVars, FlakyResult, RunSettings};
use crate::events::RunEvent;
use crate::events::{AttemptError, AttemptEvent};
use crate::events::{RunOutcome, Verdict};
use crate::report::{
    AnnotationTitle, Reporter, annotation_context, annotation_markdown, flaky_annotation_context,
    flaky_annotation_markdown,
};
use crate::runner::Runner;
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
) -> Result<(), ApiError> {
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
    client.post_metadata(&request).await
}

/// The uploader of 13.1, when uploads are on and possible.
pub(super) fn uploader(
    context: &Context,
    settings: &RunSettings,
    runner: &Runner,
    token: Option<&Secret>,
    reporter: &mut Reporter,
) -> Option<Uploader> {
    if !settings.upload_results {
        return None;
    }
    let Some(token) = token.filter(|t| !t.expose().is_empty()) else {
        reporter.report(RunEvent::UploadsWithoutToken);
        return None;
    };
    let format = runner.upload_format()?.upload_name();
    let fields = upload_fields(context, settings, format);
    match Uploader::new(
        &settings.upload_base_url,
        token.clone(),
        fields,
        super::connect::retry_config(settings.api_retry),
    ) {
        Ok(uploader) => Some(uploader),
        Err(err) => {
            let error = AttemptError::new(err);
            reporter.report(RunEvent::Attempt(AttemptEvent::UploadFailed { error }));
            None
        }
    }
}

/// The form fields of every upload (13.1): the format, the build's
/// environment and the upload tags.
fn upload_fields(context: &Context, settings: &RunSettings, format: &str) -> Vec<(String, String)> {
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
    fields
}

/// Tells the agent early that the job will fail (13.2), when it will: hard
/// failures remain, or the tests did not prove success (D23).
pub(super) async fn declare_failure(
    settings: &RunSettings,
    outcome: &RunOutcome,
    verdict: &Verdict,
    reporter: &mut Reporter,
) {
    let failed = outcome.record.unresolved().len();
    let (declared, reason) = match verdict {
        Verdict::Unproven(_) => (0, "tests_not_proven".to_string()),
        Verdict::Passed { .. }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Signal(_)
        | Verdict::StartFailed(_)
        | Verdict::FlakyFailed { .. }
        | Verdict::TimedOut(_) => {
            if failed == 0 {
                return;
            }
            (
                failed,
                format!("test_failure ({failed} failed after retries)"),
            )
        }
    };
    reporter.report(RunEvent::DeclaringFailure { failed: declared });
    let result = promise_failure(&settings.agent_command, &reason).await;
    reporter.report(RunEvent::FailureDeclared(result));
}

/// Annotates the build, when running in a Buildkite job (`BUILDKITE=true`)
/// with annotations on: this job's hard failures (style `error`), appended
/// to the step's one context, and apart from them its flaky tests (D47:
/// `warning`, or `error` when they fail the run), in green builds too.
pub(super) async fn annotate_failures(
    context: &Context,
    settings: &RunSettings,
    outcome: &RunOutcome,
    reporter: &mut Reporter,
) {
    if !settings.annotate || context.env.get(EnvVars::BUILDKITE) != Some("true") {
        return;
    }
    let title = AnnotationTitle {
        label: context
            .env
            .get(EnvVars::BUILDKITE_LABEL)
            .filter(|label| !label.trim().is_empty())
            .unwrap_or(settings.runner.display_name()),
        node_ids: settings.runner.names_tests_by_node_id(),
        job: (settings.node_index, settings.parallelism),
    };
    let fail = settings.retry.flaky == FlakyResult::Fail;
    let parts = [
        (
            false,
            annotation_context(&settings.job.step_id),
            "error",
            annotation_markdown(&outcome.record, title),
        ),
        (
            true,
            flaky_annotation_context(&settings.job.step_id),
            if fail { "error" } else { "warning" },
            flaky_annotation_markdown(&outcome.record, title, fail),
        ),
    ];
    for (flaky, annotation, style, body) in parts {
        let Some(body) = body else { continue };
        let result = annotate(&settings.agent_command, &annotation, style, &body).await;
        reporter.report(RunEvent::Annotated {
            context: &annotation,
            flaky,
            result,
        });
    }
}
