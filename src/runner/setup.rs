//! The runner of a run: its command templates, result file and exit-code
//! rules, built once from the settings.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::RunnerKind;
use super::pytest_collect::{
    CollectError, CollectedExample, PreflightError, collect_examples, collection_command,
    collects_nothing,
};
use super::target::{TargetError, TargetOrigin, target_args};
use super::template::{CommandTemplate, MissingTests, TemplateError};
use super::witness::WitnessSite;
use crate::results::{Mapping, ResultFormat, Witness};

/// What the settings say about the runner.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunnerInputs<'a> {
    /// The test command, parsed in resolution (the runner's default when
    /// none is configured, D13).
    pub test_command: Option<&'a CommandTemplate>,
    /// The configured retry command, if any.
    pub retry_command: Option<&'a CommandTemplate>,
    /// The configured result path, if any.
    pub result_path: Option<&'a Path>,
    /// pytest tag filters (`key:value`), if any.
    pub tag_filters: Option<&'a str>,
    /// `PYTHONPATH` as bktec found it, kept behind the witness plugin's
    /// directory (D23).
    pub python_path: Option<&'a str>,
}

/// Where an attempt's results are written, and in which format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResultFile {
    /// The path.
    pub path: PathBuf,
    /// The format.
    pub format: ResultFormat,
}

/// What an attempt's exit code means for its results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExitHandling {
    /// Read the results.
    Parse,
    /// Read the results, then end the run with this error (no retries).
    ParseThenError(String),
    /// The runner collected no tests at all (pytest's status 5): read the
    /// results if the file exists, and a missing file means none (D23).
    NoTests,
    /// Do not read the results.
    Skip,
}

/// Why a runner could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A runner this bktec does not run yet.
    #[error(
        "the {0} runner is not supported by this version of bktec yet (supported: pytest, custom)"
    )]
    Unsupported(RunnerKind),
    /// A command template does not split into words.
    #[error("invalid {which} `{template}`")]
    Template {
        /// `test command` or `retry command`.
        which: &'static str,
        /// The template.
        template: String,
        /// Why.
        #[source]
        source: TemplateError,
    },
    /// The temporary result directory could not be created.
    #[error("failed to create a temporary directory for test results")]
    TempDir(#[source] std::io::Error),
    /// A pre-flight check of behaviour document 7.6 failed (bktec exits 1).
    #[error(transparent)]
    Preflight(PreflightError),
}

/// A runner, ready to build attempts.
#[derive(Debug)]
pub(crate) struct Runner {
    /// Which runner.
    pub kind: RunnerKind,
    pub(super) test: CommandTemplate,
    pub(super) retry: CommandTemplate,
    pub(super) result: Option<ResultFile>,
    pub(super) missing_tests: MissingTests,
    /// Arguments added after the rendered template (pytest's `--tag-filters`).
    pub(super) extra_args: Vec<String>,
    pub(super) exit_rules: fn(&Runner, Option<i32>) -> ExitHandling,
    /// A directory bktec made for results, removed with the runner (D18).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "held so that dropping the runner removes it")
    )]
    pub(super) temp_dir: Option<TempDir>,
    /// The witness plugin's directory, for runners that have one (D23).
    pub(super) witness: Option<WitnessSite>,
}

/// Builds the runner for `kind`. `probe` answers whether the pytest collector
/// is installed; it is only asked when the command does not decide (D14).
pub(crate) fn build(
    kind: RunnerKind,
    inputs: RunnerInputs<'_>,
    probe: impl FnOnce() -> bool,
) -> Result<Runner, RunnerError> {
    let build = kind
        .framework()
        .build
        .ok_or(RunnerError::Unsupported(kind))?;
    let mut probe = Some(probe);
    build(inputs, &mut || probe.take().is_some_and(|probe| probe()))
}

impl Runner {
    /// The argv of attempt `attempt` (0 is the first run) for `tests`.
    /// Every test passes through [`target_args`] here, the one place all
    /// attempts meet, so no test can be read as an option (D24), retries
    /// included: their node ids come from the previous attempt's result file.
    pub(crate) fn argv(&self, tests: &[String], attempt: u32) -> Result<Vec<String>, TargetError> {
        let template = if attempt == 0 {
            &self.test
        } else {
            &self.retry
        };
        let origin = match (attempt.checked_sub(1), &self.result) {
            (Some(previous), Some(file)) => TargetOrigin::Results {
                path: file.path.clone(),
                attempt: previous,
            },
            (Some(_), None) | (None, _) => TargetOrigin::Plan,
        };
        let tests = target_args(tests, &origin)?;
        let result = self
            .result
            .as_ref()
            .map(|r| r.path.display().to_string())
            .unwrap_or_default();
        let mut argv = template.render(&tests, &result, self.missing_tests);
        argv.extend(self.extra_args.iter().cloned());
        Ok(argv)
    }

    /// Whether attempt `attempt`'s command template holds `{{resultPath}}`,
    /// so that the command is told where to write its results.
    pub(crate) fn names_result_path(&self, attempt: u32) -> bool {
        let template = if attempt == 0 {
            &self.test
        } else {
            &self.retry
        };
        template.mentions(super::template::RESULT_PATH)
    }

    /// Whether exit code `code` is the runner's usage error (pytest: 4).
    pub(crate) fn is_usage_error(&self, code: Option<i32>) -> bool {
        self.kind == RunnerKind::Pytest && code == Some(4)
    }

    /// Where results are written, if the runner has a result file.
    pub(crate) fn result_file(&self) -> Option<&ResultFile> {
        self.result.as_ref()
    }

    /// What exit code `code` means (`None`: killed by a signal).
    pub(crate) fn exit_handling(&self, code: Option<i32>) -> ExitHandling {
        (self.exit_rules)(self, code)
    }

    /// Whether the runner proves that `targets` hold no tests at all (D23
    /// (d)): pytest collects nothing from them. Other runners cannot tell.
    pub(crate) fn hold_no_tests(&self, targets: &[String]) -> bool {
        if !self.kind.framework().collects_with_pytest {
            return false;
        }
        let nothing = collects_nothing(&self.test, targets, &self.witness_env("collect"));
        // Deselected tests are tests: only a collection that found
        // none at all proves the targets empty.
        let found = self.witness_of("collect").is_some_and(|w| w.found_tests());
        nothing && !found
    }

    /// The tests of `files`, collected with the test command's own pytest
    /// (D13) and read from the witness where it loads (D23).
    pub(crate) fn collect_examples(
        &self,
        files: &[String],
        tag_filters: Option<&str>,
        junit: bool,
    ) -> Result<Vec<CollectedExample>, CollectError> {
        collect_examples(
            &collection_command(&self.test),
            files,
            tag_filters,
            junit,
            &self.witness_env("examples"),
            || self.witness_of("examples"),
        )
    }

    /// Variables added to attempt `attempt`'s environment: those that load
    /// the witness plugin (D23), for runners that have one.
    pub(crate) fn attempt_env(&self, attempt: u32) -> Vec<(String, String)> {
        self.witness_env(&format!("attempt-{attempt}"))
    }

    /// What the witness plugin saw in attempt `attempt`, if it loaded.
    pub(crate) fn take_witness(&self, attempt: u32) -> Option<Witness> {
        self.witness_of(&format!("attempt-{attempt}"))
    }

    /// The variables that load the witness plugin for pytest run `run`.
    fn witness_env(&self, run: &str) -> Vec<(String, String)> {
        self.witness
            .as_ref()
            .map(|w| w.env(run))
            .unwrap_or_default()
    }

    /// What the witness plugin saw in pytest run `run`, if it loaded.
    fn witness_of(&self, run: &str) -> Option<Witness> {
        self.witness.as_ref().and_then(|w| w.take(run))
    }

    /// How result entries map to this runner's tests.
    pub(crate) fn mapping(&self) -> Mapping {
        self.kind.framework().mapping
    }

    /// The format in which bktec uploads the result file (13.1), or `None`
    /// when it does not: there is none, or the collector uploads its own.
    pub(crate) fn upload_format(&self) -> Option<ResultFormat> {
        let format = self.result.as_ref()?.format;
        match (self.kind, format) {
            (RunnerKind::Pytest, ResultFormat::CollectorJson) => None,
            (_, format) => Some(format),
        }
    }

    /// Whether the result path is bktec's own temporary file.
    #[cfg(test)]
    pub(crate) fn owns_result_path(&self) -> bool {
        self.temp_dir.is_some()
    }

    pub(super) fn parse_template(
        which: &'static str,
        text: &str,
    ) -> Result<CommandTemplate, RunnerError> {
        CommandTemplate::parse(text).map_err(|source| RunnerError::Template {
            which,
            template: text.to_string(),
            source,
        })
    }
}
