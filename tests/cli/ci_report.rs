//! What a CI user reads and gets at the end of a run (issue 13): the
//! actionable report, with real pytest in both result formats.

use std::process::Command;

use crate::support::pytest::{FAILING, FLAKY, bktec, project};
use crate::support::{TestDir, Venv, venv};

/// The lines of the report's section that starts with `heading`, up to the
/// next blank line.
fn section(stdout: &str, heading: &str) -> Vec<String> {
    let start = stdout
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}` in\n{stdout}"));
    stdout[start + heading.len()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn flaky_and_failing() -> TestDir {
    project(&[
        ("tests/test_fail.py", FAILING),
        ("tests/test_flaky.py", FLAKY),
        (
            "tests/sub/test_class.py",
            "class TestCart:\n    def test_total(self):\n        assert 3 == 4\n",
        ),
    ])
}

#[test]
fn the_report_names_failed_and_flaky_tests_by_node_id_in_both_formats() {
    let mut reports = Vec::new();
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = flaky_and_failing();
        let out = bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .output();
        out.assert_exit(1);
        let stdout = out.stdout();
        let failed = section(&stdout, "+++ Failed Tests:");
        let flaky = section(&stdout, "Flaky tests (failed, then passed on a retry):");
        let slowest = section(&stdout, "Slowest tests on this node:");
        assert!(
            stdout.contains("To reproduce the failures, run:\npytest "),
            "{stdout}"
        );
        assert_eq!(slowest.len(), 5, "{stdout}");
        // Each failed line pasted after `pytest` runs that very test.
        for line in &failed {
            let id = line.strip_prefix("- ").expect("a list entry");
            let status = Command::new(venv(which).join("pytest"))
                .args(["-q", "-p", "no:cacheprovider", id])
                .current_dir(dir.path())
                .output()
                .expect("run pytest");
            assert_eq!(
                status.status.code(),
                Some(1),
                "{id} did not run as one failing test"
            );
        }
        reports.push((failed, flaky));
    }
    assert_eq!(
        reports[0].0,
        [
            "- tests/sub/test_class.py::TestCart::test_total",
            "- tests/test_fail.py::test_broken",
        ]
    );
    assert_eq!(reports[0].1, ["- tests/test_flaky.py::test_flaky"]);
    assert_eq!(reports[0], reports[1], "JSON and JUnit mode differ");
}

/// Reads a JUnit file with junitparser (from PyPI, in the test Python
/// environment), an independent reader: one line per test case, `classname
/// name result`, then the count of Surefire's flaky and rerun elements,
/// which junitparser leaves alone, from the standard library's parser.
fn read_with_junitparser(path: &std::path::Path) -> Vec<String> {
    const SCRIPT: &str = r#"
import sys
import xml.etree.ElementTree as ET
from junitparser import JUnitXml
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        kinds = [type(r).__name__.lower() for r in case.result] or ["passed"]
        print(case.classname, case.name, ",".join(kinds), case.time)
root = ET.parse(sys.argv[1]).getroot()
for tag in ["flakyFailure", "rerunFailure"]:
    print(tag, len(root.findall(".//" + tag)))
"#;
    crate::support::python_lines(&venv(Venv::Collector).join("python"), SCRIPT, &[path])
}

#[test]
fn junit_out_merges_every_attempt_and_is_read_alike_by_bktec_and_junitparser() {
    for which in [Venv::Collector, Venv::NoCollector] {
        let dir = flaky_and_failing();
        let out = bktec(&dir, which)
            .args(["run", "--test-engine-retry-count", "1"])
            .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "ci/merged.xml")
            .output();
        out.assert_exit(1).assert_stdout_contains(
            "Wrote the JUnit report of all attempts (5 tests) to `ci/merged.xml`",
        );
        let path = dir.path().join("ci/merged.xml");
        // bktec's own parser: each test once, with its final outcome.
        let parsed = bktec::results::parse(
            &path,
            bktec::results::ResultFormat::JUnitXml,
            bktec::results::Mapping::Pytest,
        )
        .unwrap();
        let mut got: Vec<(String, String)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.clone(), t.outcome.as_str().to_string()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "tests/sub/test_class.py::TestCart::test_total".into(),
                    "failed".into()
                ),
                ("tests/test_fail.py::test_broken".into(), "failed".into()),
                ("tests/test_fail.py::test_ok".into(), "passed".into()),
                ("tests/test_flaky.py::test_flaky".into(), "passed".into()),
                ("tests/test_flaky.py::test_steady".into(), "passed".into()),
            ],
            "{which:?}"
        );
        let broken = parsed
            .tests
            .iter()
            .find(|t| t.name == "test_broken")
            .unwrap();
        assert!(
            broken
                .failure
                .as_ref()
                .unwrap()
                .details
                .contains("assert 1 == 2"),
            "{which:?}: {broken:?}"
        );
        // junitparser: the same tests and outcomes; durations; one flaky
        // run (test_flaky's first), two reruns (the failures' first runs).
        let mut lines = read_with_junitparser(&path);
        let counts = lines.split_off(lines.len() - 2);
        lines.sort();
        let outcomes: Vec<String> = lines
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
            .collect();
        assert_eq!(
            outcomes,
            [
                "tests.sub.test_class.TestCart test_total failure",
                "tests.test_fail test_broken failure",
                "tests.test_fail test_ok passed",
                "tests.test_flaky test_flaky passed",
                "tests.test_flaky test_steady passed",
            ],
            "{which:?}"
        );
        assert!(
            lines
                .iter()
                .all(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().is_ok()),
            "{lines:?}"
        );
        assert_eq!(counts, ["flakyFailure 1", "rerunFailure 2"], "{which:?}");
    }
}

#[test]
fn junit_out_that_cannot_be_written_fails_a_green_run() {
    let dir = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    dir.write("ci", "a file where the directory should be");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "ci/merged.xml"])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "bktec run: failed to write the JUnit report `ci/merged.xml` (from --junit-out)",
    );
}

/// A test command that puts a FIFO where `--junit-out` writes, after the
/// check before the run, neither blocks bktec nor turns the run green.
#[test]
fn junit_out_swapped_for_a_fifo_during_the_run_is_refused_at_once() {
    let dir = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    let started = std::time::Instant::now();
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--junit-out",
            "merged.xml",
            "--test-command",
            "sh -c 'mkfifo merged.xml && exec pytest \"$@\" --json={{resultPath}}' sh {{testExamples}}",
        ])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "bktec run: failed to write the JUnit report `merged.xml` (from --junit-out)",
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "bktec waited on the FIFO"
    );
}

#[test]
fn junit_out_never_clobbers_the_run_s_own_results_nor_waits_on_a_fifo() {
    let dir = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    let refused = |args: &[&str], why: &str| {
        bktec(&dir, Venv::Collector)
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
            .arg("run")
            .args(args.iter().copied())
            .output()
            .assert_exit(16)
            .assert_stderr_contains("bktec run: refusing to write the merged JUnit report to `")
            .assert_stderr_contains(why);
    };
    refused(
        &["--result-path", "r.json", "--junit-out", "./r.json"],
        "it is the test command's own result file",
    );
    refused(
        &[
            "--result-path",
            "out/r.json",
            "--junit-out",
            "out/r.attempt-1.json",
        ],
        "it is where attempt 1's results are kept",
    );
    // A link to the result file, which does not exist yet, is the file.
    std::os::unix::fs::symlink("r.json", dir.path().join("dangling.xml")).unwrap();
    refused(
        &["--result-path", "r.json", "--junit-out", "dangling.xml"],
        "it is the test command's own result file",
    );
    let status = Command::new("mkfifo")
        .arg(dir.path().join("pipe.xml"))
        .status()
        .unwrap();
    assert!(status.success());
    refused(&["--junit-out", "pipe.xml"], "it is not a regular file");
    assert!(!dir.path().join("r.json").exists(), "nothing ran");
}

/// A stand-in `buildkite-agent`: records its arguments (one a line) and its
/// standard input in `dir`, then exits with `status`.
fn stand_in_agent(dir: &TestDir, status: i32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let agent = dir.path().join("agent/buildkite-agent");
    let log = dir.path().join("agent");
    dir.write(
        "agent/buildkite-agent",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{log}/args'\ncat >> '{log}/stdin'\nexit {status}\n",
            log = log.display()
        ),
    );
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    agent
}

fn read(dir: &TestDir, rel: &str) -> String {
    std::fs::read_to_string(dir.path().join(rel)).unwrap_or_default()
}

#[test]
fn a_buildkite_job_with_hard_failures_annotates_the_build() {
    let dir = flaky_and_failing();
    let agent = stand_in_agent(&dir, 0);
    let run = |job: &str| {
        bktec(&dir, Venv::Collector)
            .env("BUILDKITE", "true")
            .env("BUILDKITE_STEP_ID", "step-7")
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .env("BUILDKITE_PARALLEL_JOB", job)
            .args(["run", "--test-engine-retry-count", "1"])
            .arg("--buildkite-agent-command")
            .arg(&agent)
            .output()
    };
    // Job 0 of 2 gets tests/sub/test_class.py and tests/test_flaky.py.
    run("0").assert_exit(1).assert_stdout_contains(
        "Annotated the build with this node's failures (context `bktec-step-7`)",
    );
    // Its flaky test has a context of its own (D47).
    assert_eq!(
        read(&dir, "agent/args"),
        "annotate\n--context\nbktec-step-7\n--style\nerror\n--append\n\
         annotate\n--context\nbktec-step-7-flaky\n--style\nwarning\n--append\n"
    );
    let body = read(&dir, "agent/stdin");
    assert!(
        body.starts_with("**pytest, job 1 of 2: 1 test failed after retries**"),
        "{body}"
    );
    assert!(
        body.contains("<code>tests/sub/test_class.py::TestCart::test_total</code>"),
        "{body}"
    );
    assert!(body.contains("assert 3 == 4"), "{body}");
    let (failures, flaky) = body
        .split_once("**pytest, job 1 of 2: 1 test flaky")
        .unwrap();
    assert!(
        !failures.contains("test_flaky")
            && flaky.contains("<code>tests/test_flaky.py::test_flaky</code>"),
        "a flaky test is not a failure: {body}"
    );
    // Job 1 appends its part to the same context.
    run("1").assert_exit(1);
    let body = read(&dir, "agent/stdin");
    assert!(
        body.contains("**pytest, job 2 of 2: 1 test failed after retries**"),
        "{body}"
    );
    assert!(
        body.contains("<code>tests/test_fail.py::test_broken</code>"),
        "{body}"
    );
    assert_eq!(read(&dir, "agent/args").matches("--append").count(), 3);
}

#[test]
fn annotations_only_in_buildkite_only_with_failures_and_can_be_turned_off() {
    let dir = flaky_and_failing();
    let agent = stand_in_agent(&dir, 0);
    let with = |cmd: crate::support::BktecCmd| cmd.arg("--buildkite-agent-command").arg(&agent);
    // Not in a Buildkite job.
    with(bktec(&dir, Venv::Collector).arg("run"))
        .output()
        .assert_exit(1);
    // Turned off by flag, and by the file.
    with(bktec(&dir, Venv::Collector).args(["run", "--annotate=false"]))
        .env("BUILDKITE", "true")
        .output()
        .assert_exit(1);
    dir.write("bktec.toml", "[runner]\nannotate = false\n");
    with(bktec(&dir, Venv::Collector).arg("run"))
        .env("BUILDKITE", "true")
        .output()
        .assert_exit(1);
    std::fs::remove_file(dir.path().join("bktec.toml")).unwrap();
    assert_eq!(read(&dir, "agent/args"), "", "the agent was called");
    // No hard failure: the flaky test passes on retry, and only the flaky
    // tests' own context is annotated (D47).
    let green = project(&[("tests/test_flaky.py", FLAKY)]);
    with(bktec(&green, Venv::Collector).args(["run", "--test-engine-retry-count", "1"]))
        .env("BUILDKITE", "true")
        .output()
        .assert_success();
    assert_eq!(
        read(&dir, "agent/args"),
        "annotate\n--context\nbktec-flaky\n--style\nwarning\n--append\n"
    );
}

/// D47: a green run with flaky tests opens its report and annotates them
/// under the step's label; `retry.flaky-result = "fail"` fails the run
/// from any layer, and a value it does not know is refused with its source.
#[test]
fn flaky_tests_are_in_sight_and_can_fail_the_run() {
    let dir = project(&[("tests/test_flaky.py", FLAKY)]);
    let agent = stand_in_agent(&dir, 0);
    let run = |extra: &[&str]| {
        let _ = std::fs::remove_file(dir.path().join("tests/flaky-runs.txt"));
        let _ = std::fs::remove_dir_all(dir.path().join("agent/log"));
        std::fs::write(dir.path().join("agent/args"), "").unwrap();
        std::fs::write(dir.path().join("agent/stdin"), "").unwrap();
        bktec(&dir, Venv::Collector)
            .env("BUILDKITE", "true")
            .env("BUILDKITE_STEP_ID", "s1")
            .env("BUILDKITE_LABEL", ":pytest: Unit")
            .args(["run", "--test-engine-retry-count", "1"])
            .arg("--buildkite-agent-command")
            .arg(&agent)
            .args(extra)
            .output()
    };
    let out = run(&[]);
    out.assert_success();
    let stdout = out.stdout();
    assert!(
        stdout.contains("+++ ========== Buildkite Test Engine Report"),
        "flaky tests open the report: {stdout}"
    );
    assert!(
        stdout.contains("✅ All tests passed; 1 of them only on a retry (flaky)."),
        "{stdout}"
    );
    assert_eq!(
        section(&stdout, "Flaky tests (failed, then passed on a retry):"),
        ["- tests/test_flaky.py::test_flaky"]
    );
    assert_eq!(
        read(&dir, "agent/args"),
        "annotate\n--context\nbktec-s1-flaky\n--style\nwarning\n--append\n"
    );
    let body = read(&dir, "agent/stdin");
    assert!(
        body.starts_with("**:pytest: Unit, job 1 of 1: 1 test flaky (passed on a retry)**"),
        "{body}"
    );
    assert!(
        body.contains("<code>tests/test_flaky.py::test_flaky</code>") && body.contains("assert"),
        "the first failure is shown: {body}"
    );

    // `fail`, from the flag: status 1, said on the last line, annotated as an error.
    let out = run(&["--flaky-result", "fail"]);
    out.assert_exit(1).assert_stderr_contains(
        "bktec run: 1 flaky test passed only on a retry, and retry.flaky-result is `fail` (exit status 1)",
    );
    assert!(
        out.stdout()
            .contains("❌ 1 test passed only on a retry, and flaky tests fail this run."),
        "{}",
        out.stdout()
    );
    assert!(read(&dir, "agent/args").contains("bktec-s1-flaky\n--style\nerror\n"));
    assert!(read(&dir, "agent/stdin").contains("1 test flaky (which fails the run)"));
}

/// D47: `retry.flaky-result` from the variable and the file, a flag over
/// the file, and a value it does not know refused naming its source.
#[test]
fn flaky_result_comes_from_every_layer() {
    let dir = project(&[("tests/test_flaky.py", FLAKY)]);
    let from_env = |value: Option<&str>| {
        let _ = std::fs::remove_file(dir.path().join("tests/flaky-runs.txt"));
        let mut cmd = bktec(&dir, Venv::Collector).args(["run", "--test-engine-retry-count", "1"]);
        if let Some(value) = value {
            cmd = cmd.env("BUILDKITE_TEST_ENGINE_FLAKY_RESULT", value);
        }
        cmd.output()
    };
    from_env(Some("fail")).assert_exit(1);
    from_env(Some("pass")).assert_success();
    from_env(Some("sometimes"))
        .assert_exit(16)
        .assert_stderr_contains("BUILDKITE_TEST_ENGINE_FLAKY_RESULT")
        .assert_stderr_contains("`sometimes` is neither `pass` nor `fail`");
    from_env(Some("")).assert_success();
    dir.write("bktec.toml", "[retry]\nflaky-result = \"fail\"\n");
    from_env(None).assert_exit(1);
    // A flag wins over the file.
    let _ = std::fs::remove_file(dir.path().join("tests/flaky-runs.txt"));
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--test-engine-retry-count",
            "1",
            "--flaky-result=pass",
        ])
        .output()
        .assert_success();
}

#[test]
fn a_failing_agent_only_warns() {
    let dir = flaky_and_failing();
    let agent = stand_in_agent(&dir, 3);
    bktec(&dir, Venv::Collector)
        .env("BUILDKITE", "true")
        .arg("run")
        .arg("--buildkite-agent-command")
        .arg(&agent)
        .output()
        .assert_exit(1)
        .assert_stderr_contains("failed to annotate the build: `")
        .assert_stderr_contains("annotate` exited with exit status: 3");
    assert!(read(&dir, "agent/stdin").contains("tests/test_fail.py::test_broken"));
}

#[test]
fn log_sections_collapse_when_passed_and_reopen_where_the_user_must_look() {
    let green = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    let out = bktec(&green, Venv::Collector).arg("run").output();
    out.assert_success();
    let stdout = out.stdout();
    assert!(
        stdout.starts_with("--- Buildkite Test Engine Client: bktec "),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- Buildkite Test Engine Client: Running tests\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- ========== Buildkite Test Engine Report"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("+++"),
        "a green log has nothing to look at: {stdout}"
    );

    let red = project(&[("tests/test_fail.py", FAILING)]);
    let out = bktec(&red, Venv::Collector)
        .args(["run", "--test-engine-retry-count", "1"])
        .output();
    out.assert_exit(1);
    let stdout = out.stdout();
    // Each failed attempt's section is reopened, right after its output.
    let attempt = stdout
        .find("--- Buildkite Test Engine Client: Running tests")
        .unwrap();
    let reopened = stdout.find("\n^^^ +++\n").unwrap();
    let retry = stdout
        .find("--- Buildkite Test Engine Client: ♻️ Attempt 1 of 1")
        .unwrap();
    assert!(attempt < reopened && reopened < retry, "{stdout}");
    assert_eq!(stdout.matches("\n^^^ +++\n").count(), 2, "{stdout}");
    assert!(
        stdout.contains("+++ ========== Buildkite Test Engine Report"),
        "{stdout}"
    );
}

#[test]
fn colour_follows_no_color_clicolor_force_term_and_buildkite() {
    // A misspelt variable gives a warning, the coloured line under test;
    // stderr is a pipe here, never a terminal.
    let dir = project(&[("tests/test_pass.py", crate::support::pytest::PASSING)]);
    let cases: &[(&[(&str, &str)], bool)] = &[
        (&[], false),
        (&[("BUILDKITE", "true")], true),
        (&[("BUILDKITE", "true"), ("NO_COLOR", "1")], false),
        (&[("BUILDKITE", "true"), ("TERM", "dumb")], false),
        (&[("CLICOLOR_FORCE", "1")], true),
        (&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")], true),
        // anstream's reading, as cargo's: any non-empty value forces.
        (&[("CLICOLOR_FORCE", "0")], true),
        (&[("CLICOLOR_FORCE", "")], false),
        (&[("BUILDKITE", "true"), ("CLICOLOR", "0")], false),
    ];
    for (vars, coloured) in cases {
        let mut cmd = bktec(&dir, Venv::Collector)
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNTS", "1")
            .arg("list");
        for (k, v) in *vars {
            cmd = cmd.env(k, *v);
        }
        let out = cmd.output();
        out.assert_success()
            .assert_stderr_contains("BUILDKITE_TEST_ENGINE_RETRY_COUNTS");
        assert_eq!(
            out.stderr().contains("\x1b["),
            *coloured,
            "{vars:?}: {:?}",
            out.stderr()
        );
    }
}

/// Issue 21, item 9: the verdict, the failed and the flaky tests are
/// coloured where colour is on, and never a `+++` marker, which Buildkite
/// reads at the start of a line; where it is off, no escape is written.
#[test]
fn the_verdict_failed_and_flaky_lines_are_coloured() {
    let dir = flaky_and_failing();
    let run = |force: Option<&str>| {
        let _ = std::fs::remove_file(dir.path().join("tests/flaky-runs.txt"));
        let mut cmd = bktec(&dir, Venv::Collector).args(["run", "--test-engine-retry-count", "1"]);
        if let Some(value) = force {
            cmd = cmd.env("CLICOLOR_FORCE", value);
        }
        cmd.output()
    };
    let out = run(Some("1"));
    out.assert_exit(1);
    let stdout = out.stdout();
    assert!(
        stdout.contains("\x1b[1m\x1b[31m❌ Some tests failed.\x1b[0m"),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("+++ \x1b[1m\x1b[31mFailed Tests:\x1b[0m\n"),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("\x1b[33mFlaky tests (failed, then passed on a retry):\x1b[0m"),
        "{stdout:?}"
    );
    assert!(
        stdout
            .lines()
            .all(|l| !l.contains("\x1b[") || !l.contains("+++") || l.starts_with("+++ ")),
        "a section marker starts its line: {stdout:?}"
    );
    assert!(
        out.stderr()
            .contains("\x1b[1m\x1b[31mpytest exited with error: exit status 1\x1b[0m"),
        "{:?}",
        out.stderr()
    );
    let plain = run(None);
    assert!(!plain.stdout().contains('\x1b') && !plain.stderr().contains('\x1b'));
}

/// A file name holding a newline cannot start a line of the log: no fake
/// `+++` section in the printed command nor in the report.
#[test]
fn a_newline_in_a_test_name_never_starts_a_line_of_the_log() {
    let dir = project(&[("tests/test_nl\n+++ boom.py", FAILING)]);
    let out = bktec(&dir, Venv::Collector).arg("run").output();
    out.assert_exit(1);
    let stdout = out.stdout();
    // pytest prints the name as it is; bktec's own lines never do.
    let report = &stdout[stdout.find("Buildkite Test Engine Report").unwrap()..];
    assert!(
        !report.lines().any(|l| l.starts_with("+++ boom")),
        "{report}"
    );
    assert!(
        stdout.contains("$'tests/test_nl\\n+++ boom.py'"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- tests/test_nl\\n+++ boom.py::test_broken"),
        "{stdout}"
    );
}
