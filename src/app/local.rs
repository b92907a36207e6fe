//! The local plan stage, shared by `run` and `plan`, and by the fallback
//! after a Test Engine API failure: time-aware when a durations file holds
//! history (D31), else the sorted round-robin of the behaviour document
//! (12.1), exactly as before.

use std::collections::HashSet;

use super::Context;
use super::error::BktecError;
use crate::config::RunSettings;
use crate::config::origin::Origin;
use crate::discover::{Discovery, TargetSource};
use crate::events::{Notice, PlanNotice};
use crate::plan::{
    Collected, Durations, DurationsSource, SplitCost, TestPlan, TimedPlan, distinct_targets,
    example, file_of, local_plan, plain, read_durations, timed_plan,
};
use crate::report::Reporter;
use crate::results::ResultFormat;
use crate::runner::{CollectError, Runner};

/// Where the durations file of `settings` is, if any: the built-in default
/// may be missing quietly, a missing file the user named is warned about
/// (D31, issue 21 item 7), unless this run `creates` it
/// (`run --store-durations`).
pub(super) fn durations_source(
    context: &Context,
    settings: &RunSettings,
    creates: bool,
) -> Option<DurationsSource> {
    let file = settings.durations.as_ref()?;
    Some(DurationsSource {
        path: context.cwd.join(&file.value),
        origin: file.origin.describe(),
        required: file.origin != Origin::BuiltIn && !creates,
    })
}

/// How a local split is made.
#[derive(Clone, Copy)]
pub(super) struct LocalSplit<'a> {
    /// Over how many jobs.
    pub(super) jobs: u32,
    /// The runner, when it collects with pytest: it splits files longer
    /// than their fair share into their tests.
    pub(super) runner: Option<&'a Runner>,
    /// Whether this run creates the durations file (`--store-durations`),
    /// so a named one may be missing.
    pub(super) creates_history: bool,
}

/// Plans the targets of `discovery` locally, as `split` says. When pytest
/// discovered the targets, its collection is used and pytest is not run
/// again.
pub(super) fn plan_locally(
    context: &Context,
    settings: &RunSettings,
    discovery: &Discovery,
    split: LocalSplit<'_>,
    reporter: &mut Reporter,
) -> Result<TestPlan, BktecError> {
    let LocalSplit {
        jobs,
        runner,
        creates_history,
    } = split;
    // A target named twice, or inside another target, would run twice.
    let (targets, dropped) = distinct_targets(&discovery.targets);
    if let Some(first) = dropped.first() {
        reporter.notice(Notice::Plan(PlanNotice::TargetsRepeated {
            count: dropped.len(),
            first,
        }));
    }
    let targets = &targets;
    let source = durations_source(context, settings, creates_history);
    let history = match &source {
        Some(source) => read_durations(source).map_err(|source| BktecError::Durations {
            command: settings.command,
            source,
        })?,
        None => None,
    };
    if let Some(source) = source.as_ref().filter(|s| s.required && history.is_none()) {
        reporter.notice(Notice::Plan(PlanNotice::HistoryMissing {
            path: &source.path,
            origin: &source.origin,
        }));
    }
    let Some(history) = history.filter(|h| !h.is_empty()) else {
        reporter.notice(Notice::Plan(PlanNotice::NoHistory));
        return Ok(local_plan(targets, jobs));
    };
    let planned = by_history(
        settings,
        discovery,
        (targets, jobs, &history),
        runner,
        reporter,
    )?;
    // Every job must plan from the same history (D20): the fingerprint lets
    // the jobs' logs be compared.
    if let Some(source) = &source {
        reporter.notice(Notice::Plan(PlanNotice::PlannedByHistory {
            path: source
                .path
                .strip_prefix(&context.cwd)
                .unwrap_or(&source.path),
            tests: history.len(),
            fingerprint: &history.fingerprint(),
        }));
    }
    for note in &planned.notes {
        reporter.notice(Notice::Plan(PlanNotice::PlannerNote(note)));
    }
    Ok(planned.plan)
}

/// The time-aware plan of `targets` over `jobs` by `history` (D31). A split
/// costs every job a listing, unless discovery's own collection already
/// names the tests; how long this job's listing took is measured (D52).
fn by_history(
    settings: &RunSettings,
    discovery: &Discovery,
    (targets, jobs, history): (&[String], u32, &Durations),
    runner: Option<&Runner>,
    reporter: &mut Reporter,
) -> Result<TimedPlan, BktecError> {
    let cost = match discovery.source {
        TargetSource::Pytest { .. } => SplitCost::Free,
        _ => SplitCost::Listing,
    };
    let listed = std::cell::Cell::new(None);
    let splitter = splitter(settings, discovery, runner, reporter).map(|collect| {
        |files: &[String]| {
            let started = std::time::Instant::now();
            let collected = collect(files);
            listed.set(Some(started.elapsed()));
            collected
        }
    });
    let mut planned =
        timed_plan(targets, jobs, history, splitter, cost).map_err(|source| BktecError::Split {
            command: settings.command,
            source,
        })?;
    if cost == SplitCost::Listing {
        planned.plan.listed_in = listed.get();
    }
    Ok(planned)
}

/// What splits a file into its tests, when the runner collects with
/// pytest: discovery's own collection when pytest discovered the targets
/// (pytest is not run again), else a collection of the files to split.
fn splitter<'a>(
    settings: &'a RunSettings,
    discovery: &'a Discovery,
    runner: Option<&'a Runner>,
    reporter: &mut Reporter,
) -> Option<impl FnOnce(&[String]) -> Result<Vec<Collected>, CollectError> + 'a> {
    let already = match &discovery.source {
        TargetSource::Pytest { collected, .. } => Some(collected),
        _ => None,
    };
    if already.is_some() {
        reporter.notice(Notice::Plan(PlanNotice::SplitsWithDiscovery));
    }
    // pytest's collection, or the runner's own example listing (RSpec,
    // Cucumber, Playwright, D51).
    let runner = runner.filter(|r| r.kind.splits_files())?;
    Some(move |files: &[String]| {
        if let Some(collected) = already {
            let wanted: HashSet<&str> = files.iter().map(|f| plain(f)).collect();
            return Ok(collected
                .iter()
                .filter(|e| wanted.contains(plain(file_of(&e.path))))
                .map(|e| {
                    Collected::by_node_id(example(e.path.clone(), e.scope.clone(), e.name.clone()))
                })
                .collect());
        }
        let junit = runner
            .result_file()
            .is_some_and(|f| f.format == ResultFormat::JUnitXml);
        runner
            .collect_examples(files, settings.tag_filters.as_deref(), junit)
            .map(|collected| {
                collected
                    .into_iter()
                    // Planned by path: what the job passes to the runner
                    // from the working directory; weighed by the history's
                    // key, which for a listing is not the path (D51).
                    .map(|e| match e.history_key {
                        Some(key) => Collected {
                            file: file_of(&key).to_string(),
                            case: example(e.path, e.scope, e.name),
                            key,
                        },
                        None => Collected::by_node_id(example(e.path, e.scope, e.name)),
                    })
                    .collect()
            })
    })
}
