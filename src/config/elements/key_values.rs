use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `key=value` pairs, such as upload tags. Text is split on `,`; each piece is
/// split at its first `=`; the key must not be empty; the value may be empty
/// or contain `=`. In `bktec.toml` it is an array of `"key=value"` strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyValues(pub Vec<(String, String)>);

/// Why an entry is not `key=value`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyValuesError {
    /// No `=` in the entry.
    #[error("tag `{0}` must use key=value format")]
    NotKeyValue(String),
    /// Nothing before the `=`.
    #[error("tag `{0}` has empty key")]
    EmptyKey(String),
}

impl KeyValues {
    fn push_text(&mut self, text: &str) -> Result<(), KeyValuesError> {
        for entry in text.split(',') {
            let Some((key, value)) = entry.split_once('=') else {
                return Err(KeyValuesError::NotKeyValue(entry.to_string()));
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(KeyValuesError::EmptyKey(entry.to_string()));
            }
            // Later duplicates overwrite earlier ones.
            self.0.retain(|(k, _)| k != key);
            self.0.push((key.to_string(), value.trim().to_string()));
        }
        Ok(())
    }
}

impl FromStr for KeyValues {
    type Err = KeyValuesError;

    fn from_str(s: &str) -> Result<KeyValues, KeyValuesError> {
        let mut kv = KeyValues::default();
        if !s.is_empty() {
            kv.push_text(s)?;
        }
        Ok(kv)
    }
}

impl fmt::Display for KeyValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(","))
    }
}

impl Serialize for KeyValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(k, v)| format!("{k}={v}")))
    }
}

impl<'de> Deserialize<'de> for KeyValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyValues, D::Error> {
        struct KeyValuesVisitor;
        impl<'de> Visitor<'de> for KeyValuesVisitor {
            type Value = KeyValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of \"key=value\" strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyValues, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyValues, A::Error> {
                let mut kv = KeyValues::default();
                while let Some(entry) = seq.next_element::<String>()? {
                    kv.push_text(&entry).map_err(de::Error::custom)?;
                }
                Ok(kv)
            }
        }
        d.deserialize_any(KeyValuesVisitor)
    }
}

impl JsonSchema for KeyValues {
    fn schema_name() -> Cow<'static, str> {
        "KeyValues".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": { "type": "string", "pattern": "^[^=,]*[^=,\\s][^=,]*=[^,]*$" }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comma_separated_pairs() {
        let kv: KeyValues = "team=web,os=linux,expr=a=b,empty=".parse().unwrap();
        assert_eq!(kv.to_string(), "team=web,os=linux,expr=a=b,empty=");
        let dup: KeyValues = "a=1,a=2".parse().unwrap();
        assert_eq!(dup.to_string(), "a=2");
    }

    #[test]
    fn rejects_bad_entries() {
        assert_eq!(
            "team".parse::<KeyValues>(),
            Err(KeyValuesError::NotKeyValue("team".into()))
        );
        assert_eq!(
            "=x".parse::<KeyValues>(),
            Err(KeyValuesError::EmptyKey("=x".into()))
        );
    }
}
