//! The command line. The command tree is clap derive; the setting flags of
//! `run`, `plan`, `list` and `config` are generated from the settings registry
//! (so their help names each flag's environment variable and `bktec.toml` key
//! from the same source as the loader), and are collected as [`CliOverrides`],
//! the top configuration layer. Clap never reads the environment for settings:
//! figment does, so that origins are right (S4).

use std::ffi::OsString;
use std::marker::PhantomData;
use std::path::PathBuf;

use clap::CommandFactory;
use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueHint};

use crate::config::registry::{CommandKind, DEBUG, SETTINGS, Setting, SettingKind};
use crate::config::{CliOverrides, RawValue};

/// Buildkite Test Engine Client: runs this parallel job's share of a test suite.
///
/// With no command, bktec runs the tests (`bktec run`).
#[derive(Debug, Parser)]
#[command(name = "bktec", version = crate::VERSION, about, long_about = None)]
// `--version` works on every command (behaviour document 1.1), as in the Go client.
#[command(propagate_version = true)]
#[command(
    after_help = "Configuration layers, lowest to highest: built-in defaults, bktec.toml, \
BUILDKITE_TEST_ENGINE_* environment variables, flags. `bktec config` shows each value's origin."
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A word that is not a command (reported as `invalid command`).
    #[arg(hide = true)]
    pub stray: Option<String>,

    /// Read this configuration file instead of the nearest bktec.toml (in this directory or above
    /// it, up to the repository root); it must exist. [env: BUILDKITE_TEST_ENGINE_CONFIG=]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Ignore any bktec.toml.
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,

    /// Print debug output. [env: BUILDKITE_TEST_ENGINE_DEBUG_ENABLED=] [bktec.toml: debug]
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "BOOL")]
    pub debug: Option<String>,
}

impl Cli {
    /// Makes the relative paths of the flags that are not settings
    /// relative to `dir`, where they were typed, for a command line that
    /// runs from the directory of a `bktec.toml` above it (D45). Settings'
    /// paths are anchored by the configuration, which knows their origin.
    pub fn anchor_paths(&mut self, dir: &std::path::Path) {
        let anchor = |text: &mut String| *text = dir.join(&*text).display().to_string();
        match &mut self.command {
            Some(Command::Durations(DurationsCmd {
                action: DurationsAction::Update(cmd),
            })) => {
                for path in &mut cmd.result_files {
                    *path = dir.join(&*path);
                }
            }
            Some(Command::Plan(cmd)) => {
                // `-` is stdout; an empty path is refused as it is.
                for text in [&mut cmd.plan_out, &mut cmd.pipeline_upload]
                    .into_iter()
                    .flatten()
                    .filter(|text| !text.is_empty() && text.as_str() != "-")
                {
                    anchor(text);
                }
            }
            Some(Command::Tools(ToolsCmd {
                tool: Tool::BackfillCommitMetadata(cmd),
            })) => {
                for path in [&mut cmd.output, &mut cmd.upload].into_iter().flatten() {
                    *path = dir.join(&*path);
                }
            }
            Some(
                Command::Run(_)
                | Command::List(_)
                | Command::Config(_)
                | Command::Init(_)
                | Command::Schema
                | Command::Completions(_),
            )
            | None => {}
        }
    }
}

/// bktec's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the tests assigned to this job (the default command).
    Run(RunCmd),
    /// Create a test plan without running tests.
    Plan(PlanCmd),
    /// List the test files `run` would plan, one per line, in the order they would be sent.
    List(ListCmd),
    /// Show every resolved setting with its value and origin.
    Config(ConfigCmd),
    /// Keep the timing history that local plans are made from current.
    Durations(DurationsCmd),
    /// Write a commented bktec.toml for the project in the working directory.
    Init(InitCmd),
    /// Print the JSON Schema of bktec.toml.
    Schema,
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    Completions(CompletionsCmd),
    /// Preview tools (shown in help when BKTEC_PREVIEW_SELECTION is truthy).
    #[command(hide = true)]
    Tools(ToolsCmd),
}

/// `bktec tools` (D43).
#[derive(Debug, Args)]
pub struct ToolsCmd {
    /// The tool.
    #[command(subcommand)]
    pub tool: Tool,
}

/// The `bktec tools` commands.
#[derive(Debug, Subcommand)]
pub enum Tool {
    /// Collect git commit metadata for the commits Test Engine has seen and upload it (preview).
    #[command(hide = true)]
    BackfillCommitMetadata(BackfillCmd),
}

/// `bktec tools backfill-commit-metadata` (D43). Its values are read from
/// these flags, else from the variables named, never from bktec.toml.
#[derive(Debug, Args)]
pub struct BackfillCmd {
    /// The Buildkite API access token (read_suites, write_suites). [env: BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN=]
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// The Buildkite organization slug. [env: BUILDKITE_ORGANIZATION_SLUG=]
    #[arg(long, value_name = "SLUG")]
    pub organization_slug: Option<String>,
    /// The Test Engine suite slug. [env: BUILDKITE_TEST_ENGINE_SUITE_SLUG=]
    #[arg(long, value_name = "SLUG")]
    pub suite_slug: Option<String>,
    /// The Buildkite API base URL. [env: BUILDKITE_TEST_ENGINE_BASE_URL=]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Leave the full and raw diffs out. [env: BUILDKITE_TEST_ENGINE_SKIP_DIFFS=]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub skip_diffs: Option<String>,
    /// Days of history, 1-90 (default 90). [env: BUILDKITE_TEST_ENGINE_BACKFILL_DAYS=]
    #[arg(long, value_name = "N")]
    pub days: Option<String>,
    /// The git remote to fetch from and find the default branch on (default origin).
    /// [env: BUILDKITE_TEST_ENGINE_REMOTE= or BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE=]
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Commits diffed at once (default 10). [env: BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY=]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<String>,
    /// Write the archive to FILE instead of uploading it.
    #[arg(long, value_name = "FILE", conflicts_with = "upload")]
    pub output: Option<PathBuf>,
    /// Upload this archive, made earlier, instead of collecting.
    #[arg(long, value_name = "FILE")]
    pub upload: Option<PathBuf>,
}

/// `bktec init`.
#[derive(Debug, Args)]
pub struct InitCmd {
    /// The test runner, when bktec cannot tell it from the project's files.
    #[arg(long, value_name = "NAME")]
    pub test_runner: Option<String>,
}

/// `bktec completions`.
#[derive(Debug, Args)]
pub struct CompletionsCmd {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `bktec run`.
#[derive(Debug, Args)]
pub struct RunCmd {
    /// The setting flags.
    #[command(flatten)]
    pub settings: SettingArgs<RunScope>,
    /// Merge this run's measured durations into the durations file (for a single local run).
    #[arg(long, help_heading = "Timing history")]
    pub store_durations: bool,
    /// Print this job's plan and the exact command it would run, without running it.
    #[arg(long)]
    pub dry_run: bool,
}

/// `bktec plan`.
#[derive(Debug, Args)]
pub struct PlanCmd {
    /// The setting flags.
    #[command(flatten)]
    pub settings: SettingArgs<PlanScope>,
    /// Print the plan identifier and parallelism as JSON, for `buildkite-agent env set`.
    #[arg(long, help_heading = "Plan output")]
    pub json: bool,
    /// Write the plan to PATH (`-` for stdout).
    #[arg(long, value_name = "PATH", help_heading = "Plan output")]
    pub plan_out: Option<String>,
    /// Upload this pipeline template with the plan's identifier and parallelism.
    #[arg(long, value_name = "TEMPLATE", help_heading = "Plan output")]
    pub pipeline_upload: Option<String>,
    /// Print each job's predicted time, the lower bound and their ratio (to stderr when another output is given).
    #[arg(long, help_heading = "Plan output")]
    pub explain: bool,
}

/// `bktec list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    /// The setting flags.
    #[command(flatten)]
    pub settings: SettingArgs<ListScope>,
    /// Print JSON with the patterns and their origins.
    #[arg(long)]
    pub json: bool,
}

/// `bktec config`.
#[derive(Debug, Args)]
pub struct ConfigCmd {
    /// The setting flags.
    #[command(flatten)]
    pub settings: SettingArgs<ConfigScope>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `bktec durations`.
#[derive(Debug, Args)]
pub struct DurationsCmd {
    /// What to do.
    #[command(subcommand)]
    pub action: DurationsAction,
}

/// The `bktec durations` commands.
#[derive(Debug, Subcommand)]
pub enum DurationsAction {
    /// Merge measured durations and costs from result files and timing records into the durations file.
    Update(DurationsUpdateCmd),
}

/// `bktec durations update`.
#[derive(Debug, Args)]
pub struct DurationsUpdateCmd {
    /// The setting flags.
    #[command(flatten)]
    pub settings: SettingArgs<DurationsScope>,
    /// Result files (the runner's own format or JUnit XML) and the timing records `bktec run` wrote beside them, from any jobs.
    #[arg(required = true, value_name = "RESULT_FILE")]
    pub result_files: Vec<PathBuf>,
    /// Drop tests whose file is no longer discovered.
    #[arg(long)]
    pub prune: bool,
}

/// Which command a [`SettingArgs`] belongs to.
pub trait CommandScope {
    /// The command.
    const KIND: CommandKind;
}

/// Marker for `run`.
#[derive(Debug)]
pub struct RunScope;
/// Marker for `plan`.
#[derive(Debug)]
pub struct PlanScope;
/// Marker for `list`.
#[derive(Debug)]
pub struct ListScope;
/// Marker for `config`.
#[derive(Debug)]
pub struct ConfigScope;
/// Marker for `durations update`.
#[derive(Debug)]
pub struct DurationsScope;

impl CommandScope for RunScope {
    const KIND: CommandKind = CommandKind::Run;
}
impl CommandScope for PlanScope {
    const KIND: CommandKind = CommandKind::Plan;
}
impl CommandScope for ListScope {
    const KIND: CommandKind = CommandKind::List;
}
impl CommandScope for ConfigScope {
    const KIND: CommandKind = CommandKind::Config;
}
impl CommandScope for DurationsScope {
    const KIND: CommandKind = CommandKind::Durations;
}

/// The setting flags a command accepts, generated from the registry.
#[derive(Debug)]
pub struct SettingArgs<S> {
    /// The flags that were given.
    pub overrides: CliOverrides,
    scope: PhantomData<S>,
}

impl<S> Default for SettingArgs<S> {
    fn default() -> Self {
        SettingArgs {
            overrides: CliOverrides::default(),
            scope: PhantomData,
        }
    }
}

fn flag_settings(kind: CommandKind) -> impl Iterator<Item = &'static Setting> {
    SETTINGS
        .iter()
        .copied()
        .filter(move |s| s.flag.is_some() && s.key != DEBUG.key && s.accepted_by(kind))
}

/// The id of a boolean setting's `--no-` flag.
fn negation_id(setting: &Setting) -> String {
    format!("no:{}", setting.key)
}

/// The help line of a setting's flag.
fn help_text(s: &Setting) -> String {
    let mut help = s.doc().to_string();
    if !s.env.is_empty() {
        help.push_str(&format!(" [env: {}=]", s.env.join(", ")));
    }
    if s.in_file() {
        help.push_str(&format!(" [bktec.toml: {}]", s.key));
    }
    if let Some(default) = s.default {
        help.push_str(&format!(" [default: {default}]"));
    }
    help
}

impl<S: CommandScope> Args for SettingArgs<S> {
    fn augment_args(mut cmd: clap::Command) -> clap::Command {
        for s in flag_settings(S::KIND) {
            let flag = s.flag.expect("filtered on flag");
            let mut arg = Arg::new(s.key)
                .long(flag)
                .help(help_text(s))
                .help_heading(s.group.heading())
                // The preview's flags are shown only when its gate is on
                // (`parse` shows them then; D40).
                .hide(s.hidden || s.is_preview())
                .value_name(match s.kind {
                    SettingKind::Text => "TEXT",
                    SettingKind::Path => "PATH",
                    SettingKind::Bool => "BOOL",
                    SettingKind::Int => "N",
                    SettingKind::Duration => "DURATION",
                    SettingKind::KeyValues => "KEY=VALUE",
                });
            let choices = s.choices();
            if !choices.is_empty() {
                // Offered by shell completion; help already words them, and
                // `resolve` checks the value with its origin.
                arg = arg
                    .value_parser(Choices(choices))
                    .hide_possible_values(true);
            }
            if s.kind == SettingKind::Path {
                arg = arg.value_hint(ValueHint::FilePath);
            }
            arg = match s.kind {
                SettingKind::Bool => arg
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .action(ArgAction::Set),
                SettingKind::KeyValues => arg.action(ArgAction::Append),
                SettingKind::Text
                | SettingKind::Path
                | SettingKind::Int
                | SettingKind::Duration => arg.action(ArgAction::Set).allow_hyphen_values(true),
            };
            cmd = cmd.arg(arg);
            if s.kind == SettingKind::Bool {
                // Three-state booleans (S4): `--no-oidc` is the Go client's; the
                // others are ours, hidden to keep help short.
                cmd = cmd.arg(
                    Arg::new(negation_id(s))
                        .long(format!("no-{flag}"))
                        .help(format!("Turn off --{flag}"))
                        .help_heading(s.group.heading())
                        .hide(s.hidden || flag != "oidc")
                        .action(ArgAction::SetTrue),
                );
            }
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// A value parser that takes any text, as the default one does, and names
/// the usual values for shell completion.
#[derive(Clone, Debug)]
struct Choices(Vec<&'static str>);

impl TypedValueParser for Choices {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

impl<S: CommandScope> FromArgMatches for SettingArgs<S> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = SettingArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for s in flag_settings(S::KIND) {
            let flag = s.flag_text().expect("filtered on flag");
            let given = matches.value_source(s.key) == Some(ValueSource::CommandLine);
            let negated = s.kind == SettingKind::Bool
                && matches.get_flag(&negation_id(s))
                && matches.value_source(&negation_id(s)) == Some(ValueSource::CommandLine);
            // When both `--x` and `--no-x` are given, the later one wins.
            let negation_last =
                negated && (!given || matches.index_of(&negation_id(s)) > matches.index_of(s.key));
            if negation_last {
                let no_flag = format!("--no-{}", s.flag.expect("filtered on flag"));
                self.overrides
                    .push(s, no_flag, RawValue::One("false".to_string()));
            } else if given {
                let value = match s.kind {
                    SettingKind::KeyValues => RawValue::Many(
                        matches
                            .get_many::<String>(s.key)
                            .into_iter()
                            .flatten()
                            .cloned()
                            .collect(),
                    ),
                    SettingKind::Text
                    | SettingKind::Path
                    | SettingKind::Bool
                    | SettingKind::Int
                    | SettingKind::Duration => RawValue::One(
                        matches
                            .get_one::<String>(s.key)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                };
                self.overrides.push(s, flag, value);
            }
        }
        Ok(())
    }
}

/// What parsing the command line decided.
#[derive(Debug)]
pub enum Parsed {
    /// A command to run.
    Cli(Box<Cli>),
    /// Help or version was printed, or usage was wrong: exit with this status
    /// after printing `message` (to stdout when the status is 0).
    Exit {
        /// The exit status.
        status: u8,
        /// The rendered message.
        message: String,
    },
}

/// Parses `args` (including the program name). Bare `bktec` with setting flags
/// but no command is `bktec run` with those flags (D1). `preview` is the
/// test selection preview's gate (D40): when it is off, the preview's flags
/// are hidden and refused, as the Go client does not know them then.
pub fn parse(args: Vec<OsString>, preview: bool) -> Parsed {
    let parsed = parse_any(args, preview);
    match &parsed {
        Parsed::Cli(cli) if !preview => match preview_flag(cli) {
            Some(flag) => Parsed::Exit {
                status: crate::exit_code::CONFIG_ERROR,
                message: format!("error: {}\n", UsageError::PreviewOff { flag }),
            },
            None => parsed,
        },
        Parsed::Cli(_) | Parsed::Exit { .. } => parsed,
    }
}

/// The first test selection preview flag given on the command line, if any.
fn preview_flag(cli: &Cli) -> Option<String> {
    let overrides = match &cli.command {
        Some(Command::Run(cmd)) => &cmd.settings.overrides,
        Some(Command::Plan(cmd)) => &cmd.settings.overrides,
        Some(Command::List(cmd)) => &cmd.settings.overrides,
        Some(Command::Config(cmd)) => &cmd.settings.overrides,
        Some(Command::Durations(DurationsCmd {
            action: DurationsAction::Update(cmd),
        })) => &cmd.settings.overrides,
        Some(Command::Init(_) | Command::Schema | Command::Completions(_) | Command::Tools(_))
        | None => return None,
    };
    overrides.preview_flag()
}

/// The command line, with the preview's flags and `bktec tools` shown in
/// help when `preview`.
fn command(preview: bool) -> clap::Command {
    let show = |arg: Arg| {
        let is_preview = SETTINGS
            .iter()
            .any(|s| s.is_preview() && s.key == arg.get_id().as_str());
        if is_preview { arg.hide(false) } else { arg }
    };
    let cmd = Cli::command();
    if preview {
        // `bktec tools` and its commands run either way; they are only
        // listed in help with the preview on (D43).
        cmd.mut_subcommands(move |sub| sub.mut_args(show))
            .mut_subcommand("tools", |tools| {
                tools
                    .hide(false)
                    .mut_subcommand("backfill-commit-metadata", |c| c.hide(false))
            })
    } else {
        cmd
    }
}

/// Parses `args` with clap, and with `run` inserted for bare setting flags.
fn parse_any(args: Vec<OsString>, preview: bool) -> Parsed {
    let try_parse = |args: &[OsString]| {
        command(preview)
            .try_get_matches_from(args)
            .and_then(|matches| Cli::from_arg_matches(&matches))
    };
    let err = match try_parse(&args) {
        Ok(cli) => return Parsed::Cli(Box::new(cli)),
        Err(err) => err,
    };
    let err = if matches!(err.kind(), ErrorKind::UnknownArgument) && args.len() > 1 {
        let mut with_run = args.clone();
        with_run.insert(1, OsString::from("run"));
        match try_parse(&with_run) {
            Ok(cli) => return Parsed::Cli(Box::new(cli)),
            // `bktec --parallelism 3 --version` is `bktec run ... --version`.
            Err(run_err) if exits_zero(&run_err) => run_err,
            // `bktec --retry 2` is a mistyped flag of `run`, whose flags
            // have a suggestion to offer.
            Err(run_err) if run_err.get(ContextKind::SuggestedArg).is_some() => run_err,
            Err(_) => err,
        }
    } else {
        err
    };
    let err = without_hidden_suggestion(err, &args, preview);
    if matches!(err.kind(), ErrorKind::DisplayVersion) {
        // Every command prints the same line as `bktec --version` (behaviour
        // document 1.1), not clap's `bktec-run v…`.
        return Parsed::Exit {
            status: 0,
            message: format!("bktec {}\n", crate::VERSION),
        };
    }
    Parsed::Exit {
        status: if exits_zero(&err) {
            0
        } else {
            crate::exit_code::CONFIG_ERROR
        },
        message: err.render().to_string(),
    }
}

/// clap's "a similar argument exists" may name a hidden flag: `--retry`
/// got `--retry-count`, the Buildkite job's own retry counter, which a user
/// never sets (issue 21, item 6). Such a tip is replaced by the closest
/// visible setting flag of the command, by flag or by key (`--retry` ->
/// `--test-engine-retry-count`, the flag of `retry.count`), or dropped.
fn without_hidden_suggestion(err: clap::Error, args: &[OsString], preview: bool) -> clap::Error {
    let Some(ContextValue::String(suggested)) = err.get(ContextKind::SuggestedArg) else {
        return err;
    };
    let Some(ContextValue::String(invalid)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    let kind = command_kind(args);
    let hidden = |flag: &str| {
        SETTINGS.iter().any(|s| {
            let visible = !s.hidden && (preview || !s.is_preview());
            !visible && s.flag_text().as_deref() == Some(flag)
        })
    };
    if !hidden(suggested) {
        return err;
    }
    let typed = invalid.trim_start_matches('-');
    let typed = typed.split_once('=').map_or(typed, |(name, _)| name);
    let better = flag_settings(kind)
        .filter(|s| !s.hidden && (preview || !s.is_preview()))
        .map(|s| {
            let flag = s.flag.expect("filtered on flag");
            let score = strsim::jaro_winkler(typed, flag)
                .max(strsim::jaro_winkler(typed, &s.key.replace('.', "-")));
            (score, flag)
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, flag)| format!("--{flag}"));
    let mut rebuilt = clap::Error::new(ErrorKind::UnknownArgument).with_cmd(&command(preview));
    rebuilt.insert(
        ContextKind::InvalidArg,
        ContextValue::String(invalid.clone()),
    );
    if let Some(better) = better {
        rebuilt.insert(ContextKind::SuggestedArg, ContextValue::String(better));
    }
    if let Some(usage) = err.get(ContextKind::Usage) {
        rebuilt.insert(ContextKind::Usage, usage.clone());
    }
    rebuilt
}

/// The command whose flags `args` give: the first word that names one,
/// else `run` (bare flags mean `run`, D1).
fn command_kind(args: &[OsString]) -> CommandKind {
    args.iter()
        .skip(1)
        .find_map(|arg| match arg.to_str()? {
            "run" => Some(CommandKind::Run),
            "plan" => Some(CommandKind::Plan),
            "list" => Some(CommandKind::List),
            "config" => Some(CommandKind::Config),
            "durations" => Some(CommandKind::Durations),
            _ => None,
        })
        .unwrap_or(CommandKind::Run)
}

/// The command to suggest for a mistyped `word`: clap's own suggestion when
/// it has one (the word is parsed by a command that has bktec's subcommands
/// but not the hidden positional that lets bare `bktec` take a stray word,
/// D1, so clap's "unrecognized subcommand" error carries it). clap's
/// similarity rule misses transpositions (`rnu`), so the closest command by
/// optimal string alignment distance, at most 2 edits and fewer than the
/// word's length, is the second choice.
pub fn suggest_command(word: &str) -> Option<String> {
    let cli = Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    let probe = clap::Command::new("bktec").subcommands(cli.get_subcommands().cloned());
    let from_clap = probe
        .try_get_matches_from(["bktec", word])
        .err()
        .and_then(|err| match err.get(ContextKind::SuggestedSubcommand)? {
            ContextValue::String(s) => Some(s.clone()),
            ContextValue::Strings(s) => s.first().cloned(),
            _ => None,
        });
    from_clap.or_else(|| {
        names
            .into_iter()
            .map(|name| (strsim::osa_distance(word, &name), name))
            .filter(|(d, _)| *d <= 2 && *d < word.chars().count())
            .min()
            .map(|(_, name)| name)
    })
}

/// A shell completion script for `shell`. It offers what `--help` shows:
/// hidden flags and commands (the Buildkite job context, which the agent
/// sets; the preview's) are left out, as the README says, though they work
/// when typed (issue 21, item 10).
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut shown(&Cli::command()), "bktec", &mut script);
    String::from_utf8(script).expect("clap_complete writes UTF-8")
}

/// `cmd` with only its shown arguments and commands, for completion.
fn shown(cmd: &clap::Command) -> clap::Command {
    let mut shown = clap::Command::new(cmd.get_name().to_string())
        .args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .subcommands(
            cmd.get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(shown),
        );
    if let Some(about) = cmd.get_about() {
        shown = shown.about(about.clone());
    }
    shown
}

/// Whether clap's "error" is help or version output, which exits 0.
fn exits_zero(err: &clap::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    )
}

/// A usage error that clap cannot find: flags that exclude each other across
/// the whole command line.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `bktec plan` without an output flag.
    #[error("one of these flags needs to be provided: json, plan-out, pipeline-upload")]
    NoPlanOutput,
    /// `bktec plan` with two output flags.
    #[error("option {first} cannot be set along with option {second}")]
    ConflictingPlanOutputs {
        /// The first flag given, without dashes.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
    /// A fail-fast option in the test command while retries are on (D23).
    #[error(
        "bktec run: the test command (from {origin}) has `{option}`, which stops the run at the first failure, and retries are on ({retries}): a retry of that failure could pass while the tests after it never ran. Remove `{option}`, or turn retries off (BUILDKITE_TEST_ENGINE_RETRY_COUNT=0)"
    )]
    FailFastWithRetries {
        /// The option, as written.
        option: String,
        /// Where the test command came from, described.
        origin: String,
        /// The retry count.
        retries: u32,
    },
    /// A test selection preview flag while the preview is off (D40).
    #[error(
        "unexpected argument '{flag}' found: it is part of the test selection preview; set BKTEC_PREVIEW_SELECTION=true to use it"
    )]
    PreviewOff {
        /// The flag, as given.
        flag: String,
    },
    /// `run --store-durations` in one job of several (D31).
    #[error(
        "bktec run: --store-durations is for a single local run, and this is one of {jobs} parallel jobs: each job would write only its own durations, and the next build's jobs could plan from different files. Keep each job's result file and merge them with `bktec durations update RESULT_FILE...`"
    )]
    StoreDurationsInParallel {
        /// The parallelism.
        jobs: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(args: &[&str]) -> Cli {
        match parse(args.iter().map(OsString::from).collect(), false) {
            Parsed::Cli(cli) => *cli,
            Parsed::Exit { message, .. } => panic!("{args:?} failed: {message}"),
        }
    }

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_mistyped_command_gets_a_suggestion() {
        assert_eq!(suggest_command("rnu").as_deref(), Some("run"));
        assert_eq!(suggest_command("confgi").as_deref(), Some("config"));
        assert_eq!(suggest_command("shcema").as_deref(), Some("schema"));
        assert_eq!(suggest_command("frobnicate"), None);
    }

    #[test]
    fn completions_are_generated_for_every_shell() {
        use clap::ValueEnum;
        for shell in clap_complete::Shell::value_variants() {
            let script = completions(*shell);
            for word in ["bktec", "run", "plan", "completions", "test-runner"] {
                assert!(script.contains(word), "{shell}: no `{word}` in\n{script}");
            }
        }
    }

    #[test]
    fn bare_flags_mean_run() {
        let cli = parse_ok(&["bktec", "--parallelism", "3"]);
        assert!(matches!(cli.command, Some(Command::Run(_))));
        let cli = parse_ok(&["bktec"]);
        assert!(cli.command.is_none() && cli.stray.is_none());
    }

    #[test]
    fn debug_is_global() {
        assert_eq!(
            parse_ok(&["bktec", "--debug", "run"]).debug.as_deref(),
            Some("true")
        );
        assert_eq!(
            parse_ok(&["bktec", "run", "--debug"]).debug.as_deref(),
            Some("true")
        );
    }

    #[test]
    fn version_works_on_every_command_and_prints_the_same_line() {
        // Behaviour document 1.1: `--version` works even on a sub-command.
        let expected = format!("bktec {}\n", crate::VERSION);
        for args in [
            &["bktec", "--version"][..],
            &["bktec", "-V"],
            &["bktec", "run", "--version"],
            &["bktec", "run", "--test-runner", "pytest", "--version"],
            &["bktec", "plan", "--version"],
            &["bktec", "list", "--version"],
            &["bktec", "config", "-V"],
            &["bktec", "--debug", "run", "--version"],
            &["bktec", "--parallelism", "3", "--version"],
        ] {
            match parse(args.iter().map(OsString::from).collect(), false) {
                Parsed::Exit { status, message } => {
                    assert_eq!(
                        (status, message.as_str()),
                        (0, expected.as_str()),
                        "{args:?}"
                    );
                }
                Parsed::Cli(cli) => panic!("{args:?} parsed as {cli:?}"),
            }
        }
    }

    #[test]
    fn no_flag_wins_when_last() {
        let cli = parse_ok(&["bktec", "run", "--oidc", "--no-oidc"]);
        let Some(Command::Run(run)) = cli.command else {
            panic!("expected run");
        };
        let debug = format!("{:?}", run.settings.overrides);
        assert!(debug.contains("--no-oidc"), "{debug}");
    }

    #[test]
    fn every_visible_flag_names_its_env_var_and_key_in_help() {
        for (name, kind) in [("run", CommandKind::Run), ("plan", CommandKind::Plan)] {
            let mut cmd = command(true);
            let help = cmd
                .find_subcommand_mut(name)
                .expect("subcommand exists")
                .render_help()
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for s in flag_settings(kind).filter(|s| !s.hidden) {
                let flag = s.flag_text().unwrap();
                assert!(help.contains(&flag), "{name} help lacks {flag}");
                for env in s.env {
                    assert!(help.contains(env), "{name} help lacks {env}");
                }
                if s.in_file() {
                    assert!(
                        help.contains(&format!("bktec.toml: {}", s.key)),
                        "{name} help lacks {}",
                        s.key
                    );
                }
            }
        }
    }

    fn help_of(command: &mut clap::Command, name: &str) -> String {
        command
            .find_subcommand_mut(name)
            .expect("subcommand exists")
            .render_help()
            .to_string()
    }

    #[test]
    fn preview_flags_are_shown_only_with_the_gate_on() {
        // D40: as the Go client, which defines them only then.
        for name in ["run", "plan"] {
            let off = help_of(&mut command(false), name);
            let on = help_of(&mut command(true), name);
            for flag in [
                "--selection-strategy",
                "--selection-param",
                "--metadata",
                "--collect-git-metadata",
                "--remote",
            ] {
                assert!(
                    !off.contains(flag),
                    "{name} help shows {flag} with the gate off"
                );
                assert!(
                    on.contains(flag),
                    "{name} help lacks {flag} with the gate on"
                );
            }
            assert!(on.contains("Preview: test selection"), "{on}");
        }
    }

    #[test]
    fn preview_flags_are_refused_with_the_gate_off_and_parsed_with_it_on() {
        for args in [
            &["bktec", "plan", "--json", "--selection-strategy", "percent"][..],
            &["bktec", "run", "--metadata", "a=b"],
            &["bktec", "--selection-param", "percent=40"],
            &["bktec", "config", "--collect-git-metadata"],
            &["bktec", "run", "--remote=upstream"],
        ] {
            let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
            match parse(argv.clone(), false) {
                Parsed::Exit { status, message } => {
                    assert_eq!(status, crate::exit_code::CONFIG_ERROR, "{args:?}");
                    assert!(
                        message.contains("BKTEC_PREVIEW_SELECTION=true"),
                        "{message}"
                    );
                    assert!(message.contains("unexpected argument '--"), "{message}");
                }
                Parsed::Cli(cli) => panic!("{args:?} parsed with the gate off: {cli:?}"),
            }
            assert!(matches!(parse(argv, true), Parsed::Cli(_)), "{args:?}");
        }
    }
}
