use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A path setting as written. Relative paths from `bktec.toml` resolve
/// against the file's directory and others against the working directory;
/// `resolve` does that, because only it knows where the value came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct ConfigPath(pub String);

impl JsonSchema for ConfigPath {
    fn schema_name() -> Cow<'static, str> {
        "ConfigPath".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}
