//! `bktec config`: every setting with its value and origin, secrets redacted.

use serde_json::json;

use crate::config::load::LoadedConfig;
use crate::config::origin::Origin;
use crate::config::registry::{FILES, RUNNER, SETTINGS, Shown};
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
    let runner = loaded
        .get(RUNNER.name)
        .and_then(|name| name.parse::<RunnerKind>().ok());
    SETTINGS
        .iter()
        .map(|s| {
            let mut shown = loaded.shown(s);
            let mut origin = loaded.origin(s);
            let empty = match &shown {
                Shown::Unset => true,
                Shown::Set { empty, .. } => *empty,
                Shown::Invalid(_) => false,
            };
            if let (true, true, Some(runner)) = (empty, s.key == FILES.pattern.key, runner) {
                if let Some(pattern) = runner.default_pattern() {
                    shown = Shown::Set {
                        text: format!("{pattern:?}"),
                        json: json!(pattern),
                        empty: false,
                    };
                    origin = Origin::RunnerDefault(runner);
                }
            }
            let (json, text) = match shown {
                // A value that does not parse is shown as such; the error
                // after the table says why.
                Shown::Invalid(_) => (serde_json::Value::Null, "(invalid)".to_string()),
                Shown::Unset => (serde_json::Value::Null, "(unset)".to_string()),
                Shown::Set { .. } if s.is_secret() => (json!(REDACTED), REDACTED.to_string()),
                Shown::Set { text, json, .. } => (json, text),
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
            s.doc().replace('|', "\\|")
        ));
    }
    out
}
