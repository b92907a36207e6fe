//! The orchestrator: the only place where configuration, discovery, planning
//! and running meet (S9).

use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigCmd, ListCmd, PlanCmd, RunCmd};
use crate::config::registry::{CommandKind, setting};
use crate::config::show::{render_json, render_text, shown_settings};
use crate::config::{
    CliOverrides, EnvSnapshot, FileChoice, LoadedConfig, RawValue, RunSettings, load, resolve,
};
use crate::error::BktecError;
use crate::exit_code;
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
        Some(Command::List(ListCmd { settings, json: _ })) => {
            let settings = context.settings(with_debug(settings.overrides), CommandKind::List)?;
            drop(settings);
            Err(BktecError::NotImplemented {
                command: CommandKind::List,
                what: "test discovery",
            })
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

    fn settings(
        &self,
        overrides: CliOverrides,
        command: CommandKind,
    ) -> Result<RunSettings, BktecError> {
        let loaded = self.load(&overrides, command)?;
        resolve(&loaded, command, &self.cwd)
            .map_err(|source| BktecError::Config { command, source })
    }
}

fn run_tests(
    context: &Context,
    overrides: CliOverrides,
    _shell: &mut Shell,
) -> Result<u8, BktecError> {
    let settings = context.settings(overrides, CommandKind::Run)?;
    drop(settings);
    Err(BktecError::NotImplemented {
        command: CommandKind::Run,
        what: "running tests",
    })
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
    match resolve(&loaded, CommandKind::Run, &context.cwd) {
        Ok(_) => Ok(exit_code::SUCCESS),
        Err(source) => Err(BktecError::Config {
            command: CommandKind::Run,
            source,
        }),
    }
}
