//! Planning-cost benchmark (issue #11; prints figures, not a timed test):
//! 10,000 test files and 100,000 durations planned over N jobs, with skew
//! (most files short, a few long, one far longer than total / N, so it is
//! split), collection excluded. Target: < 100 ms.
//!
//! Run with `cargo bench --bench plan`.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bktec::plan::plan_for_bench;

const FILES: usize = 10_000;
const TESTS_PER_FILE: usize = 10;

fn main() {
    // Deterministic skew: file i's tests take (i % 97 + 1) ms each; every
    // 500th file is 50x slower; file 0 (10 tests of 60 s) holds about a tenth of the suite.
    let mut targets = Vec::with_capacity(FILES);
    let mut json = String::from("{");
    let mut slow_ids = Vec::new();
    for i in 0..FILES {
        let file = format!("tests/pkg_{:02}/test_module_{i:05}.py", i % 50);
        for t in 0..TESTS_PER_FILE {
            let mut seconds = ((i % 97) + 1) as f64 / 1000.0;
            if i % 500 == 0 {
                seconds *= 50.0;
            }
            if i == 0 {
                seconds = 60.0;
            }
            let id = format!("{file}::TestThing::test_case[param {t}]");
            if i == 0 {
                slow_ids.push(id.clone());
            }
            let _ = write!(
                json,
                "{}{:?}: {seconds}",
                if json.len() > 1 { ", " } else { "" },
                id
            );
        }
        targets.push(file);
    }
    json.push('}');
    println!(
        "planning {} files from {} durations ({} KB of JSON), collection excluded",
        targets.len(),
        FILES * TESTS_PER_FILE,
        json.len() / 1024
    );
    for jobs in [4u32, 16, 64] {
        let mut times: Vec<Duration> = Vec::new();
        let mut loads = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            loads = plan_for_bench(&targets, jobs, json.as_bytes(), &slow_ids);
            times.push(started.elapsed());
        }
        let total: f64 = loads.iter().sum();
        let slowest = loads.iter().cloned().fold(0.0, f64::max);
        // The longest single test is one of file 0's, 60 s.
        let bound = (total / f64::from(jobs)).max(60_000.0);
        println!(
            "  N = {jobs:>2}: median {:.1} ms (target < 100 ms); predicted slowest job {:.2}x the lower bound",
            median_ms(&mut times),
            slowest / bound
        );
    }
}

/// The median of `times`, in milliseconds.
fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}
