//! The real test runners of issue 14 (rspec, jest, vitest, playwright, go,
//! cucumber): installed by `scripts/runner-tools.sh`, never mocked. A test
//! whose tool is missing fails with the command that installs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bktec::results::{Outcome, ParsedResults, parse_jest_json};
use serde_json::Value;

use super::stand_in::StandIn;
use super::{BktecCmd, RunOutput, TestDir, copy_tree, repo_root, run_jobs};

/// `target/node/node_modules/.bin`, where the npm runners are.
pub fn node_bin() -> PathBuf {
    repo_root().join("target/node/node_modules/.bin")
}

/// Runs `scripts/runner-tools.sh` once per test binary (cheap when the
/// tools are there) and fails the test with its message when it cannot
/// install them.
pub fn ensure_tools() {
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
pub fn parse(path: &Path, format: bktec::results::ResultFormat) -> ParsedResults {
    bktec::results::parse(path, format, bktec::results::Mapping::Custom)
        .unwrap_or_else(|e| panic!("cannot parse `{}`: {e:?}", path.display()))
}

/// Each test of `parsed` by its path: its scope, name and outcome.
pub fn by_path(parsed: &ParsedResults) -> BTreeMap<&str, (&str, &str, &Outcome)> {
    parsed
        .tests
        .iter()
        .map(|t| {
            (
                t.path.as_str(),
                (t.scope.as_str(), t.name.as_str(), &t.outcome),
            )
        })
        .collect()
}

/// Asserts that `parsed` holds exactly the tests `want`, as (path, scope,
/// name, outcome) sorted by path.
#[track_caller]
pub fn assert_tests_are(parsed: ParsedResults, want: &[(&str, &str, &str, Outcome)]) {
    let mut got: Vec<(String, String, String, Outcome)> = parsed
        .tests
        .into_iter()
        .map(|t| (t.path, t.scope, t.name, t.outcome))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, String, String, Outcome)> = want
        .iter()
        .map(|(p, s, n, o)| (p.to_string(), s.to_string(), n.to_string(), o.clone()))
        .collect();
    assert_eq!(got, want);
}

/// `bktec run` in `dir`, writing its results to `result`.
pub fn run(dir: &TestDir, result: &str) -> RunOutput {
    bktec(dir).args(["run", "--result-path", result]).output()
}

/// `bktec run` in `dir` on the tests listed in `rows` (written to
/// `files.txt`), writing its results to `result`.
pub fn run_listed(dir: &TestDir, rows: &str, result: &str) -> RunOutput {
    dir.write("files.txt", rows);
    bktec(dir)
        .args(["run", "--files", "files.txt", "--result-path", result])
        .output()
}

/// `bktec run` in `dir` as the two jobs of one build, each `setup` first
/// and job i writing `out/job-{i}.{ext}`. Asserts that each job passed and,
/// when given, printed `command`; returns what `ids` reads from the jobs'
/// result files, sorted, so the caller can check every test ran once.
#[track_caller]
pub fn two_jobs_ids(
    dir: &TestDir,
    ext: &str,
    setup: impl Fn(BktecCmd) -> BktecCmd,
    command: Option<&str>,
    ids: impl Fn(&Path) -> Vec<String>,
) -> Vec<String> {
    let outs = run_jobs(2, |i| {
        setup(bktec(dir)).args(["run", "--result-path", &format!("out/job-{i}.{ext}")])
    });
    let mut seen = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        out.assert_success();
        if let Some(command) = command {
            out.assert_stdout_contains(command);
        }
        seen.extend(ids(&dir.path().join(format!("out/job-{i}.{ext}"))));
    }
    seen.sort();
    seen
}

/// `bktec run` in `dir` with two retries, the demo's flaky test failing
/// once: asserts that the run passed after one retry whose command line
/// holds `retry_line`, and returns the output for the runner's own checks.
#[track_caller]
pub fn assert_flaky_passes_on_retry(dir: &TestDir, result: &str, retry_line: &str) -> RunOutput {
    let markers = TestDir::new();
    let out = bktec(dir)
        .env(
            "BKTEC_EXAMPLE_FLAKY_DIR",
            markers.path().display().to_string(),
        )
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", result])
        .output();
    out.assert_success()
        .assert_stdout_contains("♻️ Attempt 1 of 2 to retry failing tests")
        .assert_stdout_contains(retry_line)
        .assert_stdout_contains("✅ All tests passed; 1 of them only on a retry (flaky).")
        .assert_stdout_contains("+++ ========== Buildkite Test Engine Report");
    out
}

/// `bktec run` in `dir` with one retry, the demo's `failed` test failing
/// every time: asserts that the run retried once and still failed with
/// exit 1, the runner (`display`) reported as exiting with status 1.
#[track_caller]
pub fn assert_real_failure_stays_red(
    dir: &TestDir,
    result: &str,
    failed: &str,
    display: &str,
) -> RunOutput {
    let out = bktec(dir)
        .env("BKTEC_EXAMPLE_FAIL", "1")
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1")
        .args(["run", "--result-path", result])
        .output();
    out.assert_exit(1)
        .assert_stdout_contains("Attempt 1 of 1")
        .assert_stdout_contains(&format!("- {failed}"))
        .assert_stderr_contains(&format!("{display} exited with error: exit status 1"));
    out
}

/// `bktec run` in `dir` with two retries allowed, for a run that must end
/// without any: asserts that no retry started and returns the output for
/// the runner's own checks of how it ended.
#[track_caller]
pub fn assert_ends_without_retries(dir: &TestDir, result: &str) -> RunOutput {
    let out = bktec(dir)
        .env("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "2")
        .args(["run", "--result-path", result])
        .output();
    assert!(!out.stdout().contains("Attempt 1"), "{}", out.stdout());
    out
}

/// The body of the request that asked `engine` to create the plan.
pub fn created_plan(engine: &StandIn) -> Value {
    let created = engine.requests_to("/test_plan");
    created
        .iter()
        .find(|r| r.method == "POST")
        .expect("a create-plan request")
        .json()
}

/// The identifiers of the examples a create-plan request sent.
pub fn example_ids(body: &Value) -> Vec<&str> {
    body["tests"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["identifier"].as_str().unwrap())
        .collect()
}

/// Jest or Vitest on its demo: both write Jest's JSON format and the two
/// demos hold the same tests, so their checks differ only in these.
pub struct JestLike {
    /// `jest` or `vitest`: the example, the tool and the fixture directory.
    pub name: &'static str,
    /// The name bktec gives the runner in its messages.
    pub display: &'static str,
    /// The id of the demo's one test under `__tests__/`.
    pub stock_test: &'static str,
    /// What the first attempt's command line starts with.
    pub command: &'static str,
}

impl JestLike {
    /// A copy of the runner's demo.
    pub fn project(&self) -> TestDir {
        example(self.name, self.name)
    }

    /// The result file at `path`, with paths relative to `root`.
    fn results(&self, path: &Path, root: &Path) -> ParsedResults {
        let bytes = std::fs::read(path).unwrap();
        parse_jest_json(&bytes, path, root, self.display).unwrap()
    }

    /// Checks what the parser makes of `tests/fixtures/<name>/failures.json`,
    /// a file the real runner wrote.
    #[track_caller]
    pub fn assert_parses_its_fixture(&self) {
        let path = repo_root()
            .join("tests/fixtures")
            .join(self.name)
            .join("failures.json");
        let parsed = self.results(&path, Path::new("/project"));
        let by_path = by_path(&parsed);
        assert_eq!(by_path.len(), 6, "{by_path:#?}");
        assert_eq!(
            by_path["src/checkout.test.js::Checkout with a card charges once"],
            ("Checkout with a card", "charges once", &Outcome::Failed)
        );
        assert_eq!(
            by_path["src/checkout.test.js::Checkout ships abroad"].2,
            &Outcome::Skipped
        );
        assert_eq!(
            by_path[self.stock_test],
            ("", "counts items", &Outcome::Passed)
        );
        assert_eq!(
            parsed.run_error,
            Some(format!(
                "{} failed with runtime error test suites: src/broken.test.js",
                self.display
            ))
        );
    }

    /// Checks that two jobs run each of the demo's tests exactly once.
    #[track_caller]
    pub fn assert_two_jobs_run_every_test_once(&self) {
        let dir = self.project();
        let seen = two_jobs_ids(
            &dir,
            "json",
            |cmd| cmd,
            Some(self.command),
            |path| {
                let parsed = self.results(path, dir.path());
                parsed.tests.into_iter().map(|t| t.path).collect()
            },
        );
        assert_eq!(
            seen,
            [
                self.stock_test,
                "src/cart.test.js::Cart adds up prices",
                "src/cart.test.js::Cart applies a discount (10% off)",
                "src/checkout.test.js::Checkout prints a receipt",
                "src/checkout.test.js::Checkout ships abroad",
                "src/checkout.test.js::Checkout with a card charges once",
            ]
        );
    }

    /// Checks that the flaky test passes on a retry that names it, and that
    /// the retry's skips of its file's other tests are not recorded.
    #[track_caller]
    pub fn assert_flaky_test_passes_on_retry_by_name(&self) {
        let dir = self.project();
        let out = assert_flaky_passes_on_retry(
            &dir,
            "out/r.json",
            "--outputFile out/r.json --testNamePattern '^(?:Checkout with a card charges once)$'\n",
        );
        out.assert_stdout_contains("|         | on retry  | 1 |");
        // The retry ran the one test; its file's other tests were skipped by
        // the pattern and are not recorded as skipped.
        let retry = std::fs::read_to_string(dir.path().join("out/r.json")).unwrap();
        assert!(retry.contains("\"numPassedTests\":1"), "{retry}");
        out.assert_stdout_contains("| Skipped |           | 1 |");
    }

    /// Checks that a test failing every time fails the run after retries.
    #[track_caller]
    pub fn assert_real_failure_stays_red(&self) {
        // Named by its file (and line, where the result file has it),
        // then its name (issue 21 item 4).
        assert_real_failure_stays_red(
            &self.project(),
            "out/r.json",
            "src/cart.test.js",
            self.display,
        )
        .assert_stdout_contains(" › Cart applies a discount (10% off)\n");
    }

    /// Checks that a test file that does not load ends the run (exit 1,
    /// naming the file) without retries.
    #[track_caller]
    pub fn assert_suite_that_does_not_load_ends_the_run(&self) {
        let dir = self.project();
        dir.write("src/broken.test.js", "this is not javascript\n");
        assert_ends_without_retries(&dir, "out/r.json")
            .assert_exit(1)
            .assert_stdout_contains(&format!(
                "{} failed with runtime error test suites: src/broken.test.js",
                self.display
            ));
    }

    /// Checks that `-t.test.js`, written with `source`, reaches the runner
    /// as `./-t.test.js`, a file, and not as its `-t` (test name pattern)
    /// option (D24).
    #[track_caller]
    pub fn assert_file_named_like_an_option_runs_as_a_file(&self, source: &str) {
        let dir = self.project();
        dir.write("-t.test.js", source);
        run(&dir, "out/r.json")
            .assert_success()
            .assert_stdout_contains(" ./-t.test.js ");
        let retry = std::fs::read_to_string(dir.path().join("out/r.json")).unwrap();
        assert!(retry.contains("-t.test.js\""), "{retry}");
    }
}

/// A Test Engine stand-in that splits into examples the files whose path
/// ends with one of `split`: filter_tests answers with them, and the plan
/// deals the selectors and examples of the create-plan request round-robin
/// (sorted) over the jobs; it is then served to every job.
pub fn splitting_engine(split: &'static [&'static str]) -> StandIn {
    use serde_json::json;

    use super::stand_in::{Reply, query_value};

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
