//! What a job's first attempt measured beyond its tests' durations (D52):
//! its fixed start-up, its files' own costs, and each test's own time.
//!
//! With bktec's pytest witness, the start-up is measured where it happens:
//! from the attempt's spawn to the start of pytest's session (the
//! interpreter, the plugins, bktec's own work), and the set-up of
//! session-scoped fixtures. A test's own time is its
//! span (from its start to the next test's) less the set-up of wider
//! fixtures, which belongs to its file or the job. What is left of the
//! attempt's wall time (the collection of what is not a module, the
//! report, the result file written and read) grows with the tests, so it
//! is shared among them rather than charged to every job as start-up.
//! Without the witness, the start-up is what the wall time holds beyond the
//! tests and the files.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::plan::JobTiming;
use crate::results::{RunResult, Witness};

/// The first attempt's timing: it was spawned at `spawned` and took
/// `took`; `record` holds its results alone, `witness` what bktec's pytest
/// plugin saw, and `file_costs` the files' own costs its result file gave.
pub(super) fn first_timing(
    record: &RunResult,
    (spawned, took): (SystemTime, Duration),
    witness: Option<&Witness>,
    mut file_costs: BTreeMap<String, f64>,
) -> JobTiming {
    let tests: Vec<(&str, f64)> = record
        .results()
        .filter_map(|t| Some((t.path.as_str(), t.duration?.as_secs_f64())))
        .collect();
    let raw: f64 = tests.iter().map(|(_, s)| s).sum();
    let wall = took.as_secs_f64();
    let costs = witness.and_then(|w| w.costs.clone()).unwrap_or_default();
    file_costs.extend(costs.files);
    // A clock a test broke (freezegun, a patched `perf_counter`) can give
    // anything: a cost is kept only within the attempt's wall time, and
    // before anything is computed from it.
    file_costs.retain(|_, s| (0.0..=wall).contains(s));
    // Each test's own time: its span, else its duration, less the wider
    // fixtures' set-up it held.
    let own: Vec<(&str, f64, f64)> = tests
        .iter()
        .map(|&(path, seconds)| {
            let scoped = costs.moved.get(path).copied().unwrap_or(0.0);
            let held = costs.spans.get(path).copied().unwrap_or(seconds);
            (path, seconds, (held - scoped).max(0.0))
        })
        .collect();
    // The start-up, where the witness saw the session start.
    let fixed = costs.session_start.and_then(|start| {
        let spawned = spawned.duration_since(SystemTime::UNIX_EPOCH).ok()?;
        let boot = start - spawned.as_secs_f64() + costs.session_fixtures;
        Some(boot).filter(|s| (0.0..=wall).contains(s))
    });
    let share = match fixed {
        Some(fixed) if !own.is_empty() => {
            let accounted: f64 =
                own.iter().map(|(_, _, s)| s).sum::<f64>() + file_costs.values().sum::<f64>();
            (wall - fixed - accounted).max(0.0) / own.len() as f64
        }
        _ => 0.0,
    };
    let mut moved = costs.moved;
    if witness.is_some_and(|w| w.costs.is_some()) {
        // `moved` says what to take off a test's duration for its own
        // time, which can be less than nothing.
        for (path, seconds, own) in own {
            moved.insert(path.to_string(), seconds - (own + share));
        }
    }
    moved.retain(|_, s| (-wall..=wall).contains(s));
    JobTiming::measure(took, raw, file_costs, moved)
}
