//! The orchestrator: the only place where configuration, discovery, planning
//! and running meet (S9).

use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigCmd, ListCmd, PlanCmd, RunCmd};
use crate::config::EnvVars;
use crate::config::registry::{CommandKind, setting};
use crate::config::resolve::PlanMode;
use crate::config::show::{render_json, render_text, shown_settings};
use crate::config::{
    CliOverrides, EnvSnapshot, FileChoice, LoadedConfig, RawValue, RunSettings, load, resolve,
};
use crate::discover::{Discovery, TargetSource, discover};
use crate::error::BktecError;
use crate::execute::{AttemptExit, ProcessAttempts, RetryPolicy, RunEvent, execute, exit_status};
use crate::exit_code;
use crate::plan::{local_plan, read_plan_file};
use crate::process::Signals;
use crate::report;
use crate::runner::{self, RunnerInputs};
use crate::shell::Shell;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli, env: EnvSnapshot, shell: &mut Shell) -> Result<u8, BktecError> {
    if let Some(word) = cli.stray {
        return Err(BktecError::InvalidCommand(word));
    }
    let cwd = std::env::current_dir().map_err(BktecError::CurrentDir)?;
    let choice = FileChoice::from_flags(cli.config, cli.no_config, &env);
    let with_debug = |mut overrides: CliOverrides| {
        if let Some(value) = &cli.debug {
            overrides.push(
                setting("debug"),
                "--debug".to_string(),
                RawValue::One(value.clone()),
            );
        }
        overrides
    };
    let context = Context { env, choice, cwd };
    match cli.command {
        None => run_tests(&context, with_debug(CliOverrides::default()), shell),
        Some(Command::Run(RunCmd { settings })) => {
            run_tests(&context, with_debug(settings.overrides), shell)
        }
        Some(Command::Plan(cmd)) => {
            let overrides = with_debug(cmd.settings.overrides.clone());
            plan(&context, overrides, &cmd)
        }
        Some(Command::List(ListCmd { settings, json })) => {
            let settings = context.settings(with_debug(settings.overrides), CommandKind::List)?;
            list(&context, &settings, json, shell)
        }
        Some(Command::Config(ConfigCmd { settings, json })) => {
            show_config(&context, with_debug(settings.overrides), json, shell)
        }
    }
}

/// What every command needs to load configuration.
struct Context {
    env: EnvSnapshot,
    choice: FileChoice,
    cwd: PathBuf,
}

impl Context {
    fn load(
        &self,
        overrides: &CliOverrides,
        command: CommandKind,
    ) -> Result<LoadedConfig, BktecError> {
        load(&self.env, overrides, &self.choice, &self.cwd)
            .map_err(|source| BktecError::Config { command, source })
    }

    fn discover(&self, settings: &RunSettings, shell: &mut Shell) -> Result<Discovery, BktecError> {
        let discovery =
            discover(settings, &self.cwd, self.env.non_empty(EnvVars::HOME)).map_err(|source| {
                BktecError::Discover {
                    command: settings.command,
                    source: Box::new(source),
                }
            })?;
        for warning in &discovery.warnings {
            shell.err(&format!("{warning}\n"));
        }
        Ok(discovery)
    }

    fn settings(
        &self,
        overrides: CliOverrides,
        command: CommandKind,
    ) -> Result<RunSettings, BktecError> {
        let loaded = self.load(&overrides, command)?;
        resolve(&loaded, command).map_err(|source| BktecError::Config { command, source })
    }
}

/// `bktec run` (and bare `bktec`): discover, plan, run with retries, report,
/// exit with a status CI can trust (behaviour document 7.1, 9.5).
fn run_tests(
    context: &Context,
    overrides: CliOverrides,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let settings = context.settings(overrides, CommandKind::Run)?;
    shell.out(&format!(
        "+++ Buildkite Test Engine Client: bktec {}\n\n",
        crate::VERSION
    ));
    if matches!(settings.mode, PlanMode::TestEngine(_)) && settings.plan_file.is_none() {
        return Err(BktecError::NotImplemented {
            command: CommandKind::Run,
            what: "planning with the Test Engine API (unset BUILDKITE_TEST_ENGINE_SUITE_SLUG to plan locally, or give --plan-file)",
        });
    }
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
    let plan = match &settings.plan_file {
        Some(file) => {
            read_plan_file(&file.value, file.origin.describe()).map_err(BktecError::PlanFile)?
        }
        None => {
            let discovery = context.discover(&settings, shell)?;
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
    let token = settings
        .upload_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BktecError::Runtime)?;
    let outcome = runtime.block_on(async {
        let signals = Signals::install().map_err(BktecError::Runtime)?;
        let mut attempts = ProcessAttempts::new(&runner, signals, &token, settings.cancel_grace_period);
        let mut report_event = |event: RunEvent| match event {
            RunEvent::AttemptStarted { retry, tests: _ } => shell.out(&report::attempt_header(retry)),
            RunEvent::Command(command) => shell.out(&format!("{command}\n\n")),
            RunEvent::ResultsUnreadable(message) => shell.out(&format!(
                "Buildkite Test Engine Client: Failed to read test output, failed tests will not be retried: {message}\n"
            )),
            RunEvent::AttemptFinished { retry: _, exit: _ } => {}
        };
        Ok::<_, BktecError>(execute(&tests, &plan.muted_tests, policy, &mut attempts, &mut report_event).await)
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

fn plan(context: &Context, overrides: CliOverrides, cmd: &PlanCmd) -> Result<u8, BktecError> {
    let outputs = [
        ("json", cmd.json),
        ("plan-out", cmd.plan_out.is_some()),
        ("pipeline-upload", cmd.pipeline_upload.is_some()),
    ];
    let given: Vec<&str> = outputs
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
    match given.as_slice() {
        [] => {
            return Err(BktecError::Usage(
                "one of these flags needs to be provided: json, plan-out, pipeline-upload"
                    .to_string(),
            ));
        }
        [_] => {}
        [a, b, ..] => {
            return Err(BktecError::Usage(format!(
                "option {a} cannot be set along with option {b}"
            )));
        }
    }
    let settings = context.settings(overrides, CommandKind::Plan)?;
    drop(settings);
    Err(BktecError::NotImplemented {
        command: CommandKind::Plan,
        what: "planning with the Test Engine API",
    })
}

fn show_config(
    context: &Context,
    overrides: CliOverrides,
    json: bool,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let loaded = context.load(&overrides, CommandKind::Config)?;
    let rows = shown_settings(&loaded);
    if json {
        shell.out(&render_json(&rows));
    } else {
        shell.out(&render_text(&rows));
    }
    // The values are shown either way; problems that would stop `run` are
    // reported after them, and make the status say so.
    match resolve(&loaded, CommandKind::Run) {
        Ok(_) => Ok(exit_code::SUCCESS),
        Err(source) => Err(BktecError::Config {
            command: CommandKind::Run,
            source,
        }),
    }
}

/// `bktec list`: the targets `run` would plan, in the order it would send them.
fn list(
    context: &Context,
    settings: &RunSettings,
    json: bool,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let discovery = context.discover(settings, shell)?;
    if !json {
        let mut text = String::new();
        for target in &discovery.targets {
            text.push_str(target);
            text.push('\n');
        }
        shell.out(&text);
        return Ok(exit_code::SUCCESS);
    }
    let sourced = |value: &str, origin: &crate::config::Origin| serde_json::json!({ "value": value, "origin": origin.to_string() });
    let mut doc = serde_json::json!({ "targets": discovery.targets });
    match &discovery.source {
        TargetSource::Walk { pattern, exclude } => {
            doc["source"] = "discovery".into();
            doc["pattern"] = sourced(&pattern.value, &pattern.origin);
            doc["exclude_pattern"] = sourced(&exclude.value, &exclude.origin);
        }
        TargetSource::FilesList(file) => {
            doc["source"] = "files".into();
            doc["file"] = sourced(&file.value.display().to_string(), &file.origin);
        }
        TargetSource::SelectorFile(file) => {
            doc["source"] = "selector-file".into();
            doc["file"] = sourced(&file.value.display().to_string(), &file.origin);
        }
        TargetSource::GoList => doc["source"] = "go-list".into(),
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    text.push('\n');
    shell.out(&text);
    Ok(exit_code::SUCCESS)
}
