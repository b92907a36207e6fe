use std::collections::{BTreeMap, HashSet};

use super::align::plain;
use super::model::{Task, TestCase, TestPlan};

/// `targets` without repeats: a target named twice (`a.py`, `./a.py`) is
/// kept once, and a test or class inside a file or class that is itself a
/// target (`a.py` and `a.py::test_x`) is dropped, since the file runs it.
/// Returns the targets kept, in their order, and those dropped.
pub(crate) fn distinct_targets(targets: &[String]) -> (Vec<String>, Vec<String>) {
    let keys: HashSet<&str> = targets.iter().map(|t| plain(t)).collect();
    let mut seen = HashSet::new();
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for target in targets {
        let key = plain(target);
        let inside_another = key
            .match_indices("::")
            .any(|(i, _)| keys.contains(&key[..i]));
        if inside_another || !seen.insert(key) {
            dropped.push(target.clone());
        } else {
            kept.push(target.clone());
        }
    }
    (kept, dropped)
}

/// The local plan (behaviour document 12.1, D20): targets sorted byte-wise
/// (duplicates kept; see [`distinct_targets`]) and dealt round-robin over `parallelism` nodes. Every
/// node computes the same plan from the same targets.
pub(crate) fn local_plan(targets: &[String], parallelism: u32) -> TestPlan {
    let parallelism = parallelism.max(1);
    let mut sorted: Vec<&String> = targets.iter().collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut tasks: BTreeMap<String, Task> = (0..parallelism)
        .map(|i| {
            (
                i.to_string(),
                Task {
                    node_number: i,
                    tests: Vec::new(),
                },
            )
        })
        .collect();
    for (i, target) in sorted.into_iter().enumerate() {
        let node = u32::try_from(i).expect("fewer targets than u32::MAX") % parallelism;
        tasks
            .get_mut(&node.to_string())
            .expect("every node has a task")
            .tests
            .push(TestCase::for_path(target.clone()));
    }
    TestPlan::of_tasks(parallelism, tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(plan: &TestPlan, i: u32) -> Vec<&str> {
        plan.task_tests(i)
            .unwrap()
            .iter()
            .map(TestCase::runnable)
            .collect()
    }

    #[test]
    fn sorted_round_robin() {
        let targets: Vec<String> = ["a", "c", "b", "e", "d"].map(String::from).to_vec();
        let plan = local_plan(&targets, 3);
        assert_eq!(node(&plan, 0), ["a", "d"]);
        assert_eq!(node(&plan, 1), ["b", "e"]);
        assert_eq!(node(&plan, 2), ["c"]);
    }

    #[test]
    fn more_nodes_than_targets_leaves_some_empty() {
        let plan = local_plan(&["x".to_string()], 3);
        assert_eq!(node(&plan, 0), ["x"]);
        assert!(node(&plan, 2).is_empty());
    }
}

#[cfg(test)]
mod distinct_tests {
    use super::*;

    #[test]
    fn repeats_and_tests_inside_a_target_file_go() {
        let targets: Vec<String> = [
            "tests/a.py",
            "./tests/a.py",
            "tests/a.py::test_x",
            "tests/b.py::C",
            "tests/b.py::C::test_y[p::q]",
            "tests/b.py::D::test_z",
            "tests/a.py",
        ]
        .map(String::from)
        .to_vec();
        let (kept, dropped) = distinct_targets(&targets);
        assert_eq!(
            kept,
            ["tests/a.py", "tests/b.py::C", "tests/b.py::D::test_z"]
        );
        assert_eq!(
            dropped,
            [
                "./tests/a.py",
                "tests/a.py::test_x",
                "tests/b.py::C::test_y[p::q]",
                "tests/a.py"
            ]
        );
    }
}
