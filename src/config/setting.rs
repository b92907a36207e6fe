//! What a setting is: its metadata (key, variables, flag, kind, default,
//! range, documentation) and the typed handle [`Key`] through which code
//! reads it. The settings themselves are the entries of `registry.rs`; the
//! types their values may have are in `value.rs`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::config::elements::{GoDuration, RunnerKind};
use crate::config::registry::{BktecOptions, FILES, RETRY, RUNNER, TEST_ENGINE};
use crate::config::resolve::{DISCOVERY_MODES, FLAKY_RESULTS};
use crate::config::value::{Given, SettingType, Shown};

/// The value type of a setting, which decides how raw text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// Free text.
    Text,
    /// A filesystem path. Relative paths in `bktec.toml` resolve against the file's directory.
    Path,
    /// A boolean (`true`/`false`, and Go's spellings from the environment).
    Bool,
    /// A decimal integer (D5).
    Int,
    /// A Go-style duration such as `90s` or `2h`.
    Duration,
    /// `key=value` pairs (a comma-separated string, or an array in `bktec.toml`).
    KeyValues,
}

/// The values a numeric setting accepts (D27: every number has a range).
/// `resolve` checks every value against its setting's range, whatever layer
/// it came from, so that no later stage sees a nonsense number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Not a number: text, a boolean or `key=value` pairs.
    NotNumeric,
    /// An integer from `min` to `max`, both included.
    Count {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// `0` (off) or an integer from 1 to `max`.
    CountOrOff {
        /// The largest value.
        max: i64,
    },
    /// A positive duration from `min` to `max`, both included.
    Duration {
        /// The shortest value; above zero.
        min: GoDuration,
        /// The longest value.
        max: GoDuration,
    },
    /// Zero, which means `zero`, or a positive duration up to `max`.
    DurationOrZero {
        /// The longest value.
        max: GoDuration,
        /// What zero means, as it reads after "or 0" (`to kill at once`).
        zero: &'static str,
    },
}

/// Where a setting may be written by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A `bktec.toml` key, an environment variable and a flag.
    Everywhere,
    /// Buildkite job context (D2): environment and flags only.
    JobContext,
    /// A secret (D3): environment and flags only, never a file.
    Secret,
}

/// Which commands accept a setting's flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `run`, `plan` and `config` (`list` and `durations update` take
    /// only what discovery reads).
    All,
    /// `run` (and `config`, which describes a run) but not `plan`.
    RunOnly,
    /// `plan` (and `config`) only.
    PlanOnly,
}

/// The commands that take setting flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `bktec run` (and bare `bktec`).
    Run,
    /// `bktec plan`.
    Plan,
    /// `bktec list`.
    List,
    /// `bktec config`.
    Config,
    /// `bktec durations update`.
    Durations,
}

impl CommandKind {
    /// The command's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Run => "run",
            CommandKind::Plan => "plan",
            CommandKind::List => "list",
            CommandKind::Config => "config",
            CommandKind::Durations => "durations",
        }
    }
}

/// The help heading a flag is listed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Buildkite job context.
    Build,
    /// Test Engine API and uploads.
    TestEngine,
    /// The test runner and its commands.
    Runner,
    /// Test discovery.
    Files,
    /// Retries of failed tests.
    Retry,
    /// Output.
    Output,
    /// The test selection preview: these settings exist only while
    /// `BKTEC_PREVIEW_SELECTION` is truthy (D40), as the Go client's flags
    /// of its "PREVIEW: TEST SELECTION" category do.
    Selection,
}

impl Group {
    /// The help heading.
    pub fn heading(self) -> &'static str {
        match self {
            Group::Build => "Build environment",
            Group::TestEngine => "Test Engine",
            Group::Runner => "Test runner",
            Group::Files => "Test files",
            Group::Retry => "Retries",
            Group::Output => "Output",
            Group::Selection => "Preview: test selection",
        }
    }
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The key path, dotted (`runner.test-command`). For file settings this is the `bktec.toml` key.
    pub key: &'static str,
    /// Environment variables, highest priority first. The first is the primary one.
    pub env: &'static [&'static str],
    /// The long flag without dashes, if any.
    pub flag: Option<&'static str>,
    /// The value type, from the field's Rust type ([`SettingType::KIND`]).
    pub kind: SettingKind,
    /// The built-in default as TOML-style text, if any (`"1"`, `"true"`, `"2h"`).
    pub default: Option<&'static str>,
    /// Where the setting may be written.
    pub placement: Placement,
    /// Which commands accept the flag.
    pub scope: Scope,
    /// The help heading.
    pub group: Group,
    /// Hidden from `--help` (as in the Go client).
    pub hidden: bool,
    /// The values a number accepts (D27); [`Range::NotNumeric`] for the rest.
    pub range: Range,
    /// One or two sentences of documentation: the field's doc comment, which
    /// is also its schema description. Read it through [`Setting::doc`].
    pub doc_comment: &'static str,
    /// The setting's state in a merged [`BktecOptions`], without its type.
    pub read: fn(&BktecOptions) -> Shown,
    /// Why the setting's value in a merged [`BktecOptions`] is outside the
    /// given range, if it is ([`SettingType::out_of_range`]).
    pub check: fn(&BktecOptions, Range) -> Option<String>,
}

impl Setting {
    /// Why the value in `options` is outside the setting's range (D27), if
    /// it is set, parses, and is.
    pub fn out_of_range(&self, options: &BktecOptions) -> Option<String> {
        (self.check)(options, self.range)
    }

    /// The documentation, one or two sentences.
    pub fn doc(&self) -> &'static str {
        self.doc_comment.trim()
    }

    /// The primary environment variable, if any.
    pub fn primary_env(&self) -> Option<&'static str> {
        self.env.first().copied()
    }

    /// The flag with its dashes, if any.
    pub fn flag_text(&self) -> Option<String> {
        self.flag.map(|f| format!("--{f}"))
    }

    /// Whether the setting may be written in `bktec.toml`.
    pub fn in_file(&self) -> bool {
        self.placement == Placement::Everywhere
    }

    /// Whether the setting belongs to the test selection preview, which
    /// `BKTEC_PREVIEW_SELECTION` gates (D40).
    pub fn is_preview(&self) -> bool {
        self.group == Group::Selection
    }

    /// Whether the value is a secret that must never be printed.
    pub fn is_secret(&self) -> bool {
        self.placement == Placement::Secret
    }

    /// Whether `command` accepts this setting's flag: whether it reads the
    /// setting. `list` and `durations update` read only what discovery and
    /// the durations file need (issue 21, item 10); their help and
    /// completion list only those. Every command reads every variable it
    /// knows, so an environment-only setup works whatever the command.
    pub fn accepted_by(&self, command: CommandKind) -> bool {
        match (self.scope, command) {
            (_, CommandKind::List | CommandKind::Durations) => self.read_by_discovery(),
            (Scope::All, _) | (_, CommandKind::Config) => true,
            (Scope::RunOnly, CommandKind::Run) => true,
            (Scope::RunOnly, CommandKind::Plan) => false,
            (Scope::PlanOnly, CommandKind::Plan) => true,
            (Scope::PlanOnly, CommandKind::Run) => false,
        }
    }

    /// Whether discovery, which is all `list` does and what `durations
    /// update --prune` does besides its file, reads the setting: the test
    /// files settings (the durations file among them), and what discovery
    /// by pytest runs (the runner, its command, its tag filters and the
    /// collection's deadline).
    fn read_by_discovery(&self) -> bool {
        self.group == Group::Files
            || [
                RUNNER.name.key,
                RUNNER.test_command.key,
                RUNNER.collection_timeout.key,
                TEST_ENGINE.tag_filters.key,
            ]
            .contains(&self.key)
    }

    /// The values a completing shell offers for the setting: booleans,
    /// runner names, discovery modes and the other settings that take one
    /// of a few words (issue 21, item 10). Empty for free values.
    pub fn choices(&self) -> Vec<&'static str> {
        if self.kind == SettingKind::Bool {
            return vec!["true", "false"];
        }
        match self.key {
            key if key == RUNNER.name.key => RunnerKind::ALL.iter().map(|r| r.as_str()).collect(),
            key if key == FILES.discovery.key => DISCOVERY_MODES.to_vec(),
            key if key == RETRY.flaky_result.key => FLAKY_RESULTS.to_vec(),
            _ => Vec::new(),
        }
    }

    /// The key path split into its parts.
    pub fn path(&self) -> impl Iterator<Item = &'static str> {
        self.key.split('.')
    }

    /// The name a validation message uses for the setting: its primary
    /// environment variable, as the Go client does, or else its flag.
    pub fn field_name(&self) -> String {
        match (self.primary_env(), self.flag) {
            (Some(env), _) => env.to_string(),
            (None, Some(flag)) => format!("--{flag}"),
            (None, None) => self.key.to_string(),
        }
    }

    /// Every place the setting can be given, for "missing value" hints.
    pub fn places(&self) -> String {
        let mut places = Vec::new();
        if self.in_file() {
            places.push(format!("`{}` in bktec.toml", self.key));
        }
        places.extend(self.env.iter().map(|e| e.to_string()));
        if let Some(flag) = self.flag {
            places.push(format!("--{flag}"));
        }
        match places.len() {
            0 => String::new(),
            1 => places.remove(0),
            n => {
                let last = places.remove(n - 1);
                format!("{} or {last}", places.join(", "))
            }
        }
    }
}

/// A typed handle on one setting: its metadata and where its value sits in
/// [`BktecOptions`]. The registry declares one per setting, so a misspelt
/// key is a compile error and a value has the type its entry says:
///
/// ```
/// use bktec::config::registry::{BktecOptions, RETRY, RUNNER};
///
/// let options = BktecOptions::default();
/// let command: Option<&String> = RUNNER.test_command.get(&options);
/// assert_eq!((command, RETRY.count.key), (None, "retry.count"));
/// ```
///
/// ```compile_fail
/// let _ = bktec::config::registry::RUNNER.test_comand;
/// ```
pub struct Key<T: 'static> {
    /// The setting's metadata.
    pub setting: &'static Setting,
    /// The field of the merged options that holds the value.
    pub field: fn(&BktecOptions) -> Option<&Given<T>>,
    /// The value type.
    pub ty: PhantomData<fn() -> T>,
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Key<T> {}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.setting.key)
    }
}

impl<T> Deref for Key<T> {
    type Target = Setting;

    fn deref(&self) -> &Setting {
        self.setting
    }
}

impl<T: SettingType> Key<T> {
    /// The value in `options`, if a layer set it and it parsed.
    pub fn get(self, options: &BktecOptions) -> Option<&T> {
        (self.field)(options).and_then(|given| given.0.as_ref().ok())
    }
}
