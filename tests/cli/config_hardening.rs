//! Configuration fails closed (issue #9): `--version` on every command,
//! numbers with ranges and no panics (D27), every problem reported at once,
//! and misspelt variables warned about (D29).

use crate::support::TestDir;

const PYTEST: (&str, &str) = ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest");

#[test]
fn version_works_on_every_command() {
    // Behaviour document 1.1: `--version` is accepted on sub-commands too, and
    // prints the same line as `bktec --version`.
    let dir = TestDir::new();
    let expected = format!("bktec v{}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["--version"][..],
        &["run", "--version"],
        &["plan", "--version"],
        &["list", "--version"],
        &["config", "--version"],
        &["run", "--parallelism", "3", "--version"],
    ] {
        let out = dir
            .bktec()
            .args(args.iter().copied())
            .env(PYTEST.0, PYTEST.1)
            .output();
        out.assert_success();
        assert_eq!(out.stdout(), expected, "{args:?}");
    }
}

/// Runs `bktec <args>` in `dir` with `env`, asserting exit 16 (never a panic's
/// 101) and that stderr holds each of `needles`; returns stderr.
#[track_caller]
fn fails(dir: &TestDir, args: &[&str], env: &[(&str, &str)], needles: &[&str]) -> String {
    let mut cmd = dir.bktec().args(args.iter().copied());
    for (k, v) in env {
        cmd = cmd.env(k, *v);
    }
    let out = cmd.output();
    out.assert_exit(16);
    for n in needles {
        out.assert_stderr_contains(n);
    }
    assert!(!out.stderr().contains("panicked"), "{}", out.stderr());
    out.stderr()
}

#[test]
fn an_overflowing_count_is_exit_16_from_every_layer() {
    // D27: 2^32 retries panicked (exit 101) from env, flag and bktec.toml alike.
    let dir = TestDir::new();
    let limit = "must not be greater than 4294967295";
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "4294967296")],
        &[&format!(
            "BUILDKITE_TEST_ENGINE_RETRY_COUNT was 4294967296, {limit} (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)"
        )],
    );
    fails(
        &dir,
        &["run", "--test-engine-retry-count", "4294967296"],
        &[PYTEST],
        &[&format!(
            "--test-engine-retry-count was 4294967296, {limit}"
        )],
    );
    dir.write("bktec.toml", "[retry]\ncount = 4294967296\n");
    fails(
        &dir,
        &["run"],
        &[PYTEST],
        &[&format!(
            "bktec.toml:2: retry.count was 4294967296, {limit}"
        )],
    );
    // Beyond 64 bits the value is named as out of range, not as "not a number".
    fails(
        &dir,
        &["plan", "--json"],
        &[PYTEST, ("BUILDKITE_RETRY_COUNT", "99999999999999999999")],
        &[
            "BUILDKITE_RETRY_COUNT is invalid: `99999999999999999999` is out of range for an integer (from env BUILDKITE_RETRY_COUNT)",
        ],
    );
}

#[test]
fn negative_and_zero_durations_are_exit_16() {
    // D27: a retry delay of -1s sent 183 requests in 8 s against a failing
    // server; an attempt timeout of 0s timed every request out.
    let dir = TestDir::new();
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "-1s")],
        &[
            "BUILDKITE_TEST_ENGINE_API_RETRY_DELAY was -1s, must be greater than 0 (from env BUILDKITE_TEST_ENGINE_API_RETRY_DELAY)",
        ],
    );
    fails(
        &dir,
        &["run", "--api-attempt-timeout", "0s"],
        &[PYTEST],
        &["--api-attempt-timeout was 0s, must be greater than 0"],
    );
    dir.write("bktec.toml", "[runner]\ncancel-grace-period = \"-1s\"\n");
    fails(
        &dir,
        &["run"],
        &[PYTEST],
        &[
            "bktec.toml:2: runner.cancel-grace-period was -1s, must be greater than 0, or 0 to kill at once",
        ],
    );
    // A zero grace period is allowed: it means "kill at once".
    dir.write("bktec.toml", "[runner]\ncancel-grace-period = \"0s\"\n");
    let out = dir
        .bktec()
        .args(["config", "--json"])
        .env(PYTEST.0, PYTEST.1)
        .output();
    out.assert_success();
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    // Issue #9: an unknown key, a negative count and a bad boolean took three
    // runs to show; now one run shows all three, in the file's order, each
    // leading with its line and key (issue 21 item 6).
    let dir = TestDir::new();
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"pytest\"\ntest-comand = \"pytest\"\n\n[retry]\ncount = -2\n\n[test-engine]\noidc = \"maybe\"\n",
    );
    let stderr = fails(&dir, &["run"], &[], &[]);
    assert_eq!(
        stderr,
        "bktec run: invalid configuration:\n\
bktec.toml:3:1: unknown key `runner.test-comand` (did you mean `runner.test-command`?)\n\
bktec.toml:6: retry.count was -2, must be greater than or equal to 0\n\
bktec.toml:9: test-engine.oidc is invalid: a string (`\"maybe\"`) where bktec.toml needs a boolean\n"
    );
    // Problems from other layers join them.
    let stderr = fails(
        &dir,
        &["run", "--parallelism", "0"],
        &[("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "-1s")],
        &[
            "--parallelism was 0, must be greater than or equal to 1",
            "BUILDKITE_TEST_ENGINE_API_RETRY_DELAY was -1s",
            "unknown key `runner.test-comand`",
        ],
    );
    // The node index is not also "must not be greater than -1" (issue 21).
    assert_eq!(stderr.lines().count(), 6, "{stderr}");
}

#[test]
fn config_reports_problems_as_its_own() {
    // Issue #9: `bktec config` labelled its error `bktec run:`. Issue 21
    // item 6: on a bad file it printed the table of 50 settings first and
    // the errors under it, out of sight; now the errors come first, each
    // with its line and key, then the table (a bad value as `(invalid)`),
    // and it exits 16.
    let dir = TestDir::new();
    dir.write("bktec.toml", "[retry]\ncount = \"many\"\n");
    let both = dir.path().join("both.txt");
    let file = std::fs::File::create(&both).unwrap();
    let status = dir
        .bktec()
        .arg("config")
        .env(PYTEST.0, PYTEST.1)
        .command()
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(16));
    let text = std::fs::read_to_string(&both).unwrap();
    assert!(
        text.starts_with("bktec config: invalid configuration:\nbktec.toml:2: retry.count is invalid: a string (`\"many\"`) where bktec.toml needs an integer\nConfiguration file: bktec.toml\n"),
        "{text}"
    );
    assert!(!text.contains("bktec run"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("retry.count "))
        .unwrap_or_default();
    assert!(
        row.contains("(invalid)") && row.contains("bktec.toml:2"),
        "{text}"
    );
}

#[test]
fn misspelt_variables_are_warned_about_once_by_every_command() {
    // D29: BUILDKITE_TEST_ENGINE_RETRY_COUNTS=2 was ignored without a word.
    let dir = TestDir::new();
    dir.write("test_a.py", "def test_a():\n    pass\n");
    dir.write("bktec.toml", "");
    let warning = "BUILDKITE_TEST_ENGINE_RETRY_COUNTS is not a variable bktec knows and is ignored (did you mean BUILDKITE_TEST_ENGINE_RETRY_COUNT?)";
    for args in [
        &["config"][..],
        &["list"],
        &["plan", "--json"],
        &["run", "--test-command", "true"],
        &["--debug", "config"],
    ] {
        let out = dir
            .bktec()
            .args(args.iter().copied())
            .env(PYTEST.0, PYTEST.1)
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNTS", "2")
            // Set by the agent or by `bktec plan --pipeline-upload`, or read by
            // the Go client: known, so not warned about.
            .env("BUILDKITE_TEST_ENGINE_PARALLELISM", "2")
            .env("BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY", "none")
            .env("BUILDKITE_TEST_ENGINE_CONFIG", "bktec.toml")
            .output();
        // A warning, not an error.
        assert_ne!(out.code(), Some(16), "{args:?}\n{}", out.stderr());
        let stderr = out.stderr();
        assert_eq!(stderr.matches(warning).count(), 1, "{args:?}\n{stderr}");
        assert_eq!(
            stderr.matches("not a variable bktec knows").count(),
            1,
            "{args:?}\n{stderr}"
        );
    }
}

#[test]
fn a_bad_pattern_that_no_walk_uses_stops_nothing() {
    // As in the Go client: with a files list, a selector file or a plan
    // file, the patterns are not used, so a bad one is no error.
    let dir = TestDir::new();
    dir.write("tests/test_a.py", "def test_a():\n    pass\n");
    dir.write("files.txt", "tests/test_a.py\n");
    let listed = dir
        .bktec()
        .env(PYTEST.0, PYTEST.1)
        .args([
            "list",
            "--files",
            "files.txt",
            "--test-file-pattern",
            "{a,b",
        ])
        .output();
    listed.assert_success();
    assert_eq!(listed.stdout(), "tests/test_a.py\n");
    // Where discovery walks, it is a configuration error naming its origin.
    dir.bktec()
        .env(PYTEST.0, PYTEST.1)
        .args(["list", "--test-file-pattern", "{a,b"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "error parsing test file pattern \"{a,b\" (from --test-file-pattern)",
        );
}

/// `./bktec.toml` that is not a readable regular file is an error, never a
/// run with the defaults that silently drops the file's settings (D34): a
/// dangling symlink (to a shared configuration that moved), a directory, a
/// FIFO.
#[test]
fn a_bktec_toml_that_cannot_be_read_is_an_error_not_ignored() {
    let dir = TestDir::new();
    dir.write("tests/test_a.py", "def test_a():\n    pass\n");
    let config = dir.path().join("bktec.toml");
    let check = |why: &str| {
        dir.bktec()
            .env(PYTEST.0, PYTEST.1)
            .arg("run")
            .output()
            .assert_exit(16)
            .assert_stderr_contains("configuration file `bktec.toml`")
            .assert_stderr_contains(why);
    };
    std::os::unix::fs::symlink(dir.path().join("shared/bktec.toml"), &config).unwrap();
    check("does not exist");
    std::fs::remove_file(&config).unwrap();
    std::fs::create_dir(&config).unwrap();
    check("it is a directory, not a regular file");
    std::fs::remove_dir(&config).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&config)
        .status()
        .unwrap();
    assert!(status.success());
    check("it is a FIFO (named pipe), not a regular file");
}
