//! `bktec plan --explain` (D32): each job's predicted time, the lower bound
//! and their ratio, from the plan's `estimated_duration`s.

use std::fmt::Write as _;

use super::model::TestPlan;

/// The explanation of `plan`, or `None` when no entry carries an estimate
/// (a round-robin plan, made without timing history).
///
/// The lower bound is the larger of total / jobs and the longest single
/// entry: no plan of these entries can finish sooner. When files longer than
/// their fair share were split into tests, the longest entry longer than
/// total / jobs is a single test, so this is the bound of issue #11.
pub(crate) fn explain(plan: &TestPlan) -> Option<String> {
    let estimates = plan
        .tasks
        .values()
        .flat_map(|t| t.tests.iter())
        .filter_map(|t| t.estimated_duration);
    // Nothing to explain without a single estimate.
    estimates.clone().next()?;
    let jobs = plan.parallelism.max(1);
    // `fold` from +0.0: an empty `sum` of floats is -0.0.
    let total = estimates.clone().fold(0.0, |sum, ms| sum + ms);
    let longest = estimates.fold(0.0, f64::max);
    let fair = total / f64::from(jobs);
    let lower_bound = fair.max(longest);
    let mut text = String::from("Predicted time per job (from estimated durations):\n");
    let mut slowest: f64 = 0.0;
    for job in 0..jobs {
        let tests = plan.task_tests(job).unwrap_or_default();
        let predicted = tests
            .iter()
            .filter_map(|t| t.estimated_duration)
            .fold(0.0, |sum, ms| sum + ms);
        slowest = slowest.max(predicted);
        let _ = writeln!(
            text,
            "  job {job}: {} ({} entries)",
            seconds(predicted),
            tests.len()
        );
    }
    let _ = writeln!(
        text,
        "Lower bound: {} (the larger of total / jobs = {} and the longest single entry = {})",
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
    fn a_plan_without_estimates_has_nothing_to_explain() {
        let mut p = plan(&[&[1.0]]);
        p.tasks.get_mut("0").unwrap().tests[0].estimated_duration = None;
        assert_eq!(explain(&p), None);
    }
}
