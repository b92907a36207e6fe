//! `bktec run` with real Cucumber (Debian's `cucumber`) on
//! `examples/cucumber` (behaviour document 5.2, 7.2, 7.7, 8.3, 9; D23, D24).

use bktec::results::{Outcome, ResultFormat};

use crate::support::runners::{bktec, example, parse, splitting_engine};
use crate::support::{TestDir, repo_root, run_jobs};

fn project() -> TestDir {
    example("cucumber", "cucumber")
}

fn paths(path: &std::path::Path) -> Vec<String> {
    let mut paths: Vec<String> = parse(path, ResultFormat::CucumberJson)
        .tests
        .into_iter()
        .map(|t| t.path)
        .collect();
    paths.sort();
    paths
}

#[test]
fn parses_what_cucumber_writes() {
    let parsed = parse(
        &repo_root().join("tests/fixtures/cucumber/failures.json"),
        ResultFormat::CucumberJson,
    );
    let mut got: Vec<(String, String, String, Outcome)> = parsed
        .tests
        .into_iter()
        .map(|t| (t.path, t.scope, t.name, t.outcome))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want = [
        (
            "features/shop/cart.feature:3",
            "Cart",
            "Adding up prices",
            Outcome::Passed,
        ),
        (
            "features/shop/cart.feature:8",
            "Cart",
            "A discount",
            Outcome::Failed,
        ),
        (
            "features/shop/checkout.feature:10",
            "Checkout",
            "A receipt",
            Outcome::Passed,
        ),
        (
            "features/shop/checkout.feature:13",
            "Checkout",
            "Shipping abroad",
            Outcome::Skipped,
        ),
        (
            "features/shop/checkout.feature:6",
            "Checkout",
            "Paying by card",
            Outcome::Failed,
        ),
        (
            "features/stock.feature:10",
            "Stock",
            "Counting items",
            Outcome::Passed,
        ),
        (
            "features/stock.feature:11",
            "Stock",
            "Counting items",
            Outcome::Passed,
        ),
    ]
    .map(|(p, s, n, o)| (p.to_string(), s.to_string(), n.to_string(), o));
    assert_eq!(got, want);
}

#[test]
fn two_jobs_run_every_scenario_exactly_once() {
    let dir = project();
    let outs = run_jobs(2, |i| {
        bktec(&dir).args(["run", "--result-path", &format!("out/job-{i}.json")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        seen.extend(paths(&dir.path().join(format!("out/job-{i}.json"))));
    }
    seen.sort();
    let all = paths(&repo_root().join("tests/fixtures/cucumber/failures.json"));
    assert_eq!(seen, all, "each scenario once, across both jobs");
}

#[test]
fn a_flaky_scenario_passes_on_retry_by_its_line() {
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
        .assert_stdout_contains("out/r.json features/shop/checkout.feature:6\n")
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("✅ All tests passed.");
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
        .assert_stdout_contains("- Cart A discount")
        .assert_stderr_contains("Cucumber exited with error: exit status 1");
}

#[test]
fn a_feature_named_like_an_option_is_run_as_a_file() {
    // D24: `--help.feature` reaches cucumber as `./--help.feature`.
    let dir = project();
    dir.write(
        "--help.feature",
        "Feature: Odd name\n\n  Scenario: Runs\n    Given a price of 1\n",
    );
    dir.write("files.txt", "--help.feature\n");
    let out = bktec(&dir)
        .args(["run", "--files", "files.txt", "--result-path", "out/r.json"])
        .output();
    out.assert_success()
        .assert_stdout_contains(" ./--help.feature\n");
    assert_eq!(
        paths(&dir.path().join("out/r.json")),
        ["./--help.feature:3"]
    );
}

#[test]
fn test_engine_splits_a_feature_into_scenarios_from_a_dry_run() {
    // 6.2, 6.4: the feature Test Engine asks for is sent as its scenarios,
    // listed by a Cucumber dry run; the two jobs still run each once.
    let dir = project();
    let engine = splitting_engine(&["features/shop/checkout.feature"]);
    let outs = run_jobs(2, |i| {
        bktec(&dir).test_engine(&engine.url).args([
            "run",
            "--result-path",
            &format!("out/job-{i}.json"),
        ])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        seen.extend(paths(&dir.path().join(format!("out/job-{i}.json"))));
    }
    let created = engine.requests_to("/test_plan");
    let body = created.iter().find(|r| r.method == "POST").unwrap().json();
    let examples: Vec<(&str, &str)> = body["tests"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["identifier"].as_str().unwrap(),
                e["scope"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        examples,
        [
            ("features/shop/checkout.feature:6", "Checkout"),
            ("features/shop/checkout.feature:10", "Checkout"),
            ("features/shop/checkout.feature:13", "Checkout")
        ]
    );
    seen.sort();
    let all = paths(&repo_root().join("tests/fixtures/cucumber/failures.json"));
    assert_eq!(seen, all, "each scenario once, across both jobs");
}
