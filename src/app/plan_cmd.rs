//! `bktec plan` (behaviour document 11; D19: stdout carries only the
//! output): the same stages as `run` up to plan acquisition, then the
//! output instead of the attempts.

use std::fs::File;
use std::io::Write;

use super::Context;
use super::acquire::{Acquired, Ask, PlanInputs, Stop, acquire};
use super::connect::build_runner;
use super::error::BktecError;
use super::local::durations_source;
use super::session::Session;
use super::targets::targets;
use crate::agent::pipeline_upload;
use crate::cli::{PlanCmd, UsageError};
use crate::config::RunSettings;
use crate::config::registry::CommandKind;
use crate::config::resolve::PlanMode;
use crate::config::{CliOverrides, EnvVars};
use crate::events::{Notice, PlanNotice, PlanOrigin, RunEvent};
use crate::exit_code;
use crate::plan::explain;
use crate::report::Reporter;
use crate::runner::Runner;

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
#[derive(Clone, Copy)]
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
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    let output = output_of(cmd)?;
    let settings = context.settings(overrides, CommandKind::Plan)?;
    reporter.for_runner(settings.runner, settings.debug);
    reporter.notices_to_stderr();
    reporter.notice(Notice::Plan(PlanNotice::PlanStarted));
    // The destination is opened first, so a bad path fails before any API call (11.3).
    let mut destination = destination(output)?;
    let mut session = Session::start(reporter)?;
    let discovery = targets(context, &settings, session.reporter)?;
    let runner = plan_runner(context, &settings, &mut session)?;
    let fallback_jobs = match settings.max_parallelism {
        1.. => settings.max_parallelism,
        _ => i64::from(settings.parallelism),
    };
    let inputs = PlanInputs {
        ask: Ask::Create {
            max_parallelism: settings.max_parallelism,
            target_time: settings.target_time.to_std().as_secs_f64(),
        },
        fallback_jobs: u32::try_from(fallback_jobs)
            .expect("parallelism and max-parallelism validated to 1..=1000"),
        runner: runner.as_ref(),
        creates_history: false,
    };
    let acquired = match acquire(context, &mut session, &settings, Some(&discovery), inputs)? {
        Ok(acquired) => acquired,
        Err(Stop::Signal(signal)) => return Ok(stopped(&mut session, signal)),
    };
    if let Some(signal) = session.pending_signal() {
        return Ok(stopped(&mut session, signal));
    }
    if let (PlanOrigin::Fallback { .. }, Output::PlanOut(_)) = (&acquired.origin, output) {
        session.notice(Notice::Plan(PlanNotice::FallbackPlanWritten));
    }
    let planned = planned(&settings, acquired, fallback_jobs);
    write_output(
        &mut session,
        &settings,
        cmd.explain,
        output,
        &planned,
        &mut destination,
    )
}

/// The status of a plan that `signal` stopped, said as the signal (D33).
fn stopped(session: &mut Session, signal: i32) -> u8 {
    session.notice(Notice::Stopped { signal });
    exit_code::from_signal(signal)
}

/// The one output `cmd` asks for, or the usage error of none or several.
fn output_of(cmd: &PlanCmd) -> Result<Output<'_>, BktecError> {
    match (
        cmd.json,
        cmd.plan_out.as_deref(),
        cmd.pipeline_upload.as_deref(),
    ) {
        (true, None, None) => Ok(Output::Json),
        (false, Some(path), None) => Ok(Output::PlanOut(path)),
        (false, None, Some(template)) => Ok(Output::PipelineUpload(template)),
        (false, None, None) if cmd.explain => Ok(Output::Explain),
        (false, None, None) => Err(BktecError::Usage(UsageError::NoPlanOutput)),
        (json, plan_out, _) => {
            let given: Vec<&str> = [
                json.then_some("json"),
                plan_out.map(|_| "plan-out"),
                cmd.pipeline_upload.as_ref().map(|_| "pipeline-upload"),
            ]
            .into_iter()
            .flatten()
            .collect();
            Err(BktecError::Usage(UsageError::ConflictingPlanOutputs {
                first: given[0],
                second: given[1],
            }))
        }
    }
}

/// Where `--plan-out` writes.
enum Destination {
    /// `-`: stdout, through the reporter.
    Stdout,
    /// This file.
    File(File),
    /// No `--plan-out`.
    None,
}

/// The `--plan-out` file, opened (and so created) before anything else.
fn destination(output: Output<'_>) -> Result<Destination, BktecError> {
    Ok(match output {
        Output::PlanOut("-") => Destination::Stdout,
        Output::PlanOut(path) => {
            Destination::File(File::create(path).map_err(|error| PlanOutputError::Open { error })?)
        }
        Output::Json | Output::PipelineUpload(_) | Output::Explain => Destination::None,
    })
}

/// The runner the plan needs: to split files with timing history (D31,
/// D51: a runner that collects or lists its examples, and only when there
/// is history), or to list the examples of files Test Engine splits; the
/// others send selectors only, so planning works for every runner.
fn plan_runner(
    context: &Context,
    settings: &RunSettings,
    session: &mut Session,
) -> Result<Option<Runner>, BktecError> {
    let needed = match settings.mode {
        PlanMode::Local => {
            settings.runner.splits_files()
                && durations_source(context, settings, false).is_some_and(|s| s.path.is_file())
        }
        PlanMode::TestEngine(_) => settings.runner.splits_files(),
    };
    if !needed {
        return Ok(None);
    }
    let runner = build_runner(context, settings)?;
    if let PlanMode::TestEngine(_) = settings.mode {
        session.report(RunEvent::RunnerReady {
            kind: runner.kind,
            format: runner.result_file().map(|f| f.format),
        });
    }
    Ok(Some(runner))
}

/// What the output is made of: Test Engine's own answer for a server plan,
/// the local plan otherwise, with the identifier and parallelism the jobs
/// are to use (11.1).
fn planned(settings: &RunSettings, acquired: Acquired, fallback_jobs: i64) -> Planned {
    let Acquired {
        plan, origin, raw, ..
    } = acquired;
    let (parallelism, document) = match origin {
        PlanOrigin::TestEngine { .. } => (
            i64::from(plan.parallelism),
            raw.as_deref()
                .and_then(|raw| serde_json::from_slice(raw).ok())
                .unwrap_or(serde_json::Value::Null),
        ),
        PlanOrigin::Fallback { .. } => (fallback_jobs, to_document(&plan)),
        PlanOrigin::Local | PlanOrigin::File(_) => {
            (i64::from(settings.parallelism), to_document(&plan))
        }
    };
    Planned {
        identifier: plan.identifier.clone(),
        parallelism,
        document,
        runs_nothing: plan.runs_nothing(),
        explanation: explain(&plan),
    }
}

fn to_document(plan: &crate::plan::TestPlan) -> serde_json::Value {
    serde_json::to_value(plan).expect("a plan serializes")
}

/// Writes the output the command was asked for.
fn write_output(
    session: &mut Session,
    settings: &RunSettings,
    explain: bool,
    output: Output<'_>,
    planned: &Planned,
    destination: &mut Destination,
) -> Result<u8, BktecError> {
    if planned.parallelism == 0 {
        session.notice(Notice::Plan(PlanNotice::ZeroParallelism));
    }
    if explain {
        session.notice(Notice::Plan(PlanNotice::Explained {
            text: planned.explanation.as_deref(),
            // D19: with another output, stdout carries only that output.
            to_stdout: matches!(output, Output::Explain),
        }));
    }
    match output {
        Output::Explain => Ok(exit_code::SUCCESS),
        Output::Json => {
            let mut line = serde_json::Map::new();
            // A plan made here has no identifier: an empty one would set
            // the variable to nothing downstream (issue 21, item 10).
            if !planned.identifier.is_empty() {
                line.insert(
                    EnvVars::BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER.to_string(),
                    planned.identifier.clone().into(),
                );
            }
            line.insert(
                EnvVars::BUILDKITE_TEST_ENGINE_PARALLELISM.to_string(),
                planned.parallelism.to_string().into(),
            );
            let line = serde_json::Value::Object(line);
            session.notice(Notice::Document(&format!("{line}\n")));
            Ok(exit_code::SUCCESS)
        }
        Output::PlanOut(_) => write_plan_out(session, planned, destination),
        Output::PipelineUpload(template) => upload_pipeline(session, settings, template, planned),
    }
}

/// Writes the plan to `--plan-out`.
fn write_plan_out(
    session: &mut Session,
    planned: &Planned,
    destination: &mut Destination,
) -> Result<u8, BktecError> {
    if planned.runs_nothing {
        // D26: every job would read it as "no tests here" and pass.
        // Discovery refuses an empty set of targets first, so this
        // only guards against a change there.
        return Err(PlanOutputError::NothingToRun.into());
    }
    let mut text = serde_json::to_string_pretty(&planned.document).expect("JSON serializes");
    text.push('\n');
    match destination {
        Destination::Stdout => session.notice(Notice::Document(&text)),
        Destination::File(file) => file
            .write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|error| PlanOutputError::Write { error })?,
        Destination::None => unreachable!("--plan-out opened its destination before planning"),
    }
    Ok(exit_code::SUCCESS)
}

/// `--pipeline-upload`: the agent uploads the pipeline template with the
/// plan's identifier and parallelism; its status is the command's.
fn upload_pipeline(
    session: &mut Session,
    settings: &RunSettings,
    template: &str,
    planned: &Planned,
) -> Result<u8, BktecError> {
    if planned.parallelism == 0 {
        return Ok(exit_code::SUCCESS);
    }
    session.notice(Notice::Plan(PlanNotice::UploadingPipeline {
        identifier: &planned.identifier,
        parallelism: planned.parallelism,
    }));
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

/// Why `bktec plan` could not write its output (11.3). The messages about
/// the `--plan-out` file are the Go client's, on one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanOutputError {
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
