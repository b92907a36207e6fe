//! Playwright's JSON reporter output (behaviour document 8.3): one result
//! per spec and project (a spec holds one test per project), at the spec's
//! `file:line`, which is also what a retry runs, and named as Test Engine
//! names it, so muting matches (D39). A test whose status is `unexpected`
//! failed, `skipped` was skipped. Errors outside any test (a spec file that
//! does not load) are a run-level error.

use std::path::Path;

use serde::Deserialize;

use super::{Failure, Location, Outcome, ParsedResults, ResultsError, TestResult, seconds};

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

/// What every level of the walk needs.
struct Walk<'a> {
    /// The report's root directory.
    base: &'a str,
    /// The directory files are named relative to.
    root: &'a Path,
    specs: Specs,
}

/// Records the tests of `suite` and its children; `titles` are the titles
/// of the enclosing suites, the file's own first (named relative to the
/// project's test directory, as Playwright titles it).
fn walk<'a>(
    suite: &'a Suite,
    titles: &mut Vec<&'a str>,
    context: &Walk<'_>,
    out: &mut Vec<TestResult>,
) {
    // Playwright's `titlePath()` leaves out a `describe` without a title.
    let titled = !suite.title.is_empty();
    if titled {
        titles.push(&suite.title);
    }
    for spec in &suite.specs {
        let file = Path::new(context.base).join(&spec.file);
        let file = file.strip_prefix(context.root).unwrap_or(&file);
        let path = format!("{}:{}", file.display(), spec.line);
        for test in &spec.tests {
            if context.specs == Specs::Ran && test.results.is_empty() {
                continue;
            }
            out.push(result(spec, test, titles, path.clone()));
        }
    }
    for child in &suite.suites {
        walk(child, titles, context, out);
    }
    if titled {
        titles.pop();
    }
}

/// The result of `spec` in one project (`test`), named as Test Engine's
/// collector names it (D39): its scope is Playwright's `titlePath()` joined
/// by spaces, `" <project> <file> <describe...> <title>"` (the root suite's
/// title is empty), its name the spec's title.
fn result(spec: &Spec, test: &SpecTest, titles: &[&str], path: String) -> TestResult {
    let scope = std::iter::once("")
        .chain(std::iter::once(test.project_name.as_str()))
        .chain(titles.iter().copied())
        .chain(std::iter::once(spec.title.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    // `expected` and `flaky` passed; a test that did not run in this
    // project (a listing) counts as its spec says.
    let outcome = match test.status.as_str() {
        "skipped" => Outcome::Skipped,
        "unexpected" => Outcome::Failed,
        "" if !spec.ok => Outcome::Failed,
        _ => Outcome::Passed,
    };
    let failure = (outcome == Outcome::Failed)
        .then(|| test.results.iter().rev().find_map(|r| r.error.as_ref()))
        .flatten()
        .map(|e| {
            let details = strip_ansi(&e.message);
            Failure {
                message: details.lines().next().unwrap_or_default().to_string(),
                details,
                error: false,
            }
        });
    // The path is `file:line`.
    let location = path
        .rsplit_once(':')
        .and_then(|(file, _)| Location::new(file, u32::try_from(spec.line).ok()));
    TestResult {
        scope,
        name: spec.title.clone(),
        path,
        identifier: String::new(),
        outcome,
        duration: test
            .results
            .last()
            .and_then(|r| r.duration)
            .and_then(|ms| seconds(ms / 1000.0)),
        failure,
        output: None,
        location,
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
            (" chromium a.spec.ts Cart adds", "adds", "e2e/a.spec.ts:5")
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

    /// D39: Playwright 1.5x merges a spec's projects into one spec, one
    /// test each (this is what 1.65 writes, trimmed); each is a result of
    /// its own, and one that never ran in its project is none.
    #[test]
    fn every_project_of_a_spec_is_a_result() {
        let json = br#"{"config":{"rootDir":"/p"},"suites":[
          {"title":"tests/cart.spec.js","file":"tests/cart.spec.js","specs":[],"suites":[
            {"title":"Cart","file":"tests/cart.spec.js","specs":[
              {"title":"adds","file":"tests/cart.spec.js","line":9,"ok":false,"tests":[
                {"projectName":"chromium","status":"expected","results":[{"duration":3}]},
                {"projectName":"firefox","status":"unexpected","results":[
                  {"duration":4,"error":{"message":"\u001b[31mExpected\u001b[39m: 9\nReceived: 8"}}]},
                {"projectName":"webkit","status":"skipped","results":[{"duration":0}]},
                {"projectName":"mobile","status":"unexpected","results":[]}]}]}]}]}"#;
        let parsed = parse_playwright_json(json, Path::new("r.json"), Path::new("/p")).unwrap();
        let got: Vec<_> = parsed
            .tests
            .iter()
            .map(|t| {
                (
                    t.scope.as_str(),
                    t.name.as_str(),
                    t.path.as_str(),
                    t.outcome.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    " chromium tests/cart.spec.js Cart adds",
                    "adds",
                    "tests/cart.spec.js:9",
                    Outcome::Passed
                ),
                (
                    " firefox tests/cart.spec.js Cart adds",
                    "adds",
                    "tests/cart.spec.js:9",
                    Outcome::Failed
                ),
                (
                    " webkit tests/cart.spec.js Cart adds",
                    "adds",
                    "tests/cart.spec.js:9",
                    Outcome::Skipped
                ),
            ]
        );
        let failure = parsed.tests[1].failure.as_ref().unwrap();
        assert_eq!(failure.message, "Expected: 9");
        assert!(parsed.tests[0].failure.is_none());
        let listed = parse_playwright_listing(json, Path::new("r.json"), Path::new("/p")).unwrap();
        assert_eq!(listed.tests.len(), 4);
    }

    /// D39: without projects the project is empty, as in Test Engine's
    /// scope (the Go client's `" %s %s %s"`): two spaces lead.
    #[test]
    fn a_test_without_a_project_or_describe_is_scoped_by_its_file() {
        let json = br#"{"suites":[{"title":"stock.test.js","file":"stock.test.js","specs":[
          {"title":"counts","file":"stock.test.js","line":3,"ok":true,
           "tests":[{"projectName":"","status":"expected","results":[{}]}]}]}]}"#;
        let parsed = parse_playwright_json(json, Path::new("r.json"), Path::new("/")).unwrap();
        assert_eq!(parsed.tests[0].scope, "  stock.test.js counts");
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
