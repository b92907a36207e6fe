//! Test plans: the Test Engine plan format (behaviour document 4.4), the
//! local plan (12.1, D20), plans read from a file (`--plan-file`), location
//! prefixes (5.6) and the split summary (10.3).

mod file;
mod local;
mod model;
mod prefix;
mod summary;

pub use file::{PlanFileError, PlanProblem, read_plan_file};
pub use local::local_plan;
pub use model::{FormatTiming, Task, TestCase, TestFormat, TestPlan, TimingMetadata};
pub use prefix::{TrimError, trim};
pub use summary::split_summary;
