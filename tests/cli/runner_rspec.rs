//! `bktec run` with real RSpec (Debian's `ruby-rspec`) on `examples/rspec`
//! (behaviour document 5.2, 7.7, 8.3, 9; D23, D24).

use std::collections::BTreeMap;

use bktec::results::{Outcome, ResultFormat};

use crate::support::TestDir;
use crate::support::runners::{bktec, example, parse, splitting_engine};

fn project() -> TestDir {
    example("rspec", "rspec")
}

fn fixture(name: &str) -> std::path::PathBuf {
    crate::support::repo_root()
        .join("tests/fixtures/rspec")
        .join(name)
}

#[test]
fn parses_what_rspec_writes() {
    let parsed = parse(&fixture("failures.json"), ResultFormat::RspecJson);
    let by_id: BTreeMap<&str, (&str, &str, &Outcome)> = parsed
        .tests
        .iter()
        .map(|t| {
            (
                t.path.as_str(),
                (t.scope.as_str(), t.name.as_str(), &t.outcome),
            )
        })
        .collect();
    assert_eq!(by_id.len(), 7);
    assert_eq!(
        by_id["./spec/shop/checkout_spec.rb[1:1:1]"],
        ("Checkout with a card", "charges once", &Outcome::Failed)
    );
    assert_eq!(
        by_id["./spec/shop/cart_spec.rb[1:3]"],
        ("Cart", "applies a discount", &Outcome::Failed)
    );
    assert_eq!(
        by_id["./spec/shop/checkout_spec.rb[1:3]"].2,
        &Outcome::Skipped
    );
    assert_eq!(parsed.run_error, None);
    let broken = parse(&fixture("errors-outside.json"), ResultFormat::RspecJson);
    assert!(broken.tests.is_empty());
    assert_eq!(
        broken.run_error.as_deref(),
        Some("RSpec reported 1 errors outside of examples")
    );
}

#[test]
fn two_jobs_run_every_example_exactly_once() {
    let dir = project();
    let outs = crate::support::run_jobs(2, |i| {
        bktec(&dir).args(["run", "--result-path", &format!("out/job-{i}.json")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        let parsed = parse(
            &dir.path().join(format!("out/job-{i}.json")),
            ResultFormat::RspecJson,
        );
        seen.extend(parsed.tests.into_iter().map(|t| t.path));
    }
    seen.sort();
    let all = parse(&fixture("failures.json"), ResultFormat::RspecJson);
    let mut expected: Vec<String> = all.tests.into_iter().map(|t| t.path).collect();
    expected.sort();
    assert_eq!(seen, expected, "each example once, across both jobs");
}

#[test]
fn a_flaky_example_passes_on_retry_by_its_id() {
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
        .assert_stdout_contains("out/r.json './spec/shop/checkout_spec.rb[1:1:1]'\n")
        .assert_stdout_contains("✅ All tests passed.");
    assert!(!out.stdout().contains("Attempt 2"), "{}", out.stdout());
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
        .assert_stdout_contains("- Cart applies a discount")
        .assert_stderr_contains("RSpec exited with error: exit status 1");
}

#[test]
fn an_error_outside_examples_ends_the_run_without_retries() {
    let dir = project();
    dir.write("spec/broken_spec.rb", "raise 'broken on load'\n");
    let out = bktec(&dir)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", "out/r.json"])
        .output();
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
    out.assert_stdout_contains("RSpec reported 1 errors outside of examples");
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
}

#[test]
fn a_spec_file_without_examples_is_not_green() {
    // D23: RSpec exits 0, but nothing proves the file's tests ran.
    let dir = project();
    dir.write("spec/empty_spec.rb", "# no examples yet\n");
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(17)
        .assert_stdout_contains("spec/empty_spec.rb");
}

#[test]
fn a_file_named_like_an_option_is_run_as_a_file() {
    // D24: `--help_spec.rb` reaches rspec as `./--help_spec.rb`, a file.
    let dir = project();
    dir.write(
        "--help_spec.rb",
        "RSpec.describe('odd name') { it('runs') { expect(1).to eq(1) } }\n",
    );
    dir.write("files.txt", "--help_spec.rb\n");
    let out = bktec(&dir)
        .args(["run", "--files", "files.txt", "--result-path", "out/r.json"])
        .output();
    out.assert_success()
        .assert_stdout_contains(" ./--help_spec.rb\n");
    let parsed = parse(&dir.path().join("out/r.json"), ResultFormat::RspecJson);
    assert_eq!(parsed.tests[0].path, "./--help_spec.rb[1:1]");
}

#[test]
fn test_engine_splits_a_file_into_examples_from_a_dry_run() {
    // 6.2, 6.4: the file Test Engine asks for is sent as its examples, listed
    // by an RSpec dry run; the two jobs still run every example once.
    let dir = project();
    let engine = splitting_engine(&["spec/shop/checkout_spec.rb"]);
    let outs = crate::support::run_jobs(2, |i| {
        bktec(&dir).test_engine(&engine.url).args([
            "run",
            "--result-path",
            &format!("out/job-{i}.json"),
        ])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        let parsed = parse(
            &dir.path().join(format!("out/job-{i}.json")),
            ResultFormat::RspecJson,
        );
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
            "./spec/shop/checkout_spec.rb[1:2]",
            "./spec/shop/checkout_spec.rb[1:3]",
            "./spec/shop/checkout_spec.rb[1:1:1]"
        ]
    );
    assert_eq!(body["tests"]["examples"][0]["scope"], "Checkout");
    assert_eq!(body["tests"]["selectors"].as_array().unwrap().len(), 2);
    seen.sort();
    let all = parse(&fixture("failures.json"), ResultFormat::RspecJson);
    let mut expected: Vec<String> = all.tests.into_iter().map(|t| t.path).collect();
    expected.sort();
    assert_eq!(seen, expected, "each example once, across both jobs");
}

#[test]
fn a_dry_run_that_fails_stops_the_run_with_its_output() {
    let dir = project();
    dir.write("spec/broken_spec.rb", "raise 'broken on load'\n");
    let engine = splitting_engine(&["spec/broken_spec.rb"]);
    let out = bktec(&dir)
        .test_engine(&engine.url)
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(16)
        .assert_stderr_contains("rspec dry run failed")
        .assert_stderr_contains("broken on load");
}

#[test]
fn bktec_plan_splits_with_the_same_dry_run() {
    let dir = project();
    let engine = splitting_engine(&["spec/stock_spec.rb"]);
    bktec(&dir)
        .test_engine(&engine.url)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .args(["plan", "--json"])
        .output()
        .assert_success();
    let created = engine.requests_to("/test_plan");
    let body = created.iter().find(|r| r.method == "POST").unwrap().json();
    assert_eq!(
        body["tests"]["examples"][0]["identifier"],
        "./spec/stock_spec.rb[1:1]"
    );
}
