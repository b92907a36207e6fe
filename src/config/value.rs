//! The values of settings: the types a setting may have ([`SettingType`]),
//! a value as a layer gave it ([`Given`]), and its type-erased state for
//! `bktec config` ([`Shown`]).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::elements::{ConfigPath, Entries, Flag, GoDuration, Int, KeyValues};
use crate::config::setting::{Range, SettingKind};

/// [`Setting::check`](crate::config::setting::Setting::check) for a field of type `T`.
pub(crate) fn check_range<T: SettingType>(
    given: Option<&Given<T>>,
    range: Range,
) -> Option<String> {
    given
        .and_then(|g| g.0.as_ref().ok())
        .and_then(|value| value.out_of_range(range))
}

/// A value as a layer gave it: the parsed value, or why it does not parse.
/// Deserializing one never fails, so extracting [`BktecOptions`](crate::config::registry::BktecOptions) always
/// succeeds and every bad value is reported, not just the first (issue #9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given<T>(pub Result<T, Unparsed>);

/// Why a value does not parse, in the words of its type's deserializer
/// (which reports it, with the value and the setting's origin).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unparsed(pub String);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Given<T>, D::Error> {
        let raw = <figment::value::Value as Deserialize>::deserialize(d)?;
        Ok(Given(
            raw.deserialize::<T>()
                .map_err(|e| Unparsed(e.kind.to_string())),
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
    fn schema_name() -> Cow<'static, str> {
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
            Some(Err(message)) => Shown::Invalid(message.to_string()),
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

impl SettingType for Entries {
    const KIND: SettingKind = SettingKind::KeyValues;
    fn to_text(&self) -> String {
        format!("{:?}", self.to_string())
    }
}
