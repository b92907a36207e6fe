//! The cost of the per-test proof of runners other than pytest (D37,
//! issue 19; prints figures, not a timed test).
//!
//! For each runner with a listing (RSpec's witness needs none), copies its
//! example project, multiplies its test files (`COPIES` copies of each),
//! and runs `bktec run` on it `RUNS` times. Printed per runner: how many
//! tests the listing named, the median time of the listing (from bktec's
//! own "listed N tests in S s" line) and of the whole run, and the
//! listing's share of the run. A run that is not green, or that lists no
//! tests, panics: a wrong answer is not a timing.
//!
//! Needs the runners of `scripts/runner-tools.sh`, which it runs. Run with
//! `cargo bench --bench listing`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
#![expect(
    clippy::disallowed_methods,
    reason = "the bench passes its own PATH and caches to the commands"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[expect(dead_code, reason = "the shared helpers this bench does not need")]
mod common;

use common::{median, ms};

const RUNS: usize = 5;
const COPIES: usize = 20;

/// A runner's example, and where its test files are.
struct Example {
    runner: &'static str,
    /// The directory of the test files to copy, and their suffix.
    tests: (&'static str, &'static str),
}

const EXAMPLES: [Example; 4] = [
    Example {
        runner: "rspec",
        tests: ("spec/shop", "_spec.rb"),
    },
    Example {
        runner: "cucumber",
        tests: ("features/shop", ".feature"),
    },
    Example {
        runner: "playwright",
        tests: ("tests", ".spec.js"),
    },
    Example {
        runner: "gotest",
        tests: ("", ""),
    },
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_script(script: &str) {
    let status = Command::new("bash")
        .arg(repo_root().join(script))
        .status()
        .expect("run a setup script");
    assert!(status.success(), "{script} failed");
}

fn bktec_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "--bin", "bktec"])
        .current_dir(repo_root())
        .status()
        .expect("cargo build");
    assert!(status.success(), "cargo build failed");
    repo_root().join("target/release/bktec")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example of `example`, its test files copied `COPIES` times.
fn project(example: &Example) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = repo_root().join("examples").join(example.runner);
    copy_tree(&source, dir.path());
    if source.join("package.json").exists() {
        std::os::unix::fs::symlink(
            repo_root().join("target/node/node_modules"),
            dir.path().join("node_modules"),
        )
        .unwrap();
    }
    let (tests, suffix) = example.tests;
    if suffix.is_empty() {
        return dir;
    }
    let tests = dir.path().join(tests);
    let originals: Vec<PathBuf> = fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    for original in &originals {
        let name = original.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name.strip_suffix(suffix).unwrap();
        for copy in 0..COPIES {
            fs::copy(original, tests.join(format!("{stem}_copy{copy}{suffix}"))).unwrap();
        }
    }
    dir
}

/// One green `bktec run` in `dir`: its wall time, and the listing's line
/// (how many tests, how long), if it listed.
fn run_once(bktec: &Path, dir: &Path) -> (Duration, Option<(usize, Duration)>) {
    let node_bin = repo_root().join("target/node/node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    let started = Instant::now();
    let output = Command::new(bktec)
        .arg("run")
        .current_dir(dir)
        .env("PATH", format!("{}:{path}", node_bin.display()))
        .env("GOCACHE", repo_root().join("target/go/cache"))
        .env("GOPATH", repo_root().join("target/go/path"))
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("run bktec");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", dir.display());
    let listed = stdout.lines().find_map(|line| {
        let rest = line.split("` listed ").nth(1)?;
        let (count, rest) = rest.split_once(' ')?;
        let seconds = rest.split(" in ").nth(1)?.split('s').next()?;
        Some((
            count.parse().ok()?,
            Duration::from_secs_f64(seconds.parse().ok()?),
        ))
    });
    (elapsed, listed)
}

fn main() {
    run_script("scripts/runner-tools.sh");
    let bktec = bktec_binary();
    println!(
        "per-test proof by listing, median of {RUNS} green runs ({COPIES}x each example's test files):"
    );
    println!(
        "  {:<11} {:>6} {:>12} {:>12} {:>7}",
        "runner", "tests", "listing ms", "run ms", "share"
    );
    for example in &EXAMPLES {
        let dir = project(example);
        run_once(&bktec, dir.path());
        let (mut runs, mut listings, mut tests) = (Vec::new(), Vec::new(), 0);
        for _ in 0..RUNS {
            let (run, listed) = run_once(&bktec, dir.path());
            runs.push(run);
            if let Some((count, listing)) = listed {
                tests = count;
                listings.push(listing);
            }
        }
        let run = median(&mut runs);
        if listings.is_empty() {
            println!(
                "  {:<11} no listing: proven by its witness inside the run ({} ms a run)",
                example.runner,
                ms(run).round()
            );
            continue;
        }
        assert!(tests > 0, "{} listed no tests", example.runner);
        let listing = median(&mut listings);
        println!(
            "  {:<11} {tests:>6} {:>12.0} {:>12.0} {:>6.1}%",
            example.runner,
            ms(listing),
            ms(run),
            100.0 * listing.as_secs_f64() / run.as_secs_f64()
        );
    }
}
