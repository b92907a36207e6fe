//! `bktec run` with real Jest (from npm, pinned in `scripts/node`) on
//! `examples/jest` (behaviour document 5.2, 7.2, 7.7, 8.3, 9; D23, D24).

use std::collections::BTreeMap;

use bktec::results::{Outcome, parse_jest_json};

use crate::support::runners::{bktec, example};
use crate::support::{TestDir, repo_root, run_jobs};

fn project() -> TestDir {
    example("jest", "jest")
}

#[test]
fn parses_what_jest_writes() {
    let path = repo_root().join("tests/fixtures/jest/failures.json");
    let bytes = std::fs::read(&path).unwrap();
    let parsed = parse_jest_json(&bytes, &path, std::path::Path::new("/project"), "Jest").unwrap();
    let by_path: BTreeMap<&str, (&str, &str, &Outcome)> = parsed
        .tests
        .iter()
        .map(|t| {
            (
                t.path.as_str(),
                (t.scope.as_str(), t.name.as_str(), &t.outcome),
            )
        })
        .collect();
    assert_eq!(by_path.len(), 6, "{by_path:#?}");
    assert_eq!(
        by_path["src/checkout.test.js::Checkout with a card charges once"],
        ("Checkout with a card", "charges once", &Outcome::Failed)
    );
    assert_eq!(
        by_path["src/checkout.test.js::Checkout ships abroad"].2,
        &Outcome::Skipped
    );
    assert_eq!(
        by_path["__tests__/stock.js::counts items"],
        ("", "counts items", &Outcome::Passed)
    );
    assert_eq!(
        parsed.run_error.as_deref(),
        Some("Jest failed with runtime error test suites: src/broken.test.js")
    );
}

#[test]
fn two_jobs_run_every_test_exactly_once() {
    let dir = project();
    let outs = run_jobs(2, |i| {
        bktec(&dir).args(["run", "--result-path", &format!("out/job-{i}.json")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success()
            .assert_stdout_contains("npx jest --runTestsByPath ");
        let path = dir.path().join(format!("out/job-{i}.json"));
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse_jest_json(&bytes, &path, dir.path(), "Jest").unwrap();
        seen.extend(parsed.tests.into_iter().map(|t| t.path));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "__tests__/stock.js::counts items",
            "src/cart.test.js::Cart adds up prices",
            "src/cart.test.js::Cart applies a discount (10% off)",
            "src/checkout.test.js::Checkout prints a receipt",
            "src/checkout.test.js::Checkout ships abroad",
            "src/checkout.test.js::Checkout with a card charges once",
        ]
    );
}

#[test]
fn a_flaky_test_passes_on_retry_by_its_name() {
    let dir = project();
    let markers = TestDir::new();
    let out = bktec(&dir)
        .env(
            "BKTEC_EXAMPLE_FLAKY_DIR",
            markers.path().display().to_string(),
        )
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_success()
        .assert_stdout_contains("♻️ Attempt 1 of 2 to retry failing tests")
        .assert_stdout_contains(
            "--outputFile out/r.json --testNamePattern '^(?:Checkout with a card charges once)$'\n",
        )
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("✅ All tests passed.");
    // The retry ran the one test; its file's other tests were skipped by
    // the pattern and are not recorded as skipped.
    let retry = std::fs::read_to_string(dir.path().join("out/r.json")).unwrap();
    assert!(retry.contains("\"numPassedTests\":1"), "{retry}");
    out.assert_stdout_contains("| Skipped |           | 1 |");
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    let dir = project();
    let out = bktec(&dir)
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Attempt 1 of 1")
        .assert_stdout_contains("- Cart applies a discount (10% off)")
        .assert_stderr_contains("Jest exited with error: exit status 1");
}

#[test]
fn a_suite_that_does_not_load_ends_the_run() {
    let dir = project();
    dir.write("src/broken.test.js", "this is not javascript\n");
    let out = bktec(&dir)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Jest failed with runtime error test suites: src/broken.test.js");
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
}

#[test]
fn a_file_named_like_an_option_is_run_as_a_file() {
    // D24: `-t.test.js` would be Jest's `-t` (test name pattern) option.
    let dir = project();
    dir.write("-t.test.js", "test('odd name', () => expect(1).toBe(1));\n");
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_success()
        .assert_stdout_contains(" ./-t.test.js ");
    let retry = std::fs::read_to_string(dir.path().join("out/r.json")).unwrap();
    assert!(retry.contains("-t.test.js\""), "{retry}");
}

#[test]
fn sigterm_ends_npx_jest_and_its_children() {
    // D15, D28: `npx` starts Jest, Jest starts the test, the test starts a
    // `sleep`; SIGTERM to bktec ends them all and bktec exits 143.
    use std::process::Stdio;
    use std::time::Duration;

    use crate::signals::{alive, send, wait_exit, wait_for};

    let dir = project();
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
