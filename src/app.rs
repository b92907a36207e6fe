//! The orchestrator: the only place where configuration, discovery, planning
//! and running meet (S9). `run` and `plan` have a file each.

mod acquire;
mod attempts;
mod backfill_cmd;
mod backfill_inputs;
mod connect;
mod durations_cmd;
mod error;
mod init_cmd;
mod list_cmd;
mod local;
#[cfg(test)]
mod pipeline_tests;
mod plan_cmd;
mod report_back;
mod request;
mod run_checks;
mod run_cmd;
mod session;
mod targets;

use std::ffi::OsString;
use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigCmd, DurationsAction, DurationsCmd, ListCmd, Parsed, RunCmd};
use crate::config::EnvVars;
use crate::config::registry::{CommandKind, DEBUG};
use crate::config::show::{file_line, render_json, render_text, shown_settings};
use crate::config::{
    CliOverrides, EnvSnapshot, FileChoice, FileSearch, LoadedConfig, RawValue, RunSettings, load,
    resolve,
};
use crate::events::{Notice, RunEnd};
use crate::execute::exit_status;
use crate::exit_code;
use crate::report::{ColorEnv, Reporter, Shell};
use error::BktecError;

/// bktec as a program: parses `args`, runs the command, reports an error,
/// and returns the exit status. `main.rs` only calls this.
pub fn main(args: Vec<OsString>, env: EnvSnapshot) -> u8 {
    let color = ColorEnv {
        term: env.get(EnvVars::TERM),
        buildkite: env.get(EnvVars::BUILDKITE),
    };
    let mut reporter = Reporter::new(Shell::stdio(&color));
    match crate::cli::parse(args, env.preview_selection()) {
        Parsed::Cli(cli) => match run(*cli, env, &mut reporter) {
            Ok(status) => status,
            Err(err) => {
                // An error a signal caused (a child it stopped) is said as
                // the signal, not as what the stopped child left behind.
                match crate::process::cancelled_by(&err) {
                    Some(signal) => reporter.notice(Notice::Stopped { signal }),
                    None => reporter.notice(Notice::Error(&err)),
                }
                err.exit_code()
            }
        },
        Parsed::Exit { status, message } => {
            reporter.notice(Notice::Parser {
                text: &message,
                error: status != 0,
            });
            status
        }
    }
}

/// Runs the parsed command line and returns the exit status.
fn run(mut cli: Cli, env: EnvSnapshot, reporter: &mut Reporter) -> Result<u8, BktecError> {
    if let Some(word) = cli.stray {
        let suggestion = crate::cli::suggest_command(&word);
        return Err(BktecError::InvalidCommand { word, suggestion });
    }
    if let Some(status) = without_configuration(&cli, reporter)? {
        return Ok(status);
    }
    // Issue 18, item 6: from here every command may run children (the
    // collector probe, collection, `go list`, the agent), so signals are
    // received by one source that ends them first.
    crate::process::install_cancellation().map_err(BktecError::Runtime)?;
    // D29: every command loads configuration, so each reports, once, the
    // Test Engine variables it does not know; they are ignored, not errors.
    for unknown in env.unknown_test_engine_vars() {
        reporter.notice(Notice::UnknownVariable(&unknown));
    }
    let cwd = std::env::current_dir().map_err(BktecError::CurrentDir)?;
    let choice = FileChoice::from_flags(cli.config.take(), cli.no_config, &env);
    let (choice, cwd, started_in) = stand_in_project(choice, cwd, reporter)?;
    if let Some(dir) = &started_in {
        cli.anchor_paths(dir);
    }
    let debug = cli.debug;
    let with_debug = |mut overrides: CliOverrides| {
        if let Some(value) = &debug {
            overrides.push(
                DEBUG.setting,
                "--debug".to_string(),
                RawValue::One(value.clone()),
            );
        }
        overrides
    };
    let context = Context {
        env,
        choice,
        cwd,
        started_in,
        began: std::time::Instant::now(),
    };
    let Some(command) = cli.command else {
        let overrides = with_debug(CliOverrides::default());
        let end = run_cmd::run_tests(&context, overrides, RunOptions::default(), reporter)?;
        return Ok(ended(&end, reporter));
    };
    with_configuration(&context, command, with_debug, reporter)
}

/// Without `--config`, bktec runs from the directory of the `bktec.toml`
/// found above the working directory, as if started there, and reads that
/// file, named in messages by its whole path (issue 21 item 6, D45).
/// Returns the file choice, the working directory and, when it changed,
/// where bktec was started.
fn stand_in_project(
    choice: FileChoice,
    cwd: PathBuf,
    reporter: &mut Reporter,
) -> Result<(FileChoice, PathBuf, Option<PathBuf>), BktecError> {
    let (FileChoice::Auto, FileSearch::Above(dir)) = (&choice, FileSearch::from(&cwd)) else {
        return Ok((choice, cwd, None));
    };
    std::env::set_current_dir(&dir).map_err(BktecError::CurrentDir)?;
    reporter.notice(Notice::ConfigAbove {
        dir: &dir,
        started_in: &cwd,
    });
    let file = FileChoice::Explicit(dir.join("bktec.toml"));
    Ok((file, dir, Some(cwd)))
}

/// The commands that load no configuration, and so warn about nothing;
/// `None` for the others.
fn without_configuration(cli: &Cli, reporter: &mut Reporter) -> Result<Option<u8>, BktecError> {
    match &cli.command {
        Some(Command::Schema) => {
            reporter.notice(Notice::Document(&crate::config::schema::schema_json()));
        }
        Some(Command::Completions(cmd)) => {
            reporter.notice(Notice::Document(&crate::cli::completions(cmd.shell)));
        }
        Some(Command::Init(cmd)) => {
            let cwd = std::env::current_dir().map_err(BktecError::CurrentDir)?;
            let path = cli
                .config
                .clone()
                .unwrap_or_else(|| PathBuf::from("bktec.toml"));
            let runner = cmd.test_runner.as_deref();
            init_cmd::init(&cwd, &cwd.join(path), runner, reporter).map_err(BktecError::Init)?;
        }
        Some(
            Command::Run(_)
            | Command::Plan(_)
            | Command::List(_)
            | Command::Config(_)
            | Command::Durations(_)
            | Command::Tools(_),
        )
        | None => return Ok(None),
    }
    Ok(Some(exit_code::SUCCESS))
}

/// The exit status of a run that ended as `end` (D23), decided in
/// `execute::exit_status`; a refusal found late is said as an error, and a
/// signal outside an attempt as the signal.
fn ended(end: &RunEnd, reporter: &mut Reporter) -> u8 {
    match end {
        RunEnd::NoTestsRefused => reporter.notice(Notice::Error(&BktecError::NoTestsAssigned)),
        RunEnd::Signalled(signal) => reporter.notice(Notice::Stopped { signal: *signal }),
        RunEnd::DryRun | RunEnd::Ran { .. } => {}
    }
    exit_status(end)
}

/// The commands that load configuration.
fn with_configuration(
    context: &Context,
    command: Command,
    with_debug: impl Fn(CliOverrides) -> CliOverrides,
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    match command {
        Command::Run(RunCmd {
            settings,
            store_durations,
            dry_run,
        }) => {
            let options = RunOptions {
                store_durations,
                dry_run,
            };
            let end =
                run_cmd::run_tests(context, with_debug(settings.overrides), options, reporter)?;
            Ok(ended(&end, reporter))
        }
        Command::Plan(cmd) => {
            let overrides = with_debug(cmd.settings.overrides.clone());
            plan_cmd::plan(context, overrides, &cmd, reporter)
        }
        Command::List(ListCmd { settings, json }) => {
            let settings = context.settings(with_debug(settings.overrides), CommandKind::List)?;
            list_cmd::list(context, &settings, json, reporter)
        }
        Command::Config(ConfigCmd { settings, json }) => {
            show_config(context, with_debug(settings.overrides), json, reporter)
        }
        Command::Durations(DurationsCmd {
            action: DurationsAction::Update(cmd),
        }) => {
            let overrides = with_debug(cmd.settings.overrides);
            let settings = context.settings(overrides, CommandKind::Durations)?;
            reporter.for_runner(settings.runner, settings.debug);
            durations_cmd::update(context, &settings, &cmd.result_files, cmd.prune, reporter)
        }
        Command::Tools(crate::cli::ToolsCmd {
            tool: crate::cli::Tool::BackfillCommitMetadata(cmd),
        }) => backfill_cmd::backfill(context, &cmd, reporter),
        Command::Schema | Command::Completions(_) | Command::Init(_) => {
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
    /// Where bktec was started, when it runs from the directory of a
    /// `bktec.toml` above it (D45).
    started_in: Option<PathBuf>,
    /// When the command began: a job's time includes its planning (D52).
    pub(crate) began: std::time::Instant,
}

impl Context {
    pub(crate) fn load(
        &self,
        overrides: &CliOverrides,
        command: CommandKind,
    ) -> Result<LoadedConfig, BktecError> {
        load(&self.env, overrides, &self.choice, &self.cwd)
            .map(|loaded| loaded.started_in(self.started_in.clone()))
            .map_err(|source| BktecError::Config { command, source })
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
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    let loaded = context.load(&overrides, CommandKind::Config)?;
    // One probe for the checks and the table: pytest's default command
    // depends on it (D14), and it is asked at most once.
    let runners = crate::runner::facts();
    // Every problem that would stop `run` is `bktec config`'s own error
    // and exits 16 (issue #9). It is said first, before the table, which
    // follows for finding the other values (issue 21, item 6).
    let mut status = exit_code::SUCCESS;
    if let Err(source) = resolve(&loaded, CommandKind::Run, &runners) {
        let err = BktecError::Config {
            command: CommandKind::Config,
            source,
        };
        reporter.notice(Notice::Error(&err));
        status = err.exit_code();
    }
    let rows = shown_settings(&loaded, &runners);
    let table = if json {
        render_json(loaded.file_name(), &rows)
    } else {
        let started_in = context.started_in.as_deref();
        let file = file_line(&loaded, &context.choice, &context.cwd, started_in);
        render_text(&file, &rows)
    };
    reporter.notice(Notice::Settings(&table));
    Ok(status)
}
