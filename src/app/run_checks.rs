//! The checks of a run that refuse it before any test runs, and the
//! merged JUnit report it writes at the end (issue 13).

use std::path::{Path, PathBuf};

use super::error::BktecError;
use crate::cli::UsageError;
use crate::config::RunSettings;
use crate::config::resolve::Sourced;
use crate::events::JUnitOut;
use crate::events::RunEvent;
use crate::execute::kept_path;
use crate::glob::{clean, through_symlinks};
use crate::report::{Reporter, merged_junit};
use crate::results::RunResult;

/// Refuses a test command that stops at the first failure when retries
/// are on (see `Framework::fail_fast_options`).
pub(super) fn refuse_fail_fast_with_retries(settings: &RunSettings) -> Result<(), BktecError> {
    let (Some(command), retries @ 1..) = (&settings.test_command, settings.retry.count) else {
        return Ok(());
    };
    let options = settings.runner.framework().fail_fast_options;
    let words = command.value.program_words();
    match fail_fast_option(&words, options) {
        Some(option) => Err(BktecError::Usage(UsageError::FailFastWithRetries {
            option,
            origin: command.origin.describe(),
            retries,
        })),
        None => Ok(()),
    }
}

/// The first of `options` that `words` turn on: as a word (`--bail`), with
/// a value (`--bail=1`, `--bail 1`), or inside an assignment that passes it
/// on (`SPEC_OPTS=--fail-fast`). A value of 0 or `false` turns it off
/// (`--bail=0`, `--max-failures=0`).
fn fail_fast_option(words: &[String], options: &[&str]) -> Option<String> {
    let off = |value: &str| matches!(value, "0" | "false");
    for (at, word) in words.iter().enumerate() {
        // `SPEC_OPTS=--fail-fast -f d`: each part after the `=` is a word.
        let parts: Vec<&str> = match word.split_once('=') {
            Some((name, rest)) if !name.starts_with('-') => rest.split_whitespace().collect(),
            _ => vec![word.as_str()],
        };
        for part in parts {
            for option in options {
                if part == *option {
                    let next = words.get(at + 1).map(String::as_str);
                    if next.is_some_and(off) {
                        continue;
                    }
                    return Some(part.to_string());
                }
                if let Some(value) = part.strip_prefix(option).and_then(|r| r.strip_prefix('='))
                    && !off(value)
                {
                    return Some(part.to_string());
                }
            }
        }
    }
    None
}

/// Refuses a `--junit-out` path that would clobber this run's own result
/// files (the result path, or an attempt's kept copy), or that is not a
/// regular file: a FIFO would block bktec, a directory cannot be written.
pub(super) fn check_junit_out(
    out: &Sourced<PathBuf>,
    result: Option<&Path>,
    retries: u32,
) -> Result<(), BktecError> {
    let refuse = |why: String| {
        Err(BktecError::JUnitOut {
            path: out.value.clone(),
            origin: out.origin.describe(),
            why,
        })
    };
    if let Ok(meta) = std::fs::metadata(&out.value)
        && !meta.is_file()
    {
        return refuse("it is not a regular file".to_string());
    }
    let Some(result) = result else {
        return Ok(());
    };
    let same = |a: &Path, b: &Path| {
        // Symlinks followed, even to a file that does not exist yet.
        let (a, b) = (through_symlinks(a), through_symlinks(b));
        let absolute = |p: &Path| std::path::absolute(p).map(|p| clean(&p.to_string_lossy()));
        match (std::fs::canonicalize(&a), std::fs::canonicalize(&b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => absolute(&a).ok() == absolute(&b).ok(),
        }
    };
    if same(&out.value, result) {
        return refuse("it is the test command's own result file".to_string());
    }
    if let Some(n) = (0..=retries).find(|&n| same(&out.value, &kept_path(result, n))) {
        return refuse(format!("it is where attempt {n}'s results are kept"));
    }
    Ok(())
}

/// Writes the JUnit report merged over all attempts where `--junit-out`
/// says, if it says (issue 13, item 2).
pub(super) fn write_junit_out(
    settings: &RunSettings,
    record: &RunResult,
    reporter: &mut Reporter,
) -> JUnitOut {
    let Some(out) = &settings.junit_out else {
        return JUnitOut::NotAsked;
    };
    let xml = merged_junit(
        record,
        settings.runner.as_str(),
        settings.runner.names_tests_by_node_id(),
    );
    let written = out
        .value
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| write_regular(&out.value, xml.as_bytes()));
    let status = match &written {
        Ok(()) => JUnitOut::Written,
        Err(_) => JUnitOut::Failed,
    };
    reporter.report(RunEvent::JUnitWritten {
        path: &out.value,
        origin: &out.origin,
        tests: record.results().count(),
        result: written,
    });
    status
}

/// Writes `bytes` to the regular file at `path`, created when missing.
/// What the test command may have put there since the up-front check is
/// refused without blocking: a FIFO with no reader fails to open (the open
/// does not wait), anything that is not a regular file is not written.
fn write_regular(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    file.set_len(0)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(command: &str, options: &[&str]) -> Option<String> {
        let words: Vec<String> = command.split(' ').map(String::from).collect();
        fail_fast_option(&words, options)
    }

    #[test]
    fn fail_fast_options_in_every_spelling_and_off_when_zero() {
        let jest = ["--bail", "-b"];
        assert_eq!(found("npx jest --bail", &jest).as_deref(), Some("--bail"));
        assert_eq!(
            found("npx jest --bail=2", &jest).as_deref(),
            Some("--bail=2")
        );
        assert_eq!(
            found("npx jest --bail 1 x", &jest).as_deref(),
            Some("--bail")
        );
        assert_eq!(found("npx jest -b", &jest).as_deref(), Some("-b"));
        assert_eq!(found("npx jest --bail=0", &jest), None);
        assert_eq!(found("npx jest --bail 0", &jest), None);
        assert_eq!(found("npx jest --bail=false", &jest), None);
        assert_eq!(
            found("npx jest --no-bail --testNamePattern=--bail", &jest),
            None
        );
        let rspec = ["--fail-fast", "--next-failure"];
        assert_eq!(
            found("env SPEC_OPTS=--fail-fast rspec", &rspec).as_deref(),
            Some("--fail-fast")
        );
        assert_eq!(
            found("rspec --next-failure", &rspec).as_deref(),
            Some("--next-failure")
        );
        assert_eq!(found("rspec --no-fail-fast", &rspec), None);
        let playwright = ["--max-failures", "-x"];
        assert_eq!(
            found("npx playwright test --max-failures=0", &playwright),
            None
        );
    }
}
