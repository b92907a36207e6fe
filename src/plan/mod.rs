//! Test plans: the Test Engine plan format (behaviour document 4.4), the local
//! plan (12.1, D20), and plans read from a file (`--plan-file`).

mod file;
mod local;
mod model;

pub use file::{PlanFileError, read_plan_file};
pub use local::local_plan;
pub use model::{Task, TestCase, TestFormat, TestPlan};
