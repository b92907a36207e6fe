//! Discovery by pytest itself (`files.discovery = "pytest"`, issue #12), as
//! the app runs it: the runner collects (`runner/pytest_discovery.rs`),
//! discovery filters (`discover::discover_with_pytest`), and the debug line
//! is written here until the reporter owns it.

use super::Context;
use super::connect::build_runner;
use super::error::BktecError;
use crate::config::RunSettings;
use crate::discover::{Discovery, TargetSource};
use crate::shell::{Shell, debug_line};

/// Collects the suite with the test command's own pytest and groups its
/// tests into files, in pytest's order. The include and exclude patterns
/// filter the files when they were set explicitly.
pub(super) fn discover_with_pytest(
    context: &Context,
    settings: &RunSettings,
    shell: &mut Shell,
) -> Result<Discovery, BktecError> {
    let runner = build_runner(context, settings)?;
    let (discovery, stats) = crate::discover::discover_with_pytest(&runner, settings, &context.cwd)
        .map_err(|source| BktecError::Discover {
            command: settings.command,
            source: Box::new(source),
        })?;
    if let (true, TargetSource::Pytest { command, .. }) = (settings.debug, &discovery.source) {
        shell.err(&debug_line(&format!(
            "`{command}` collected {} tests in {} files in {:.3}s{}",
            stats.tests,
            stats.files,
            stats.took.as_secs_f64(),
            match stats.left_out {
                0 => String::new(),
                n => format!("; the include and exclude patterns leave out {n} files"),
            }
        )));
    }
    Ok(discovery)
}
