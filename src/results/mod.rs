//! Test results: the one type the retry logic and the report see
//! ([`TestResult`]), the parsers of each result format, and the record of a
//! run across attempts ([`RunResult`], behaviour document 8.4).

mod collector_json;
mod coverage;
mod cucumber_json;
mod go_jsonl;
mod jest_json;
mod junit;
mod playwright_json;
mod progress;
mod record;
mod rspec_json;
mod witness;

use crate::input::{RESULT_FILE, open_regular, read_regular};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use collector_json::parse_collector_json;
pub use coverage::{as_targets, uncovered};
pub use cucumber_json::parse_cucumber_json;
pub use go_jsonl::{BINARY_EXITED, parse_go_jsonl};
pub use jest_json::{NAME_SEPARATOR, parse_jest_json};
pub use junit::parse_junit;
pub(crate) use junit::{junit_classname, split_node_id};
pub use playwright_json::{parse_playwright_json, parse_playwright_listing};
pub use progress::Progress;
pub use record::{RunResult, RunStatus, Statistics, TestHistory};
pub use rspec_json::parse_rspec_json;
pub use witness::{PathOffset, Witness, WitnessCosts, WitnessOutcome};

/// The outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It passed.
    Passed,
    /// It failed (JUnit `<error>` counts too).
    Failed,
    /// It was skipped.
    Skipped,
    /// It failed as it was marked to (pytest's `xfail`, which pytest's JUnit
    /// writes as a `<skipped type="pytest.xfail">`): not a failure, and not
    /// a skip either (issue 21 item 4).
    ExpectedFailure,
    /// Anything else the result file said, or nothing (`""`).
    Other(String),
}

impl Outcome {
    /// Maps a collector `result` value.
    pub fn from_result(result: Option<&str>) -> Outcome {
        match result {
            Some("passed") => Outcome::Passed,
            Some("failed") => Outcome::Failed,
            Some("skipped") => Outcome::Skipped,
            Some(other) => Outcome::Other(other.to_string()),
            None => Outcome::Other(String::new()),
        }
    }

    /// The outcome as a word, for the report.
    pub fn as_str(&self) -> &str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::ExpectedFailure => "expected failure",
            Outcome::Other(s) => s,
        }
    }
}

/// One test's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The scope (pytest: the node id without its last part).
    pub scope: String,
    /// The name (pytest: the last node-id part).
    pub name: String,
    /// What a retry runs (pytest: the node id).
    pub path: String,
    /// The identifier (the collector's UUID; empty for JUnit, where the path
    /// is the identifier).
    pub identifier: String,
    /// The outcome.
    pub outcome: Outcome,
    /// How long the test took, when the result file says (collector JSON:
    /// `history.duration`; JUnit: the `time` attribute).
    pub duration: Option<Duration>,
    /// Why it failed, when it failed and the result file says.
    pub failure: Option<Failure>,
    /// What the test printed, when the result file holds it (JUnit
    /// `<system-out>` and `<system-err>` of the test case).
    pub output: Option<String>,
    /// Where the test is defined, when the result file says (collector
    /// JSON: `file_name` and `location`; Jest: the test's file).
    pub location: Option<Location>,
}

/// Where a test is defined: its file, relative to the directory the runner
/// ran in, and its 1-based line when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file (`tests/test_cart.py`, `./spec/cart_spec.rb`).
    pub file: String,
    /// The 1-based line of the test's definition.
    pub line: Option<u32>,
}

impl Location {
    /// A location in `file`, at 1-based `line`; `None` for an empty file.
    pub fn new(file: impl Into<String>, line: Option<u32>) -> Option<Location> {
        let file = file.into();
        (!file.is_empty()).then_some(Location { file, line })
    }
}

impl TestResult {
    /// The test as people read it: its scope, then its name. A scope that
    /// is Playwright's `titlePath()` (D39: it begins with a space and ends
    /// with the name) is the label by itself, without its leading spaces.
    pub fn label(&self) -> String {
        let whole = self.scope.starts_with(' ')
            && self
                .scope
                .strip_suffix(self.name.as_str())
                .is_some_and(|rest| rest.ends_with(' '));
        if whole {
            self.scope.trim_start().to_string()
        } else {
            // A test outside any group has an empty scope: no space before
            // its name (issue 21 item 4).
            [self.scope.trim(), self.name.as_str()]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    /// The test as the report names it when tests have no runnable path
    /// of their own (D44): where it is, then its label, as
    /// `src/cart.test.js › Cart applies a discount`. Where it is, is the
    /// runner's own id when that id names the file (RSpec's
    /// `./spec/cart_spec.rb[1:2]`, Cucumber's `features/cart.feature:12`),
    /// else the file and line; a test without a location is its label.
    pub fn display_name(&self) -> String {
        let Some(location) = &self.location else {
            return self.label();
        };
        let own_id = !self.identifier.is_empty()
            && self.identifier == self.path
            && self.path.starts_with(location.file.as_str());
        let place = match location.line {
            _ if own_id => self.path.clone(),
            Some(line) => format!("{}:{line}", location.file),
            None => location.file.clone(),
        };
        // Playwright's title path holds the file (after the project): it
        // is said once, in front.
        let label = self.label();
        let mut words: Vec<&str> = label.split(' ').collect();
        let file = location.file.as_str();
        let names_file = |word: &&str| {
            !word.is_empty()
                && (file == *word
                    || file
                        .strip_suffix(*word)
                        .is_some_and(|rest| rest.ends_with('/')))
        };
        if let Some(i) = words.iter().take(2).position(names_file)
            && words.len() > i + 1
        {
            words.remove(i);
        }
        format!("{place} › {}", words.join(" "))
    }
}

/// Why a test failed, as the result file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failure {
    /// The one-line message (collector JSON: `failure_reason`; JUnit: the
    /// `message` attribute).
    pub message: String,
    /// The details: the traceback or expanded failure (collector JSON:
    /// `failure_expanded`; JUnit: the element's text).
    pub details: String,
    /// Whether it was an error rather than a failure (JUnit `<error>`).
    pub error: bool,
}

impl Failure {
    /// A failure from the text a runner printed for it; the message is its
    /// first line that is not blank.
    pub(crate) fn from_details(details: String) -> Failure {
        Failure {
            message: details
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or_default()
                .to_string(),
            details,
            error: false,
        }
    }
}

/// A parsed result file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedResults {
    /// The tests, in file order.
    pub tests: Vec<TestResult>,
    /// A run-level error (such as a pytest collection error), which ends the
    /// run without retries.
    pub run_error: Option<String>,
    /// Tests the file shows starting and not ending: a stream cut short
    /// (`go test -json` of a run bktec ended, D48).
    pub running: Vec<String>,
    /// Each file's own cost in seconds, where the report times files apart
    /// from their tests (Jest's and Vitest's start and end of each file):
    /// what the file took beyond its tests (D52).
    pub file_costs: std::collections::BTreeMap<String, f64>,
}

// The file costs are computed from finite numbers and never NaN.
impl Eq for ParsedResults {}

/// A duration in seconds from a result file: `None` when it is not a
/// finite, non-negative number.
pub(crate) fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

/// The format of a result file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultFormat {
    /// buildkite-test-collector JSON.
    CollectorJson,
    /// JUnit XML.
    JUnitXml,
    /// The RSpec JSON formatter's output.
    RspecJson,
    /// Jest's `--json` output.
    JestJson,
    /// Vitest's `json` reporter output (Jest's format).
    VitestJson,
    /// `go test -json` event lines (gotestsum's `--jsonfile`).
    GoJsonl,
    /// Playwright's JSON reporter output.
    PlaywrightJson,
    /// Cucumber's JSON formatter output.
    CucumberJson,
}

impl ResultFormat {
    /// Whether `head`, the first bytes of a file, may begin a file of this
    /// format (or of a run of the runner that writes it, cut short): a file
    /// that cannot is no stale result, and bktec must not remove it (D35).
    pub fn may_begin(self, head: &[u8]) -> bool {
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let text = text.trim_ascii_start();
        let Some(first) = text.first() else {
            return true;
        };
        match self {
            ResultFormat::JUnitXml => *first == b'<',
            ResultFormat::GoJsonl => {
                // `go test -json` on stdout starts with build output when a
                // package does not build.
                *first == b'{'
                    || [&b"# "[..], b"FAIL", b"ok ", b"? ", b"PASS", b"---", b"==="]
                        .iter()
                        .any(|start| text.starts_with(start))
            }
            ResultFormat::CollectorJson
            | ResultFormat::RspecJson
            | ResultFormat::JestJson
            | ResultFormat::VitestJson
            | ResultFormat::PlaywrightJson
            | ResultFormat::CucumberJson => matches!(first, b'[' | b'{'),
        }
    }

    /// The format's name in an upload (13.1).
    pub fn upload_name(self) -> &'static str {
        match self {
            ResultFormat::CollectorJson => "json",
            ResultFormat::JUnitXml => "junit",
            ResultFormat::RspecJson => "rspec-json",
            ResultFormat::JestJson | ResultFormat::VitestJson => "jest-json",
            ResultFormat::GoJsonl => "go-jsonl",
            ResultFormat::PlaywrightJson => "playwright-json",
            ResultFormat::CucumberJson => "cucumber-json",
        }
    }

    /// The format's name in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            ResultFormat::CollectorJson => "JSON",
            ResultFormat::JUnitXml => "JUnit XML",
            ResultFormat::RspecJson => "RSpec JSON",
            ResultFormat::JestJson => "Jest JSON",
            ResultFormat::VitestJson => "Vitest JSON",
            ResultFormat::GoJsonl => "go test -json",
            ResultFormat::PlaywrightJson => "Playwright JSON",
            ResultFormat::CucumberJson => "Cucumber JSON",
        }
    }
}

/// Deserializes a JSON result file of format `what` from `bytes`.
fn from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    what: &'static str,
) -> Result<T, ResultsError> {
    serde_json::from_slice(bytes).map_err(|source| ResultsError::Format {
        path: path.to_path_buf(),
        what,
        source,
    })
}

/// Reads what a runner's listing wrote in `format` at `path` (6.4, D37):
/// as [`parse`] reads results, but keeping the tests that did not run,
/// which is all of them.
pub fn parse_listing(path: &Path, format: ResultFormat) -> Result<ParsedResults, ResultsError> {
    if format != ResultFormat::PlaywrightJson {
        return parse(path, format, Mapping::Custom);
    }
    let bytes = read_regular(path, RESULT_FILE).map_err(|source| ResultsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_playwright_listing(&bytes, path, &std::env::current_dir().unwrap_or_default())
}

/// Reads and parses the result file at `path`: the one place that chooses
/// a parser by format. Adding a format is one file and one arm here.
pub fn parse(
    path: &Path,
    format: ResultFormat,
    mapping: Mapping,
) -> Result<ParsedResults, ResultsError> {
    let read_error = |source| ResultsError::Read {
        path: path.to_path_buf(),
        source,
    };
    // A test command may leave anything at the result path: only a regular
    // file of bounded size is read (D34).
    let read = |path: &Path| read_regular(path, RESULT_FILE);
    match format {
        ResultFormat::CollectorJson => {
            let bytes = read(path).map_err(read_error)?;
            parse_collector_json(&bytes, path, mapping)
        }
        ResultFormat::RspecJson => parse_rspec_json(&read(path).map_err(read_error)?, path),
        ResultFormat::GoJsonl => parse_go_jsonl(&read(path).map_err(read_error)?, path),
        ResultFormat::CucumberJson => parse_cucumber_json(&read(path).map_err(read_error)?, path),
        ResultFormat::PlaywrightJson => {
            let bytes = read(path).map_err(read_error)?;
            parse_playwright_json(&bytes, path, &std::env::current_dir().unwrap_or_default())
        }
        ResultFormat::JestJson | ResultFormat::VitestJson => {
            let bytes = read(path).map_err(read_error)?;
            // The runner ran in bktec's working directory; a cwd that
            // cannot be read leaves the file names absolute, which then
            // cover no target (D23 fails closed).
            let root = std::env::current_dir().unwrap_or_default();
            let runner = if format == ResultFormat::JestJson {
                "Jest"
            } else {
                "Vitest"
            };
            parse_jest_json(&bytes, path, &root, runner)
        }
        ResultFormat::JUnitXml => {
            let input = open_regular(path, RESULT_FILE).map_err(read_error)?;
            let input = std::io::Read::take(input, RESULT_FILE.bytes);
            parse_junit(std::io::BufReader::new(input), path, mapping)
        }
    }
}

/// Which runner's conventions map result entries to tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// pytest: node ids.
    Pytest,
    /// The custom runner.
    Custom,
}

/// Why a result file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file is missing or unreadable.
    #[error("failed to read result file `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid collector JSON.
    #[error("result file `{path}` is not valid test collector JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The file is not valid JSON of a runner's format.
    #[error("result file `{path}` is not valid {what}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The format (`RSpec JSON`).
        what: &'static str,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A line of a line-oriented file is not valid JSON.
    #[error("result file `{path}` is not valid {what} output at line {line}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The format (`go test -json`).
        what: &'static str,
        /// The 1-based line.
        line: usize,
        /// The error.
        #[source]
        source: serde_json::Error,
    },
    /// The file is not valid JUnit XML.
    #[error("result file `{path}` is not valid JUnit XML")]
    Xml {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the byte position.
        #[source]
        source: junit::XmlError,
    },
    /// An attribute of the JUnit XML is malformed or cannot be unescaped.
    #[error("result file `{path}` is not valid JUnit XML")]
    XmlAttribute {
        /// The file.
        path: PathBuf,
        /// What is wrong with the attribute.
        #[source]
        source: junit::AttributeError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(scope: &str, name: &str, path: &str, identifier: &str) -> TestResult {
        TestResult {
            scope: scope.into(),
            name: name.into(),
            path: path.into(),
            identifier: identifier.into(),
            outcome: Outcome::Failed,
            duration: None,
            failure: None,
            output: None,
            location: None,
        }
    }

    /// Names a person reads and finds (issue 21 item 4).
    #[test]
    fn display_names_say_where_the_test_is() {
        let mut top = test("", "counts items", "src/a.test.js::counts items", "");
        assert_eq!(top.label(), "counts items");
        top.location = Location::new("src/a.test.js", None);
        assert_eq!(top.display_name(), "src/a.test.js › counts items");
        let mut rspec = test(
            "Cart",
            "adds up",
            "./spec/cart_spec.rb[1:2]",
            "./spec/cart_spec.rb[1:2]",
        );
        rspec.location = Location::new("./spec/cart_spec.rb", Some(7));
        assert_eq!(
            rspec.display_name(),
            "./spec/cart_spec.rb[1:2] › Cart adds up"
        );
        let mut jest = test("Cart", "adds up", "src/cart.test.js::Cart adds up", "");
        jest.location = Location::new("src/cart.test.js", Some(3));
        assert_eq!(jest.display_name(), "src/cart.test.js:3 › Cart adds up");
        assert_eq!(test("pkg", "TestX", "pkg", "").display_name(), "pkg TestX");
        let mut playwright = test(
            " firefox cart.spec.ts Cart adds up",
            "adds up",
            "tests/cart.spec.ts:9",
            "",
        );
        playwright.location = Location::new("tests/cart.spec.ts", Some(9));
        assert_eq!(
            playwright.display_name(),
            "tests/cart.spec.ts:9 › firefox Cart adds up"
        );
    }
}
