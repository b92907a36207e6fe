//! The runner of a run: its command templates, result file and exit-code
//! rules, built once from the settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use super::RunnerKind;
use super::listing::list_examples;
use super::pytest_collect::{
    CollectError, CollectedExample, CollectionChild, PYTEST_ADDOPTS, PreflightError,
    collect_examples, collect_suite, collection_shown, collects_nothing,
};
use super::rspec_witness::RspecWitness;
use super::target::{TargetError, TargetOrigin, TargetProblem, target_args};
use super::template::{CommandTemplate, MissingTests, TEST_NAME_PATTERN, TemplateError};
use super::witness::WitnessSite;
use crate::results::{Mapping, Progress, ResultFormat, Witness};

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
    /// `PYTEST_ADDOPTS` as bktec found it: a collection through a `sh -c`
    /// script adds its options to it.
    pub pytest_addopts: Option<&'a str>,
    /// `SPEC_OPTS` as bktec found it, kept before the RSpec witness's
    /// option (D37).
    pub spec_opts: Option<&'a str>,
    /// `PYTEST_PLUGINS` as bktec found it (D36).
    pub pytest_plugins: Option<&'a str>,
    /// `PYTEST_DISABLE_PLUGIN_AUTOLOAD` as bktec found it (D36).
    pub pytest_disable_plugin_autoload: Option<&'a str>,
}

/// The tests a runner listed before the first attempt (D37).
#[derive(Debug)]
pub(crate) struct Listed {
    /// The listing (`go test -list`).
    pub tool: &'static str,
    /// The tests, named as [`Listed::key`] names a result; or why the
    /// listing failed.
    pub tests: Result<Vec<String>, CollectError>,
    /// The name under which a result answers for a listed test.
    pub key: fn(&crate::results::TestResult) -> Option<String>,
}

/// Where an attempt's results are written, and in which format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResultFile {
    /// The path.
    pub path: PathBuf,
    /// The format.
    pub format: ResultFormat,
}

/// The values an attempt's tests fill the template with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// The words for `{{testExamples}}`.
    pub tests: Vec<String>,
    /// The word for `{{testNamePattern}}` (Jest and Vitest retries).
    pub name_pattern: Option<String>,
}

/// Turns an attempt's tests (already made safe as targets, D24) into the
/// values of the template's placeholders; `retry` is false for the first run.
/// A test the runner cannot pass unambiguously is refused, with why.
pub(super) type Prepare = fn(Vec<String>, bool) -> Result<Prepared, (String, TargetProblem)>;

/// The name under which a retry runs a failed test, and under which a
/// retry's result answers for what it was asked to run (D23 (c)).
pub(crate) type RetryKey = fn(&crate::results::TestResult) -> String;

/// A test's result path: what most runners retry.
pub(crate) fn retry_by_path(test: &crate::results::TestResult) -> String {
    test.path.clone()
}

/// The tests as they are, one word each: most runners.
pub(super) fn tests_as_they_are(
    tests: Vec<String>,
    _retry: bool,
) -> Result<Prepared, (String, TargetProblem)> {
    Ok(Prepared {
        tests,
        name_pattern: None,
    })
}

/// How a runner splits files into their examples (6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExampleSplit {
    /// Whether Test Engine may skip its tests.
    pub skips: bool,
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
pub(crate) enum RunnerError {
    /// A runner this bktec does not run yet.
    #[error("the {0} runner is not supported by this version of bktec yet")]
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
    /// A template lacks a placeholder the runner needs, or holds one where
    /// the runner cannot substitute it.
    #[error("invalid {which} `{template}`: {problem}")]
    Placeholder {
        /// `test command` or `retry command`.
        which: &'static str,
        /// The template.
        template: String,
        /// What is wrong.
        problem: String,
    },
    /// The test command runs the runner as a dry run, which runs no test
    /// (D37).
    #[error(
        "the test command `{template}` runs {runner} as a dry run ({found}), which runs no test; remove it, as bktec could never prove a test ran (D37)"
    )]
    DryRun {
        /// The runner's name.
        runner: &'static str,
        /// The template.
        template: String,
        /// Where the dry run was asked for.
        found: String,
    },
    /// The temporary result directory could not be created.
    #[error("failed to create a temporary directory for test results")]
    TempDir(#[source] std::io::Error),
    /// A pre-flight check of behaviour document 7.6 failed (bktec exits 1).
    #[error(transparent)]
    Preflight(PreflightError),
}

impl RunnerError {
    /// Refuses a test or retry command (`templates`) that asks for a dry
    /// run of `runner`, where `asked` finds one in a template's words (D37).
    pub(super) fn refuse_dry_run(
        runner: &'static str,
        templates: [&CommandTemplate; 2],
        asked: impl Fn(&[String]) -> Option<String>,
    ) -> Result<(), RunnerError> {
        for template in templates {
            if let Some(found) = asked(template.words()) {
                return Err(RunnerError::DryRun {
                    runner,
                    template: template.to_string(),
                    found,
                });
            }
        }
        Ok(())
    }
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
    /// What the runner makes of an attempt's tests.
    pub(super) prepare: Prepare,
    /// What a retry runs for a failed test (gotest: its package and
    /// top-level test, D46); the result path for most runners.
    pub(super) retry_key: RetryKey,
    /// Variables added to every attempt's environment (Playwright's JSON
    /// output file).
    pub(super) env: Vec<(String, String)>,
    /// A directory bktec made for results, removed with the runner (D18);
    /// held so that dropping the runner removes it.
    pub(super) temp_dir: Option<TempDir>,
    /// The witness plugin's directory, for runners that have one (D23).
    pub(super) witness: Option<WitnessSite>,
    /// The RSpec witness's directory (D37).
    pub(super) rspec_witness: Option<RspecWitness>,
    /// The variable that limits the first attempt to the tests it was
    /// given, when pytest discovered them (issue #12).
    pub(super) allowed: Option<(String, String)>,
    /// `PYTEST_ADDOPTS` as bktec found it.
    pub(super) pytest_addopts: Option<String>,
    /// How long a collection or an example listing may take
    /// (`runner.collection-timeout`).
    pub(super) collect_deadline: Duration,
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
        let origin = match (attempt.checked_sub(1), &self.result) {
            (Some(previous), Some(file)) => TargetOrigin::Results {
                path: file.path.clone(),
                attempt: previous,
            },
            (Some(_), None) | (None, _) => TargetOrigin::Plan,
        };
        let result = self
            .result
            .as_ref()
            .map(|r| r.path.display().to_string())
            .unwrap_or_default();
        self.render(tests, attempt, &result, &origin)
    }

    /// The first run's argv for `files`, writing its results to `result`
    /// instead of the result path: the base of an example listing (6.4).
    pub(super) fn argv_writing_to(
        &self,
        files: &[String],
        result: &Path,
    ) -> Result<Vec<String>, TargetError> {
        let result = result.display().to_string();
        self.render(files, 0, &result, &TargetOrigin::Plan)
    }

    fn render(
        &self,
        tests: &[String],
        attempt: u32,
        result: &str,
        origin: &TargetOrigin,
    ) -> Result<Vec<String>, TargetError> {
        let template = if attempt == 0 {
            &self.test
        } else {
            &self.retry
        };
        let prepared = (self.prepare)(target_args(tests, origin)?, attempt > 0).map_err(
            |(value, problem)| TargetError {
                value,
                origin: origin.clone(),
                problem,
            },
        )?;
        if template.joins_tests()
            && let Some(spaced) = prepared
                .tests
                .iter()
                .find(|t| t.contains(char::is_whitespace))
        {
            return Err(TargetError {
                value: spaced.clone(),
                origin: origin.clone(),
                problem: TargetProblem::Joined,
            });
        }
        let mut argv = template.render(&prepared.tests, result, self.missing_tests);
        if let Some(pattern) = prepared.name_pattern {
            // Runners with a name pattern checked when built that it is a
            // word of its own, outside any script (D12).
            for word in argv.iter_mut().filter(|w| *w == TEST_NAME_PATTERN) {
                word.clone_from(&pattern);
            }
        }
        argv.extend(self.extra_args.iter().cloned());
        Ok(argv)
    }

    /// The line that reproduces an attempt whose command was `argv`, for a
    /// person to paste (issue 21 item 4): without bktec's own temporary
    /// result file (removed when bktec exits) and the option naming it, and
    /// with Playwright's exact file expressions in their plain form where
    /// one reads the same.
    pub(crate) fn reproduction(&self, argv: &[String]) -> Vec<String> {
        let mut words = match (&self.temp_dir, &self.result) {
            (Some(_), Some(file)) => {
                let path = file.path.display().to_string();
                super::template::without_result_option(argv, &path).unwrap_or_else(|| argv.to_vec())
            }
            (None, _) | (Some(_), None) => argv.to_vec(),
        };
        if self.kind == RunnerKind::Playwright {
            for word in &mut words {
                if let Some(plain) = super::playwright::plain_target(word) {
                    *word = plain;
                }
            }
        }
        words
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

    /// What a retry runs for a failed test, and what a retry's result
    /// answers for (D46).
    pub(crate) fn retry_key(&self) -> RetryKey {
        self.retry_key
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
        if self.kind == RunnerKind::Gotest {
            return super::gotest::packages_hold_no_tests(targets, Path::new("."));
        }
        if !self.kind.framework().collects_with_pytest {
            return false;
        }
        let nothing = collects_nothing(
            &self.test,
            &self.result_path_text(),
            targets,
            &self.collection_child("collect"),
        );
        // Deselected tests are tests: only a collection that found
        // none at all proves the targets empty.
        let found = self.witness_of("collect").is_some_and(|w| w.found_tests());
        nothing && !found
    }

    /// The tests `targets` hold, listed by the runner's own tool before the
    /// first attempt (D37); `None` for a runner without a listing.
    /// A command that runs a script is checked per file when the listing
    /// goes through the command: its options would reach the script.
    pub(crate) fn list_tests(&self, targets: &[String]) -> Option<Listed> {
        let roster = self.kind.framework().roster.as_ref()?;
        if roster.through_command && self.runs_script() {
            return None;
        }
        Some(Listed {
            tool: roster.tool,
            tests: (roster.list)(self, targets),
            key: roster.key,
        })
    }

    /// Whether the runner can split files into their examples (6.1), and
    /// if so whether Test Engine may skip its tests (without, files are
    /// split only with `--split-by-example`).
    pub(crate) fn example_split(&self) -> Option<ExampleSplit> {
        let framework = self.kind.framework();
        match &framework.example_listing {
            Some(listing) => Some(ExampleSplit {
                skips: listing.skips,
            }),
            None if framework.collects_with_pytest => Some(ExampleSplit { skips: true }),
            None => None,
        }
    }

    /// The tests of `files`: listed by the runner's own tool (6.4), or
    /// collected with the test command's own pytest (D13) and read from the
    /// witness where it loads (D23).
    pub(crate) fn collect_examples(
        &self,
        files: &[String],
        tag_filters: Option<&str>,
        junit: bool,
    ) -> Result<Vec<CollectedExample>, CollectError> {
        if let Some(listing) = &self.kind.framework().example_listing {
            return list_examples(self, listing, files);
        }
        collect_examples(
            &self.test,
            &self.result_path_text(),
            files,
            tag_filters,
            junit,
            &self.collection_child("examples"),
            || self.witness_of("examples"),
        )
    }

    /// What pytest collects with no targets, the project's own
    /// configuration deciding (issue #12), and the command that collected
    /// it; `None` when it collected no tests.
    pub(crate) fn collect_suite(
        &self,
    ) -> (String, Result<Option<Vec<CollectedExample>>, CollectError>) {
        let result_path = self.result_path_text();
        let collected = collect_suite(
            &self.test,
            &result_path,
            &self.collection_child("discovery"),
            || self.witness_of("discovery"),
        );
        (collection_shown(&self.test, &result_path), collected)
    }

    /// The result path as the template's `{{resultPath}}` becomes it.
    fn result_path_text(&self) -> String {
        self.result
            .as_ref()
            .map(|r| r.path.display().to_string())
            .unwrap_or_default()
    }

    /// Whether the test command runs a `sh -c` script, which may change
    /// directory before pytest: its paths are then the script's to resolve.
    pub(crate) fn runs_script(&self) -> bool {
        self.test.runs_script()
    }

    /// Variables added to attempt `attempt`'s environment: those that load
    /// the witness plugin (D23), for runners that have one.
    pub(crate) fn attempt_env(&self, attempt: u32) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        let run = format!("attempt-{attempt}");
        env.extend(self.witness_env(&run));
        env.extend(self.rspec_witness.iter().flat_map(|w| w.env(&run)));
        if attempt == 0 {
            env.extend(self.allowed.clone());
        }
        env
    }

    /// Limits the first attempt to `tests` (key, node id; see
    /// [`CollectedExample::key`]): any
    /// other test that naming their files collects is deselected, and a
    /// given test that pytest does not collect fails (issue #12). Retries
    /// name their tests one by one and need no limit. Without the witness
    /// plugin this does nothing, and files run whole.
    pub(crate) fn limit_first_attempt(
        &mut self,
        tests: &[(String, String)],
    ) -> std::io::Result<()> {
        if let Some(site) = &self.witness {
            self.allowed = Some(site.allow(tests)?);
        }
        Ok(())
    }

    /// Which tests pytest's witness saw start and end in attempt `attempt`
    /// (D48), when it loaded.
    pub(crate) fn take_progress(&self, attempt: u32) -> Option<Progress> {
        let run = format!("attempt-{attempt}");
        self.witness.as_ref()?.take_progress(&run)
    }

    /// What the witness saw in attempt `attempt`, if it loaded: pytest's
    /// plugin (D23) or RSpec's (D37).
    pub(crate) fn take_witness(&self, attempt: u32) -> Option<Witness> {
        let run = format!("attempt-{attempt}");
        match &self.rspec_witness {
            Some(rspec) => rspec.take(&run),
            None => self.witness_of(&run),
        }
    }

    /// The variables of a collection named `run`: the witness plugin's,
    /// and `PYTEST_ADDOPTS` as bktec found it, which a collection through a
    /// script extends.
    fn collection_env(&self, run: &str) -> Vec<(String, String)> {
        let mut env = self.witness_env(run);
        if let Some(addopts) = &self.pytest_addopts {
            env.push((PYTEST_ADDOPTS.to_string(), addopts.clone()));
        }
        env
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

    /// A runner of `kind` with these commands and what most runners want
    /// for the rest: no result file, tests appended when the template has
    /// no placeholder for them, each test one word, results always read,
    /// and no extra arguments, variables, directories or pytest state.
    /// A runner file sets only the fields where it differs, with struct
    /// update syntax (`Runner { result, ..Runner::new(kind, test, retry) }`).
    pub(super) fn new(kind: RunnerKind, test: CommandTemplate, retry: CommandTemplate) -> Runner {
        Runner {
            kind,
            test,
            retry,
            result: None,
            missing_tests: MissingTests::Append,
            extra_args: Vec::new(),
            exit_rules: |_, _| ExitHandling::Parse,
            prepare: tests_as_they_are,
            retry_key: retry_by_path,
            env: Vec::new(),
            temp_dir: None,
            witness: None,
            rspec_witness: None,
            allowed: None,
            pytest_addopts: None,
            collect_deadline: DEFAULT_COLLECT_DEADLINE,
        }
    }

    /// The runner, with its collections and listings ended after `deadline`
    /// (`runner.collection-timeout`).
    pub(crate) fn with_collection_timeout(mut self, deadline: Duration) -> Runner {
        self.collect_deadline = deadline;
        self
    }

    /// How a collection of run `run` is started: its variables, its deadline.
    fn collection_child(&self, run: &str) -> CollectionChild {
        CollectionChild {
            env: self.collection_env(run),
            deadline: self.collect_deadline,
        }
    }
}

/// How long a collection may take when nothing says (the setting's
/// default).
const DEFAULT_COLLECT_DEADLINE: Duration = Duration::from_secs(30 * 60);

impl RunnerInputs<'_> {
    /// The configured test command, or `default` parsed (D13).
    pub(super) fn test_template(&self, default: &str) -> Result<CommandTemplate, RunnerError> {
        match self.test_command {
            Some(template) => Ok(template.clone()),
            None => Runner::parse_template("test command", default),
        }
    }

    /// The configured test command (or `default`) and the configured retry
    /// command, which is the test command when none is configured.
    pub(super) fn commands(
        &self,
        default: &str,
    ) -> Result<(CommandTemplate, CommandTemplate), RunnerError> {
        let test = self.test_template(default)?;
        let retry = self.retry_command.cloned().unwrap_or_else(|| test.clone());
        Ok((test, retry))
    }

    /// The configured result path, written in `format`.
    pub(super) fn result_file(&self, format: ResultFormat) -> Option<ResultFile> {
        self.result_path.map(|path| ResultFile {
            path: path.to_path_buf(),
            format,
        })
    }
}
