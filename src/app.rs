//! The orchestrator: the only place where configuration, discovery, planning
//! and running meet (S9). `run` and `plan` have a file each.

mod connect;
mod durations_cmd;
mod error;
mod init_cmd;
mod local;
#[cfg(test)]
mod pipeline_tests;
mod plan_cmd;
mod report_back;
mod request;
mod run_cmd;

use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigCmd, DurationsAction, DurationsCmd, ListCmd, RunCmd};
use crate::config::registry::{CommandKind, DEBUG};
use crate::config::resolve::resolve_with;
use crate::config::runner_defaults::CollectorProbe;
use crate::config::show::{render_json, render_text, shown_settings};
use crate::config::{
    CliOverrides, EnvSnapshot, FileChoice, LoadedConfig, RawValue, RunSettings, load, resolve,
};
use crate::discover::{Discovery, TargetSource, discover};
use crate::exit_code;
use crate::shell::Shell;
use error::BktecError;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli, env: EnvSnapshot, shell: &mut Shell) -> Result<u8, BktecError> {
    if let Some(word) = cli.stray {
        let suggestion = crate::cli::suggest_command(&word);
        return Err(BktecError::InvalidCommand { word, suggestion });
    }
    // Commands that load no configuration, and so warn about nothing.
    match &cli.command {
        Some(Command::Schema) => {
            shell.out(&crate::config::schema::schema_json());
            return Ok(exit_code::SUCCESS);
        }
        Some(Command::Completions(cmd)) => {
            shell.out(&crate::cli::completions(cmd.shell));
            return Ok(exit_code::SUCCESS);
        }
        Some(Command::Init(cmd)) => {
            let cwd = std::env::current_dir().map_err(BktecError::CurrentDir)?;
            let path = cli
                .config
                .clone()
                .unwrap_or_else(|| PathBuf::from("bktec.toml"));
            init_cmd::init(&cwd, &cwd.join(path), cmd.test_runner.as_deref(), shell)
                .map_err(BktecError::Init)?;
            return Ok(exit_code::SUCCESS);
        }
        Some(
            Command::Run(_)
            | Command::Plan(_)
            | Command::List(_)
            | Command::Config(_)
            | Command::Durations(_),
        )
        | None => {}
    }
    // D29: every command loads configuration, so each reports, once, the
    // Test Engine variables it does not know; they are ignored, not errors.
    for unknown in env.unknown_test_engine_vars() {
        shell.warn(&unknown.to_string());
    }
    let cwd = std::env::current_dir().map_err(BktecError::CurrentDir)?;
    let choice = FileChoice::from_flags(cli.config, cli.no_config, &env);
    let with_debug = |mut overrides: CliOverrides| {
        if let Some(value) = &cli.debug {
            overrides.push(
                DEBUG.setting,
                "--debug".to_string(),
                RawValue::One(value.clone()),
            );
        }
        overrides
    };
    let context = Context { env, choice, cwd };
    match cli.command {
        None => run_cmd::run_tests(
            &context,
            with_debug(CliOverrides::default()),
            RunOptions::default(),
            shell,
        ),
        Some(Command::Run(RunCmd {
            settings,
            store_durations,
            dry_run,
        })) => run_cmd::run_tests(
            &context,
            with_debug(settings.overrides),
            RunOptions {
                store_durations,
                dry_run,
            },
            shell,
        ),
        Some(Command::Plan(cmd)) => {
            let overrides = with_debug(cmd.settings.overrides.clone());
            plan_cmd::plan(&context, overrides, &cmd, shell)
        }
        Some(Command::List(ListCmd { settings, json })) => {
            let settings = context.settings(with_debug(settings.overrides), CommandKind::List)?;
            list(&context, &settings, json, shell)
        }
        Some(Command::Config(ConfigCmd { settings, json })) => {
            show_config(&context, with_debug(settings.overrides), json, shell)
        }
        Some(Command::Durations(DurationsCmd {
            action: DurationsAction::Update(cmd),
        })) => {
            let settings =
                context.settings(with_debug(cmd.settings.overrides), CommandKind::Durations)?;
            durations_cmd::update(&context, &settings, &cmd.result_files, cmd.prune, shell)
        }
        Some(Command::Schema | Command::Completions(_) | Command::Init(_)) => {
            unreachable!("answered before configuration is loaded")
        }
    }
}

/// The flags of `bktec run` that are not settings.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunOptions {
    /// `--store-durations`.
    pub(crate) store_durations: bool,
    /// `--dry-run`: plan and print, run nothing.
    pub(crate) dry_run: bool,
}

/// What every command needs to load configuration.
pub(crate) struct Context {
    pub(crate) env: EnvSnapshot,
    choice: FileChoice,
    pub(crate) cwd: PathBuf,
}

impl Context {
    pub(crate) fn load(
        &self,
        overrides: &CliOverrides,
        command: CommandKind,
    ) -> Result<LoadedConfig, BktecError> {
        load(&self.env, overrides, &self.choice, &self.cwd)
            .map_err(|source| BktecError::Config { command, source })
    }

    pub(crate) fn discover(
        &self,
        settings: &RunSettings,
        shell: &mut Shell,
    ) -> Result<Discovery, BktecError> {
        let discovery = discover(settings, &self.cwd).map_err(|source| BktecError::Discover {
            command: settings.command,
            source: Box::new(source),
        })?;
        for warning in &discovery.warnings {
            shell.err(&format!("{warning}\n"));
        }
        if settings.debug {
            shell.err(&crate::shell::debug_line(&format!(
                "Discovered {} test targets",
                discovery.targets.len()
            )));
        }
        Ok(discovery)
    }

    pub(crate) fn settings(
        &self,
        overrides: CliOverrides,
        command: CommandKind,
    ) -> Result<RunSettings, BktecError> {
        let loaded = self.load(&overrides, command)?;
        resolve(&loaded, command).map_err(|source| BktecError::Config { command, source })
    }
}

fn show_config(
    context: &Context,
    overrides: CliOverrides,
    json: bool,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let loaded = context.load(&overrides, CommandKind::Config)?;
    // One probe for the table and the checks: pytest's default command
    // depends on it (D14), and it is asked at most once.
    let probe = CollectorProbe::new(&crate::runner::collector_installed);
    let rows = shown_settings(&loaded, &probe);
    if json {
        shell.out(&render_json(&rows));
    } else {
        shell.out(&render_text(&rows));
    }
    // The values are shown either way (the table is how one finds a bad
    // value's origin); every problem that would stop `run` is reported after
    // them, as `bktec config`'s own error, and exits 16 (issue #9).
    match resolve_with(&loaded, CommandKind::Run, &probe) {
        Ok(_) => Ok(exit_code::SUCCESS),
        Err(source) => Err(BktecError::Config {
            command: CommandKind::Config,
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
