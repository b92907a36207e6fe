//! `bktec durations update` and `bktec run --store-durations` (D31): merge
//! measured durations into the durations file, keyed on pytest node ids.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::Context;
use super::error::BktecError;
use super::local::durations_source;
use crate::config::RunSettings;
use crate::exit_code;
use crate::plan::{Durations, align, file_of, plain, read_durations, write_durations};
use crate::results::{Mapping, ResultFormat, ResultsError, TestResult, parse};
use crate::shell::Shell;

/// `bktec durations update RESULT_FILE...`: every file's measured
/// durations replace the old ones of their tests; with `prune`, tests whose
/// file discovery no longer finds are dropped.
pub(super) fn update(
    context: &Context,
    settings: &RunSettings,
    result_files: &[PathBuf],
    prune: bool,
    shell: &mut Shell,
) -> Result<u8, BktecError> {
    let mut measured = Vec::new();
    for path in result_files {
        let format = sniff(path).map_err(BktecError::DurationsResults)?;
        let parsed = parse(path, format, Mapping::Pytest).map_err(BktecError::DurationsResults)?;
        measured.extend(parsed.tests);
    }
    let discovered = if prune {
        Some(context.discover(settings, shell)?.targets)
    } else {
        None
    };
    let summary = store(context, settings, &measured, discovered.as_deref(), shell)?;
    shell.err(&format!("{summary}\n"));
    Ok(exit_code::SUCCESS)
}

/// Merges the durations of `results` into the durations file of
/// `settings`, dropping tests outside the files of the `discovered` targets
/// when given; returns the line that says what changed.
pub(super) fn store(
    context: &Context,
    settings: &RunSettings,
    results: &[TestResult],
    discovered: Option<&[String]>,
    shell: &mut Shell,
) -> Result<String, BktecError> {
    let durations_error = |source| BktecError::Durations {
        command: settings.command,
        source,
    };
    let Some(mut source) = durations_source(context, settings) else {
        return Ok("No durations file is configured; nothing was stored".to_string());
    };
    // Updating creates the file, named or not.
    source.required = false;
    let mut durations = read_durations(&source)
        .map_err(durations_error)?
        .unwrap_or_default();
    let measured: Vec<(String, f64)> = results
        .iter()
        // A pytest test's node id always has a `::`; an entry without one
        // is a file's collection error, which has no duration to keep.
        .filter(|t| t.path.contains("::"))
        .filter_map(|t| Some((t.path.clone(), t.duration?.as_secs_f64())))
        .collect();
    let count = measured.len();
    durations.merge(measured);
    let pruned = discovered.map_or(0, |targets| prune(&mut durations, targets, shell));
    write_durations(&source.path, &durations).map_err(durations_error)?;
    let mut line = format!(
        "Stored the durations of {count} tests in `{}` ({} tests in all",
        source.path.display(),
        durations.len()
    );
    if discovered.is_some() {
        line.push_str(&format!(", {pruned} no longer discovered dropped"));
    }
    line.push(')');
    Ok(line)
}

/// The format of a result file, from its first non-blank byte: `<` is
/// JUnit XML, anything else collector JSON.
fn sniff(path: &Path) -> Result<ResultFormat, ResultsError> {
    let mut head = [0u8; 512];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| ResultsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(
        match head[..read].iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => ResultFormat::JUnitXml,
            _ => ResultFormat::CollectorJson,
        },
    )
}

/// Drops the tests of `durations` whose file is not among the files of
/// `targets`, with node ids matched to targets as the planner matches them
/// (`./`, pytest's rootdir); returns how many went. Tests outside the
/// working directory are kept: discovery cannot see them. When no test at
/// all matches, nothing is dropped: that is a durations file written from
/// another directory, not a suite whose every test was deleted.
fn prune(durations: &mut Durations, targets: &[String], shell: &mut Shell) -> usize {
    let files: BTreeSet<&str> = targets.iter().map(|t| plain(file_of(t))).collect();
    let shift = align(durations, targets).shift;
    let found = |id: &str| {
        shift
            .apply(id)
            .map(|id| files.contains(plain(file_of(&id))))
    };
    if !durations.is_empty() && !durations.iter().any(|(id, _)| found(id) == Some(true)) {
        shell.warn(&format!(
            "None of the {} tests in the durations file is in a file that discovery found ({} files), so none was pruned; are its node ids relative to another directory?",
            durations.len(),
            files.len()
        ));
        return 0;
    }
    durations.retain(|id| found(id) != Some(false))
}
