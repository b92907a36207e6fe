//! The merged JUnit report (`--junit-out`) against the strict readers'
//! schemas (issue 21 item 1, D44), from a real pytest run with a flaky, a
//! failing, a skipped and a muted test, in both result formats:
//! - Jenkins' `junit-10.xsd`, as pytest's source distribution on PyPI ships
//!   it (fetched by `scripts/python-env.sh` into `target/xsd`, not kept in
//!   this repository), validated by `xmlschema` from PyPI. Its copy lacks
//!   the `file` and `line` attributes of a test case that the Jenkins
//!   plugin's newer copy declares; the test adds those two declarations,
//!   and nothing else.
//! - Maven Surefire's `surefire-test-report-3.0.xsd`, which no package
//!   registry reachable here ships (Debian's `libsurefire-java` is 2.22
//!   and carries no schema): its rules are encoded below, element by
//!   element, and each `<testsuite>` is checked against them.

use std::path::Path;
use std::process::Command;

use crate::support::pytest::{FAILING, FLAKY, bktec, project, write_plan};
use crate::support::{TestDir, Venv, repo_root, venv};

/// Surefire 3.0's rules for a `<testsuite>` and what it holds, and the
/// junit-10 validation, in Python; prints one line per broken rule.
const CHECK: &str = r#"
import re, sys
import xml.etree.ElementTree as ET
import xmlschema

path, xsd = sys.argv[1], sys.argv[2]
problems = []

# Jenkins junit-10 (pytest's copy), with the test case's `file` and `line`.
text = open(xsd).read()
anchor = '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>\n\n    <xs:element name="testsuite">'
assert text.count(anchor) == 1, "junit-10.xsd changed shape"
text = text.replace(anchor, '<xs:attribute name="file" type="xs:string"/><xs:attribute name="line" type="xs:string"/>' + anchor)
for error in xmlschema.XMLSchema(text).iter_errors(path):
    problems.append("junit-10: " + str(error.reason) + " at " + str(error.path))

# Surefire 3.0, each <testsuite> as its own document.
TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
def attrs(e, allowed, required, where):
    for a in e.attrib:
        if a not in allowed:
            problems.append(f"surefire: {where}: attribute {a} not allowed")
    for a in required:
        if a not in e.attrib:
            problems.append(f"surefire: {where}: attribute {a} missing")
def no_children(e, where):
    if len(e):
        problems.append(f"surefire: {where}: <{e.tag}> has children")
def sequence(e, order, where):
    # order: (tag, min, max); children in this order, counts within bounds
    i = 0
    kids = list(e)
    for tag, lo, hi in order:
        n = 0
        while i < len(kids) and kids[i].tag == tag:
            n += 1
            i += 1
        if n < lo or (hi is not None and n > hi):
            problems.append(f"surefire: {where}: {n} <{tag}>")
    if i < len(kids):
        problems.append(f"surefire: {where}: <{kids[i].tag}> out of order or not allowed")
RERUN = [("stackTrace", 1, 1), ("system-out", 0, 1), ("system-err", 0, 1)]
CASE = [("failure", 0, None), ("rerunFailure", 0, None), ("flakyFailure", 0, None),
        ("skipped", 0, 1), ("error", 0, 1), ("rerunError", 0, None), ("flakyError", 0, None),
        ("system-out", 0, 1), ("system-err", 0, 1)]
root = ET.parse(path).getroot()
for suite in root.iter("testsuite"):
    attrs(suite, {"version", "name", "time", "tests", "errors", "skipped", "failures", "group"},
          {"name", "tests", "errors", "skipped", "failures"}, "testsuite")
    sequence(suite, [("properties", 0, None), ("testcase", 0, None)], "testsuite")
    for case in suite.iter("testcase"):
        where = "testcase " + case.get("name", "?")
        # `file` and `line`: the one addition (D44).
        attrs(case, {"name", "classname", "group", "time", "file", "line"}, {"name", "time"}, where)
        if not TIME.fullmatch(case.get("time", "")):
            problems.append(f"surefire: {where}: time {case.get('time')!r}")
        sequence(case, CASE, where)
        for child in case:
            w = where + " <" + child.tag + ">"
            if child.tag in ("failure", "error"):
                attrs(child, {"message", "type"}, {"type"}, w)
                no_children(child, w)
            elif child.tag == "skipped":
                attrs(child, {"message"}, set(), w)
                no_children(child, w)
            elif child.tag in ("rerunFailure", "flakyFailure", "rerunError", "flakyError"):
                attrs(child, {"message", "type"}, {"type"}, w)
                sequence(child, RERUN, w)
                if (child.text or "").strip() or any((k.tail or "").strip() for k in child):
                    problems.append(f"surefire: {w}: text outside its children")
                for k in child:
                    attrs(k, set(), set(), w + " <" + k.tag + ">")
                    no_children(k, w + " <" + k.tag + ">")
            else:
                attrs(child, set(), set(), w)
                no_children(child, w)
if root.tag != "testsuites" or "skipped" in root.attrib:
    problems.append("junit-10: the root is not <testsuites> without `skipped`")
for p in problems:
    print(p)
"#;

/// The broken rules of the JUnit file at `path`; empty when it keeps them
/// all.
fn strict_problems(path: &Path) -> Vec<String> {
    venv(Venv::Collector); // runs scripts/python-env.sh once
    let python = repo_root().join("target/py/xsd/bin/python");
    let xsd = repo_root().join("target/xsd/junit-10.xsd");
    crate::support::python_lines(&python, CHECK, &[path, &xsd])
}

const SKIPPED: &str =
    "import pytest\n\n@pytest.mark.skip(reason=\"later\")\ndef test_later():\n    pass\n";
const MUTED: &str = "def test_muted():\n    assert 'a' == 'b'\n";

/// A run with a flaky, a failing, a skipped and a muted test, retried once,
/// its merged JUnit at `ci/merged.xml`.
fn merged_run(which: Venv) -> TestDir {
    let dir = project(&[
        ("tests/test_fail.py", FAILING),
        ("tests/test_flaky.py", FLAKY),
        ("tests/test_skip.py", SKIPPED),
        ("tests/test_muted.py", MUTED),
    ]);
    write_plan(
        &dir,
        &[
            "tests/test_fail.py",
            "tests/test_flaky.py",
            "tests/test_skip.py",
            "tests/test_muted.py",
        ],
        // Test Engine names a test as its upload did: by file in collector
        // JSON, by JUnit class name in JUnit XML.
        &[match which {
            Venv::NoCollector => ("tests.test_muted", "test_muted"),
            Venv::Collector | Venv::OldCollector => ("tests/test_muted.py", "test_muted"),
        }],
    );
    bktec(&dir, which)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-engine-retry-count",
            "1",
        ])
        .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "ci/merged.xml")
        .output()
        .assert_exit(1);
    dir
}

#[test]
fn merged_junit_keeps_the_strict_schemas_in_both_result_formats() {
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = merged_run(which);
        let path = dir.path().join("ci/merged.xml");
        let xml = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            strict_problems(&path),
            Vec::<String>::new(),
            "{which:?}:\n{xml}"
        );
        // What the schemas allow but a reader needs: each kind of element
        // is there, so the check above checked something.
        for needle in [
            "<flakyFailure message=",
            "<rerunFailure message=",
            "<stackTrace>",
            "<failure message=",
            "<skipped message=\"muted in Test Engine",
            "<skipped",
            "file=\"tests/test_fail.py\"",
        ] {
            assert!(xml.contains(needle), "{which:?}: no {needle} in\n{xml}");
        }
    }
}

#[test]
fn collector_json_gives_each_test_case_its_file_and_line() {
    let dir = merged_run(Venv::Collector);
    let xml = std::fs::read_to_string(dir.path().join("ci/merged.xml")).unwrap();
    // `def test_broken():` is on line 4 of FAILING (pytest's collector
    // says 3: pytest counts from 0).
    assert!(
        xml.contains("name=\"test_broken\" classname=\"tests.test_fail\" time=\"",)
            && xml.contains("file=\"tests/test_fail.py\" line=\"4\""),
        "{xml}"
    );
}

#[test]
fn a_collector_failure_body_does_not_repeat_its_last_line() {
    let dir = merged_run(Venv::Collector);
    let xml = std::fs::read_to_string(dir.path().join("ci/merged.xml")).unwrap();
    let start = xml.find("<failure ").expect("a failure");
    let body = &xml[start..xml[start..].find("</failure>").unwrap() + start];
    let lines: Vec<&str> = body.lines().collect();
    let last = lines.last().unwrap();
    assert!(
        last.ends_with("AssertionError"),
        "the body ends with pytest's crash line: {body}"
    );
    assert_eq!(
        lines.iter().filter(|l| *l == last).count(),
        1,
        "the last line is repeated:\n{body}"
    );
}

/// The check itself finds each rule the report once broke (the report of
/// issue 21): so a green check means the rules hold.
#[test]
fn the_check_finds_each_rule_the_old_report_broke() {
    let dir = TestDir::new();
    let path = dir.write(
        "old.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bktec" tests="2" skipped="1" failures="0" errors="0" time="1.250">
    <testsuite name="pytest" tests="2" skipped="1" errors="0" failures="0" time="1.250">
        <testcase name="test_flaky" classname="tests.test_a" time="0.250">
            <flakyFailure time="0.250" message="first">E   first
tests/x.py:3: AssertionError
                <system-out>printed</system-out>
            </flakyFailure>
        </testcase>
        <testcase name="test_muted" classname="tests.test_m">
            <skipped message="muted" type="muted"/>
        </testcase>
    </testsuite>
</testsuites>
"#,
    );
    let problems = strict_problems(&path).join("\n");
    for rule in [
        "junit-10: the root is not <testsuites> without `skipped`",
        "surefire: testcase test_flaky <flakyFailure>: attribute time not allowed",
        "surefire: testcase test_flaky <flakyFailure>: attribute type missing",
        "surefire: testcase test_flaky <flakyFailure>: 0 <stackTrace>",
        "surefire: testcase test_flaky <flakyFailure>: text outside its children",
        "surefire: testcase test_muted: attribute time missing",
        "surefire: testcase test_muted <skipped>: attribute type not allowed",
    ] {
        assert!(problems.contains(rule), "{rule} not found in:\n{problems}");
    }
    assert!(problems.contains("junit-10: "), "{problems}");
}

// Names and the reproduction line a person can paste (issue 21 item 4).

/// The lines of the report's section that starts with `heading`.
fn section<'a>(stdout: &'a str, heading: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with("====="))
        .collect()
}

#[test]
fn the_reproduction_line_pastes_without_bktec_s_temporary_result_file() {
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = project(&[("tests/test_fail.py", FAILING)]);
        let out = bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .output();
        out.assert_exit(1);
        let stdout = out.stdout();
        let line = section(&stdout, "To reproduce the failures, run:");
        assert_eq!(line, ["pytest tests/test_fail.py::test_broken"], "{stdout}");
        // Pasted into a shell where pytest is, it runs that one test.
        let pasted = Command::new("sh")
            .args(["-c", line[0]])
            .env("PATH", format!("{}:/usr/bin:/bin", venv(which).display()))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&pasted.stdout);
        assert_eq!(pasted.status.code(), Some(1), "{printed}");
        assert!(printed.contains("1 failed"), "{printed}");
    }
}

#[test]
fn xfail_is_an_expected_failure_not_a_skip() {
    // In both result modes: the collector's JSON says "skipped" for an
    // expected failure, and the witness tells them apart.
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = project(&[(
            "tests/test_x.py",
            "import pytest\n\n@pytest.mark.xfail(reason=\"bug 12\")\ndef test_known():\n    assert 0\n\n@pytest.mark.skip(reason=\"later\")\ndef test_later():\n    pass\n",
        )]);
        let out = bktec(&dir, which)
            .args(["run"])
            .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "merged.xml")
            .output();
        out.assert_success();
        let stdout = out.stdout();
        assert_eq!(
            section(&stdout, "Expected failures (xfail):"),
            ["- tests/test_x.py::test_known"],
            "{which:?}: {stdout}"
        );
        assert_eq!(
            section(&stdout, "Skipped by pytest:"),
            ["- tests/test_x.py::test_later"],
            "{which:?}: {stdout}"
        );
        let xml = std::fs::read_to_string(dir.path().join("merged.xml")).unwrap();
        assert!(
            xml.contains("<skipped message=\"expected failure (xfail)\"/>"),
            "{which:?}: {xml}"
        );
    }
}

#[test]
fn a_collection_error_is_not_among_the_slowest_tests() {
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = project(&[
            ("tests/test_ok.py", crate::support::pytest::PASSING),
            (
                "tests/test_broken.py",
                "import no_such_module\n\ndef test_x():\n    pass\n",
            ),
        ]);
        // The other file's tests run too, so the report has slowest tests.
        let out = bktec(&dir, which)
            .args(["run"])
            .env("PYTEST_ADDOPTS", "--continue-on-collection-errors")
            .output();
        let stdout = out.stdout();
        let slowest = section(&stdout, "Slowest tests on this node:");
        assert!(
            slowest.iter().any(|l| l.contains("test_ok.py::test_one")),
            "{which:?}: the report lists the slowest tests: {stdout}"
        );
        assert!(
            slowest.iter().all(|l| !l.contains("test_broken")),
            "{which:?}: {stdout}"
        );
    }
}

/// In JUnit mode, a file pytest could not collect (under
/// `--continue-on-collection-errors`) ends the run as in collector JSON,
/// named by its file: it is never passed to a retry by its module name,
/// which pytest cannot find.
#[test]
fn a_collection_error_in_junit_mode_is_named_by_its_file_and_never_retried() {
    let dir = project(&[
        ("tests/test_ok.py", crate::support::pytest::PASSING),
        (
            "tests/test_broken.py",
            "import no_such_module\n\ndef test_x():\n    pass\n",
        ),
    ]);
    let out = bktec(&dir, Venv::NoCollector)
        .args([
            "run",
            "--test-engine-retry-count",
            "2",
            "--test-command",
            "pytest --continue-on-collection-errors {{testExamples}} --junit-xml={{resultPath}}",
        ])
        .output();
    out.assert_exit(1);
    let stdout = out.stdout();
    assert!(
        stdout.contains("🚨 pytest collection failed: tests/test_broken.py"),
        "{stdout}"
    );
    assert!(!stdout.contains("Attempt 1 of 2"), "{stdout}");
    assert!(!stdout.contains("tests.test_broken"), "{stdout}");
}
