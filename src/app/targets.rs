//! The targets stage: what this run's jobs divide, from discovery by
//! pattern, row files, `go list` or pytest itself (issue #12). It reports
//! what it found and what looks wrong; it never prints.

use std::path::Path;

use super::Context;
use super::connect::build_runner;
use super::error::BktecError;
use crate::config::RunSettings;
use crate::config::env_vars::EnvVars;
use crate::config::resolve::DiscoveryMode;
use crate::discover::{Discovery, TargetSource, discover, discover_with_pytest, pytest_config};
use crate::events::Notice;
use crate::report::Reporter;

/// Discovers the targets of `settings`, reporting its warnings.
pub(super) fn targets(
    context: &Context,
    settings: &RunSettings,
    reporter: &mut Reporter,
) -> Result<Discovery, BktecError> {
    // Row files name the targets in either mode.
    let by_pytest = settings.discovery == DiscoveryMode::Pytest
        && settings.selector_file.is_none()
        && settings.files_list.is_none();
    let discovery = if by_pytest {
        collect_with_pytest(context, settings, reporter)?
    } else {
        let walked = discover(settings, &context.cwd);
        // Said whether the pattern found files or not: when it found
        // none, pytest's configuration is the likeliest reason.
        let found = walked.as_ref().map_or(&[][..], |d| &d.targets[..]);
        let addopts = context.env.get(EnvVars::PYTEST_ADDOPTS).unwrap_or_default();
        warn_if_pytest_disagrees(&context.cwd, settings, found, addopts, reporter);
        walked.map_err(|source| BktecError::Discover {
            command: settings.command,
            source: Box::new(source),
        })?
    };
    for warning in &discovery.warnings {
        reporter.notice(Notice::DiscoveryWarning(warning));
    }
    reporter.notice(Notice::Discovered {
        targets: discovery.targets.len(),
    });
    Ok(discovery)
}

/// Discovery by pytest itself (issue #12): the runner collects the suite
/// with the test command's own pytest, and discovery keeps the files that
/// the include and exclude patterns allow, when they were set.
fn collect_with_pytest(
    context: &Context,
    settings: &RunSettings,
    reporter: &mut Reporter,
) -> Result<Discovery, BktecError> {
    let runner = build_runner(context, settings)?;
    let (discovery, stats) =
        discover_with_pytest(&runner, settings, &context.cwd).map_err(|source| {
            BktecError::Discover {
                command: settings.command,
                source: Box::new(source),
            }
        })?;
    if let TargetSource::Pytest { command, .. } = &discovery.source {
        reporter.notice(Notice::PytestCollected {
            command: command.as_str(),
            tests: stats.tests,
            files: stats.files,
            left_out: stats.left_out,
            took: stats.took,
        });
    }
    Ok(discovery)
}

/// Reports that the runner's default pattern finds other tests than pytest
/// would, from the pytest configuration pytest itself would read (issue
/// #12); nothing when they agree, or when the user chose the pattern.
fn warn_if_pytest_disagrees(
    cwd: &Path,
    settings: &RunSettings,
    targets: &[String],
    addopts: &str,
    reporter: &mut Reporter,
) {
    let walks = settings.selector_file.is_none() && settings.files_list.is_none();
    let Some(pattern) = settings.include_pattern.as_ref() else {
        return;
    };
    if !settings.runner.allows_discovery_by_pytest() || pattern.origin.set_by_user() || !walks {
        return;
    }
    // Without a configuration file, pytest's defaults and the test
    // command's options still count.
    let config = pytest_config::find(cwd).unwrap_or_default();
    // What the test command and PYTEST_ADDOPTS add to the configuration.
    let mut command: Vec<String> = settings
        .test_command
        .as_ref()
        .map(|c| c.value.program_words())
        .unwrap_or_default();
    command.extend(addopts.split_whitespace().map(String::from));
    let reasons = config.disagreements(cwd, targets, &command);
    if reasons.is_empty() {
        return;
    }
    let file = (!config.file.as_os_str().is_empty()).then(|| relative(&config.file, cwd));
    reporter.notice(Notice::PatternDisagrees {
        pattern: pattern.value.as_str(),
        config_file: file.as_deref(),
        reasons: &reasons,
    });
}

/// `path` relative to `base` when it is under it (`pytest.ini`), else
/// relative with `..` steps (`../pytest.ini`).
fn relative(path: &Path, base: &Path) -> String {
    if let Ok(inside) = path.strip_prefix(base) {
        return inside.display().to_string();
    }
    let mut up = String::new();
    for ancestor in base.ancestors().skip(1) {
        up.push_str("../");
        if let Ok(rest) = path.strip_prefix(ancestor) {
            return format!("{up}{}", rest.display());
        }
    }
    path.display().to_string()
}
