//! Cucumber's JSON formatter output (behaviour document 8.3): one result per
//! scenario (each row of a scenario outline is one), named `uri:line`, which
//! is also what a retry runs. A scenario's status comes from its steps and
//! hooks, and from the background steps run just before it: any failed,
//! undefined or ambiguous one fails it; otherwise any pending or skipped one
//! skips it.

use std::path::Path;

use serde::Deserialize;

use super::{Failure, Location, Outcome, ParsedResults, ResultsError, TestResult};

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    uri: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    elements: Vec<Element>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    line: u64,
    #[serde(default)]
    before: Vec<Step>,
    #[serde(default)]
    steps: Vec<Step>,
    #[serde(default)]
    after: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    result: Option<StepResult>,
}

#[derive(Deserialize)]
struct StepResult {
    #[serde(default)]
    status: String,
    /// Nanoseconds.
    #[serde(default)]
    duration: Option<u64>,
    #[serde(default)]
    error_message: Option<String>,
}

/// Parses Cucumber JSON from `bytes` (read from `path`, for messages).
pub fn parse_cucumber_json(bytes: &[u8], path: &Path) -> Result<ParsedResults, ResultsError> {
    let features: Vec<Feature> = super::from_json(bytes, path, "Cucumber JSON")?;
    let mut tests = Vec::new();
    for feature in features {
        let mut background: Vec<Step> = Vec::new();
        for element in feature.elements {
            if element.kind == "background" {
                background = element.steps;
                continue;
            }
            if element.kind != "scenario" {
                continue;
            }
            let background = std::mem::take(&mut background);
            let steps: Vec<&Step> = background
                .iter()
                .chain(&element.before)
                .chain(&element.steps)
                .chain(&element.after)
                .collect();
            let statuses: Vec<&str> = steps
                .iter()
                .map(|s| s.result.as_ref().map_or("", |r| r.status.as_str()))
                .collect();
            let outcome = if statuses
                .iter()
                .any(|s| matches!(*s, "failed" | "undefined" | "ambiguous"))
            {
                Outcome::Failed
            } else if statuses.iter().any(|s| matches!(*s, "pending" | "skipped")) {
                Outcome::Skipped
            } else {
                Outcome::Passed
            };
            let nanos: u64 = steps
                .iter()
                .filter_map(|s| s.result.as_ref().and_then(|r| r.duration))
                .fold(0, u64::saturating_add);
            let path = format!("{}:{}", feature.uri, element.line);
            // The first step that failed says why, or the first that is
            // undefined.
            let failure = (outcome == Outcome::Failed).then(|| {
                let failed = steps.iter().find_map(|s| {
                    s.result
                        .as_ref()
                        .filter(|r| r.status == "failed")
                        .and_then(|r| r.error_message.clone())
                });
                let details = failed.unwrap_or_else(|| {
                    let status = statuses
                        .iter()
                        .find(|s| matches!(**s, "undefined" | "ambiguous"))
                        .unwrap_or(&"failed");
                    format!("a step is {status}")
                });
                Failure {
                    message: details
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                    details,
                    error: false,
                }
            });
            tests.push(TestResult {
                scope: feature.name.clone(),
                name: element.name,
                identifier: path.clone(),
                path,
                outcome,
                duration: Some(std::time::Duration::from_nanos(nanos)),
                failure,
                output: None,
                location: Location::new(feature.uri.clone(), u32::try_from(element.line).ok()),
            });
        }
    }
    Ok(ParsedResults {
        tests,
        ..ParsedResults::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_aggregate_their_background_steps_and_hooks() {
        let json = br#"[{"uri":"features/a.feature","name":"Cart","elements":[
          {"type":"background","steps":[{"result":{"status":"failed"}}]},
          {"type":"scenario","name":"bg fails","line":6,"steps":[{"result":{"status":"skipped"}}]},
          {"type":"background","steps":[{"result":{"status":"passed"}}]},
          {"type":"scenario","name":"pending","line":9,"steps":[{"result":{"status":"pending"}}]},
          {"type":"scenario","name":"hook","line":12,"after":[{"result":{"status":"failed"}}],
           "steps":[{"result":{"status":"passed","duration":1500000}}]},
          {"type":"scenario","name":"undefined","line":15,"steps":[{"result":{"status":"undefined"}}]},
          {"type":"scenario","name":"ok","line":18,"steps":[{"result":{"status":"passed"}}]}
        ]}]"#;
        let parsed = parse_cucumber_json(json, Path::new("r.json")).unwrap();
        let got: Vec<(&str, &str, &Outcome)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.as_str(), t.name.as_str(), &t.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("features/a.feature:6", "bg fails", &Outcome::Failed),
                ("features/a.feature:9", "pending", &Outcome::Skipped),
                ("features/a.feature:12", "hook", &Outcome::Failed),
                ("features/a.feature:15", "undefined", &Outcome::Failed),
                ("features/a.feature:18", "ok", &Outcome::Passed),
            ]
        );
        assert_eq!(parsed.tests[0].scope, "Cart");
        assert_eq!(
            parsed.tests[2].duration,
            Some(std::time::Duration::from_micros(1500))
        );
    }
}
