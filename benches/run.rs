//! Run benchmarks (prints figures; not a timed test).
//!
//! 1. Orchestration overhead: `bktec run` in local mode with a trivial test
//!    command (the custom runner, so there is no collector probe) against the
//!    same command run directly; medians and the difference (target < 10 ms).
//! 2. Result parsing: generated collector JSON and JUnit XML files of 100,000
//!    tests each; parse time and peak heap (target < 200 ms and < 3x the file).
//!
//! Run with `cargo bench --bench run`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::{median, ms, time};

use bktec::results::{Mapping, parse_collector_json, parse_junit};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same layout as given.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same pointer and layout as allocated.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: same pointer and layout as allocated.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const RUNS: usize = 21;
const TESTS: usize = 100_000;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-run");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create bench dir");
    overhead(&dir);
    parsing(&dir);
}

fn overhead(dir: &Path) {
    fs::write(dir.join("selectors.txt"), "tests/a.py\ntests/b.py\n").expect("write selectors");
    let bktec = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bktec"));
        c.args([
            "run",
            "--no-config",
            "--test-runner",
            "custom",
            "--selector-file",
            "selectors.txt",
        ])
        .args(["--test-command", "true {{testExamples}}"])
        .current_dir(dir);
        c
    };
    let direct = || {
        let mut c = Command::new("true");
        c.args(["tests/a.py", "tests/b.py"]).current_dir(dir);
        c
    };
    let mut with_bktec = Vec::new();
    let mut alone = Vec::new();
    for _ in 0..RUNS {
        with_bktec.push(time(bktec()));
        alone.push(time(direct()));
    }
    let b = median(&mut with_bktec);
    let d = median(&mut alone);
    println!("orchestration overhead ({RUNS} runs each):");
    println!(
        "  bktec run (custom runner, `true`): median {:.2} ms",
        ms(b)
    );
    println!(
        "  `true` run directly:               median {:.2} ms",
        ms(d)
    );
    println!(
        "  added by bktec: {:.2} ms (target < 10 ms)",
        ms(b.saturating_sub(d))
    );
}

fn parsing(dir: &Path) {
    let json_path = dir.join("results.json");
    let xml_path = dir.join("results.xml");
    fs::write(&json_path, collector_json()).expect("write JSON");
    fs::write(&xml_path, junit_xml()).expect("write XML");
    println!("result parsing ({TESTS} tests, best of 5):");
    for (label, path, parse) in [
        (
            "collector JSON",
            &json_path,
            parse_json as fn(&Path) -> usize,
        ),
        ("JUnit XML", &xml_path, parse_xml),
    ] {
        let size = fs::metadata(path).expect("stat results").len() as usize;
        let mut best = Duration::MAX;
        let mut peak = 0;
        for _ in 0..5 {
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let started = Instant::now();
            let count = parse(path);
            best = best.min(started.elapsed());
            peak = peak.max(PEAK.load(Ordering::Relaxed) - base);
            assert_eq!(count, TESTS);
        }
        println!(
            "  {label:<14}: file {:.1} MB, read + parse {:.1} ms (target < 200 ms), peak heap {:.1} MB = {:.2}x the file (target < 3x)",
            size as f64 / 1e6,
            ms(best),
            peak as f64 / 1e6,
            peak as f64 / size as f64,
        );
    }
}

/// Reads and parses as `bktec run` does: collector JSON whole, JUnit streamed.
fn parse_json(path: &Path) -> usize {
    let bytes = fs::read(path).expect("read results");
    parse_collector_json(&bytes, path, Mapping::Pytest)
        .expect("valid JSON")
        .tests
        .len()
}

fn parse_xml(path: &Path) -> usize {
    let input = std::io::BufReader::new(fs::File::open(path).expect("open results"));
    parse_junit(input, path, Mapping::Pytest)
        .expect("valid XML")
        .tests
        .len()
}

/// Entries shaped like buildkite-test-collector's, history included.
fn collector_json() -> String {
    let mut out = String::from("[");
    for i in 0..TESTS {
        if i > 0 {
            out.push(',');
        }
        let (module, result) = (i / 50, if i % 97 == 0 { "failed" } else { "passed" });
        let _ = write!(
            out,
            r#"{{"id":"0b5e6d1c-{i:08}","scope":"tests/pkg{m}/test_mod{m}.py::TestThing","name":"test_case_{i}[param-{i}]","location":"tests/pkg{m}/test_mod{m}.py:{line}","file_name":"tests/pkg{m}/test_mod{m}.py","result":"{result}","failure_reason":null,"history":{{"section":"top","start_at":12.5,"end_at":12.75,"duration":0.25,"children":[]}}}}"#,
            m = module,
            line = i % 500 + 1,
        );
    }
    out.push(']');
    out
}

fn junit_xml() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites><testsuite name=\"pytest\" tests=\"100000\">\n",
    );
    for i in 0..TESTS {
        let m = i / 50;
        if i % 97 == 0 {
            let _ = writeln!(
                out,
                r#"<testcase classname="tests.pkg{m}.test_mod{m}.TestThing" name="test_case_{i}[param-{i}]" time="0.250"><failure message="assert 1 == 2">trace line {i}</failure></testcase>"#
            );
        } else {
            let _ = writeln!(
                out,
                r#"<testcase classname="tests.pkg{m}.test_mod{m}.TestThing" name="test_case_{i}[param-{i}]" time="0.250"/>"#
            );
        }
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}
