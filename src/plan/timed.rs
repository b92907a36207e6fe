//! The time-aware local plan (D31): files weighed by their tests' measured
//! durations and their own cost (D52), files longer than their fair share
//! split into their tests where that pays, then everything assigned longest
//! first to the job that finishes it soonest.
//!
//! All arithmetic is in whole microseconds, and every order is a sort with
//! a total order (estimate, then name), so every job computes the same plan
//! from the same inputs (D20): no clocks, no hash order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::align::{Aligned, Shift, align, plain};
use super::assign::{Assigned, Entry, assign};
use super::durations::Durations;
use super::model::{TestCase, TestFormat, TestPlan};

/// A time-aware plan and what the planner assumed (for `--debug`).
#[derive(Debug)]
pub(crate) struct TimedPlan {
    /// The plan; every entry carries `estimated_duration` (D32).
    pub plan: TestPlan,
    /// What was estimated rather than measured, and what was split.
    pub notes: Vec<PlanNote>,
}

/// Files longer than their fair share could not be collected to be split
/// into their tests (D31). `E` is the collection's error.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} longer than a fair share of the time ({}) and must be split into tests, but the runner could not list the tests of {}. Every job must split the same way, so this job stops rather than guess what the others run",
    subject(.files),
    seconds_text(*.fair_share_us),
    if .files.len() == 1 { "it" } else { "them" }
)]
pub(crate) struct SplitError<E: std::error::Error + 'static> {
    /// The files to split.
    pub files: Vec<String>,
    /// A fair share of the time, in microseconds.
    pub fair_share_us: u64,
    /// Why the collection failed.
    #[source]
    pub source: E,
}

/// The most bytes of node ids one split file may add to a job's command
/// line (Linux allows 2 MiB for all arguments and the environment).
const MAX_SPLIT_BYTES: usize = 128 * 1024;

/// Seconds to whole microseconds (durations are checked finite and
/// non-negative when read; the cast saturates).
fn micros(seconds: f64) -> u64 {
    (seconds * 1e6).round() as u64
}

/// The file part of a node id: everything before the first `::`.
pub(crate) fn file_of(node_id: &str) -> &str {
    // A byte scan: planning calls this for every test of the history, and
    // a general substring search costs more than the rest of the planner.
    let bytes = node_id.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| b == b':') {
        let at = from + at;
        if bytes.get(at + 1) == Some(&b':') {
            return &node_id[..at];
        }
        from = at + 1;
    }
    node_id
}

/// The median of `values` (the lower middle one of an even count); `None`
/// when empty. Durations are never NaN (they are checked when read).
pub(super) fn median<T: Copy + PartialOrd>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut values: Vec<T> = values.into_iter().collect();
    values.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len().checked_sub(1)? / 2).copied()
}

/// Plans `targets` over `parallelism` jobs with `history`. `collect`, when
/// the runner can split files (pytest), returns the tests of the files it is
/// given, collected with the test command's own pytest (D13); its node ids
/// must belong to those files, or the files are kept whole, so that no test
/// is ever lost or run twice. A collection that fails is an error, with
/// pytest's message: a job cannot know whether the other jobs' collections
/// failed too (an import that fails now and then, a dependency missing on
/// one agent), so it cannot know what they run, and guessing loses tests.
pub(crate) fn timed_plan<E: std::error::Error + 'static>(
    targets: &[String],
    parallelism: u32,
    history: &Durations,
    collect: Option<impl FnOnce(&[String]) -> Result<Vec<Collected>, E>>,
    cost: SplitCost,
) -> Result<TimedPlan, SplitError<E>> {
    let parallelism = parallelism.max(1);
    let mut notes = Vec::new();
    // The history keyed as the targets are.
    let aligned = align(history, targets);
    notes.extend(shift_note(&aligned.shift));
    let estimates = Estimates::of(&aligned, history);
    // One entry per distinct target, sorted by name.
    let unique: BTreeSet<&str> = targets.iter().map(String::as_str).collect();
    let entries = estimates.weigh(&unique, &mut notes);
    // Files longer than their fair share are split into their tests.
    let total = entries
        .iter()
        .map(Entry::weight)
        .fold(0, u64::saturating_add);
    let fair_share = total / u64::from(parallelism);
    let to_split: Vec<String> = entries
        .iter()
        .filter(|e| parallelism > 1 && e.weight() > fair_share && !e.case.path.contains("::"))
        .map(|e| e.case.path.clone())
        .collect();
    let (Some(collect), false) = (collect, to_split.is_empty()) else {
        return Ok(TimedPlan {
            plan: assign(entries, parallelism, estimates.job_us).plan,
            notes,
        });
    };
    // The plan with every file whole, to weigh the split against.
    let whole = assign(entries.clone(), parallelism, estimates.job_us);
    let split = Split {
        estimates: &estimates,
        fair_share,
        parallelism,
        listing_us: match cost {
            SplitCost::Free => 0,
            SplitCost::Listing => estimates.listing(&to_split),
        },
    };
    split.plan(entries, &to_split, collect, whole, notes)
}

/// What it costs each job to split files into their tests (D52).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SplitCost {
    /// Nothing: the tests are known already (pytest discovered them).
    Free,
    /// Every job lists the tests of the files to split before it runs any:
    /// a start of the runner, and the import of those files.
    Listing,
}

/// What the planner did and why, as data (D32): `report/` words each note
/// (a debug line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PlanNote {
    /// The history names tests from pytest's rootdir above the working
    /// directory: this directory is taken off its node ids.
    HistoryFromAbove {
        /// The directory.
        dir: String,
    },
    /// The history names tests from pytest's rootdir below the working
    /// directory: this directory is put in front of its node ids.
    HistoryFromBelow {
        /// The directory.
        dir: String,
    },
    /// Targets without history, each estimated at the median of the known
    /// files.
    TargetsWithoutHistory {
        /// How many.
        count: usize,
        /// Of how many targets.
        of: usize,
        /// The estimate, in microseconds.
        estimate_us: u64,
        /// The first of them.
        first: String,
    },
    /// A file longer than its fair share is split into its tests.
    FileSplit {
        /// The file.
        file: String,
        /// The fair share, in microseconds.
        fair_share_us: u64,
        /// How many tests.
        tests: usize,
    },
    /// Tests of split files without history, each estimated at the mean
    /// test of its file (issue 22, item 5).
    SplitTestsWithoutHistory {
        /// How many.
        count: usize,
        /// The first of them.
        first: String,
        /// Its estimate, in microseconds.
        estimate_us: u64,
    },
    /// Splitting files would not make the plan faster, for what every job
    /// that runs part of a file pays for it again (D52): they stay whole.
    SplitDidNotPay {
        /// How many files would have been split.
        files: usize,
        /// The slowest job with them whole, in microseconds.
        whole_us: u64,
        /// The slowest job with them split, in microseconds.
        split_us: u64,
    },
    /// Each job lists the tests of the files to split before it runs any:
    /// counted in its start-up (D52).
    SplitListing {
        /// What it costs, in microseconds.
        us: u64,
    },
    /// pytest collected a test outside the files it was given: every file
    /// is kept whole.
    StrayCollected {
        /// The test's node id.
        path: String,
    },
    /// A file longer than its fair share stays whole: its node ids would
    /// not fit on a command line.
    TooLongToSplit {
        /// The file.
        file: String,
        /// How many tests.
        tests: usize,
        /// How many bytes their node ids take.
        bytes: usize,
        /// The most a command line is given.
        max: usize,
    },
}

/// What the planner says about the history's shift, if it was shifted.
fn shift_note(shift: &Shift) -> Option<PlanNote> {
    match shift {
        Shift::None => None,
        Shift::Strip(dir) => Some(PlanNote::HistoryFromAbove { dir: dir.clone() }),
        Shift::Prepend(dir) => Some(PlanNote::HistoryFromBelow { dir: dir.clone() }),
    }
}

/// What the history says each test and file takes, and the estimates for
/// what it does not know: the medians of the known tests and files.
struct Estimates<'a> {
    aligned: &'a Aligned<'a>,
    /// Each file's total, in microseconds, and how many of its tests the
    /// history knows.
    files: HashMap<&'a str, (u64, u64)>,
    /// The median test, for tests the history does not know.
    test_us: u64,
    /// The median file, for files the history does not know.
    file_us: u64,
    /// Each file's own cost (D52), keyed as targets are, in microseconds.
    file_costs: HashMap<String, u64>,
    /// The median file's own cost, for files without a measured one.
    file_cost_us: u64,
    /// A job's fixed start-up (D52), in microseconds.
    job_us: u64,
    /// What earlier jobs' listings of files to split took, in
    /// microseconds.
    listing_us: Option<u64>,
}

impl<'a> Estimates<'a> {
    /// The sums per file of `aligned`, the medians, and the costs of
    /// `history` keyed as `aligned` keys its tests.
    fn of(aligned: &'a Aligned<'a>, history: &Durations) -> Estimates<'a> {
        type Totals<'a> = HashMap<&'a str, (u64, u64)>;
        fn add<'a>(files: &mut Totals<'a>, (file, us, tests): (&'a str, u64, u64)) {
            let (total, count) = files.entry(file).or_insert((0, 0));
            *total = total.saturating_add(us);
            *count += tests;
        }
        let mut files: Totals<'_> = HashMap::new();
        let mut test_values = Vec::with_capacity(aligned.len());
        // A file's tests mostly come one after another (the history is
        // sorted): sum each run of them before looking the file up.
        let mut run: Option<(&str, u64, u64)> = None;
        for (id, seconds) in aligned.iter() {
            let us = micros(seconds);
            test_values.push(us);
            let file = file_of(id);
            match &mut run {
                Some((current, total, tests)) if *current == file => {
                    *total = total.saturating_add(us);
                    *tests += 1;
                }
                _ => {
                    if let Some(done) = run.replace((file, us, 1)) {
                        add(&mut files, done);
                    }
                }
            }
        }
        if let Some(done) = run {
            add(&mut files, done);
        }
        let test_us = median(test_values).unwrap_or(0);
        let file_us = median(files.values().map(|&(us, _)| us)).unwrap_or(0);
        let costs = history.costs();
        let file_costs: HashMap<String, u64> = costs
            .files
            .iter()
            .filter_map(|(file, &seconds)| Some((aligned.shift.apply(file)?, micros(seconds))))
            .collect();
        let file_cost_us = median(file_costs.values().copied()).unwrap_or(0);
        Estimates {
            aligned,
            files,
            test_us,
            file_us,
            file_costs,
            file_cost_us,
            job_us: micros(costs.job),
            listing_us: costs.listing.map(micros),
        }
    }

    /// The own cost of `file` (`./` removed): measured, or the median
    /// file's when the history knows other files' costs (D52).
    fn file_cost(&self, file: &str) -> u64 {
        self.file_costs
            .get(file)
            .copied()
            .unwrap_or(self.file_cost_us)
    }

    /// The estimate of a test the history does not know (issue 22, item
    /// 5): the mean test of its file, when the history knows the file, else
    /// the median test of the suite. A test added to a slow file is most
    /// likely as slow as its neighbours.
    fn unknown_test(&self, id: &str) -> u64 {
        let file = plain(file_of(id));
        match self.files.get(file) {
            Some(&(total, tests)) if tests > 0 => total / tests,
            Some(_) | None => self.test_us,
        }
    }

    /// What listing the tests of `files` costs a job (D52): what the
    /// listings of earlier jobs took, or else a start of the runner and
    /// importing the files.
    fn listing(&self, files: &[String]) -> u64 {
        self.listing_us.unwrap_or_else(|| {
            files
                .iter()
                .map(|f| self.file_cost(plain(f)))
                .fold(self.job_us, u64::saturating_add)
        })
    }

    /// `entries` with the files `to_split` replaced by the tests the
    /// history knows of them, as a guess at the split plan before any
    /// listing runs; `None` when the history knows no test of one of them.
    fn split_by_history(&self, entries: &[Entry], to_split: &[String]) -> Option<Vec<Entry>> {
        let wanted: HashMap<&str, u64> = to_split
            .iter()
            .map(|f| (plain(f), self.file_cost(plain(f))))
            .collect();
        let mut guess: Vec<Entry> = entries
            .iter()
            .filter(|e| !wanted.contains_key(plain(&e.case.path)))
            .cloned()
            .collect();
        let before = guess.len();
        for (id, seconds) in self.aligned.iter() {
            let file = plain(file_of(id));
            if let Some(&file_cost) = wanted.get(file) {
                guess.push(Entry {
                    us: micros(seconds),
                    file: file.to_string(),
                    file_cost,
                    case: TestCase::for_path(id),
                });
            }
        }
        let files: BTreeSet<&str> = guess[before..].iter().map(|e| e.file.as_str()).collect();
        (files.len() == wanted.len()).then_some(guess)
    }

    /// What the history measured for node id `id`.
    fn measured(&self, id: &str) -> Option<u64> {
        self.aligned.get(plain(id)).map(micros)
    }

    /// One entry per target of `unique`, in its order, with its measured or
    /// estimated time and its file's own cost; notes how many targets were
    /// estimated.
    fn weigh(&self, unique: &BTreeSet<&str>, notes: &mut Vec<PlanNote>) -> Vec<Entry> {
        let mut unknown = Vec::new();
        let entries: Vec<Entry> = unique
            .iter()
            .map(|&target| {
                let is_test = target.contains("::");
                let known = if is_test {
                    self.measured(target)
                } else {
                    self.files.get(plain(target)).map(|&(us, _)| us)
                };
                let estimate = known.unwrap_or_else(|| {
                    unknown.push(target);
                    if is_test {
                        self.unknown_test(target)
                    } else {
                        self.file_us
                    }
                });
                let file = plain(file_of(target));
                Entry {
                    us: estimate,
                    file: file.to_string(),
                    file_cost: self.file_cost(file),
                    case: TestCase::for_path(target),
                }
            })
            .collect();
        if let Some(first) = unknown.first() {
            notes.push(PlanNote::TargetsWithoutHistory {
                count: unknown.len(),
                of: entries.len(),
                estimate_us: self.file_us,
                first: (*first).to_string(),
            });
        }
        entries
    }
}

/// A test of a file to split, as the runner's collection or listing names
/// it (D51): how a job runs it, the file it belongs to, and its key in the
/// timing history, which for runners other than pytest is not what runs it
/// (RSpec runs `./spec/a_spec.rb[1:2]`, its history knows
/// `spec/a_spec.rb::Cart adds up`).
#[derive(Clone, Debug)]
pub(crate) struct Collected {
    /// The test as a job runs it.
    pub(crate) case: TestCase,
    /// The file (target) it belongs to.
    pub(crate) file: String,
    /// Its key in the timing history.
    pub(crate) key: String,
}

impl Collected {
    /// A pytest test: its node id runs it, names its file and is its key.
    pub(crate) fn by_node_id(case: TestCase) -> Collected {
        Collected {
            file: file_of(&case.path).to_string(),
            key: case.path.clone(),
            case,
        }
    }
}

/// Files longer than `fair_share`, replaced by their collected tests.
struct Split<'e, 'a> {
    estimates: &'e Estimates<'a>,
    fair_share: u64,
    parallelism: u32,
    /// What listing the files to split costs each job, in microseconds.
    listing_us: u64,
}

impl Split<'_, '_> {
    /// The plan with the files `to_split` of `entries` split into their
    /// tests when that makes the slowest job sooner than the plan `whole`
    /// (D52): every job that runs part of a file pays its own cost again,
    /// and every job pays the listing. What the history knows of their
    /// tests decides first, so that a listing that cannot pay never runs;
    /// then the listing's tests decide. At a tie, files that cost something
    /// stay whole.
    fn plan<E: std::error::Error + 'static>(
        &self,
        entries: Vec<Entry>,
        to_split: &[String],
        collect: impl FnOnce(&[String]) -> Result<Vec<Collected>, E>,
        whole: Assigned,
        mut notes: Vec<PlanNote>,
    ) -> Result<TimedPlan, SplitError<E>> {
        let startup = self.estimates.job_us.saturating_add(self.listing_us);
        let costly = self.listing_us > 0
            || to_split
                .iter()
                .any(|f| self.estimates.file_cost(plain(f)) > 0);
        let whole_us = whole.makespan;
        let pays =
            |split: &Assigned| split.makespan < whole_us || split.makespan == whole_us && !costly;
        // The plan with every file whole; `split_us` is what the split plan
        // would have taken, when there was one.
        let kept_whole = |mut notes: Vec<PlanNote>, split_us: Option<u64>| {
            if let Some(split_us) = split_us {
                notes.retain(|note| !matches!(note, PlanNote::FileSplit { .. }));
                notes.push(PlanNote::SplitDidNotPay {
                    files: to_split.len(),
                    whole_us,
                    split_us,
                });
            }
            TimedPlan {
                plan: whole.plan,
                notes,
            }
        };
        if let Some(guess) = self.estimates.split_by_history(&entries, to_split) {
            let guess = assign(guess, self.parallelism, startup);
            if !pays(&guess) {
                return Ok(kept_whole(notes, Some(guess.makespan)));
            }
        }
        let collected = collect(to_split).map_err(|source| SplitError {
            files: to_split.to_vec(),
            fair_share_us: self.fair_share,
            source,
        })?;
        let mut split_entries = entries;
        // Nothing could be split: every file stays whole (noted).
        if self.apply(&mut split_entries, to_split, collected, &mut notes) == 0 {
            return Ok(kept_whole(notes, None));
        }
        let split = assign(split_entries, self.parallelism, startup);
        if !pays(&split) {
            return Ok(kept_whole(notes, Some(split.makespan)));
        }
        if self.listing_us > 0 {
            notes.push(PlanNote::SplitListing {
                us: self.listing_us,
            });
        }
        Ok(TimedPlan {
            plan: split.plan,
            notes,
        })
    }

    /// Replaces the files `to_split` of `entries` by their tests of
    /// `collected`, each with its measured or estimated time. All are kept
    /// whole when pytest collected a test outside them, and one is when its
    /// node ids would not fit on a command line. Returns how many files
    /// were split.
    fn apply(
        &self,
        entries: &mut Vec<Entry>,
        to_split: &[String],
        collected: Vec<Collected>,
        notes: &mut Vec<PlanNote>,
    ) -> usize {
        let Some(by_file) = by_file(to_split, collected, notes) else {
            return 0;
        };
        entries.retain(|e| !by_file.contains_key(e.case.path.as_str()));
        // Room for the tests, and no more: doubling the entries would move
        // megabytes for a few tests.
        entries.reserve_exact(by_file.values().map(Vec::len).sum());
        let mut new_tests: Vec<(String, u64)> = Vec::new();
        let split = by_file.len();
        for (file, cases) in by_file {
            notes.push(PlanNote::FileSplit {
                file: file.to_string(),
                fair_share_us: self.fair_share,
                tests: cases.len(),
            });
            let file_cost = self.estimates.file_cost(plain(file));
            let mut seen = BTreeSet::new();
            for Collected { case, key, .. } in cases {
                if !seen.insert(case.path.clone()) {
                    continue;
                }
                let estimate = self.estimates.measured(&key).unwrap_or_else(|| {
                    let estimate = self.estimates.unknown_test(&key);
                    new_tests.push((case.path.clone(), estimate));
                    estimate
                });
                entries.push(Entry {
                    us: estimate,
                    file: plain(file).to_string(),
                    file_cost,
                    case,
                });
            }
        }
        if let Some((first, estimate_us)) = new_tests.first() {
            notes.push(PlanNote::SplitTestsWithoutHistory {
                count: new_tests.len(),
                first: first.clone(),
                estimate_us: *estimate_us,
            });
        }
        split
    }
}

/// The tests of `collected` grouped by the file of `to_split` they belong
/// to, without the files whose node ids would not fit on a command line;
/// `None` when a test belongs to none of them.
fn by_file<'f>(
    to_split: &'f [String],
    collected: Vec<Collected>,
    notes: &mut Vec<PlanNote>,
) -> Option<BTreeMap<&'f str, Vec<Collected>>> {
    // Each file to split by its plain name.
    let wanted: BTreeMap<&str, &str> = to_split.iter().map(|f| (plain(f), f.as_str())).collect();
    if let Some(stray) = collected
        .iter()
        .find(|c| !wanted.contains_key(plain(&c.file)))
    {
        notes.push(PlanNote::StrayCollected {
            path: stray.case.path.clone(),
        });
        return None;
    }
    let mut by_file: BTreeMap<&str, Vec<Collected>> = BTreeMap::new();
    for collected in collected {
        let file = wanted[plain(&collected.file)];
        by_file.entry(file).or_default().push(collected);
    }
    // A file whose node ids would not fit on a command line stays whole:
    // passing it is always possible, passing them is not.
    by_file.retain(|file, cases| {
        let bytes: usize = cases.iter().map(|c| c.case.path.len() + 1).sum();
        let fits = bytes <= MAX_SPLIT_BYTES;
        if !fits {
            notes.push(PlanNote::TooLongToSplit {
                file: file.to_string(),
                tests: cases.len(),
                bytes,
                max: MAX_SPLIT_BYTES,
            });
        }
        fits
    });
    Some(by_file)
}

/// `` File `a.py` is ``, or `` Files `a.py`, `b.py`, `c.py` and 3 more are ``:
/// the subject of the split error.
fn subject(files: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = files
        .iter()
        .take(SHOWN)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    if files.len() == 1 {
        format!("File {text} is")
    } else {
        format!("Files {text} are")
    }
}

/// An example test case for a collected node id.
pub(crate) fn example(node_id: String, scope: String, name: String) -> TestCase {
    TestCase {
        identifier: node_id.clone(),
        path: node_id,
        format: Some(TestFormat::Example),
        name,
        scope,
        ..TestCase::default()
    }
}

/// For `benches/plan.rs`: reads a durations document and plans `targets`
/// over `parallelism` jobs, with `collected` standing in for pytest's
/// collection of the files to split (collection is not the planner's
/// cost). Returns each job's predicted time in milliseconds.
#[doc(hidden)]
pub fn plan_for_bench(
    targets: &[String],
    parallelism: u32,
    durations_json: &[u8],
    collected: &[String],
) -> Vec<f64> {
    let history = Durations::parse(durations_json, std::path::Path::new("bench"), "bench")
        .expect("the benchmark writes a valid durations file");
    let collect = |files: &[String]| -> Result<Vec<Collected>, std::convert::Infallible> {
        Ok(collected
            .iter()
            .filter(|id| files.iter().any(|f| f == file_of(id)))
            .map(|id| {
                Collected::by_node_id(example(id.clone(), file_of(id).to_string(), String::new()))
            })
            .collect())
    };
    let plan = timed_plan(
        targets,
        parallelism,
        &history,
        Some(collect),
        SplitCost::Free,
    )
    .expect("the bench's collection never fails")
    .plan;
    let startup = plan.startup_duration.unwrap_or(0.0);
    plan.tasks
        .values()
        .map(|t| {
            t.tests
                .iter()
                .filter_map(|c| c.estimated_duration)
                .fold(startup, |sum, ms| sum + ms)
        })
        .collect()
}

fn seconds_text(us: u64) -> String {
    format!("{:.3}s", us as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that the planner noted something matching the pattern.
    macro_rules! assert_noted {
        ($planned:expr, $pattern:pat) => {
            assert!(
                $planned.notes.iter().any(|n| matches!(n, $pattern)),
                "{:?}",
                $planned.notes
            )
        };
    }

    fn history(pairs: &[(&str, f64)]) -> Durations {
        Durations::from_pairs(pairs.iter().map(|(id, s)| (id.to_string(), *s)))
    }

    fn targets(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// What a collection in these tests fails with.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Pytest(&'static str);

    type Collect = fn(&[String]) -> Result<Vec<Collected>, Pytest>;

    fn jobs(plan: &TestPlan) -> Vec<Vec<(&str, f64)>> {
        plan.tasks
            .values()
            .map(|t| {
                t.tests
                    .iter()
                    .map(|c| (c.path.as_str(), c.estimated_duration.unwrap()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn longest_first_onto_the_least_loaded_job() {
        let h = history(&[
            ("a.py::t", 5.0),
            ("b.py::t", 4.0),
            ("c.py::t", 3.0),
            ("d.py::t", 3.0),
            ("e.py::t", 1.0),
        ]);
        let plan = timed_plan(
            &targets(&["e.py", "d.py", "c.py", "b.py", "a.py"]),
            2,
            &h,
            None::<Collect>,
            SplitCost::Free,
        )
        .unwrap()
        .plan;
        assert_eq!(
            jobs(&plan),
            [
                vec![("a.py", 5000.0), ("d.py", 3000.0)],
                vec![("b.py", 4000.0), ("c.py", 3000.0), ("e.py", 1000.0)],
            ]
        );
    }

    #[test]
    fn unknown_files_get_the_median_of_known_files() {
        let h = history(&[
            ("a.py::x", 1.0),
            ("a.py::y", 1.0),
            ("b.py::t", 4.0),
            ("c.py::t", 6.0),
        ]);
        let planned = timed_plan(
            &targets(&["a.py", "b.py", "c.py", "new.py"]),
            1,
            &h,
            None::<Collect>,
            SplitCost::Free,
        )
        .unwrap();
        let all = &jobs(&planned.plan)[0];
        assert!(all.contains(&("new.py", 4000.0)), "{all:?}");
        assert!(
            matches!(
                &planned.notes[0],
                PlanNote::TargetsWithoutHistory {
                    count: 1,
                    of: 4,
                    ..
                }
            ),
            "{:?}",
            planned.notes
        );
    }

    /// A collection of `ids`, each in the file its node id names.
    fn collection(ids: &[&str]) -> Vec<Collected> {
        ids.iter()
            .map(|id| {
                Collected::by_node_id(example(id.to_string(), file_of(id).into(), String::new()))
            })
            .collect()
    }

    #[test]
    fn a_file_is_split_only_when_that_pays_for_its_import_in_every_job() {
        use crate::plan::samples::Costs;
        let costs = |import: f64| Costs {
            job: 0.5,
            files: [("a.py".to_string(), import), ("b.py".to_string(), 0.0)].into(),
            listing: None,
        };
        let h = history(&[
            ("a.py::x", 1.0),
            ("a.py::y", 1.0),
            ("a.py::z", 1.0),
            ("b.py::t", 4.0),
        ]);
        let collect = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            Ok(collection(&["a.py::x", "a.py::y", "a.py::z"]))
        };
        // A 3 s import: `a.py` whole takes 6 s; split, two jobs pay it.
        let planned = timed_plan(
            &targets(&["a.py", "b.py"]),
            2,
            &h.clone().with_costs(costs(3.0)),
            Some(collect),
            SplitCost::Free,
        )
        .unwrap();
        assert_eq!(
            jobs(&planned.plan),
            [vec![("a.py", 6000.0)], vec![("b.py", 4000.0)]]
        );
        assert_eq!(planned.plan.startup_duration, Some(500.0));
        assert_noted!(
            planned,
            PlanNote::SplitDidNotPay {
                files: 1,
                whole_us: 6_500_000,
                split_us: 8_500_000
            }
        );
        // Four 1 s tests and a 0.1 s import, beside a 2 s file: splitting
        // pays, and each job that runs part of `a.py` pays its import once.
        let h = history(&[
            ("a.py::w", 1.0),
            ("a.py::x", 1.0),
            ("a.py::y", 1.0),
            ("a.py::z", 1.0),
            ("b.py::t", 2.0),
        ]);
        let collect = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            Ok(collection(&["a.py::w", "a.py::x", "a.py::y", "a.py::z"]))
        };
        let planned = timed_plan(
            &targets(&["a.py", "b.py"]),
            2,
            &h.with_costs(costs(0.1)),
            Some(collect),
            SplitCost::Free,
        )
        .unwrap();
        let setups: Vec<Option<f64>> = planned
            .plan
            .tasks
            .values()
            .flat_map(|t| &t.tests)
            .filter(|c| c.path.starts_with("a.py::"))
            .map(|c| c.setup_duration)
            .collect();
        assert_eq!(setups.iter().flatten().count(), 2, "{:?}", planned.plan);
        assert_noted!(planned, PlanNote::FileSplit { .. });
    }

    #[test]
    fn a_split_that_a_listing_makes_slower_is_not_listed() {
        use crate::plan::samples::Costs;
        // Four 1 s tests and a 0.1 s import beside a 1 s file; a job
        // starts up in 2 s, and so does the listing of the file to split.
        let h = history(&[
            ("a.py::w", 1.0),
            ("a.py::x", 1.0),
            ("a.py::y", 1.0),
            ("a.py::z", 1.0),
            ("b.py::t", 1.0),
        ])
        .with_costs(Costs {
            job: 2.0,
            files: [("a.py".to_string(), 0.1), ("b.py".to_string(), 0.0)].into(),
            listing: None,
        });
        let t = targets(&["a.py", "b.py"]);
        let never = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            panic!("a listing that cannot pay must not run")
        };
        let planned = timed_plan(&t, 2, &h, Some(never), SplitCost::Listing).unwrap();
        assert_eq!(
            jobs(&planned.plan),
            [vec![("a.py", 4100.0)], vec![("b.py", 1000.0)]]
        );
        assert_noted!(
            planned,
            PlanNote::SplitDidNotPay {
                whole_us: 6_100_000,
                split_us: 7_200_000,
                ..
            }
        );
        // Known tests (pytest discovered them) cost no listing: it pays.
        let known = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            Ok(collection(&["a.py::w", "a.py::x", "a.py::y", "a.py::z"]))
        };
        let planned = timed_plan(&t, 2, &h, Some(known), SplitCost::Free).unwrap();
        assert_eq!(
            planned.plan.task_tests(0).unwrap().len(),
            3,
            "{:?}",
            planned.plan
        );
        assert_eq!(planned.plan.startup_duration, Some(2000.0));
        // Earlier jobs measured their listing at 0.1 s: the split pays,
        // and each job's start-up counts it.
        let mut costs = h.costs().clone();
        costs.listing = Some(0.1);
        let measured = h.clone().with_costs(costs);
        let planned = timed_plan(&t, 2, &measured, Some(known), SplitCost::Listing).unwrap();
        assert_eq!(planned.plan.startup_duration, Some(2100.0));
        assert!(
            planned
                .notes
                .contains(&PlanNote::SplitListing { us: 100_000 }),
            "{:?}",
            planned.notes
        );
    }

    #[test]
    fn a_slow_file_is_split_and_keeps_tests_the_history_does_not_know() {
        let h = history(&[
            ("slow.py::a", 10.0),
            ("slow.py::b[x y]", 10.0),
            ("fast.py::t", 1.0),
        ]);
        let collect = |files: &[String]| -> Result<Vec<Collected>, Pytest> {
            assert_eq!(files, ["slow.py"]);
            Ok(["slow.py::a", "slow.py::b[x y]", "slow.py::new"]
                .map(|id| {
                    Collected::by_node_id(example(id.to_string(), "slow.py".into(), String::new()))
                })
                .to_vec())
        };
        let planned = timed_plan(
            &targets(&["fast.py", "slow.py"]),
            2,
            &h,
            Some(collect),
            SplitCost::Free,
        )
        .unwrap();
        let mut all: Vec<&str> = jobs(&planned.plan)
            .concat()
            .iter()
            .map(|(p, _)| *p)
            .collect();
        all.sort();
        assert_eq!(
            all,
            ["fast.py", "slow.py::a", "slow.py::b[x y]", "slow.py::new"]
        );
        // Issue 22, item 5: a new test of a slow file is as slow as its
        // neighbours, not the suite's median test.
        let new = planned
            .plan
            .tasks
            .values()
            .flat_map(|task| &task.tests)
            .find(|t| t.path == "slow.py::new")
            .unwrap();
        assert_eq!(new.estimated_duration, Some(10_000.0));
        assert_noted!(planned, PlanNote::SplitTestsWithoutHistory { count: 1, .. });
    }

    #[test]
    fn a_collection_outside_the_files_keeps_them_whole() {
        let h = history(&[("slow.py::a", 10.0), ("fast.py::t", 1.0)]);
        let collect = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            Ok(vec![Collected::by_node_id(example(
                "elsewhere/slow.py::a".into(),
                String::new(),
                String::new(),
            ))])
        };
        let planned = timed_plan(
            &targets(&["fast.py", "slow.py"]),
            2,
            &h,
            Some(collect),
            SplitCost::Free,
        )
        .unwrap();
        assert_eq!(
            jobs(&planned.plan),
            [vec![("slow.py", 10000.0)], vec![("fast.py", 1000.0)]]
        );
    }

    #[test]
    fn a_failed_collection_is_an_error_with_pytest_s_message() {
        let h = history(&[("slow.py::a", 10.0), ("fast.py::t", 1.0)]);
        let collect =
            |_: &[String]| -> Result<Vec<Collected>, Pytest> { Err(Pytest("E   ImportError")) };
        let err = timed_plan(
            &targets(&["fast.py", "slow.py"]),
            2,
            &h,
            Some(collect),
            SplitCost::Free,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("File `slow.py` is longer than a fair share of the time (5.500s)")
                && text.ends_with("could not list the tests of it. Every job must split the same way, so this job stops rather than guess what the others run"),
            "{text}"
        );
        assert_eq!(err.files, ["slow.py"]);
        assert_eq!(err.source.0, "E   ImportError");
    }

    #[test]
    fn a_failed_collection_of_several_files_names_them() {
        let h = history(&[
            ("a.py::t", 10.0),
            ("b.py::t", 10.0),
            ("c.py::t", 10.0),
            ("d.py::t", 10.0),
            ("e.py::t", 10.0),
            ("f.py::t", 1.0),
        ]);
        let collect = |_: &[String]| -> Result<Vec<Collected>, Pytest> { Err(Pytest("E")) };
        let all = targets(&["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]);
        let err = timed_plan(&all, 8, &h, Some(collect), SplitCost::Free).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "Files `a.py`, `b.py`, `c.py` and 2 more are longer than a fair share of the time (6.375s)"
            ) && err.to_string().contains("could not list the tests of them."),
            "{err}"
        );
    }

    #[test]
    fn a_history_of_zeros_still_spreads_the_files() {
        let h = history(&[
            ("a.py::t", 0.0),
            ("b.py::t", 0.0),
            ("c.py::t", 0.0),
            ("d.py::t", 0.0),
        ]);
        let plan = timed_plan(
            &targets(&["a.py", "b.py", "c.py", "d.py"]),
            2,
            &h,
            None::<Collect>,
            SplitCost::Free,
        )
        .unwrap()
        .plan;
        let sizes: Vec<usize> = jobs(&plan).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2]);
    }

    #[test]
    fn a_file_with_too_many_node_ids_for_a_command_line_stays_whole() {
        let h = history(&[("big.py::t", 100.0), ("small.py::t", 1.0)]);
        let collect = |_: &[String]| -> Result<Vec<Collected>, Pytest> {
            Ok((0..20_000)
                .map(|i| {
                    Collected::by_node_id(example(
                        format!("big.py::test_{i:010}"),
                        String::new(),
                        String::new(),
                    ))
                })
                .collect())
        };
        let planned = timed_plan(
            &targets(&["big.py", "small.py"]),
            2,
            &h,
            Some(collect),
            SplitCost::Free,
        )
        .unwrap();
        assert_eq!(
            jobs(&planned.plan),
            [vec![("big.py", 100_000.0)], vec![("small.py", 1000.0)]]
        );
        assert_noted!(planned, PlanNote::TooLongToSplit { .. });
    }

    #[test]
    fn the_same_inputs_give_the_same_plan() {
        let h = history(&[
            ("a.py::t", 1.0),
            ("b.py::t", 1.0),
            ("c.py::t", 1.0),
            ("d.py::t", 1.0),
        ]);
        let t = targets(&["d.py", "c.py", "b.py", "a.py", "a.py"]);
        let first = timed_plan(&t, 3, &h, None::<Collect>, SplitCost::Free)
            .unwrap()
            .plan;
        let mut reversed = t.clone();
        reversed.reverse();
        let second = timed_plan(&reversed, 3, &h, None::<Collect>, SplitCost::Free)
            .unwrap()
            .plan;
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            serde_json::to_string(&second).unwrap()
        );
        // Ties go by name to the lowest job; duplicates are planned once.
        assert_eq!(
            jobs(&first),
            [
                vec![("a.py", 1000.0), ("d.py", 1000.0)],
                vec![("b.py", 1000.0)],
                vec![("c.py", 1000.0)]
            ]
        );
    }
}
