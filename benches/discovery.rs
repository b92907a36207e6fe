//! Discovery benchmark (prints figures; not a timed test).
//!
//! Generates a tree of 110,000 files in 12,100 directories (20,000 of the files
//! under a large `node_modules`), then times in the same run `bktec list` with
//! the default pytest pattern against `find` with the equivalent name filter
//! and prunes, and prints both medians and their ratio (target: <= 1.2). It
//! also times matching alone on pathological patterns.
//!
//! Run with `cargo bench --bench discovery`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;

use common::{median, ms, time};

use bktec::glob::Pattern;

const PACKAGES: usize = 100;
const MODULES: usize = 100;
const NODE_MODULES_DIRS: usize = 2_000;
const RUNS: usize = 9;

fn main() {
    let tree = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-tree");
    let (files, dirs) = generate(&tree);
    println!(
        "tree: {files} files in {dirs} directories at {}",
        tree.display()
    );

    let bktec = env!("CARGO_BIN_EXE_bktec");
    let bktec_cmd = || {
        let mut c = Command::new(bktec);
        c.args(["list", "--no-config", "--test-runner", "pytest"])
            .current_dir(&tree)
            .env_remove("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN");
        c
    };
    let find_cmd = || {
        let mut c = Command::new("find");
        c.args([
            ".",
            "(",
            "-name",
            "node_modules",
            "-o",
            "-name",
            ".?*",
            ")",
            "-prune",
            "-o",
            "-type",
            "f",
            "(",
            "-name",
            "*_test.py",
            "-o",
            "-name",
            "test_*.py",
            ")",
            "-print",
        ])
        .current_dir(&tree);
        c
    };
    // Both must select the same files.
    let mut from_bktec = lines(bktec_cmd());
    let mut from_find: Vec<String> = lines(find_cmd())
        .into_iter()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect();
    from_bktec.sort();
    from_find.sort();
    assert_eq!(from_bktec.len(), from_find.len(), "bktec and find disagree");
    assert!(
        from_bktec == from_find,
        "bktec and find select different files"
    );
    println!("both select {} test files", from_bktec.len());

    let mut bktec_times = Vec::new();
    let mut find_times = Vec::new();
    for _ in 0..RUNS {
        bktec_times.push(time(bktec_cmd()));
        find_times.push(time(find_cmd()));
    }
    let b = median(&mut bktec_times);
    let f = median(&mut find_times);
    println!("bktec list: median {:.1} ms over {RUNS} runs", ms(b));
    println!("find:       median {:.1} ms over {RUNS} runs", ms(f));
    println!(
        "ratio bktec/find: {:.2} (target <= 1.2)",
        b.as_secs_f64() / f.as_secs_f64()
    );

    pathological();
}

fn pathological() {
    let long_path = format!("{}x", "d/".repeat(200));
    let cases: Vec<(String, String)> = vec![
        (
            format!("{}b", "{,a}".repeat(30)),
            format!("{}b", "a".repeat(30)),
        ),
        (format!("{}x", "**/".repeat(30)), long_path.clone()),
        (
            format!("**a{}", "?".repeat(20)),
            format!("{}a{}", "x".repeat(200), "b".repeat(20)),
        ),
        (
            "**/{*_test,test_*}.py".to_string(),
            format!("{}test_a.py", "pkg/".repeat(50)),
        ),
        (format!("{}*x", "*a".repeat(30)), "a".repeat(400)),
    ];
    println!("matching alone (each over 10,000 matches):");
    for (pattern, path) in cases {
        let started = Instant::now();
        let p = Pattern::parse(&pattern, None).expect("valid pattern");
        let compile = started.elapsed();
        let started = Instant::now();
        let mut hits = 0;
        for _ in 0..10_000 {
            if black_box(&p).matches(black_box(&path)) {
                hits += 1;
            }
        }
        let per = started.elapsed() / 10_000;
        let shown: String = pattern.chars().take(40).collect();
        println!(
            "  {shown:<42} path {:>4} chars: compile {:>8.1} µs, {:>7.2} µs/match, {} ({hits} hits)",
            path.chars().count(),
            compile.as_secs_f64() * 1e6,
            per.as_secs_f64() * 1e6,
            if p.is_simulated() {
                "NFA simulation"
            } else {
                "DFA"
            },
        );
    }
}

fn generate(tree: &Path) -> (usize, usize) {
    let stamp = tree.join(".complete");
    let mut files = 0;
    let mut dirs = 0;
    if !stamp.exists() {
        let _ = fs::remove_dir_all(tree);
    }
    let mut write = |path: PathBuf| {
        if !stamp.exists() {
            fs::write(&path, b"").expect("write bench file");
        }
        files += 1;
    };
    for p in 0..PACKAGES {
        for m in 0..MODULES {
            let dir = tree.join(format!("src/pkg{p:03}/mod{m:03}"));
            if !stamp.exists() {
                fs::create_dir_all(&dir).expect("create bench dir");
            }
            dirs += 1;
            write(dir.join(format!("test_mod{m}.py")));
            write(dir.join(format!("mod{m}_test.py")));
            for k in 0..7 {
                write(dir.join(format!("helper{k}.py")));
            }
        }
    }
    for d in 0..NODE_MODULES_DIRS {
        let dir = tree.join(format!("node_modules/pkg{d:04}"));
        if !stamp.exists() {
            fs::create_dir_all(&dir).expect("create bench dir");
        }
        dirs += 1;
        for k in 0..10 {
            write(dir.join(format!("test_{k}.py")));
        }
    }
    fs::write(&stamp, b"").expect("write stamp");
    (files, dirs + PACKAGES + 2)
}

fn lines(mut cmd: Command) -> Vec<String> {
    let out = cmd.stderr(Stdio::inherit()).output().expect("run command");
    assert!(out.status.success(), "{cmd:?} failed");
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}
