//! `bktec run` (and bare `bktec`): discover, plan, run with retries, report,
//! and exit with a status CI can trust (behaviour document 7.1, 9.5).

use std::cell::RefCell;
use std::time::Duration;

use super::Context;
use super::request::{build_request, env_payload};
use crate::auth::mint_oidc_token;
use crate::config::elements::Secret;
use crate::config::registry::CommandKind;
use crate::config::resolve::{ApiSettings, PlanMode};
use crate::config::{EnvVars, RunSettings};
use crate::error::BktecError;
use crate::execute::{
    ProcessAttempts, RetryPolicy, RunEvent, RunOutcome, Verdict, check_result_path, execute,
    verdict,
};
use crate::exit_code;
use crate::plan::api::{ApiClient, MetadataRequest, RetryConfig, TimelineEvent};
use crate::plan::{
    PlanSource, TestCase, TestFormat, TestPlan, fatal_text, fetch_plan, local_plan, read_plan_file,
    split_summary, trim,
};
use crate::process::Signals;
use crate::report;
use crate::runner::{
    self, ResultFormat, Runner, RunnerError, RunnerInputs, RunnerKind, TargetOrigin,
};
use crate::shell::{Shell, rfc3339_now};
use crate::upload::Uploader;

/// Where the plan came from, for what happens after the run.
enum Planned {
    /// Test Engine's plan: metadata is posted at the end.
    Server(TestPlan, Box<ApiClient>, Box<ApiSettings>),
    /// A local, fallback or file plan.
    Local(TestPlan),
}

impl Planned {
    fn plan(&self) -> &TestPlan {
        match self {
            Planned::Server(plan, _, _) | Planned::Local(plan) => plan,
        }
    }
}

/// Runs this node's share of the tests.
pub(super) fn run_tests(
    context: &Context,
    overrides: crate::config::CliOverrides,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let settings = context.settings(overrides, CommandKind::Run)?;
    shell.out(&format!(
        "+++ Buildkite Test Engine Client: bktec {}\n\n",
        crate::VERSION
    ));
    let runner = build_runner(&settings, context.env.get(EnvVars::PYTHONPATH))?;
    if let Some(file) = runner.result_file() {
        check_result_path(&file.path).map_err(BktecError::ResultPath)?;
    }
    if let Some(notice) = &runner.notice {
        shell.out(&format!("{notice}\n"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BktecError::Runtime)?;
    // From here a SIGINT or SIGTERM no longer ends bktec outright: it is
    // seen, and bktec returns, so the temporary result directory is removed
    // (D18) even when the signal comes while the plan is fetched.
    let mut signals = runtime
        .block_on(async { Signals::install() })
        .map_err(BktecError::Runtime)?;
    let mut upload_token = settings.upload_token.clone();
    let planned = match &settings.plan_file {
        Some(file) => Planned::Local(
            read_plan_file(&file.value, file.origin.describe(), settings.parallelism)
                .map_err(BktecError::PlanFile)?,
        ),
        None => {
            let discovery = context.discover(&settings, shell)?;
            match &settings.mode {
                PlanMode::Local => {
                    // D6, D20: no suite slug, so every node computes the same split.
                    let files = discovery.targets.len();
                    shell.out(&format!(
                        "Buildkite Test Engine Client: No Test Engine suite is configured; splitting {files} test {} locally across {} {} (this is node {}).\n",
                        if files == 1 { "file" } else { "files" },
                        settings.parallelism,
                        if settings.parallelism == 1 { "node" } else { "nodes" },
                        settings.node_index
                    ));
                    Planned::Local(local_plan(&discovery.targets, settings.parallelism))
                }
                PlanMode::TestEngine(api) => {
                    let tokens = tokens(&settings, api)?;
                    upload_token = upload_token.or(tokens.upload);
                    let mut client = api_client(
                        api,
                        settings.api_retry,
                        tokens.access,
                        settings.debug,
                        shell,
                    )?;
                    let targets = &discovery.targets;
                    let fetched = runtime.block_on(async {
                        tokio::select! {
                            source = fetch_plan(
                                &mut client,
                                &api.plan_identifier,
                                settings.job.job_retry_count,
                                async |client: &mut ApiClient| {
                                    build_request(client, &settings, api, Some(&runner), targets)
                                        .await
                                },
                            ) => Ok(source),
                            signal = signals.next_cancel() => Err(signal),
                        }
                    });
                    let source = match fetched {
                        Ok(source) => source.map_err(|err| BktecError::Api(fatal_text(&err)))?,
                        Err(signal) => return Ok(signal_status(signal)),
                    };
                    match source {
                        PlanSource::Server(plan) => {
                            if let Some(summary) = split_summary(&plan) {
                                shell.out(&summary);
                            }
                            let plan = trim_prefix(plan, settings.location_prefix.as_deref())?;
                            Planned::Server(plan, Box::new(client), api.clone())
                        }
                        PlanSource::Fallback { reason } => {
                            warn_lines(shell, &reason.warning_lines());
                            Planned::Local(local_plan(targets, settings.parallelism))
                        }
                    }
                }
            }
        }
    };
    if let Some(signal) = signals.pending() {
        return Ok(signal_status(signal));
    }
    let plan = planned.plan();
    if settings.debug {
        let source = match &planned {
            Planned::Server(plan, _, _) => format!("Test Engine plan `{}`", plan.identifier),
            Planned::Local(_) => "local plan".to_string(),
        };
        shell.err(&crate::shell::debug_line(&format!(
            "Running node {} of {} from the {source}",
            settings.node_index, settings.parallelism
        )));
    }
    let tests = match plan.task_tests(settings.node_index) {
        Some(tests) => tests.to_vec(),
        None => {
            // D17: a plan without a task for this node means no tests here.
            shell.warn(&format!(
                "The plan has no task for node {}.",
                settings.node_index
            ));
            Vec::new()
        }
    };
    // D24: a target that no argument can carry is refused before anything
    // runs, naming where it came from.
    runner::check_targets(
        tests.iter().map(TestCase::runnable),
        &target_origin(&planned, &settings),
    )
    .map_err(BktecError::Target)?;
    if tests.is_empty() {
        if settings.fail_on_no_tests {
            return Err(BktecError::NoTestsAssigned);
        }
        shell.out("+++ Buildkite Test Engine Client: No tests to run on this node\n");
        runtime.block_on(post_metadata(planned, &settings, None, shell));
        return Ok(exit_code::SUCCESS);
    }
    let uploader = uploader(context, &settings, &runner, upload_token.as_ref(), shell);
    let token = upload_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let policy = RetryPolicy {
        max_retries: settings.retry.count,
        retry_muted: settings.retry.retry_muted,
    };
    let timeline = RefCell::new(Vec::new());
    let (outcome, mut signals) = runtime.block_on(async {
        let mut attempts =
            ProcessAttempts::new(&runner, signals, &token, settings.cancel_grace_period)
                .with_uploader(uploader);
        let mut report_event = |event: RunEvent| match event {
            RunEvent::AttemptStarted { retry, tests: _ } => {
                timeline.borrow_mut().push(timeline_event(retry.attempt, "start"));
                shell.out(&report::attempt_header(retry));
            }
            RunEvent::Command(command) => shell.out(&format!("{command}\n\n")),
            RunEvent::Notice(line) => shell.out(&format!("{line}\n")),
            RunEvent::ResultsUnreadable(message) => shell.out(&format!(
                "Buildkite Test Engine Client: Failed to read test output, failed tests will not be retried: {message}\n"
            )),
            RunEvent::AttemptFinished { retry, exit: _ } => {
                timeline.borrow_mut().push(timeline_event(retry.attempt, "end"));
            }
        };
        let outcome =
            execute(&tests, &plan.muted_tests, policy, &mut attempts, &mut report_event).await;
        Ok::<_, BktecError>((outcome, attempts.into_signals()))
    })?;
    let runner_name = runner.kind.display_name();
    // D23: the one decision of how the run ends.
    let verdict = verdict(&outcome);
    let status = verdict.status();
    match &verdict {
        Verdict::Signal(signal) => {
            // 9.5 rule 1: no promise, report or metadata after a signal.
            shell.out(&format!(
                "Buildkite Test Engine Client: {runner_name} was terminated with signal: {}\n",
                crate::process::signal_name(*signal)
            ));
            return Ok(status);
        }
        Verdict::NoTests if settings.fail_on_no_tests => {
            return Err(BktecError::NoTestsAssigned);
        }
        Verdict::Passed { muted_failures: _ }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Unproven(_)
        | Verdict::StartFailed(_) => {}
    }
    if settings.promise_failure {
        runtime.block_on(promise_failure(&settings, &outcome, &verdict, shell));
    }
    if let Some(text) =
        report::render_report(&outcome.record, &plan.skipped_tests, runner_name, &verdict)
    {
        shell.out(&text);
    }
    shell.out(&report::render_verdict(
        &verdict,
        &outcome.silent_targets,
        runner_name,
        settings.debug,
    ));
    // The handlers installed for the attempts stay: a SIGINT or SIGTERM while
    // the metadata is sent ends bktec at once rather than after the retries.
    let timeline = timeline.into_inner();
    let interrupted = runtime.block_on(async {
        tokio::select! {
            () = post_metadata(planned, &settings, Some((timeline, &outcome)), shell) => None,
            signal = signals.next_cancel() => Some(signal),
        }
    });
    if let Some(signal) = interrupted {
        return Ok(signal_status(signal));
    }
    match &verdict {
        Verdict::Failed {
            status: _,
            code,
            refused: _,
        } => shell.err(&format!(
            "{runner_name} exited with error: exit status {code}\n"
        )),
        Verdict::StartFailed(message) => shell.err(&format!("{message}\n")),
        Verdict::Unproven(_) => shell.err(&format!(
            "bktec run: the tests did not prove success (exit status {status})\n"
        )),
        Verdict::Passed { muted_failures: _ } | Verdict::NoTests | Verdict::Signal(_) => {}
    }
    Ok(status)
}

/// The exit status of a run that a signal ended outside an attempt (D15).
fn signal_status(signal: i32) -> u8 {
    exit_code::SIGNAL_BASE.saturating_add(u8::try_from(signal).unwrap_or(0))
}

/// Where this node's targets came from (D24).
fn target_origin(planned: &Planned, settings: &RunSettings) -> TargetOrigin {
    match (planned, &settings.plan_file) {
        (Planned::Server(plan, _, _), _) => TargetOrigin::TestEngine {
            identifier: plan.identifier.clone(),
        },
        (Planned::Local(_), Some(file)) => TargetOrigin::PlanFile(file.value.clone()),
        (Planned::Local(_), None) => match (&settings.selector_file, &settings.files_list) {
            (Some(file), _) => TargetOrigin::SelectorFile(file.value.clone()),
            (None, Some(file)) => TargetOrigin::FilesList(file.value.clone()),
            (None, None) => TargetOrigin::Discovery,
        },
    }
}

pub(super) fn build_runner(
    settings: &RunSettings,
    python_path: Option<&str>,
) -> Result<Runner, BktecError> {
    runner::build(
        settings.runner,
        RunnerInputs {
            test_command: settings.test_command.as_ref().map(|c| c.value.as_str()),
            retry_command: settings.retry_command.as_ref().map(|c| c.value.as_str()),
            result_path: settings.result_path.as_ref().map(|p| p.value.as_path()),
            tag_filters: settings.tag_filters.as_deref(),
            python_path,
        },
        // Resolution may have asked already (pytest's default command, D14).
        || {
            settings
                .collector_installed
                .unwrap_or_else(runner::collector_installed)
        },
    )
    .map_err(|err| match err {
        RunnerError::Preflight(lines) => BktecError::Preflight(lines),
        other => BktecError::Runner(other),
    })
}

/// `test_start`, `test_end`, `retry_<k>_start`, `retry_<k>_end` (10.5).
fn timeline_event(attempt: u32, edge: &str) -> TimelineEvent {
    let event = if attempt == 0 {
        format!("test_{edge}")
    } else {
        format!("retry_{attempt}_{edge}")
    };
    TimelineEvent {
        timestamp: rfc3339_now(),
        event,
    }
}

/// Posts the run's metadata for a server plan (4.3 D); failures only print.
async fn post_metadata(
    planned: Planned,
    settings: &RunSettings,
    run: Option<(Vec<TimelineEvent>, &RunOutcome)>,
    shell: &mut Shell,
) {
    let Planned::Server(_, mut client, api) = planned else {
        return;
    };
    let (timeline, statistics) = match run {
        Some((timeline, outcome)) => (Some(timeline), outcome.record.statistics()),
        None => (None, crate::results::Statistics::default()),
    };
    let request = MetadataRequest {
        version: crate::VERSION.to_string(),
        env: env_payload(settings, &api),
        timeline,
        statistics,
    };
    if let Err(err) = client.post_metadata(&request).await {
        shell.out(&format!("Failed to send metadata to Test Engine: {err}\n"));
    }
}

/// The uploader of 13.1, when uploads are on and possible.
fn uploader(
    context: &Context,
    settings: &RunSettings,
    runner: &Runner,
    token: Option<&Secret>,
    shell: &mut Shell,
) -> Option<Uploader> {
    if !settings.upload_results {
        return None;
    }
    let Some(token) = token.filter(|t| !t.expose().is_empty()) else {
        shell.out("Buildkite Test Engine Client: Warning: upload-results is enabled but no upload token was provided. Test results will not be uploaded.\n");
        return None;
    };
    let file = runner.result_file()?;
    let format = match (runner.kind, file.format) {
        // The collector uploads its own results.
        (RunnerKind::Pytest, ResultFormat::CollectorJson) => return None,
        (_, ResultFormat::JUnitXml) => "junit",
        (_, ResultFormat::CollectorJson) => "json",
    };
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

/// Tells the agent early that the job will fail (13.2). Never changes the
/// exit status.
async fn promise_failure(
    settings: &RunSettings,
    outcome: &RunOutcome,
    verdict: &Verdict,
    shell: &mut Shell,
) {
    let failed = outcome.record.unresolved().len();
    let reason = match verdict {
        Verdict::Unproven(_) => {
            shell.out("+++ Buildkite Test Engine Client: ⚠️  Declaring early failure: the tests did not prove success\n");
            "tests_not_proven".to_string()
        }
        Verdict::Passed { .. }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Signal(_)
        | Verdict::StartFailed(_) => {
            if failed == 0 {
                return;
            }
            shell.out(&format!(
                "+++ Buildkite Test Engine Client: ⚠️  Declaring early failure: {failed} hard test failure(s) remain after retries\n"
            ));
            format!("test_failure ({failed} failed after retries)")
        }
    };
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
    match result {
        Ok(()) => shell.out("Buildkite Test Engine Client: promise-failure command completed (see agent output above for the result).\n"),
        Err(err) => shell.out(&format!(
            "Buildkite Test Engine Client: Warning: failed to run promise-failure command: {err}\n"
        )),
    }
}

/// The tokens of an API run.
pub(super) struct Tokens {
    /// The API access token.
    pub(super) access: Secret,
    /// An upload token minted here, if one was needed.
    pub(super) upload: Option<Secret>,
}

/// The access token (3.1, 3.2) and, for `run`, the upload token (3.3). A
/// failure to mint the access token is a configuration error (2.3 rule 4).
/// An upload token that cannot be minted only leaves uploads without one:
/// failing the run for it, as the Go client does off-agent, helps nobody.
pub(super) fn tokens(settings: &RunSettings, api: &ApiSettings) -> Result<Tokens, BktecError> {
    let mint = || {
        mint_oidc_token(
            &settings.agent_command,
            &api.base_url,
            &api.organization_slug,
            &api.suite_slug,
            api.oidc_lifetime.whole_secs(),
        )
    };
    let (access, minted) = match &api.access_token {
        Some(token) => (token.clone(), false),
        None => {
            let token = mint().map_err(|message| BktecError::Config {
                command: settings.command,
                source: crate::config::ConfigError::Invalid {
                    problems: vec![crate::config::error::Problem::other(format!(
                        "BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN {message}"
                    ))],
                },
            })?;
            (token, true)
        }
    };
    let upload = match (&settings.upload_token, settings.command) {
        (None, CommandKind::Run) if minted => Some(access.clone()),
        (None, CommandKind::Run) if api.oidc => mint().ok(),
        _ => None,
    };
    Ok(Tokens { access, upload })
}

/// The API client, whose retry lines (and, with `debug`, request lines) go
/// to stderr.
pub(super) fn api_client(
    api: &ApiSettings,
    retry: RetryConfig,
    token: Secret,
    debug: bool,
    shell: &Shell,
) -> Result<ApiClient, BktecError> {
    let color = shell.color();
    let client = ApiClient::new(
        &api.base_url,
        &api.organization_slug,
        &api.suite_slug,
        token,
        retry,
        Box::new(move |line| {
            Shell::stderr_only(color).err(&format!("{line}\n"));
        }),
    )
    .map_err(|err| BktecError::Api(fatal_text(&err)))?;
    Ok(if debug {
        client.with_debug(Box::new(move |line| {
            Shell::stderr_only(color).err(&crate::shell::debug_line(&line));
        }))
    } else {
        client
    })
}

/// Trims the location prefix from a server plan's non-selector tests (5.6).
fn trim_prefix(mut plan: TestPlan, prefix: Option<&str>) -> Result<TestPlan, BktecError> {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return Ok(plan);
    };
    for task in plan.tasks.values_mut() {
        for test in &mut task.tests {
            if test.format.unwrap_or_default() != TestFormat::Selector {
                test.path = trim(&test.path, prefix)
                    .map_err(|e| BktecError::Api(format!("❌ Unexpected error: {e}")))?;
            }
        }
    }
    Ok(plan)
}

/// Prints warning lines to stderr: the first yellow and bold, the rest yellow (4.2).
pub(super) fn warn_lines(shell: &mut Shell, lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            shell.warn(line);
        } else {
            shell.warn_more(line);
        }
    }
}
