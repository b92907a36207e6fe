//! Playwright's JSON reporter output (behaviour document 8.3): one result
//! per spec, named `file:line`, which is also what a retry runs. A spec that
//! is not ok failed; one whose first test was skipped was skipped. Errors
//! outside any test (a spec file that does not load) are a run-level error.

use std::path::Path;

use serde::Deserialize;

use super::{Failure, Outcome, ParsedResults, ResultsError, TestResult, seconds};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    #[serde(default)]
    config: Option<Config>,
    #[serde(default)]
    suites: Vec<Suite>,
    #[serde(default)]
    errors: Vec<TopError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(default)]
    root_dir: String,
}

#[derive(Deserialize)]
struct Suite {
    #[serde(default)]
    title: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    specs: Vec<Spec>,
    #[serde(default)]
    suites: Vec<Suite>,
}

#[derive(Deserialize)]
struct Spec {
    title: String,
    file: String,
    line: u64,
    ok: bool,
    #[serde(default)]
    tests: Vec<SpecTest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecTest {
    #[serde(default)]
    project_name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    results: Vec<RunResult>,
}

#[derive(Deserialize)]
struct RunResult {
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    error: Option<TopError>,
}

#[derive(Deserialize)]
struct TopError {
    #[serde(default)]
    message: String,
}

/// Parses Playwright JSON from `bytes` (read from `path`, for messages),
/// naming files relative to `root` (the working directory). A spec without
/// a single result never ran (`--list`, or stopped by `maxFailures`; even a
/// skipped test has one): it is no result (D37).
pub fn parse_playwright_json(
    bytes: &[u8],
    path: &Path,
    root: &Path,
) -> Result<ParsedResults, ResultsError> {
    parse(bytes, path, root, Specs::Ran)
}

/// Parses the JSON of `playwright test --list`: every spec, none of which
/// ran (6.4, D37).
pub fn parse_playwright_listing(
    bytes: &[u8],
    path: &Path,
    root: &Path,
) -> Result<ParsedResults, ResultsError> {
    parse(bytes, path, root, Specs::All)
}

/// Which specs a parse keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Specs {
    /// Those that ran: a run's results.
    Ran,
    /// Every one: a listing.
    All,
}

fn parse(
    bytes: &[u8],
    path: &Path,
    root: &Path,
    specs: Specs,
) -> Result<ParsedResults, ResultsError> {
    let report: Report = super::from_json(bytes, path, "Playwright JSON")?;
    let base = report.config.map(|c| c.root_dir).unwrap_or_default();
    let mut parsed = ParsedResults::default();
    let context = Walk {
        base: &base,
        root,
        specs,
    };
    for suite in &report.suites {
        walk(suite, &mut Vec::new(), &context, &mut parsed.tests);
    }
    if let Some(first) = report.errors.first() {
        let message = strip_ansi(&first.message);
        let line = message.lines().next().unwrap_or_default();
        parsed.run_error = Some(format!("Playwright failed with errors: {line}"));
    }
    Ok(parsed)
}

/// Records the specs of `suite` and its children; `titles` are the
/// enclosing `describe` titles (a file's own suite adds none).
/// What every level of the walk needs.
struct Walk<'a> {
    /// The report's root directory.
    base: &'a str,
    /// The directory files are named relative to.
    root: &'a Path,
    specs: Specs,
}

fn walk<'a>(
    suite: &'a Suite,
    titles: &mut Vec<&'a str>,
    context: &Walk<'_>,
    out: &mut Vec<TestResult>,
) {
    let Walk { base, root, specs } = *context;
    let described = suite.title != suite.file && !suite.title.is_empty();
    if described {
        titles.push(&suite.title);
    }
    for spec in &suite.specs {
        let first = spec.tests.first();
        if specs == Specs::Ran && first.is_none_or(|t| t.results.is_empty()) {
            continue;
        }
        let project = first.map_or("", |t| t.project_name.as_str());
        let scope: Vec<&str> = std::iter::once(project)
            .chain(titles.iter().copied())
            .filter(|t| !t.is_empty())
            .collect();
        let file = Path::new(base).join(&spec.file);
        let file = file.strip_prefix(root).unwrap_or(&file);
        out.push(TestResult {
            scope: scope.join(" "),
            name: spec.title.clone(),
            path: format!("{}:{}", file.display(), spec.line),
            identifier: String::new(),
            outcome: match (spec.ok, first.map(|t| t.status.as_str())) {
                (false, _) => Outcome::Failed,
                (true, Some("skipped")) => Outcome::Skipped,
                (true, _) => Outcome::Passed,
            },
            duration: first
                .and_then(|t| t.results.last())
                .and_then(|r| r.duration)
                .and_then(|ms| seconds(ms / 1000.0)),
            failure: (!spec.ok)
                .then(|| {
                    first
                        .and_then(|t| t.results.iter().rev().find_map(|r| r.error.as_ref()))
                        .map(|e| {
                            let details = strip_ansi(&e.message);
                            Failure {
                                message: details.lines().next().unwrap_or_default().to_string(),
                                details,
                                error: false,
                            }
                        })
                })
                .flatten(),
            output: None,
        });
    }
    for child in &suite.suites {
        walk(child, titles, context, out);
    }
    if described {
        titles.pop();
    }
}

/// `text` without ANSI colour codes, which Playwright puts in its messages.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_named_by_file_and_line() {
        let json = br#"{"config":{"rootDir":"/p/e2e"},"errors":[],"suites":[
          {"title":"a.spec.ts","file":"a.spec.ts","specs":[],"suites":[
            {"title":"Cart","file":"a.spec.ts","specs":[
              {"title":"adds","file":"a.spec.ts","line":5,"ok":false,
               "tests":[{"projectName":"chromium","status":"unexpected","results":[{"duration":20}]}]},
              {"title":"later","file":"a.spec.ts","line":9,"ok":true,
               "tests":[{"projectName":"chromium","status":"skipped","results":[]}]}]}]}]}"#;
        let parsed = parse_playwright_json(json, Path::new("r.json"), Path::new("/p")).unwrap();
        let t = &parsed.tests[0];
        assert_eq!(
            (t.scope.as_str(), t.name.as_str(), t.path.as_str()),
            ("chromium Cart", "adds", "e2e/a.spec.ts:5")
        );
        assert_eq!(t.outcome, Outcome::Failed);
        assert_eq!(t.duration, Some(std::time::Duration::from_millis(20)));
        // A spec without a single result never ran (D37): a listing names
        // it, a run's results do not.
        assert_eq!(parsed.tests.len(), 1);
        assert_eq!(parsed.run_error, None);
        let listed = parse_playwright_listing(json, Path::new("r.json"), Path::new("/p")).unwrap();
        assert_eq!(listed.tests[1].outcome, Outcome::Skipped);
    }

    #[test]
    fn top_level_errors_are_a_run_error() {
        let json = br#"{"suites":[],"errors":[{"message":"Error: No tests found\nmore"}]}"#;
        let parsed = parse_playwright_json(json, Path::new("r.json"), Path::new("/")).unwrap();
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("Playwright failed with errors: Error: No tests found")
        );
    }
}
