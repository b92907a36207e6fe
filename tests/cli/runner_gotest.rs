//! `bktec run` with real `go test` through gotestsum (Debian's `golang-go`
//! and `gotestsum`) on `examples/gotest` (behaviour document 5.1, 5.2, 7.7,
//! 8.3, 9; D23, D24).

use bktec::results::{Outcome, ResultFormat};

use crate::support::runners::{
    assert_ends_without_retries, assert_flaky_passes_on_retry, assert_real_failure_stays_red,
    example, parse, run_listed, two_jobs_ids,
};
use crate::support::{TestDir, repo_root};

fn project() -> TestDir {
    let dir = example("gotest", "gotestsum");
    assert!(
        dir.path().join("go.mod").exists(),
        "the demo is a Go module"
    );
    dir
}

fn outcomes(path: &std::path::Path) -> Vec<(String, String, Outcome)> {
    let mut got: Vec<_> = parse(path, ResultFormat::GoJsonl)
        .tests
        .into_iter()
        .map(|t| (t.path, t.name, t.outcome))
        .collect();
    got.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    got
}

#[test]
fn parses_what_go_test_writes() {
    let got = outcomes(&repo_root().join("tests/fixtures/gotest/failures.jsonl"));
    let want = [
        ("cart", "TestDiscount", Outcome::Failed),
        ("cart", "TestTotal", Outcome::Passed),
        ("checkout", "TestChargesOnce", Outcome::Failed),
        ("checkout", "TestReceipt", Outcome::Passed),
        ("checkout", "TestShipsAbroad", Outcome::Skipped),
        ("exits", "TestMain", Outcome::Failed),
        ("exits", "TestOK", Outcome::Passed),
        ("stock", "TestCount", Outcome::Passed),
        ("stock", "TestCount/empty", Outcome::Passed),
        ("stock", "TestCount/two", Outcome::Passed),
    ]
    .map(|(p, n, o)| (format!("example.com/shop/{p}"), n.to_string(), o));
    assert_eq!(got, want);
}

#[test]
fn two_jobs_run_every_package_exactly_once() {
    let dir = project();
    let seen = two_jobs_ids(
        &dir,
        "jsonl",
        |cmd| cmd,
        Some("gotestsum --jsonfile=out/job-"),
        |path| {
            outcomes(path)
                .into_iter()
                .map(|(p, n, _)| format!("{p} {n}"))
                .collect()
        },
    );
    assert_eq!(
        seen,
        [
            "example.com/shop/cart TestDiscount",
            "example.com/shop/cart TestTotal",
            "example.com/shop/checkout TestChargesOnce",
            "example.com/shop/checkout TestReceipt",
            "example.com/shop/checkout TestShipsAbroad",
            "example.com/shop/stock TestCount",
            "example.com/shop/stock TestCount/empty",
            "example.com/shop/stock TestCount/two",
        ]
    );
}

#[test]
fn a_flaky_test_passes_when_its_package_is_retried() {
    assert_flaky_passes_on_retry(
        &project(),
        "out/r.jsonl",
        "\ngotestsum --jsonfile=out/r.jsonl example.com/shop/checkout\n",
    )
    // The whole package ran again: its passing test counts as passed on
    // retry too, as in the Go client.
    .assert_stdout_contains("|         | on retry  | 2 |");
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    assert_real_failure_stays_red(
        &project(),
        "out/r.jsonl",
        "example.com/shop/cart TestDiscount",
        "gotest",
    );
}

#[test]
fn a_package_that_does_not_build_is_never_green() {
    let dir = project();
    dir.write(
        "cart/broken.go",
        "package cart\n\nfunc broken() int { return \"x\" }\n",
    );
    let out = assert_ends_without_retries(&dir, "out/r.jsonl");
    assert!(
        !matches!(out.code(), Some(0 | 1)),
        "a build failure is neither green nor a test failure\n{}",
        out.stdout()
    );
}

#[test]
fn a_package_named_like_an_option_is_passed_as_a_path() {
    // D24: a row `-run=TestTotal` would narrow the run to one test; as
    // `./-run=TestTotal` it is a directory that does not exist.
    let dir = project();
    let out = run_listed(&dir, "-run=TestTotal\n", "out/r.jsonl");
    out.assert_stdout_contains(" ./-run=TestTotal\n");
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
}

#[test]
fn package_directories_in_a_files_list_are_matched_to_their_results() {
    // go test names results by import path; `./cart` must not read as a
    // package that never ran (D23).
    let dir = project();
    let out = run_listed(&dir, "./cart\n./checkout/\n", "out/r.jsonl");
    out.assert_success()
        .assert_stdout_contains(" example.com/shop/cart example.com/shop/checkout\n");
}

#[test]
fn a_package_of_benchmarks_only_is_green_and_one_whose_tests_were_skipped_is_not() {
    let dir = project();
    dir.write(
        "bench/b.go",
        "package bench\n\nfunc Double(x int) int { return 2 * x }\n",
    );
    dir.write(
        "bench/b_test.go",
        "package bench\n\nimport \"testing\"\n\nfunc BenchmarkDouble(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n\t\tDouble(i)\n\t}\n}\n",
    );
    run_listed(
        &dir,
        "example.com/shop/bench\nexample.com/shop/cart\n",
        "out/r.jsonl",
    )
    .assert_success();
    // A Test function that never ran (TestMain exits first) is no proof.
    dir.write(
        "early/e_test.go",
        "package early\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(0) }\n\nfunc TestNeverRuns(t *testing.T) { t.Fatal(\"x\") }\n",
    );
    let out = run_listed(
        &dir,
        "example.com/shop/early\nexample.com/shop/cart\n",
        "out/r2.jsonl",
    );
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
}
