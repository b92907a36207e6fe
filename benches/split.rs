//! Split-quality benchmark (issue #11; prints figures, not a timed test).
//!
//! Generates a skewed pytest project whose tests sleep for known times (about
//! 24 s in all): 60 small files of fast tests, three slow files, and one file
//! of 14 s, far longer than total / N for every N here. Its modules cost
//! something too, as real ones do (D52): each sleeps when imported (0.6 s
//! the long file, 0.3 s each slow file, 20 ms each small file), the long
//! file has a module fixture of 0.4 s, and a session fixture takes 0.2 s.
//! One `bktec run --store-durations` with real pytest writes
//! `.test_durations` and the costs beside it; then, for
//! N = 2, 3, 4 and 8, bktec runs as each of the N jobs in turn (one after
//! another, so the jobs do not compete for cores) and `bktec plan --explain`
//! gives the predicted slowest job. The same is done with the durations file
//! removed, for the round-robin plan. Printed per N: predicted slowest job /
//! lower bound (target <= 1.05), measured slowest job / mean job (target <=
//! 1.15) and measured slowest job / lower bound. The lower bound (the larger
//! of total / N and the longest single test) is `--explain`'s, from the
//! measured history; measured times include each job's start-up (bktec,
//! Python, pytest collection), which the plan predicts from the costs and
//! the bound includes. Printed too: each job's predicted time against its
//! real one (target: within 10%).
//!
//! The union of the N jobs' results must hold every test exactly once; a
//! broken union panics, since that is a correctness bug, not a timing.
//!
//! Needs the Python environments of `scripts/python-env.sh`, which it runs.
//! Takes about three minutes. Run with `cargo bench --bench split`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
#![expect(
    clippy::disallowed_methods,
    reason = "the bench passes its own PATH, HOME, TMPDIR and LANG to bktec"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[expect(dead_code, reason = "this bench runs each job once, so no median")]
mod common;

use common::time;

use bktec::results::{Mapping, parse_collector_json};

const JOB_COUNTS: [u32; 4] = [2, 3, 4, 8];
/// The 14 s file: 28 tests cycling through these sleeps (ms).
const GIANT_SLEEPS: [u64; 4] = [200, 400, 600, 800];
const GIANT_TESTS: usize = 28;
/// The slow files: (name, tests, sleep per test in ms).
const SLOW_FILES: [(&str, usize, u64); 3] = [("a", 6, 600), ("b", 4, 600), ("c", 3, 400)];
const SMALL_FILES: usize = 60;
const SMALL_TESTS: usize = 3;
/// What importing each kind of file takes (ms), and the long file's
/// module fixture.
const GIANT_IMPORT_MS: u64 = 600;
const GIANT_FIXTURE_MS: u64 = 400;
const SLOW_IMPORT_MS: u64 = 300;
const SMALL_IMPORT_MS: u64 = 20;

/// How one plan did at one N.
struct Figures {
    /// Each job's predicted time by the history's durations (s).
    predicted: Vec<f64>,
    /// Each job's wall time (s).
    measured: Vec<f64>,
}

impl Figures {
    fn predicted_slowest(&self) -> f64 {
        self.predicted.iter().copied().fold(0.0, f64::max)
    }

    fn slowest(&self) -> f64 {
        self.measured.iter().copied().fold(0.0, f64::max)
    }

    /// The largest gap between a job's prediction and its real time, as a
    /// share of the real time.
    fn worst_error(&self) -> f64 {
        self.measured
            .iter()
            .zip(&self.predicted)
            .map(|(m, p)| (m - p).abs() / m)
            .fold(0.0, f64::max)
    }

    /// What a job takes beyond its prediction, on average.
    fn overhead(&self) -> f64 {
        let extra: f64 = self
            .measured
            .iter()
            .zip(&self.predicted)
            .map(|(m, p)| m - p)
            .sum();
        extra / self.measured.len() as f64
    }

    fn mean(&self) -> f64 {
        self.measured.iter().sum::<f64>() / self.measured.len() as f64
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("scripts/python-env.sh"))
        .stdout(Stdio::null())
        .status()
        .expect("run scripts/python-env.sh");
    assert!(status.success(), "scripts/python-env.sh failed");
    let venv = root.join("target/py/collector/bin");

    let project = tempfile::tempdir().expect("create the project dir");
    let project = project.path();
    let (expected, nominal) = generate(project);
    let results = project.join("results");
    fs::create_dir_all(&results).expect("create the results dir");
    println!(
        "project: {} tests in {} files, {:.1} s of sleeping ({} s in the one long file)",
        expected.len(),
        SMALL_FILES + SLOW_FILES.len() + 1,
        nominal,
        GIANT_TESTS as u64 * GIANT_SLEEPS.iter().sum::<u64>() / GIANT_SLEEPS.len() as u64 / 1000,
    );
    let history = store_history(project, &venv, &results, &expected);
    for jobs in JOB_COUNTS {
        compare(project, &venv, jobs, &results, &expected, &history);
    }
}

/// Runs the whole suite once as one job with `--store-durations`, and
/// returns the history it stored.
fn store_history(
    project: &Path,
    venv: &Path,
    results: &Path,
    expected: &[String],
) -> BTreeMap<String, f64> {
    let result = results.join("store.json");
    let mut store = bktec(project, venv, 1, 0);
    store
        .args(["run", "--store-durations", "--result-path"])
        .arg(&result);
    let wall = time(store);
    assert_covered(expected, &[result], "the run that stores durations");
    let history: BTreeMap<String, f64> = serde_json::from_slice(
        &fs::read(project.join(".test_durations")).expect("read .test_durations"),
    )
    .expect(".test_durations is a JSON object of seconds");
    assert_eq!(
        history.keys().collect::<Vec<_>>(),
        expected.iter().collect::<Vec<_>>(),
        "the stored history names every test"
    );
    let samples: serde_json::Value = serde_json::from_slice(
        &fs::read(project.join(".test_durations.samples.json")).expect("read the samples"),
    )
    .expect("the samples file is JSON");
    let file_costs: f64 = samples["files"]
        .as_object()
        .expect("the samples hold file costs")
        .values()
        .filter_map(|v| v[0].as_f64())
        .sum();
    println!(
        "history: one job took {:.1} s; .test_durations holds {} tests, {:.2} s in all; the job's start-up {:.2} s, its files' import and set-up {file_costs:.2} s",
        wall.as_secs_f64(),
        history.len(),
        history.values().sum::<f64>(),
        samples["job"][0].as_f64().expect("a start-up was measured"),
    );
    history
}

/// Runs the suite over `jobs` jobs with the time-aware plan, then with the
/// round-robin plan (the durations file set aside), and prints both.
fn compare(
    project: &Path,
    venv: &Path,
    jobs: u32,
    results: &Path,
    expected: &[String],
    history: &BTreeMap<String, f64>,
) {
    let durations_file = project.join(".test_durations");
    let set_aside = project.join("durations.saved");
    let (bound, timed_predicted) = explain(project, venv, jobs);
    let timed = Figures {
        predicted: timed_predicted,
        measured: run_jobs(project, venv, jobs, results, "timed", expected),
    };
    // Without history: the round-robin plan, predicted by the same history.
    fs::rename(&durations_file, &set_aside).expect("set the durations file aside");
    let predicted = round_robin_predicted(project, venv, jobs, history);
    let round_robin = Figures {
        predicted,
        measured: run_jobs(project, venv, jobs, results, "round-robin", expected),
    };
    fs::rename(&set_aside, &durations_file).expect("restore the durations file");

    println!("N = {jobs}: lower bound {bound:.2} s");
    print_figures(
        "time-aware",
        &timed,
        bound,
        (" (target <= 1.05)", " (target <= 1.05 at N = 3 and 4)"),
    );
    print_figures("round-robin", &round_robin, bound, ("", ""));
    println!(
        "  coverage: both plans ran all {} tests, each exactly once",
        expected.len()
    );
}

/// The figures of one plan: predicted and measured slowest job against the
/// lower bound `bound`, with the `targets` of both ratios.
fn print_figures(label: &str, f: &Figures, bound: f64, targets: (&str, &str)) {
    println!(
        "  {label:<11}: predicted slowest {:.2} s = {:.2}x the bound{}; measured slowest {:.2} s = {:.2}x the mean{} and {:.2}x the bound",
        f.predicted_slowest(),
        f.predicted_slowest() / bound,
        targets.0,
        f.slowest(),
        f.slowest() / f.mean(),
        targets.1,
        f.slowest() / bound,
    );
    let jobs_text = f.measured.iter().fold(String::new(), |mut s, t| {
        let _ = write!(s, " {t:.2}");
        s
    });
    let predicted_text = f.predicted.iter().fold(String::new(), |mut s, t| {
        let _ = write!(s, " {t:.2}");
        s
    });
    println!(
        "  {:<11}  jobs (s):{jobs_text}; predicted (s):{predicted_text}; each beyond its prediction by {:.2} s on average, the worst by {:.0}% of its time",
        "",
        f.overhead(),
        f.worst_error() * 100.0
    );
}

/// Writes the project into `dir`: the node ids it holds, sorted, and its
/// seconds of sleeping.
fn generate(dir: &Path) -> (Vec<String>, f64) {
    let mut ids = Vec::new();
    let mut total_ms = 0;
    let mut write = |path: String, sleeps: Vec<u64>, import_ms: u64, fixture_ms: u64| {
        let mut text = format!(
            "import time\nimport pytest\n\ntime.sleep({})\n",
            import_ms as f64 / 1000.0
        );
        if fixture_ms > 0 {
            let _ = write!(
                text,
                "\n\n@pytest.fixture(scope=\"module\", autouse=True)\ndef _module_setup():\n    time.sleep({})\n",
                fixture_ms as f64 / 1000.0
            );
        }
        for (i, ms) in sleeps.iter().enumerate() {
            let _ = write!(
                text,
                "\n\ndef test_case_{i:02}():\n    time.sleep({})\n",
                *ms as f64 / 1000.0
            );
            ids.push(format!("{path}::test_case_{i:02}"));
            total_ms += ms;
        }
        let file = dir.join(&path);
        fs::create_dir_all(file.parent().expect("a test file has a parent"))
            .expect("create the test dir");
        fs::write(file, text).expect("write a test file");
    };
    write(
        "tests/test_giant.py".to_string(),
        (0..GIANT_TESTS)
            .map(|i| GIANT_SLEEPS[i % GIANT_SLEEPS.len()])
            .collect(),
        GIANT_IMPORT_MS,
        GIANT_FIXTURE_MS,
    );
    for (name, tests, ms) in SLOW_FILES {
        write(
            format!("tests/slow/test_slow_{name}.py"),
            vec![ms; tests],
            SLOW_IMPORT_MS,
            0,
        );
    }
    for f in 0..SMALL_FILES {
        write(
            format!("tests/pkg_{}/test_mod_{f:02}.py", f % 6),
            // 5 to 25 ms, varied.
            (0..SMALL_TESTS)
                .map(|t| ((f * 7 + t * 3) % 5 + 1) as u64 * 5)
                .collect(),
            SMALL_IMPORT_MS,
            0,
        );
    }
    fs::write(
        dir.join("conftest.py"),
        "import time\nimport pytest\n\n\n@pytest.fixture(scope=\"session\", autouse=True)\ndef _session_setup():\n    time.sleep(0.2)\n",
    )
    .expect("write conftest.py");
    // A rootdir marker, so node ids are relative to the project.
    fs::write(dir.join("pytest.ini"), "[pytest]\n").expect("write pytest.ini");
    ids.sort();
    (ids, total_ms as f64 / 1000.0)
}

/// `bktec` in `project` as job `job` of `jobs`, with the pytest runner, real
/// pytest first on PATH and no ambient `BUILDKITE_*` variable.
fn bktec(project: &Path, venv: &Path, jobs: u32, job: u32) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bktec"));
    let mut path = venv.as_os_str().to_owned();
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    cmd.env_clear()
        .env("PATH", path)
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_PARALLEL_JOB_COUNT", jobs.to_string())
        .env("BUILDKITE_PARALLEL_JOB", job.to_string())
        .current_dir(project)
        .stdin(Stdio::null());
    for key in ["HOME", "TMPDIR", "LANG"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd
}

/// Runs every job of `jobs` in turn; each one's wall time in seconds. Panics
/// unless the jobs' results together hold every test exactly once.
fn run_jobs(
    project: &Path,
    venv: &Path,
    jobs: u32,
    results: &Path,
    label: &str,
    expected: &[String],
) -> Vec<f64> {
    let mut times = Vec::new();
    let mut files = Vec::new();
    for job in 0..jobs {
        let result = results.join(format!("{label}-{jobs}-{job}.json"));
        let _ = fs::remove_file(&result);
        let mut run = bktec(project, venv, jobs, job);
        run.args(["run", "--result-path"]).arg(&result);
        let wall: Duration = time(run);
        times.push(wall.as_secs_f64());
        files.push(result);
    }
    assert_covered(
        expected,
        &files,
        &format!("the {label} plan over {jobs} jobs"),
    );
    times
}

/// Panics unless the result `files` together hold each of `expected` exactly
/// once, and nothing else.
fn assert_covered(expected: &[String], files: &[PathBuf], what: &str) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for file in files {
        let bytes = fs::read(file).unwrap_or_else(|e| panic!("read `{}`: {e}", file.display()));
        let parsed = parse_collector_json(&bytes, file, Mapping::Pytest)
            .unwrap_or_else(|e| panic!("parse `{}`: {e}", file.display()));
        for test in parsed.tests {
            *seen.entry(test.path).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    let missing: Vec<_> = expected
        .iter()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    let extra: Vec<_> = seen
        .keys()
        .filter(|id| expected.binary_search(id).is_err())
        .collect();
    assert!(
        twice.is_empty() && missing.is_empty() && extra.is_empty(),
        "{what}: ran more than once {twice:?}; never ran {missing:?}; unknown {extra:?}"
    );
}

/// `bktec plan --explain` over `jobs`: the lower bound and each job's
/// predicted time, in seconds.
fn explain(project: &Path, venv: &Path, jobs: u32) -> (f64, Vec<f64>) {
    let out = bktec(project, venv, jobs, 0)
        .args(["plan", "--explain"])
        .output()
        .expect("run bktec plan --explain");
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(out.status.success(), "bktec plan --explain failed: {text}");
    let seconds_after = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"));
        let (value, _) = line.split_once('s').expect("seconds end in `s`");
        value.parse().expect("seconds are a number")
    };
    let per_job = (0..jobs)
        .map(|job| seconds_after(&format!("  job {job}: ")))
        .collect();
    (seconds_after("Lower bound: "), per_job)
}

/// Each job's time in the round-robin plan over `jobs`, by `history`'s
/// durations (`--explain` has nothing to print for a plan without estimates).
fn round_robin_predicted(
    project: &Path,
    venv: &Path,
    jobs: u32,
    history: &BTreeMap<String, f64>,
) -> Vec<f64> {
    let out = bktec(project, venv, jobs, 0)
        .args(["plan", "--plan-out", "-"])
        .output()
        .expect("run bktec plan --plan-out -");
    assert!(out.status.success(), "bktec plan --plan-out - failed");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the plan is JSON");
    let mut per_file: BTreeMap<&str, f64> = BTreeMap::new();
    for (id, seconds) in history {
        let file = id.split_once("::").map_or(id.as_str(), |(f, _)| f);
        *per_file.entry(file).or_default() += seconds;
    }
    (0..jobs)
        .map(|job| {
            let task = &plan["tasks"][job.to_string()];
            let tests = task["tests"].as_array().expect("a task has tests");
            assert!(
                tests.iter().all(|t| t["estimated_duration"].is_null()),
                "without history the plan has no estimates"
            );
            tests
                .iter()
                .map(|t| {
                    let path = t["path"].as_str().expect("a test has a path");
                    per_file.get(path).copied().unwrap_or_else(|| {
                        panic!("round-robin entry `{path}` is not a file of the history")
                    })
                })
                .sum::<f64>()
        })
        .collect()
}
