//! What a setting is: its metadata (key, variables, flag, kind, default,
//! range, documentation), the typed handle [`Key`] through which code reads
//! it, and the value types a setting may have ([`SettingType`]). The
//! settings themselves are the entries of `registry.rs`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::elements::{ConfigPath, Flag, GoDuration, Int, KeyValues};
use crate::config::registry::BktecOptions;

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
    /// `run`, `plan`, `list` and `config`.
    All,
    /// `run` (and `list`/`config`, which describe a run) but not `plan`.
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
}

impl CommandKind {
    /// The command's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Run => "run",
            CommandKind::Plan => "plan",
            CommandKind::List => "list",
            CommandKind::Config => "config",
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

    /// Whether the value is a secret that must never be printed.
    pub fn is_secret(&self) -> bool {
        self.placement == Placement::Secret
    }

    /// Whether `command` accepts this setting's flag.
    pub fn accepted_by(&self, command: CommandKind) -> bool {
        match (self.scope, command) {
            (Scope::All, _) | (_, CommandKind::Config) => true,
            (Scope::RunOnly, CommandKind::Run | CommandKind::List) => true,
            (Scope::RunOnly, CommandKind::Plan) => false,
            (Scope::PlanOnly, CommandKind::Plan) => true,
            (Scope::PlanOnly, CommandKind::Run | CommandKind::List) => false,
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

/// [`Setting::check`] for a field of type `T`.
pub fn check_range<T: SettingType>(given: Option<&Given<T>>, range: Range) -> Option<String> {
    given
        .and_then(|g| g.0.as_ref().ok())
        .and_then(|value| value.out_of_range(range))
}

/// A value as a layer gave it: the parsed value, or why it does not parse.
/// Deserializing one never fails, so extracting [`BktecOptions`] always
/// succeeds and every bad value is reported, not just the first (issue #9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given<T>(pub Result<T, String>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Given<T>, D::Error> {
        let raw = <figment::value::Value as Deserialize>::deserialize(d)?;
        Ok(Given(
            raw.deserialize::<T>().map_err(|e| e.kind.to_string()),
        ))
    }
}

impl<T: Serialize> Serialize for Given<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(value) => value.serialize(s),
            Err(_) => s.serialize_none(),
        }
    }
}

impl<T: JsonSchema> JsonSchema for Given<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A setting's state, type erased, for `bktec config` and for load's checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    /// No layer set it.
    Unset,
    /// A layer set a value that does not parse; why.
    Invalid(String),
    /// A value.
    Set {
        /// As text, for the table.
        text: String,
        /// As JSON, for `--json`.
        json: serde_json::Value,
        /// Whether it counts as absent (empty text).
        empty: bool,
    },
}

impl Shown {
    /// The state of `given`.
    pub fn of<T: SettingType>(given: Option<&Given<T>>) -> Shown {
        match given.map(|g| &g.0) {
            None => Shown::Unset,
            Some(Err(message)) => Shown::Invalid(message.clone()),
            Some(Ok(value)) => Shown::Set {
                text: value.to_text(),
                json: serde_json::to_value(value).expect("setting values serialize"),
                empty: value.is_empty(),
            },
        }
    }
}

/// A type a setting's value may have. Each accepts its TOML shape and, for
/// the environment and flags, text, parsed by the same rules everywhere.
pub trait SettingType: DeserializeOwned + Serialize + JsonSchema + fmt::Debug + 'static {
    /// How the command line and the environment treat it.
    const KIND: SettingKind;

    /// The value as `bktec config` shows it.
    fn to_text(&self) -> String;

    /// Whether the value counts as absent (only empty text does).
    fn is_empty(&self) -> bool {
        false
    }

    /// Why the value is outside `range`, if it is (D27). Only numbers have
    /// ranges; a registry test checks that each number has one of its kind.
    fn out_of_range(&self, _range: Range) -> Option<String> {
        None
    }
}

impl SettingType for String {
    const KIND: SettingKind = SettingKind::Text;
    fn to_text(&self) -> String {
        format!("{self:?}")
    }
    fn is_empty(&self) -> bool {
        String::is_empty(self)
    }
}

impl SettingType for ConfigPath {
    const KIND: SettingKind = SettingKind::Path;
    fn to_text(&self) -> String {
        format!("{:?}", self.0)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl SettingType for Flag {
    const KIND: SettingKind = SettingKind::Bool;
    fn to_text(&self) -> String {
        self.0.to_string()
    }
}

impl SettingType for Int {
    const KIND: SettingKind = SettingKind::Int;
    fn to_text(&self) -> String {
        self.0.to_string()
    }
    /// The wording of the bounds that the Go client checks is the Go
    /// client's (behaviour document 2.3-2.5).
    fn out_of_range(&self, range: Range) -> Option<String> {
        let v = self.0;
        match range {
            Range::Count { min, .. } if v < min => {
                Some(format!("was {v}, must be greater than or equal to {min}"))
            }
            Range::Count { max, .. } if v > max => {
                Some(format!("was {v}, must not be greater than {max}"))
            }
            Range::CountOrOff { max } if !(0..=max).contains(&v) => {
                Some(format!("was {v}, must be between 0 and {max}"))
            }
            Range::Count { .. }
            | Range::CountOrOff { .. }
            | Range::NotNumeric
            | Range::Duration { .. }
            | Range::DurationOrZero { .. } => None,
        }
    }
}

impl SettingType for GoDuration {
    const KIND: SettingKind = SettingKind::Duration;
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn out_of_range(&self, range: Range) -> Option<String> {
        let d = *self;
        match range {
            Range::Duration { .. } if d.is_negative() || d.is_zero() => {
                Some(format!("was {d}, must be greater than 0"))
            }
            Range::Duration { min, .. } if d < min => {
                Some(format!("was {d}, must be at least {}", min.in_words()))
            }
            Range::DurationOrZero { zero, .. } if d.is_negative() => {
                Some(format!("was {d}, must be greater than 0, or 0 {zero}"))
            }
            Range::Duration { max, .. } | Range::DurationOrZero { max, .. } if d > max => Some(
                format!("was {d}, must be less than or equal to {}", max.in_words()),
            ),
            Range::Duration { .. }
            | Range::DurationOrZero { .. }
            | Range::NotNumeric
            | Range::Count { .. }
            | Range::CountOrOff { .. } => None,
        }
    }
}

impl SettingType for KeyValues {
    const KIND: SettingKind = SettingKind::KeyValues;
    fn to_text(&self) -> String {
        format!("{:?}", self.to_string())
    }
}
