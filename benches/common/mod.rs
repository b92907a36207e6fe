//! Timing helpers shared by the benchmarks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to completion with its output discarded; its wall time.
pub(crate) fn time(mut cmd: Command) -> Duration {
    let started = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run command");
    let elapsed = started.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

/// The median of `times`.
pub(crate) fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Milliseconds.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
