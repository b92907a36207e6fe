//! `bktec run` with real Jest (from npm, pinned in `scripts/node`) on
//! `examples/jest` (behaviour document 5.2, 7.2, 7.7, 8.3, 9; D23, D24).
//! The checks Vitest shares are in `support::runners::JestLike`.

use crate::support::runners::{JestLike, bktec};

const JEST: JestLike = JestLike {
    name: "jest",
    display: "Jest",
    stock_test: "__tests__/stock.js::counts items",
    command: "npx jest --runTestsByPath ",
};

#[test]
fn parses_what_jest_writes() {
    JEST.assert_parses_its_fixture();
}

#[test]
fn two_jobs_run_every_test_exactly_once() {
    JEST.assert_two_jobs_run_every_test_once();
}

#[test]
fn a_flaky_test_passes_on_retry_by_its_name() {
    JEST.assert_flaky_test_passes_on_retry_by_name();
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    JEST.assert_real_failure_stays_red();
}

#[test]
fn a_suite_that_does_not_load_ends_the_run() {
    JEST.assert_suite_that_does_not_load_ends_the_run();
}

#[test]
fn a_file_named_like_an_option_is_run_as_a_file() {
    JEST.assert_file_named_like_an_option_runs_as_a_file(
        "test('odd name', () => expect(1).toBe(1));\n",
    );
}

#[test]
fn sigterm_ends_npx_jest_and_its_children() {
    // D15, D28: `npx` starts Jest, Jest starts the test, the test starts a
    // `sleep`; SIGTERM to bktec ends them all and bktec exits 143.
    use std::process::Stdio;
    use std::time::Duration;

    use crate::signals::{alive, send, wait_exit, wait_for};

    let dir = JEST.project();
    let marker = dir.path().join("pids.txt");
    dir.write(
        "src/waits.test.js",
        &format!(
            "const {{ spawn }} = require('child_process');\n\
             const fs = require('fs');\n\
             test('waits', () => {{\n\
               const child = spawn('sleep', ['1000']);\n\
               fs.writeFileSync({marker:?}, `${{process.pid}} ${{child.pid}}`);\n\
               return new Promise(() => {{}});\n\
             }}, 1000000);\n",
            marker = marker.display().to_string()
        ),
    );
    let mut child = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("the test to start", Duration::from_secs(60), || {
        std::fs::read_to_string(&marker).is_ok_and(|s| s.split_whitespace().count() == 2)
    });
    let pids: Vec<i32> = std::fs::read_to_string(&marker)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(143));
    wait_for(
        "jest and its children to end",
        Duration::from_secs(15),
        || pids.iter().all(|&pid| !alive(pid)),
    );
}

/// A test outside any `describe` is named by its file and its own name,
/// without leading spaces (issue 21 item 4).
#[test]
fn a_test_outside_a_describe_is_named_by_its_file() {
    let dir = JEST.project();
    dir.write(
        "src/top.test.js",
        "test('counts items', () => { expect(1).toBe(2); });\n",
    );
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "out/merged.xml")
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("\n- src/top.test.js:1 › counts items\n");
    assert!(
        !out.stdout().contains("-  counts items"),
        "{}",
        out.stdout()
    );
    // The merged JUnit names each Jest test's file (issue 21 item 1).
    let xml = std::fs::read_to_string(dir.path().join("out/merged.xml")).unwrap();
    assert!(
        xml.contains(r#"<testcase name="counts items" time=""#)
            && xml.contains(r#"file="src/top.test.js" line="1""#),
        "{xml}"
    );
}
