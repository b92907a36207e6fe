//! `bktec run` (and bare `bktec`): discover, plan, run with retries, report,
//! and exit with a status CI can trust (behaviour document 7.1, 9.5).

use super::Context;
use crate::auth::mint_oidc_token;
use crate::config::RunSettings;
use crate::config::elements::Secret;
use crate::config::registry::CommandKind;
use crate::config::resolve::{ApiSettings, PlanMode};
use crate::error::BktecError;
use crate::execute::{AttemptExit, ProcessAttempts, RetryPolicy, RunEvent, execute, exit_status};
use crate::exit_code;
use crate::plan::api::{ApiClient, CreatePlanRequest, Selector, TestsPayload};
use crate::plan::{
    PlanSource, TestFormat, TestPlan, fatal_text, fetch_plan, local_plan, read_plan_file,
    split_summary, trim,
};
use crate::process::Signals;
use crate::report;
use crate::runner::{self, RunnerInputs};
use crate::shell::Shell;

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
    let runner = runner::build(
        settings.runner,
        RunnerInputs {
            test_command: settings.test_command.as_ref().map(|c| c.value.as_str()),
            retry_command: settings.retry_command.as_ref().map(|c| c.value.as_str()),
            result_path: settings.result_path.as_ref().map(|p| p.value.as_path()),
        },
        runner::collector_installed,
    )
    .map_err(BktecError::Runner)?;
    if let Some(notice) = &runner.notice {
        shell.out(&format!("{notice}\n"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BktecError::Runtime)?;
    let mut upload_token = settings.upload_token.clone();
    let plan = match &settings.plan_file {
        Some(file) => {
            read_plan_file(&file.value, file.origin.describe()).map_err(BktecError::PlanFile)?
        }
        None => {
            let discovery = context.discover(&settings, shell)?;
            match &settings.mode {
                PlanMode::Local => {
                    // D6, D20: no suite slug, so every node computes the same split.
                    shell.out(&format!(
                        "Buildkite Test Engine Client: No Test Engine suite is configured; splitting {} test files locally across {} {} (this is node {}).\n",
                        discovery.targets.len(),
                        settings.parallelism,
                        if settings.parallelism == 1 { "node" } else { "nodes" },
                        settings.node_index
                    ));
                    local_plan(&discovery.targets, settings.parallelism)
                }
                PlanMode::TestEngine(api) => {
                    let tokens = tokens(&settings, api)?;
                    upload_token = tokens.upload.or(upload_token);
                    let request = create_request(&settings, api, &discovery.targets);
                    let mut client = api_client(api, tokens.access, settings.debug, shell)?;
                    let source = runtime
                        .block_on(fetch_plan(
                            &mut client,
                            &request,
                            settings.job.job_retry_count,
                        ))
                        .map_err(|err| BktecError::Api(fatal_text(&err)))?;
                    match source {
                        PlanSource::Server(plan) => {
                            if let Some(summary) = split_summary(&plan) {
                                shell.out(&summary);
                            }
                            trim_prefix(plan, settings.location_prefix.as_deref())?
                        }
                        PlanSource::Fallback { reason } => {
                            warn_lines(shell, &reason.warning_lines());
                            local_plan(&discovery.targets, settings.parallelism)
                        }
                    }
                }
            }
        }
    };
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
    if tests.is_empty() {
        if settings.fail_on_no_tests {
            return Err(BktecError::NoTestsAssigned);
        }
        shell.out("+++ Buildkite Test Engine Client: No tests to run on this node\n");
        return Ok(exit_code::SUCCESS);
    }
    let policy = RetryPolicy {
        max_retries: settings.retry.count,
        retry_muted: settings.retry.retry_muted,
    };
    let token = upload_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let outcome = runtime.block_on(async {
        let signals = Signals::install().map_err(BktecError::Runtime)?;
        let mut attempts =
            ProcessAttempts::new(&runner, signals, &token, settings.cancel_grace_period);
        let mut report_event = |event: RunEvent| match event {
            RunEvent::AttemptStarted { retry, tests: _ } => shell.out(&report::attempt_header(retry)),
            RunEvent::Command(command) => shell.out(&format!("{command}\n\n")),
            RunEvent::ResultsUnreadable(message) => shell.out(&format!(
                "Buildkite Test Engine Client: Failed to read test output, failed tests will not be retried: {message}\n"
            )),
            RunEvent::AttemptFinished { retry: _, exit: _ } => {}
        };
        Ok::<_, BktecError>(
            execute(&tests, &plan.muted_tests, policy, &mut attempts, &mut report_event).await,
        )
    })?;
    drop(runtime);
    let runner_name = runner.kind.display_name();
    let (status, message) = exit_status(&outcome, runner_name);
    if matches!(
        outcome.last_exit,
        AttemptExit::Cancelled(_) | AttemptExit::Signaled(_)
    ) {
        // 9.5 rule 1: no report after a signal.
        if let Some(message) = message {
            shell.out(&format!("{message}\n"));
        }
        return Ok(status);
    }
    if let Some(text) = report::render_report(&outcome.record, &plan.skipped_tests, runner_name) {
        shell.out(&text);
    }
    if let Some(message) = message {
        shell.err(&format!("{message}\n"));
    }
    Ok(status)
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
        api.retry,
        Box::new(move |line| {
            let mut err = Shell::stderr_only(color);
            err.err(&format!("{line}\n"));
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

/// The create-plan request of v3 (4.3 C, 6.2): every target as a selector.
pub(super) fn create_request(
    settings: &RunSettings,
    api: &ApiSettings,
    targets: &[String],
) -> CreatePlanRequest {
    CreatePlanRequest {
        runner: settings.runner.as_str().to_string(),
        identifier: api.plan_identifier.clone(),
        parallelism: settings.parallelism,
        max_parallelism: 0,
        target_time: 0.0,
        branch: settings.job.branch.clone(),
        location_prefix: settings.location_prefix.clone().unwrap_or_default(),
        tests: TestsPayload {
            selectors: targets
                .iter()
                .map(|t| Selector { value: t.clone() })
                .collect(),
        },
    }
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
