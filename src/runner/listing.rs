//! Example listings of the runners other than pytest (behaviour document
//! 6.4): RSpec's and Cucumber's dry runs and Playwright's `--list` write a
//! JSON report, which is read with the runner's own result parser.

use std::path::Path;
use std::process::Command;

use super::framework::{ExampleListing, Listing};
use super::pytest_collect::{CollectError, CollectedExample, printed, run_collection};
use super::setup::Runner;
use super::target::TargetError;
use crate::chain::ErrorChain;
use crate::results::{ResultFormat, TestResult};

/// The examples of `files`, listed by `listing`.
pub(super) fn list_examples(
    runner: &Runner,
    listing: &ExampleListing,
    files: &[String],
) -> Result<Vec<CollectedExample>, CollectError> {
    let tests = list_results(runner, listing.tool, listing.format, files, |out| {
        (listing.command)(runner, files, out)
    })?;
    // One example per target: Playwright lists a spec once per project,
    // and the spec's `file:line` runs it in every project, so two nodes
    // must never be given it (D39; the Go client sends the first project's).
    let mut seen = std::collections::HashSet::new();
    Ok(tests
        .into_iter()
        .filter(|t| seen.insert(t.path.clone()))
        .map(|t| CollectedExample {
            history_key: runner
                .kind
                .framework()
                .history
                .and_then(|history| (history.key)(&t)),
            // The listing names tests relative to the working directory.
            node_id: t.path.clone(),
            file: t.scope.clone(),
            key: String::new(),
            path: t.path,
            scope: t.scope,
            name: t.name,
        })
        .collect())
}

/// The tests of `files` as the listing that `command` builds writes them
/// (in `format`, to the path it is given), read with the runner's own
/// result parser, so that they are named as its results are.
pub(super) fn list_results(
    runner: &Runner,
    tool: &'static str,
    format: ResultFormat,
    files: &[String],
    command: impl FnOnce(&Path) -> Result<Listing, TargetError>,
) -> Result<Vec<TestResult>, CollectError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let dir = tempfile::Builder::new()
        .prefix("bktec-examples-")
        .tempdir()
        .map_err(|err| CollectError::start(tool, "a temporary directory", err))?;
    let out = dir.path().join("examples.json");
    let Listing { argv, env } = command(&out).map_err(|err| CollectError::target(tool, err))?;
    let mut child = Command::new(&argv[0]);
    child.args(&argv[1..]).envs(env);
    let output = run_collection(&mut child, runner.collect_deadline)
        .map_err(|err| CollectError::process(tool, err))?;
    let printed = || printed([&output.stdout, &output.stderr]);
    if !output.status.success() {
        return Err(CollectError::failed(tool, printed()));
    }
    let parsed = crate::results::parse_listing(&out, format)
        .map_err(|err| CollectError::failed(tool, format!("{:#}", ErrorChain(&err))))?;
    if let Some(error) = parsed.run_error {
        return Err(CollectError::failed(
            tool,
            format!("{error}\n{}", printed()),
        ));
    }
    Ok(parsed.tests)
}
