use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal integer (D5): `010` is ten, `0x10` is an error. Negative values
/// parse, so that validation can say "was -1, must be ...".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Int(pub i64);

/// Why a string is not a decimal integer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IntError {
    /// Not digits with an optional sign.
    #[error("`{0}` is not a decimal integer")]
    NotDecimal(String),
    /// Digits, but too many of them (D27: an overflow is an error, never a wrap or a panic).
    #[error("`{0}` is out of range for an integer")]
    OutOfRange(String),
}

impl FromStr for Int {
    type Err = IntError;

    fn from_str(s: &str) -> Result<Int, IntError> {
        let t = s.trim();
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IntError::NotDecimal(s.to_string()));
        }
        t.parse::<i64>()
            .map(Int)
            .map_err(|_| IntError::OutOfRange(s.to_string()))
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(IntError::OutOfRange(v.to_string())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(IntVisitor)
    }
}

impl JsonSchema for Int {
    fn schema_name() -> Cow<'static, str> {
        "Int".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_only() {
        // D5: leading zeros are decimal, other bases are errors.
        assert_eq!("010".parse(), Ok(Int(10)));
        assert_eq!("-3".parse(), Ok(Int(-3)));
        assert_eq!(" 7 ".parse(), Ok(Int(7)));
        assert!("0x10".parse::<Int>().is_err());
        assert!("0o7".parse::<Int>().is_err());
        assert!("1_000".parse::<Int>().is_err());
        assert!("abc".parse::<Int>().is_err());
        assert!("".parse::<Int>().is_err());
        // D27: an overflow says so, naming the value.
        assert_eq!(
            "99999999999999999999".parse::<Int>(),
            Err(IntError::OutOfRange("99999999999999999999".into()))
        );
        assert_eq!(
            IntError::OutOfRange("-99999999999999999999".into()).to_string(),
            "`-99999999999999999999` is out of range for an integer"
        );
    }
}
