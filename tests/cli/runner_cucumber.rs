//! `bktec run` with real Cucumber (Debian's `cucumber`) on
//! `examples/cucumber` (behaviour document 5.2, 7.2, 7.7, 8.3, 9; D23, D24).

use bktec::results::{Outcome, ResultFormat};

use crate::support::runners::{
    assert_flaky_passes_on_retry, assert_real_failure_stays_red, assert_tests_are, bktec,
    created_plan, example, parse, run_listed, splitting_engine, two_jobs_ids,
};
use crate::support::{TestDir, repo_root};

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
    ];
    assert_tests_are(parsed, &want);
}

#[test]
fn two_jobs_run_every_scenario_exactly_once() {
    let dir = project();
    let seen = two_jobs_ids(&dir, "json", |cmd| cmd, None, paths);
    let all = paths(&repo_root().join("tests/fixtures/cucumber/failures.json"));
    assert_eq!(seen, all, "each scenario once, across both jobs");
}

#[test]
fn a_flaky_scenario_passes_on_retry_by_its_line() {
    assert_flaky_passes_on_retry(
        &project(),
        "out/r.json",
        "out/r.json features/shop/checkout.feature:6\n",
    )
    .assert_stdout_contains("|         | on retry  | 1 |");
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    assert_real_failure_stays_red(
        &project(),
        "out/r.json",
        "features/shop/cart.feature:8 › Cart A discount\n",
        "Cucumber",
    );
}

#[test]
fn a_feature_named_like_an_option_is_run_as_a_file() {
    // D24: `--help.feature` reaches cucumber as `./--help.feature`.
    let dir = project();
    dir.write(
        "--help.feature",
        "Feature: Odd name\n\n  Scenario: Runs\n    Given a price of 1\n",
    );
    run_listed(&dir, "--help.feature\n", "out/r.json")
        .assert_success()
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
    let seen = two_jobs_ids(
        &dir,
        "json",
        |cmd| cmd.test_engine(&engine.url),
        None,
        paths,
    );
    let body = created_plan(&engine);
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
    let all = paths(&repo_root().join("tests/fixtures/cucumber/failures.json"));
    assert_eq!(seen, all, "each scenario once, across both jobs");
}

/// D37: a test command that runs fewer scenarios than its files hold (a
/// wrapper that adds a `--name` filter outside dry runs): each file still
/// answers, so the per-file rule passed it; the dry-run listing names the
/// scenario that never ran.
#[test]
fn a_scenario_the_run_left_out_is_named_by_the_listing() {
    let dir = project();
    let wrapper = dir.write(
        "bin/cuke",
        "#!/bin/sh\ncase \" $* \" in *\" --dry-run \"*) exec cucumber \"$@\";; esac\n\
         exec cucumber --name Adding \"$@\"\n",
    );
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    dir.write("files.txt", "features/shop/cart.feature\n");
    let out = bktec(&dir)
        .args(["run", "--files", "files.txt", "--result-path", "out/r.json"])
        .args([
            "--test-command",
            "bin/cuke --format json --out {{resultPath}} {{testExamples}}",
        ])
        .output();
    out.assert_exit(17)
        .assert_stdout_contains("`cucumber --dry-run` listed 2 tests")
        .assert_stdout_contains("features/shop/cart.feature:8 › A discount");
}

/// D37: a dry run reports every scenario with its steps skipped and runs
/// none; asked for in the command or in the profile it uses, it is refused
/// with 16 before anything runs.
#[test]
fn a_dry_run_from_the_command_or_a_profile_is_refused() {
    let dir = project();
    dir.write("cucumber.yml", "default: --dry-run\n");
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "as a dry run (`--dry-run` in the `default` profile of cucumber.yml)",
    );
    assert!(!out.stdout().contains("Running tests"), "{}", out.stdout());
    let dir = project();
    bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .args([
            "--test-command",
            "cucumber --dry-run --format json --out {{resultPath}} {{testExamples}}",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("(`--dry-run` in the command)");
}

/// Each row of a scenario outline is its own test: the report names each
/// by its row's line, never two under one name (issue 21 item 4).
#[test]
fn outline_rows_are_named_apart() {
    let dir = project();
    dir.write(
        "features/outline.feature",
        "Feature: Totals\n\n  Scenario Outline: Adding up\n    Given a cart with <a> and <b>\n    When I add them up\n    Then the total is 0\n\n    Examples:\n      | a | b |\n      | 1 | 2 |\n      | 3 | 4 |\n",
    );
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .output();
    out.assert_exit(1);
    let stdout = out.stdout();
    let failed: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "+++ Failed Tests:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        failed,
        [
            "- features/outline.feature:10 › Totals Adding up",
            "- features/outline.feature:11 › Totals Adding up",
        ],
        "{stdout}"
    );
}
