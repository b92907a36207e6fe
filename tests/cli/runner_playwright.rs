//! `bktec run` with real Playwright (`@playwright/test` from npm, tests that
//! need no browser) on `examples/playwright` (behaviour document 5.2, 7.2,
//! 7.7, 8.3, 9; D23, D24).

use std::path::Path;

use bktec::results::{Outcome, parse_playwright_json};

use crate::support::runners::{
    assert_flaky_passes_on_retry, assert_real_failure_stays_red, assert_tests_are, bktec,
    created_plan, example, example_ids, splitting_engine, two_jobs_ids,
};
use crate::support::{TestDir, repo_root};

fn project() -> TestDir {
    example("playwright", "playwright")
}

fn results(path: &Path, root: &Path) -> bktec::results::ParsedResults {
    parse_playwright_json(&std::fs::read(path).unwrap(), path, root).unwrap()
}

/// The spec ids (`file:line`) in the result file at `path`.
fn specs(path: &Path, root: &Path) -> Vec<String> {
    results(path, root)
        .tests
        .into_iter()
        .map(|t| t.path)
        .collect()
}

#[test]
fn parses_what_playwright_writes() {
    let fixtures = repo_root().join("tests/fixtures/playwright");
    let parsed = results(&fixtures.join("failures.json"), Path::new("/project"));
    let run_error = parsed.run_error.clone();
    let want = [
        (
            "stock.test.js:3",
            "  stock.test.js counts items",
            "counts items",
            Outcome::Passed,
        ),
        (
            "tests/cart.spec.js:5",
            "  tests/cart.spec.js Cart adds up prices",
            "adds up prices",
            Outcome::Passed,
        ),
        (
            "tests/cart.spec.js:9",
            "  tests/cart.spec.js Cart applies a discount (10% off)",
            "applies a discount (10% off)",
            Outcome::Failed,
        ),
        (
            "tests/checkout.spec.js:11",
            "  tests/checkout.spec.js Checkout prints a receipt",
            "prints a receipt",
            Outcome::Passed,
        ),
        (
            "tests/checkout.spec.js:15",
            "  tests/checkout.spec.js Checkout ships abroad",
            "ships abroad",
            Outcome::Skipped,
        ),
        (
            "tests/checkout.spec.js:6",
            "  tests/checkout.spec.js Checkout with a card charges once",
            "charges once",
            Outcome::Failed,
        ),
    ];
    assert_tests_are(parsed, &want);
    assert_eq!(run_error, None);
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
    let seen = two_jobs_ids(
        &dir,
        "json",
        |cmd| cmd,
        Some("npx playwright test '/(?:^|\\/)"),
        |path| specs(path, dir.path()),
    );
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
    assert_flaky_passes_on_retry(
        &project(),
        "out/r.json",
        "\nnpx playwright test '/(?:^|\\/)tests\\/checkout\\.spec\\.js$/:6'\n",
    )
    .assert_stdout_contains("|         | on retry  | 1 |");
}

#[test]
fn a_real_failure_stays_red_and_a_file_named_like_an_option_runs() {
    // D24: `-g.spec.js` would be Playwright's `-g` (grep) option.
    let dir = project();
    dir.write(
        "-g.spec.js",
        "const { test, expect } = require('@playwright/test');\ntest('odd name', () => expect(1).toBe(1));\n",
    );
    assert_real_failure_stays_red(
        &dir,
        "out/r.json",
        "tests/cart.spec.js:9 › Cart applies a discount (10% off)\n",
        "Playwright",
    )
    // The line that reproduces it names the file and line as a person
    // would, not by the expression bktec passes (issue 21 item 4).
    .assert_stdout_contains(
        "To reproduce the failures, run:\nnpx playwright test tests/cart.spec.js:9\n",
    );
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
    let mut seen = two_jobs_ids(
        &dir,
        "json",
        |cmd| {
            cmd.test_engine(&engine.url)
                .env("BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE", "true")
        },
        None,
        |path| specs(path, dir.path()),
    );
    assert_eq!(
        example_ids(&created_plan(&engine)),
        [
            "tests/checkout.spec.js:11",
            "tests/checkout.spec.js:15",
            "tests/checkout.spec.js:6"
        ]
    );
    assert_eq!(seen.len(), 6, "{seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 6, "each spec once, across both jobs");
}

/// The demo's configuration with `extra` added to it.
fn configure(dir: &TestDir, extra: &str) {
    let path = dir.path().join("playwright.config.js");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = config.replace("workers: 1,", &format!("workers: 1, {extra}"));
    assert!(config.contains(extra), "the demo's configuration changed");
    std::fs::write(path, config).unwrap();
}

fn run_demo(dir: &TestDir, fail: bool) -> crate::support::RunOutput {
    bktec(dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("BKTEC_EXAMPLE_FAIL", if fail { "1" } else { "0" })
        .output()
}

/// D37: a `grep` in the configuration hides the failing spec of an
/// assigned file from the run (and from a plain `--list`); Playwright exits
/// 0. The listing without the configuration's `grep` names it: not green.
#[test]
fn a_grep_in_the_configuration_that_hides_a_spec_is_not_green() {
    let dir = project();
    configure(&dir, "grep: /adds|counts|receipt|abroad|card/,");
    let out = run_demo(&dir, true);
    out.assert_exit(17)
        .assert_stdout_contains("`playwright test --list` listed")
        .assert_stdout_contains(
            "tests/cart.spec.js:9 › tests/cart.spec.js Cart applies a discount (10% off)",
        );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".bktec"))
        .collect();
    assert!(
        left.is_empty(),
        "the listing's configuration is removed: {left:?}"
    );
}

/// D37: `test.only` runs the focused spec alone; `--list` ignores it, so
/// the specs it hid are named.
#[test]
fn test_only_that_hides_specs_is_not_green() {
    let dir = project();
    let spec = dir.path().join("tests/cart.spec.js");
    let source = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        source.replace("test(\"adds up prices\"", "test.only(\"adds up prices\""),
    )
    .unwrap();
    run_demo(&dir, true).assert_exit(17).assert_stdout_contains(
        "tests/checkout.spec.js:11 › tests/checkout.spec.js Checkout prints a receipt",
    );
}

/// The user's own choices stay: `--grep` in the test command and
/// `grepInvert` in the configuration leave specs out of the listing too,
/// and the run is green.
#[test]
fn the_command_s_grep_and_the_configuration_s_grep_invert_are_the_user_s_choice() {
    let dir = project();
    configure(&dir, "grepInvert: /receipt/,");
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"playwright\"\ntest-command = \"npx playwright test --grep-invert discount\"\n",
    );
    run_demo(&dir, true)
        .assert_success()
        .assert_stdout_contains("`playwright test --list` listed 4 tests");
}

/// D37: options that narrow a run to part of its files (`--shard`, in the
/// command or the configuration, and `--last-failed`) narrow a plain
/// listing too; the listing leaves them out, so the specs they hid are
/// named. A command that only lists (`--list`) ran nothing: a spec without
/// a single result is no result.
#[test]
fn narrowing_options_and_a_listing_command_are_not_green() {
    for command in [
        "npx playwright test --shard=1/2",
        "npx playwright test --shard 2/2",
        "npx playwright test --list",
    ] {
        let dir = project();
        configure(&dir, "fullyParallel: true,");
        let out = bktec(&dir)
            .args([
                "run",
                "--result-path",
                "out/r.json",
                "--test-command",
                command,
            ])
            .env("BKTEC_EXAMPLE_FAIL", "0")
            .output();
        assert_eq!(out.code(), Some(17), "{command}:\n{}", out.stdout());
        out.assert_stdout_contains("that `playwright test --list` listed reported no result");
    }
    let dir = project();
    configure(
        &dir,
        "fullyParallel: true, shard: { total: 2, current: 1 },",
    );
    run_demo(&dir, false).assert_exit(17);
    // `--last-failed` after a run whose only failure was fixed: the
    // listing still names every spec of the files.
    let dir = project();
    run_demo(&dir, true).assert_exit(1);
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .args(["--test-command", "npx playwright test --last-failed"])
        .env("BKTEC_EXAMPLE_FAIL", "0")
        .output();
    out.assert_exit(17)
        .assert_stdout_contains("tests/cart.spec.js:5 › tests/cart.spec.js Cart adds up prices");
}

/// A plan that runs the cart's specs in two projects and mutes `muted`.
fn two_projects_muting(dir: &TestDir, muted: &[&str], extra: &[&str]) -> crate::support::RunOutput {
    configure(
        dir,
        r#"projects: [{ name: "chromium" }, { name: "firefox" }],"#,
    );
    let muted: Vec<_> = muted
        .iter()
        .map(|scope| serde_json::json!({"scope": scope, "name": "applies a discount (10% off)"}))
        .collect();
    let plan = serde_json::json!({
        "parallelism": 1,
        "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/cart.spec.js"}]}},
        "muted_tests": muted,
    });
    dir.write("plan.json", &plan.to_string());
    bktec(dir)
        .args([
            "run",
            "--result-path",
            "out/r.json",
            "--plan-file",
            "plan.json",
        ])
        .args(extra)
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .output()
}

/// The scope Test Engine gives the failing cart spec in `project`.
fn cart_scope(project: &str) -> String {
    format!(" {project} tests/cart.spec.js Cart applies a discount (10% off)")
}

/// D39: Test Engine names a Playwright test by `titlePath()`, project
/// first; muting it in both projects it fails in makes the run green, and
/// the retry names the spec once.
#[test]
fn a_spec_muted_in_every_project_it_fails_in_passes() {
    let dir = project();
    let (chromium, firefox) = (cart_scope("chromium"), cart_scope("firefox"));
    two_projects_muting(
        &dir,
        &[&chromium, &firefox],
        &["--test-engine-retry-count", "1"],
    )
    .assert_success()
    .assert_stdout_contains("Some muted tests failed.")
    .assert_stdout_contains(r"'/(?:^|\/)tests\/cart\.spec\.js$/:9'");
}

/// D39: every project's test is a result of its own: the second project's
/// failure counts when only the first project's is muted.
#[test]
fn a_failure_in_a_second_project_counts() {
    let dir = project();
    let out = two_projects_muting(&dir, &[&cart_scope("chromium")], &[]);
    out.assert_exit(1);
    let results = results(&dir.path().join("out/r.json"), dir.path());
    let failed: Vec<_> = results
        .tests
        .iter()
        .filter(|t| t.outcome == Outcome::Failed)
        .map(|t| t.scope.as_str())
        .collect();
    assert_eq!(failed, [cart_scope("chromium"), cart_scope("firefox")]);
}

/// D39: with `--split-by-example`, a spec listed in two projects is sent
/// to Test Engine once (as the Go client sends it: the first project's),
/// so no two jobs run it.
#[test]
fn a_spec_in_two_projects_is_one_example() {
    let dir = project();
    configure(
        &dir,
        r#"projects: [{ name: "chromium" }, { name: "firefox" }],"#,
    );
    let engine = splitting_engine(&["tests/cart.spec.js"]);
    bktec(&dir)
        .test_engine(&engine.url)
        .env("BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE", "true")
        .args(["run", "--result-path", "out/r.json"])
        .output()
        .assert_success();
    let body = created_plan(&engine);
    assert_eq!(
        example_ids(&body),
        ["tests/cart.spec.js:5", "tests/cart.spec.js:9"]
    );
    let scopes: Vec<_> = body["tests"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            " chromium tests/cart.spec.js Cart adds up prices",
            " chromium tests/cart.spec.js Cart applies a discount (10% off)"
        ]
    );
}

/// D39: every project's test of a listed spec must report: a `grep` in one
/// project that hides a spec another project runs leaves the run unproven,
/// naming the project.
#[test]
fn a_spec_hidden_in_one_project_only_is_not_green() {
    let dir = project();
    configure(
        &dir,
        r#"projects: [{ name: "chromium" }, { name: "firefox", grep: /adds|counts|receipt|abroad|card/ }],"#,
    );
    run_demo(&dir, false)
        .assert_exit(17)
        .assert_stdout_contains(
            "tests/cart.spec.js:9 › firefox tests/cart.spec.js Cart applies a discount (10% off)",
        );
}

/// The demo's reporters replaced with `reporters`.
fn with_reporters(dir: &TestDir, reporters: &str) {
    let path = dir.path().join("playwright.config.js");
    let config = std::fs::read_to_string(&path).unwrap();
    let old = r#"reporter: [["list"], ["json"]],"#;
    assert!(config.contains(old), "the demo's configuration changed");
    std::fs::write(path, config.replace(old, reporters)).unwrap();
}

/// Issue 21 item 11: without the `json` reporter the hint told the user to
/// make the command write `{{resultPath}}`, which Playwright's command
/// never names. It now says to enable the reporter (D46).
#[test]
fn a_configuration_without_the_json_reporter_is_hinted_at_the_reporter() {
    let dir = project();
    with_reporters(&dir, r#"reporter: [["list"]],"#);
    let out = run_demo(&dir, false);
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("hint: Playwright wrote no result file at `")
        .assert_stdout_contains("its `json` reporter")
        .assert_stdout_contains("`--reporter=list,json`");
    assert!(
        !out.stdout().contains("must write {{resultPath}}"),
        "{}",
        out.stdout()
    );
    // The reporter named on the command line is enough.
    let out = bktec(&dir)
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "npx playwright test --reporter=list,json",
        )
        .args(["run", "--result-path", "out/r2.json"])
        .output();
    out.assert_success();
}

/// The json reporter's own `outputFile` would win over
/// `PLAYWRIGHT_JSON_OUTPUT_NAME`; bktec also sets
/// `PLAYWRIGHT_JSON_OUTPUT_FILE`, which wins over it (D46).
#[test]
fn the_json_reporter_s_own_output_file_does_not_hide_the_results() {
    let dir = project();
    with_reporters(
        &dir,
        r#"reporter: [["list"], ["json", { outputFile: "elsewhere.json" }]],"#,
    );
    run_demo(&dir, false)
        .assert_success()
        .assert_stdout_contains("Proven per test");
    assert!(dir.path().join("out/r.json").is_file());
    assert!(!dir.path().join("elsewhere.json").exists());
}
