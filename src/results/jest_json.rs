//! Jest's `--json` output, which Vitest's `json` reporter also writes
//! (behaviour document 8.3): one result per assertion result. The file names
//! are absolute; a test's path is its file relative to the working directory
//! (where bktec runs the command), then `::` and the test's full name, which
//! is what a retry runs: the file, filtered by the name (see
//! `runner::jest`). A file that failed without a single test result did not
//! load or run: a run-level error.

use std::path::Path;

use serde::Deserialize;

use super::{Failure, Location, Outcome, ParsedResults, ResultsError, TestResult, seconds};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    test_results: Vec<FileResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult {
    name: String,
    #[serde(default)]
    status: String,
    /// When the file started and ended, in milliseconds since the epoch.
    #[serde(default)]
    start_time: Option<f64>,
    #[serde(default)]
    end_time: Option<f64>,
    #[serde(default)]
    assertion_results: Vec<Assertion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    #[serde(default)]
    ancestor_titles: Vec<String>,
    title: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    failure_messages: Vec<String>,
    /// Where the test is (`--testLocationInResults`).
    #[serde(default)]
    location: Option<JestLocation>,
}

#[derive(Deserialize)]
struct JestLocation {
    line: u32,
}

/// The separator between a Jest or Vitest test's file and its full name in
/// its path (`src/cart.test.js::Cart adds up prices`).
pub const NAME_SEPARATOR: &str = "::";

/// Parses Jest-style JSON from `bytes` (read from `path`, for messages),
/// naming files relative to `root`; `runner` (`Jest`, `Vitest`) names the
/// runner in the run-level error.
pub fn parse_jest_json(
    bytes: &[u8],
    path: &Path,
    root: &Path,
    runner: &'static str,
) -> Result<ParsedResults, ResultsError> {
    let format = if runner == "Jest" {
        "Jest JSON"
    } else {
        "Vitest JSON"
    };
    let report: Report = super::from_json(bytes, path, format)?;
    let mut parsed = ParsedResults::default();
    let mut broken = Vec::new();
    for file in report.test_results {
        let name = relative(&file.name, root);
        // A file that failed although none of its tests did: it did not
        // load, or a hook outside the tests (`afterAll`) threw.
        if file.status == "failed" && !file.assertion_results.iter().any(|a| a.status == "failed") {
            broken.push(name.clone());
        }
        // D52: what the file took beyond its tests (loading, transforming,
        // its hooks), when the report times it.
        // Vitest's times cover the tests alone: only Jest's say it.
        if let (Some(start), Some(end), "Jest") = (file.start_time, file.end_time, runner) {
            let tests_ms: f64 = file
                .assertion_results
                .iter()
                .filter_map(|a| a.duration)
                .sum();
            let own = (end - start - tests_ms) / 1000.0;
            if own.is_finite() {
                parsed.file_costs.insert(name.clone(), own.max(0.0));
            }
        }
        for a in file.assertion_results {
            let scope = a.ancestor_titles.join(" ");
            let full_name = if scope.is_empty() {
                a.title.clone()
            } else {
                format!("{scope} {}", a.title)
            };
            parsed.tests.push(TestResult {
                path: format!("{name}{NAME_SEPARATOR}{full_name}"),
                identifier: String::new(),
                scope,
                name: a.title,
                outcome: match a.status.as_str() {
                    "passed" => Outcome::Passed,
                    "failed" => Outcome::Failed,
                    "pending" | "todo" | "skipped" | "disabled" => Outcome::Skipped,
                    _ => Outcome::Other(a.status),
                },
                // Milliseconds.
                duration: a.duration.and_then(|ms| seconds(ms / 1000.0)),
                failure: (!a.failure_messages.is_empty())
                    .then(|| Failure::from_details(a.failure_messages.join("\n"))),
                output: None,
                location: Location::new(name.clone(), a.location.map(|l| l.line)),
            });
        }
    }
    if !broken.is_empty() {
        parsed.run_error = Some(format!(
            "{runner} failed with runtime error test suites: {}",
            broken.join(", ")
        ));
    }
    Ok(parsed)
}

/// `file` relative to `root` when it lies below it, else as it is.
fn relative(file: &str, root: &Path) -> String {
    Path::new(file)
        .strip_prefix(root)
        .map_or_else(|_| file.to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_s_own_cost_is_its_time_beyond_its_tests() {
        let json = r#"{"testResults":[{"name":"/p/src/a.test.js","status":"passed","startTime":1000,"endTime":1900,
            "assertionResults":[{"title":"one","status":"passed","duration":300},{"title":"two","status":"passed","duration":200}]},
            {"name":"/p/src/b.test.js","status":"passed","assertionResults":[]}]}"#;
        let parsed = parse_jest_json(
            json.as_bytes(),
            Path::new("r.json"),
            Path::new("/p"),
            "Jest",
        )
        .unwrap();
        assert_eq!(
            parsed.file_costs,
            [("src/a.test.js".to_string(), 0.4)].into()
        );
    }

    #[test]
    fn a_file_that_failed_outside_its_tests_is_a_run_error() {
        // afterAll threw: every test passed, the file failed.
        let json = r#"{"testResults":[{"name":"/p/src/a.test.js","status":"failed","message":"afterAll boom",
            "assertionResults":[{"ancestorTitles":[],"title":"ok","status":"passed","failureMessages":[]}]}]}"#;
        let parsed = parse_jest_json(
            json.as_bytes(),
            Path::new("r.json"),
            Path::new("/p"),
            "Jest",
        )
        .unwrap();
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("Jest failed with runtime error test suites: src/a.test.js")
        );
        let json = r#"{"testResults":[{"name":"/p/src/a.test.js","status":"failed",
            "assertionResults":[{"ancestorTitles":["Cart"],"title":"adds","status":"failed","failureMessages":["Error: expected 2\n    at a.test.js:3"]}]}]}"#;
        let parsed = parse_jest_json(
            json.as_bytes(),
            Path::new("r.json"),
            Path::new("/p"),
            "Jest",
        )
        .unwrap();
        assert_eq!(parsed.run_error, None);
        assert_eq!(
            parsed.tests[0].failure.as_ref().unwrap().message,
            "Error: expected 2"
        );
    }

    const SAMPLE: &[u8] = br#"{"testResults":[
      {"name":"/p/src/a.test.js","status":"failed","assertionResults":[
        {"ancestorTitles":["Cart","with tax"],"title":"adds (1+1)","status":"failed","duration":12},
        {"ancestorTitles":[],"title":"top","status":"todo"}]},
      {"name":"/p/src/broken.test.js","status":"failed","message":"SyntaxError","assertionResults":[]},
      {"name":"/elsewhere/b.test.js","status":"passed","assertionResults":[
        {"ancestorTitles":[],"title":"odd","status":"focused"}]}
    ]}"#;

    #[test]
    fn maps_files_and_full_names() {
        let parsed = parse_jest_json(SAMPLE, Path::new("r.json"), Path::new("/p"), "Jest").unwrap();
        let t = &parsed.tests[0];
        assert_eq!(
            (t.scope.as_str(), t.name.as_str(), t.path.as_str()),
            (
                "Cart with tax",
                "adds (1+1)",
                "src/a.test.js::Cart with tax adds (1+1)"
            )
        );
        assert_eq!(t.outcome, Outcome::Failed);
        assert_eq!(t.duration, Some(std::time::Duration::from_millis(12)));
        assert_eq!(parsed.tests[1].path, "src/a.test.js::top");
        assert_eq!(parsed.tests[1].outcome, Outcome::Skipped);
        assert_eq!(parsed.tests[2].path, "/elsewhere/b.test.js::odd");
        assert_eq!(parsed.tests[2].outcome, Outcome::Other("focused".into()));
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("Jest failed with runtime error test suites: src/broken.test.js")
        );
    }

    #[test]
    fn malformed_json_names_the_format() {
        let err =
            parse_jest_json(b"{}", Path::new("r.json"), Path::new("/"), "Vitest").unwrap_err();
        assert_eq!(
            err.to_string(),
            "result file `r.json` is not valid Vitest JSON"
        );
    }
}
