//! The real test runners of issue 14 (rspec, jest, vitest, playwright, go,
//! cucumber): installed by `scripts/runner-tools.sh`, never mocked. A test
//! whose tool is missing fails with the command that installs it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{BktecCmd, TestDir, copy_tree, repo_root};

/// `target/node/node_modules/.bin`, where the npm runners are.
pub fn node_bin() -> PathBuf {
    repo_root().join("target/node/node_modules/.bin")
}

/// Runs `scripts/runner-tools.sh` once per test binary (cheap when the
/// tools are there) and fails the test with its message when it cannot
/// install them.
fn ensure_tools() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/runner-tools.sh"))
            .output()
            .map_err(|e| format!("could not run scripts/runner-tools.sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(err) = ready {
        panic!("the runner tools are not installed: {err}");
    }
}

/// A copy of `examples/<runner>` in a fresh directory, with the runner
/// tools installed and `tool` checked to be on PATH.
pub fn example(runner: &str, tool: &str) -> TestDir {
    ensure_tools();
    let found = Command::new("bash")
        .args(["-c", "command -v \"$1\"", "bash", tool])
        .env("PATH", search_path())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is not on PATH; run scripts/runner-tools.sh (it prints the apt-get command)"
    );
    let dir = TestDir::new();
    let source = repo_root().join("examples").join(runner);
    copy_tree(&source, dir.path());
    // A JavaScript demo gets the pinned runners as its own `node_modules`,
    // so its default `npx ...` command finds them without a download.
    if source.join("package.json").exists() {
        std::os::unix::fs::symlink(
            repo_root().join("target/node/node_modules"),
            dir.path().join("node_modules"),
        )
        .expect("link node_modules");
    }
    dir
}

/// PATH with the npm runners first.
fn search_path() -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{old}", node_bin().display())
}

/// `bktec` in `dir`, with the npm runners on PATH and Go's caches kept
/// under `target/` (shared by the tests, so Go builds once).
pub fn bktec(dir: &TestDir) -> BktecCmd {
    let go = repo_root().join("target/go");
    dir.bktec()
        .env("PATH", search_path())
        .env("GOCACHE", go.join("cache").display().to_string())
        .env("GOPATH", go.join("path").display().to_string())
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
}

/// The result file at `path` parsed as `format`, for a test that checks
/// what a real tool wrote.
pub fn parse(
    path: &std::path::Path,
    format: bktec::results::ResultFormat,
) -> bktec::results::ParsedResults {
    bktec::results::parse(path, format, bktec::results::Mapping::Custom)
        .unwrap_or_else(|e| panic!("cannot parse `{}`: {e:?}", path.display()))
}

/// A Test Engine stand-in that splits into examples the files whose path
/// ends with one of `split`: filter_tests answers with them, and the plan
/// deals the selectors and examples of the create-plan request round-robin
/// (sorted) over the jobs; it is then served to every job.
pub fn splitting_engine(split: &'static [&'static str]) -> super::stand_in::StandIn {
    use serde_json::{Value, json};

    use super::stand_in::{Reply, StandIn, query_value};

    let mut plans: std::collections::BTreeMap<String, Value> = Default::default();
    StandIn::start(move |req| {
        let path = req.url.split('?').next().unwrap_or_default().to_string();
        if req.method == "GET" && path.ends_with("/test_plan") {
            let identifier = query_value(&req.url, "identifier").unwrap_or_default();
            return match plans.get(&identifier) {
                Some(plan) => Reply::json(200, plan.clone()),
                None => Reply::message(404, "Test plan not found"),
            };
        }
        if path.ends_with("/test_plan/filter_tests") {
            let body = req.json();
            let files: Vec<Value> = body["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| {
                    let p = f["path"].as_str().unwrap_or_default();
                    split.iter().any(|s| p.ends_with(s))
                })
                .map(|f| json!({"path": f["path"]}))
                .collect();
            return Reply::json(200, json!({ "tests": files }));
        }
        if path.ends_with("/test_plan") {
            let body = req.json();
            let identifier = body["identifier"].as_str().unwrap_or_default().to_string();
            let plan = plans.entry(identifier.clone()).or_insert_with(|| {
                let jobs = body["parallelism"].as_u64().unwrap_or(1);
                let mut items: Vec<(String, Value)> = Vec::new();
                for s in body["tests"]["selectors"].as_array().into_iter().flatten() {
                    let value = s["value"].as_str().unwrap_or_default().to_string();
                    items.push((value.clone(), json!({"format": "selector", "value": value})));
                }
                for e in body["tests"]["examples"].as_array().into_iter().flatten() {
                    let key = e["path"].as_str().unwrap_or_default().to_string();
                    let mut test = e.clone();
                    test["format"] = json!("example");
                    items.push((key, test));
                }
                items.sort_by(|a, b| a.0.cmp(&b.0));
                let mut tasks = serde_json::Map::new();
                for job in 0..jobs {
                    let tests: Vec<Value> = items
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i as u64 % jobs == job)
                        .map(|(_, (_, t))| t.clone())
                        .collect();
                    tasks.insert(job.to_string(), json!({"node_number": job, "tests": tests}));
                }
                json!({"identifier": identifier, "parallelism": jobs, "tasks": tasks})
            });
            return Reply::json(200, plan.clone());
        }
        Reply::json(200, json!({}))
    })
}
