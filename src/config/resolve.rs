//! `LoadedConfig` -> `RunSettings`: validation of behaviour document 2.2-2.5
//! (every problem collected, then reported together; D4), local mode (D6), and
//! per-runner defaults with honest origins.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::elements::command_template::RESULT_PATH;
use crate::config::elements::{
    CollectorProbe, CommandTemplate, ConfigPath, GoDuration, Int, KeyValues, RunnerFacts,
    RunnerKind, RunnerRules, Secret, Targets,
};
use crate::config::error::{ConfigError, Problem};
use crate::config::load::LoadedConfig;
use crate::config::origin::Origin;
use crate::config::registry::{
    BUILDKITE, CommandKind, DEBUG, FILES, Key, RETRY, RUNNER, SELECTION, SETTINGS, Setting,
    SettingType, TEST_ENGINE,
};
use crate::config::runner_defaults;
use crate::glob::Pattern;

/// A value with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// How test files are found (`files.discovery`, issue #12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscoveryMode {
    /// The include and exclude patterns (the Go client's way).
    Pattern,
    /// The files of what pytest itself collects.
    Pytest,
}

/// The values of `files.discovery`, as the schema lists them.
pub(crate) const DISCOVERY_MODES: [&str; 2] = ["pattern", "pytest"];

/// Reads `files.discovery`; `pytest` needs a runner that allows it (pytest).
fn discovery_mode(r: &mut Reader<'_>, rules: Option<&RunnerRules>) -> DiscoveryMode {
    match r.value(FILES.discovery).as_str() {
        "pattern" => DiscoveryMode::Pattern,
        "pytest" if rules.is_none_or(|rules| rules.discovery_by_pytest) => DiscoveryMode::Pytest,
        "pytest" => {
            r.problem(
                &FILES.discovery,
                "is `pytest`, which only the pytest runner can use",
            );
            DiscoveryMode::Pattern
        }
        other => {
            r.problem(
                &FILES.discovery,
                format!("is unsupported: `{other}` is neither `pattern` nor `pytest`"),
            );
            DiscoveryMode::Pattern
        }
    }
}

/// How failed tests are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The maximum number of retries after the first attempt.
    pub count: u32,
    /// Whether failed muted tests are retried too (D16: yes by default).
    pub retry_muted: bool,
    /// How a test that failed, then passed on a retry, counts (D47).
    pub flaky: FlakyResult,
}

/// How a flaky test counts (`retry.flaky-result`, D47).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlakyResult {
    /// It passed: the run may be green.
    #[default]
    Pass,
    /// It fails the run, as a failed test does.
    Fail,
}

/// The values of `retry.flaky-result`, as the schema lists them.
pub(crate) const FLAKY_RESULTS: [&str; 2] = ["pass", "fail"];

/// Reads `retry.flaky-result`.
fn flaky_result(r: &mut Reader<'_>) -> FlakyResult {
    match r.value(RETRY.flaky_result).as_str() {
        // An empty value is the default, as an empty variable is for every
        // other setting.
        "" | "pass" => FlakyResult::Pass,
        "fail" => FlakyResult::Fail,
        other => {
            r.problem(
                &RETRY.flaky_result,
                format!("is unsupported: `{other}` is neither `pass` nor `fail`"),
            );
            FlakyResult::Pass
        }
    }
}

/// How Test Engine API requests and uploads are retried (4.1): the
/// settings, which the API client's own retry configuration is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRetry {
    /// The timeout of one attempt, body included.
    pub attempt_timeout: std::time::Duration,
    /// The total budget, checked between attempts.
    pub budget: std::time::Duration,
    /// The first delay between attempts.
    pub base_delay: std::time::Duration,
}

/// Whether bktec talks to Test Engine (D6).
#[derive(Clone, Debug)]
pub enum PlanMode {
    /// No suite slug: plan locally, never call the API.
    Local,
    /// A suite slug is configured: the API rules apply in full.
    TestEngine(Box<ApiSettings>),
}

/// Everything needed to talk to the Test Engine API.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// The API base URL.
    pub base_url: String,
    /// The organization slug.
    pub organization_slug: String,
    /// The suite slug.
    pub suite_slug: String,
    /// The access token, if configured (else OIDC is used).
    pub access_token: Option<Secret>,
    /// Whether OIDC tokens may be requested.
    pub oidc: bool,
    /// The lifetime of OIDC tokens.
    pub oidc_lifetime: GoDuration,
    /// The plan identifier (2.2).
    pub plan_identifier: String,

    /// Whether slow files may be split into examples.
    pub split_by_example: bool,
    /// The test selection preview's part of the create-plan request (D40).
    pub selection: SelectionSettings,
}

/// The test selection preview's settings (D40); their defaults while its
/// gate is off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionSettings {
    /// The strategy as given: any non-empty value collects git metadata
    /// (even `none`), and only a real one is sent (as the Go client does).
    pub strategy: String,
    /// The strategy's parameters.
    pub params: Vec<(String, String)>,
    /// The request's metadata as given; it overrides collected values.
    pub metadata: Vec<(String, String)>,
    /// Whether `plan` collects git metadata without a strategy.
    pub collect_git_metadata: bool,
    /// The git remote whose default branch is the diff base.
    pub remote: String,
}

/// Buildkite job context.
#[derive(Clone, Debug, Default)]
pub struct JobContext {
    /// BUILDKITE_BUILD_ID.
    pub build_id: String,
    /// BUILDKITE_JOB_ID.
    pub job_id: String,
    /// BUILDKITE_STEP_ID.
    pub step_id: String,
    /// BUILDKITE_BRANCH.
    pub branch: String,
    /// BUILDKITE_RETRY_COUNT.
    pub job_retry_count: i64,
}

/// The resolved, validated settings. Only [`resolve`] builds one.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The command being run.
    pub command: CommandKind,
    /// The test runner.
    pub runner: RunnerKind,
    /// The test command: configured, else the runner's default (whose
    /// origin says so). `None` for a runner without a default, and for
    /// commands that never run the tests (`list`, a local `plan`), which do
    /// not pay for pytest's collector probe.
    pub test_command: Option<Sourced<CommandTemplate>>,
    /// The retry command; `None` means the test command.
    pub retry_command: Option<Sourced<CommandTemplate>>,
    /// Whether buildkite-test-collector is installed, if resolution asked
    /// (D14), so that the runner does not ask again.
    pub collector_installed: Option<bool>,
    /// The result path; `None` means the runner's default.
    pub result_path: Option<Sourced<PathBuf>>,
    /// Where the JUnit report merged over all attempts is written, if anywhere.
    pub junit_out: Option<Sourced<PathBuf>>,
    /// Whether a Buildkite build is annotated when failures remain.
    pub annotate: bool,
    /// The include pattern, configured or the runner's; `None` for runners
    /// that do not walk files.
    pub include_pattern: Option<Sourced<Pattern>>,
    /// The exclude pattern (empty excludes nothing).
    pub exclude_pattern: Sourced<Pattern>,
    /// A row file of test files (`--files`).
    pub files_list: Option<Sourced<PathBuf>>,
    /// A row file of selectors (`--selector-file`).
    pub selector_file: Option<Sourced<PathBuf>>,
    /// The timing history (D31): the built-in default (which may be
    /// missing) or a file the user named (which must exist); `None` when set
    /// to an empty value.
    pub durations: Option<Sourced<PathBuf>>,
    /// How test files are found (`files.discovery`).
    pub discovery: DiscoveryMode,
    /// Retries.
    pub retry: RetryPolicy,
    /// The number of parallel jobs.
    pub parallelism: u32,
    /// This job's index.
    pub node_index: u32,
    /// Fail when this job has no tests.
    pub fail_on_no_tests: bool,
    /// Debug output.
    pub debug: bool,
    /// Local or Test Engine planning.
    pub mode: PlanMode,
    /// Job context.
    pub job: JobContext,
    /// The plan identifier: configured, else `<build id>/<step id>` when both
    /// are known, else empty (only Test Engine mode requires one).
    pub plan_identifier: String,
    /// pytest tag filters.
    pub tag_filters: Option<String>,
    /// The configured location prefix.
    pub location_prefix: Option<String>,
    /// Built-in result upload.
    pub upload_results: bool,
    /// Upload tags.
    pub upload_tags: KeyValues,
    /// The upload token, if configured.
    pub upload_token: Option<Secret>,
    /// The upload base URL.
    pub upload_base_url: String,
    /// Declare early failure to the agent.
    pub promise_failure: bool,
    /// The buildkite-agent executable.
    pub agent_command: String,
    /// How Test Engine API requests and uploads are retried (4.1).
    pub api_retry: ApiRetry,
    /// A plan to run instead of planning (`--plan-file`).
    pub plan_file: Option<Sourced<PathBuf>>,
    /// How long a cancelled test command gets before it is killed (D15).
    pub cancel_grace_period: std::time::Duration,
    /// How long a collection, a listing or `go list` may take.
    pub collection_timeout: std::time::Duration,
    /// How long one attempt may run before it is ended (D48); `None` for
    /// no limit.
    pub attempt_timeout: Option<std::time::Duration>,
    /// `plan`: the maximum parallelism (0 = off).
    pub max_parallelism: i64,
    /// `plan`: the target time (0 = off).
    pub target_time: GoDuration,
}

/// Typed access to the loaded values, recording problems as it goes.
struct Reader<'a> {
    loaded: &'a LoadedConfig,
    problems: Vec<Problem>,
    /// Settings whose value is outside its range (D27).
    out_of_range: BTreeSet<&'static str>,
}

impl<'a> Reader<'a> {
    /// Whether `setting` was given a value that does not parse. Such a value
    /// was reported by `load`, and rules that read it are skipped, so that it
    /// is not reported again as if it were unset.
    fn broken(&self, setting: &Setting) -> bool {
        self.loaded.is_broken(setting)
    }

    /// Whether `setting` holds a value that parsed and is within its range.
    fn usable(&self, setting: &Setting) -> bool {
        !self.broken(setting) && !self.out_of_range.contains(setting.key)
    }

    fn origin(&self, setting: &Setting) -> Origin {
        self.loaded.origin(setting)
    }

    /// The value of `key`; its type's default when no layer set it or it
    /// does not parse (which `load` reported).
    fn value<T: SettingType + Clone + Default>(&self, key: Key<T>) -> T {
        self.loaded.get(key).cloned().unwrap_or_default()
    }

    /// Text that counts as absent when empty.
    fn non_empty(&self, key: Key<String>) -> Option<Sourced<String>> {
        let value = self.loaded.get(key).filter(|v| !v.is_empty())?;
        Some(Sourced {
            value: value.clone(),
            origin: self.origin(&key),
        })
    }

    /// A path setting. Relative paths from a file resolve against the file's
    /// directory; others are kept as given (relative to the working directory).
    fn path(&self, key: Key<ConfigPath>) -> Option<Sourced<PathBuf>> {
        let ConfigPath(text) = self.loaded.get(key).filter(|p| !p.0.is_empty())?;
        let origin = self.origin(&key);
        let value = match self.loaded.file_dir(&origin) {
            Some(dir) => dir.join(text),
            None => PathBuf::from(text),
        };
        Some(Sourced { value, origin })
    }

    /// A command template, compiled; `None` (and a problem) when it does not
    /// split into words.
    fn template(&mut self, key: Key<String>) -> Option<Sourced<CommandTemplate>> {
        let Sourced { value, origin } = self.non_empty(key)?;
        match CommandTemplate::parse(&value) {
            Ok(template) => Some(Sourced {
                value: template,
                origin,
            }),
            Err(err) => {
                self.problem(&key, format!("is invalid: {err} in `{value}`"));
                None
            }
        }
    }

    /// A test file pattern (`which`), compiled; `None` (and a problem) when
    /// it does not parse. A leading `~/` is the home directory.
    /// A compiled pattern. A bad one is a problem when `used`; otherwise it
    /// stands in as the empty pattern, which matches nothing.
    fn pattern(
        &mut self,
        which: &str,
        Sourced { value, origin }: Sourced<String>,
        used: bool,
    ) -> Option<Sourced<Pattern>> {
        match Pattern::parse(&value, self.loaded.home()) {
            Ok(pattern) => Some(Sourced {
                value: pattern,
                origin,
            }),
            Err(_) if !used => Some(Sourced {
                value: Pattern::parse("", None).expect("the empty pattern parses"),
                origin,
            }),
            Err(err) => {
                self.problems.push(Problem::value(
                    format!("error parsing test file {which} \"{value}\": {err}"),
                    &origin,
                    format!(
                        "error parsing test file {which} \"{value}\" (from {}): {err}",
                        origin.describe()
                    ),
                ));
                None
            }
        }
    }

    fn problem(&mut self, setting: &Setting, message: impl Into<String>) {
        if self.broken(setting) {
            return;
        }
        let origin = self.origin(setting);
        self.problems
            .push(Problem::setting(setting, message.into(), &origin));
    }
}

/// Validates `loaded` for `command` and builds the settings. Every problem,
/// from loading (unknown keys, values that do not parse) and from validation
/// (ranges, rules), is reported together in one error (issue #9). `runners`
/// gives each runner's rules and answers whether buildkite-test-collector
/// is installed, asked only when a default test command depends on it (D14):
/// configuration itself neither imports the runners nor spawns Python.
pub(crate) fn resolve(
    loaded: &LoadedConfig,
    command: CommandKind,
    runners: &RunnerFacts<'_>,
) -> Result<RunSettings, ConfigError> {
    let mut r = Reader {
        loaded,
        problems: loaded.problems().to_vec(),
        out_of_range: BTreeSet::new(),
    };
    // D27, and 2.3 rule 1 (a negative retry count) among them.
    check_ranges(&mut r, command);
    let job = job_context(&r);
    // D6: without a suite slug, plan locally and skip the API-only rules.
    let talks_to_api = matches!(command, CommandKind::Run | CommandKind::Plan);
    let mode = match r.non_empty(TEST_ENGINE.suite_slug) {
        Some(suite) if talks_to_api => {
            PlanMode::TestEngine(Box::new(api_settings(&mut r, suite.value, &job)))
        }
        Some(_) | None => PlanMode::Local,
    };
    let runner = runner_kind(&mut r).map(|kind| (kind, runners.rules(kind)));
    let rules = runner.map(|(_, rules)| rules);
    let test_command = r.template(RUNNER.test_command);
    let retry_command = r.template(RUNNER.retry_command);
    let selector_file = r.path(FILES.selector_file);
    let tag_filters = r.non_empty(TEST_ENGINE.tag_filters).map(|s| s.value);
    check_runner_rules(
        &mut r,
        rules,
        selector_file.is_some(),
        tag_filters.is_some(),
    );
    let result_path = r.path(RUNNER.result_path);
    match command {
        CommandKind::Run => check_run_rules(&mut r, rules, result_path.is_some()),
        CommandKind::Plan => check_plan_rules(&mut r),
        CommandKind::List | CommandKind::Config | CommandKind::Durations => {}
    }
    let (include_pattern, exclude_pattern) =
        patterns(&mut r, command, runner, selector_file.is_some());
    let discovery = discovery_mode(&mut r, rules);
    let flaky = flaky_result(&mut r);
    let (Some((kind, rules)), Some(exclude_pattern), true) =
        (runner, exclude_pattern, r.problems.is_empty())
    else {
        // A value no layer set may be one the user put in a bktec.toml that
        // bktec did not find (issue 21, item 6).
        if let Some(note) = loaded.no_file_note()
            && r.problems.iter().any(Problem::is_unset)
        {
            r.problems.push(Problem::note(note.to_string()));
        }
        return Err(ConfigError::Invalid {
            problems: r.problems,
        });
    };
    let durations = r.path(FILES.durations);
    let runs_tests = runs_tests(command, &mode, durations.as_ref(), discovery);
    let probe = runs_tests.then_some(runners.collector());
    let test_command = with_default_command(test_command, kind, rules, probe);
    Ok(settings(
        r,
        Resolved {
            command,
            runner: kind,
            test_command,
            retry_command,
            collector_installed: runners.collector().answered(),
            result_path,
            include_pattern,
            exclude_pattern,
            selector_file,
            durations,
            discovery,
            flaky,
            mode,
            job,
            tag_filters,
        },
    ))
}

/// What `resolve` worked out before the settings are put together.
struct Resolved {
    command: CommandKind,
    runner: RunnerKind,
    test_command: Option<Sourced<CommandTemplate>>,
    retry_command: Option<Sourced<CommandTemplate>>,
    collector_installed: Option<bool>,
    result_path: Option<Sourced<PathBuf>>,
    include_pattern: Option<Sourced<Pattern>>,
    exclude_pattern: Sourced<Pattern>,
    selector_file: Option<Sourced<PathBuf>>,
    durations: Option<Sourced<PathBuf>>,
    discovery: DiscoveryMode,
    flaky: FlakyResult,
    mode: PlanMode,
    job: JobContext,
    tag_filters: Option<String>,
}

/// The settings from what `resolve` worked out and the plain values, which
/// need no rule but their ranges (checked, D27).
fn settings(r: Reader<'_>, resolved: Resolved) -> RunSettings {
    let Resolved {
        command,
        runner,
        test_command,
        retry_command,
        collector_installed,
        result_path,
        include_pattern,
        exclude_pattern,
        selector_file,
        durations,
        discovery,
        flaky,
        mode,
        job,
        tag_filters,
    } = resolved;
    RunSettings {
        command,
        runner,
        retry_command,
        test_command,
        collector_installed,
        result_path,
        junit_out: r.path(RUNNER.junit_out),
        annotate: r.value(RUNNER.annotate).0,
        include_pattern,
        exclude_pattern,
        files_list: r.path(FILES.list),
        selector_file,
        durations,
        discovery,
        retry: RetryPolicy {
            count: u32::try_from(r.value(RETRY.count).0)
                .expect("retry.count is range-checked (D27)"),
            retry_muted: !r.value(RETRY.disable_for_muted).0,
            flaky,
        },
        parallelism: u32::try_from(r.value(BUILDKITE.parallelism).0)
            .expect("buildkite.parallelism is range-checked (D27)"),
        node_index: u32::try_from(r.value(BUILDKITE.parallel_job).0)
            .expect("buildkite.parallel-job is range-checked (D27)"),
        fail_on_no_tests: r.value(RUNNER.fail_on_no_tests).0,
        debug: r.value(DEBUG).0,
        mode,
        plan_identifier: plan_identifier(&r, &job),
        job,
        tag_filters,
        location_prefix: r.non_empty(TEST_ENGINE.location_prefix).map(|s| s.value),
        upload_results: r.value(TEST_ENGINE.upload_results).0,
        upload_tags: r.value(TEST_ENGINE.upload_tags),
        upload_token: r
            .non_empty(TEST_ENGINE.upload_token)
            .map(|s| Secret::new(s.value)),
        upload_base_url: r.value(TEST_ENGINE.upload_base_url),
        promise_failure: r.value(TEST_ENGINE.promise_failure).0,
        agent_command: r.value(BUILDKITE.agent_command),
        api_retry: ApiRetry {
            attempt_timeout: r.value(TEST_ENGINE.api_attempt_timeout).to_std(),
            budget: r.value(TEST_ENGINE.api_retry_budget).to_std(),
            base_delay: r.value(TEST_ENGINE.api_retry_delay).to_std(),
        },
        plan_file: r.path(TEST_ENGINE.plan_file),
        cancel_grace_period: r.value(RUNNER.cancel_grace_period).to_std(),
        collection_timeout: r.value(RUNNER.collection_timeout).to_std(),
        attempt_timeout: Some(r.value(RUNNER.attempt_timeout).to_std()).filter(|d| !d.is_zero()),
        max_parallelism: r.value(TEST_ENGINE.max_parallelism).0,
        target_time: r.value(TEST_ENGINE.target_time),
    }
}

/// The Buildkite job context.
fn job_context(r: &Reader<'_>) -> JobContext {
    JobContext {
        build_id: r.value(BUILDKITE.build_id),
        job_id: r.value(BUILDKITE.job_id),
        step_id: r.value(BUILDKITE.step_id),
        branch: r.value(BUILDKITE.branch),
        job_retry_count: r.value(BUILDKITE.retry_count).0,
    }
}

/// The plan identifier: configured, else `<build id>/<step id>` when both
/// are known, else empty.
fn plan_identifier(r: &Reader<'_>, job: &JobContext) -> String {
    r.non_empty(TEST_ENGINE.plan_identifier)
        .map(|s| s.value)
        .unwrap_or_else(|| {
            if job.build_id.is_empty() || job.step_id.is_empty() {
                String::new()
            } else {
                format!("{}/{}", job.build_id, job.step_id)
            }
        })
}

/// The runner (2.3 rules 8-11): `None`, and a problem, when it is blank or
/// not one bktec knows.
fn runner_kind(r: &mut Reader<'_>) -> Option<RunnerKind> {
    let text = r.value(RUNNER.name);
    if text.is_empty() {
        r.problem(&RUNNER.name, "must not be blank");
        return None;
    }
    match text.parse::<RunnerKind>() {
        Ok(runner) => Some(runner),
        Err(err) => {
            let hint = err
                .suggestion()
                .map(|kind| format!(" (did you mean `{kind}`?)"))
                .unwrap_or_default();
            r.problem(&RUNNER.name, format!("is unsupported: {err}{hint}"));
            None
        }
    }
}

/// The rules that depend on the runner, for every command: the user's own
/// runner needs a command and a pattern (or selector file), and only a
/// runner that supports them takes tag filters.
fn check_runner_rules(
    r: &mut Reader<'_>,
    rules: Option<&RunnerRules>,
    has_selector_file: bool,
    has_tag_filters: bool,
) {
    if rules.is_some_and(|rules| rules.user_defined) {
        if r.non_empty(RUNNER.test_command).is_none() {
            r.problem(
                &RUNNER.test_command,
                "must not be blank when using the custom test runner",
            );
        }
        if r.non_empty(FILES.pattern).is_none()
            && !has_selector_file
            && !r.broken(&FILES.selector_file)
        {
            r.problem(
                &FILES.pattern,
                "must not be blank when using the custom test runner",
            );
        }
    }
    if has_tag_filters && rules.is_some_and(|rules| !rules.tag_filters) {
        r.problem(
            &TEST_ENGINE.tag_filters,
            "tag filtering is only supported for the pytest test runner",
        );
    }
}

/// The rules of `run` (2.4). Parallelism's own bounds are its range (D27).
fn check_run_rules(r: &mut Reader<'_>, rules: Option<&RunnerRules>, has_result_path: bool) {
    if !has_result_path && rules.is_some_and(|rules| rules.requires_result_path) {
        r.problem(&RUNNER.result_path, "must not be blank");
    }
    // The user's own runner has no result file of its own: without a
    // result path, `{{resultPath}}` would become an empty string
    // (`--junit-xml=`), and the command would write nowhere bktec reads.
    if !has_result_path
        && !r.broken(&RUNNER.result_path)
        && rules.is_some_and(|rules| rules.user_defined)
    {
        let places = RUNNER.result_path.places();
        for key in [RUNNER.test_command, RUNNER.retry_command] {
            if r.non_empty(key)
                .is_some_and(|t| t.value.contains(RESULT_PATH))
            {
                r.problem(
                    key.setting,
                    format!(
                        "uses `{RESULT_PATH}`, but the custom runner has no result path (hint: set {places})"
                    ),
                );
            }
        }
    }
    // Only against a usable parallelism: the Go client also reports
    // "must not be greater than -1" for parallelism 0, a knock-on of the
    // one root cause, which is reported alone (issue 21, item 6).
    let parallelism = r.value(BUILDKITE.parallelism).0;
    let node_index = r.value(BUILDKITE.parallel_job).0;
    if r.usable(&BUILDKITE.parallel_job)
        && r.usable(&BUILDKITE.parallelism)
        && node_index > parallelism.saturating_sub(1)
    {
        r.problem(
            &BUILDKITE.parallel_job,
            format!(
                "was {node_index}, must not be greater than {}",
                parallelism.saturating_sub(1)
            ),
        );
    }
}

/// The include pattern (configured, else the runner's) and the exclude
/// pattern, compiled. They matter only where discovery walks the tree: not
/// with a row file, a plan file (`run`), or a runner whose targets are not
/// files. A bad pattern that would not be used stops nothing, as in the Go
/// client.
fn patterns(
    r: &mut Reader<'_>,
    command: CommandKind,
    runner: Option<(RunnerKind, &RunnerRules)>,
    has_selector_file: bool,
) -> (Option<Sourced<Pattern>>, Option<Sourced<Pattern>>) {
    let walks = !has_selector_file
        && r.path(FILES.list).is_none()
        && !(command == CommandKind::Run && r.path(TEST_ENGINE.plan_file).is_some())
        && runner.is_none_or(|(_, rules)| rules.targets == Targets::Walk);
    let include = runner
        .and_then(|(kind, rules)| {
            r.non_empty(FILES.pattern)
                .or_else(|| runner_defaults::default_pattern(kind, rules))
        })
        .and_then(|pattern| r.pattern("pattern", pattern, walks));
    let exclude = Sourced {
        value: r.value(FILES.exclude_pattern),
        origin: r.origin(&FILES.exclude_pattern),
    };
    (include, r.pattern("exclude pattern", exclude, walks))
}

/// Whether `command` runs the tests, and so needs the test command; the
/// others do not pay for the probe its default may need. A local `plan`
/// with timing history may split files with the test command's own pytest
/// (D31, D13), and discovery by pytest runs it too (D13).
fn runs_tests(
    command: CommandKind,
    mode: &PlanMode,
    durations: Option<&Sourced<PathBuf>>,
    discovery: DiscoveryMode,
) -> bool {
    let has_history = durations.is_some_and(|d| d.value.is_file());
    match command {
        CommandKind::Run | CommandKind::Config => true,
        CommandKind::Plan => {
            matches!(mode, PlanMode::TestEngine(_))
                || has_history
                || discovery == DiscoveryMode::Pytest
        }
        CommandKind::List | CommandKind::Durations => discovery == DiscoveryMode::Pytest,
    }
}

/// The configured test command, else the runner's default (when `probe` is
/// given: only commands that run the tests get one). A blank command (only
/// spaces) is no command: the runner's default applies, as the runner itself
/// decided before (D14).
fn with_default_command(
    configured: Option<Sourced<CommandTemplate>>,
    kind: RunnerKind,
    rules: &RunnerRules,
    probe: Option<&CollectorProbe<'_>>,
) -> Option<Sourced<CommandTemplate>> {
    match configured {
        Some(configured) if !configured.value.words().is_empty() => Some(configured),
        blank => runner_defaults::default_test_command(kind, rules, probe)
            .map(|Sourced { value, origin }| Sourced {
                value: CommandTemplate::parse(&value)
                    .expect("a runner's default command splits into words"),
                origin,
            })
            .or(blank),
    }
}

/// The Test Engine settings and the API-only rules (2.2, 2.3 rules 2-7).
fn api_settings(r: &mut Reader<'_>, suite_slug: String, job: &JobContext) -> ApiSettings {
    let plan_identifier = match r.non_empty(TEST_ENGINE.plan_identifier) {
        Some(id) => id.value,
        None => {
            if job.build_id.is_empty() {
                r.problem(&BUILDKITE.build_id, "must not be blank");
            }
            if job.step_id.is_empty() {
                r.problem(&BUILDKITE.step_id, "must not be blank");
            }
            format!("{}/{}", job.build_id, job.step_id)
        }
    };
    let mut base_url = r.value(TEST_ENGINE.base_url);
    if base_url.is_empty() {
        base_url = TEST_ENGINE
            .base_url
            .default
            .expect("the registry gives the base URL a default")
            .to_string();
    } else if !is_request_uri(&base_url) {
        r.problem(&TEST_ENGINE.base_url, "must be a valid URL");
    }
    let access_token = r
        .non_empty(TEST_ENGINE.access_token)
        .map(|s| Secret::new(s.value));
    let oidc = r.value(TEST_ENGINE.oidc).0;
    if access_token.is_none() && !oidc && !r.broken(&TEST_ENGINE.oidc) {
        r.problem(&TEST_ENGINE.access_token, "must not be blank");
    }
    let organization_slug = r.value(BUILDKITE.organization_slug);
    if organization_slug.is_empty() {
        r.problem(&BUILDKITE.organization_slug, "must not be blank");
    }
    ApiSettings {
        base_url,
        organization_slug,
        suite_slug,
        access_token,
        oidc,
        oidc_lifetime: r.value(TEST_ENGINE.oidc_lifetime),
        plan_identifier,
        split_by_example: r.value(TEST_ENGINE.split_by_example).0,
        selection: SelectionSettings {
            strategy: r.value(SELECTION.strategy),
            params: r.value(SELECTION.params).0,
            metadata: r.value(SELECTION.metadata).0,
            collect_git_metadata: r.value(SELECTION.collect_git_metadata).0,
            remote: r.value(SELECTION.remote),
        },
    }
}

/// D27: every number is within its setting's range, for every command and
/// whatever layer it came from, so no later stage sees a nonsense number.
fn check_ranges(r: &mut Reader<'_>, command: CommandKind) {
    for s in SETTINGS {
        // `plan` may leave parallelism at 0 when Test Engine chooses it; its
        // own rule (2.5) decides.
        if command == CommandKind::Plan
            && s.key == BUILDKITE.parallelism.key
            && r.loaded.get(BUILDKITE.parallelism) == Some(&Int(0))
        {
            continue;
        }
        if r.loaded.is_broken(s) {
            // Reported once, as itself (a mistyped file value parses as text).
            continue;
        }
        if let Some(message) = s.out_of_range(r.loaded.options()) {
            r.problem(s, message);
            r.out_of_range.insert(s.key);
        }
    }
}

/// Behaviour document 2.5, except the bounds of target time and maximum
/// parallelism, which are their ranges (D27).
fn check_plan_rules(r: &mut Reader<'_>) {
    let parallelism = r.value(BUILDKITE.parallelism).0;
    let target = r.value(TEST_ENGINE.target_time);
    let max = r.value(TEST_ENGINE.max_parallelism).0;
    let max_known = !r.broken(&TEST_ENGINE.max_parallelism);
    if !target.is_zero() && max == 0 && max_known {
        r.problem(
            &TEST_ENGINE.max_parallelism,
            "must be set when target-time is set",
        );
    }
    if max == 0 && parallelism <= 0 && max_known {
        r.problem(&BUILDKITE.parallelism,
            "parallelism must be greater than 0; set --max-parallelism or BUILDKITE_PARALLEL_JOB_COUNT",
        );
    }
}

/// Go's `url.ParseRequestURI` acceptance: an absolute URI with a scheme, or an
/// absolute path.
fn is_request_uri(s: &str) -> bool {
    if s.starts_with('/') {
        return true;
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.contains(' ')
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use std::cell::Cell;

    use super::*;
    use crate::config::env_vars::EnvSnapshot;
    use crate::config::load::{CliOverrides, FileChoice, load};
    use crate::config::runner_defaults::test_rules;

    fn load_env(env: &[(&str, &str)]) -> LoadedConfig {
        let mut pairs = vec![("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")];
        pairs.extend_from_slice(env);
        load(
            &EnvSnapshot::from_pairs(pairs),
            &CliOverrides::default(),
            &FileChoice::Disabled,
            Path::new("/"),
        )
        .unwrap()
    }

    /// The problems of resolving `env` (with the pytest runner) for `command`.
    fn problems(env: &[(&str, &str)], command: CommandKind) -> Vec<String> {
        let loaded = load_env(env);
        match resolve(&loaded, command, &RunnerFacts::new(test_rules, &|| true)) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid { problems }) => {
                let mut lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                lines.sort();
                lines
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_built_in_defaults_are_in_range() {
        for command in [
            CommandKind::Run,
            CommandKind::Plan,
            CommandKind::List,
            CommandKind::Config,
            CommandKind::Durations,
        ] {
            assert_eq!(problems(&[], command), Vec::<String>::new(), "{command:?}");
        }
    }

    #[test]
    fn counts_fit_their_type() {
        // D27: 2^32 retries panicked (exit 101) before.
        assert_eq!(
            problems(
                &[("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "4294967296")],
                CommandKind::Run
            ),
            [
                "BUILDKITE_TEST_ENGINE_RETRY_COUNT was 4294967296, must not be greater than 4294967295 (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)"
            ]
        );
        assert_eq!(
            problems(&[("BUILDKITE_RETRY_COUNT", "-1")], CommandKind::Plan),
            [
                "BUILDKITE_RETRY_COUNT was -1, must be greater than or equal to 0 (from env BUILDKITE_RETRY_COUNT)"
            ]
        );
        // A negative node index was silently 0 for `plan`.
        assert_eq!(
            problems(&[("BUILDKITE_PARALLEL_JOB", "-1")], CommandKind::Plan),
            [
                "BUILDKITE_PARALLEL_JOB was -1, must be greater than or equal to 0 (from env BUILDKITE_PARALLEL_JOB)"
            ]
        );
        // Overflowing parallelism no longer reaches `parallelism - 1`.
        let p = problems(
            &[("BUILDKITE_PARALLEL_JOB_COUNT", "-9223372036854775808")],
            CommandKind::Run,
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("BUILDKITE_PARALLEL_JOB_COUNT was -9223372036854775808")),
            "{p:?}"
        );
    }

    #[test]
    fn the_custom_runner_needs_a_result_path_for_its_placeholder() {
        let custom = [
            ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "custom"),
            ("BUILDKITE_TEST_ENGINE_SELECTOR_FILE", "s.txt"),
            (
                "BUILDKITE_TEST_ENGINE_TEST_CMD",
                "run --junit-xml={{resultPath}}",
            ),
        ];
        assert_eq!(
            problems(&custom, CommandKind::Run),
            [
                "BUILDKITE_TEST_ENGINE_TEST_CMD uses `{{resultPath}}`, but the custom runner has no result path (hint: set `runner.result-path` in bktec.toml, BUILDKITE_TEST_ENGINE_RESULT_PATH or --result-path) (from env BUILDKITE_TEST_ENGINE_TEST_CMD)"
            ]
        );
        let with_path = [
            &custom[..],
            &[("BUILDKITE_TEST_ENGINE_RESULT_PATH", "r.xml")],
        ]
        .concat();
        assert_eq!(problems(&with_path, CommandKind::Run), Vec::<String>::new());
        // Only `run` substitutes it.
        assert_eq!(problems(&custom, CommandKind::Plan), Vec::<String>::new());
    }

    #[test]
    fn durations_are_positive() {
        // D27: a retry delay of -1s sent 183 requests in 8 s; a 0s timeout
        // made every request time out.
        assert_eq!(
            problems(
                &[
                    ("BUILDKITE_TEST_ENGINE_API_RETRY_DELAY", "-1s"),
                    ("BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT", "0s"),
                    ("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "0"),
                    ("BUILDKITE_TEST_ENGINE_OIDC_LIFETIME", "500ms"),
                ],
                CommandKind::Run
            ),
            [
                "BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT was 0s, must be greater than 0 (from env BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT)",
                "BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET was 0s, must be greater than 0 (from env BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET)",
                "BUILDKITE_TEST_ENGINE_API_RETRY_DELAY was -1s, must be greater than 0 (from env BUILDKITE_TEST_ENGINE_API_RETRY_DELAY)",
                "BUILDKITE_TEST_ENGINE_OIDC_LIFETIME was 500ms, must be at least 1 second (from env BUILDKITE_TEST_ENGINE_OIDC_LIFETIME)",
            ]
        );
        assert_eq!(
            problems(
                &[("BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET", "24h0m1s")],
                CommandKind::Run
            ),
            [
                "BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET was 24h0m1s, must be less than or equal to 24 hours (from env BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET)"
            ]
        );
    }

    #[test]
    fn a_zero_cancel_grace_period_is_the_only_zero_allowed() {
        // D27: zero means "kill at once".
        let grace = "BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD";
        assert!(problems(&[(grace, "0")], CommandKind::Run).is_empty());
        assert!(problems(&[(grace, "0s")], CommandKind::Run).is_empty());
        assert_eq!(
            problems(&[(grace, "-1s")], CommandKind::Run),
            [
                "BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD was -1s, must be greater than 0, or 0 to kill at once (from env BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD)"
            ]
        );
    }

    #[test]
    fn a_bad_value_is_reported_once_as_itself() {
        // An unparsable parallelism is not also "0, must be ... 1", and the
        // node index is not compared with it.
        assert_eq!(
            problems(
                &[
                    ("BUILDKITE_PARALLEL_JOB_COUNT", "x"),
                    ("BUILDKITE_PARALLEL_JOB", "3")
                ],
                CommandKind::Run
            ),
            [
                "BUILDKITE_PARALLEL_JOB_COUNT is invalid: `x` is not a decimal integer (from env BUILDKITE_PARALLEL_JOB_COUNT)"
            ]
        );
        // An unparsable runner is not also "must not be blank".
        let p = problems(&[("BUILDKITE_TEST_ENGINE_OIDC", "maybe")], CommandKind::Run);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn pytest_s_default_command_is_resolved_once_with_its_origin() {
        // Issue #10: `bktec config` showed `runner.test-command (unset)` for a
        // run that used pytest's default command.
        let asked = Cell::new(0);
        let loaded = load_env(&[]);
        for (installed, command, basis) in [
            (
                true,
                "pytest {{testExamples}} --json={{resultPath}}",
                "found",
            ),
            (
                false,
                "pytest {{testExamples}} --junit-xml={{resultPath}}",
                "not found",
            ),
        ] {
            let ask = || {
                asked.set(asked.get() + 1);
                installed
            };
            let facts = RunnerFacts::new(test_rules, &ask);
            let settings = resolve(&loaded, CommandKind::Run, &facts).unwrap();
            let test_command = settings.test_command.unwrap();
            assert_eq!(test_command.value.as_str(), command);
            assert_eq!(
                test_command.origin.to_string(),
                format!("default for runner `pytest` (buildkite-test-collector {basis})")
            );
            assert_eq!(settings.collector_installed, Some(installed));
        }
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn list_and_a_local_plan_do_not_probe() {
        let never = || panic!("no collector probe for a command that runs no tests");
        let loaded = load_env(&[]);
        for command in [CommandKind::List, CommandKind::Plan] {
            let settings =
                resolve(&loaded, command, &RunnerFacts::new(test_rules, &never)).unwrap();
            assert!(settings.test_command.is_none(), "{command:?}");
            assert_eq!(settings.collector_installed, None);
        }
        // A configured command needs no probe either, for any command.
        let loaded = load_env(&[("BUILDKITE_TEST_ENGINE_TEST_CMD", "pytest -x")]);
        let settings = resolve(
            &loaded,
            CommandKind::Run,
            &RunnerFacts::new(test_rules, &never),
        )
        .unwrap();
        let test_command = settings.test_command.unwrap();
        assert_eq!(test_command.value.words(), ["pytest", "-x"]);
        assert_eq!(
            test_command.origin,
            Origin::Env("BUILDKITE_TEST_ENGINE_TEST_CMD")
        );
    }

    #[test]
    fn patterns_are_compiled_and_a_bad_one_names_its_origin() {
        let loaded = load_env(&[("BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN", "venv/**")]);
        let settings = resolve(
            &loaded,
            CommandKind::List,
            &RunnerFacts::new(test_rules, &|| true),
        )
        .unwrap();
        let include = settings.include_pattern.unwrap();
        assert!(include.value.matches("tests/test_a.py"));
        assert_eq!(include.origin.to_string(), "default for runner `pytest`");
        assert!(settings.exclude_pattern.value.matches("venv/lib/x.py"));
        assert_eq!(
            problems(
                &[
                    ("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/{a,b"),
                    ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "-1"),
                ],
                CommandKind::List
            ),
            [
                "BUILDKITE_TEST_ENGINE_RETRY_COUNT was -1, must be greater than or equal to 0 (from env BUILDKITE_TEST_ENGINE_RETRY_COUNT)",
                "error parsing test file pattern \"tests/{a,b\" (from env BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN): unterminated alternation - missing closing brace (at character 7 of `tests/{a,b`)",
            ]
        );
    }

    #[test]
    fn request_uri_rules_follow_go() {
        assert!(is_request_uri("https://api.buildkite.com"));
        assert!(is_request_uri("http://127.0.0.1:8080"));
        assert!(is_request_uri("/relative/root"));
        assert!(!is_request_uri("example.com"));
        assert!(!is_request_uri(""));
        assert!(!is_request_uri("1http://x"));
    }
}
