//! `bktec run` with real Playwright (`@playwright/test` from npm, tests that
//! need no browser) on `examples/playwright` (behaviour document 5.2, 7.2,
//! 7.7, 8.3, 9; D23, D24).

use std::path::Path;

use bktec::results::{Outcome, parse_playwright_json};

use crate::support::runners::{bktec, example, splitting_engine};
use crate::support::{TestDir, repo_root, run_jobs};

fn project() -> TestDir {
    example("playwright", "playwright")
}

fn results(path: &Path, root: &Path) -> bktec::results::ParsedResults {
    parse_playwright_json(&std::fs::read(path).unwrap(), path, root).unwrap()
}

#[test]
fn parses_what_playwright_writes() {
    let fixtures = repo_root().join("tests/fixtures/playwright");
    let parsed = results(&fixtures.join("failures.json"), Path::new("/project"));
    let mut got: Vec<(String, String, String, Outcome)> = parsed
        .tests
        .into_iter()
        .map(|t| (t.path, t.scope, t.name, t.outcome))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want = [
        ("stock.test.js:3", "", "counts items", Outcome::Passed),
        (
            "tests/cart.spec.js:5",
            "Cart",
            "adds up prices",
            Outcome::Passed,
        ),
        (
            "tests/cart.spec.js:9",
            "Cart",
            "applies a discount (10% off)",
            Outcome::Failed,
        ),
        (
            "tests/checkout.spec.js:11",
            "Checkout",
            "prints a receipt",
            Outcome::Passed,
        ),
        (
            "tests/checkout.spec.js:15",
            "Checkout",
            "ships abroad",
            Outcome::Skipped,
        ),
        (
            "tests/checkout.spec.js:6",
            "Checkout with a card",
            "charges once",
            Outcome::Failed,
        ),
    ]
    .map(|(p, s, n, o)| (p.to_string(), s.to_string(), n.to_string(), o));
    assert_eq!(got, want);
    assert_eq!(parsed.run_error, None);
    let broken = results(&fixtures.join("errors.json"), Path::new("/project"));
    assert!(broken.tests.is_empty());
    assert!(
        broken
            .run_error
            .as_deref()
            .is_some_and(|e| e.starts_with("Playwright failed with errors: SyntaxError: ")),
        "{:?}",
        broken.run_error
    );
}

#[test]
fn two_jobs_run_every_spec_exactly_once() {
    let dir = project();
    let outs = run_jobs(2, |i| {
        bktec(&dir).args(["run", "--result-path", &format!("out/job-{i}.json")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success()
            .assert_stdout_contains("npx playwright test '/(?:^|\\/)");
        let parsed = results(&dir.path().join(format!("out/job-{i}.json")), dir.path());
        seen.extend(parsed.tests.into_iter().map(|t| t.path));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "stock.test.js:3",
            "tests/cart.spec.js:5",
            "tests/cart.spec.js:9",
            "tests/checkout.spec.js:11",
            "tests/checkout.spec.js:15",
            "tests/checkout.spec.js:6",
        ]
    );
}

#[test]
fn a_flaky_spec_passes_on_retry_by_file_and_line() {
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
            "\nnpx playwright test '/(?:^|\\/)tests\\/checkout\\.spec\\.js$/:6'\n",
        )
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("✅ All tests passed.");
}

#[test]
fn a_real_failure_stays_red_and_a_file_named_like_an_option_runs() {
    // D24: `-g.spec.js` would be Playwright's `-g` (grep) option.
    let dir = project();
    dir.write(
        "-g.spec.js",
        "const { test, expect } = require('@playwright/test');\ntest('odd name', () => expect(1).toBe(1));\n",
    );
    let out = bktec(&dir)
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Attempt 1 of 1")
        .assert_stdout_contains("- Cart applies a discount (10% off)")
        .assert_stderr_contains("Playwright exited with error: exit status 1");
    let first = results(&dir.path().join("out/r.attempt-0.json"), dir.path());
    assert!(
        first
            .tests
            .iter()
            .any(|t| t.path == "-g.spec.js:2" && t.outcome == Outcome::Passed),
        "{:?}",
        first.tests
    );
}

#[test]
fn test_engine_splits_files_into_specs_only_when_asked() {
    // 6.1, 6.2: Test Engine cannot skip Playwright tests, so without
    // --split-by-example every file is a selector and filter_tests is not
    // asked; with it, the file it names is sent as its specs from `--list`.
    let dir = project();
    let engine = splitting_engine(&["tests/checkout.spec.js"]);
    bktec(&dir)
        .test_engine(&engine.url)
        .args(["run", "--result-path", "out/plain.json"])
        .output()
        .assert_success();
    assert!(engine.requests_to("/filter_tests").is_empty());
    let engine = splitting_engine(&["tests/checkout.spec.js"]);
    let outs = run_jobs(2, |i| {
        bktec(&dir)
            .test_engine(&engine.url)
            .env("BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE", "true")
            .args(["run", "--result-path", &format!("out/job-{i}.json")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        let parsed = results(&dir.path().join(format!("out/job-{i}.json")), dir.path());
        seen.extend(parsed.tests.into_iter().map(|t| t.path));
    }
    let created = engine.requests_to("/test_plan");
    let body = created.iter().find(|r| r.method == "POST").unwrap().json();
    let examples: Vec<&str> = body["tests"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(
        examples,
        [
            "tests/checkout.spec.js:11",
            "tests/checkout.spec.js:15",
            "tests/checkout.spec.js:6"
        ]
    );
    seen.sort();
    assert_eq!(seen.len(), 6, "{seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 6, "each spec once, across both jobs");
}
