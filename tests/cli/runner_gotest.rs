//! `bktec run` with real `go test` through gotestsum (Debian's `golang-go`
//! and `gotestsum`) on `examples/gotest` (behaviour document 5.1, 5.2, 7.7,
//! 8.3, 9; D23, D24).

use std::time::Duration;

use bktec::results::{Outcome, ResultFormat};

use crate::signals::{alive, send, wait_exit, wait_for};

use crate::support::runners::{
    assert_ends_without_retries, assert_flaky_passes_on_retry, assert_real_failure_stays_red,
    bktec, example, parse, run_listed, two_jobs_ids,
};
use crate::support::{RunOutput, TestDir, repo_root};

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
fn a_flaky_test_passes_when_it_alone_is_retried() {
    assert_flaky_passes_on_retry(
        &project(),
        "out/r.jsonl",
        "\ngotestsum --jsonfile=out/r.jsonl example.com/shop/checkout -run '^(TestChargesOnce)$'\n",
    )
    // Only the failed test ran again (D46); its package's passing test
    // passed on the first run.
    .assert_stdout_contains("|         | on retry  | 1 |");
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
    // The packages that built still report their tests; only the one
    // that did not build is said to have produced no result.
    let stdout = out.stdout();
    assert!(
        stdout.contains("🚨 go test exited with status 2: a package did not build"),
        "{stdout}"
    );
    assert!(stdout.contains("| Passed  | first run | 5 |"), "{stdout}");
    assert!(
        stdout.contains("1 assigned target produced no result:\n- example.com/shop/cart\n"),
        "{stdout}"
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

/// `cart` gains a test that always fails.
fn with_failing_cart_test(dir: &TestDir) {
    dir.write(
        "cart/fail_test.go",
        "package cart\n\nimport \"testing\"\n\nfunc TestFail(t *testing.T) { t.Fatal(\"always\") }\n",
    );
}

/// `bktec run` on `./cart` only, with `command` as the test command and
/// `goflags` as GOFLAGS (the support's `-mod=mod` kept).
fn run_cart(dir: &TestDir, command: &str, goflags: &str) -> RunOutput {
    dir.write("files.txt", "./cart\n");
    bktec(dir)
        .env("GOFLAGS", format!("-mod=mod {goflags}"))
        .env("BUILDKITE_TEST_ENGINE_TEST_CMD", command)
        .args([
            "run",
            "--files",
            "files.txt",
            "--result-path",
            "out/r.jsonl",
        ])
        .output()
}

const GOTESTSUM: &str = "gotestsum --jsonfile={{resultPath}} {{packages}}";

#[test]
fn a_run_filter_in_goflags_that_hides_a_test_is_unproven() {
    // Issue 19: GOFLAGS=-run=TestTotal runs one test of `cart`; its
    // failing TestFail never runs and the run was green (D38).
    let dir = project();
    with_failing_cart_test(&dir);
    let out = run_cart(&dir, GOTESTSUM, "-run=TestTotal");
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("`go test -list` listed 3 tests")
        .assert_stdout_contains("example.com/shop/cart TestFail");
}

/// A subtest pattern (`-run=/empty`) hides the failing subtest `two` while
/// its test `TestCount` still reports: the listing cannot name subtests, so
/// such a pattern, in GOFLAGS or the command, leaves the run unproven.
#[test]
fn a_subtest_filter_that_hides_a_failing_subtest_is_unproven() {
    let dir = project();
    dir.write(
        "stock/stock_test.go",
        "package stock\n\nimport \"testing\"\n\nfunc TestCount(t *testing.T) {\n\
         \tt.Run(\"empty\", func(t *testing.T) {})\n\
         \tt.Run(\"two\", func(t *testing.T) { t.Fatal(\"too many\") })\n}\n",
    );
    let stock = |command: &str, goflags: &str| {
        dir.write("files.txt", "./stock\n");
        bktec(&dir)
            .env("GOFLAGS", format!("-mod=mod {goflags}"))
            .env("BUILDKITE_TEST_ENGINE_TEST_CMD", command)
            .args([
                "run",
                "--files",
                "files.txt",
                "--result-path",
                "out/r.jsonl",
            ])
            .output()
    };
    stock(GOTESTSUM, "").assert_exit(1);
    let out = stock(GOTESTSUM, "-run=/empty");
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("`-run=/empty` selects subtests");
    let command = "gotestsum --jsonfile={{resultPath}} -- -run /empty {{packages}}";
    let out = stock(command, "");
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
}

#[test]
fn a_run_filter_in_the_test_command_is_unproven_too() {
    // The user asked for `-run`, but the job's assigned package holds tests
    // it hides: they did not run, so nothing proves them (D38).
    let dir = project();
    with_failing_cart_test(&dir);
    let out = run_cart(
        &dir,
        "gotestsum --jsonfile={{resultPath}} -- -run=TestTotal {{packages}}",
        "",
    );
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("example.com/shop/cart TestDiscount");
    // Given to the test binary itself, after `-args`, as well.
    let out = run_cart(
        &dir,
        "gotestsum --jsonfile={{resultPath}} -- {{packages}} -args -test.run=TestTotal",
        "",
    );
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("example.com/shop/cart TestFail");
    // And to `go test` in a script: gotest lists with `go` itself, so a
    // script is no reason to check per package only.
    let out = run_cart(
        &dir,
        "sh -c 'go test -json -run TestTotal {{packages}} > {{resultPath}}'",
        "",
    );
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("example.com/shop/cart TestFail");
}

#[test]
fn every_listed_test_that_reports_is_green() {
    // Subtests answer for their test; examples and fuzz seeds are tests;
    // benchmarks are not (D38).
    let dir = project();
    dir.write(
        "cart/more_test.go",
        "package cart\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestSubs(t *testing.T) {\n\tt.Run(\"a b\", func(t *testing.T) {})\n}\n\nfunc FuzzTotal(f *testing.F) {\n\tf.Add(1)\n\tf.Fuzz(func(t *testing.T, n int) { Total(n, n) })\n}\n\nfunc ExampleTotal() {\n\tfmt.Println(Total(1, 2))\n\t// Output: 3\n}\n\nfunc ExampleNotRun() {}\n\nfunc BenchmarkTotal(b *testing.B) {}\n",
    );
    let out = run_cart(&dir, GOTESTSUM, "");
    out.assert_success()
        .assert_stdout_contains("`go test -list` listed 5 tests");
}

#[test]
fn a_package_under_the_command_s_build_tags_is_discovered_and_listed() {
    // Issue 19: `go list` ran without the command's `-tags`, so the tagged
    // package was never assigned and the run was green (D38).
    let dir = project();
    dir.write(
        "tagged/t_test.go",
        "//go:build integration\n\npackage tagged\n\nimport \"testing\"\n\nfunc TestTagged(t *testing.T) { t.Fatal(\"tagged fails\") }\n",
    );
    let out = bktec(&dir)
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "gotestsum --jsonfile={{resultPath}} -- -tags=integration {{packages}}",
        )
        .args(["run", "--result-path", "out/r.jsonl"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("example.com/shop/tagged TestTagged");
    // The same command spelled for `go test` itself, in a script.
    let out = bktec(&dir)
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "sh -c 'go test -json --tags integration {{packages}} > {{resultPath}}'",
        )
        .args(["run", "--result-path", "out/r2.jsonl"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("example.com/shop/tagged TestTagged");
}

#[test]
fn a_go_test_stream_cut_off_mid_package_is_unproven() {
    // Issue 19: the stream ends after TestTotal passed and TestDiscount
    // started, with no package event; exit 0 from the pipeline was green.
    let dir = project();
    let out = run_cart(
        &dir,
        "sh -c 'go test -json {{packages}} | head -n 5 > {{resultPath}}'",
        "",
    );
    assert_eq!(out.code(), Some(17), "{}", out.stdout());
    out.assert_stdout_contains("package `example.com/shop/cart`")
        .assert_stdout_contains("`TestDiscount`");
}

#[test]
fn a_test_cut_short_by_the_timeout_is_the_failure() {
    // The package's `fail` event ends it: red, and the test that was
    // running is the one named as failed, not a `TestMain`.
    let dir = project();
    dir.write(
        "cart/slow_test.go",
        "package cart\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSlow(t *testing.T) { time.Sleep(20 * time.Second) }\n",
    );
    let out = run_cart(
        &dir,
        "gotestsum --jsonfile={{resultPath}} -- -timeout=2s {{packages}}",
        "",
    );
    out.assert_exit(1)
        .assert_stdout_contains("example.com/shop/cart TestSlow");
    assert!(!out.stdout().contains("TestMain"), "{}", out.stdout());
}

#[test]
fn sigterm_during_the_listing_ends_it_and_the_test_binary() {
    // The listing runs each package's TestMain; one that hangs is ended
    // with bktec, which exits 143 (D33).
    let dir = project();
    dir.write(
        "hangs/h_test.go",
        "package hangs\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestMain(m *testing.M) {\n\tos.WriteFile(os.Getenv(\"BKTEC_TEST_MARKER\"), []byte(fmt.Sprint(os.Getpid())), 0o644)\n\ttime.Sleep(1000 * time.Second)\n\tos.Exit(m.Run())\n}\n\nfunc TestX(t *testing.T) {}\n",
    );
    let marker = dir.path().join("pid.txt");
    let mut child = bktec(&dir)
        .env("BKTEC_TEST_MARKER", marker.display().to_string())
        .args(["run", "--result-path", "out/r.jsonl"])
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start bktec");
    wait_for("the listing's TestMain", Duration::from_secs(120), || {
        std::fs::read_to_string(&marker).is_ok_and(|pid| !pid.is_empty())
    });
    let pid: i32 = std::fs::read_to_string(&marker).unwrap().parse().unwrap();
    send(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(143));
    wait_for("the test binary to end", Duration::from_secs(5), || {
        !alive(pid)
    });
    // The signal ended the run before its first attempt.
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(!stdout.contains("Running tests"), "{stdout}");
}

/// `bktec run` on the demo with `command` as the test command and `result`
/// as the result path, the checkout test flaky and one retry allowed.
fn run_flaky_with(dir: &TestDir, command: &str, result: &str) -> RunOutput {
    let markers = TestDir::new();
    bktec(dir)
        .env(
            "BKTEC_EXAMPLE_FLAKY_DIR",
            markers.path().display().to_string(),
        )
        .env("BUILDKITE_TEST_ENGINE_TEST_CMD", command)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", result])
        .output()
}

/// D39: `go test -json {{packages}}`, the Go client's migration guide's
/// form, writes its results on standard output: bktec copies them to the
/// result path (they still reach the terminal), retries the flaky test
/// alone and proves the run per test.
#[test]
fn go_test_json_on_standard_output_is_read_and_retried() {
    let dir = project();
    let out = run_flaky_with(&dir, "go test -json {{packages}}", "out/r.jsonl");
    out.assert_success()
        .assert_stdout_contains(
            "\ngo test -json example.com/shop/checkout -run '^(TestChargesOnce)$'\n",
        )
        .assert_stdout_contains(r#""Action":"pass","Package":"example.com/shop/stock""#)
        .assert_stdout_contains("Proven per test: each of the 6 tests");
    // The retry's file holds the retry's stream; the first attempt's is kept.
    let first = outcomes(&dir.path().join("out/r.attempt-0.jsonl"));
    assert!(
        first.contains(&(
            "example.com/shop/checkout".to_string(),
            "TestChargesOnce".to_string(),
            Outcome::Failed
        )),
        "{first:?}"
    );
}

/// D39: a failing test in a `go test -json` run read from standard output
/// is a failure, never green.
#[test]
fn go_test_json_on_standard_output_keeps_a_failure_red() {
    let dir = project();
    with_failing_cart_test(&dir);
    run_cart(&dir, "go test -json {{packages}}", "")
        .assert_exit(1)
        .assert_stdout_contains("- example.com/shop/cart TestFail");
}

/// D30, D39: `--junitfile={{resultPath}}` is gotestsum's JUnit XML, read
/// by package and test as `go test -json` is: retries and the per-test
/// proof work the same.
#[test]
fn gotestsum_junit_is_read_by_package_and_test() {
    let dir = project();
    let out = run_flaky_with(
        &dir,
        "gotestsum --junitfile={{resultPath}} {{packages}}",
        "out/r.xml",
    );
    out.assert_success()
        .assert_stdout_contains(
            "\ngotestsum --junitfile=out/r.xml example.com/shop/checkout -run '^(TestChargesOnce)$'\n",
        )
        .assert_stdout_contains("Proven per test: each of the 6 tests");
    let first = parse(
        &dir.path().join("out/r.attempt-0.xml"),
        ResultFormat::JUnitXml,
    );
    assert!(
        first
            .tests
            .iter()
            .any(|t| t.scope == "example.com/shop/checkout"
                && t.name == "TestChargesOnce"
                && t.path == "example.com/shop/checkout"
                && t.outcome == Outcome::Failed),
        "{:?}",
        first.tests
    );
    with_failing_cart_test(&dir);
    run_cart(
        &dir,
        "gotestsum --junitfile={{resultPath}} {{packages}}",
        "",
    )
    .assert_exit(1)
    .assert_stdout_contains("- example.com/shop/cart TestFail");
}

/// Go source that counts each run of a test in
/// `$BKTEC_RUNS/<package>.<test name>` (`/` as `_`), and returns how many runs there were, this one included.
const COUNTER: &str = "package PKG\n\nimport (\n\t\"os\"\n\t\"path/filepath\"\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc runs(t *testing.T) int {\n\tpath := filepath.Join(os.Getenv(\"BKTEC_RUNS\"), \"PKG.\"+strings.ReplaceAll(t.Name(), \"/\", \"_\"))\n\tf, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)\n\tif err != nil {\n\t\tt.Fatal(err)\n\t}\n\tf.WriteString(\"x\")\n\tf.Close()\n\tinfo, _ := os.Stat(path)\n\treturn int(info.Size())\n}\n";

/// Writes package `name` of the demo: the run counter and `tests`.
fn counting_package(dir: &TestDir, name: &str, tests: &str) {
    dir.write(
        &format!("{name}/count_test.go"),
        &COUNTER.replace("PKG", name),
    );
    dir.write(
        &format!("{name}/{name}_test.go"),
        &format!("package {name}\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nvar _ = time.Second\n\n{tests}"),
    );
}

/// `bktec run` of `files` with `command`, one retry allowed, the tests'
/// runs counted in `runs`.
fn run_counted(dir: &TestDir, files: &str, command: &str, runs: &TestDir) -> RunOutput {
    dir.write("files.txt", files);
    bktec(dir)
        .env("BKTEC_RUNS", runs.path().display().to_string())
        .env("BUILDKITE_TEST_ENGINE_TEST_CMD", command)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--files",
            "files.txt",
            "--result-path",
            "out/r.jsonl",
        ])
        .output()
}

/// How many times each test ran, by the counter's files.
fn runs_of(runs: &TestDir) -> Vec<(String, usize)> {
    let mut got: Vec<(String, usize)> = std::fs::read_dir(runs.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let size = e.metadata().unwrap().len() as usize;
            (e.file_name().to_string_lossy().into_owned(), size)
        })
        .collect();
    got.sort();
    got
}

/// Issue 21 item 5: a retry ran the flaky test's whole package, its slow
/// passing test again too. Now it runs the failed top-level tests alone
/// (`-run '^(...)$'`): a failed subtest reruns its test with all its
/// subtests; a package without failures does not run again (D46).
#[test]
fn a_retry_runs_only_the_failed_tests_and_a_failed_subtest_its_whole_test() {
    let dir = project();
    counting_package(
        &dir,
        "flaky",
        "func TestSlow(t *testing.T) { runs(t); time.Sleep(300 * time.Millisecond) }\n\n\
         func TestFlaky(t *testing.T) {\n\tif runs(t) == 1 {\n\t\tt.Fatal(\"fails the first time\")\n\t}\n}\n\n\
         func TestSubs(t *testing.T) {\n\truns(t)\n\tt.Run(\"ok\", func(t *testing.T) { runs(t) })\n\
         \tt.Run(\"flaky case\", func(t *testing.T) {\n\t\tif runs(t) == 1 {\n\t\t\tt.Fatal(\"fails the first time\")\n\t\t}\n\t})\n}\n",
    );
    counting_package(&dir, "calm", "func TestFlaky(t *testing.T) { runs(t) }\n");
    let runs = TestDir::new();
    let out = run_counted(&dir, "./flaky\n./calm\n", GOTESTSUM, &runs);
    out.assert_success()
        .assert_stdout_contains(
            "\ngotestsum --jsonfile=out/r.jsonl example.com/shop/flaky -run '^(TestFlaky|TestSubs)$'\n",
        )
        .assert_stdout_contains("Proven per test: each of the 4 tests");
    assert_eq!(
        runs_of(&runs),
        [
            ("calm.TestFlaky".to_string(), 1),
            ("flaky.TestFlaky".to_string(), 2),
            ("flaky.TestSlow".to_string(), 1),
            ("flaky.TestSubs".to_string(), 2),
            ("flaky.TestSubs_flaky_case".to_string(), 2),
            ("flaky.TestSubs_ok".to_string(), 2),
        ]
    );
}

/// A panic ends the package's test binary: the tests after it never ran,
/// so the retry runs the whole package, which proves them (D46).
#[test]
fn a_panic_retries_its_whole_package() {
    let dir = project();
    counting_package(
        &dir,
        "panics",
        "func TestFirst(t *testing.T) { runs(t) }\n\n\
         func TestPanics(t *testing.T) {\n\tif runs(t) == 1 {\n\t\tpanic(\"boom\")\n\t}\n}\n\n\
         func TestAfter(t *testing.T) { runs(t) }\n",
    );
    let runs = TestDir::new();
    let out = run_counted(&dir, "./panics\n", GOTESTSUM, &runs);
    out.assert_success()
        .assert_stdout_contains("\ngotestsum --jsonfile=out/r.jsonl example.com/shop/panics\n")
        .assert_stdout_contains("Proven per test: each of the 3 tests");
    assert_eq!(
        runs_of(&runs),
        [
            ("panics.TestAfter".to_string(), 1),
            ("panics.TestFirst".to_string(), 2),
            ("panics.TestPanics".to_string(), 2),
        ]
    );
}

/// A `TestMain` that fails (here: once, before any test) is the package's
/// own failure: the retry runs the whole package. Its failure stays one:
/// no result of a later attempt names `TestMain` to settle it (D46).
#[test]
fn a_failed_test_main_retries_its_whole_package() {
    let dir = project();
    counting_package(&dir, "setup", "func TestOne(t *testing.T) { runs(t) }\n");
    dir.write(
        "setup/main_test.go",
        "package setup\n\nimport (\n\t\"os\"\n\t\"path/filepath\"\n\t\"strings\"\n\t\"testing\"\n)\n\n\
         func TestMain(m *testing.M) {\n\tmarker := filepath.Join(os.Getenv(\"BKTEC_RUNS\"), \"TestMain\")\n\
         \tlisting := strings.Contains(strings.Join(os.Args, \" \"), \"-test.list\")\n\
         \tif _, err := os.Stat(marker); err != nil && !listing {\n\t\tos.WriteFile(marker, []byte(\"x\"), 0o644)\n\t\tos.Exit(1)\n\t}\n\tos.Exit(m.Run())\n}\n",
    );
    let runs = TestDir::new();
    let out = run_counted(&dir, "./setup\n", GOTESTSUM, &runs);
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
    out.assert_stdout_contains("Attempt 1 of 1")
        .assert_stdout_contains("\ngotestsum --jsonfile=out/r.jsonl example.com/shop/setup\n");
    assert_eq!(
        runs_of(&runs),
        [
            ("TestMain".to_string(), 1),
            ("setup.TestOne".to_string(), 1)
        ]
    );
}

/// A package that does not build ends the run without retries, as
/// gotestsum's `--rerun-fails` aborts (D46): a flaky test elsewhere is not
/// retried, and the run is not green.
#[test]
fn a_build_failure_is_not_retried_even_beside_a_flaky_test() {
    let dir = project();
    counting_package(
        &dir,
        "flaky",
        "func TestFlaky(t *testing.T) {\n\tif runs(t) == 1 {\n\t\tt.Fatal(\"fails the first time\")\n\t}\n}\n",
    );
    dir.write(
        "cart/broken.go",
        "package cart\n\nfunc broken() int { return \"x\" }\n",
    );
    let runs = TestDir::new();
    let out = run_counted(&dir, "./flaky\n./cart\n", GOTESTSUM, &runs);
    assert!(!matches!(out.code(), Some(0)), "{}", out.stdout());
    out.assert_stdout_contains("example.com/shop/cart");
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
    assert_eq!(runs_of(&runs), [("flaky.TestFlaky".to_string(), 1)]);
}

/// The user's own `-run` is a selection bktec does not narrow: retries run
/// the failed packages whole under it, as before (D46).
#[test]
fn a_run_filter_of_the_user_keeps_whole_package_retries() {
    let dir = project();
    counting_package(
        &dir,
        "flaky",
        "func TestSlow(t *testing.T) { runs(t) }\n\n\
         func TestFlaky(t *testing.T) {\n\tif runs(t) == 1 {\n\t\tt.Fatal(\"fails the first time\")\n\t}\n}\n",
    );
    let runs = TestDir::new();
    let command = "gotestsum --jsonfile={{resultPath}} {{packages}} -run Test";
    let out = run_counted(&dir, "./flaky\n", command, &runs);
    out.assert_success().assert_stdout_contains(
        "\ngotestsum --jsonfile=out/r.jsonl example.com/shop/flaky -run Test\n",
    );
    assert_eq!(
        runs_of(&runs),
        [
            ("flaky.TestFlaky".to_string(), 2),
            ("flaky.TestSlow".to_string(), 2)
        ]
    );
}

/// `os.Exit` in a test ends the package's test binary without a `--- FAIL`
/// line: the tests after it never ran, so the retry runs the whole package,
/// whether the results are `go test -json` lines or gotestsum's JUnit (D46).
#[test]
fn a_test_that_exits_retries_its_whole_package_in_either_format() {
    for command in [
        GOTESTSUM,
        "gotestsum --junitfile={{resultPath}} {{packages}}",
    ] {
        let dir = project();
        counting_package(&dir, "exits", "func TestAfter(t *testing.T) { runs(t) }\n");
        dir.write(
            "exits/exit_test.go",
            "package exits\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\n\
             func TestExits(t *testing.T) {\n\tif runs(t) == 1 {\n\t\tos.Exit(3)\n\t}\n}\n",
        );
        let runs = TestDir::new();
        let out = run_counted(&dir, "./exits\n", command, &runs);
        out.assert_success()
            .assert_stdout_contains("Attempt 1 of 1")
            .assert_stdout_contains("Proven per test: each of the 2 tests");
        assert!(
            !out.stdout().contains("-run '"),
            "{command}\n{}",
            out.stdout()
        );
        assert_eq!(
            runs_of(&runs),
            [
                ("exits.TestAfter".to_string(), 1),
                ("exits.TestExits".to_string(), 2)
            ],
            "{command}"
        );
    }
}

/// D48: a Go attempt ended at its deadline names the test that was running,
/// from the `go test -json` stream, and exits 124 without a retry.
#[test]
fn an_attempt_past_its_deadline_names_the_go_test_that_was_running() {
    let dir = project();
    counting_package(
        &dir,
        "hangs",
        "func TestQuick(t *testing.T) { runs(t) }\n\n\
         func TestHangs(t *testing.T) {\n\truns(t)\n\ttime.Sleep(time.Hour)\n}\n",
    );
    let runs = TestDir::new();
    dir.write("files.txt", "./hangs\n");
    let out = bktec(&dir)
        .env("BKTEC_RUNS", runs.path().display().to_string())
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "gotestsum --jsonfile={{resultPath}} {{packages}}",
        )
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--files",
            "files.txt",
            "--result-path",
            "out/r.jsonl",
        ])
        .args(["--attempt-timeout", "20s", "--cancel-grace-period", "1s"])
        .output();
    out.assert_exit(124)
        .assert_stdout_contains("Still running:\n- example.com/shop/hangs TestHangs\n");
    assert!(!out.stdout().contains("Attempt 1 of 1"), "{}", out.stdout());
    assert_eq!(
        runs_of(&runs),
        [
            ("hangs.TestHangs".to_string(), 1),
            ("hangs.TestQuick".to_string(), 1),
        ]
    );
}
