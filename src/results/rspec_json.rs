//! The RSpec JSON formatter's output (behaviour document 8.3): one result per
//! example, named by its id (`./spec/cart_spec.rb[1:2]`), which is also what a
//! retry runs; errors outside of examples (a spec file that fails to load)
//! are a run-level error.

use std::path::Path;

use serde::Deserialize;

use super::{Failure, Location, Outcome, ParsedResults, ResultsError, TestResult, seconds};

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    summary: Option<Summary>,
}

#[derive(Deserialize)]
struct Example {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    full_description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    run_time: Option<f64>,
    #[serde(default)]
    file_path: String,
    #[serde(default)]
    line_number: Option<u32>,
    #[serde(default)]
    exception: Option<Exception>,
}

/// Why an example failed.
#[derive(Deserialize)]
struct Exception {
    #[serde(default)]
    class: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    backtrace: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    errors_outside_of_examples_count: u64,
}

/// Parses RSpec JSON from `bytes` (read from `path`, for messages).
pub fn parse_rspec_json(bytes: &[u8], path: &Path) -> Result<ParsedResults, ResultsError> {
    let report: Report = super::from_json(bytes, path, "RSpec JSON")?;
    let tests = report
        .examples
        .into_iter()
        .map(|e| {
            // The scope is the example group: the full description without
            // the example's own description.
            let scope = e
                .full_description
                .strip_suffix(&e.description)
                .map_or(e.full_description.as_str(), str::trim_end)
                .to_string();
            let location = Location::new(e.file_path, e.line_number);
            TestResult {
                location,
                scope,
                name: e.description,
                path: e.id.clone(),
                identifier: e.id,
                outcome: match e.status.as_str() {
                    "passed" => Outcome::Passed,
                    "failed" => Outcome::Failed,
                    "pending" => Outcome::Skipped,
                    _ => Outcome::Other(e.status),
                },
                duration: e.run_time.and_then(seconds),
                failure: e.exception.map(|x| {
                    let message = x.message.trim().to_string();
                    let mut details = format!("{}: {message}", x.class);
                    for line in x.backtrace.unwrap_or_default().iter().take(10) {
                        details.push_str("\n    ");
                        details.push_str(line);
                    }
                    Failure {
                        message: message.lines().next().unwrap_or_default().to_string(),
                        details,
                        error: false,
                    }
                }),
                output: None,
            }
        })
        .collect();
    let errors = report
        .summary
        .map_or(0, |s| s.errors_outside_of_examples_count);
    Ok(ParsedResults {
        tests,
        run_error: (errors > 0)
            .then(|| format!("RSpec reported {errors} errors outside of examples")),
        running: Vec::new(),
        file_costs: std::collections::BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_examples_by_id_with_their_group_as_scope() {
        let json = br#"{"examples":[
          {"id":"./spec/a_spec.rb[1:1:1]","description":"charges once","full_description":"Checkout with a card charges once","status":"failed","run_time":0.25},
          {"id":"./spec/a_spec.rb[1:2]","description":"","full_description":"Checkout","status":"pending"},
          {"id":"./spec/a_spec.rb[1:3]","description":"x","full_description":"Checkout x","status":"weird"}
        ],"summary":{"errors_outside_of_examples_count":0}}"#;
        let parsed = parse_rspec_json(json, Path::new("r.json")).unwrap();
        let t = &parsed.tests[0];
        assert_eq!(
            (t.scope.as_str(), t.name.as_str(), t.path.as_str()),
            (
                "Checkout with a card",
                "charges once",
                "./spec/a_spec.rb[1:1:1]"
            )
        );
        assert_eq!(t.outcome, Outcome::Failed);
        assert_eq!(t.duration, Some(std::time::Duration::from_millis(250)));
        assert_eq!(parsed.tests[1].outcome, Outcome::Skipped);
        assert_eq!(parsed.tests[2].outcome, Outcome::Other("weird".into()));
        assert_eq!(parsed.run_error, None);
    }

    #[test]
    fn errors_outside_of_examples_are_a_run_error() {
        let json = br#"{"examples":[],"summary":{"errors_outside_of_examples_count":2}}"#;
        let parsed = parse_rspec_json(json, Path::new("r.json")).unwrap();
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("RSpec reported 2 errors outside of examples")
        );
    }

    #[test]
    fn an_example_without_an_id_names_the_file_and_position() {
        let err = parse_rspec_json(
            br#"{"examples":[{"status":"passed"}]}"#,
            Path::new("o/r.json"),
        )
        .unwrap_err();
        let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(
            text.starts_with("result file `o/r.json` is not valid RSpec JSON: "),
            "{text}"
        );
        assert!(text.contains("missing field `id`"), "{text}");
    }

    #[test]
    fn a_failed_example_carries_its_exception() {
        let json = br#"{"examples":[{"id":"./spec/a_spec.rb[1:1]","description":"adds","full_description":"Cart adds",
            "status":"failed","exception":{"class":"RSpec::Expectations::ExpectationNotMetError",
            "message":"\nexpected: 9\n     got: 8","backtrace":["./spec/a_spec.rb:5"]}}]}"#;
        let parsed = parse_rspec_json(json, Path::new("r.json")).unwrap();
        let failure = parsed.tests[0].failure.as_ref().unwrap();
        assert_eq!(failure.message, "expected: 9");
        assert!(
            failure.details.ends_with("got: 8\n    ./spec/a_spec.rb:5"),
            "{}",
            failure.details
        );
    }
}
