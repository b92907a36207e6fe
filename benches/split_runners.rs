//! Time-aware local plans beyond pytest (issue 22, D51; prints figures, not
//! a timed test).
//!
//! For RSpec, Jest and Go, generates a project whose tests sleep for known
//! times (twelve files or packages of 0.1 to 1.2 s, about 7.8 s in all),
//! runs it once as one job, and keeps the history with `bktec durations
//! update` of the runner's own result file and the timing record beside it
//! (the job's start-up, D52). Then, for N = 3, bktec runs as
//! each job in turn (one after another, so the jobs do not compete for
//! cores) with the time-aware plan, and again with the durations file set
//! aside, for the sorted round-robin plan. Printed per runner: each job's
//! predicted and measured time, the predicted slowest job against the lower
//! bound (target <= 1.10), the measured slowest job against the mean job
//! (target <= 1.25), and the makespan of both plans.
//!
//! The jobs' results together must name every test exactly once, or the
//! bench panics: that is a correctness bug, not a timing.
//!
//! Needs the runners of `scripts/runner-tools.sh`, which it runs. Takes
//! about two minutes. Run with `cargo bench --bench split_runners`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
#![expect(
    clippy::disallowed_methods,
    reason = "the bench passes its own PATH and caches to bktec"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[expect(dead_code, reason = "the shared helpers this bench does not need")]
mod common;

use common::time;

const JOBS: u32 = 3;

/// Each target's sleep, in tenths of a second, by name: sorted round-robin
/// over three jobs deals a = 1.2 s, d, g and j to the first job.
const SLEEPS: [(&str, u64); 12] = [
    ("a", 12),
    ("b", 2),
    ("c", 1),
    ("d", 11),
    ("e", 3),
    ("f", 2),
    ("g", 10),
    ("h", 4),
    ("i", 3),
    ("j", 9),
    ("k", 8),
    ("l", 13),
];

/// A runner, how its project is written, and where its results are.
struct Runner {
    name: &'static str,
    /// The example whose configuration the project starts from.
    example: &'static str,
    /// Writes the test of target `name` sleeping `ms`; returns its name in
    /// the results.
    write: fn(&Path, &str, u64) -> String,
    result: &'static str,
    /// The tests a result file names.
    names: fn(&Path) -> Vec<String>,
}

const RUNNERS: [Runner; 3] = [
    Runner {
        name: "RSpec",
        example: "rspec",
        write: |dir, name, ms| {
            write(
                &dir.join(format!("spec/{name}_spec.rb")),
                &format!(
                    "RSpec.describe \"{name}\" do\n  it \"sleeps\" do\n    sleep {}\n  end\nend\n",
                    ms as f64 / 1000.0
                ),
            );
            format!("{name} sleeps")
        },
        result: "tmp/r.json",
        names: |path| {
            json(path)["examples"]
                .as_array()
                .expect("RSpec JSON has examples")
                .iter()
                .map(|e| {
                    e["full_description"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        },
    },
    Runner {
        name: "Jest",
        example: "jest",
        write: |dir, name, ms| {
            write(
                &dir.join(format!("src/{name}.test.js")),
                &format!(
                    "test(\"{name} sleeps\", () => new Promise((done) => setTimeout(done, {ms})));\n"
                ),
            );
            format!("{name} sleeps")
        },
        result: "tmp/r.json",
        names: |path| {
            json(path)["testResults"]
                .as_array()
                .expect("Jest JSON has testResults")
                .iter()
                .flat_map(|f| {
                    f["assertionResults"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|a| a["title"].as_str().unwrap_or_default().to_string())
                .collect()
        },
    },
    Runner {
        name: "Go",
        example: "gotest",
        write: |dir, name, ms| {
            write(
                &dir.join(format!("{name}/{name}_test.go")),
                &format!(
                    "package {name}\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSleeps(t *testing.T) {{\n\ttime.Sleep({ms} * time.Millisecond)\n}}\n"
                ),
            );
            format!("{name} TestSleeps")
        },
        result: "tmp/r.jsonl",
        names: |path| {
            fs::read_to_string(path)
                .expect("read the go test -json stream")
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|e| e["Action"] == "pass" && e["Test"].is_string())
                .map(|e| {
                    let package = e["Package"].as_str().unwrap_or_default();
                    let package = package.rsplit('/').next().unwrap_or(package);
                    format!("{package} {}", e["Test"].as_str().unwrap_or_default())
                })
                .collect()
        },
    },
];

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create a dir");
    fs::write(path, text).expect("write a test file");
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).expect("read a result file")).expect("JSON")
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/runner-tools.sh"))
        .stdout(Stdio::null())
        .status()
        .expect("run scripts/runner-tools.sh");
    assert!(status.success(), "scripts/runner-tools.sh failed");
    println!(
        "N = {JOBS}; each project: {} targets, {:.1} s of sleeping",
        SLEEPS.len(),
        SLEEPS.iter().map(|(_, t)| *t as f64 / 10.0).sum::<f64>()
    );
    for runner in &RUNNERS {
        bench(runner);
    }
}

/// The project of `runner`: its example's configuration, its own tests
/// replaced by the sleeping ones; the names of the tests it holds.
fn project(runner: &Runner) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("create the project dir");
    let example = repo_root().join("examples").join(runner.example);
    for keep in [
        "bktec.toml",
        "package.json",
        "go.mod",
        "spec/spec_helper.rb",
    ] {
        if example.join(keep).exists() {
            write(
                &dir.path().join(keep),
                &fs::read_to_string(example.join(keep)).expect("read the example"),
            );
        }
    }
    if example.join("package.json").exists() {
        std::os::unix::fs::symlink(
            repo_root().join("target/node/node_modules"),
            dir.path().join("node_modules"),
        )
        .expect("link node_modules");
    }
    let mut names: Vec<String> = SLEEPS
        .iter()
        .map(|(name, tenths)| (runner.write)(dir.path(), name, tenths * 100))
        .collect();
    names.sort();
    (dir, names)
}

fn bktec(dir: &Path, job: u32, jobs: u32) -> Command {
    let go = repo_root().join("target/go");
    let path = std::env::var("PATH").unwrap_or_default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bktec"));
    cmd.current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{path}",
                repo_root().join("target/node/node_modules/.bin").display()
            ),
        )
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        // Go caches a package's passing result: every run must run it.
        .env("GOFLAGS", "-mod=mod -count=1")
        .env("GOPROXY", "off")
        .env("BUILDKITE_PARALLEL_JOB", job.to_string())
        .env("BUILDKITE_PARALLEL_JOB_COUNT", jobs.to_string())
        .stdin(Stdio::null());
    cmd
}

/// Each job's wall time over `JOBS` jobs, one after another; panics unless
/// their results name every test of `expected` exactly once.
fn run_jobs(runner: &Runner, dir: &Path, expected: &[String]) -> Vec<f64> {
    let mut ran = Vec::new();
    let times = (0..JOBS)
        .map(|job| {
            let mut cmd = bktec(dir, job, JOBS);
            cmd.args(["run", "--result-path", runner.result]);
            let wall = time(cmd).as_secs_f64();
            ran.extend((runner.names)(&dir.join(runner.result)));
            wall
        })
        .collect();
    ran.sort();
    assert_eq!(ran, expected, "{}: every test exactly once", runner.name);
    times
}

/// `bktec plan --explain`: the lower bound and each job's predicted time.
fn explain(dir: &Path) -> (f64, Vec<f64>) {
    let out = bktec(dir, 0, JOBS)
        .args(["plan", "--explain"])
        .output()
        .expect("run bktec plan --explain");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(out.status.success(), "bktec plan --explain failed: {text}");
    let seconds_after = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in:\n{text}"));
        line.split_once('s')
            .expect("seconds")
            .0
            .parse()
            .expect("a number")
    };
    let jobs = (0..JOBS)
        .map(|j| seconds_after(&format!("  job {j}: ")))
        .collect();
    (seconds_after("Lower bound: "), jobs)
}

fn bench(runner: &Runner) {
    let (dir, expected) = project(runner);
    let dir = dir.path();
    // Naming the durations file keeps a timing history from the first run:
    // the job's start-up goes to a timing record beside the result (D52).
    let mut history_run = bktec(dir, 0, 1);
    history_run.args([
        "run",
        "--durations-file",
        ".test_durations",
        "--result-path",
        runner.result,
    ]);
    time(history_run);
    let record = format!("{}.timing.json", runner.result);
    assert!(dir.join(&record).exists(), "{}: no {record}", runner.name);
    let mut update = bktec(dir, 0, 1);
    update.args(["durations", "update", runner.result, &record]);
    time(update);
    let history: BTreeMap<String, f64> =
        serde_json::from_slice(&fs::read(dir.join(".test_durations")).expect("the history"))
            .expect("a durations file");
    assert_eq!(history.len(), SLEEPS.len(), "{}: {history:?}", runner.name);
    let (bound, predicted) = explain(dir);
    let timed = run_jobs(runner, dir, &expected);
    fs::rename(dir.join(".test_durations"), dir.join("saved")).expect("set the history aside");
    let round_robin = run_jobs(runner, dir, &expected);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let list = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("{}:", runner.name);
    println!(
        "  time-aware : predicted (s) {} = slowest {:.2}x the bound {bound:.2} s (target <= 1.10)",
        list(&predicted),
        max(&predicted) / bound
    );
    let worst = timed
        .iter()
        .zip(&predicted)
        .map(|(m, p)| (m - p).abs() / m)
        .fold(0.0, f64::max);
    println!(
        "               measured (s) {} = slowest {:.2}x the mean (target <= 1.25); makespan {:.2} s; the worst prediction off by {:.0}%",
        list(&timed),
        max(&timed) / mean(&timed),
        max(&timed),
        worst * 100.0
    );
    println!(
        "  round-robin: measured (s) {} = slowest {:.2}x the mean; makespan {:.2} s ({:.0}% longer)",
        list(&round_robin),
        max(&round_robin) / mean(&round_robin),
        max(&round_robin),
        (max(&round_robin) / max(&timed) - 1.0) * 100.0
    );
}
