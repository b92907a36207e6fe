//! buildkite-test-collector JSON (behaviour document 8.1): an array of tests.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{
    Failure, Location, Mapping, Outcome, ParsedResults, ResultsError, TestResult, seconds,
};

const COLLECTION_ERROR_TAG: &str = "test.pytest_collection_error";

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    tags: Option<HashMap<String, serde_json::Value>>,
    #[serde(default)]
    history: Option<History>,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    failure_expanded: Option<Vec<Expanded>>,
}

/// One entry of `failure_expanded`: lines of the failure, and its backtrace.
#[derive(Deserialize)]
struct Expanded {
    #[serde(default)]
    expanded: Vec<String>,
    #[serde(default)]
    backtrace: Vec<String>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    duration: Option<serde_json::Value>,
}

/// Parses collector JSON from `bytes` (read from `path`, for messages).
pub fn parse_collector_json(
    bytes: &[u8],
    path: &Path,
    mapping: Mapping,
) -> Result<ParsedResults, ResultsError> {
    let entries: Vec<Entry> =
        serde_json::from_slice(bytes).map_err(|source| ResultsError::Json {
            path: path.to_path_buf(),
            source,
        })?;
    let mut parsed = ParsedResults {
        tests: Vec::with_capacity(entries.len()),
        run_error: None,
        running: Vec::new(),
        file_costs: std::collections::BTreeMap::new(),
    };
    for e in entries {
        // D23: an entry without a result never ran (`--setup-plan`,
        // `--setup-only`: the collector warns "has no result set"); it is
        // no result, so its file is silent unless another test reports.
        if e.result.as_deref().is_none_or(str::is_empty) {
            continue;
        }
        let test_path = match mapping {
            Mapping::Pytest if e.scope.is_empty() => e.name.clone(),
            Mapping::Pytest => format!("{}::{}", e.scope, e.name),
            Mapping::Custom => format!("{}:{}", e.file_name, e.location),
        };
        let collection_error = e
            .tags
            .as_ref()
            .and_then(|t| t.get(COLLECTION_ERROR_TAG))
            .is_some_and(|v| v == "true");
        if mapping == Mapping::Pytest && collection_error {
            parsed.run_error = Some(format!("pytest collection failed: {test_path}"));
        }
        let outcome = Outcome::from_result(e.result.as_deref());
        let failure = (outcome == Outcome::Failed).then(|| Failure {
            message: e.failure_reason.clone().unwrap_or_default(),
            details: details(e.failure_expanded.as_deref().unwrap_or_default()),
            error: false,
        });
        let location = location(&e.file_name, &e.location, mapping);
        parsed.tests.push(TestResult {
            failure,
            output: None,
            location,
            scope: e.scope,
            name: e.name,
            path: test_path,
            identifier: e.id,
            outcome,
            // A file that failed to collect ran no test: its time is no
            // test's duration (it is not among the slowest tests).
            duration: e
                .history
                .filter(|_| !collection_error)
                .and_then(|h| h.duration)
                .and_then(|d| d.as_f64())
                .and_then(seconds),
        });
    }
    Ok(parsed)
}

/// The text of `failure_expanded`: each entry's lines, then its backtrace
/// unless the lines already end with it (pytest's collector repeats the
/// last line of the expanded failure as the backtrace, issue 21 item 1).
fn details(expanded: &[Expanded]) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for x in expanded {
        lines.extend(x.expanded.iter().map(String::as_str));
        if !x.expanded.ends_with(&x.backtrace) {
            lines.extend(x.backtrace.iter().map(String::as_str));
        }
    }
    lines.join("\n")
}

/// Where the test is: `file_name`, or the file part of `location`
/// (`tests/test_cart.py:12`), and the line of `location`. pytest's
/// collector writes pytest's own 0-based line (`item.location`); the line
/// here is 1-based, as editors and JUnit readers count.
fn location(file_name: &str, location: &str, mapping: Mapping) -> Option<Location> {
    let (file, line) = match location.rsplit_once(':') {
        Some((file, line)) if line.bytes().all(|b| b.is_ascii_digit()) => {
            (file, line.parse::<u32>().ok())
        }
        Some(_) | None => (location, None),
    };
    let line = match mapping {
        Mapping::Pytest => line.and_then(|l| l.checked_add(1)),
        Mapping::Custom => line,
    };
    let file = if file_name.is_empty() {
        file
    } else {
        file_name
    };
    Location::new(file, line.filter(|l| *l > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
      {"id":"5a0","scope":"tests/test_cart.py::TestCart","name":"test_total","location":"tests/test_cart.py:12",
       "file_name":"tests/test_cart.py","result":"failed","failure_reason":"assert 3 == 4",
       "history":{"section":"top","start_at":0.01,"end_at":0.05,"duration":0.04,"children":[]}},
      {"id":"7c1","scope":"","name":"tests/test_broken.py","location":"tests/test_broken.py",
       "file_name":"tests/test_broken.py","result":"failed","tags":{"test.pytest_collection_error":"true"},
       "history":{"section":"top","children":[]}},
      {"id":"9","scope":"t.py","name":"test_x[a b]","result":"passed"},
      {"id":"10","scope":"t.py","name":"test_odd","result":"xpassed"},
      {"id":"11","scope":"t.py","name":"test_unset"},
      {"id":"12","scope":"t.py","name":"test_empty","result":"","history":{"duration":0.1}},
      {"id":"13","scope":"u.py","name":"test_null","result":null}
    ]"#;

    #[test]
    fn maps_pytest_node_ids_and_collection_errors() {
        let parsed =
            parse_collector_json(SAMPLE.as_bytes(), Path::new("r.json"), Mapping::Pytest).unwrap();
        let paths: Vec<&str> = parsed.tests.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tests/test_cart.py::TestCart::test_total",
                "tests/test_broken.py",
                "t.py::test_x[a b]",
                "t.py::test_odd"
            ]
        );
        assert_eq!(parsed.tests[0].outcome, Outcome::Failed);
        // `history.duration` is the duration; absent, it is unknown.
        assert_eq!(
            parsed.tests[0].duration,
            Some(std::time::Duration::from_millis(40))
        );
        assert_eq!(parsed.tests[1].duration, None);
        assert_eq!(parsed.tests[3].outcome, Outcome::Other("xpassed".into()));
        // D23: entries with no result never ran (`--setup-plan`): no result.
        assert_eq!(parsed.tests.len(), 4);
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("pytest collection failed: tests/test_broken.py")
        );
    }

    #[test]
    fn maps_custom_paths() {
        let parsed =
            parse_collector_json(SAMPLE.as_bytes(), Path::new("r.json"), Mapping::Custom).unwrap();
        assert_eq!(
            parsed.tests[0].path,
            "tests/test_cart.py:tests/test_cart.py:12"
        );
        assert_eq!(parsed.run_error, None);
    }

    #[test]
    fn malformed_json_names_the_file_and_position() {
        let err = parse_collector_json(b"[{\"id\": 1,", Path::new("out/r.json"), Mapping::Pytest)
            .unwrap_err();
        let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(
            text.starts_with("result file `out/r.json` is not valid test collector JSON: "),
            "{text}"
        );
        assert!(text.contains("line 1"), "{text}");
    }

    /// pytest's collector counts lines from 0 and repeats the crash line
    /// as the backtrace (issue 21 item 1).
    #[test]
    fn location_is_one_based_and_the_crash_line_is_not_repeated() {
        let json = r#"[{"scope":"tests/test_a.py","name":"test_b","location":"tests/test_a.py:4",
          "file_name":"tests/test_a.py","result":"failed","failure_reason":"assert 1 == 2",
          "failure_expanded":[{"expanded":["E   assert 1 == 2","","tests/test_a.py:7: AssertionError"],
          "backtrace":["tests/test_a.py:7: AssertionError"]}]}]"#;
        let parsed =
            parse_collector_json(json.as_bytes(), Path::new("r.json"), Mapping::Pytest).unwrap();
        let test = &parsed.tests[0];
        assert_eq!(test.location, Location::new("tests/test_a.py", Some(5)));
        assert_eq!(
            test.failure.as_ref().unwrap().details,
            "E   assert 1 == 2\n\ntests/test_a.py:7: AssertionError"
        );
        let custom =
            parse_collector_json(json.as_bytes(), Path::new("r.json"), Mapping::Custom).unwrap();
        assert_eq!(
            custom.tests[0].location,
            Location::new("tests/test_a.py", Some(4))
        );
    }
}
