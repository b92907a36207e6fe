//! `bktec run` with the Cypress runner on `examples/cypress`. The Cypress
//! binary is a download that CI cannot make, so the tests run a stand-in
//! (`tests/fixtures/cypress/cypress`, a Node script) with Cypress's command
//! line and exit statuses (behaviour document 5.2, 7.2, 7.7, 9.2; D24).

use crate::support::TestDir;
use crate::support::runners::{bktec, example};
use crate::support::{BktecCmd, repo_root, run_jobs};

fn project() -> TestDir {
    example("cypress", "node")
}

/// `bktec` running the stand-in as `cypress`, logging the specs it ran.
fn cypress(dir: &TestDir, log: &str) -> BktecCmd {
    bktec(dir)
        .path_prepend(&repo_root().join("tests/fixtures/cypress"))
        .env(
            "CYPRESS_STANDIN_LOG",
            dir.path().join(log).display().to_string(),
        )
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "cypress run --spec {{testExamples}}",
        )
}

fn ran(dir: &TestDir, log: &str) -> Vec<String> {
    std::fs::read_to_string(dir.path().join(log))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn two_jobs_run_every_spec_exactly_once() {
    let dir = project();
    let outs = run_jobs(2, |i| cypress(&dir, &format!("job-{i}.log")).arg("run"));
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success()
            .assert_stdout_contains("\ncypress run --spec cypress/e2e/");
        seen.extend(ran(&dir, &format!("job-{i}.log")));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "cypress/e2e/cart.cy.js",
            "cypress/e2e/checkout.cy.js",
            "cypress/e2e/stock.cy.js"
        ]
    );
}

#[test]
fn the_exit_status_decides_and_nothing_is_retried() {
    let dir = project();
    let out = cypress(&dir, "run.log")
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .arg("run")
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("cypress run --spec cypress/e2e/cart.cy.js,cypress/e2e/checkout.cy.js,cypress/e2e/stock.cy.js\n")
        .assert_stderr_contains("Cypress exited with error: exit status 1");
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
    // A flaky test is not retried either: no failed test is ever known.
    let markers = TestDir::new();
    let out = cypress(&dir, "flaky.log")
        .env(
            "BKTEC_EXAMPLE_FLAKY_DIR",
            markers.path().display().to_string(),
        )
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .arg("run")
        .output();
    out.assert_exit(1);
    assert_eq!(ran(&dir, "flaky.log").len(), 3, "one attempt");
}

#[test]
fn specs_named_like_options_or_patterns_never_widen_the_run() {
    // D24: `-x.cy.js` is passed as `./-x.cy.js`; `a,b.cy.js` would be two
    // specs to Cypress, so it is refused with exit 16, naming its source.
    let dir = project();
    dir.write("-x.cy.js", "describe('odd', () => it('runs', () => {}));\n");
    dir.write("rows.txt", "-x.cy.js\n");
    let out = cypress(&dir, "odd.log")
        .args(["run", "--files", "rows.txt"])
        .output();
    out.assert_success();
    assert_eq!(ran(&dir, "odd.log"), ["./-x.cy.js"]);
    dir.write(
        "a,b.cy.js",
        "describe('odd', () => it('runs', () => {}));\n",
    );
    dir.write("rows.txt", "a,b.cy.js\n");
    let out = cypress(&dir, "comma.log")
        .args(["run", "--files", "rows.txt"])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "refusing test target `a,b.cy.js` from this node's plan: Cypress would read its `,` or glob characters",
    );
    assert!(ran(&dir, "comma.log").is_empty(), "nothing ran");
}

/// Issue 21 item 11: a green Cypress run printed an open "produced no
/// result" group for every spec and no report. Cypress writes no result
/// file: its report says its exit status decided, collapsed when green and
/// with the command that reproduces it when red (D46).
#[test]
fn a_green_run_prints_its_report_and_no_silent_specs() {
    let dir = project();
    let out = cypress(&dir, "green.log").arg("run").output();
    out.assert_success()
        .assert_stdout_contains(
            "--- ========== Buildkite Test Engine Report  ==========\n✅ Cypress exited with status 0.",
        )
        .assert_stdout_contains("Proven by Cypress's exit status alone");
    assert!(
        !out.stdout().contains("produced no result") && !out.stdout().contains("\n+++ "),
        "{}",
        out.stdout()
    );
    let out = cypress(&dir, "red.log")
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .arg("run")
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("+++ ========== Buildkite Test Engine Report")
        .assert_stdout_contains("❌ Cypress exited with status 1.")
        .assert_stdout_contains("To reproduce this node's last attempt, run:\ncypress run --spec ");
    assert!(
        !out.stdout().contains("produced no result"),
        "{}",
        out.stdout()
    );
}
