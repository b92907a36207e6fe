use std::collections::BTreeSet;
use std::fmt;

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::model::TestPlan;
use crate::input::{PLAN_FILE, read_regular};

/// Why a plan file is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanFileError {
    /// The file could not be read.
    #[error("failed to read plan file `{path}` (from {origin})")]
    Read {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not JSON, or its values have the wrong types.
    #[error("plan file `{path}` is not a valid test plan (from {origin})")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The JSON error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The file is JSON but not a plan this job can run (D26).
    #[error("plan file `{path}` is not a valid test plan (from {origin})")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// What is wrong.
        #[source]
        problem: PlanProblem,
    },
}

/// What is wrong with a plan file's content (D26).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanProblem {
    /// The document is not an object.
    #[error("the plan is {0}, not a JSON object")]
    NotAnObject(&'static str),
    /// A duration out of range.
    #[error("`{key}` {place} is {value}, which is not a duration from 0 to {max} milliseconds")]
    BadDuration {
        /// The key.
        key: &'static str,
        /// Where it is, described.
        place: String,
        /// Its value.
        value: f64,
        /// The largest allowed.
        max: f64,
    },
    /// A known key spelt with other letter case.
    #[error("key `{found}` {place} must be spelt `{expected}` (keys are case-sensitive)")]
    KeyCase {
        /// The key as written.
        found: String,
        /// The key bktec knows.
        expected: &'static str,
        /// Where it is, described.
        place: String,
    },
    /// No `tasks`.
    #[error("`tasks` is missing")]
    MissingTasks,
    /// `tasks` is not an object.
    #[error("`tasks` is {0}, not an object keyed by job index")]
    TasksNotObject(&'static str),
    /// A task key that is not a canonical decimal job index.
    #[error(
        "task key `{0}` is not a job index (a decimal number such as `0` or `12`, without sign, spaces or leading zeros)"
    )]
    TaskKey(String),
    /// The same task key twice.
    #[error("task key `{0}` appears more than once")]
    DuplicateTaskKey(String),
    /// No `parallelism`.
    #[error("`parallelism` is missing: a plan file must say how many jobs it is for")]
    MissingParallelism,
    /// `parallelism` is not a positive integer.
    #[error("`parallelism` is {0}, not a number of jobs (a whole number from 1)")]
    BadParallelism(String),
    /// An error plan, or a plan whose tasks are all empty.
    #[error(
        "the plan runs no tests on any job ({0}); this is what an error plan from Test Engine looks like"
    )]
    RunsNothing(&'static str),
    /// The plan is for another number of jobs.
    #[error(
        "the plan is for {plan} jobs (`parallelism`) but this build runs {jobs} (the configured parallelism)"
    )]
    JobCount {
        /// The plan's parallelism.
        plan: u64,
        /// The configured parallelism.
        jobs: u32,
    },
    /// A task for a job the plan does not have.
    #[error("task key `{key}` is not a job of a plan for {parallelism} jobs (job indexes run from 0 to {last})", last = parallelism - 1)]
    TaskOutOfRange {
        /// The key.
        key: String,
        /// The plan's parallelism.
        parallelism: u64,
    },
}

/// Reads a plan in the Test Engine format (behaviour document 4.4) and
/// checks that it is a plan for `jobs` jobs that runs something (D26): a
/// JSON object, keys spelt exactly, `tasks` an object keyed by canonical
/// decimal job indexes below `parallelism`, and `parallelism` equal to `jobs`.
pub(crate) fn read_plan_file(
    path: &Path,
    origin: String,
    jobs: u32,
) -> Result<TestPlan, PlanFileError> {
    // A FIFO, a device or a file over the limit is refused before any
    // byte is read (issue 18, item 6).
    let bytes = read_regular(path, PLAN_FILE).map_err(|source| PlanFileError::Read {
        path: path.to_path_buf(),
        origin: origin.clone(),
        source,
    })?;
    let parse_error = |source| PlanFileError::Parse {
        path: path.to_path_buf(),
        origin: origin.clone(),
        source,
    };
    let invalid = |problem| PlanFileError::Invalid {
        path: path.to_path_buf(),
        origin: origin.clone(),
        problem,
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(parse_error)?;
    let Value::Object(top) = &value else {
        return Err(invalid(PlanProblem::NotAnObject(kind(&value))));
    };
    // Duplicate keys are lost in a `Value`, so the task keys are read again
    // as they are written.
    let keys = serde_json::from_slice::<TaskKeyList>(&bytes)
        .map_err(parse_error)?
        .tasks
        .map(|keys| keys.0)
        .unwrap_or_default();
    let parallelism = check_shape(&value, top, &keys).map_err(invalid)?;
    let plan: TestPlan = serde_json::from_value(value).map_err(parse_error)?;
    check_plan(&plan, parallelism, jobs).map_err(invalid)?;
    Ok(plan)
}

/// The structure a plan file must have before it is decoded; returns its
/// parallelism.
fn check_shape(
    value: &Value,
    top: &serde_json::Map<String, Value>,
    task_keys: &[String],
) -> Result<u64, PlanProblem> {
    check_key_case(value)?;
    let tasks = match top.get("tasks") {
        None => return Err(PlanProblem::MissingTasks),
        Some(Value::Object(tasks)) => tasks,
        Some(other) => return Err(PlanProblem::TasksNotObject(kind(other))),
    };
    let mut seen = BTreeSet::new();
    for key in task_keys {
        if !is_job_index(key) {
            return Err(PlanProblem::TaskKey(key.clone()));
        }
        if !seen.insert(key) {
            return Err(PlanProblem::DuplicateTaskKey(key.clone()));
        }
    }
    debug_assert_eq!(seen.len(), tasks.len(), "the same keys, read twice");
    match top.get("parallelism") {
        None => Err(PlanProblem::MissingParallelism),
        Some(Value::Number(n))
            if n.as_u64()
                .is_some_and(|n| n >= 1 && n <= u64::from(u32::MAX)) =>
        {
            Ok(n.as_u64().expect("checked above"))
        }
        Some(other) => Err(PlanProblem::BadParallelism(other.to_string())),
    }
}

/// What a decoded plan must hold to be run by one of `jobs` jobs.
fn check_plan(plan: &TestPlan, parallelism: u64, jobs: u32) -> Result<(), PlanProblem> {
    if plan.tasks.is_empty() {
        return Err(PlanProblem::RunsNothing("it has no tasks"));
    }
    if plan.runs_nothing() {
        return Err(PlanProblem::RunsNothing("every task is empty"));
    }
    if parallelism != u64::from(jobs) {
        return Err(PlanProblem::JobCount {
            plan: parallelism,
            jobs,
        });
    }
    for key in plan.tasks.keys() {
        if key
            .parse::<u64>()
            .map_or(true, |index| index >= parallelism)
        {
            return Err(PlanProblem::TaskOutOfRange {
                key: key.clone(),
                parallelism,
            });
        }
    }
    check_durations(plan)
}

/// Every duration of a plan, in milliseconds, is a number from 0 to the
/// longest a history holds (D27): a prediction made of them means
/// something.
fn check_durations(plan: &TestPlan) -> Result<(), PlanProblem> {
    let max = super::durations::MAX_SECONDS * 1000.0;
    let bad = |key: &'static str, place: String, ms: Option<f64>| match ms {
        Some(ms) if !(0.0..=max).contains(&ms) => Err(PlanProblem::BadDuration {
            key,
            place,
            value: ms,
            max,
        }),
        _ => Ok(()),
    };
    bad(
        "startup_duration",
        "at the top level".into(),
        plan.startup_duration,
    )?;
    for (task, t) in &plan.tasks {
        for (i, test) in t.tests.iter().enumerate() {
            let place = || format!("in test {i} of task `{task}`");
            bad("estimated_duration", place(), test.estimated_duration)?;
            bad("setup_duration", place(), test.setup_duration)?;
        }
    }
    Ok(())
}

/// `0`, `1`, ... `12`: no sign, spaces, leading zeros or other digits, and
/// small enough to be a job index.
fn is_job_index(key: &str) -> bool {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    canonical && key.bytes().all(|b| b.is_ascii_digit()) && key.parse::<u32>().is_ok()
}

/// The keys bktec reads, per level of the plan.
const PLAN_KEYS: &[&str] = &[
    "identifier",
    "parallelism",
    "tasks",
    "muted_tests",
    "skipped_tests",
    "timing_metadata",
    "experiment",
    "known_timings_ratio",
    "startup_duration",
];
const TASK_KEYS: &[&str] = &["node_number", "tests"];
const TEST_KEYS: &[&str] = &[
    "path",
    "format",
    "identifier",
    "name",
    "scope",
    "value",
    "estimated_duration",
    "setup_duration",
    "timing_sample_size",
];

/// Keys are matched exactly (D21), so a key that differs from a known one
/// only in letter case (the Go client accepted `Tasks`) would be ignored
/// without a word; in a plan file it is an error instead (D26).
fn check_key_case(plan: &Value) -> Result<(), PlanProblem> {
    check_keys(plan, PLAN_KEYS, || "at the top level".to_string())?;
    if let Some(Value::Object(tasks)) = plan.get("tasks") {
        for (key, task) in tasks {
            check_keys(task, TASK_KEYS, || format!("in task `{key}`"))?;
            if let Some(Value::Array(tests)) = task.get("tests") {
                for (i, test) in tests.iter().enumerate() {
                    check_keys(test, TEST_KEYS, || format!("in test {i} of task `{key}`"))?;
                }
            }
        }
    }
    for list in ["muted_tests", "skipped_tests"] {
        if let Some(Value::Array(tests)) = plan.get(list) {
            for (i, test) in tests.iter().enumerate() {
                check_keys(test, TEST_KEYS, || format!("in `{list}` entry {i}"))?;
            }
        }
    }
    Ok(())
}

fn check_keys(
    value: &Value,
    known: &[&'static str],
    place: impl Fn() -> String,
) -> Result<(), PlanProblem> {
    let Value::Object(object) = value else {
        return Ok(());
    };
    for found in object.keys() {
        if let Some(&expected) = known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(found) && **k != found)
        {
            return Err(PlanProblem::KeyCase {
                found: found.clone(),
                expected,
                place: place(),
            });
        }
    }
    Ok(())
}

/// A JSON value's kind, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The task keys of a plan, as written (duplicates kept).
#[derive(Deserialize)]
struct TaskKeyList {
    #[serde(default)]
    tasks: Option<KeysInOrder>,
}

/// An object's keys in order; anything that is not an object has none here
/// (its type is reported from the `Value`).
struct KeysInOrder(Vec<String>);

impl<'de> Deserialize<'de> for KeysInOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeysInOrder, D::Error> {
        d.deserialize_any(KeysVisitor)
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = KeysInOrder;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeysInOrder, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        Ok(KeysInOrder(keys))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeysInOrder, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_unit<E>(self) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_bool<E>(self, _: bool) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_i64<E>(self, _: i64) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_u64<E>(self, _: u64) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }

    fn visit_str<E>(self, _: &str) -> Result<KeysInOrder, E> {
        Ok(KeysInOrder(Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = r#"{"node_number": 0, "tests": [{"path": "tests/test_a.py"}]}"#;

    /// The problem `json` has for a job of a build with `jobs` jobs, as text.
    fn problem(json: &str, jobs: u32) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plan.json");
        std::fs::write(&path, json).expect("write plan");
        match read_plan_file(&path, "--plan-file".to_string(), jobs) {
            Ok(_) => "ok".to_string(),
            Err(PlanFileError::Invalid { problem, .. }) => problem.to_string(),
            Err(PlanFileError::Parse { source, .. }) => format!("parse: {source}"),
            Err(err @ PlanFileError::Read { .. }) => panic!("{err}"),
        }
    }

    fn plan(parallelism: &str, tasks: &str) -> String {
        format!(r#"{{"parallelism": {parallelism}, "tasks": {tasks}}}"#)
    }

    #[test]
    fn a_good_plan_is_read() {
        assert_eq!(problem(&plan("1", &format!(r#"{{"0": {TASK}}}"#)), 1), "ok");
        // A job without a task is D17's business, not an error.
        assert_eq!(problem(&plan("3", &format!(r#"{{"2": {TASK}}}"#)), 3), "ok");
    }

    #[test]
    fn the_document_must_be_an_object_with_tasks() {
        assert_eq!(problem("[]", 1), "the plan is an array, not a JSON object");
        assert_eq!(problem("{}", 1), "`tasks` is missing");
        assert_eq!(
            problem(r#"{"tasks": null}"#, 1),
            "`tasks` is null, not an object keyed by job index"
        );
        assert_eq!(
            problem(r#"{"tasks": []}"#, 1),
            "`tasks` is an array, not an object keyed by job index"
        );
        assert!(problem("{", 1).starts_with("parse: EOF"));
    }

    #[test]
    fn plans_that_run_nothing_are_refused() {
        assert_eq!(
            problem(&plan("2", "{}"), 2),
            "the plan runs no tests on any job (it has no tasks); this is what an error plan from Test Engine looks like"
        );
        assert_eq!(
            problem(&plan("2", r#"{"0": {"tests": []}, "1": {}}"#), 2),
            "the plan runs no tests on any job (every task is empty); this is what an error plan from Test Engine looks like"
        );
    }

    #[test]
    fn task_keys_are_canonical_job_indexes() {
        for key in ["00", "-1", " 1", "1 ", "+1", "1.0", "one", "", "4294967296"] {
            assert_eq!(
                problem(&plan("2", &format!(r#"{{"{key}": {TASK}}}"#)), 2),
                format!(
                    "task key `{key}` is not a job index (a decimal number such as `0` or `12`, without sign, spaces or leading zeros)"
                ),
            );
        }
        assert_eq!(
            problem(&plan("2", &format!(r#"{{"0": {TASK}, "0": {TASK}}}"#)), 2),
            "task key `0` appears more than once"
        );
        assert_eq!(
            problem(&plan("2", &format!(r#"{{"2": {TASK}}}"#)), 2),
            "task key `2` is not a job of a plan for 2 jobs (job indexes run from 0 to 1)"
        );
    }

    #[test]
    fn parallelism_must_match_the_job_count() {
        let tasks = format!(r#"{{"0": {TASK}}}"#);
        assert_eq!(
            problem(&plan("2", &tasks), 3),
            "the plan is for 2 jobs (`parallelism`) but this build runs 3 (the configured parallelism)"
        );
        assert_eq!(
            problem(&format!(r#"{{"tasks": {tasks}}}"#), 1),
            "`parallelism` is missing: a plan file must say how many jobs it is for"
        );
        for bad in ["0", "-1", "1.5", "\"1\"", "null"] {
            assert_eq!(
                problem(&plan(bad, &tasks), 1),
                format!("`parallelism` is {bad}, not a number of jobs (a whole number from 1)")
            );
        }
    }

    #[test]
    fn keys_are_spelt_exactly() {
        assert_eq!(
            problem(
                &format!(r#"{{"parallelism": 1, "Tasks": {{"0": {TASK}}}}}"#),
                1
            ),
            "key `Tasks` at the top level must be spelt `tasks` (keys are case-sensitive)"
        );
        assert_eq!(
            problem(&plan("1", r#"{"0": {"Tests": [{"path": "a"}]}}"#), 1),
            "key `Tests` in task `0` must be spelt `tests` (keys are case-sensitive)"
        );
        assert_eq!(
            problem(&plan("1", r#"{"0": {"tests": [{"PATH": "a"}]}}"#), 1),
            "key `PATH` in test 0 of task `0` must be spelt `path` (keys are case-sensitive)"
        );
        // Unknown keys are still ignored (D21).
        assert_eq!(
            problem(
                &format!(r#"{{"parallelism": 1, "tasks": {{"0": {TASK}}}, "Fallback": true}}"#),
                1
            ),
            "ok"
        );
    }
}
