use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A plan: which tests each node runs, and which tests are muted or skipped.
/// Unknown fields are ignored and keys are matched exactly (D21).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub(crate) struct TestPlan {
    /// The plan identifier.
    #[serde(default)]
    pub identifier: String,
    /// The number of nodes.
    #[serde(default)]
    pub parallelism: u32,
    /// Tasks keyed by node index as a decimal string.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tasks: BTreeMap<String, Task>,
    /// Tests whose failures do not fail the build.
    #[serde(default, deserialize_with = "null_as_default")]
    pub muted_tests: Vec<TestCase>,
    /// Tests Test Engine removed from the tasks; listed in the report.
    #[serde(default, deserialize_with = "null_as_default")]
    pub skipped_tests: Vec<TestCase>,
    /// Timing statistics per format, for the split summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing_metadata: Option<TimingMetadata>,
    /// A job's fixed start-up in milliseconds, beyond its entries'
    /// estimates, when a local plan measured one (D52).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_duration: Option<f64>,
    /// How long this job's listing of the files to split took, when it ran
    /// one (D52): a measurement of this job, not part of the plan format.
    #[serde(skip)]
    pub listed_in: Option<std::time::Duration>,
}

/// Timing statistics per test format (10.3).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub(crate) struct TimingMetadata {
    /// For `file` tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FormatTiming>,
    /// For `example` tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<FormatTiming>,
    /// For `selector` tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<FormatTiming>,
}

/// The durations a format's estimates fall back to, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
pub(crate) struct FormatTiming {
    /// The median of known durations, if any.
    #[serde(default)]
    pub median_duration: Option<f64>,
    /// The default duration.
    #[serde(default)]
    pub default_duration: f64,
}

/// One node's work.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub(crate) struct Task {
    /// The node index.
    #[serde(default)]
    pub node_number: u32,
    /// The tests, in run order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tests: Vec<TestCase>,
}

/// How a test case is identified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TestFormat {
    /// A whole file (also the meaning of an absent format).
    #[default]
    File,
    /// One test.
    Example,
    /// A runnable selector (`value`).
    Selector,
}

/// A test case of a plan.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub(crate) struct TestCase {
    /// The path or node id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The format; absent means `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TestFormat>,
    /// The test identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identifier: String,
    /// The test name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The scope (for pytest, the node id without its last part).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The runnable selector, for the `selector` format.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// The estimated duration in milliseconds; may be fractional (D21).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<f64>,
    /// The part of `estimated_duration` that is its file's own cost (D52),
    /// in milliseconds: on the entry that brings the file to its job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_duration: Option<f64>,
    /// How many timings the estimate is based on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing_sample_size: Option<u64>,
}

impl TestCase {
    /// A whole-file (or whole-target) test case.
    pub(crate) fn for_path(path: impl Into<String>) -> TestCase {
        TestCase {
            path: path.into(),
            ..TestCase::default()
        }
    }

    /// The string passed to the runner: `value` for selectors, else `path`.
    pub(crate) fn runnable(&self) -> &str {
        match self.format.unwrap_or_default() {
            TestFormat::Selector => &self.value,
            TestFormat::File | TestFormat::Example => &self.path,
        }
    }
}

impl TestPlan {
    /// A plan made here: these tasks over `parallelism` jobs, nothing muted
    /// or skipped, no identifier yet.
    pub(crate) fn of_tasks(parallelism: u32, tasks: BTreeMap<String, Task>) -> TestPlan {
        TestPlan {
            parallelism,
            tasks,
            ..TestPlan::default()
        }
    }

    /// The tests of node `index`, or `None` when the plan has no task for it (D17).
    pub(crate) fn task_tests(&self, index: u32) -> Option<&[TestCase]> {
        self.tasks
            .get(&index.to_string())
            .map(|t| t.tests.as_slice())
    }

    /// Whether `jobs` jobs run every test of the plan, and at least one:
    /// every task that holds tests is keyed by a job's index (`"0"` to
    /// `jobs - 1`, spelled as a decimal without leading zeros). A task no
    /// job reads would drop its tests silently (D26).
    pub(crate) fn reaches_every_test(&self, jobs: u32) -> bool {
        let reachable = |key: &str| {
            key.parse::<u32>()
                .is_ok_and(|index| index < jobs && index.to_string() == key)
        };
        !self.runs_nothing()
            && self
                .tasks
                .iter()
                .all(|(key, task)| task.tests.is_empty() || reachable(key))
    }

    /// Whether no job has a test to run: no tasks, or only empty ones. Test
    /// Engine's error plan is one; a plan file must not be (D26).
    pub(crate) fn runs_nothing(&self) -> bool {
        self.tasks.values().all(|task| task.tests.is_empty())
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_plan() {
        let json = r#"{
          "identifier": "b/s", "parallelism": 2, "experiment": "",
          "tasks": {
            "0": {"node_number": 0, "tests": [
              {"format": "selector", "value": "tests/test_a.py", "estimated_duration": 5200, "timing_sample_size": 12},
              {"format": "example", "path": "tests/test_slow.py::test_big", "scope": "tests/test_slow.py",
               "name": "test_big", "identifier": "tests/test_slow.py::test_big", "estimated_duration": 61000.5}
            ]},
            "1": {"node_number": 1, "tests": [{"path": "tests/test_b.py"}]}
          },
          "muted_tests": [{"scope": "tests/test_a.py::TestX", "name": "test_flaky"}],
          "skipped_tests": null,
          "timing_metadata": {"selector": {"median_duration": null, "default_duration": 1000}},
          "known_timings_ratio": 0.83,
          "Fallback": true
        }"#;
        let plan: TestPlan = serde_json::from_str(json).unwrap();
        let node0 = plan.task_tests(0).unwrap();
        assert_eq!(node0[0].runnable(), "tests/test_a.py");
        assert_eq!(node0[1].runnable(), "tests/test_slow.py::test_big");
        assert_eq!(node0[1].estimated_duration, Some(61000.5));
        assert_eq!(plan.task_tests(1).unwrap()[0].runnable(), "tests/test_b.py");
        assert_eq!(plan.task_tests(2), None);
        assert_eq!(plan.muted_tests[0].name, "test_flaky");
        assert!(plan.skipped_tests.is_empty());
    }
}
