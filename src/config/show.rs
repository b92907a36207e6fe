//! `bktec config`: every setting with its value and origin, secrets redacted.

use serde_json::json;

use crate::config::load::{LoadedConfig, SettingValue};
use crate::config::origin::Origin;
use crate::config::registry::SETTINGS;
use crate::runner::RunnerKind;

const REDACTED: &str = "REDACTED";

/// One row of `bktec config`.
#[derive(Debug)]
pub struct ShownSetting {
    /// The key path.
    pub key: &'static str,
    /// The primary environment variable.
    pub env: Option<&'static str>,
    /// The flag.
    pub flag: Option<String>,
    /// The value as JSON (`null` when unset; `"REDACTED"` for a set secret).
    pub value: serde_json::Value,
    /// The value as text.
    pub text: String,
    /// Where it came from.
    pub origin: String,
}

/// The rows of `bktec config`, in registry order. An unset or empty test file
/// pattern shows the configured runner's default, with that origin.
pub fn shown_settings(loaded: &LoadedConfig) -> Vec<ShownSetting> {
    let runner = match loaded.value("runner.name") {
        Some(SettingValue::Text(name)) => name.parse::<RunnerKind>().ok(),
        _ => None,
    };
    SETTINGS
        .iter()
        .map(|s| {
            let mut value = loaded.value(s.key).cloned();
            let mut origin = loaded.origin(s.key);
            let empty = match &value {
                None => true,
                Some(SettingValue::Text(t)) => t.is_empty(),
                Some(_) => false,
            };
            if let (true, "files.pattern", Some(runner)) = (empty, s.key, runner) {
                if let Some(pattern) = runner.default_pattern() {
                    value = Some(SettingValue::Text(pattern.to_string()));
                    origin = Origin::RunnerDefault(runner);
                }
            }
            let (json, text) = match &value {
                // A value that does not parse is shown as such; the error
                // after the table says why.
                None if loaded.is_broken(s.key) => {
                    (serde_json::Value::Null, "(invalid)".to_string())
                }
                None => (serde_json::Value::Null, "(unset)".to_string()),
                Some(_) if s.is_secret() => (json!(REDACTED), REDACTED.to_string()),
                Some(v) => (v.to_json(), v.to_text()),
            };
            ShownSetting {
                key: s.key,
                env: s.primary_env(),
                flag: s.flag_text(),
                value: json,
                text,
                origin: origin.to_string(),
            }
        })
        .collect()
}

/// `bktec config --json`.
pub fn render_json(rows: &[ShownSetting]) -> String {
    let settings: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "key": r.key,
                "env": r.env,
                "flag": r.flag,
                "value": r.value,
                "origin": r.origin,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "settings": settings }))
        .expect("JSON values serialize");
    text.push('\n');
    text
}

/// `bktec config` as an aligned table.
pub fn render_text(rows: &[ShownSetting]) -> String {
    let key_width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|r| r.text.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    let mut out = format!("{:key_width$}  {:value_width$}  ORIGIN\n", "KEY", "VALUE");
    for r in rows {
        out.push_str(&format!(
            "{:key_width$}  {:value_width$}  {}\n",
            r.key, r.text, r.origin
        ));
    }
    out
}

/// The configuration reference table of the README, generated from the registry.
pub fn reference_markdown() -> String {
    use crate::config::registry::Placement;
    let mut out = String::from(
        "| bktec.toml key | Environment variable | Flag | Default | Meaning |\n|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let key = match s.placement {
            Placement::Everywhere => format!("`{}`", s.key),
            Placement::Secret => "*(secret: env or flag only)*".to_string(),
            Placement::JobContext => "*(job context: env or flag only)*".to_string(),
        };
        let env = if s.env.is_empty() {
            "—".to_string()
        } else {
            s.env
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", then ")
        };
        let flag = s.flag_text().map_or("—".to_string(), |f| format!("`{f}`"));
        let default = s.default.map_or("—".to_string(), |d| format!("`{d}`"));
        out.push_str(&format!(
            "| {key} | {env} | {flag} | {default} | {} |\n",
            s.doc.replace('|', "\\|")
        ));
    }
    out
}
