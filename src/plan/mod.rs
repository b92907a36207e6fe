//! Test plans: the Test Engine plan format (behaviour document 4.4), the
//! local plan (12.1, D20), plans read from a file (`--plan-file`), location
//! prefixes (5.6) and the split summary (10.3).

mod align;
mod assign;
mod durations;
mod explain;
mod file;
mod local;
mod model;
mod prefix;
mod samples;
mod timed;
mod timing;

pub(crate) use align::{align, plain};
pub(crate) use durations::{
    Durations, DurationsError, DurationsSource, MAX_SECONDS, read_durations, update_durations,
};
pub(crate) use explain::explain;
pub(crate) use file::{PlanFileError, read_plan_file};
pub(crate) use local::{distinct_targets, local_plan};
pub(crate) use model::{FormatTiming, TestCase, TestFormat, TestPlan};
#[cfg(test)]
pub(crate) use model::{Task, TimingMetadata};
pub(crate) use prefix::{TrimError, trim};
#[doc(hidden)]
pub use timed::plan_for_bench;
pub(crate) use timed::{
    Collected, PlanNote, SplitCost, SplitError, TimedPlan, example, file_of, timed_plan,
};
pub(crate) use timing::{JobTiming, TimingError, remove_timing, timing_path, write_timing};
