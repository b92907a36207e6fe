//! Parallel coverage (D20): N bktec processes with BUILDKITE_PARALLEL_JOB
//! 0..N-1 over the example project run every discovered file exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;

use crate::support::{TestDir, Venv, copy_tree, repo_root, run_jobs, venv};

#[test]
fn every_file_runs_exactly_once_across_nodes() {
    let dir = TestDir::new();
    copy_tree(&repo_root().join("examples/pytest"), dir.path());
    let listed = dir.bktec().arg("list").output();
    listed.assert_success();
    let discovered: BTreeSet<String> = listed.stdout().lines().map(str::to_string).collect();
    assert!(discovered.len() >= 10, "{discovered:?}");

    for n in [1, 2, 3, 5] {
        let outputs = run_jobs(n, |i| {
            dir.bktec().path_prepend(&venv(Venv::Collector)).args([
                "run",
                "--result-path",
                &format!("results/{n}/node-{i}.json"),
            ])
        });
        for out in outputs {
            assert!(out.output.status.success(), "{}", out.stdout());
        }
        let mut files_by_node: BTreeMap<String, usize> = BTreeMap::new();
        let mut tests: BTreeMap<String, usize> = BTreeMap::new();
        for i in 0..n {
            let path = dir.path().join(format!("results/{n}/node-{i}.json"));
            let results: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            let mut files_here = BTreeSet::new();
            for t in results.as_array().unwrap() {
                files_here.insert(t["file_name"].as_str().unwrap().to_string());
                *tests
                    .entry(format!(
                        "{}::{}",
                        t["scope"].as_str().unwrap(),
                        t["name"].as_str().unwrap()
                    ))
                    .or_default() += 1;
            }
            for f in files_here {
                *files_by_node.entry(f).or_default() += 1;
            }
        }
        let ran: BTreeSet<String> = files_by_node.keys().cloned().collect();
        assert_eq!(ran, discovered, "with {n} nodes every discovered file runs");
        assert!(
            files_by_node.values().all(|&c| c == 1),
            "with {n} nodes no file runs twice: {files_by_node:?}"
        );
        assert!(
            tests.values().all(|&c| c == 1),
            "with {n} nodes no test runs twice"
        );
    }
}
