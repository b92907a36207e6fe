//! The local plan stage, shared by `run` and `plan`, and by the fallback
//! after a Test Engine API failure: time-aware when a durations file holds
//! history (D31), else the sorted round-robin of the behaviour document
//! (12.1), exactly as before.

use std::collections::HashSet;

use super::Context;
use super::error::BktecError;
use crate::chain::ErrorChain;
use crate::config::RunSettings;
use crate::config::origin::Origin;
use crate::discover::{Discovery, TargetSource};
use crate::plan::{
    DurationsSource, TestPlan, distinct_targets, example, file_of, local_plan, plain,
    read_durations, timed_plan,
};
use crate::results::ResultFormat;
use crate::runner::Runner;
use crate::shell::{Shell, debug_line};

/// Where the durations file of `settings` is, if any: the built-in default
/// may be missing, a file the user named may not (D31), unless this run
/// creates it (`run --store-durations`).
pub(super) fn durations_source(
    context: &Context,
    settings: &RunSettings,
) -> Option<DurationsSource> {
    let file = settings.durations.as_ref()?;
    Some(DurationsSource {
        path: context.cwd.join(&file.value),
        origin: file.origin.describe(),
        required: file.origin != Origin::BuiltIn && !settings.store_durations,
    })
}

/// Plans the targets of `discovery` over `jobs` locally. `runner`, when it
/// collects with pytest, splits files longer than their fair share into
/// their tests; when pytest discovered the targets, its collection is used
/// and pytest is not run again.
pub(super) fn plan_locally(
    context: &Context,
    settings: &RunSettings,
    discovery: &Discovery,
    jobs: u32,
    runner: Option<&Runner>,
    shell: &mut Shell,
) -> Result<TestPlan, BktecError> {
    // A target named twice, or inside another target, would run twice.
    let (targets, dropped) = distinct_targets(&discovery.targets);
    if let Some(first) = dropped.first() {
        shell.warn(&format!(
            "{} targets repeat others or lie inside them, and run only once as part of those, e.g. `{first}`",
            dropped.len()
        ));
    }
    let targets = &targets;
    let history = match durations_source(context, settings) {
        Some(source) => read_durations(&source).map_err(|source| BktecError::Durations {
            command: settings.command,
            source,
        })?,
        None => None,
    };
    let Some(history) = history.filter(|h| !h.is_empty()) else {
        if settings.debug {
            shell.err(&debug_line("No timing history: planning round-robin"));
        }
        return Ok(local_plan(targets, jobs));
    };
    let already = match &discovery.source {
        TargetSource::Pytest { collected, .. } => Some(collected),
        _ => None,
    };
    if already.is_some() && settings.debug {
        shell.err(&debug_line(
            "Files to split are split with the tests that discovery collected",
        ));
    }
    let splitter = runner
        .filter(|r| r.kind.framework().collects_with_pytest)
        .map(|runner| {
            move |files: &[String]| {
                if let Some(collected) = already {
                    let wanted: HashSet<&str> = files.iter().map(|f| plain(f)).collect();
                    return Ok(collected
                        .iter()
                        .filter(|e| wanted.contains(plain(file_of(&e.path))))
                        .map(|e| example(e.path.clone(), e.scope.clone(), e.name.clone()))
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
                            // Planned by path: what the job passes to pytest
                            // from the working directory.
                            .map(|e| example(e.path, e.scope, e.name))
                            .collect()
                    })
            }
        });
    let planned =
        timed_plan(targets, jobs, &history, splitter).map_err(|source| BktecError::Split {
            command: settings.command,
            source,
        })?;
    // Every job must plan from the same history (D20): the fingerprint lets
    // the jobs' logs be compared.
    if let Some(source) = durations_source(context, settings) {
        shell.err(&format!(
            "Buildkite Test Engine Client: Planning by the timing history in `{}` ({} tests, fingerprint {}).\n",
            source.path.strip_prefix(&context.cwd).unwrap_or(&source.path).display(),
            history.len(),
            history.fingerprint()
        ));
    }
    if settings.debug {
        for note in &planned.notes {
            shell.err(&debug_line(note));
        }
    }
    Ok(planned.plan)
}

/// Why pytest could not collect, short enough for a warning: pytest's
/// error lines (`E ...`, `ERROR ...`) when it printed some, else its last
/// lines.
pub(super) fn brief(err: &(dyn std::error::Error + 'static)) -> String {
    const LINES: usize = 6;
    let text = ErrorChain(err).to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("E ") || l.starts_with("ERROR "))
        .collect();
    let shown = if errors.is_empty() {
        &lines[..]
    } else {
        &errors[..]
    };
    let start = shown.len().saturating_sub(LINES);
    let mut brief = shown[start..].join("\n");
    if start > 0 {
        brief = format!("({start} lines left out)\n{brief}");
    }
    brief
}
