//! The JSON Schema of `bktec.toml`, derived from [`BktecOptions`] (whose
//! field docs are the registry's) and kept in `schemas/bktec.schema.json` by a
//! test. What the derive cannot know comes from the registry too: settings
//! that may not be written in a file (job context, secrets) are left out,
//! numbers get their ranges (D27), and the runner its names.

use serde_json::{Map, Value, json};

use crate::config::elements::RunnerKind;
use crate::config::registry::{BktecOptions, FILES, RETRY, RUNNER, Range, SETTINGS, Setting};
use crate::config::resolve::{DISCOVERY_MODES, FLAKY_RESULTS};

/// The schema as pretty-printed JSON with a trailing newline.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<BktecOptions>();
    let mut value = schema.to_value();
    remove_null(&mut value);
    for setting in SETTINGS {
        apply_registry(&mut value, setting);
    }
    remove_empty_sections(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a schema serializes");
    text.push('\n');
    text
}

/// The `properties` object that holds `setting`'s leaf: the root's, or that
/// of its section's definition.
fn properties_of<'a>(
    schema: &'a mut Value,
    setting: &Setting,
) -> Option<&'a mut Map<String, Value>> {
    let parts: Vec<&str> = setting.path().collect();
    let object = match parts.as_slice() {
        [_] => schema,
        [section, _] => {
            let reference = schema["properties"][section]["allOf"][0]["$ref"]
                .as_str()?
                .rsplit('/')
                .next()?
                .to_string();
            &mut schema["definitions"][reference]
        }
        _ => return None,
    };
    object.get_mut("properties")?.as_object_mut()
}

fn apply_registry(schema: &mut Value, setting: &Setting) {
    let leaf = setting.path().last().expect("a key has a part");
    let Some(properties) = properties_of(schema, setting) else {
        return;
    };
    if !setting.in_file() {
        // D2, D3: job context and secrets are refused in files.
        properties.shift_remove(leaf);
        return;
    }
    let Some(Value::Object(property)) = properties.get_mut(leaf) else {
        return;
    };
    let mut description = setting.doc().to_string();
    if !setting.env.is_empty() {
        description.push_str(&format!(" Env: {}.", setting.env.join(", then ")));
    }
    if let Some(flag) = setting.flag_text() {
        description.push_str(&format!(" Flag: {flag}."));
    }
    property.insert("description".into(), json!(description));
    match setting.range {
        Range::Count { min, max } => {
            property.insert("minimum".into(), json!(min));
            property.insert("maximum".into(), json!(max));
        }
        Range::CountOrOff { max } => {
            property.insert("minimum".into(), json!(0));
            property.insert("maximum".into(), json!(max));
        }
        Range::NotNumeric | Range::Duration { .. } | Range::DurationOrZero { .. } => {}
    }
    if setting.key == RUNNER.name.key {
        let names: Vec<&str> = RunnerKind::ALL.iter().map(|r| r.as_str()).collect();
        property.insert("enum".into(), json!(names));
    }
    if setting.key == FILES.discovery.key {
        property.insert("enum".into(), json!(DISCOVERY_MODES));
    }
    if setting.key == RETRY.flaky_result.key {
        property.insert("enum".into(), json!(FLAKY_RESULTS));
    }
}

/// Sections left with no file setting (`[buildkite]`) are not in the schema,
/// so that a file that has one is rejected.
fn remove_empty_sections(schema: &mut Value) {
    let mut empty = Vec::new();
    if let Some(Value::Object(definitions)) = schema.get("definitions") {
        for (name, definition) in definitions {
            if definition["properties"]
                .as_object()
                .is_some_and(Map::is_empty)
            {
                empty.push(name.clone());
            }
        }
    }
    for name in empty {
        let reference = format!("#/definitions/{name}");
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.retain(|_, p| p["allOf"][0]["$ref"] != reference.as_str());
        }
        if let Some(Value::Object(definitions)) = schema.get_mut("definitions") {
            definitions.shift_remove(&name);
        }
    }
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
