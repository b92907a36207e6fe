use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A boolean. From text it accepts the Go client's spellings
/// (`1 t T TRUE true True 0 f F FALSE false False`) and nothing else; the
/// empty string is `false`, as an empty Go bool variable is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

/// Why a string is not a boolean.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a boolean (use true or false)")]
pub struct FlagError(pub String);

impl FromStr for Flag {
    type Err = FlagError;

    fn from_str(s: &str) -> Result<Flag, FlagError> {
        match s {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Flag(true)),
            "" | "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Flag(false)),
            _ => Err(FlagError(s.to_string())),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(self.0)
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flag, D::Error> {
        struct FlagVisitor;
        impl Visitor<'_> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(FlagVisitor)
    }
}

impl JsonSchema for Flag {
    fn schema_name() -> Cow<'static, str> {
        "Flag".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "boolean" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_spellings() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(t.parse(), Ok(Flag(true)), "{t}");
        }
        for f in ["", "0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(f.parse(), Ok(Flag(false)), "{f}");
        }
        for bad in ["yes", "on", "tRuE", "2"] {
            assert!(bad.parse::<Flag>().is_err(), "{bad}");
        }
    }
}
