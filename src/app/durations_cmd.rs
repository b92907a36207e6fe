//! `bktec durations update` and `bktec run --store-durations` (D31): merge
//! measured durations into the durations file, keyed on pytest node ids.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::Context;
use super::error::BktecError;
use super::local::durations_source;
use crate::config::RunSettings;
use crate::events::{DurationsStored, FileNotice, Notice};
use crate::exit_code;
use crate::input::{RESULT_FILE, open_regular};
use crate::plan::{
    Durations, JobTiming, MAX_SECONDS, align, file_of, plain, timing_path, update_durations,
};
use crate::report::Reporter;
use crate::results::{ResultFormat, ResultsError, TestResult, parse};

/// `bktec durations update RESULT_FILE...`: every file's measured
/// durations replace the old ones of their tests; with `prune`, tests whose
/// file discovery no longer finds are dropped.
pub(super) fn update(
    context: &Context,
    settings: &RunSettings,
    result_files: &[PathBuf],
    prune: bool,
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    let framework = settings.runner.framework();
    // D51: each runner's own result format, or JUnit XML.
    let json = framework
        .history
        .map_or(ResultFormat::CollectorJson, |h| h.format);
    let mut results = Vec::new();
    let mut records: BTreeMap<PathBuf, JobTiming> = BTreeMap::new();
    let mut seen = HashSet::new();
    for path in result_files {
        // A file named twice (`results/*.json results/job-0.json`, a link
        // to it) counts once.
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let identity = std::fs::metadata(path)
            .map(|m| {
                use std::os::unix::fs::MetadataExt;
                (m.dev(), m.ino())
            })
            .ok();
        if !seen.insert(identity.ok_or_else(|| canonical.clone())) {
            continue;
        }
        match sniff(path, json).map_err(BktecError::DurationsResults)? {
            Sniffed::Timing => {
                records.insert(canonical, read_timing(path, settings)?);
            }
            Sniffed::Results(format) => results.push((path, canonical, format)),
        }
    }
    let mut parsed_files = Vec::new();
    for (path, canonical, format) in results {
        let parsed =
            parse(path, format, framework.mapping).map_err(BktecError::DurationsResults)?;
        parsed_files.push((parsed.tests, timing_path(&canonical)));
    }
    // D52: a timing record's `moved` belongs to the result file beside it.
    let batches: Vec<Batch<'_>> = parsed_files
        .iter()
        .map(|(tests, record)| Batch {
            tests,
            timing: records.get(record),
        })
        .collect();
    let timings: Vec<JobTiming> = records.values().cloned().collect();
    let discovered = if prune {
        Some(super::targets::targets(context, settings, reporter)?.targets)
    } else {
        None
    };
    let stored = store(
        context,
        settings,
        (&batches, &timings),
        discovered.as_deref(),
        false,
        reporter,
    )?;
    reporter.notice(Notice::Files(FileNotice::DurationsStored(&stored)));
    Ok(exit_code::SUCCESS)
}

/// Node ids and measured seconds.
type Measured = Vec<(String, f64)>;

/// One job's results, and the timing record that the same job wrote
/// beside them (D52).
pub(super) struct Batch<'a> {
    /// The results.
    pub(super) tests: &'a [TestResult],
    /// The record, whose `moved` applies to these results only.
    pub(super) timing: Option<&'a JobTiming>,
}

/// Merges the durations of the `batches` into the durations file of
/// `settings`, with the costs of the jobs' `timings` (D52): each test's
/// own time (its duration less the set-up that belongs to its file or its
/// job, as its batch's record says), and each job's start-up, listing and
/// files' own costs. Drops tests outside the files of the `discovered`
/// targets when given; returns what changed. `creates` says that this run
/// creates the file (`run --store-durations`).
pub(super) fn store(
    context: &Context,
    settings: &RunSettings,
    (batches, timings): (&[Batch<'_>], &[JobTiming]),
    discovered: Option<&[String]>,
    creates: bool,
    reporter: &mut Reporter,
) -> Result<DurationsStored, BktecError> {
    let durations_error = |source| BktecError::Durations {
        command: settings.command,
        source,
    };
    let Some(source) = durations_source(context, settings, creates) else {
        return Ok(DurationsStored::NoFile);
    };
    // D51: each runner keys its tests `<target>::<test>`; a runner that
    // writes no result file bktec reads has nothing to keep.
    let Some(history) = settings.runner.framework().history else {
        return Ok(DurationsStored::NoFile);
    };
    let (measured, absurd): (Measured, Measured) = batches
        .iter()
        .flat_map(|batch| batch.tests.iter().map(move |t| (t, batch.timing)))
        .filter_map(|(t, timing)| {
            let key = (history.key)(t)?;
            let seconds = t.duration?.as_secs_f64();
            let moved = timing.and_then(|timing| timing.moved.get(&key));
            let own = seconds - moved.copied().unwrap_or(0.0);
            Some((key, own.max(0.0)))
        })
        // What the reader would refuse is never written (D27).
        .partition(|(_, seconds)| (0.0..=MAX_SECONDS).contains(seconds));
    if let Some((id, seconds)) = absurd.first() {
        reporter.notice(Notice::Files(FileNotice::DurationsOutOfRange {
            count: absurd.len(),
            first: id,
            seconds: *seconds,
            max: MAX_SECONDS,
        }));
    }
    let count = measured.len();
    // Updating creates the file, named or not.
    let (pruned, total) = update_durations(&source, |durations| {
        durations.merge(measured);
        for timing in timings {
            durations.record_costs(timing);
        }
        let pruned = discovered.map(|targets| prune(durations, targets));
        (pruned, durations.len())
    })
    .map_err(durations_error)?;
    if let Some(Pruned::NoneMatched { tests, files }) = pruned {
        reporter.notice(Notice::Files(FileNotice::NothingPruned { tests, files }));
    }
    Ok(DurationsStored::Stored {
        count,
        path: source.path,
        total,
        pruned: pruned.map(|p| match p {
            Pruned::Dropped(n) => n,
            Pruned::NoneMatched { .. } => 0,
        }),
        jobs: timings.len(),
    })
}

/// What pruning did.
#[derive(Clone, Copy)]
enum Pruned {
    /// This many tests were dropped.
    Dropped(usize),
    /// No test of the file is in a discovered file: nothing was dropped.
    NoneMatched {
        /// The tests in the durations file.
        tests: usize,
        /// The files discovery found.
        files: usize,
    },
}

/// What a file given to `durations update` is.
enum Sniffed {
    /// A result file in this format.
    Results(ResultFormat),
    /// A timing record (D52).
    Timing,
}

/// Reads the timing record at `path` (D52), which the runner of
/// `settings` must have measured.
fn read_timing(path: &Path, settings: &RunSettings) -> Result<JobTiming, BktecError> {
    let bytes = crate::input::read_regular(path, RESULT_FILE).map_err(|source| {
        BktecError::DurationsResults(ResultsError::Read {
            path: path.to_path_buf(),
            source,
        })
    })?;
    JobTiming::parse(&bytes, path, settings.runner.as_str()).map_err(BktecError::TimingRecord)
}

/// What a file is, from its start: a timing record, JUnit XML when its
/// first non-blank byte is `<`, else the runner's own `json` format.
fn sniff(path: &Path, json: ResultFormat) -> Result<Sniffed, ResultsError> {
    let mut head = [0u8; 512];
    // A FIFO would block the open, a device never ends (D34).
    let read = open_regular(path, RESULT_FILE)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| ResultsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if JobTiming::is_record(&head[..read]) {
        return Ok(Sniffed::Timing);
    }
    Ok(Sniffed::Results(
        match head[..read].iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => ResultFormat::JUnitXml,
            _ => json,
        },
    ))
}

/// Drops the tests of `durations` whose file is not among the files of
/// `targets`, with node ids matched to targets as the planner matches them
/// (`./`, pytest's rootdir); returns how many went. Tests outside the
/// working directory are kept: discovery cannot see them. When no test at
/// all matches, nothing is dropped: that is a durations file written from
/// another directory, not a suite whose every test was deleted.
fn prune(durations: &mut Durations, targets: &[String]) -> Pruned {
    let files: BTreeSet<&str> = targets.iter().map(|t| plain(file_of(t))).collect();
    let shift = align(durations, targets).shift;
    let found = |id: &str| {
        shift
            .apply(id)
            .map(|id| files.contains(plain(file_of(&id))))
    };
    if !durations.is_empty() && !durations.iter().any(|(id, _)| found(id) == Some(true)) {
        return Pruned::NoneMatched {
            tests: durations.len(),
            files: files.len(),
        };
    }
    Pruned::Dropped(durations.retain(|id| found(id) != Some(false)))
}
