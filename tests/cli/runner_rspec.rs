//! `bktec run` with real RSpec (Debian's `ruby-rspec`) on `examples/rspec`
//! (behaviour document 5.2, 7.7, 8.3, 9; D23, D24).

use bktec::results::{Outcome, ResultFormat};

use crate::support::TestDir;
use crate::support::runners::{
    assert_ends_without_retries, assert_flaky_passes_on_retry, assert_real_failure_stays_red,
    bktec, by_path, created_plan, example, example_ids, parse, run, run_listed, splitting_engine,
    two_jobs_ids,
};

fn project() -> TestDir {
    example("rspec", "rspec")
}

fn fixture(name: &str) -> std::path::PathBuf {
    crate::support::repo_root()
        .join("tests/fixtures/rspec")
        .join(name)
}

/// The example ids in the RSpec result file at `path`.
fn ids(path: &std::path::Path) -> Vec<String> {
    parse(path, ResultFormat::RspecJson)
        .tests
        .into_iter()
        .map(|t| t.path)
        .collect()
}

/// Every example of the demo, sorted.
fn all_examples() -> Vec<String> {
    let mut all = ids(&fixture("failures.json"));
    all.sort();
    all
}

#[test]
fn parses_what_rspec_writes() {
    let parsed = parse(&fixture("failures.json"), ResultFormat::RspecJson);
    let by_id = by_path(&parsed);
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
    let seen = two_jobs_ids(&dir, "json", |cmd| cmd, None, ids);
    assert_eq!(seen, all_examples(), "each example once, across both jobs");
}

#[test]
fn a_flaky_example_passes_on_retry_by_its_id() {
    let out = assert_flaky_passes_on_retry(
        &project(),
        "out/r.json",
        "out/r.json './spec/shop/checkout_spec.rb[1:1:1]'\n",
    );
    assert!(!out.stdout().contains("Attempt 2"), "{}", out.stdout());
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    assert_real_failure_stays_red(
        &project(),
        "out/r.json",
        "./spec/shop/cart_spec.rb[1:3] › Cart applies a discount\n",
        "RSpec",
    );
}

#[test]
fn an_error_outside_examples_ends_the_run_without_retries() {
    let dir = project();
    dir.write("spec/broken_spec.rb", "raise 'broken on load'\n");
    let out = assert_ends_without_retries(&dir, "out/r.json");
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
    out.assert_stdout_contains("RSpec reported 1 errors outside of examples");
}

#[test]
fn a_spec_file_without_examples_is_not_green() {
    // D23: RSpec exits 0, but nothing proves the file's tests ran.
    let dir = project();
    dir.write("spec/empty_spec.rb", "# no examples yet\n");
    run(&dir, "out/r.json")
        .assert_exit(17)
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
    run_listed(&dir, "--help_spec.rb\n", "out/r.json")
        .assert_success()
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
    let seen = two_jobs_ids(&dir, "json", |cmd| cmd.test_engine(&engine.url), None, ids);
    let body = created_plan(&engine);
    assert_eq!(
        example_ids(&body),
        [
            "./spec/shop/checkout_spec.rb[1:2]",
            "./spec/shop/checkout_spec.rb[1:3]",
            "./spec/shop/checkout_spec.rb[1:1:1]"
        ]
    );
    assert_eq!(body["tests"]["examples"][0]["scope"], "Checkout");
    assert_eq!(body["tests"]["selectors"].as_array().unwrap().len(), 2);
    assert_eq!(seen, all_examples(), "each example once, across both jobs");
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
    let body = created_plan(&engine);
    assert_eq!(
        body["tests"]["examples"][0]["identifier"],
        "./spec/stock_spec.rb[1:1]"
    );
}

/// D37: `fit` with `filter_run_when_matching :focus` (what `rspec --init`
/// writes) runs only the focused example, and RSpec exits 0. The witness
/// sees the examples the focus filter hid: not green.
#[test]
fn a_focus_filter_that_hides_assigned_examples_is_not_green() {
    let dir = project();
    dir.write(
        "spec/focus_helper.rb",
        "RSpec.configure { |c| c.filter_run_when_matching :focus }\n",
    );
    dir.write(
        "spec/focus_spec.rb",
        "require_relative 'focus_helper'\n\
         RSpec.describe('Focus') do\n  fit('runs') { expect(1).to eq(1) }\n  \
         it('fails, hidden') { expect(1).to eq(2) }\nend\n",
    );
    let out = run(&dir, "out/r.json");
    out.assert_exit(17)
        .assert_stdout_contains("never ran")
        .assert_stdout_contains("./spec/focus_spec.rb[1:2]");
    let err = out.stderr() + &out.stdout();
    assert!(err.contains("a focus filter"), "{err}");
}

/// D37: a dry run reports every example as passed without running one.
/// Asked for where bktec can read it (the command, `SPEC_OPTS`, `.rspec`,
/// `.rspec-local`) it is refused with 16 before anything runs; asked for in
/// the code (`config.dry_run = true`), the witness sees it: 17.
#[test]
fn a_dry_run_from_any_source_is_not_green() {
    for (file, content, spec_opts, found) in [
        (".rspec", "--dry-run\n", "", "`--dry-run` in .rspec"),
        (
            ".rspec-local",
            "--dry-run\n",
            "",
            "`--dry-run` in .rspec-local",
        ),
        (
            "spec/none.rb",
            "# none\n",
            "--dry-run",
            "`--dry-run` in SPEC_OPTS",
        ),
    ] {
        let dir = project();
        dir.write(file, content);
        let out = bktec(&dir)
            .args(["run", "--result-path", "out/r.json"])
            .env("SPEC_OPTS", spec_opts)
            .output();
        out.assert_exit(16)
            .assert_stderr_contains(&format!("runs RSpec as a dry run ({found})"));
        assert!(!out.stdout().contains("Running tests"), "{}", out.stdout());
    }
    let dir = project();
    dir.write(
        "spec/dry_helper.rb",
        "RSpec.configure { |c| c.dry_run = true }\n",
    );
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("SPEC_OPTS", "--require ./spec/dry_helper.rb")
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .output();
    out.assert_exit(17).assert_stdout_contains("never ran");
    let said = out.stderr() + &out.stdout();
    assert!(said.contains("RSpec ran as a dry run"), "{said}");
}

/// D37: the witness sees the run as it starts, so a hook that clears
/// RSpec's world afterwards cannot hide what a focus filter left out; and a
/// run that ends before the witness can write (`exit!` in an `at_exit`)
/// proves nothing.
#[test]
fn the_witness_cannot_be_blinded_or_skipped() {
    let dir = project();
    dir.write(
        "spec/focus_cfg.rb",
        "RSpec.configure do |c|\n  c.filter_run_when_matching :focus\n  \
         c.after(:suite) { RSpec.clear_examples }\nend\n",
    );
    let cart = dir.path().join("spec/shop/cart_spec.rb");
    let source = std::fs::read_to_string(&cart).unwrap();
    std::fs::write(&cart, source.replacen("  it \"", "  fit \"", 1)).unwrap();
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("SPEC_OPTS", "--require ./spec/focus_cfg.rb")
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .output();
    out.assert_exit(17).assert_stdout_contains("never ran");
    let dir = project();
    dir.write(
        "spec/exit_cfg.rb",
        "RSpec.configure { |c| c.dry_run = true }\nat_exit { exit!(0) }\n",
    );
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("SPEC_OPTS", "--require ./spec/exit_cfg.rb")
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .output();
    out.assert_exit(17)
        .assert_stdout_contains("ended before bktec's witness could record it");
}

/// The user's own filters stay the user's: an example excluded by `--tag
/// ~slow` in `SPEC_OPTS` is deselected, and the run is green; the user's
/// `SPEC_OPTS` reaches RSpec with the witness's option after it.
#[test]
fn the_user_s_own_tag_filters_are_kept_and_accepted() {
    let dir = project();
    dir.write(
        "spec/slow_spec.rb",
        "RSpec.describe('Slow') do\n  it('is slow', :slow) { expect(1).to eq(2) }\n  \
         it('is quick') { expect(1).to eq(1) }\nend\n",
    );
    let out = bktec(&dir)
        .args(["run", "--result-path", "out/r.json"])
        .env("SPEC_OPTS", "--tag ~slow")
        .output();
    out.assert_success();
    let ran = ids(&dir.path().join("out/r.json"));
    assert!(
        ran.contains(&"./spec/slow_spec.rb[1:2]".to_string()),
        "{ran:?}"
    );
    assert!(
        !ran.contains(&"./spec/slow_spec.rb[1:1]".to_string()),
        "{ran:?}"
    );
}
