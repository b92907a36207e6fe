//! Attempts as real processes: build the command, keep earlier result files,
//! run the child, and read its results as the runner's exit rules say.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::retry_loop::{
    AttemptError, AttemptEvent, AttemptExit, AttemptReport, AttemptResults, AttemptRunner,
    RetryData,
};
use crate::config::EnvVars;
use crate::process::{ChildExit, ChildSpec, Signals, run_child};
use crate::results::{ParsedResults, ResultFormat};
use crate::runner::{ExitHandling, Listed, RetryKey, Runner, TargetError};
use crate::upload::Uploader;

/// Runs attempts of `runner` as child processes.
pub(crate) struct ProcessAttempts<'a> {
    runner: &'a Runner,
    signals: &'a mut Signals,
    env: Vec<(String, String)>,
    grace: Duration,
    deadline: Option<Duration>,
    uploader: Option<Uploader>,
}

impl<'a> ProcessAttempts<'a> {
    /// Attempts of `runner`, with `upload_token` injected as
    /// `BUILDKITE_ANALYTICS_TOKEN` (7.4) and `grace` before a cancelled
    /// command is killed.
    pub(crate) fn new(
        runner: &'a Runner,
        signals: &'a mut Signals,
        upload_token: &str,
        grace: Duration,
    ) -> ProcessAttempts<'a> {
        ProcessAttempts {
            runner,
            signals,
            env: vec![(
                EnvVars::BUILDKITE_ANALYTICS_TOKEN.to_string(),
                upload_token.to_string(),
            )],
            grace,
            deadline: None,
            uploader: None,
        }
    }

    /// Ends an attempt that runs longer than `deadline` like a cancel (D48).
    pub(crate) fn with_deadline(mut self, deadline: Option<Duration>) -> ProcessAttempts<'a> {
        self.deadline = deadline;
        self
    }

    /// Uploads each attempt's result file with `uploader` (13.1).
    pub(crate) fn with_uploader(mut self, uploader: Option<Uploader>) -> ProcessAttempts<'a> {
        self.uploader = uploader;
        self
    }
}

impl ProcessAttempts<'_> {
    /// The child of attempt `retry.attempt` running `tests`: its result
    /// path cleared, its command line built.
    fn prepare(&self, tests: &[String], retry: RetryData) -> Result<ChildSpec, PrepareError> {
        // A result path that cannot be cleared would let an earlier file be
        // read as this attempt's results: the attempt does not run (D23).
        if let Some(file) = self.runner.result_file()
            && let Err(err) = set_aside(&file.path, file.format, retry)
        {
            return Err(PrepareError::ResultPath {
                path: file.path.clone(),
                source: err,
            });
        }
        // D24: a target that cannot be passed as one never runs; the
        // attempt fails to start, which ends the run with status 16.
        let argv = self.runner.argv(tests, retry.attempt)?;
        let mut env = self.env.clone();
        env.extend(self.runner.attempt_env(retry.attempt));
        Ok(ChildSpec {
            argv,
            env,
            grace: self.grace,
            stdout_copy: self.runner.stdout_copy(retry.attempt),
            deadline: self.deadline,
        })
    }

    /// Reads the attempt's result file as `handling` says, with the
    /// run-level error the exit status implies.
    fn read_results(&self, handling: ExitHandling) -> (AttemptResults, Option<String>) {
        let collected_nothing = handling == ExitHandling::NoTests;
        let (read, run_error) = match handling {
            ExitHandling::Parse | ExitHandling::NoTests => (true, None),
            ExitHandling::ParseThenError(message) => (true, Some(message)),
            ExitHandling::Skip => (false, None),
        };
        let results = match (read, self.runner.result_file()) {
            (_, None) => AttemptResults::NoResultFile,
            (true, Some(file)) if collected_nothing && !file.path.exists() => {
                AttemptResults::Parsed(ParsedResults::default())
            }
            (true, Some(file)) => {
                match crate::results::parse(&file.path, file.format, self.runner.mapping()) {
                    Ok(parsed) => AttemptResults::Parsed(parsed),
                    Err(err) => AttemptResults::Unreadable(AttemptError::new(err)),
                }
            }
            (false, Some(_)) => AttemptResults::NotRead,
        };
        (results, run_error)
    }

    /// Uploads the attempt's result file, when there is one and an
    /// uploader (13.1); a failed upload is reported and the run goes on.
    async fn upload(&mut self, events: &mut dyn FnMut(AttemptEvent)) {
        if let (Some(uploader), Some(file)) = (&mut self.uploader, self.runner.result_file())
            && file.path.exists()
        {
            events(AttemptEvent::Uploading);
            if let Err(err) = uploader.upload(&file.path).await {
                events(AttemptEvent::UploadFailed {
                    error: AttemptError::new(err),
                });
            }
        }
    }
}

impl AttemptRunner for ProcessAttempts<'_> {
    async fn run_attempt(
        &mut self,
        tests: &[String],
        retry: RetryData,
        events: &mut dyn FnMut(AttemptEvent),
    ) -> AttemptReport {
        let spec = match self.prepare(tests, retry) {
            Ok(spec) => spec,
            Err(err) => return start_failed(err),
        };
        events(AttemptEvent::Command {
            argv: spec.argv.clone(),
            reproduction: self.runner.reproduction(&spec.argv),
        });
        let outcome = match run_child(&spec, self.signals).await {
            Ok(outcome) => outcome,
            Err(err) => return start_failed(err),
        };
        if outcome.left_running > 0 {
            // D28: whatever the command left running has been ended; say so.
            events(AttemptEvent::ProcessesLeft {
                count: outcome.left_running,
            });
        }
        let code = match outcome.exit {
            ChildExit::Code(code) => Some(code),
            ChildExit::Signal(_) => None,
        };
        let handling = self.runner.exit_handling(code);
        let collected_nothing = handling == ExitHandling::NoTests;
        let ended_by_bktec = outcome.cancelled_by.is_some() || outcome.timed_out;
        if let (Some(file), Some(_), false) = (self.runner.result_file(), code, collected_nothing)
            && !file.path.exists()
            && !ended_by_bktec
        {
            events(AttemptEvent::NoResultFile {
                path: file.path.clone(),
                format: file.format,
                template_names_it: self.runner.names_result_path(retry.attempt),
                usage_error: self.runner.is_usage_error(code),
            });
        }
        let (results, run_error) = match self.runner.result_file() {
            // An attempt bktec ended may have written nothing: that is no
            // news, and what it did write is read for the report (D48).
            Some(file) if ended_by_bktec && !file.path.exists() => (AttemptResults::NotRead, None),
            _ => self.read_results(handling),
        };
        self.upload(events).await;
        let exit = match (outcome.cancelled_by, outcome.timed_out, outcome.exit) {
            (Some(signal), _, _) => AttemptExit::Cancelled(signal),
            (None, true, _) => AttemptExit::TimedOut(self.deadline.unwrap_or_default()),
            (None, false, ChildExit::Code(code)) => AttemptExit::Exited(code),
            (None, false, ChildExit::Signal(signal)) => AttemptExit::Signaled(signal),
        };
        AttemptReport {
            exit,
            results,
            run_error,
            collected_nothing,
            witness: self.runner.take_witness(retry.attempt),
            progress: self.runner.take_progress(retry.attempt),
        }
    }

    fn cancelled(&mut self) -> Option<i32> {
        self.signals.pending()
    }

    async fn hold_no_tests(&mut self, targets: &[String]) -> bool {
        self.runner.hold_no_tests(targets)
    }

    async fn list_tests(&mut self, targets: &[String]) -> Option<Listed> {
        self.runner.list_tests(targets)
    }

    fn retry_key(&self) -> RetryKey {
        self.runner.retry_key()
    }
}

/// Why an attempt could not be prepared: it never starts.
#[derive(Debug, thiserror::Error)]
enum PrepareError {
    /// The result path could not be prepared.
    #[error("failed to prepare the result path `{}`", path.display())]
    ResultPath {
        /// The result path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A target cannot be passed as one argument (D24).
    #[error(transparent)]
    Target(#[from] TargetError),
}

/// An attempt that never started, with why.
fn start_failed(err: impl std::error::Error + Send + Sync + 'static) -> AttemptReport {
    AttemptReport {
        exit: AttemptExit::StartFailed(AttemptError::new(err)),
        results: AttemptResults::NotRead,
        run_error: None,
        collected_nothing: false,
        witness: None,
        progress: None,
    }
}

/// Prepares the result path for an attempt. Its directory is created (test
/// reporters do not all create it). Before the first attempt a leftover file
/// is removed, and so are the attempt copies an earlier run kept beside it
/// (only the copies the retry count allows, which D35 checked are no input:
/// `p.attempt-3.json` may be the plan file of a run without retries), so
/// stale results can never be read, or uploaded, as this run's. Before a
/// retry, the previous attempt's file is kept as `<stem>.attempt-<n>.<ext>`,
/// so no attempt's results are lost.
fn set_aside(path: &Path, format: ResultFormat, retry: RetryData) -> io::Result<()> {
    let attempt = retry.attempt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    if attempt == 0 {
        for n in 0..=retry.max_retries {
            let kept = kept_path(path, n);
            // Only regular files bktec could have kept there.
            match fs::symlink_metadata(&kept) {
                Ok(meta) if meta.is_file() => fs::remove_file(&kept)?,
                _ => break,
            }
        }
    }
    if fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    check_stale_result(path, format)?;
    if attempt == 0 {
        return fs::remove_file(path);
    }
    fs::rename(path, kept_path(path, attempt - 1))
}

/// Checks that whatever is at the result path may be replaced by a result
/// file of `format`: [`check_result_path`], and a regular file there must
/// begin as one may (D35: not `conftest.py`).
pub(crate) fn check_stale_result(path: &Path, format: ResultFormat) -> io::Result<()> {
    check_result_path(path)?;
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => check_result_like(path, format),
        Ok(_) | Err(_) => Ok(()),
    }
}

/// Checks that whatever is at the result path may be moved or removed: only
/// a regular file or a symbolic link (which is removed, not followed). A
/// directory, a device, a FIFO or a socket there is refused, so that
/// `--result-path /dev/null` can never delete `/dev/null`.
pub(crate) fn check_result_path(path: &Path) -> io::Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let kind = meta.file_type();
    if kind.is_file() || kind.is_symlink() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    };
    Err(io::Error::other(format!(
        "`{}` is {what}; bktec replaces a stale result file before each attempt and will not remove it",
        path.display()
    )))
}

/// Refuses a regular file at the result path whose first bytes cannot
/// begin a result file of `format`: it is some other file of the project,
/// which removing a stale result would delete (D35).
fn check_result_like(path: &Path, format: ResultFormat) -> io::Result<()> {
    let mut head = [0; 512];
    let read = io::Read::read(&mut fs::File::open(path)?, &mut head)?;
    if format.may_begin(&head[..read]) {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "`{}` holds something other than {} results; bktec replaces a stale result file before each attempt and will not remove it (D35)",
        path.display(),
        format.upload_name()
    )))
}

/// Where the results of attempt `n` are kept once a later attempt runs.
pub(crate) fn kept_path(path: &Path, n: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.attempt-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.attempt-{n}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_and_links_at_the_result_path_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        let json = ResultFormat::CollectorJson;
        assert!(check_stale_result(&file, json).is_ok(), "nothing there yet");
        fs::write(&file, "[]").unwrap();
        assert!(check_stale_result(&file, json).is_ok());
        // D35: a file of the project is no stale result.
        fs::write(&file, "def test_a():\n    pass\n").unwrap();
        let err = check_stale_result(&file, json).unwrap_err().to_string();
        assert!(
            err.contains("holds something other than json results"),
            "{err}"
        );
        fs::write(&file, "\u{feff}  <?xml version=\"1.0\"?>").unwrap();
        assert!(check_stale_result(&file, ResultFormat::JUnitXml).is_ok());
        assert!(check_stale_result(&file, json).is_err());
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert!(
            check_stale_result(&link, json).is_ok(),
            "a link is removed, not followed"
        );
        let err = check_stale_result(dir.path(), json)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("is a directory; bktec replaces a stale result file before each attempt and will not remove it"), "{err}");
        let err = check_stale_result(Path::new("/dev/null"), json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a regular file"), "{err}");
    }

    #[test]
    fn kept_paths() {
        assert_eq!(
            kept_path(Path::new("out/results.json"), 0),
            Path::new("out/results.attempt-0.json")
        );
        assert_eq!(
            kept_path(Path::new("junit"), 2),
            Path::new("junit.attempt-2")
        );
    }
}
