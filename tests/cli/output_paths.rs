//! Output paths never touch inputs (D35, issue 19 item 4): `--junit-out`,
//! `--result-path` and the attempt copies kept beside it are refused with
//! 16, before any test runs, when they are a file the run reads: a test
//! file of any job, the durations file, the configuration file, a row file
//! or the plan file. With real pytest and the real collector.

use std::fs;

use serde_json::json;

use crate::support::pytest::{FAILING, PASSING, bktec, project};
use crate::support::{RunOutput, TestDir, Venv};

/// What `tests/test_c.py` holds in every project here.
const TEST_C: &str = "def test_c():\n    assert True\n";

fn suite() -> TestDir {
    project(&[("tests/test_a.py", PASSING), ("tests/test_c.py", TEST_C)])
}

/// Asserts that `out` is the D35 refusal naming `needle`, that no test ran
/// and that `tests/test_c.py` is untouched.
fn assert_refused(dir: &TestDir, out: &RunOutput, needle: &str) {
    out.assert_exit(16)
        .assert_stderr_contains(needle)
        .assert_stderr_contains("which this run reads; choose another path (D35)");
    assert!(!out.stdout().contains("\npytest "), "nothing ran");
    assert_eq!(
        fs::read_to_string(dir.path().join("tests/test_c.py")).unwrap(),
        TEST_C
    );
}

#[test]
fn junit_out_on_a_test_file_is_refused_naming_where_it_came_from() {
    // It used to overwrite the test file with the merged report, exit 0.
    let dir = suite();
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "tests/test_c.py"])
        .output();
    assert_refused(
        &dir,
        &out,
        "bktec run: refusing to write the merged JUnit report to `tests/test_c.py` (from --junit-out): \
         it is the test file `tests/test_c.py`, which this run reads",
    );
    let out = bktec(&dir, Venv::Collector)
        .env(
            "BUILDKITE_TEST_ENGINE_JUNIT_OUT",
            "./tests/../tests/test_c.py",
        )
        .output();
    assert_refused(
        &dir,
        &out,
        "(from env BUILDKITE_TEST_ENGINE_JUNIT_OUT): it is the test file `tests/test_c.py`",
    );
    dir.write("bktec.toml", "[runner]\njunit-out = \"tests/test_c.py\"\n");
    let out = bktec(&dir, Venv::Collector).output();
    assert_refused(&dir, &out, "(from `runner.junit-out` at bktec.toml:2)");
}

#[test]
fn result_path_on_a_test_file_is_refused_before_it_is_deleted() {
    // It used to be removed as a stale result before the first attempt.
    let dir = suite();
    for path in ["tests/test_c.py", "tests/./sub/../test_c.py"] {
        fs::create_dir_all(dir.path().join("tests/sub")).unwrap();
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--result-path", path])
            .output();
        assert_refused(
            &dir,
            &out,
            &format!(
                "refusing to write the test command's result file to `{path}` (from --result-path): \
                 it is the test file `tests/test_c.py`"
            ),
        );
    }
}

#[test]
fn links_to_a_test_file_are_the_test_file() {
    let dir = suite();
    std::os::unix::fs::symlink("tests/test_c.py", dir.path().join("soft.xml")).unwrap();
    fs::hard_link(
        dir.path().join("tests/test_c.py"),
        dir.path().join("hard.xml"),
    )
    .unwrap();
    for (flag, path) in [
        ("--junit-out", "soft.xml"),
        ("--junit-out", "hard.xml"),
        ("--result-path", "hard.xml"),
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", flag, path])
            .output();
        assert_refused(&dir, &out, "it is the test file `tests/test_c.py`");
    }
}

#[test]
fn an_attempt_copy_on_a_test_file_is_refused() {
    // With one retry, attempt 1's results are kept as
    // `tests/test_x.attempt-1.py`: a file pytest's pattern discovers.
    let dir = suite();
    dir.write("tests/test_x.attempt-1.py", PASSING);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", "tests/test_x.py"])
        .output();
    assert_refused(
        &dir,
        &out,
        "refusing to write attempt 1's results to `tests/test_x.attempt-1.py` \
         (kept beside `tests/test_x.py` from --result-path): it is the test file `tests/test_x.attempt-1.py`",
    );
    // Without retries nothing is kept there, and the run goes ahead (pytest
    // then fails to import a module named `test_x.attempt-1`: exit 2).
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--result-path", "tests/test_x.py"])
        .output();
    out.assert_exit(2).assert_stdout_contains(
        "\npytest tests/test_a.py tests/test_c.py tests/test_x.attempt-1.py",
    );
}

#[test]
fn a_test_file_of_another_job_is_refused_too() {
    // Each job refuses every discovered file, not only its own share, so
    // no job of the build overwrites a file another job runs.
    let dir = suite();
    for job in ["0", "1"] {
        for file in ["tests/test_a.py", "tests/test_c.py"] {
            let out = bktec(&dir, Venv::Collector)
                .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
                .env("BUILDKITE_PARALLEL_JOB", job)
                .args(["run", "--junit-out", file])
                .output();
            assert_refused(&dir, &out, &format!("it is the test file `{file}`"));
        }
    }
}

#[test]
fn a_test_file_a_plan_file_names_for_any_job_is_refused() {
    let dir = suite();
    dir.write(
        "plan.json",
        &json!({"parallelism": 2, "tasks": {
            "0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}]},
            "1": {"node_number": 1, "tests": [{"path": "tests/test_c.py::test_c"}]},
        }})
        .to_string(),
    );
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "0")
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--junit-out",
            "tests/test_c.py",
        ])
        .output();
    assert_refused(&dir, &out, "it is the test file `tests/test_c.py`");
}

#[test]
fn the_files_the_run_reads_are_refused_as_outputs() {
    let dir = suite();
    dir.write(".test_durations", "{}");
    dir.write("files.txt", "tests/test_a.py\n");
    dir.write("selectors.txt", "tests/test_a.py\n");
    dir.write(
        "plan.json",
        &json!({"parallelism": 1, "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}]}}})
            .to_string(),
    );
    dir.write("ci.toml", "[runner]\n");
    for (args, needle) in [
        (
            &["--junit-out", ".test_durations"][..],
            "it is the durations file `.test_durations` (from built-in default)",
        ),
        (
            &["--durations-file", "d.json", "--result-path", "d.json"],
            "it is the durations file `d.json` (from --durations-file)",
        ),
        (
            &["--files", "files.txt", "--junit-out", "files.txt"],
            "it is the files list `files.txt` (from --files)",
        ),
        (
            &[
                "--selector-file",
                "selectors.txt",
                "--result-path",
                "selectors.txt",
            ],
            "it is the selector file `selectors.txt` (from --selector-file)",
        ),
        (
            &["--plan-file", "plan.json", "--junit-out", "plan.json"],
            "it is the plan file `plan.json` (from --plan-file)",
        ),
    ] {
        let out = bktec(&dir, Venv::Collector).arg("run").args(args).output();
        assert_refused(&dir, &out, needle);
    }
    let out = bktec(&dir, Venv::Collector)
        .args(["--config", "ci.toml", "run", "--junit-out", "ci.toml"])
        .output();
    assert_refused(&dir, &out, "it is the configuration file `ci.toml`");
    assert_eq!(
        fs::read_to_string(dir.path().join("ci.toml")).unwrap(),
        "[runner]\n"
    );
}

#[test]
fn junit_out_on_the_result_path_is_refused() {
    let dir = suite();
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--result-path",
            "out/r.json",
            "--junit-out",
            "out/./r.json",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("it is the test command's own result file");
}

#[test]
fn under_discovery_by_pytest_the_collected_files_are_refused() {
    let dir = project(&[("tests/test_a.py", FAILING), ("tests/test_c.py", TEST_C)]);
    dir.write("bktec.toml", "[files]\ndiscovery = \"pytest\"\n");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--result-path", "tests/test_c.py"])
        .output();
    assert_refused(&dir, &out, "it is the test file `tests/test_c.py`");
    // Elsewhere the same run goes ahead and fails on test_broken.
    bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "out/junit.xml"])
        .output()
        .assert_exit(1);
    assert!(dir.path().join("out/junit.xml").is_file());
}

/// D35: a result path or `--junit-out` on a file of the project that is
/// not a test file (`conftest.py`, `pytest.ini`, a README) is no stale
/// result: refused with 16 before anything runs, and the file is kept. A
/// stale result of an earlier run is still replaced.
#[test]
fn other_files_of_the_project_are_never_replaced() {
    let dir = suite();
    let conftest = "import os\n";
    dir.write("conftest.py", conftest);
    dir.write("README.md", "# the project\n");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--result-path", "conftest.py"])
        .output();
    out.assert_exit(16)
        .assert_stderr_contains("`conftest.py` holds something other than json results");
    assert!(!out.stdout().contains("\npytest "), "nothing ran");
    assert_eq!(
        fs::read_to_string(dir.path().join("conftest.py")).unwrap(),
        conftest
    );
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "README.md"])
        .output();
    out.assert_exit(16)
        .assert_stderr_contains("it holds something other than XML");
    assert!(!out.stdout().contains("\npytest "), "nothing ran");
    assert_eq!(
        fs::read_to_string(dir.path().join("README.md")).unwrap(),
        "# the project\n"
    );
    // Results and a report of an earlier run are replaced.
    dir.write("out/r.json", "[{\"stale\": true}]");
    dir.write("out/junit.xml", "<?xml version=\"1.0\"?><testsuites/>");
    bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--result-path",
            "out/r.json",
            "--junit-out",
            "out/junit.xml",
        ])
        .output()
        .assert_success();
    let report = fs::read_to_string(dir.path().join("out/junit.xml")).unwrap();
    assert!(report.contains("test_c"), "{report}");
}

/// A project with `sub/link` a symlink to `../tests`: `sub/link/..` is
/// the project's root, as the kernel resolves it, not `sub`.
fn linked_suite() -> TestDir {
    let dir = suite();
    dir.write("bktec.toml", "[runner]\nname = \"pytest\"\n");
    fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("../tests", dir.path().join("sub/link")).unwrap();
    dir
}

/// A plan file naming `tests/test_a.py` for the only job.
fn plan_for_test_a() -> String {
    json!({"parallelism": 1, "tasks": {"0": {"node_number": 0, "tests": [{"path": "tests/test_a.py"}]}}})
        .to_string()
}

#[test]
fn a_linked_directory_and_dot_dot_reach_the_inputs_they_name() {
    // `sub/link/../tests/test_c.py` is `tests/test_c.py`; cleaned
    // lexically it was `sub/tests/test_c.py`, which does not exist, and the
    // test file was overwritten with the report (exit 0).
    let dir = linked_suite();
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "sub/link/../tests/test_c.py"])
        .output();
    assert_refused(
        &dir,
        &out,
        "refusing to write the merged JUnit report to `sub/link/../tests/test_c.py` (from --junit-out): \
         it is the test file `",
    );
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--junit-out", "sub/link/../bktec.toml"])
        .output();
    assert_refused(&dir, &out, "it is the configuration file `bktec.toml`");
    assert_eq!(
        fs::read_to_string(dir.path().join("bktec.toml")).unwrap(),
        "[runner]\nname = \"pytest\"\n"
    );
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--result-path", "sub/link/../tests/test_c.py"])
        .output();
    assert_refused(
        &dir,
        &out,
        "refusing to write the test command's result file to `sub/link/../tests/test_c.py` (from --result-path): \
         it is the test file `",
    );
}

#[test]
fn a_test_file_that_may_begin_json_is_caught_by_its_identity_alone() {
    // `[]` is a Python statement, and the start of a JSON result file: the
    // check of what the file holds lets it through, so only the identity
    // of the file keeps it from being removed as a stale result.
    let dir = linked_suite();
    let test_j = "[]\n\ndef test_j():\n    assert True\n";
    dir.write("tests/test_j.py", test_j);
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--result-path", "sub/link/../tests/test_j.py"])
        .output();
    assert_refused(
        &dir,
        &out,
        "refusing to write the test command's result file to `sub/link/../tests/test_j.py`",
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("tests/test_j.py")).unwrap(),
        test_j
    );
}

#[test]
fn an_attempt_copy_through_a_linked_directory_is_the_plan_file() {
    // Attempt 0's copy of `sub/link/../p.json` is `p.attempt-0.json`: it
    // was removed as a stale copy before the first attempt (exit 0).
    let dir = linked_suite();
    dir.write("p.attempt-0.json", &plan_for_test_a());
    for result in ["sub/link/../p.json", "p.json"] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--plan-file", "p.attempt-0.json"])
            .args(["--result-path", result])
            .output();
        assert_refused(
            &dir,
            &out,
            &format!(
                "refusing to write attempt 0's results to `{}` (kept beside `{result}` from --result-path): \
                 it is the plan file `p.attempt-0.json` (from --plan-file)",
                result.replace("p.json", "p.attempt-0.json")
            ),
        );
        assert!(dir.path().join("p.attempt-0.json").is_file());
    }
}

#[test]
fn junit_out_through_a_linked_directory_on_the_result_path_is_refused() {
    let dir = linked_suite();
    for (result, junit) in [
        ("sub/link/../out/r.json", "out/r.json"),
        ("out/r.json", "sub/link/../out/r.json"),
    ] {
        bktec(&dir, Venv::Collector)
            .args(["run", "--result-path", result, "--junit-out", junit])
            .output()
            .assert_exit(16)
            .assert_stderr_contains("it is the test command's own result file");
    }
}

#[test]
fn stale_attempt_copies_are_removed_only_as_far_as_the_retry_count_goes() {
    // Without retries only `p.attempt-0.json` is a copy bktec may keep
    // (and D35 checks): `p.attempt-1.json` is the plan file here, and the
    // stale copies before it were removed up to it, the plan file too.
    let dir = suite();
    dir.write("p.attempt-0.json", "[]");
    dir.write("p.attempt-1.json", &plan_for_test_a());
    bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "p.attempt-1.json"])
        .args(["--result-path", "p.json"])
        .output()
        .assert_success();
    assert!(!dir.path().join("p.attempt-0.json").exists(), "stale copy");
    assert_eq!(
        fs::read_to_string(dir.path().join("p.attempt-1.json")).unwrap(),
        plan_for_test_a()
    );
}
