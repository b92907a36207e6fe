//! The JSON Schema of `bktec.toml`, generated from [`BktecOptions`] and kept in
//! `schemas/bktec.schema.json` by a test.

use serde_json::Value;

use crate::config::options::BktecOptions;

/// The schema as pretty-printed JSON with a trailing newline.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<BktecOptions>();
    let mut value = schema.to_value();
    remove_null(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a schema serializes");
    text.push('\n');
    text
}

/// TOML has no null (a key is left out to leave a value unset), so the
/// `null` that schemars adds for `Option` fields is taken out again.
fn remove_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_string(), only);
                }
            }
            for (_, v) in map.iter_mut() {
                remove_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(remove_null),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}
