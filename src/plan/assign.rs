//! Assigning weighed entries to jobs (D31, D52): longest first, each onto
//! the job that would finish it soonest. A file's own cost (importing and
//! collecting it, its module-scoped fixtures) is paid once by every job that
//! runs any of it: a job that already runs part of a file takes more of it
//! without paying again, any other job pays the cost on top.
//!
//! All arithmetic is in whole microseconds and every choice has a total
//! order (finish time, then job), so every job computes the same plan
//! (D20).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::model::{Task, TestCase, TestPlan};

/// Something to run and what it takes.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    /// What its tests take, in microseconds.
    pub(super) us: u64,
    /// Its file (`./` removed), whose own cost a job pays once.
    pub(super) file: String,
    /// That file's own cost, in microseconds.
    pub(super) file_cost: u64,
    /// How a job runs it.
    pub(super) case: TestCase,
}

impl Entry {
    /// What it takes in a job that does not run its file yet.
    pub(super) fn weight(&self) -> u64 {
        self.us.saturating_add(self.file_cost)
    }
}

/// A plan and its predicted makespan.
#[derive(Debug)]
pub(super) struct Assigned {
    /// The plan; every entry carries `estimated_duration`, and
    /// `setup_duration` where it brought its file's cost to its job.
    pub(super) plan: TestPlan,
    /// The slowest job's predicted time, start-up included, in
    /// microseconds.
    pub(super) makespan: u64,
}

/// Assigns `entries` over `parallelism` jobs that each start up in
/// `job_us`; ties by name, then by job. Each job runs its entries by name.
pub(super) fn assign(mut entries: Vec<Entry>, parallelism: u32, job_us: u64) -> Assigned {
    // Every entry weighs something, so that a history of zeros (a fast
    // suite's JUnit times, rounded to milliseconds) still spreads the
    // entries over the jobs rather than piling them onto the first.
    for entry in &mut entries {
        entry.us = entry.us.max(1);
    }
    entries.sort_by(|a, b| {
        b.weight()
            .cmp(&a.weight())
            .then_with(|| a.case.path.as_bytes().cmp(b.case.path.as_bytes()))
    });
    let mut loads = Loads::new(parallelism);
    // The jobs that pay each file's cost already.
    let mut holders: HashMap<String, Vec<u32>> = HashMap::new();
    let mut jobs: Vec<Vec<TestCase>> = vec![Vec::new(); parallelism as usize];
    for Entry {
        us,
        file,
        file_cost,
        mut case,
    } in entries
    {
        let (least, least_load) = loads.least();
        // The least-loaded job, paying the file's cost, or a job that pays
        // it already, whichever finishes sooner.
        let mut best = (least_load.saturating_add(us + file_cost), least, file_cost);
        if file_cost > 0 {
            for &job in holders.get(&file).into_iter().flatten() {
                let finish = loads.of(job).saturating_add(us);
                best = best.min((finish, job, 0));
            }
        }
        let (finish, job, paid) = best;
        loads.set(job, finish);
        if paid > 0 {
            holders.entry(file).or_default().push(job);
            case.setup_duration = Some(paid as f64 / 1000.0);
        }
        case.estimated_duration = Some((us + paid) as f64 / 1000.0);
        jobs[job as usize].push(case);
    }
    let makespan = loads.max().saturating_add(job_us);
    let tasks = jobs
        .into_iter()
        .enumerate()
        .map(|(job, mut tests)| {
            // Run order: by name, so a split file's tests stay together.
            tests.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
            let job = u32::try_from(job).expect("at most 1000 jobs");
            (
                job.to_string(),
                Task {
                    node_number: job,
                    tests,
                },
            )
        })
        .collect();
    let mut plan = TestPlan::of_tasks(parallelism, tasks);
    plan.startup_duration = (job_us > 0).then(|| job_us as f64 / 1000.0);
    Assigned { plan, makespan }
}

/// Each job's load, and a heap to find the least-loaded one; a job's
/// entries in the heap that no longer match its load are stale and skipped.
struct Loads {
    loads: Vec<u64>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Loads {
    fn new(parallelism: u32) -> Loads {
        Loads {
            loads: vec![0; parallelism as usize],
            heap: (0..parallelism).map(|job| Reverse((0, job))).collect(),
        }
    }

    /// The least-loaded job (the first of equals) and its load.
    fn least(&mut self) -> (u32, u64) {
        loop {
            let Reverse((load, job)) = *self.heap.peek().expect("at least one job");
            if self.loads[job as usize] == load {
                return (job, load);
            }
            self.heap.pop();
        }
    }

    fn of(&self, job: u32) -> u64 {
        self.loads[job as usize]
    }

    /// Sets `job`'s load; loads only grow, by at least 1, so no two heap
    /// entries of a job have the same load.
    fn set(&mut self, job: u32, load: u64) {
        self.loads[job as usize] = load;
        self.heap.push(Reverse((load, job)));
    }

    fn max(&self) -> u64 {
        self.loads.iter().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, file: &str, ms: u64, cost_ms: u64) -> Entry {
        Entry {
            us: ms * 1000,
            file: file.to_string(),
            file_cost: cost_ms * 1000,
            case: TestCase::for_path(path),
        }
    }

    fn jobs(assigned: &Assigned) -> Vec<Vec<(&str, f64, Option<f64>)>> {
        assigned
            .plan
            .tasks
            .values()
            .map(|t| {
                t.tests
                    .iter()
                    .map(|c| {
                        (
                            c.path.as_str(),
                            c.estimated_duration.unwrap(),
                            c.setup_duration,
                        )
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_job_that_runs_part_of_a_file_takes_more_of_it_without_paying_again() {
        // Three 1 s tests of a file that costs 3 s to import, and a 4 s file.
        let assigned = assign(
            vec![
                entry("a.py::x", "a.py", 1000, 3000),
                entry("a.py::y", "a.py", 1000, 3000),
                entry("a.py::z", "a.py", 1000, 3000),
                entry("b.py", "b.py", 4000, 0),
            ],
            2,
            500_000,
        );
        // `z` joins a job that imports `a.py` already; the one that brought
        // the file to its job carries its cost.
        assert_eq!(
            jobs(&assigned),
            [
                vec![("a.py::x", 4000.0, Some(3000.0)), ("a.py::z", 1000.0, None)],
                vec![("a.py::y", 4000.0, Some(3000.0)), ("b.py", 4000.0, None)],
            ]
        );
        // Greedy is not the best here (the whole file would take 6 s):
        // the planner compares the two (D52).
        assert_eq!(assigned.makespan, 8_500_000);
        assert_eq!(assigned.plan.startup_duration, Some(500.0));
    }

    #[test]
    fn without_costs_it_is_longest_first_onto_the_least_loaded_job() {
        let assigned = assign(
            vec![
                entry("a", "a", 3, 0),
                entry("b", "b", 2, 0),
                entry("c", "c", 2, 0),
                entry("d", "d", 1, 0),
            ],
            2,
            0,
        );
        assert_eq!(
            jobs(&assigned),
            [
                vec![("a", 3.0, None), ("d", 1.0, None)],
                vec![("b", 2.0, None), ("c", 2.0, None)],
            ]
        );
        assert_eq!(assigned.plan.startup_duration, None);
    }
}
