//! Discovery that agrees with pytest (issue #12): with `--discovery pytest`
//! the union of N jobs runs exactly the tests a plain `pytest` runs, on
//! projects where the default pattern does not; in pattern mode bktec warns
//! where the two disagree, and nowhere else.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::pytest::{PASSING, bktec_at, project, result_node_ids, runs_of_jobs};
use crate::support::{BktecCmd, TestDir, Venv, run_jobs, venv};

/// bktec with the pytest runner, run in `dir`.
fn bktec_in(dir: &Path) -> BktecCmd {
    bktec_at(dir, Venv::Collector)
}

/// The node ids a plain `pytest` run in `dir` runs, by its own report.
fn plain_pytest(dir: &Path) -> Vec<String> {
    let out = Command::new(venv(Venv::Collector).join("pytest"))
        .args(["--collect-only", "-q", "-p", "no:cacheprovider"])
        .current_dir(dir)
        .output()
        .unwrap();
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("::"))
        .map(String::from)
        .collect();
    ids.sort();
    assert!(!ids.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    ids
}

/// Runs `n` jobs in `dir` with `--discovery pytest` and returns how often
/// each test ran, from the jobs' result files (collector JSON: scope::name
/// is the node id).
fn union_of_jobs(dir: &Path, n: u32) -> BTreeMap<String, usize> {
    let outputs = run_jobs(n, |i| {
        bktec_in(dir)
            .args(["run", "--discovery", "pytest", "--result-path"])
            .arg(format!("results/node-{i}.json"))
    });
    let mut runs = BTreeMap::new();
    for (i, out) in outputs.iter().enumerate() {
        out.assert_success();
        // A job with no tests writes no results.
        for id in result_node_ids(&dir.join(format!("results/node-{i}.json"))).unwrap_or_default() {
            *runs.entry(id).or_insert(0) += 1;
        }
    }
    runs
}

#[track_caller]
fn assert_same_as_plain_pytest(dir: &Path) {
    let expected = plain_pytest(dir);
    let runs = union_of_jobs(dir, 3);
    let ran: Vec<String> = runs.keys().cloned().collect();
    assert_eq!(ran, expected, "the union of the jobs is plain pytest's run");
    assert!(runs.values().all(|&c| c == 1), "each test once: {runs:?}");
}

/// A run in pattern mode: its stderr.
fn pattern_mode_stderr(dir: &Path) -> String {
    let out = bktec_in(dir).arg("list").output();
    out.stderr()
}

const WARNING: &str = "may run other tests than `pytest` would";

fn python_files_project() -> TestDir {
    // pytest collects `tests/*.py`, the package's `__init__.py` included;
    // the default pattern finds none of these files.
    project(&[
        (
            "setup.cfg",
            "[tool:pytest]\npython_files =\n    tests/*.py\n",
        ),
        ("tests/__init__.py", "def test_in_init():\n    pass\n"),
        ("tests/checks.py", PASSING),
        ("tests/more.py", PASSING),
        ("tests/extra.py", "def test_x():\n    pass\n"),
    ])
}

#[test]
fn python_files_with_a_package_init_runs_what_pytest_runs() {
    let dir = python_files_project();
    assert_same_as_plain_pytest(dir.path());
    let stderr = pattern_mode_stderr(dir.path());
    assert!(
        stderr.contains(WARNING)
            && stderr.contains("pytest reads `setup.cfg`")
            && stderr.contains("`python_files = tests/*.py`")
            && stderr.contains("--discovery pytest"),
        "{stderr}"
    );
}

#[test]
fn check_star_python_files_runs_check_files_and_not_test_files() {
    let dir = project(&[
        ("pytest.ini", "[pytest]\npython_files = check_*.py\n"),
        ("check_a.py", PASSING),
        ("test_b.py", "def test_b():\n    pass\n"),
    ]);
    assert_same_as_plain_pytest(dir.path());
    let listed = bktec_in(dir.path())
        .args(["list", "--discovery", "pytest"])
        .output();
    listed.assert_success();
    assert_eq!(listed.stdout(), "check_a.py\n");
    assert!(pattern_mode_stderr(dir.path()).contains("`python_files = check_*.py`"));
}

fn doctest_project() -> TestDir {
    project(&[
        (
            "pyproject.toml",
            "[tool.pytest.ini_options]\naddopts = \"--doctest-modules --doctest-glob=*.rst\"\ntestpaths = [\"pkg\", \"docs\", \"tests\"]\n",
        ),
        ("pkg/__init__.py", ""),
        (
            "pkg/mod.py",
            "def double(x):\n    \"\"\"\n    >>> double(2)\n    4\n    \"\"\"\n    return 2 * x\n\n# Not collected by a plain pytest: pkg/mod.py does not match python_files.\ndef test_not_a_test():\n    pass\n",
        ),
        ("docs/guide.rst", "Guide\n=====\n\n>>> 1 + 1\n2\n"),
        ("tests/test_a.py", PASSING),
        ("tests/test_b.py", PASSING),
    ])
}

#[test]
fn doctests_in_modules_and_rst_files_run_and_nothing_more() {
    // Naming `pkg/mod.py` on pytest's command line would collect its
    // `test_not_a_test` too; the witness deselects it.
    let dir = doctest_project();
    assert_same_as_plain_pytest(dir.path());
    let stderr = pattern_mode_stderr(dir.path());
    assert!(
        stderr.contains("pytest reads `pyproject.toml`")
            && stderr.contains("`--doctest-modules --doctest-glob=*.rst`"),
        "{stderr}"
    );
}

#[test]
fn collect_ignore_and_files_outside_testpaths_are_left_out() {
    let dir = project(&[
        ("pytest.ini", "[pytest]\ntestpaths = tests\n"),
        (
            "tests/conftest.py",
            "collect_ignore = [\"test_ignored.py\"]\n",
        ),
        (
            "tests/test_ignored.py",
            "def test_fails():\n    assert False\n",
        ),
        ("tests/test_kept.py", PASSING),
        ("tests/test_kept_too.py", PASSING),
        // A benchmark outside testpaths: plain pytest never runs it.
        (
            "bench/test_benchmarks.py",
            "def test_slow():\n    assert False\n",
        ),
        // A conftest that skips a directory.
        (
            "tests/conftest_skip/conftest.py",
            "def pytest_ignore_collect(collection_path, config):\n    return collection_path.name == \"skipped\"\n",
        ),
        (
            "tests/conftest_skip/skipped/test_never.py",
            "def test_never():\n    assert False\n",
        ),
        ("tests/conftest_skip/test_here.py", PASSING),
    ]);
    assert_same_as_plain_pytest(dir.path());
    let stderr = pattern_mode_stderr(dir.path());
    assert!(
        stderr.contains("`testpaths = tests`, and the pattern finds 1 files outside them, e.g. `bench/test_benchmarks.py`"),
        "{stderr}"
    );
}

#[test]
fn a_rootdir_above_the_working_directory_names_files_from_here() {
    let dir = project(&[
        ("pytest.ini", "[pytest]\n"),
        ("app/tests/test_a.py", PASSING),
        ("app/tests/test_b.py", PASSING),
        ("app/tests/test_c.py", PASSING),
    ]);
    let app = dir.path().join("app");
    let listed = bktec_in(&app)
        .args(["list", "--discovery", "pytest"])
        .output();
    listed.assert_success();
    assert_eq!(
        listed.stdout(),
        "tests/test_a.py\ntests/test_b.py\ntests/test_c.py\n"
    );
    // Node ids stay pytest's (`app/tests/...`), and every test runs once.
    let runs = union_of_jobs(&app, 3);
    assert_eq!(runs.len(), 6, "{runs:?}");
    assert!(
        runs.keys().all(|id| id.starts_with("app/tests/")),
        "{runs:?}"
    );
    assert!(runs.values().all(|&c| c == 1), "{runs:?}");
}

#[test]
fn python_dash_m_pytest_and_a_venv_path_collect_with_that_program() {
    let dir = python_files_project();
    let python = venv(Venv::Collector).join("python");
    let command = format!(
        "{} -m pytest {{{{testExamples}}}} --json={{{{resultPath}}}}",
        python.display()
    );
    // Neither program is on PATH: only the command's own can collect.
    let run = |command: &str| {
        BktecCmd::new(dir.path())
            .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
            .args(["list", "--discovery", "pytest", "--test-command", command])
            .output()
    };
    let out = run(&command);
    out.assert_success();
    assert_eq!(
        out.stdout(),
        "tests/__init__.py\ntests/checks.py\ntests/extra.py\ntests/more.py\n"
    );
    let pytest = venv(Venv::Collector).join("pytest");
    let out = run(&format!(
        "{} {{{{testExamples}}}} --json={{{{resultPath}}}}",
        pytest.display()
    ));
    out.assert_success();
    assert_eq!(out.stdout().lines().count(), 4);
}

#[test]
fn a_collection_error_is_exit_16_with_pytest_s_message() {
    let dir = project(&[
        ("tests/test_a.py", PASSING),
        ("tests/test_broken.py", "import no_such_module_xyz\n"),
    ]);
    bktec_in(dir.path())
        .args(["run", "--discovery", "pytest"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("bktec run: `pytest --collect-only -q` failed")
        .assert_stderr_contains("no_such_module_xyz");
}

#[test]
fn a_collection_that_finds_nothing_is_no_tests() {
    let dir = project(&[("tests/test_a.py", "def helper():\n    pass\n")]);
    let out = bktec_in(dir.path())
        .args(["run", "--discovery", "pytest"])
        .output();
    out.assert_success();
    bktec_in(dir.path())
        .args(["run", "--discovery", "pytest", "--fail-on-no-tests"])
        .output()
        .assert_exit(16);
}

#[test]
fn explicit_patterns_filter_what_pytest_collected() {
    let dir = python_files_project();
    let out = bktec_in(dir.path())
        .args([
            "list",
            "--discovery",
            "pytest",
            "--test-file-pattern",
            "tests/*.py",
            "--test-file-exclude-pattern",
            "tests/more.py",
        ])
        .output();
    out.assert_success();
    assert_eq!(
        out.stdout(),
        "tests/__init__.py\ntests/checks.py\ntests/extra.py\n"
    );
}

#[test]
fn list_json_says_pytest_and_the_command() {
    let dir = python_files_project();
    let out = bktec_in(dir.path())
        .args(["list", "--json", "--discovery", "pytest"])
        .output();
    out.assert_success();
    let doc = out.json();
    assert_eq!(doc["source"], "pytest");
    assert_eq!(doc["command"], "pytest --collect-only -q");
    assert_eq!(doc["tests"], 6);
    let out = bktec_in(dir.path())
        .args(["list", "--json", "--test-file-pattern", "tests/*.py"])
        .output();
    out.assert_success();
    assert_eq!(out.json()["source"], "discovery");
}

#[test]
fn the_warning_appears_only_where_pytest_and_the_pattern_disagree() {
    // The default configuration, an empty pytest.ini, and default
    // python_files: nothing to say.
    for config in [
        None,
        Some(("pytest.ini", "")),
        Some(("tox.ini", "[pytest]\npython_files = test_*.py *_test.py\n")),
    ] {
        let mut files = vec![("tests/test_a.py", PASSING)];
        files.extend(config);
        let dir = project(&files);
        let stderr = pattern_mode_stderr(dir.path());
        assert!(!stderr.contains(WARNING), "{config:?}: {stderr}");
    }
    // A pattern the user chose, and pytest discovery itself: no warning.
    let dir = python_files_project();
    dir.write("tests/test_z.py", PASSING);
    let out = bktec_in(dir.path())
        .args(["list", "--test-file-pattern", "tests/*.py"])
        .output();
    assert!(!out.stderr().contains(WARNING), "{}", out.stderr());
    let out = bktec_in(dir.path())
        .args(["list", "--discovery", "pytest"])
        .output();
    assert!(!out.stderr().contains(WARNING), "{}", out.stderr());
    // The env var and bktec.toml choose it too.
    let out = bktec_in(dir.path())
        .env("BUILDKITE_TEST_ENGINE_DISCOVERY", "pytest")
        .arg("list")
        .output();
    assert_eq!(out.stdout().lines().count(), 5, "{}", out.stdout());
    dir.write("bktec.toml", "[files]\ndiscovery = \"pytest\"\n");
    let out = bktec_in(dir.path()).arg("list").output();
    assert_eq!(out.stdout().lines().count(), 5, "{}", out.stdout());
}

#[test]
fn bad_discovery_values_name_their_source() {
    let dir = project(&[("tests/test_a.py", PASSING)]);
    bktec_in(dir.path())
        .args(["list", "--discovery", "pyest"])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("`pyest` is neither `pattern` nor `pytest`")
        .assert_stderr_contains("--discovery");
    BktecCmd::new(dir.path())
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "rspec")
        .env("BUILDKITE_TEST_ENGINE_DISCOVERY", "pytest")
        .arg("list")
        .output()
        .assert_exit(16)
        .assert_stderr_contains("only the pytest runner can use")
        .assert_stderr_contains("BUILDKITE_TEST_ENGINE_DISCOVERY");
}

#[test]
fn a_test_whose_id_changes_between_processes_is_not_green() {
    // A parametrize id drawn from the process id: the id discovery saw
    // never comes back in the job, so the job must not pass.
    let dir = project(&[(
        "tests/test_unstable.py",
        "import os\nimport pytest\n\n@pytest.mark.parametrize(\"n\", [os.getpid()])\ndef test_pid(n):\n    pass\n",
    )]);
    let out = bktec_in(dir.path())
        .args(["run", "--discovery", "pytest"])
        .output();
    assert_ne!(out.code(), Some(0), "{}\n{}", out.stdout(), out.stderr());
    assert!(
        out.stdout()
            .contains("tests that discovery collected were not collected in this job"),
        "{}",
        out.stdout()
    );
}

#[test]
fn a_slow_file_is_split_with_the_tests_discovery_collected() {
    let dir = doctest_project();
    dir.write(
        ".test_durations",
        r#"{"tests/test_a.py::test_one": 30, "tests/test_a.py::test_two": 30, "tests/test_b.py::test_one": 1}"#,
    );
    let out = bktec_in(dir.path())
        .args([
            "plan",
            "--discovery",
            "pytest",
            "--parallelism",
            "3",
            "--plan-out",
            "-",
            "--debug",
        ])
        .output();
    out.assert_success()
        .assert_stderr_contains("Files to split are split with the tests that discovery collected");
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    let paths: Vec<&str> = plan["tasks"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|t| t["tests"].as_array().unwrap())
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"tests/test_a.py::test_one"), "{paths:?}");
    assert!(paths.contains(&"pkg/mod.py"), "{paths:?}");
    assert_same_as_plain_pytest(dir.path());
}

#[test]
fn a_script_that_changes_directory_is_discovered_through_the_script() {
    let dir = project(&[
        ("app/pytest.ini", "[pytest]\npython_files = check_*.py\n"),
        ("app/check_a.py", PASSING),
        ("app/check_b.py", PASSING),
    ]);
    let out = bktec_in(dir.path())
        .args([
            "list",
            "--json",
            "--discovery",
            "pytest",
            "--test-command",
            "sh -c 'cd app && pytest {{testExamples}} --json={{resultPath}}'",
        ])
        .output();
    out.assert_success();
    let doc = out.json();
    assert_eq!(
        doc["targets"],
        serde_json::json!(["check_a.py", "check_b.py"])
    );
    let command = doc["command"].as_str().unwrap();
    assert!(
        command.starts_with("PYTEST_ADDOPTS='--collect-only -q' sh -c 'cd app && pytest  --json=")
            && command.ends_with("pytest-results.json'"),
        "{command}"
    );
}

#[test]
fn without_bktec_s_pytest_plugin_discovery_stops_and_says_how_to_load_it() {
    let dir = doctest_project();
    // A PYTHONPATH of the command's own hides the plugin's directory.
    bktec_in(dir.path())
        .args([
            "run",
            "--discovery",
            "pytest",
            "--test-command",
            "env PYTHONPATH=. pytest {{testExamples}} --json={{resultPath}}",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains("ran without bktec's pytest plugin")
        .assert_stderr_contains("(`PYTHONPATH=src:$PYTHONPATH`)");
    // With plugin autoloading off, bktec names the plugin in PYTEST_PLUGINS
    // (D36), and the jobs still run exactly pytest's tests.
    let command =
        "pytest -p buildkite_test_collector.pytest_plugin {{testExamples}} --json={{resultPath}}";
    let expected = plain_pytest(dir.path());
    let outputs = run_jobs(2, |i| {
        bktec_in(dir.path())
            .env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
            .args([
                "run",
                "--discovery",
                "pytest",
                "--test-command",
                command,
                "--result-path",
            ])
            .arg(format!("results/node-{i}.json"))
    });
    for out in &outputs {
        out.assert_success();
    }
    let runs = runs_of_jobs(dir.path(), 2);
    assert!(runs.values().all(|&c| c == 1), "each test once: {runs:?}");
    let ran: Vec<String> = runs.into_keys().collect();
    assert_eq!(ran, expected);
}

/// bktec with plain pytest and pytest-xdist (JUnit results).
fn xdist_bktec(dir: &Path) -> BktecCmd {
    bktec_at(dir, Venv::NoCollector).args([
        "run",
        "--discovery",
        "pytest",
        "--test-command",
        "pytest -n 2 {{testExamples}} --junit-xml={{resultPath}}",
    ])
}

#[test]
fn under_pytest_xdist_the_workers_keep_to_the_job_s_tests() {
    // Naming pkg/mod.py would run test_not_a_test in the workers.
    let dir = doctest_project();
    let out = xdist_bktec(dir.path())
        .args(["--result-path", "r.xml"])
        .output();
    out.assert_success();
    let xml = fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(!xml.contains("test_not_a_test"), "{xml}");
    assert!(xml.contains("double"), "{xml}");
    // A test whose id changes between processes fails the run.
    let unstable = project(&[(
        "tests/test_unstable.py",
        "import os\nimport pytest\n\n@pytest.mark.parametrize(\"n\", [os.getpid()])\ndef test_pid(n):\n    pass\n",
    )]);
    let out = xdist_bktec(unstable.path()).output();
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
    assert!(
        out.stdout()
            .contains("tests that discovery collected were not collected in this job"),
        "{}",
        out.stdout()
    );
}

#[test]
fn a_test_dropped_by_a_later_hook_is_lost_not_green() {
    // This conftest drops a test only when files are named on the command
    // line: a plain pytest runs (and fails) it; the job must not be green.
    let dir = project(&[
        (
            "conftest.py",
            "import pytest\n\n@pytest.hookimpl(trylast=True)\ndef pytest_collection_modifyitems(config, items):\n    if config.args and config.args != [str(config.rootpath)]:\n        items[:] = [i for i in items if i.name != \"test_suite_only\"]\n",
        ),
        (
            "tests/test_a.py",
            "def test_ok():\n    pass\n\ndef test_suite_only():\n    assert False\n",
        ),
    ]);
    let out = bktec_in(dir.path())
        .args(["run", "--discovery", "pytest"])
        .output();
    assert_ne!(out.code(), Some(0), "{}\n{}", out.stdout(), out.stderr());
}

#[test]
fn tests_outside_the_rootdir_with_the_same_node_id_both_run() {
    // `testpaths = tests ../shared`: pytest names both files
    // `tests/test_api.py`; the shared one fails.
    let dir = project(&[
        (
            "shared/tests/test_api.py",
            "def test_smoke():\n    assert False, \"shared api broken\"\n",
        ),
        (
            "app/pytest.ini",
            "[pytest]\ntestpaths = tests ../shared\naddopts = --import-mode=importlib\n",
        ),
        ("app/tests/test_api.py", "def test_smoke():\n    pass\n"),
    ]);
    let app = dir.path().join("app");
    let listed = bktec_in(&app)
        .args(["list", "--discovery", "pytest"])
        .output();
    listed.assert_success();
    assert_eq!(
        listed.stdout(),
        "tests/test_api.py\n../shared/tests/test_api.py\n"
    );
    let outputs = run_jobs(2, |i| {
        bktec_in(&app)
            .args(["run", "--discovery", "pytest", "--result-path"])
            .arg(format!("results/node-{i}.json"))
    });
    let mut codes: Vec<Option<i32>> = outputs.iter().map(|o| o.code()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(1)],
        "the shared failure runs in one job"
    );
}
