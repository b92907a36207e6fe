//! Every validation rule and bad-input class exits 16 with a message naming
//! the setting and its origin (behaviour document 2.2-2.6, D4, D5, D22).

use std::fs;

use crate::support::TestDir;

/// Runs `bktec <args>` with `env` and asserts exit 16 and that stderr holds each of `needles`.
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
    out.stderr()
}

const PYTEST: (&str, &str) = ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest");

#[test]
fn unparsable_env_values_name_the_variable_and_value() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "abc")],
        &[
            "bktec run: invalid configuration:",
            "BUILDKITE_TEST_ENGINE_RETRY_COUNT is invalid: `abc` is not a decimal integer (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)",
        ],
    );
    // D5: other bases are errors, leading zeros are decimal.
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_PARALLEL_JOB_COUNT", "0x10")],
        &["`0x10` is not a decimal integer (from env BUILDKITE_PARALLEL_JOB_COUNT)"],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_OIDC", "yes")],
        &["BUILDKITE_TEST_ENGINE_OIDC is invalid: `yes` is not a boolean"],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_OIDC_LIFETIME", "2 hours")],
        &[
            "`2 hours` is not a duration",
            "(from env BUILDKITE_TEST_ENGINE_OIDC_LIFETIME)",
        ],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_TAGS", "team")],
        &["tag `team` must use key=value format (from env BUILDKITE_TEST_ENGINE_TAGS)"],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_TAGS", "=x")],
        &["tag `=x` has empty key"],
    );
}

#[test]
fn all_problems_are_reported_together_and_sorted() {
    let dir = TestDir::new();
    let stderr = fails(
        &dir,
        &["run"],
        &[
            PYTEST,
            ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "abc"),
            ("BUILDKITE_PARALLEL_JOB", "x"),
        ],
        &[],
    );
    let lines: Vec<&str> = stderr.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("BUILDKITE_PARALLEL_JOB "), "{stderr}");
    assert!(
        lines[1].starts_with("BUILDKITE_TEST_ENGINE_RETRY_COUNT "),
        "{stderr}"
    );
}

#[test]
fn bad_flag_values_name_the_flag() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run", "--test-runner", "pytest", "--parallelism", "two"],
        &[],
        &["--parallelism is invalid: `two` is not a decimal integer"],
    );
    fails(
        &dir,
        &["run", "--test-runner", "pytest", "--upload-results=maybe"],
        &[],
        &["--upload-results is invalid: `maybe` is not a boolean"],
    );
}

#[test]
fn toml_problems_name_file_line_and_key() {
    let dir = TestDir::new();
    // A typo'd key, with a suggestion.
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"pytest\"\ntest-comand = \"pytest\"\n",
    );
    fails(
        &dir,
        &["run"],
        &[],
        &["bktec.toml:3:1: unknown key `runner.test-comand` (did you mean `runner.test-command`?)"],
    );
    // A broken line.
    dir.write("bktec.toml", "[runner]\nname = \"pytest\n");
    fails(&dir, &["run"], &[], &["bktec.toml:2:"]);
    // A wrong type.
    dir.write("bktec.toml", "[retry]\ncount = \"many\"\n");
    fails(
        &dir,
        &["run"],
        &[PYTEST],
        &[
            "bktec.toml:2: retry.count is invalid: a string (`\"many\"`) where bktec.toml needs an integer",
        ],
    );
    // D3: secrets are refused, saying why.
    dir.write("bktec.toml", "[test-engine]\naccess-token = \"bkua_x\"\n");
    let stderr = fails(
        &dir,
        &["run"],
        &[PYTEST],
        &["bktec.toml:2:1: `test-engine.access-token` is a secret"],
    );
    assert!(!stderr.contains("bkua_x"), "{stderr}");
    // D2: job context is not a file setting.
    dir.write("bktec.toml", "[buildkite]\nparallelism = 2\n");
    fails(
        &dir,
        &["run"],
        &[PYTEST],
        &["bktec.toml:2:1: `buildkite.parallelism` is Buildkite job context"],
    );
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run", "--config", "nope.toml"],
        &[PYTEST],
        &["configuration file `nope.toml` does not exist"],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_CONFIG", "gone.toml")],
        &["`gone.toml` does not exist"],
    );
}

#[test]
fn rule_retry_count_must_not_be_negative() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "-1")],
        &[
            "BUILDKITE_TEST_ENGINE_RETRY_COUNT was -1, must be greater than or equal to 0 (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)",
        ],
    );
}

#[test]
fn rule_runner_is_required_and_known() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run"],
        &[],
        &[
            "BUILDKITE_TEST_ENGINE_TEST_RUNNER must not be blank (not set; set `runner.name` in bktec.toml, BUILDKITE_TEST_ENGINE_TEST_RUNNER or --test-runner)",
        ],
    );
    dir.write("bktec.toml", "[runner]\nname = \"nunit\"\n");
    fails(
        &dir,
        &["run"],
        &[],
        &[
            "bktec.toml:2: runner.name is unsupported: runner value \"nunit\" is invalid, possible values are 'rspec', 'jest', 'vitest', 'cypress', 'playwright', 'pytest', 'gotest', 'cucumber', or 'custom'\n",
        ],
    );
}

#[test]
fn rule_custom_runner_needs_command_and_pattern() {
    let dir = TestDir::new();
    let custom = ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom");
    fails(
        &dir,
        &["run"],
        &[custom],
        &[
            "BUILDKITE_TEST_ENGINE_TEST_CMD must not be blank when using the custom test runner",
            "BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN must not be blank when using the custom test runner",
        ],
    );
    // A selector file satisfies the pattern rule.
    let stderr = fails(
        &dir,
        &["run", "--selector-file", "s.txt"],
        &[custom],
        &["BUILDKITE_TEST_ENGINE_TEST_CMD must not be blank"],
    );
    assert!(!stderr.contains("TEST_FILE_PATTERN"), "{stderr}");
}

#[test]
fn rule_custom_runner_needs_a_result_path_for_its_placeholder() {
    // `{{resultPath}}` used to become an empty string: the command below
    // ran with `--out=` and bktec exited 0 on its status alone.
    let dir = TestDir::new();
    dir.write("selectors.txt", "all\n");
    let custom = ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom");
    let command = "sh -c 'echo ran > ran.txt' sh --out={{resultPath}}";
    fails(
        &dir,
        &[
            "run",
            "--selector-file",
            "selectors.txt",
            "--test-command",
            command,
        ],
        &[custom],
        &[
            "--test-command uses `{{resultPath}}`, but the custom runner has no result path \
             (hint: set `runner.result-path` in bktec.toml, BUILDKITE_TEST_ENGINE_RESULT_PATH or --result-path)",
        ],
    );
    assert!(!dir.path().join("ran.txt").exists(), "nothing ran");
    // The retry command too, named with its place in bktec.toml.
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"custom\"\ntest-command = \"true\"\nretry-command = \"true --junit-xml={{resultPath}}\"\n",
    );
    fails(
        &dir,
        &["run", "--selector-file", "selectors.txt"],
        &[],
        &[
            "bktec.toml:4: runner.retry-command uses `{{resultPath}}`, but the custom runner has no result path (hint: set `runner.result-path` in bktec.toml, BUILDKITE_TEST_ENGINE_RESULT_PATH or --result-path)",
        ],
    );
    fs::remove_file(dir.path().join("bktec.toml")).unwrap();
    // With a result path the same command runs.
    let out = dir
        .bktec()
        .env(custom.0, custom.1)
        .args([
            "run",
            "--selector-file",
            "selectors.txt",
            "--test-command",
            command,
        ])
        .args(["--result-path", "out/r.json"])
        .output();
    assert!(dir.path().join("ran.txt").exists(), "{}", out.stderr());
}

#[test]
fn rule_tag_filters_are_pytest_only() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run", "--test-runner", "rspec", "--result-path", "r.json"],
        &[("BUILDKITE_TEST_ENGINE_TAG_FILTERS", "team:web")],
        &[
            "BUILDKITE_TEST_ENGINE_TAG_FILTERS tag filtering is only supported for the pytest test runner (from env BUILDKITE_TEST_ENGINE_TAG_FILTERS)",
        ],
    );
}

#[test]
fn rule_result_path_required_for_some_runners() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run", "--test-runner", "rspec"],
        &[],
        &[
            "BUILDKITE_TEST_ENGINE_RESULT_PATH must not be blank (not set; set `runner.result-path` in bktec.toml",
        ],
    );
}

#[test]
fn rule_node_index_and_parallelism_bounds() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["run"],
        &[
            PYTEST,
            ("BUILDKITE_PARALLEL_JOB", "4"),
            ("BUILDKITE_PARALLEL_JOB_COUNT", "4"),
        ],
        &[
            "BUILDKITE_PARALLEL_JOB was 4, must not be greater than 3 (from env BUILDKITE_PARALLEL_JOB)",
        ],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_PARALLEL_JOB", "-1")],
        &["BUILDKITE_PARALLEL_JOB was -1, must be greater than or equal to 0"],
    );
    fails(
        &dir,
        &["run"],
        &[PYTEST, ("BUILDKITE_PARALLEL_JOB_COUNT", "0")],
        &["BUILDKITE_PARALLEL_JOB_COUNT was 0, must be greater than or equal to 1"],
    );
    fails(
        &dir,
        &["run", "--parallelism", "1001"],
        &[PYTEST],
        &["--parallelism was 1001, must not be greater than 1000"],
    );
}

#[test]
fn rules_for_test_engine_mode() {
    // With a suite slug the API rules apply (D6).
    let dir = TestDir::new();
    let stderr = fails(
        &dir,
        &[
            "run",
            "--suite-slug",
            "web",
            "--no-oidc",
            "--base-url",
            "example.com",
        ],
        &[PYTEST],
        &[
            "BUILDKITE_BUILD_ID must not be blank",
            "BUILDKITE_STEP_ID must not be blank",
            "BUILDKITE_ORGANIZATION_SLUG must not be blank",
            "BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN must not be blank",
            "--base-url must be a valid URL",
        ],
    );
    assert_eq!(stderr.lines().count(), 6, "{stderr}");
    // A plan identifier makes build and step ids unnecessary.
    let stderr = fails(
        &dir,
        &[
            "run",
            "--suite-slug",
            "web",
            "--no-oidc",
            "--plan-identifier",
            "abc",
        ],
        &[PYTEST],
        &["BUILDKITE_ORGANIZATION_SLUG must not be blank"],
    );
    assert!(!stderr.contains("BUILDKITE_BUILD_ID"), "{stderr}");
}

#[test]
fn local_mode_skips_api_rules() {
    // D6: no suite slug, no token/org/build checks; the run gets past validation.
    let dir = TestDir::new();
    let out = dir
        .bktec()
        .arg("run")
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .output();
    assert!(
        !out.stderr().contains("must not be blank"),
        "{}",
        out.stderr()
    );
}

#[test]
fn plan_rules() {
    let dir = TestDir::new();
    fails(
        &dir,
        &[
            "plan",
            "--json",
            "--target-time",
            "-5s",
            "--max-parallelism",
            "2",
        ],
        &[PYTEST],
        &["--target-time was -5s, must be greater than 0"],
    );
    fails(
        &dir,
        &[
            "plan",
            "--json",
            "--target-time",
            "24h1s",
            "--max-parallelism",
            "2",
        ],
        &[PYTEST],
        &["was 24h0m1s, must be less than or equal to 24 hours"],
    );
    fails(
        &dir,
        &["plan", "--json", "--target-time", "10m"],
        &[PYTEST],
        &["BUILDKITE_TEST_ENGINE_MAX_PARALLELISM must be set when target-time is set"],
    );
    fails(
        &dir,
        &["plan", "--json", "--max-parallelism", "1001"],
        &[PYTEST],
        &["--max-parallelism was 1001, must be between 0 and 1000"],
    );
    fails(
        &dir,
        &["plan", "--json", "--parallelism", "0"],
        &[PYTEST],
        &[
            "parallelism must be greater than 0; set --max-parallelism or BUILDKITE_PARALLEL_JOB_COUNT",
        ],
    );
}

#[test]
fn usage_errors_exit_16() {
    let dir = TestDir::new();
    fails(
        &dir,
        &["frobnicate"],
        &[],
        &["invalid command: \"frobnicate\""],
    );
    fails(&dir, &["run", "--no-such-flag"], &[], &["--no-such-flag"]);
    fails(
        &dir,
        &["plan"],
        &[PYTEST],
        &["one of these flags needs to be provided: json, plan-out, pipeline-upload"],
    );
    fails(
        &dir,
        &["plan", "--json", "--plan-out", "-"],
        &[PYTEST],
        &["option json cannot be set along with option plan-out"],
    );
}

#[test]
fn help_and_version_exit_0() {
    let dir = TestDir::new();
    let out = dir.bktec().arg("--version").output();
    out.assert_success().assert_stdout_contains("bktec v");
    for args in [
        &["--help"][..],
        &["help"],
        &["run", "--help"],
        &["help", "plan"],
    ] {
        dir.bktec()
            .args(args.iter().copied())
            .output()
            .assert_success()
            .assert_stdout_contains("Usage:");
    }
}

#[test]
fn an_error_names_its_cause_once() {
    let dir = TestDir::new();
    let stderr = fails(
        &dir,
        &["run", "--plan-file", "missing.json"],
        &[PYTEST],
        &[
            "bktec run: failed to read plan file `missing.json` (from --plan-file)\n  caused by: No such file or directory",
        ],
    );
    assert_eq!(
        stderr.matches("failed to read plan file").count(),
        1,
        "{stderr}"
    );
}
