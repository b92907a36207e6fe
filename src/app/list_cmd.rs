//! `bktec list`: the targets `run` would plan, in the order it would send
//! them, as lines or as JSON with where they came from.

use super::Context;
use super::error::BktecError;
use super::targets::targets;
use crate::config::{Origin, RunSettings};
use crate::discover::{Discovery, TargetSource};
use crate::events::Notice;
use crate::exit_code;
use crate::report::Reporter;

/// Lists the targets of `settings`.
pub(super) fn list(
    context: &Context,
    settings: &RunSettings,
    json: bool,
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    let discovery = targets(context, settings, reporter)?;
    let text = if json {
        as_json(&discovery)
    } else {
        discovery
            .targets
            .iter()
            .map(|target| format!("{target}\n"))
            .collect()
    };
    reporter.notice(Notice::Document(&text));
    Ok(exit_code::SUCCESS)
}

/// The targets and their source as a JSON document.
fn as_json(discovery: &Discovery) -> String {
    let sourced = |value: &str, origin: &Origin| serde_json::json!({ "value": value, "origin": origin.to_string() });
    let mut doc = serde_json::json!({ "targets": discovery.targets });
    match &discovery.source {
        TargetSource::Walk { pattern, exclude } => {
            doc["source"] = "discovery".into();
            doc["pattern"] = sourced(&pattern.value, &pattern.origin);
            doc["exclude_pattern"] = sourced(&exclude.value, &exclude.origin);
        }
        TargetSource::FilesList(file) => {
            doc["source"] = "files".into();
            doc["file"] = sourced(&file.value.display().to_string(), &file.origin);
        }
        TargetSource::SelectorFile(file) => {
            doc["source"] = "selector-file".into();
            doc["file"] = sourced(&file.value.display().to_string(), &file.origin);
        }
        TargetSource::GoList => doc["source"] = "go-list".into(),
        TargetSource::Pytest { command, collected } => {
            doc["source"] = "pytest".into();
            doc["command"] = command.as_str().into();
            doc["tests"] = collected.len().into();
        }
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    text.push('\n');
    text
}
