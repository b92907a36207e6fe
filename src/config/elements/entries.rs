use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `key=value` entries of a repeatable flag, such as the test selection
/// preview's `--selection-param` and `--metadata` (D40). Unlike
/// [`KeyValues`](super::KeyValues), an entry is never split on `,` nor
/// trimmed, as in the Go client: a value may hold commas, spaces and
/// newlines (a commit message). Each entry splits at its first `=`; the key
/// must not be empty; a later entry with the same key replaces an earlier
/// one. In `bktec.toml` it is an array of `"key=value"` strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entries(pub Vec<(String, String)>);

/// Why an entry is not `key=value`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum EntriesError {
    /// No `=` in the entry.
    #[error("`{0}` must use key=value format")]
    NotKeyValue(String),
    /// Nothing before the `=`.
    #[error("`{0}` has empty key")]
    EmptyKey(String),
}

impl Entries {
    fn push(&mut self, entry: &str) -> Result<(), EntriesError> {
        let Some((key, value)) = entry.split_once('=') else {
            return Err(EntriesError::NotKeyValue(entry.to_string()));
        };
        if key.is_empty() {
            return Err(EntriesError::EmptyKey(entry.to_string()));
        }
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.to_string()));
        Ok(())
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(" "))
    }
}

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(k, v)| format!("{k}={v}")))
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of \"key=value\" strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entries, A::Error> {
                let mut entries = Entries::default();
                while let Some(entry) = seq.next_element::<String>()? {
                    entries.push(&entry).map_err(de::Error::custom)?;
                }
                Ok(entries)
            }
        }
        d.deserialize_seq(EntriesVisitor)
    }
}

impl JsonSchema for Entries {
    fn schema_name() -> Cow<'static, str> {
        "Entries".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": { "type": "string", "pattern": "^[^=]+=" }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> Result<Entries, EntriesError> {
        let mut parsed = Entries::default();
        for e in entries {
            parsed.push(e)?;
        }
        Ok(parsed)
    }

    #[test]
    fn entries_split_at_the_first_equals_and_keep_commas_spaces_and_newlines() {
        let parsed = parse(&["percent=40", "msg= a,b=c\nd ", "empty=", "percent=50"]).unwrap();
        assert_eq!(
            parsed.0,
            [
                ("msg".to_string(), " a,b=c\nd ".to_string()),
                ("empty".to_string(), String::new()),
                ("percent".to_string(), "50".to_string()),
            ]
        );
        assert_eq!(parsed.get("percent"), Some("50"));
    }

    #[test]
    fn an_entry_without_equals_or_key_is_refused() {
        assert_eq!(
            parse(&["percent"]),
            Err(EntriesError::NotKeyValue("percent".into()))
        );
        assert_eq!(parse(&["=40"]), Err(EntriesError::EmptyKey("=40".into())));
    }
}
