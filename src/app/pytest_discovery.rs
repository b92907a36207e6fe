//! Discovery by pytest itself (`files.discovery = "pytest"`, issue #12):
//! the targets are the files of what `pytest --collect-only` collects with
//! the project's own configuration (`testpaths`, `python_files`, `addopts`,
//! `collect_ignore`, doctests) and the test command's own program and
//! options (D13), so that the jobs together run what a plain `pytest` would.

use std::collections::HashSet;
use std::time::Instant;

use super::Context;
use super::connect::build_runner;
use super::error::BktecError;
use crate::config::RunSettings;
use crate::discover::{DiscoverError, Discovery, TargetSource};
use crate::report::{Notice, Reporter};
use crate::runner::CollectedExample;

/// Collects the suite with the test command's own pytest and groups its
/// tests into files, in pytest's order. The include and exclude patterns
/// filter the files when they were set explicitly.
pub(super) fn discover_with_pytest(
    context: &Context,
    settings: &RunSettings,
    reporter: &mut Reporter,
) -> Result<Discovery, BktecError> {
    let fail = |source| BktecError::Discover {
        command: settings.command,
        source: Box::new(source),
    };
    let runner = build_runner(context, settings)?;
    let started = Instant::now();
    let (command, collected) = runner.collect_suite();
    let took = started.elapsed();
    let collected = collected
        .map_err(|source| {
            fail(DiscoverError::PytestCollection {
                command: command.clone(),
                source,
            })
        })?
        .unwrap_or_default();

    // Without bktec's pytest plugin, naming a file could run tests that a
    // plain pytest does not, and a test lost between processes would go
    // unnoticed: discovery by pytest needs it.
    if collected.iter().any(|e| e.key.is_empty()) {
        let disabled = settings.test_command.as_ref().is_some_and(|c| {
            let words = c.value.program_words();
            words
                .iter()
                .any(|w| w == "no:bktec_witness" || w == "-pno:bktec_witness")
        });
        return Err(fail(if disabled {
            DiscoverError::WitnessDisabled { command }
        } else {
            DiscoverError::NoWitness { command }
        }));
    }
    let mut files: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for example in &collected {
        let file = example.file.as_str();
        if seen.insert(file) {
            // A test that no file holds cannot be given to a job.
            let path = context.cwd.join(file);
            // A script may `cd` first: its paths are its own.
            if file.is_empty() || (!runner.runs_script() && !path.is_file()) {
                return Err(fail(DiscoverError::NotInAFile {
                    node_id: example.node_id.clone(),
                    file: file.to_string(),
                }));
            }
            files.push(file);
        }
    }
    let include = settings
        .include_pattern
        .as_ref()
        .filter(|p| p.origin.set_by_user());
    let exclude = Some(&settings.exclude_pattern)
        .filter(|p| p.origin.set_by_user() && !p.value.as_str().is_empty());
    let targets: Vec<String> = files
        .iter()
        .filter(|f| include.is_none_or(|p| p.value.matches(f)))
        .filter(|f| exclude.is_none_or(|p| !p.value.matches(f)))
        .map(|f| f.to_string())
        .collect();
    reporter.notice(Notice::PytestCollected {
        command: command.as_str(),
        tests: collected.len(),
        files: files.len(),
        left_out: files.len() - targets.len(),
        took,
    });
    // Only the tests of the files kept are this run's.
    let kept: HashSet<&str> = targets.iter().map(String::as_str).collect();
    let collected: Vec<CollectedExample> = collected
        .iter()
        .filter(|e| kept.contains(e.file.as_str()))
        .cloned()
        .collect();
    Ok(Discovery {
        targets,
        source: TargetSource::Pytest { command, collected },
        warnings: Vec::new(),
    })
}
