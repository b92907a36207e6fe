//! pytest projects for the tests: test files that pass, fail or are flaky,
//! and `bktec` set up to run them with real pytest.

use serde_json::json;

use super::{BktecCmd, TestDir, Venv, venv};

/// Two passing tests.
pub const PASSING: &str =
    "def test_one():\n    assert True\n\ndef test_two():\n    assert 1 + 1 == 2\n";
/// One passing and one failing test.
pub const FAILING: &str =
    "def test_ok():\n    assert True\n\ndef test_broken():\n    assert 1 == 2\n";
/// Fails on its first run and passes afterwards, counting runs in a file;
/// beside it a test that always passes.
pub const FLAKY: &str = r#"
import pathlib

COUNTER = pathlib.Path(__file__).with_name("flaky-runs.txt")

def test_flaky():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs >= 1

def test_steady():
    assert True
"#;

/// A directory holding `files` (path, content).
pub fn project(files: &[(&str, &str)]) -> TestDir {
    let dir = TestDir::new();
    for (path, content) in files {
        dir.write(path, content);
    }
    dir
}

/// `bktec` in `dir` with the pytest runner and pytest from `which`.
pub fn bktec(dir: &TestDir, which: Venv) -> BktecCmd {
    bktec_at(dir.path(), which)
}

/// `bktec` in `dir` (a project's sub-directory, say) with the pytest
/// runner and pytest from `which`.
pub fn bktec_at(dir: &std::path::Path, which: Venv) -> BktecCmd {
    BktecCmd::new(dir)
        .path_prepend(&venv(which))
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
}

/// Writes `plan.json`: one job running `paths`, with `muted` (scope, name)
/// muted by Test Engine.
pub fn write_plan(dir: &TestDir, paths: &[&str], muted: &[(&str, &str)]) {
    let tests: Vec<_> = paths.iter().map(|p| json!({ "path": p })).collect();
    let muted: Vec<_> = muted
        .iter()
        .map(|(scope, name)| json!({ "scope": scope, "name": name }))
        .collect();
    dir.write(
        "plan.json",
        &json!({
            "parallelism": 1,
            "tasks": {"0": {"node_number": 0, "tests": tests}},
            "muted_tests": muted
        })
        .to_string(),
    );
}

/// The node ids (`scope::name`) of the tests in the collector JSON result
/// file at `path`, in its order; `None` when there is no file (a job that
/// was given no tests writes none).
pub fn result_node_ids(path: &std::path::Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let results: serde_json::Value = serde_json::from_str(&text).expect("a result file is JSON");
    Some(
        results
            .as_array()
            .expect("a result file is an array")
            .iter()
            .map(|t| {
                format!(
                    "{}::{}",
                    t["scope"].as_str().unwrap(),
                    t["name"].as_str().unwrap()
                )
            })
            .collect(),
    )
}

/// How often each test ran in the `n` jobs whose result files are
/// `results/node-{i}.json` under `dir`; every job must have written one.
pub fn runs_of_jobs(dir: &std::path::Path, n: u32) -> std::collections::BTreeMap<String, usize> {
    let mut runs = std::collections::BTreeMap::new();
    for i in 0..n {
        let path = dir.join(format!("results/node-{i}.json"));
        let ids = result_node_ids(&path).unwrap_or_else(|| panic!("job {i} wrote no {path:?}"));
        for id in ids {
            *runs.entry(id).or_insert(0) += 1;
        }
    }
    runs
}
