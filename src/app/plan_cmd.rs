//! `bktec plan` (behaviour document 11; D19: stdout carries only the output).

use std::fs::File;
use std::io::Write;

use super::Context;
use super::connect::{api_client, build_runner, tokens};
use super::error::BktecError;
use super::local::{durations_source, plan_locally};
use super::request::build_request;
use crate::agent::pipeline_upload;
use crate::api::{ApiClient, FallbackReason, PlanLookup, PlanSource, acquire_plan};
use crate::cli::{PlanCmd, UsageError};
use crate::config::RunSettings;
use crate::config::registry::CommandKind;
use crate::config::resolve::PlanMode;
use crate::config::{CliOverrides, EnvVars};
use crate::exit_code;
use crate::plan::{explain, split_summary};
use crate::report::{Reporter, RunEvent};
use crate::runner::Runner;
use crate::shell::Shell;

/// What the plan command produced.
struct Planned {
    identifier: String,
    parallelism: i64,
    /// What `--plan-out` writes.
    document: serde_json::Value,
    /// Whether the plan has no test for any job (D26).
    runs_nothing: bool,
    /// What `--explain` prints (D32).
    explanation: Option<String>,
}

/// Which output the command writes.
enum Output<'a> {
    Json,
    PlanOut(&'a str),
    PipelineUpload(&'a str),
    /// Only `--explain`.
    Explain,
}

/// Runs `bktec plan`.
pub(super) fn plan(
    context: &Context,
    overrides: CliOverrides,
    cmd: &PlanCmd,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let output = match (
        cmd.json,
        cmd.plan_out.as_deref(),
        cmd.pipeline_upload.as_deref(),
    ) {
        (true, None, None) => Output::Json,
        (false, Some(path), None) => Output::PlanOut(path),
        (false, None, Some(template)) => Output::PipelineUpload(template),
        (false, None, None) if cmd.explain => Output::Explain,
        (false, None, None) => {
            return Err(BktecError::Usage(UsageError::NoPlanOutput));
        }
        (json, plan_out, _) => {
            let given: Vec<&str> = [
                json.then_some("json"),
                plan_out.map(|_| "plan-out"),
                cmd.pipeline_upload.as_ref().map(|_| "pipeline-upload"),
            ]
            .into_iter()
            .flatten()
            .collect();
            return Err(BktecError::Usage(UsageError::ConflictingPlanOutputs {
                first: given[0],
                second: given[1],
            }));
        }
    };
    let settings = context.settings(overrides, CommandKind::Plan)?;
    shell.err(&format!(
        "+++ Buildkite Test Engine Client: bktec {}\n\n",
        crate::VERSION
    ));
    // The destination is opened first, so a bad path fails before any API call (11.3).
    let mut destination: Option<Box<dyn Write>> = match output {
        Output::PlanOut("-") => Some(Box::new(std::io::stdout())),
        Output::PlanOut(path) => Some(Box::new(
            File::create(path).map_err(|error| PlanOutputError::Open { error })?,
        )),
        Output::Json | Output::PipelineUpload(_) | Output::Explain => None,
    };
    let discovery = context.discover(&settings, shell)?;
    let fallback_parallelism = if settings.max_parallelism > 0 {
        settings.max_parallelism
    } else {
        i64::from(settings.parallelism)
    };
    let planned = match &settings.mode {
        PlanMode::Local => {
            shell.err("Buildkite Test Engine Client: No Test Engine suite is configured; planning locally.\n");
            let runner = history_runner(context, &settings)?;
            let mut plan = plan_locally(
                context,
                &settings,
                &discovery,
                settings.parallelism,
                runner.as_ref(),
                shell,
            )?;
            plan.identifier = settings.plan_identifier.clone();
            Planned {
                identifier: settings.plan_identifier.clone(),
                parallelism: i64::from(settings.parallelism),
                document: serde_json::to_value(&plan).expect("a plan serializes"),
                runs_nothing: plan.runs_nothing(),
                explanation: explain(&plan),
            }
        }
        PlanMode::TestEngine(api) => {
            let tokens = tokens(&settings, api)?;
            // A runner that splits files needs to be built to list their
            // examples; the others send selectors only, so planning works
            // for every runner.
            let mut reporter = Reporter::new(settings.runner, settings.debug).notices_to_stderr();
            let runner = if settings.runner.splits_files() {
                let runner = build_runner(context, &settings)?;
                reporter.report(
                    shell,
                    RunEvent::RunnerReady {
                        kind: runner.kind,
                        format: runner.result_file().map(|f| f.format),
                    },
                );
                Some(runner)
            } else {
                None
            };
            let mut client = api_client(
                api,
                settings.api_retry,
                tokens.access,
                settings.debug,
                shell,
            )?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(BktecError::Runtime)?;
            // The fallback (11.1): the configured identifier and parallelism.
            // `--plan-out` writes the local plan over them, not an error
            // plan, which every job would take for "no tests here" (D26).
            let fallback = |reason: &FallbackReason, reporter: &mut Reporter, shell: &mut Shell| {
                reporter.report(shell, RunEvent::Fallback(reason));
                if matches!(output, Output::PlanOut(_)) {
                    shell.warn(
                        "This is a locally-computed fallback plan, not a plan from the server.",
                    );
                }
                let jobs = u32::try_from(fallback_parallelism)
                    .expect("parallelism and max-parallelism validated to 1..=1000");
                let mut plan =
                    plan_locally(context, &settings, &discovery, jobs, runner.as_ref(), shell)?;
                plan.identifier = api.plan_identifier.clone();
                Ok::<_, BktecError>(Planned {
                    identifier: api.plan_identifier.clone(),
                    parallelism: fallback_parallelism,
                    document: serde_json::to_value(&plan).expect("a plan serializes"),
                    runs_nothing: plan.runs_nothing(),
                    explanation: explain(&plan),
                })
            };
            // The same acquisition as `run`, without the cache lookup (11.1).
            let acquired = runtime
                .block_on(acquire_plan(
                    &mut client,
                    PlanLookup::CreateOnly,
                    async |client: &mut ApiClient| {
                        let mut request = build_request(
                            client,
                            &settings,
                            api,
                            runner.as_ref(),
                            &discovery.targets,
                        )
                        .await?;
                        request.max_parallelism = settings.max_parallelism;
                        request.target_time = settings.target_time.to_std().as_secs_f64();
                        Ok(request)
                    },
                ))
                .map_err(BktecError::Api)?;
            match acquired.source {
                // D26: a plan whose tasks are all empty is not written by
                // --plan-out; --json and --pipeline-upload pass it on.
                PlanSource::Server(plan)
                    if plan.runs_nothing() && matches!(output, Output::PlanOut(_)) =>
                {
                    fallback(&FallbackReason::ErrorPlan, &mut reporter, shell)?
                }
                PlanSource::Server(plan) => {
                    if let Some(summary) = split_summary(&plan) {
                        shell.err(&summary);
                    }
                    let document = acquired
                        .raw
                        .as_deref()
                        .and_then(|raw| serde_json::from_slice(raw).ok())
                        .unwrap_or(serde_json::Value::Null);
                    Planned {
                        identifier: plan.identifier.clone(),
                        parallelism: i64::from(plan.parallelism),
                        document,
                        runs_nothing: plan.runs_nothing(),
                        explanation: explain(&plan),
                    }
                }
                // An error plan falls back for every output; --plan-out no
                // longer passes it through (D26 replaces 11.3).
                PlanSource::Fallback { reason } => fallback(&reason, &mut reporter, shell)?,
            }
        }
    };
    if planned.parallelism == 0 {
        shell.warn("Parallelism is 0, there is nothing to run.");
    }
    if cmd.explain {
        let text = planned.explanation.as_deref().unwrap_or(
            "The plan has no estimated durations (no timing history), so there is nothing to explain.\n",
        );
        // D19: with another output, stdout carries only that output.
        if let Output::Explain = output {
            shell.out(text);
        } else {
            shell.err(text);
        }
    }
    match output {
        Output::Explain => Ok(exit_code::SUCCESS),
        Output::Json => {
            let line = serde_json::json!({
                EnvVars::BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER: planned.identifier,
                EnvVars::BUILDKITE_TEST_ENGINE_PARALLELISM: planned.parallelism.to_string(),
            });
            shell.out(&format!("{line}\n"));
            Ok(exit_code::SUCCESS)
        }
        Output::PlanOut(_) => {
            if planned.runs_nothing {
                // D26: every job would read it as "no tests here" and pass.
                // Discovery refuses an empty set of targets first, so this
                // only guards against a change there.
                return Err(PlanOutputError::NothingToRun.into());
            }
            let mut text =
                serde_json::to_string_pretty(&planned.document).expect("JSON serializes");
            text.push('\n');
            let out = destination.as_mut().expect("opened above");
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|error| PlanOutputError::Write { error })?;
            Ok(exit_code::SUCCESS)
        }
        Output::PipelineUpload(template) => {
            if planned.parallelism == 0 {
                return Ok(exit_code::SUCCESS);
            }
            shell.out(&format!(
                "Executing buildkite-agent pipeline upload with BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER={} BUILDKITE_TEST_ENGINE_PARALLELISM={}\n",
                planned.identifier, planned.parallelism
            ));
            let status = pipeline_upload(
                &settings.agent_command,
                template,
                &[
                    (
                        EnvVars::BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER,
                        planned.identifier.clone(),
                    ),
                    (
                        EnvVars::BUILDKITE_TEST_ENGINE_PARALLELISM,
                        planned.parallelism.to_string(),
                    ),
                ],
            )
            .map_err(|source| PlanOutputError::PipelineUpload {
                agent: settings.agent_command.clone(),
                source,
            })?;
            Ok(status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(exit_code::CONFIG_ERROR))
        }
    }
}

/// The runner that splits files for a local plan with timing history
/// (D31): pytest only, and only when there is history to plan with.
fn history_runner(context: &Context, settings: &RunSettings) -> Result<Option<Runner>, BktecError> {
    let has_history =
        durations_source(context, settings).is_some_and(|source| source.path.is_file());
    if settings.runner.collects_with_pytest() && has_history {
        build_runner(context, settings).map(Some)
    } else {
        Ok(None)
    }
}

/// Why `bktec plan` could not write its output (11.3). The messages about
/// the `--plan-out` file are the Go client's, on one line.
#[derive(Debug, thiserror::Error)]
pub enum PlanOutputError {
    /// The `--plan-out` file could not be created.
    #[error("opening --plan-out file: {error}")]
    Open {
        /// The I/O error, shown in the message as the Go client does.
        error: std::io::Error,
    },
    /// The plan runs no tests, so it is not written (D26).
    #[error("no test files were found, and --plan-out does not write a plan that runs no tests")]
    NothingToRun,
    /// The `--plan-out` file could not be written.
    #[error("writing --plan-out: {error}")]
    Write {
        /// The I/O error, shown in the message as the Go client does.
        error: std::io::Error,
    },
    /// `buildkite-agent pipeline upload` could not be started.
    #[error("failed to start `{agent} pipeline upload`")]
    PipelineUpload {
        /// The agent command.
        agent: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl From<PlanOutputError> for BktecError {
    fn from(err: PlanOutputError) -> BktecError {
        BktecError::PlanOutput(err)
    }
}
