//! `bktec plan --explain` (D32): each job's predicted time, the lower bound
//! and their ratio, from the plan's `estimated_duration`s, and with costs
//! measured (D52) the parts of it: the tests, the files' own costs and the
//! job's start-up.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::align::plain;
use super::model::{TestCase, TestPlan};
use super::timed::file_of;

/// The explanation of `plan`, or `None` when no entry carries an estimate
/// (a round-robin plan, made without timing history).
///
/// The lower bound is the job's start-up plus the larger of total / jobs and
/// the longest single entry: no plan of these entries can finish sooner.
/// The total counts each file's own cost once, and the longest entry
/// includes its file's cost. When files longer than their fair share were
/// split into tests, the longest entry longer than total / jobs is a single
/// test, so this is the bound of issue #11.
pub(crate) fn explain(plan: &TestPlan) -> Option<String> {
    let cases = || plan.tasks.values().flat_map(|t| t.tests.iter());
    // Nothing to explain without a single estimate.
    cases().find_map(|t| t.estimated_duration)?;
    let jobs = plan.parallelism.max(1);
    let startup = plan.startup_duration.unwrap_or(0.0);
    // Each file's own cost, paid once at least.
    let mut file_costs: HashMap<&str, f64> = HashMap::new();
    for case in cases() {
        if let Some(setup) = case.setup_duration {
            let cost = file_costs.entry(file_key(case)).or_insert(0.0);
            *cost = cost.max(setup);
        }
    }
    let with_costs = startup > 0.0 || !file_costs.is_empty();
    // `fold` from +0.0: an empty `sum` of floats is -0.0.
    let tests_total = cases().map(tests_part).fold(0.0, |sum, ms| sum + ms);
    let total = file_costs.values().fold(tests_total, |sum, ms| sum + ms);
    let longest = cases()
        .map(|c| tests_part(c) + file_costs.get(file_key(c)).copied().unwrap_or(0.0))
        .fold(0.0, f64::max);
    let fair = total / f64::from(jobs);
    let lower_bound = startup + fair.max(longest);
    let mut text = String::from("Predicted time per job (from estimated durations):\n");
    let mut slowest: f64 = 0.0;
    for job in 0..jobs {
        let tests = plan.task_tests(job).unwrap_or_default();
        let sum = |part: fn(&TestCase) -> f64| tests.iter().map(part).fold(0.0, |s, ms| s + ms);
        let (tests_ms, files_ms) = (sum(tests_part), sum(|c| c.setup_duration.unwrap_or(0.0)));
        let predicted = startup + tests_ms + files_ms;
        slowest = slowest.max(predicted);
        let parts = if with_costs {
            format!(
                ": tests {}, files' import and set-up {}, start-up {}",
                seconds(tests_ms),
                seconds(files_ms),
                seconds(startup)
            )
        } else {
            String::new()
        };
        let entries = if tests.len() == 1 { "entry" } else { "entries" };
        let _ = writeln!(
            text,
            "  job {job}: {} ({} {entries}{parts})",
            seconds(predicted),
            tests.len()
        );
    }
    let startup_text = if with_costs {
        format!("a job's start-up {} plus ", seconds(startup))
    } else {
        String::new()
    };
    let _ = writeln!(
        text,
        "Lower bound: {} ({startup_text}the larger of total / jobs = {} and the longest single entry = {})",
        seconds(lower_bound),
        seconds(fair),
        seconds(longest)
    );
    let ratio = if lower_bound > 0.0 {
        slowest / lower_bound
    } else {
        1.0
    };
    let _ = writeln!(
        text,
        "Slowest job: {}, {ratio:.2}x the lower bound",
        seconds(slowest)
    );
    Some(text)
}

/// What an entry's tests take, without its file's own cost.
fn tests_part(case: &TestCase) -> f64 {
    case.estimated_duration.unwrap_or(0.0) - case.setup_duration.unwrap_or(0.0)
}

/// The file whose own cost an entry pays.
fn file_key(case: &TestCase) -> &str {
    plain(file_of(&case.path))
}

fn seconds(ms: f64) -> String {
    format!("{:.3}s", ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::model::{Task, TestCase};

    fn plan(jobs: &[&[f64]]) -> TestPlan {
        let tasks: BTreeMap<String, Task> = jobs
            .iter()
            .enumerate()
            .map(|(i, tests)| {
                let node_number = u32::try_from(i).unwrap();
                let tests = tests
                    .iter()
                    .map(|ms| TestCase {
                        estimated_duration: Some(*ms),
                        ..TestCase::for_path(format!("t{ms}"))
                    })
                    .collect();
                (i.to_string(), Task { node_number, tests })
            })
            .collect();
        TestPlan {
            parallelism: u32::try_from(jobs.len()).unwrap(),
            tasks,
            ..TestPlan::default()
        }
    }

    #[test]
    fn jobs_the_lower_bound_and_the_ratio() {
        insta::assert_snapshot!(explain(&plan(&[&[6000.0, 1000.0], &[3000.0, 2000.0]])).unwrap(), @r"
        Predicted time per job (from estimated durations):
          job 0: 7.000s (2 entries)
          job 1: 5.000s (2 entries)
        Lower bound: 6.000s (the larger of total / jobs = 6.000s and the longest single entry = 6.000s)
        Slowest job: 7.000s, 1.17x the lower bound
        ");
        let text = explain(&plan(&[&[9000.0], &[1000.0], &[]])).unwrap();
        assert!(text.contains("Lower bound: 9.000s"), "{text}");
        assert!(text.contains("job 2: 0.000s (0 entries)"), "{text}");
        assert!(text.contains("1.00x"), "{text}");
    }

    #[test]
    fn with_costs_each_job_shows_its_parts_and_the_bound_counts_a_file_once() {
        let mut p = plan(&[&[4000.0, 1000.0], &[4000.0]]);
        p.startup_duration = Some(500.0);
        // Three 1 s tests of `a.py`, which takes 3 s to import: each job
        // pays the import on the test that brought the file to it.
        let task = p.tasks.get_mut("0").unwrap();
        task.tests[0].path = "a.py::x".into();
        task.tests[0].setup_duration = Some(3000.0);
        task.tests[1].path = "a.py::y".into();
        let task = p.tasks.get_mut("1").unwrap();
        task.tests[0].path = "a.py::z".into();
        task.tests[0].setup_duration = Some(3000.0);
        insta::assert_snapshot!(explain(&p).unwrap(), @r"
        Predicted time per job (from estimated durations):
          job 0: 5.500s (2 entries: tests 2.000s, files' import and set-up 3.000s, start-up 0.500s)
          job 1: 4.500s (1 entry: tests 1.000s, files' import and set-up 3.000s, start-up 0.500s)
        Lower bound: 4.500s (a job's start-up 0.500s plus the larger of total / jobs = 3.000s and the longest single entry = 4.000s)
        Slowest job: 5.500s, 1.22x the lower bound
        ");
    }

    #[test]
    fn a_plan_without_estimates_has_nothing_to_explain() {
        let mut p = plan(&[&[1.0]]);
        p.tasks.get_mut("0").unwrap().tests[0].estimated_duration = None;
        assert_eq!(explain(&p), None);
    }
}
