//! Help for a person at the keyboard (issue 13, item 5): suggestions for a
//! mistyped command, completions, the schema, `bktec init`, `--dry-run`, and
//! hints on the two commonest first-run failures, with real pytest.

use std::fs;

use crate::support::pytest::{PASSING, bktec, project as pytest_project};
use crate::support::{TestDir, Venv, repo_root};

#[test]
fn a_mistyped_command_is_answered_with_the_closest_one() {
    let dir = TestDir::new();
    let out = dir.bktec().arg("rnu").output();
    out.assert_exit(16)
        .assert_stderr_contains("invalid command: \"rnu\"")
        .assert_stderr_contains("tip: a similar subcommand exists: 'run'");
    let out = dir.bktec().arg("frobnicate").output();
    out.assert_exit(16);
    assert!(!out.stderr().contains("tip:"), "{}", out.stderr());
}

#[test]
fn completions_for_every_shell() {
    let dir = TestDir::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = dir.bktec().args(["completions", shell]).output();
        out.assert_success();
        for word in ["run", "plan", "init", "dry-run", "test-runner"] {
            out.assert_stdout_contains(word);
        }
    }
    dir.bktec()
        .args(["completions", "tcsh"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("tcsh");
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let dir = TestDir::new();
    let out = dir.bktec().arg("schema").output();
    out.assert_success();
    let checked_in = fs::read_to_string(repo_root().join("schemas/bktec.schema.json")).unwrap();
    assert_eq!(out.stdout(), checked_in);
}

#[test]
fn init_writes_a_file_that_loads_and_validates_and_never_clobbers() {
    let dir = pytest_project(&[("pytest.ini", "[pytest]\n"), ("tests/test_a.py", PASSING)]);
    let out = dir.bktec().arg("init").output();
    out.assert_success()
        .assert_stderr_contains("for a pytest project (from `pytest.ini`)");
    let text = fs::read_to_string(dir.path().join("bktec.toml")).unwrap();
    assert!(text.starts_with("#:schema ./bktec.schema.json\n"), "{text}");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("bktec.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    assert!(validator.is_valid(&serde_json::to_value(value).unwrap()));
    // The file works: it names the runner, which nothing else here sets.
    let out = dir
        .bktec()
        .path_prepend(&crate::support::venv(Venv::Collector))
        .arg("config")
        .output();
    out.assert_success()
        .assert_stdout_contains("\"pytest\"")
        .assert_stdout_contains("bktec.toml:");
    // A second init refuses, and leaves the file alone.
    fs::write(dir.path().join("bktec.toml"), "# mine\n").unwrap();
    dir.bktec()
        .arg("init")
        .output()
        .assert_exit(16)
        .assert_stderr_contains("bktec.toml` already exists; bktec init never overwrites it");
    assert_eq!(
        fs::read_to_string(dir.path().join("bktec.toml")).unwrap(),
        "# mine\n"
    );
    // Nothing to detect: it says how to name the runner.
    let empty = TestDir::new();
    empty
        .bktec()
        .arg("init")
        .output()
        .assert_exit(16)
        .assert_stderr_contains("bktec init --test-runner RUNNER");
    assert!(!empty.path().join("bktec.toml").exists());
}

#[test]
fn dry_run_prints_the_plan_and_command_and_runs_nothing() {
    let dir = pytest_project(&[
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", PASSING),
        ("tests/test_c.py", PASSING),
    ]);
    // The command would leave a mark if it ran.
    let out = dir
        .bktec()
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom")
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "sh -c 'touch ran; exit 1' {{testExamples}} --out={{resultPath}}",
        )
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/*.py")
        .env("BUILDKITE_TEST_ENGINE_RESULT_PATH", "out/r.xml")
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
        .env("BUILDKITE_PARALLEL_JOB", "1")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--dry-run"])
        .output();
    out.assert_success()
        .assert_stdout_contains(
            "Dry run: node 1 of 2 would run 1 target (nothing is run)\ntests/test_b.py\n",
        )
        .assert_stdout_contains(
            "\nCommand:\nsh -c 'touch ran; exit 1' tests/test_b.py --out=out/r.xml\n",
        )
        .assert_stdout_contains("retried up to 2 times");
    assert!(!dir.path().join("ran").exists(), "the command ran");
    assert!(!dir.path().join("out").exists(), "results were prepared");
    // Bare `bktec --dry-run` is `bktec run --dry-run` (D1).
    let out = bktec(&dir, Venv::Collector).arg("--dry-run").output();
    out.assert_success()
        .assert_stdout_contains("would run 3 targets")
        .assert_stdout_contains("\npytest tests/test_a.py tests/test_b.py tests/test_c.py --json=");
    assert!(!out.stdout().contains("Running tests"), "{}", out.stdout());
}

#[test]
fn pytest_without_the_collector_gets_a_hint_about_json() {
    // pytest says "unrecognized arguments: --json=..." and exits 4.
    let dir = pytest_project(&[("tests/test_a.py", PASSING)]);
    let out = bktec(&dir, Venv::NoCollector)
        .env(
            "BUILDKITE_TEST_ENGINE_TEST_CMD",
            "pytest {{testExamples}} --json={{resultPath}}",
        )
        .output();
    out.assert_exit(4)
        .assert_stderr_contains("unrecognized arguments: --json")
        .assert_stdout_contains("buildkite-test-collector is not installed where the command runs")
        .assert_stdout_contains("`--junit-xml={{resultPath}}`");
}

#[test]
fn a_command_that_does_not_name_the_result_path_gets_a_hint() {
    let dir = pytest_project(&[("tests/test_a.py", PASSING)]);
    let out = bktec(&dir, Venv::NoCollector)
        .env("BUILDKITE_TEST_ENGINE_TEST_CMD", "pytest {{testExamples}}")
        .output();
    out.assert_exit(17).assert_stdout_contains(
        "The test command must write {{resultPath}}, and it does not name it: add `--junit-xml={{resultPath}}` to it",
    );
}
