//! Fail closed against hostile test names, plan entries and templates, with
//! real pytest, the real collector, real sh and the Test Engine stand-in
//! (issue #9; D24 targets are never options, D25 shell scripts are quoted,
//! D30 the result format follows `{{resultPath}}`).

use std::fs;

use serde_json::{Value, json};

use crate::support::pytest::{FAILING, FLAKY, PASSING, bktec, project};
use crate::support::stand_in::{Reply, StandIn};
use crate::support::{BktecCmd, TestDir, Venv};

fn write_plan(dir: &TestDir, tests: &[Value]) {
    dir.write(
        "plan.json",
        &json!({"parallelism": 1, "tasks": {"0": {"node_number": 0, "tests": tests}}}).to_string(),
    );
}

// D24: targets are never options, whatever their source.

#[test]
fn a_discovered_file_named_like_an_option_is_run_not_obeyed() {
    // Sorted first, this name used to reach pytest as `--deselect=b_test.py`,
    // deselecting the failing file: "1 passed, 1 deselected", exit 0.
    let dir = project(&[
        ("--deselect=b_test.py", PASSING),
        ("a_test.py", PASSING),
        ("b_test.py", FAILING),
    ]);
    let out = bktec(&dir, Venv::Collector).output();
    out.assert_exit(1)
        .assert_stdout_contains("\npytest ./--deselect=b_test.py a_test.py b_test.py --json=")
        .assert_stdout_contains("- b_test.py::test_broken");
    assert!(!out.stdout().contains("deselected"), "{}", out.stdout());
}

#[test]
fn a_files_list_row_named_like_an_option_is_run_not_obeyed() {
    let dir = project(&[
        ("--deselect=test_fail.py", PASSING),
        ("test_fail.py", FAILING),
    ]);
    dir.write("files.txt", "--deselect=test_fail.py\ntest_fail.py\n");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--files", "files.txt"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("\npytest ./--deselect=test_fail.py test_fail.py --json=")
        .assert_stdout_contains("- test_fail.py::test_broken");
}

#[test]
fn a_selector_file_row_is_never_an_argument_file() {
    // pytest >= 8.2 reads `@FILE` as more arguments (argparse fromfile).
    let dir = project(&[("test_fail.py", FAILING)]);
    dir.write("@args.txt", "--deselect=test_fail.py::test_broken\n");
    dir.write("selectors.txt", "@args.txt\ntest_fail.py\n");
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--selector-file", "selectors.txt"])
        .output();
    // `./@args.txt` is a file with nothing to collect; test_broken runs.
    out.assert_exit(1)
        .assert_stdout_contains("\npytest ./@args.txt test_fail.py --json=")
        .assert_stdout_contains("- test_fail.py::test_broken");
}

#[test]
fn a_plan_file_entry_named_like_an_option_is_run_not_obeyed() {
    let dir = project(&[
        ("--deselect=test_fail.py", PASSING),
        ("test_fail.py", FAILING),
    ]);
    write_plan(
        &dir,
        &[
            json!({"path": "--deselect=test_fail.py"}),
            json!({"path": "test_fail.py"}),
        ],
    );
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "plan.json"])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("\npytest ./--deselect=test_fail.py test_fail.py --json=")
        .assert_stdout_contains("- test_fail.py::test_broken");
}

#[test]
fn a_plan_file_entry_no_argument_can_carry_is_refused_naming_the_file() {
    let dir = project(&[("test_fail.py", FAILING)]);
    // An empty path is the working directory to pytest: every test.
    write_plan(
        &dir,
        &[json!({"path": "test_fail.py"}), json!({"path": ""})],
    );
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--plan-file", "plan.json"])
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "refusing test target `` from the plan file `plan.json`: it is empty, which would run every test (D24)",
    );
    assert!(!out.stdout().contains("\npytest "), "nothing ran");
}

/// A stand-in that serves `tests` as this node's plan.
fn serving(tests: Vec<Value>) -> StandIn {
    StandIn::start(move |req| match req.method.as_str() {
        "GET" => Reply::message(404, "no cached plan"),
        _ if req.url.contains("/filter_tests") => Reply::json(200, json!({"tests": []})),
        _ if req.url.contains("/test_plan_metadata") => Reply::json(200, json!({})),
        _ => Reply::json(
            200,
            json!({
                "identifier": "build-1/step-1",
                "parallelism": 1,
                "tasks": {"0": {"node_number": 0, "tests": tests.clone()}},
            }),
        ),
    })
}

fn api_bktec(dir: &TestDir, url: &str) -> BktecCmd {
    bktec(dir, Venv::Collector)
        .test_engine(url)
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "10ms")
        .env("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "2s")
}

#[test]
fn a_test_engine_plan_entry_cannot_make_pytest_wipe_a_directory() {
    // `--basetemp=DIR` makes pytest delete DIR when a test uses tmp_path.
    let dir = project(&[(
        "tests/test_tmp.py",
        "def test_tmp(tmp_path):\n    assert True\n",
    )]);
    let precious = dir.path().join("precious");
    dir.write("precious/keep.txt", "do not delete");
    let stand_in = serving(vec![
        json!({"format": "selector", "value": format!("--basetemp={}", precious.display())}),
        json!({"format": "selector", "value": "tests/test_tmp.py"}),
    ]);
    let out = api_bktec(&dir, &stand_in.url).output();
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
    out.assert_stdout_contains(&format!("\npytest ./--basetemp={}", precious.display()));
    assert_eq!(
        fs::read_to_string(precious.join("keep.txt")).unwrap(),
        "do not delete"
    );
}

#[test]
fn a_test_engine_plan_entry_no_argument_can_carry_is_refused_naming_the_plan() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    let stand_in = serving(vec![
        json!({"format": "selector", "value": "tests/test_a.py"}),
        json!({"format": "example", "path": "tests/test_a.py\u{0}::test_ok"}),
    ]);
    let out = api_bktec(&dir, &stand_in.url).output();
    out.assert_exit(16).assert_stderr_contains(
        "refusing test target `tests/test_a.py\\0::test_ok` from the Test Engine plan `build-1/step-1`: it holds a NUL byte",
    );
}

#[test]
fn retries_of_an_option_like_file_match_its_normalised_node_id() {
    // The retry ids come from the result file and pass through D24 again;
    // pytest reports `--flaky_test.py::test_flaky` for `./--flaky_test.py`.
    for (venv_kind, mode) in [
        (Venv::Collector, "--json="),
        (Venv::NoCollector, "--junit-xml="),
    ] {
        let dir = project(&[("--flaky_test.py", FLAKY)]);
        let out = bktec(&dir, venv_kind)
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
            .output();
        out.assert_success()
            .assert_stdout_contains(&format!("\npytest ./--flaky_test.py {mode}"))
            .assert_stdout_contains(&format!("\npytest ./--flaky_test.py::test_flaky {mode}"))
            .assert_stdout_contains("|         | on retry  | 1 |");
    }
}

// D25: placeholders in `sh -c` scripts are shell-quoted.

#[test]
fn a_test_file_name_cannot_run_code_through_an_sh_c_template() {
    let dir = project(&[("tests/test_$(touch PWNED).py", FLAKY)]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--test-command",
            "sh -c 'pytest {{testExamples}} --json={{resultPath}}'",
        ])
        .output();
    // The test in that file runs, fails once, and is retried by node id.
    out.assert_success()
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("pytest '\\''tests/test_$(touch PWNED).py'\\''")
        .assert_stdout_contains("pytest '\\''tests/test_$(touch PWNED).py::test_flaky'\\''");
    assert!(!dir.path().join("PWNED").exists());
    assert!(!dir.path().join("tests/PWNED").exists());
}

#[test]
fn a_plan_entry_cannot_run_code_through_env_and_bash() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    write_plan(
        &dir,
        &[
            json!({"path": "tests/test_a.py"}),
            json!({"path": "x; touch PWNED; #"}),
            json!({"path": "-k'$(touch PWNED)'"}),
        ],
    );
    let out = bktec(&dir, Venv::Collector)
        .args([
            "run",
            "--plan-file",
            "plan.json",
            "--test-command",
            "env LC_ALL=C /bin/bash -ec \"pytest {{testExamples}} --json='{{resultPath}}'\"",
        ])
        .output();
    // pytest is handed three paths, two of which do not exist: exit 4.
    out.assert_exit(4)
        .assert_stderr_contains("file or directory not found: x; touch PWNED; #");
    assert!(!dir.path().join("PWNED").exists());
}

// D30: the result format follows `{{resultPath}}`.

#[test]
fn the_option_holding_the_result_path_decides_the_format_and_retries_work() {
    for (command, mode) in [
        (
            "pytest {{testExamples}} --json={{resultPath}} --junit-xml=junit.xml",
            "JSON",
        ),
        (
            "pytest --junit-xml=junit.xml {{testExamples}} --json={{resultPath}}",
            "JSON",
        ),
        (
            "pytest {{testExamples}} --junit-xml={{resultPath}} --json=extra.json",
            "JUnit XML",
        ),
        (
            "pytest --json extra.json {{testExamples}} --junit-xml {{resultPath}}",
            "JUnit XML",
        ),
        (
            "sh -c 'pytest {{testExamples}} --json={{resultPath}} --junit-xml=junit.xml'",
            "JSON",
        ),
    ] {
        let dir = project(&[("tests/test_flaky.py", FLAKY)]);
        let out = bktec(&dir, Venv::Collector)
            .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
            .args(["run", "--test-command", command])
            .output();
        out.assert_success()
            .assert_stdout_contains(&format!("Using {mode} output for pytest results."))
            .assert_stdout_contains("tests/test_flaky.py::test_flaky")
            .assert_stdout_contains("|         | on retry  | 1 |");
        assert_eq!(
            fs::read_to_string(dir.path().join("tests/flaky-runs.txt")).unwrap(),
            "2",
            "{command}"
        );
    }
}

#[test]
fn a_test_file_name_cannot_run_code_through_a_shell_behind_a_wrapper() {
    // D25 wherever the shell stands: this script used to reach sh raw, as
    // `timeout` is not a shell, and the file name ran `touch`.
    let dir = project(&[("tests/test_$(touch PWNED).py", FLAKY)]);
    let out = bktec(&dir, Venv::Collector)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args([
            "run",
            "--test-command",
            "timeout 600 sh -c 'pytest {{testExamples}} --json={{resultPath}}'",
        ])
        .output();
    out.assert_success()
        .assert_stdout_contains("|         | on retry  | 1 |")
        .assert_stdout_contains("timeout 600 sh -c 'pytest '\\''tests/test_$(touch PWNED).py'\\''")
        .assert_stdout_contains("pytest '\\''tests/test_$(touch PWNED).py::test_flaky'\\''");
    assert!(!dir.path().join("PWNED").exists());
    assert!(!dir.path().join("tests/PWNED").exists());
}

#[test]
fn a_placeholder_in_a_script_for_another_program_is_refused_naming_its_origin() {
    // `python3 -c` (like `ssh host "..."`) runs a word bktec cannot quote
    // for: with the file name substituted raw, its shell would run `touch`.
    let dir = project(&[("tests/test_$(touch PWNED).py", PASSING)]);
    let script = "import subprocess, sys; sys.exit(subprocess.run('pytest {{testExamples}} --json={{resultPath}}', shell=True).returncode)";
    let out = bktec(&dir, Venv::Collector)
        .args(["run", "--test-command", &format!("python3 -c \"{script}\"")])
        .output();
    out.assert_exit(16).assert_stderr_contains(&format!(
        "--test-command is invalid: `{{{{testExamples}}}}` is in the word `{script}`, which holds whitespace: \
         a program may run that word as a script, where bktec cannot quote the value (D12); \
         run it through `sh -c '...'`, where bktec quotes each value (D25) in `python3 -c \"{script}\"`\n"
    ));
    assert!(!out.stdout().contains("\npython3 "), "nothing ran");
    assert!(!dir.path().join("PWNED").exists());
    assert!(!dir.path().join("tests/PWNED").exists());

    // `ssh` joins its arguments for the remote shell: even plain words are code there.
    bktec(&dir, Venv::Collector)
        .args(["run", "--test-command", "ssh ci-box pytest {{testExamples}}"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "`{{testExamples}}` comes after `ssh`, which joins its arguments into one command line for a shell",
        );

    // A retry command from bktec.toml is named with its key and line.
    dir.write(
        "bktec.toml",
        "[runner]\nretry-command = \"ssh ci-box 'pytest {{testExamples}}'\"\n",
    );
    bktec(&dir, Venv::Collector)
        .output()
        .assert_exit(16)
        .assert_stderr_contains("`pytest {{testExamples}}`, which holds whitespace")
        .assert_stderr_contains("bktec.toml:2");
}

// D25 (issue 19): where the shell parses a value again after quote
// removal, no quoting keeps it one word, so the placeholder is refused.

#[test]
fn a_placeholder_the_shell_parses_again_is_refused_before_anything_runs() {
    // Rendered with bktec's quoting, `eval`, the nested shell, `$((…))`,
    // `((…))`, the pipe into sh, `source <(…)` and `python3 -c` ran `touch
    // PWNED` from this file name with the real sh, bash or python; `let` and
    // `[[ -eq ]]` do for a value that is a bare name.
    let dir = project(&[("tests/test_x[$(touch PWNED)].py", PASSING)]);
    let json = "--json={{resultPath}}";
    for (command, context) in [
        (
            format!("sh -c 'eval pytest {{{{testExamples}}}} {json}'"),
            "in an argument of `eval`",
        ),
        (
            format!("bash -ec 'builtin eval \"pytest {{{{testExamples}}}}\" {json}'"),
            "in an argument of `eval`",
        ),
        (
            format!("sh -c 'sh -c \"pytest {{{{testExamples}}}} {json}\"'"),
            "in the `-c` script of a nested shell",
        ),
        (
            format!("sh -c 'exec bash -xc \"pytest {{{{testExamples}}}} {json}\"'"),
            "in the `-c` script of a nested shell",
        ),
        (
            format!("bash -c 'echo $(( {{{{testExamples}}}} )); pytest {json}'"),
            "inside arithmetic `((…))`",
        ),
        (
            format!("bash -c '(( {{{{testExamples}}}} )); pytest {json}'"),
            "inside arithmetic `((…))`",
        ),
        (
            format!("bash -c 'let n={{{{testExamples}}}}; pytest {json}'"),
            "in an argument of `let`",
        ),
        (
            format!("bash -c '[[ {{{{testExamples}}}} -eq 0 ]]; pytest {json}'"),
            "inside `[[ … ]]`",
        ),
        (
            format!("sh -c 'echo pytest {{{{testExamples}}}} {json} | sh'"),
            "in a command piped into a shell",
        ),
        (
            format!("bash -c 'source <(echo pytest {{{{testExamples}}}} {json})'"),
            "inside a process substitution (`<(…)`, `>(…)`)",
        ),
        (
            format!(
                "sh -c 'python3 -c \"import os; os.system(\\\"pytest {{{{testExamples}}}} {json}\\\")\"'"
            ),
            "in the code given to a `-c` or `-e` option",
        ),
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", &command])
            .output();
        out.assert_exit(16).assert_stderr_contains(&format!(
            "`{{{{testExamples}}}}` is {context} in the shell script, where "
        ));
        out.assert_stderr_contains("so bktec cannot quote it safely; move it out of there (D25)")
            .assert_stderr_contains("\n--test-command is invalid: ");
        assert!(
            !out.stdout().contains("\npytest "),
            "nothing ran: {command}"
        );
        assert!(!dir.path().join("PWNED").exists(), "{command}");
        assert!(!dir.path().join("tests/PWNED").exists(), "{command}");
    }
}

#[test]
fn the_same_scripts_with_plain_words_still_run_the_strange_file() {
    // The placeholder as a plain word or in double quotes, beside `eval`, a
    // nested shell reading `"$@"` and arithmetic that holds no value.
    let dir = project(&[("tests/test_$(touch PWNED).py", PASSING)]);
    for command in [
        "sh -c 'eval true; pytest \"{{testExamples}}\" --json={{resultPath}}'",
        r#"sh -c 'sh -c "pytest \"\$@\" --json=\"\$0\"" {{resultPath}} {{testExamples}}'"#,
        "bash -c 'echo $(( 1 + 1 )); [[ -n x ]] && pytest {{testExamples}} --json={{resultPath}}'",
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output();
        out.assert_success().assert_stdout_contains("2 passed");
        assert!(!dir.path().join("PWNED").exists(), "{command}");
        assert!(!dir.path().join("tests/PWNED").exists(), "{command}");
    }
}

#[test]
fn a_placeholder_reaching_eval_as_a_positional_parameter_is_refused() {
    // The value is a plain argument of sh (or of a function of the
    // script), but `$@` reaches `eval`: these ran `touch PWNED` from the
    // file name.
    let dir = project(&[("tests/test_$(touch PWNED).py", PASSING)]);
    for command in [
        r#"sh -c 'eval pytest "$@" --json=$0' {{resultPath}} {{testExamples}}"#,
        r#"sh -c 'f() { eval "$@"; }; f pytest {{testExamples}} --json={{resultPath}}'"#,
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output();
        out.assert_exit(16).assert_stderr_contains(
            "`{{testExamples}}` reaches the shell script as `$@`, which is in an argument of `eval` in the script",
        );
        assert!(!out.stdout().contains("\npytest "), "nothing ran");
        assert!(!dir.path().join("PWNED").exists());
        assert!(!dir.path().join("tests/PWNED").exists());
    }
}

#[test]
fn placeholders_that_other_programs_or_later_lines_run_as_code_are_refused() {
    // Issue 19, a second hostile pass: with bktec's quoting, each of these
    // ran `touch PWNED` from this file name with the real su, runuser,
    // flock, script, sh or bash.
    let dir = project(&[("tests/test_$(touch PWNED).py", PASSING)]);
    let code_option = "in the code given to a `-c` or `-e` option";
    let code_variable =
        "in an assignment to a variable a shell runs as code or expands as a prompt";
    for (command, context) in [
        ("sh -c 'su root -c {{testExamples}}'", code_option),
        ("sh -c 'runuser root -c {{testExamples}}'", code_option),
        ("sh -c 'flock /tmp/lk -c {{testExamples}}'", code_option),
        ("sh -c 'script -qc {{testExamples}} /dev/null'", code_option),
        (r#"sh -c '"$SHELL" -c {{testExamples}}'"#, code_option),
        ("sh -c '$0 -c {{testExamples}}' sh", code_option),
        (
            "bash -c 'echo $[{{testExamples}}]'",
            "inside arithmetic `$[…]`",
        ),
        (
            "sh -c 'alias p=\"echo \"{{testExamples}}\np'",
            "in an argument of `alias`",
        ),
        (
            "bash -c 'PS4={{testExamples}}; set -x; true'",
            code_variable,
        ),
        ("bash -c 'PS4={{testExamples}} set -x'", code_variable),
        (
            "bash -c 'export BASH_ENV={{testExamples}}; bash -c true'",
            code_variable,
        ),
        (
            "bash -c 'BASH_ENV=<(echo {{testExamples}}) bash -c true'",
            "inside a process substitution (`<(…)`, `>(…)`)",
        ),
        (
            "sh -c 'e=eval; $e {{testExamples}}'",
            "in an argument of `eval`",
        ),
        // And what the same pass found beside them.
        ("sh -c 'su root --co {{testExamples}}'", code_option),
        (
            "sh -c '${e:-eval} {{testExamples}}'",
            "in an argument of `eval`",
        ),
        (
            "sh -c 'echo {{testExamples}} | xargs su root -c'",
            "in a command piped into a shell",
        ),
    ] {
        let out = bktec(&dir, Venv::Collector)
            .env("SHELL", "/bin/sh")
            .args(["run", "--test-command", command])
            .output();
        out.assert_exit(16)
            .assert_stderr_contains(&format!("`{{{{testExamples}}}}` is {context}"))
            .assert_stderr_contains("in the shell script, where ")
            .assert_stderr_contains("so bktec cannot quote it safely; move it out of there (D25)")
            .assert_stderr_contains("\n--test-command is invalid: ");
        let program = command.split(' ').next().unwrap();
        assert!(
            !out.stdout().contains(&format!("\n{program} ")),
            "nothing ran: {command}"
        );
        assert!(!dir.path().join("PWNED").exists(), "{command}");
        assert!(!dir.path().join("tests/PWNED").exists(), "{command}");
    }
    // At the top of the template, bktec runs the program itself: the same.
    for (command, context) in [
        ("su root -c {{testExamples}}", code_option),
        ("flock /tmp/lk -c {{testExamples}}", code_option),
        ("script -qc {{testExamples}} /dev/null", code_option),
        ("env PS4={{testExamples}} bash -xc true", code_variable),
    ] {
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output();
        out.assert_exit(16)
            .assert_stderr_contains(&format!("`{{{{testExamples}}}}` is {context}"))
            .assert_stderr_contains("in the command, where ")
            .assert_stderr_contains("\n--test-command is invalid: ");
        assert!(!dir.path().join("PWNED").exists(), "{command}");
        assert!(!dir.path().join("tests/PWNED").exists(), "{command}");
    }
}

#[test]
fn an_ordinary_dash_c_option_or_variable_command_still_runs_the_strange_file() {
    // Beside the refusals above: `-c` whose value is no placeholder, and a
    // command named by a variable with plain arguments, stay allowed.
    let dir = project(&[("tests/test_$(touch PWNED).py", PASSING)]);
    for command in [
        "sh -c 'pytest -c pytest.ini -p no:cacheprovider {{testExamples}} --json={{resultPath}}'",
        r#"sh -c 'PY=pytest; "$PY" {{testExamples}} --json={{resultPath}}'"#,
        "pytest -p no:cacheprovider {{testExamples}} --json={{resultPath}}",
    ] {
        dir.write("pytest.ini", "[pytest]\n");
        let out = bktec(&dir, Venv::Collector)
            .args(["run", "--test-command", command])
            .output();
        out.assert_success().assert_stdout_contains("2 passed");
        assert!(!dir.path().join("PWNED").exists(), "{command}");
        assert!(!dir.path().join("tests/PWNED").exists(), "{command}");
    }
}
