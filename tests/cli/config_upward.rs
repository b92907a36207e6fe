//! Configuration found from where people stand (issue 21, items 6 and 10;
//! D45): `bktec.toml` above the working directory, what `bktec config`
//! says about it and about overridden values, errors that lead with the
//! user's own line and key, suggestions, help and completion.

use std::fs;

use serde_json::Value;

use crate::support::{BktecCmd, TestDir, Venv, venv};

const PASSING: &str = "def test_ok():\n    pass\n";

/// A repository: `.git`, a `bktec.toml` at its root, tests at the root
/// and in `sub/`.
fn repository(toml: &str) -> TestDir {
    let dir = TestDir::new();
    fs::create_dir(dir.path().join(".git")).unwrap();
    dir.write("bktec.toml", toml);
    dir.write("tests/test_root.py", PASSING);
    dir.write("sub/tests/test_sub.py", PASSING);
    dir
}

fn in_dir(dir: &TestDir, rel: &str) -> BktecCmd {
    BktecCmd::new(&dir.path().join(rel)).path_prepend(&venv(Venv::NoCollector))
}

#[test]
fn a_subdirectory_finds_the_root_file_and_plans_the_same_tests() {
    // Issue 21 item 6: `bktec` in a subdirectory ignored the root
    // bktec.toml silently and failed for want of a runner.
    let dir = repository("[runner]\nname = \"pytest\"\n");
    let root = in_dir(&dir, ".").arg("list").output();
    root.assert_success();
    assert_eq!(root.stdout(), "sub/tests/test_sub.py\ntests/test_root.py\n");
    assert_eq!(root.stderr(), "", "no notice where the file is");
    let sub = in_dir(&dir, "sub").arg("list").output();
    sub.assert_success();
    assert_eq!(sub.stdout(), root.stdout(), "the same tests from sub/");
    let root_dir = dir.path().display().to_string();
    assert_eq!(
        sub.stderr(),
        format!(
            "Buildkite Test Engine Client: Using {root_dir}/bktec.toml, found above {root_dir}/sub; running from {root_dir}.\n"
        )
    );
    // A machine's output stays clean: the line is on stderr.
    let plan = in_dir(&dir, "sub/tests").args(["plan", "--json"]).output();
    plan.assert_success();
    assert_eq!(plan.json()["BUILDKITE_TEST_ENGINE_PARALLELISM"], "1");
}

#[test]
fn the_search_stops_at_the_repository_root() {
    // A `bktec.toml` above the repository is not this project's; `.git`
    // is a directory in a clone and a file in a worktree or submodule.
    for git_is_a_file in [false, true] {
        let dir = TestDir::new();
        dir.write("bktec.toml", "[runner]\nname = \"pytest\"\n");
        if git_is_a_file {
            dir.write("repo/.git", "gitdir: ../elsewhere\n");
        } else {
            fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        }
        dir.write("repo/sub/test_a.py", PASSING);
        let out = in_dir(&dir, "repo/sub").arg("config").output();
        out.assert_exit(16);
        let repo = dir.path().join("repo");
        out.assert_stderr_contains(&format!(
            "(hint: no bktec.toml was found in {}/sub or above it, up to {})",
            repo.display(),
            repo.display()
        ));
    }
}

#[test]
fn an_explicit_file_wins_over_the_search() {
    let dir = repository("[runner]\nname = \"pytest\"\n[retry]\ncount = 1\n");
    dir.write(
        "sub/other.toml",
        "[runner]\nname = \"pytest\"\n[retry]\ncount = 5\n",
    );
    let json = |cmd: BktecCmd| -> Value {
        let out = cmd.output();
        out.assert_success();
        assert_eq!(out.stderr(), "", "no search, no notice");
        out.json()
    };
    for c in [
        json(in_dir(&dir, "sub").args(["config", "--json", "--config", "other.toml"])),
        json(
            in_dir(&dir, "sub")
                .args(["config", "--json"])
                .env("BUILDKITE_TEST_ENGINE_CONFIG", "other.toml"),
        ),
    ] {
        assert_eq!(c["file"], "other.toml");
        let retry = &c["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == "retry.count")
            .unwrap();
        assert_eq!(retry["value"], 5);
    }
    let none = in_dir(&dir, "sub").args(["config", "--no-config"]).output();
    none.assert_exit(16);
    assert!(
        !none.stderr().contains("hint: no bktec.toml"),
        "{}",
        none.stderr()
    );
}

#[test]
fn relative_paths_from_a_subdirectory() {
    // D45: the file's paths are relative to its directory, which bktec
    // runs from; a flag's or a variable's to where it was typed.
    let dir = repository(
        "[runner]\nname = \"pytest\"\njunit-out = \"out/file.xml\"\n[files]\ndurations = \"ci/durations.json\"\n",
    );
    dir.write(
        "ci/durations.json",
        "{\"tests/test_root.py::test_ok\": 1.0}\n",
    );
    let out = in_dir(&dir, "sub")
        .args(["run", "--junit-out", "typed.xml"])
        .output();
    out.assert_success();
    assert!(
        dir.path().join("sub/typed.xml").is_file(),
        "{}",
        out.stdout()
    );
    let out = in_dir(&dir, "sub")
        .arg("run")
        .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "env.xml")
        .output();
    out.assert_success();
    assert!(dir.path().join("sub/env.xml").is_file());
    let out = in_dir(&dir, "sub").arg("run").output();
    out.assert_success();
    assert!(dir.path().join("out/file.xml").is_file());
    // A result file named on `durations update` is where it was typed;
    // the file's durations file is in the file's directory.
    dir.write(
        "sub/r.xml",
        "<testsuite><testcase classname=\"tests.test_root\" name=\"test_new\" file=\"tests/test_root.py\" time=\"2.5\"/></testsuite>\n",
    );
    in_dir(&dir, "sub")
        .args(["durations", "update", "r.xml"])
        .output()
        .assert_success();
    let stored = fs::read_to_string(dir.path().join("ci/durations.json")).unwrap();
    assert!(stored.contains("tests/test_root.py::test_new"), "{stored}");
    assert!(!dir.path().join("sub/ci").exists());
}

#[test]
fn config_says_which_file_it_read_and_what_was_overridden() {
    let dir = repository("[runner]\nname = \"pytest\"\n\n[retry]\ncount = 1\n");
    let out = in_dir(&dir, ".")
        .arg("config")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3")
        .output();
    out.assert_success();
    assert!(
        out.stdout()
            .starts_with("Configuration file: bktec.toml\n\n")
    );
    let row = out
        .stdout()
        .lines()
        .find(|l| l.starts_with("retry.count "))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        row,
        "retry.count 3 env BUILDKITE_TEST_ENGINE_RETRY_COUNT (overrides bktec.toml:5 = 1)"
    );
    // A flag over both names both, highest first; JSON has them too.
    let out = in_dir(&dir, ".")
        .args(["config", "--json", "--test-engine-retry-count", "4"])
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3")
        .output();
    let c = out.json();
    let retry = c["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "retry.count")
        .unwrap()
        .clone();
    assert_eq!(
        retry["overrides"],
        serde_json::json!([
            {"origin": "env BUILDKITE_TEST_ENGINE_RETRY_COUNT", "value": "3"},
            {"origin": "bktec.toml:5", "value": 1},
        ])
    );
    // A secret overridden by a flag is not shown.
    let out = in_dir(&dir, ".")
        .args(["config", "--access-token", "flag-secret"])
        .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "env-secret")
        .output();
    out.assert_success();
    assert!(!out.stdout().contains("secret"), "{}", out.stdout());
    // From below, the line says where the file is.
    let out = in_dir(&dir, "sub").arg("config").output();
    out.assert_stdout_contains(&format!(
        "Configuration file: {}/bktec.toml (found above {}/sub; bktec runs from its directory)\n",
        dir.path().display(),
        dir.path().display()
    ));
    let out = in_dir(&dir, ".")
        .args(["config", "--no-config", "--test-runner", "pytest"])
        .output();
    out.assert_stdout_contains("Configuration file: none (--no-config)\n");
}

#[test]
fn errors_lead_with_the_line_and_key_in_file_order() {
    // Issue 21 item 6: `BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD is invalid
    // ... (from runner.cancel-grace-period at bktec.toml:5)` named a
    // variable the user never set; and errors came sorted by that name.
    let dir = repository("");
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"pytset\"\ncancel-grace-period = \"-5s\"\nretry-count = 3\n\n[retry]\ncount = -1\n",
    );
    let out = in_dir(&dir, ".").arg("config").output();
    out.assert_exit(16);
    let errors: Vec<String> = out
        .stderr()
        .lines()
        .skip_while(|l| !l.starts_with("bktec config: invalid configuration:"))
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "bktec.toml:2: runner.name is unsupported: runner value \"pytset\" is invalid, possible values are 'rspec', 'jest', 'vitest', 'cypress', 'playwright', 'pytest', 'gotest', 'cucumber', or 'custom' (did you mean `pytest`?)",
            "bktec.toml:3: runner.cancel-grace-period was -5s, must be greater than 0, or 0 to kill at once",
            "bktec.toml:4:1: unknown key `runner.retry-count` (did you mean `retry.count`?)",
            "bktec.toml:7: retry.count was -1, must be greater than or equal to 0",
        ]
    );
    // From below, the file is named by its whole path.
    let out = in_dir(&dir, "sub").arg("run").output();
    out.assert_exit(16);
    out.assert_stderr_contains(&format!(
        "\n{}/bktec.toml:3: runner.cancel-grace-period was -5s",
        dir.path().display()
    ));
    // A variable is named when the value came from it.
    dir.write("bktec.toml", "[runner]\nname = \"pytest\"\n");
    let out = in_dir(&dir, ".")
        .arg("run")
        .env("BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD", "-5s")
        .output();
    out.assert_exit(16);
    out.assert_stderr_contains(
        "BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD was -5s, must be greater than 0, or 0 to kill at once (from env BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD)",
    );
}

#[test]
fn a_zero_parallelism_is_reported_once() {
    let dir = repository("[runner]\nname = \"pytest\"\n");
    let out = in_dir(&dir, ".")
        .arg("run")
        .env("BUILDKITE_PARALLEL_JOB_COUNT", "0")
        .output();
    out.assert_exit(16);
    assert_eq!(
        out.stderr(),
        "bktec run: invalid configuration:\nBUILDKITE_PARALLEL_JOB_COUNT was 0, must be greater than or equal to 1 (from env BUILDKITE_PARALLEL_JOB_COUNT)\n"
    );
}

#[test]
fn a_mistyped_flag_is_not_pointed_at_a_hidden_one() {
    // `--retry` got "a similar argument exists: '--retry-count'", the
    // hidden counter of Buildkite's job retries.
    let dir = TestDir::new();
    for args in [&["run", "--retry", "2"][..], &["--retry", "2"]] {
        let out = dir.bktec().args(args.iter().copied()).output();
        out.assert_exit(16);
        assert!(
            !out.stderr().contains("'--retry-count'"),
            "{}",
            out.stderr()
        );
        out.assert_stderr_contains("a similar argument exists: '--test-engine-retry-count'");
        out.assert_stderr_contains("For more information, try '--help'.");
    }
    // A visible flag's suggestion is clap's own.
    dir.bktec()
        .args(["plan", "--jsn"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("a similar argument exists: '--json'");
}

#[test]
fn completions_offer_values_and_no_hidden_flags() {
    let dir = TestDir::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = dir.bktec().args(["completions", shell]).output();
        out.assert_success();
        let script = out.stdout();
        for hidden in ["build-id", "step-id", "parallel-job", "no-fail-on-no-tests"] {
            assert!(!script.contains(hidden), "{shell} offers --{hidden}");
        }
        assert!(!script.contains("-l retry-count") && !script.contains("'--retry-count"));
        for value in ["playwright", "cucumber", "pytest"] {
            assert!(script.contains(value), "{shell} does not offer {value}");
        }
    }
    let bash = dir.bktec().args(["completions", "bash"]).output().stdout();
    assert!(
        bash.contains(
            "compgen -W \"rspec jest vitest cypress playwright pytest gotest cucumber custom\""
        ),
        "{bash}"
    );
    assert!(
        bash.contains("compgen -W \"pattern pytest\""),
        "discovery modes"
    );
    assert!(bash.contains("compgen -W \"true false\""), "booleans");
}

#[test]
fn durations_update_and_list_take_only_what_they_read() {
    let dir = TestDir::new();
    for command in [&["durations", "update"][..], &["list"]] {
        let help = dir
            .bktec()
            .args(command.iter().copied())
            .arg("--help")
            .output()
            .stdout();
        assert_own_flags(&help);
    }
    // A run setting's flag is not `durations update`'s; its variable is
    // still read without complaint, so one environment serves every step.
    dir.write(
        "r.xml",
        "<testsuite><testcase classname=\"t\" name=\"a\" file=\"t.py\" time=\"1\"/></testsuite>\n",
    );
    dir.bktec()
        .args(["durations", "update", "--junit-out", "x.xml", "r.xml"])
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .output()
        .assert_exit(16);
    dir.bktec()
        .args(["durations", "update", "r.xml"])
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_JUNIT_OUT", "x.xml")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .output()
        .assert_success();
}

fn assert_own_flags(help: &str) {
    for flag in [
        "--durations-file",
        "--test-file-pattern",
        "--test-runner",
        "--discovery",
    ] {
        assert!(help.contains(flag), "lacks {flag}:\n{help}");
    }
    for flag in [
        "--test-engine-retry-count",
        "--junit-out",
        "--suite-slug",
        "--result-path",
        "--annotate",
        "--upload-results",
    ] {
        assert!(!help.contains(flag), "lists {flag}:\n{help}");
    }
}

#[test]
fn no_help_text_names_a_decision_number() {
    let dir = TestDir::new();
    let mut commands: Vec<Vec<&str>> = vec![vec![]];
    for sub in [
        "run",
        "plan",
        "list",
        "config",
        "init",
        "schema",
        "completions",
    ] {
        commands.push(vec![sub]);
    }
    commands.push(vec!["durations", "update"]);
    commands.push(vec!["tools", "backfill-commit-metadata"]);
    for words in commands {
        let out = dir
            .bktec()
            .args(words.iter().copied())
            .arg("--help")
            .env("BKTEC_PREVIEW_SELECTION", "true")
            .output();
        out.assert_success();
        let text = out.stdout();
        let numbered = text.split(|c: char| !c.is_ascii_alphanumeric()).find(|w| {
            w.len() > 1 && w.starts_with('D') && w[1..].chars().all(|c| c.is_ascii_digit())
        });
        assert_eq!(numbered, None, "bktec {words:?} --help:\n{text}");
    }
}
