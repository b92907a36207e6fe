//! What the witness (D23) adds to an attempt's result file: failures the
//! result file does not show (collector JSON reports a test whose fixture
//! teardown failed as passed), and which silent targets provably held no
//! tests.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::plan::file_of;

use crate::results::{
    Outcome, PathOffset, TestResult, Witness, WitnessOutcome, junit_classname, split_node_id,
    uncovered,
};

/// Marks as failed every result that the witness saw fail, and adds the
/// failures the result file left out. A failure whose test name the result
/// file already records as failed is the same test under another spelling
/// of its id (JUnit rebuilds ids from class names) and is not added twice.
pub(super) fn apply_witness(tests: &mut Vec<TestResult>, witness: &Witness) {
    name_by_witness(tests, witness);
    for test in tests.iter_mut() {
        match witness.outcomes.get(&test.path) {
            Some(WitnessOutcome::Failed) => test.outcome = Outcome::Failed,
            // The collector reports an expected failure as a skip (D44).
            Some(WitnessOutcome::Xfailed) if test.outcome == Outcome::Skipped => {
                test.outcome = Outcome::ExpectedFailure;
            }
            Some(WitnessOutcome::Passed | WitnessOutcome::Skipped | WitnessOutcome::Xfailed)
            | None => {}
        }
    }
    let known: HashSet<&str> = tests.iter().map(|t| t.path.as_str()).collect();
    let failed_names: HashSet<&str> = tests
        .iter()
        .filter(|t| t.outcome == Outcome::Failed)
        .map(|t| t.name.as_str())
        .collect();
    let missing: Vec<TestResult> = witness
        .outcomes
        .iter()
        .filter(|(id, outcome)| **outcome == WitnessOutcome::Failed && !known.contains(id.as_str()))
        .filter_map(|(id, _)| {
            let (scope, name) = id.rsplit_once("::").unwrap_or(("", id.as_str()));
            (!failed_names.contains(name)).then(|| TestResult {
                scope: scope.to_string(),
                name: name.to_string(),
                path: id.clone(),
                identifier: String::new(),
                outcome: Outcome::Failed,
                duration: None,
                failure: None,
                output: None,
                location: None,
            })
        })
        .collect();
    tests.extend(missing);
}

/// Gives each result that the witness does not know by its id the node id
/// the witness saw for it. JUnit names a test by class name and name, and
/// a class name cannot say which of its dots were directories
/// (`tests.sub.dir.test_big` is `tests/sub.dir/test_big.py`); the witness,
/// inside pytest, knows (D23).
fn name_by_witness(tests: &mut [TestResult], witness: &Witness) {
    if tests.iter().all(|t| witness.outcomes.contains_key(&t.path)) {
        return;
    }
    let mut by_junit_name: HashMap<(String, &str), Option<&str>> = HashMap::new();
    for id in witness.outcomes.keys() {
        let (scope, name) = split_node_id(id);
        by_junit_name
            .entry((junit_classname(scope), name))
            .and_modify(|seen| *seen = None)
            .or_insert(Some(id.as_str()));
    }
    for test in tests.iter_mut() {
        if witness.outcomes.contains_key(&test.path) {
            continue;
        }
        let key = (test.scope.clone(), test.name.as_str());
        // Only a name that one node id alone answers to.
        if let Some(Some(id)) = by_junit_name.get(&key) {
            test.path = (*id).to_string();
        }
    }
}

/// Whether the silent targets provably held no tests, by the first run's
/// witness: pytest was given every one of them, and none of the tests it
/// selected lies in one. `None` when the witness cannot say: it did not
/// load, did not see the selection, or pytest was never given a silent
/// target (a wrapper script that drops arguments), whose silence proves
/// nothing (D23).
pub(super) fn silent_targets_quiet(
    silent: &[String],
    first: Option<&Witness>,
    offset: &PathOffset,
) -> Option<bool> {
    let witness = first?;
    // Absolute on both sides: a test command may `cd` before it runs
    // pytest, and a path is only the same file from the same directory.
    let cwd = std::env::current_dir().ok()?;
    let given: HashSet<(PathBuf, &str)> = witness
        .given
        .as_ref()?
        .iter()
        .map(|arg| as_given(Path::new("/"), arg))
        .collect();
    if !silent
        .iter()
        .all(|target| given.contains(&as_given(&cwd, target)))
    {
        return None;
    }
    let selected = witness.selected.as_ref()?;
    let still_silent = uncovered(silent, selected.iter().map(String::as_str), offset);
    Some(still_silent.len() == silent.len())
}

/// A target (relative to `base`) or an argument pytest was given
/// (absolute), as the two are compared: its file's absolute path without
/// `.` steps, and a node id's `::` part. pytest was
/// given a target only when it was given that very file or node id: a
/// directory that holds it is no proof (pytest may not collect the file
/// from there), nor is another test of the same file.
fn as_given<'t>(base: &Path, text: &'t str) -> (PathBuf, &'t str) {
    let file = file_of(text);
    let path = base
        .join(file)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    (path, &text[file.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, outcome: Outcome) -> TestResult {
        let (scope, name) = id.rsplit_once("::").unwrap();
        TestResult {
            location: None,
            scope: scope.into(),
            name: name.into(),
            path: id.into(),
            identifier: String::new(),
            outcome,
            duration: None,
            failure: None,
            output: None,
        }
    }

    fn witness(selected: &[&str], outcomes: &[(&str, &str)]) -> Witness {
        let outcomes: serde_json::Map<String, serde_json::Value> = outcomes
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        let here = std::env::current_dir().unwrap().display().to_string();
        serde_json::from_value(serde_json::json!({
            "rootdir_from_cwd": ".", "cwd_from_rootdir": ".", "given": [here],
            "selected": selected, "deselected": 0, "outcomes": outcomes,
        }))
        .unwrap()
    }

    #[test]
    fn teardown_errors_the_collector_calls_passes_are_failures() {
        let mut tests = vec![
            result("t.py::td", Outcome::Passed),
            result("t.py::ok", Outcome::Passed),
        ];
        let w = witness(
            &["t.py::td", "t.py::ok", "t.py::gone"],
            &[
                ("t.py::td", "failed"),
                ("t.py::ok", "passed"),
                ("t.py::gone", "failed"),
            ],
        );
        apply_witness(&mut tests, &w);
        let outcomes: Vec<(&str, &Outcome)> = tests
            .iter()
            .map(|t| (t.path.as_str(), &t.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("t.py::td", &Outcome::Failed),
                ("t.py::ok", &Outcome::Passed),
                ("t.py::gone", &Outcome::Failed)
            ]
        );
    }

    #[test]
    fn a_failure_already_recorded_under_another_id_is_not_added_twice() {
        let mut tests = vec![result("pkg/check.py::TestA::test_x", Outcome::Failed)];
        let w = witness(&[], &[("pkg/check_a.py::TestA::test_x", "failed")]);
        apply_witness(&mut tests, &w);
        assert_eq!(tests.len(), 1);
    }

    #[test]
    fn silent_targets_are_quiet_only_when_nothing_in_them_was_selected() {
        let silent = vec!["tests/helpers.py".to_string(), "tests/b.py".to_string()];
        let here = std::env::current_dir().unwrap();
        let given: Vec<String> = ["tests/a.py", "tests/b.py", "tests/helpers.py"]
            .map(|f| here.join(f).display().to_string())
            .to_vec();
        let mut w = witness(&["tests/a.py::t"], &[]);
        w.given = Some(given.clone());
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            Some(true)
        );
        let mut w = witness(&["tests/a.py::t", "tests/b.py::t"], &[]);
        w.given = Some(given);
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            Some(false)
        );
        assert_eq!(silent_targets_quiet(&silent, None, &PathOffset::Same), None);
    }

    /// A wrapper script that passes pytest only its first argument: the
    /// silent target was never collected, so its silence proves nothing.
    #[test]
    fn a_silent_target_pytest_was_never_given_is_not_proven_quiet() {
        let silent = vec!["tests/b.py".to_string()];
        let here = std::env::current_dir().unwrap();
        let mut w = witness(&["tests/a.py::t"], &[]);
        w.given = Some(vec![here.join("tests/a.py").display().to_string()]);
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            None
        );
        // A directory that holds it is no proof: pytest may not collect
        // the file from there.
        w.given = Some(vec![here.join("tests").display().to_string()]);
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            None
        );
        w.given = Some(vec![here.join("tests/b.py").display().to_string()]);
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            Some(true)
        );
        // A node id is given as that node id, not as another of its file.
        let node = vec!["tests/b.py::test_8".to_string()];
        w.given = Some(vec![format!(
            "{}::test_0",
            here.join("tests/b.py").display()
        )]);
        assert_eq!(
            silent_targets_quiet(&node, Some(&w), &PathOffset::Same),
            None
        );
        w.given = Some(vec![format!(
            "{}::test_8",
            here.join("tests/b.py").display()
        )]);
        assert_eq!(
            silent_targets_quiet(&node, Some(&w), &PathOffset::Same),
            Some(true)
        );
        w.given = None;
        assert_eq!(
            silent_targets_quiet(&silent, Some(&w), &PathOffset::Same),
            None
        );
    }
}
