//! Collection overhead of discovery by pytest (issue #12; prints figures,
//! not a timed test).
//!
//! Generates a pytest project of 2,000 test files (three tests each, 6,000
//! in all) and times, alternately and several times each, `pytest
//! --collect-only -q` alone and `bktec list --discovery pytest`, which runs
//! that collection with its witness plugin and groups the node ids into
//! files. Printed: both medians and bktec's own overhead on top of pytest's
//! (target < 5%). `bktec list` must name all 2,000 files, or the bench
//! panics: a wrong answer is not a timing.
//!
//! Needs the Python environments of `scripts/python-env.sh`, which it runs.
//! Run with `cargo bench --bench collect`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
#![expect(
    clippy::disallowed_methods,
    reason = "the bench passes its own PATH, HOME and TMPDIR to the commands"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{median, ms, time};

const FILES: usize = 2_000;
const RUNS: usize = 7;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_bin() -> PathBuf {
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/python-env.sh"))
        .status()
        .expect("run scripts/python-env.sh");
    assert!(status.success(), "scripts/python-env.sh failed");
    repo_root().join("target/py/collector/bin")
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

fn generate(dir: &Path) {
    for i in 0..FILES {
        let sub = dir.join(format!("tests/pkg_{:02}", i % 40));
        fs::create_dir_all(&sub).unwrap();
        fs::write(
            sub.join(format!("test_mod_{i:04}.py")),
            "import pytest\n\ndef test_a():\n    pass\n\n@pytest.mark.parametrize(\"x\", [1, 2])\ndef test_b(x):\n    assert x\n",
        )
        .unwrap();
    }
    fs::write(dir.join("pytest.ini"), "[pytest]\ntestpaths = tests\n").unwrap();
}

fn command(program: &Path, dir: &Path, bin: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("TMPDIR", std::env::temp_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

fn main() {
    let bin = venv_bin();
    let bktec = bktec_binary();
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());

    let pytest = || {
        let mut cmd = command(&bin.join("pytest"), dir.path(), &bin);
        cmd.args(["--collect-only", "-q"]);
        cmd
    };
    let list = || {
        let mut cmd = command(&bktec, dir.path(), &bin);
        cmd.env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
            .args(["list", "--discovery", "pytest"]);
        cmd
    };
    let listed = list().output().expect("run bktec list");
    assert!(listed.status.success(), "{listed:?}");
    let files = String::from_utf8_lossy(&listed.stdout).lines().count();
    assert_eq!(files, FILES, "bktec list names every file");

    // Warm both once, then alternate so that drift hits both alike.
    time(pytest());
    let (mut alone, mut with_bktec) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        alone.push(time(pytest()));
        with_bktec.push(time(list()));
    }
    let alone = median(&mut alone);
    let with_bktec = median(&mut with_bktec);
    let overhead = (with_bktec.as_secs_f64() / alone.as_secs_f64() - 1.0) * 100.0;
    println!(
        "collection of {FILES} files ({} tests), median of {RUNS}:",
        FILES * 3
    );
    println!("  pytest --collect-only -q        {:>8.1} ms", ms(alone));
    println!(
        "  bktec list --discovery pytest   {:>8.1} ms",
        ms(with_bktec)
    );
    println!("  bktec's overhead                {overhead:>8.1} %  (target < 5%)");
}
