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
mod pytest_discovery;
mod report_back;
mod request;
mod run_cmd;

use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigCmd, DurationsAction, DurationsCmd, ListCmd, RunCmd};
use crate::config::env_vars::EnvVars;
use crate::config::registry::{CommandKind, DEBUG};
use crate::config::resolve::DiscoveryMode;
use crate::config::show::{render_json, render_text, shown_settings};
use crate::config::{
    CliOverrides, EnvSnapshot, FileChoice, LoadedConfig, RawValue, RunSettings, load, resolve,
};
use crate::discover::{Discovery, TargetSource, discover, pytest_config};
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
        // Row files name the targets in either mode.
        let by_pytest = settings.discovery == DiscoveryMode::Pytest
            && settings.selector_file.is_none()
            && settings.files_list.is_none();
        let discovery = if by_pytest {
            pytest_discovery::discover_with_pytest(self, settings, shell)?
        } else {
            let walked = discover(settings, &self.cwd);
            // Said whether the pattern found files or not: when it found
            // none, pytest's configuration is the likeliest reason.
            let found = walked.as_ref().map_or(&[][..], |d| &d.targets[..]);
            let addopts = self.env.get(EnvVars::PYTEST_ADDOPTS).unwrap_or_default();
            if let Some(warning) =
                pattern_disagrees_with_pytest(&self.cwd, settings, found, addopts)
            {
                shell.warn(&warning);
            }
            walked.map_err(|source| BktecError::Discover {
                command: settings.command,
                source: Box::new(source),
            })?
        };
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
        resolve(&loaded, command, &crate::runner::facts())
            .map_err(|source| BktecError::Config { command, source })
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
    let runners = crate::runner::facts();
    let rows = shown_settings(&loaded, &runners);
    if json {
        shell.out(&render_json(&rows));
    } else {
        shell.out(&render_text(&rows));
    }
    // The values are shown either way (the table is how one finds a bad
    // value's origin); every problem that would stop `run` is reported after
    // them, as `bktec config`'s own error, and exits 16 (issue #9).
    match resolve(&loaded, CommandKind::Run, &runners) {
        Ok(_) => Ok(exit_code::SUCCESS),
        Err(source) => Err(BktecError::Config {
            command: CommandKind::Config,
            source,
        }),
    }
}

/// The warning that the runner's default pattern finds other tests than
/// pytest would, from the pytest configuration pytest itself would read
/// (issue #12); `None` when they agree, or when the user chose the pattern.
fn pattern_disagrees_with_pytest(
    cwd: &std::path::Path,
    settings: &RunSettings,
    targets: &[String],
    addopts: &str,
) -> Option<String> {
    let walks = settings.selector_file.is_none() && settings.files_list.is_none();
    let pattern = settings.include_pattern.as_ref()?;
    if !settings.runner.allows_discovery_by_pytest() || pattern.origin.set_by_user() || !walks {
        return None;
    }
    // Without a configuration file, pytest's defaults and the test
    // command's options still count.
    let config = pytest_config::find(cwd).unwrap_or_default();
    // What the test command and PYTEST_ADDOPTS add to the configuration.
    let mut command: Vec<String> = settings
        .test_command
        .as_ref()
        .map(|c| c.value.program_words())
        .unwrap_or_default();
    command.extend(addopts.split_whitespace().map(String::from));
    let reasons = config.disagreements(cwd, targets, &command);
    if reasons.is_empty() {
        return None;
    }
    let read = if config.file.as_os_str().is_empty() {
        "pytest has no configuration file here, but".to_string()
    } else {
        format!("pytest reads `{}`, and", pathdiff(&config.file, cwd))
    };
    let mut text = format!(
        "The default pattern `{}` may run other tests than `pytest` would. {read}",
        pattern.value.as_str()
    );
    for reason in reasons {
        text.push_str(&format!("\n  - {reason}"));
    }
    text.push_str("\nTo run what pytest collects, use `--discovery pytest` (BUILDKITE_TEST_ENGINE_DISCOVERY=pytest, or `discovery = \"pytest\"` under `[files]` in bktec.toml); or set a pattern that matches your tests with `--test-file-pattern`.");
    Some(text)
}

/// `path` relative to `base` when it is under it (`pytest.ini`), else
/// relative with `..` steps (`../pytest.ini`).
fn pathdiff(path: &std::path::Path, base: &std::path::Path) -> String {
    if let Ok(inside) = path.strip_prefix(base) {
        return inside.display().to_string();
    }
    let mut up = String::new();
    for ancestor in base.ancestors().skip(1) {
        up.push_str("../");
        if let Ok(rest) = path.strip_prefix(ancestor) {
            return format!("{up}{}", rest.display());
        }
    }
    path.display().to_string()
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
        TargetSource::Pytest { command, collected } => {
            doc["source"] = "pytest".into();
            doc["command"] = command.as_str().into();
            doc["tests"] = collected.len().into();
        }
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    text.push('\n');
    shell.out(&text);
    Ok(exit_code::SUCCESS)
}
