//! The local plan stage, shared by `run` and `plan`, and by the fallback
//! after a Test Engine API failure: time-aware when a durations file holds
//! history (D31), else the sorted round-robin of the behaviour document
//! (12.1), exactly as before.

use super::Context;
use super::error::BktecError;
use crate::config::RunSettings;
use crate::config::origin::Origin;
use crate::plan::{DurationsSource, TestPlan, example, local_plan, read_durations, timed_plan};
use crate::results::ResultFormat;
use crate::runner::Runner;
use crate::shell::{Shell, debug_line};

/// Where the durations file of `settings` is, if any: the built-in default
/// may be missing, a file the user named may not (D31).
pub(super) fn durations_source(
    context: &Context,
    settings: &RunSettings,
) -> Option<DurationsSource> {
    let file = settings.durations.as_ref()?;
    Some(DurationsSource {
        path: context.cwd.join(&file.value),
        origin: file.origin.describe(),
        required: file.origin != Origin::BuiltIn,
    })
}

/// Plans `targets` over `jobs` locally. `runner`, when it collects with
/// pytest, splits files longer than their fair share into their tests.
pub(super) fn plan_locally(
    context: &Context,
    settings: &RunSettings,
    targets: &[String],
    jobs: u32,
    runner: Option<&Runner>,
    shell: &mut Shell,
) -> Result<TestPlan, BktecError> {
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
    let splitter = runner
        .filter(|r| r.kind.framework().collects_with_pytest)
        .map(|runner| {
            move |files: &[String]| {
                let junit = runner
                    .result_file()
                    .is_some_and(|f| f.format == ResultFormat::JUnitXml);
                runner
                    .collect_examples(files, settings.tag_filters.as_deref(), junit)
                    .map(|collected| {
                        collected
                            .into_iter()
                            .map(|e| example(e.node_id, e.scope, e.name))
                            .collect()
                    })
            }
        });
    let planned = timed_plan(targets, jobs, &history, splitter).map_err(BktecError::Split)?;
    if settings.debug {
        shell.err(&debug_line(&format!(
            "Planning with the timing history of {} tests",
            history.len()
        )));
        for note in &planned.notes {
            shell.err(&debug_line(note));
        }
    }
    Ok(planned.plan)
}
