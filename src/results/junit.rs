//! JUnit XML (behaviour document 8.2). A `<failure>` or `<error>` child means
//! failed, else `<skipped>` means skipped, else passed. The root may be
//! `<testsuites>` or a bare `<testsuite>`, and suites may nest.

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use quick_xml::Reader;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};

use super::{
    Failure, Location, Mapping, Outcome, ParsedResults, ResultsError, TestResult, seconds,
};

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
    duration: Option<Duration>,
    failure: Option<Failure>,
    output: String,
    /// The `file` attribute (pytest's legacy `xunit1` family, and other
    /// writers).
    file: String,
    /// The `line` attribute, as written.
    line: Option<u32>,
    /// How deep the reader is inside the `<testcase>` element (1: a child).
    depth: usize,
    /// Where the text of the child being read goes.
    capture: Capture,
}

/// Where text inside a test case goes: only the text of its own
/// `<failure>`/`<error>` and `<system-out>`/`<system-err>` children (not
/// that of the `flakyFailure` runs of a merged report, say).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    Nothing,
    Failure,
    Output,
}

impl Case {
    fn text(&mut self, text: &str) {
        match self.capture {
            Capture::Nothing => {}
            Capture::Failure => {
                if let Some(failure) = &mut self.failure {
                    failure.details.push_str(text);
                }
            }
            Capture::Output => self.output.push_str(text),
        }
    }
}

/// Parses JUnit XML streamed from `input` (read from `path`, for messages).
/// The file is never held in memory whole.
pub fn parse_junit(
    input: impl BufRead,
    path: &Path,
    mapping: Mapping,
) -> Result<ParsedResults, ResultsError> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(8192);
    let mut state = State {
        path,
        mapping,
        parsed: ParsedResults::default(),
        seen_root: false,
        current: None,
    };
    loop {
        buf.clear();
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|error| state.xml(XmlError::Syntax { position, error }))?;
        match &event {
            Event::Start(element) => state.start(element, false)?,
            Event::Empty(element) => state.start(element, true)?,
            Event::End(element) => state.end(element.name().as_ref()),
            Event::Eof => break,
            Event::Text(text) => {
                if state.current.is_some() {
                    let text = text
                        .decode()
                        .map_err(|error| state.xml(XmlError::Decode { position, error }))?;
                    state.text(&text);
                }
            }
            Event::CData(text) => state.text(&String::from_utf8_lossy(text)),
            Event::GeneralRef(reference) => {
                if state.current.is_some() {
                    let name = reference
                        .decode()
                        .map_err(|error| state.xml(XmlError::Decode { position, error }))?;
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) | Err(_) => quick_xml::escape::resolve_predefined_entity(&name)
                            .map_or_else(|| format!("&{name};"), str::to_string),
                    };
                    state.text(&resolved);
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !state.seen_root {
        return Err(state.xml(XmlError::NoRoot));
    }
    Ok(state.parsed)
}

/// Why a result file is not JUnit XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// The XML does not parse. Not a `#[source]`: quick-xml's errors print
    /// their cause in their own message.
    #[error("{error} (at byte {position})")]
    Syntax {
        /// The byte where the event that failed starts.
        position: u64,
        /// What quick-xml found.
        error: quick_xml::Error,
    },
    /// Text is not in the document's encoding.
    #[error("{error} (at byte {position})")]
    Decode {
        /// The byte where the text starts.
        position: u64,
        /// What could not be decoded.
        error: quick_xml::encoding::EncodingError,
    },
    /// The root element is not a test suite.
    #[error("the root element is <{name}>, not <testsuites> or <testsuite>")]
    Root {
        /// The root element's name.
        name: String,
    },
    /// The file holds no element.
    #[error("the file has no root element")]
    NoRoot,
}

/// The reader's state: what was parsed so far and the test case it is in.
struct State<'a> {
    path: &'a Path,
    mapping: Mapping,
    parsed: ParsedResults,
    seen_root: bool,
    current: Option<Case>,
}

impl State<'_> {
    /// `error` as the error of this file.
    fn xml(&self, error: XmlError) -> ResultsError {
        ResultsError::Xml {
            path: self.path.to_path_buf(),
            source: error,
        }
    }

    /// `error` as the error of an attribute of this file.
    fn attribute(&self, source: AttributeError) -> ResultsError {
        ResultsError::XmlAttribute {
            path: self.path.to_path_buf(),
            source,
        }
    }

    /// Text read inside the current test case, if any.
    fn text(&mut self, text: &str) {
        if let Some(case) = &mut self.current {
            case.text(text);
        }
    }

    /// An element opens (`is_empty`: and closes at once, `<x/>`).
    fn start(&mut self, element: &BytesStart<'_>, is_empty: bool) -> Result<(), ResultsError> {
        let name = element.name();
        let name = name.as_ref();
        if !self.seen_root {
            self.seen_root = true;
            if name != b"testsuites" && name != b"testsuite" {
                let name = String::from_utf8_lossy(name).into_owned();
                return Err(self.xml(XmlError::Root { name }));
            }
            return Ok(());
        }
        if name == b"testcase" {
            let case = self.case(element)?;
            if is_empty {
                self.push(case);
            } else {
                self.current = Some(case);
            }
            return Ok(());
        }
        let Some(case) = &mut self.current else {
            return Ok(());
        };
        // Only the test case's own children (depth 0) decide its outcome.
        let child = case.depth == 0;
        if !is_empty {
            case.depth += 1;
        }
        match name {
            b"failure" | b"error" if child => {
                case.outcome = Outcome::Failed;
                if case.failure.is_none() {
                    let message = attribute(element, b"message");
                    let message = message.map_err(|e| self.attribute(e))?;
                    let case = self.current.as_mut().expect("in a test case");
                    case.failure = Some(Failure {
                        message,
                        details: String::new(),
                        error: name == b"error",
                    });
                    if !is_empty {
                        case.capture = Capture::Failure;
                    }
                }
            }
            b"skipped" if child && case.outcome != Outcome::Failed => {
                let ty = attribute(element, b"type").map_err(|e| self.attribute(e))?;
                let case = self.current.as_mut().expect("in a test case");
                case.outcome = if ty == "pytest.xfail" {
                    Outcome::ExpectedFailure
                } else {
                    Outcome::Skipped
                };
            }
            b"system-out" | b"system-err" if child && !is_empty => {
                case.capture = Capture::Output;
            }
            _ => {}
        }
        Ok(())
    }

    /// A `<testcase>` element's case, with its attributes read.
    fn case(&self, element: &BytesStart<'_>) -> Result<Case, ResultsError> {
        let read = |key: &[u8]| attribute(element, key).map_err(|e| self.attribute(e));
        Ok(Case {
            classname: read(b"classname")?,
            name: read(b"name")?,
            outcome: Outcome::Passed,
            duration: read(b"time")?.trim().parse::<f64>().ok().and_then(seconds),
            failure: None,
            output: String::new(),
            file: read(b"file")?,
            line: read(b"line")?.trim().parse().ok(),
            depth: 0,
            capture: Capture::Nothing,
        })
    }

    /// Records a test case that has ended. gotestsum reports a package that
    /// did not build as a `TestMain` without a classname, failed with go's
    /// `[build failed]` (the Go client's `isBuildFailure`): that is a
    /// run-level error, never a test to retry (D39).
    fn push(&mut self, case: Case) {
        // A file pytest could not collect ends the run, as in collector
        // JSON: a retry could not name it, and its tests never ran.
        if self.mapping == Mapping::Pytest && is_collection_error(&case) {
            let file = module_file(&case.name);
            self.parsed
                .run_error
                .get_or_insert(format!("pytest collection failed: {file}"));
        }
        let result = to_result(case, self.mapping);
        let build_failed = result.failure.as_ref().and_then(|f| {
            [&f.message, &f.details]
                .into_iter()
                .flat_map(|text| text.lines())
                .find(|line| line.contains("[build failed]"))
        });
        match build_failed {
            Some(line) if result.name == "TestMain" && result.scope.is_empty() => {
                let error = format!("go test failed to build: {}", line.trim());
                self.parsed.run_error.get_or_insert(error);
            }
            Some(_) | None => self.parsed.tests.push(result),
        }
    }

    /// An element closes: a test case ends, or a child of one.
    fn end(&mut self, name: &[u8]) {
        if name == b"testcase" {
            if let Some(case) = self.current.take() {
                self.push(case);
            }
        } else if let Some(case) = &mut self.current {
            case.depth = case.depth.saturating_sub(1);
            case.capture = Capture::Nothing;
        }
    }
}

/// Why an attribute of a JUnit element cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AttributeError {
    /// The attribute list does not parse.
    #[error(transparent)]
    Malformed(AttrError),
    /// The value cannot be unescaped. Not a `#[source]`: quick-xml's errors
    /// already print their cause in their own message, so the chain ends
    /// here rather than showing it twice.
    #[error("{0}")]
    Value(quick_xml::Error),
}

/// The value of attribute `key`, unescaped; empty when it is absent.
fn attribute(element: &BytesStart<'_>, key: &[u8]) -> Result<String, AttributeError> {
    for attr in element.attributes() {
        let attr = attr.map_err(AttributeError::Malformed)?;
        if attr.key.as_ref() == key {
            return attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .map_err(AttributeError::Value);
        }
    }
    Ok(String::new())
}

/// Whether `case` is how pytest writes a file it could not collect.
fn is_collection_error(case: &Case) -> bool {
    case.classname.is_empty()
        && case
            .failure
            .as_ref()
            .is_some_and(|f| f.error && f.message == "collection failure")
}

/// The file of a dotted module name (`tests.test_broken` is
/// `tests/test_broken.py`); a name that already is a file stays.
fn module_file(module: &str) -> String {
    if module.ends_with(".py") || module.contains('/') {
        module.to_string()
    } else {
        format!("{}.py", module.replace('.', "/"))
    }
}

fn to_result(mut case: Case, mapping: Mapping) -> TestResult {
    // pytest writes a file that failed to collect as a test case without a
    // class name, its `time` the collection's: no test ran that long, so it
    // has no duration (it is not among the slowest tests, issue 21 item 4).
    if mapping == Mapping::Pytest && is_collection_error(&case) {
        case.duration = None;
        // Named by its module (`tests.test_broken`): the file it is.
        case.name = module_file(&case.name);
    }
    let output = Some(std::mem::take(&mut case.output)).filter(|o| !o.trim().is_empty());
    let failure = case.failure.map(|f| Failure {
        details: f.details.trim_matches('\n').to_string(),
        ..f
    });
    match mapping {
        // The identifier is the node id, which is already the path: it is not
        // stored twice, so large reports stay small in memory.
        Mapping::Pytest => {
            let path = pytest_node_id(&case.classname, &case.name);
            // pytest's `xunit1` writes pytest's 0-based line; the node id
            // names the file when there is no `file`.
            let file = match case.file.as_str() {
                "" => path
                    .split_once("::")
                    .map_or("", |(file, _)| file)
                    .to_string(),
                file => file.to_string(),
            };
            let line = case.line.and_then(|l| l.checked_add(1));
            TestResult {
                location: Location::new(file, line),
                path,
                scope: case.classname,
                name: case.name,
                identifier: String::new(),
                outcome: case.outcome,
                duration: case.duration,
                failure,
                output,
            }
        }
        Mapping::Custom => TestResult {
            location: Location::new(case.file, case.line.filter(|l| *l > 0)),
            path: case.classname.clone(),
            identifier: String::new(),
            scope: case.classname,
            name: case.name,
            outcome: case.outcome,
            duration: case.duration,
            failure,
            output,
        },
    }
}

/// A scope in JUnit classname form: `tests/test_auth.py::TestLogin` ->
/// `tests.test_auth.TestLogin` (6.3).
pub(crate) fn junit_classname(scope: &str) -> String {
    let (file, rest) = match scope.split_once("::") {
        Some((file, rest)) => (file, Some(rest)),
        None => (scope, None),
    };
    let file = file.strip_suffix(".py").unwrap_or(file);
    let joined = match rest {
        Some(rest) => format!("{file}::{rest}"),
        None => file.to_string(),
    };
    joined.replace("::", ".").replace('/', ".")
}

/// A node id's scope and name: split at the last `::` outside a
/// parameter's brackets, so `f.py::test_p[a::b]` is `f.py` and
/// `test_p[a::b]`.
pub(crate) fn split_node_id(id: &str) -> (&str, &str) {
    let balanced = |s: &str| s.matches('[').count() == s.matches(']').count();
    id.rmatch_indices("::")
        .find(|(i, _)| balanced(&id[..*i]))
        .or_else(|| id.rmatch_indices("::").next())
        .map_or(("", id), |(i, _)| (&id[..i], &id[i + 2..]))
}

/// Rebuilds a pytest node id from a JUnit classname and name (8.2).
fn pytest_node_id(classname: &str, name: &str) -> String {
    if classname.is_empty() {
        return name.to_string();
    }
    let parts: Vec<&str> = classname.split('.').collect();
    let module_end = parts
        .iter()
        .rposition(|p| p.starts_with("test_") || p.ends_with("_test"))
        .map(|i| i + 1)
        .or_else(|| {
            parts
                .iter()
                .position(|p| p.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        })
        .unwrap_or(parts.len());
    let mut id = String::with_capacity(classname.len() + name.len() + 8);
    id.push_str(&parts[..module_end].join("/"));
    id.push_str(".py");
    for class in &parts[module_end..] {
        id.push_str("::");
        id.push_str(class);
    }
    id.push_str("::");
    id.push_str(name);
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ErrorChain;

    #[test]
    fn node_ids_follow_the_spec_table() {
        for (classname, name, want) in [
            ("test_sample", "test_happy", "test_sample.py::test_happy"),
            (
                "tests.test_auth.TestLogin",
                "test_success",
                "tests/test_auth.py::TestLogin::test_success",
            ),
            (
                "tests.MyTest.test_subtract.TestSubtract",
                "test_positive",
                "tests/MyTest/test_subtract.py::TestSubtract::test_positive",
            ),
            (
                "tests.failed_test",
                "test_failed",
                "tests/failed_test.py::test_failed",
            ),
            ("", "test_something", "test_something"),
            ("pkg.mod.Klass", "test_k", "pkg/mod.py::Klass::test_k"),
            ("pkg.mod", "test_m", "pkg/mod.py::test_m"),
        ] {
            assert_eq!(pytest_node_id(classname, name), want);
        }
    }

    #[test]
    fn node_ids_split_outside_parameter_brackets() {
        assert_eq!(
            split_node_id("f.py::test_p[a::b]"),
            ("f.py", "test_p[a::b]")
        );
        assert_eq!(split_node_id("f.py::C::test[x]"), ("f.py::C", "test[x]"));
        assert_eq!(split_node_id("f.py::t"), ("f.py", "t"));
    }

    /// D39: gotestsum's shape for a package that did not build (the Go
    /// client's `internal/runner/testdata/go/broken`).
    #[test]
    fn a_package_that_did_not_build_is_a_run_error() {
        let xml = r#"<testsuites><testsuite name="m/broken" tests="1" failures="0" errors="1">
  <testcase classname="" name="TestMain" time="0"><failure message="Failed" type="">FAIL&#x9;m/broken [build failed]&#xA;</failure></testcase>
  </testsuite><testsuite name="m/ok"><testcase classname="m/ok" name="TestOK"/></testsuite></testsuites>"#;
        let parsed = parse_junit(xml.as_bytes(), Path::new("r.xml"), Mapping::Custom).unwrap();
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("go test failed to build: FAIL\tm/broken [build failed]")
        );
        assert_eq!(parsed.tests.len(), 1);
        assert_eq!(parsed.tests[0].path, "m/ok");
    }

    #[test]
    fn junit_classnames() {
        assert_eq!(
            junit_classname("tests/test_auth.py::TestLogin"),
            "tests.test_auth.TestLogin"
        );
        assert_eq!(junit_classname("test_sample.py"), "test_sample");
        assert_eq!(
            junit_classname("tests/pkg.py/test_auth.py::TestLogin"),
            "tests.pkg.py.test_auth.TestLogin"
        );
    }

    #[test]
    fn the_time_attribute_is_the_duration() {
        let xml = r#"<testsuite><testcase classname="tests.test_a" name="test_x[a b]" time="1.25"/>
  <testcase classname="tests.test_a" name="test_y" time=" -1"/><testcase classname="tests.test_a" name="test_z"/></testsuite>"#;
        let parsed = parse_junit(xml.as_bytes(), Path::new("r.xml"), Mapping::Pytest).unwrap();
        let got: Vec<Option<Duration>> = parsed.tests.iter().map(|t| t.duration).collect();
        assert_eq!(got, [Some(Duration::from_millis(1250)), None, None]);
    }

    #[test]
    fn statuses_and_roots() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.test_a" name="test_pass" time="0.1"/>
  <testcase classname="tests.test_a" name="test_fail"><failure message="boom">trace</failure></testcase>
  <testcase classname="tests.test_a" name="test_err"><error message="x"/></testcase>
  <testcase classname="tests.test_a" name="test_skip"><skipped message="later"/></testcase>
  <testsuite name="nested"><testcase classname="tests.test_b.TestB" name="test_q&amp;a[1]"/></testsuite>
</testsuite></testsuites>"#;
        let parsed = parse_junit(xml.as_bytes(), Path::new("r.xml"), Mapping::Pytest).unwrap();
        let got: Vec<(&str, &str)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.as_str(), t.outcome.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("tests/test_a.py::test_pass", "passed"),
                ("tests/test_a.py::test_fail", "failed"),
                ("tests/test_a.py::test_err", "failed"),
                ("tests/test_a.py::test_skip", "skipped"),
                ("tests/test_b.py::TestB::test_q&a[1]", "passed"),
            ]
        );
        let bare = r#"<testsuite name="x"><testcase classname="c" name="n"><failure/></testcase></testsuite>"#;
        let parsed = parse_junit(bare.as_bytes(), Path::new("r.xml"), Mapping::Custom).unwrap();
        assert_eq!(parsed.tests[0].path, "c");
        assert_eq!(parsed.tests[0].outcome, Outcome::Failed);
    }

    #[test]
    fn malformed_xml_is_an_error_naming_the_file() {
        let err =
            parse_junit(&b"<html></html>"[..], Path::new("r.xml"), Mapping::Pytest).unwrap_err();
        let text = format!("{:#}", ErrorChain(&err));
        assert_eq!(
            text,
            "result file `r.xml` is not valid JUnit XML: the root element is <html>, not <testsuites> or <testsuite>"
        );
        let err = parse_junit(
            &b"<testsuites><testcase name='a'></testsuites>"[..],
            Path::new("r.xml"),
            Mapping::Pytest,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("result file `r.xml` is not valid JUnit XML"),
            "{err}"
        );
        assert!(parse_junit(&b""[..], Path::new("r.xml"), Mapping::Pytest).is_err());
    }

    #[test]
    fn a_bad_attribute_names_the_file_and_its_cause_once() {
        for (xml, cause) in [
            (
                &b"<testsuite><testcase name='a&bogus;'/></testsuite>"[..],
                "bogus",
            ),
            (
                &b"<testsuite><testcase name=a/></testsuite>"[..],
                "position",
            ),
        ] {
            let err = parse_junit(xml, Path::new("r.xml"), Mapping::Pytest).unwrap_err();
            let text = format!("{:#}", ErrorChain(&err));
            assert!(
                text.starts_with("result file `r.xml` is not valid JUnit XML: "),
                "{text}"
            );
            assert_eq!(text.matches(cause).count(), 1, "{text}");
        }
    }
}
