//! `bktec config`: every setting with its value and origin, secrets redacted.

use serde_json::json;

use crate::config::elements::{RunnerFacts, RunnerKind};
use std::path::Path;

use crate::config::load::{FileChoice, FileSearch, LoadedConfig};
use crate::config::registry::{FILES, RUNNER, SETTINGS, Shown};
use crate::config::resolve::Sourced;
use crate::config::runner_defaults::{default_pattern, default_test_command};

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
    /// The values of lower layers it overrode, highest first: where each
    /// came from and its value as JSON (`"REDACTED"` for a secret).
    pub overrides: Vec<(String, serde_json::Value)>,
}

impl ShownSetting {
    /// The origin column: where the value came from, and what it overrode
    /// (`env X (overrides bktec.toml:5 = 1)`).
    fn origin_text(&self) -> String {
        if self.overrides.is_empty() {
            return self.origin.clone();
        }
        let below: Vec<String> = self
            .overrides
            .iter()
            .map(|(origin, value)| format!("{origin} = {value}"))
            .collect();
        format!("{} (overrides {})", self.origin, below.join(", "))
    }
}

/// The rows of `bktec config`, in registry order. Where the configuration
/// leaves the test file pattern or the test command unset, the row shows the
/// runner's default that `resolve` applies, with that origin, so the table
/// shows what `bktec run` will run (`runners` gives each runner's defaults,
/// and the collector probe answers for pytest's command).
pub(crate) fn shown_settings(
    loaded: &LoadedConfig,
    runners: &RunnerFacts<'_>,
) -> Vec<ShownSetting> {
    let runner = loaded
        .get(RUNNER.name)
        .and_then(|name| name.parse::<RunnerKind>().ok());
    let blank_command = !loaded.is_broken(&RUNNER.test_command)
        && loaded
            .get(RUNNER.test_command)
            .is_none_or(|command| command.trim().is_empty());
    SETTINGS
        .iter()
        .map(|s| {
            let mut shown = loaded.shown(s);
            let mut origin = loaded.origin(s).to_string();
            let unset = match &shown {
                Shown::Unset => true,
                Shown::Set { empty, .. } => *empty,
                Shown::Invalid(_) => false,
            };
            let default = match runner {
                Some(runner) if unset && s.key == FILES.pattern.key => {
                    default_pattern(runner, runners.rules(runner))
                }
                // A command of only spaces is none, as in `resolve`.
                Some(runner) if s.key == RUNNER.test_command.key && blank_command => {
                    default_test_command(runner, runners.rules(runner), Some(runners.collector()))
                }
                Some(_) | None => None,
            };
            if let Some(Sourced {
                value,
                origin: from,
            }) = default
            {
                shown = Shown::Set {
                    text: format!("{value:?}"),
                    json: json!(value),
                    empty: false,
                };
                origin = from.to_string();
            }
            let (json, text) = match shown {
                // A value that does not parse is shown as such; the error
                // after the table says why.
                Shown::Invalid(_) => (serde_json::Value::Null, "(invalid)".to_string()),
                Shown::Unset => (serde_json::Value::Null, "(unset)".to_string()),
                Shown::Set { .. } if s.is_secret() => (json!(REDACTED), REDACTED.to_string()),
                Shown::Set { text, json, .. } => (json, text),
            };
            let overrides = loaded
                .overridden(s)
                .into_iter()
                .map(|o| {
                    let value = if s.is_secret() {
                        json!(REDACTED)
                    } else {
                        o.value
                    };
                    (o.origin.to_string(), value)
                })
                .collect();
            ShownSetting {
                key: s.key,
                env: s.primary_env(),
                flag: s.flag_text(),
                value: json,
                text,
                origin,
                overrides,
            }
        })
        .collect()
}

/// Which configuration file `bktec config` read, or why none: the line
/// above its table (issue 21, item 6). `cwd` is the directory bktec runs
/// from; `started_in` where it was started, when a file above it moved it.
pub(crate) fn file_line(
    loaded: &LoadedConfig,
    choice: &FileChoice,
    cwd: &Path,
    started_in: Option<&Path>,
) -> String {
    match (loaded.file_name(), choice, started_in) {
        (Some(_), FileChoice::Auto | FileChoice::Explicit(_), Some(started_in)) => format!(
            "{} (found above {}; bktec runs from its directory)",
            cwd.join("bktec.toml").display(),
            started_in.display()
        ),
        (Some(name), FileChoice::Auto | FileChoice::Explicit(_), _) => name.to_string(),
        (None, FileChoice::Disabled, _) | (Some(_), FileChoice::Disabled, _) => {
            "none (--no-config)".to_string()
        }
        (None, FileChoice::Auto | FileChoice::Explicit(_), _) => match FileSearch::from(cwd) {
            FileSearch::Nowhere(top) if top == cwd => {
                format!("none (no bktec.toml in {})", cwd.display())
            }
            FileSearch::Nowhere(top) => format!(
                "none (no bktec.toml in {} or above it, up to {})",
                cwd.display(),
                top.display()
            ),
            FileSearch::Here | FileSearch::Above(_) => "none".to_string(),
        },
    }
}

/// `bktec config --json`. `file` is the configuration file read, if any.
pub fn render_json(file: Option<&str>, rows: &[ShownSetting]) -> String {
    let settings: Vec<_> = rows
        .iter()
        .map(|r| {
            let overrides: Vec<_> = r
                .overrides
                .iter()
                .map(|(origin, value)| json!({ "origin": origin, "value": value }))
                .collect();
            json!({
                "key": r.key,
                "env": r.env,
                "flag": r.flag,
                "value": r.value,
                "origin": r.origin,
                "overrides": overrides,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "file": file, "settings": settings }))
        .expect("JSON values serialize");
    text.push('\n');
    text
}

/// `bktec config` as an aligned table, after a line that says which
/// configuration file was read (`file`), or that none was.
pub fn render_text(file: &str, rows: &[ShownSetting]) -> String {
    let key_width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|r| r.text.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    let mut out = format!("Configuration file: {file}\n\n");
    out.push_str(&format!(
        "{:key_width$}  {:value_width$}  ORIGIN\n",
        "KEY", "VALUE"
    ));
    for r in rows {
        out.push_str(&format!(
            "{:key_width$}  {:value_width$}  {}\n",
            r.key,
            r.text,
            r.origin_text()
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::env_vars::EnvSnapshot;
    use crate::config::load::{CliOverrides, FileChoice, load};
    use crate::config::runner_defaults::test_rules;

    fn row(env: &[(&str, &str)], ask: &dyn Fn() -> bool, key: &str) -> (String, String) {
        let mut pairs = vec![("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")];
        pairs.extend_from_slice(env);
        let loaded = load(
            &EnvSnapshot::from_pairs(pairs),
            &CliOverrides::default(),
            &FileChoice::Disabled,
            Path::new("/"),
        )
        .unwrap();
        let rows = shown_settings(&loaded, &RunnerFacts::new(test_rules, ask));
        let row = rows.into_iter().find(|r| r.key == key).unwrap();
        (row.text, row.origin)
    }

    #[test]
    fn the_table_shows_the_runner_defaults_that_resolve_applies() {
        // Issue #10: the test command row said `(unset)` for pytest's default.
        let missing = || false;
        let expected = (
            "\"pytest {{testExamples}} --junit-xml={{resultPath}}\"".to_string(),
            "default for runner `pytest` (buildkite-test-collector not found)".to_string(),
        );
        assert_eq!(row(&[], &missing, "runner.test-command"), expected);
        let spaces = [("BUILDKITE_TEST_ENGINE_TEST_CMD", "  ")];
        assert_eq!(row(&spaces, &missing, "runner.test-command"), expected);
        assert_eq!(
            row(&[], &missing, "files.pattern"),
            (
                "\"**/{*_test,test_*}.py\"".to_string(),
                "default for runner `pytest`".to_string()
            )
        );
        let never = || panic!("a configured command needs no probe");
        let configured = [("BUILDKITE_TEST_ENGINE_TEST_CMD", "pytest -x")];
        assert_eq!(
            row(&configured, &never, "runner.test-command"),
            (
                "\"pytest -x\"".to_string(),
                "env BUILDKITE_TEST_ENGINE_TEST_CMD".to_string()
            )
        );
    }
}
