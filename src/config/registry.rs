//! The settings registry: one entry per setting, the single source of truth
//! for its `bktec.toml` key, environment variable(s), flag, value type,
//! default and documentation. From the entries, `registry!` generates the
//! merged options struct ([`BktecOptions`], which the schema is derived from),
//! one typed [`Key`] per setting (`RUNNER.test_command`, `DEBUG`), and
//! [`SETTINGS`], which the CLI flags, the environment provider, the built-in
//! defaults, `bktec config` and the README table are generated from.
//!
//! Adding a setting is one entry here plus the code that reads its key.

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::elements::{ConfigPath, Entries, Flag, GoDuration, Int, KeyValues};
use crate::config::env_vars::EnvVars;
pub use crate::config::setting::{
    CommandKind, Group, Key, Placement, Range, Scope, Setting, SettingKind,
};
use crate::config::value::check_range;
pub use crate::config::value::{Given, SettingType, Shown};

/// The longest duration a setting accepts: no wait, timeout or lifetime of a
/// CI job needs more than a day (D27).
const A_DAY: GoDuration = GoDuration::from_secs(24 * 3600);

/// The largest parallelism (behaviour document 2.4).
pub const MAX_PARALLELISM: i64 = 1000;

/// The smallest positive duration.
const A_NANOSECOND: GoDuration = GoDuration::from_nanos(1);

/// Declares every setting once. Each section becomes a struct of the merged
/// options (`RunnerOptions`) and a struct of typed keys (`RUNNER:
/// RunnerKeys`) with one field each per setting; `root` settings become
/// fields of [`BktecOptions`] and constants of their own. An entry's doc
/// comment is its only documentation: help text, README table and schema
/// description all read it.
macro_rules! registry {
    (
        $(
            #[doc = $section_doc:literal]
            $section:ident ($SECTION:ident: $Keys:ident): $Options:ident {
                $(
                    $(#[doc = $doc:literal])+
                    $field:ident: $ty:ty { $($meta:tt)* }
                )*
            }
        )*
        root {
            $(
                $(#[doc = $root_doc:literal])+
                $ROOT:ident $root_field:ident: $root_ty:ty { $($root_meta:tt)* }
            )*
        }
    ) => {
        /// bktec configuration: every layer merged. As `bktec.toml`'s schema,
        /// values here are overridden by `BUILDKITE_TEST_ENGINE_*` environment
        /// variables, which are overridden by command-line flags.
        #[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields)]
        #[schemars(title = "bktec.toml")]
        pub struct BktecOptions {
            $(
                #[doc = $section_doc]
                #[serde(default)]
                pub $section: $Options,
            )*
            $(
                $(#[doc = $root_doc])+
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $root_field: Option<Given<$root_ty>>,
            )*
        }

        $(
            #[doc = $section_doc]
            #[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
            #[serde(rename_all = "kebab-case", deny_unknown_fields)]
            pub struct $Options {
                $(
                    $(#[doc = $doc])+
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    pub $field: Option<Given<$ty>>,
                )*
            }

            #[doc = concat!("The typed keys of: ", $section_doc)]
            #[derive(Clone, Copy, Debug)]
            pub struct $Keys {
                $(
                    $(#[doc = $doc])+
                    pub $field: Key<$ty>,
                )*
            }

            #[doc = concat!("The typed keys of: ", $section_doc)]
            pub const $SECTION: $Keys = $Keys {
                $(
                    $field: Key {
                        setting: &Setting {
                            kind: <$ty as SettingType>::KIND,
                            doc_comment: concat!($($doc),+),
                            read: |o| Shown::of(o.$section.$field.as_ref()),
                            check: |o, range| check_range(o.$section.$field.as_ref(), range),
                            $($meta)*
                        },
                        field: |o| o.$section.$field.as_ref(),
                        ty: PhantomData,
                    },
                )*
            };
        )*

        $(
            $(#[doc = $root_doc])+
            pub const $ROOT: Key<$root_ty> = Key {
                setting: &Setting {
                    kind: <$root_ty as SettingType>::KIND,
                    doc_comment: concat!($($root_doc),+),
                    read: |o| Shown::of(o.$root_field.as_ref()),
                    check: |o, range| check_range(o.$root_field.as_ref(), range),
                    $($root_meta)*
                },
                field: |o| o.$root_field.as_ref(),
                ty: PhantomData,
            };
        )*

        /// Every setting bktec knows, in documentation order.
        pub static SETTINGS: &[&Setting] = &[
            $($($SECTION.$field.setting,)*)*
            $($ROOT.setting,)*
        ];
    };
}

registry! {
    /// Buildkite job context: set by the agent, overridable by flags for local use; never in `bktec.toml`.
    buildkite (BUILDKITE: BuildkiteKeys): BuildkiteOptions {
        /// The Buildkite organization slug; used in Test Engine API paths.
        organization_slug: String {
            key: "buildkite.organization-slug",
            env: &[EnvVars::BUILDKITE_ORGANIZATION_SLUG],
            flag: Some("organization-slug"),
            default: None,
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The Buildkite build UUID; part of the default plan identifier.
        build_id: String {
            key: "buildkite.build-id",
            env: &[EnvVars::BUILDKITE_BUILD_ID],
            flag: Some("build-id"),
            default: None,
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The Buildkite job UUID; reported to Test Engine.
        job_id: String {
            key: "buildkite.job-id",
            env: &[EnvVars::BUILDKITE_JOB_ID],
            flag: Some("job-id"),
            default: None,
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The Buildkite step UUID; part of the default plan identifier.
        step_id: String {
            key: "buildkite.step-id",
            env: &[EnvVars::BUILDKITE_STEP_ID],
            flag: Some("step-id"),
            default: None,
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The branch being built; sent with plan requests.
        branch: String {
            key: "buildkite.branch",
            env: &[EnvVars::BUILDKITE_BRANCH],
            flag: Some("branch"),
            default: None,
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// How many times Buildkite has retried this job (not a test retry count).
        retry_count: Int {
            key: "buildkite.retry-count",
            env: &[EnvVars::BUILDKITE_RETRY_COUNT],
            flag: Some("retry-count"),
            default: Some("0"),
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::Count { min: 0, max: u32::MAX as i64 },
        }
        /// This job's 0-based index among the parallel jobs of the step.
        parallel_job: Int {
            key: "buildkite.parallel-job",
            env: &[EnvVars::BUILDKITE_PARALLEL_JOB],
            flag: Some("parallel-job"),
            default: Some("0"),
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::Count { min: 0, max: MAX_PARALLELISM - 1 },
        }
        /// The number of parallel jobs the suite is split across.
        parallelism: Int {
            key: "buildkite.parallelism",
            env: &[EnvVars::BUILDKITE_PARALLEL_JOB_COUNT],
            flag: Some("parallelism"),
            default: Some("1"),
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: false,
            range: Range::Count { min: 1, max: MAX_PARALLELISM },
        }
        /// The buildkite-agent executable used for OIDC tokens and promise-failure.
        agent_command: String {
            key: "buildkite.agent-command",
            env: &[],
            flag: Some("buildkite-agent-command"),
            default: Some("buildkite-agent"),
            placement: Placement::JobContext,
            scope: Scope::All,
            group: Group::Build,
            hidden: true,
            range: Range::NotNumeric,
        }
    }
    /// Test Engine: planning, uploads and tokens.
    test_engine (TEST_ENGINE: TestEngineKeys): TestEngineOptions {
        /// The Test Engine suite slug. Without one, bktec plans locally and never calls the API.
        suite_slug: String {
            key: "test-engine.suite-slug",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_SUITE_SLUG],
            flag: Some("suite-slug"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The Test Engine API access token. Environment or flag only, never bktec.toml. Without one, an OIDC token is requested from the agent.
        access_token: String {
            key: "test-engine.access-token",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN],
            flag: Some("access-token"),
            default: None,
            placement: Placement::Secret,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The suite's upload (analytics) token, passed to the test command. Environment or flag only.
        upload_token: String {
            key: "test-engine.upload-token",
            env: &[EnvVars::BUILDKITE_ANALYTICS_TOKEN],
            flag: Some("upload-token"),
            default: None,
            placement: Placement::Secret,
            scope: Scope::RunOnly,
            group: Group::TestEngine,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The Test Engine API base URL.
        base_url: String {
            key: "test-engine.base-url",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_BASE_URL],
            flag: Some("base-url"),
            default: Some("https://api.buildkite.com"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The base URL for built-in result uploads.
        upload_base_url: String {
            key: "test-engine.upload-base-url",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL],
            flag: Some("upload-base-url"),
            default: Some("https://analytics-api.buildkite.com"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// The plan cache key. Defaults to `<BUILDKITE_BUILD_ID>/<BUILDKITE_STEP_ID>`.
        plan_identifier: String {
            key: "test-engine.plan-identifier",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER],
            flag: Some("plan-identifier"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Request OIDC tokens from the Buildkite agent when no token is configured.
        oidc: Flag {
            key: "test-engine.oidc",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_OIDC],
            flag: Some("oidc"),
            default: Some("true"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The lifetime of requested OIDC tokens.
        oidc_lifetime: GoDuration {
            key: "test-engine.oidc-lifetime",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_OIDC_LIFETIME],
            flag: Some("oidc-lifetime"),
            default: Some("2h"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::Duration { min: GoDuration::from_secs(1), max: A_DAY },
        }
        /// Let Test Engine split slow files into individual tests.
        split_by_example: Flag {
            key: "test-engine.split-by-example",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE],
            flag: Some("split-by-example"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Deprecated and ignored; accepted so that v2 pipelines keep working.
        selector_splitting: Flag {
            key: "test-engine.selector-splitting",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING],
            flag: Some("selector-splitting"),
            default: Some("true"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::NotNumeric,
        }
        /// A path prefix that the test collector adds to file locations.
        location_prefix: String {
            key: "test-engine.location-prefix",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_LOCATION_PREFIX, EnvVars::BUILDKITE_ANALYTICS_LOCATION_PREFIX],
            flag: Some("location-prefix"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Run only tests with this execution tag (`key:value`; pytest only).
        tag_filters: String {
            key: "test-engine.tag-filters",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TAG_FILTERS],
            flag: Some("tag-filters"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Upload the result file to Test Engine after every attempt.
        upload_results: Flag {
            key: "test-engine.upload-results",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS],
            flag: Some("upload-results"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// `key=value` tags added to uploaded results (comma-separated; the flag repeats).
        upload_tags: KeyValues {
            key: "test-engine.upload-tags",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TAGS],
            flag: Some("tag"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Tell the agent early that the job will fail when hard failures remain after retries.
        promise_failure: Flag {
            key: "test-engine.promise-failure",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_PROMISE_FAILURE],
            flag: Some("promise-failure"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Let Test Engine choose a parallelism up to this value (0 = off).
        max_parallelism: Int {
            key: "test-engine.max-parallelism",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_MAX_PARALLELISM],
            flag: Some("max-parallelism"),
            default: Some("0"),
            placement: Placement::Everywhere,
            scope: Scope::PlanOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::CountOrOff { max: MAX_PARALLELISM },
        }
        /// The build duration to aim for when choosing parallelism (needs max-parallelism).
        target_time: GoDuration {
            key: "test-engine.target-time",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TARGET_TIME],
            flag: Some("target-time"),
            default: Some("0s"),
            placement: Placement::Everywhere,
            scope: Scope::PlanOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::DurationOrZero { max: A_DAY, zero: "to turn it off" },
        }
        /// How long one Test Engine API request may take, its response included.
        api_attempt_timeout: GoDuration {
            key: "test-engine.api-attempt-timeout",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT],
            flag: Some("api-attempt-timeout"),
            default: Some("15s"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::Duration { min: A_NANOSECOND, max: A_DAY },
        }
        /// How long bktec keeps retrying a failing Test Engine API request before falling back.
        api_retry_budget: GoDuration {
            key: "test-engine.api-retry-budget",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET],
            flag: Some("api-retry-budget"),
            default: Some("130s"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::Duration { min: A_NANOSECOND, max: A_DAY },
        }
        /// The first delay between API retries; later delays grow from it.
        api_retry_delay: GoDuration {
            key: "test-engine.api-retry-delay",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_API_RETRY_DELAY],
            flag: Some("api-retry-delay"),
            default: Some("3s"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::TestEngine,
            hidden: true,
            range: Range::Duration { min: A_NANOSECOND, max: A_DAY },
        }
        /// Run the split stored in this file (Test Engine plan JSON: tasks, muted_tests, skipped_tests) instead of planning. A relative path in bktec.toml is relative to the file's directory.
        plan_file: ConfigPath {
            key: "test-engine.plan-file",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_PLAN_FILE],
            flag: Some("plan-file"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::TestEngine,
            hidden: false,
            range: Range::NotNumeric,
        }
    }
    /// The test runner and its commands.
    runner (RUNNER: RunnerKeys): RunnerOptions {
        /// The test runner: rspec, jest, vitest, cypress, playwright, pytest, gotest, cucumber or custom.
        name: String {
            key: "runner.name",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TEST_RUNNER],
            flag: Some("test-runner"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The command template that runs the tests; `{{testExamples}}` and `{{resultPath}}` are substituted. Defaults to the runner's command.
        test_command: String {
            key: "runner.test-command",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TEST_CMD],
            flag: Some("test-command"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The command template for retries. Defaults to the test command.
        retry_command: String {
            key: "runner.retry-command",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_RETRY_CMD],
            flag: Some("retry-command"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Where the test command writes its results. A relative path in bktec.toml is relative to the file's directory.
        result_path: ConfigPath {
            key: "runner.result-path",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_RESULT_PATH],
            flag: Some("result-path"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Fail when no tests are assigned to this job.
        fail_on_no_tests: Flag {
            key: "runner.fail-on-no-tests",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS],
            flag: Some("fail-on-no-tests"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Write one JUnit XML report merged over all attempts here: each test once with its final outcome, failed attempts of a test that passed as `flakyFailure`, of one that failed as `rerunFailure` (Maven Surefire's convention). Read this, not the test command's per-attempt file, in JUnit upload and annotation steps. A relative path in bktec.toml is relative to the file's directory.
        junit_out: ConfigPath {
            key: "runner.junit-out",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_JUNIT_OUT],
            flag: Some("junit-out"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// In a Buildkite job (BUILDKITE=true), annotate the build through `buildkite-agent annotate` when failures remain after retries. A failing agent only warns.
        annotate: Flag {
            key: "runner.annotate",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_ANNOTATE],
            flag: Some("annotate"),
            default: Some("true"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Runner,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// How long the test command gets to stop after bktec forwards SIGINT or SIGTERM, before it is killed.
        cancel_grace_period: GoDuration {
            key: "runner.cancel-grace-period",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD],
            flag: Some("cancel-grace-period"),
            default: Some("10s"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Runner,
            hidden: false,
            range: Range::DurationOrZero { max: A_DAY, zero: "to kill at once" },
        }
        /// How long one attempt of the test command may run before it is ended like a cancel (SIGTERM, then SIGKILL after the grace period); the report names the tests still running, and the run fails with status 124 without retrying. `0` means no limit.
        attempt_timeout: GoDuration {
            key: "runner.attempt-timeout",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_ATTEMPT_TIMEOUT],
            flag: Some("attempt-timeout"),
            default: Some("0"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Runner,
            hidden: false,
            range: Range::DurationOrZero { max: A_DAY, zero: "for no limit" },
        }
        /// How long a collection may take before it is ended: pytest's collection for discovery by pytest, for splitting a slow file and for Test Engine's examples, the runners' example listings, and `go list`.
        collection_timeout: GoDuration {
            key: "runner.collection-timeout",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_COLLECTION_TIMEOUT],
            flag: Some("collection-timeout"),
            default: Some("30m"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Runner,
            hidden: false,
            range: Range::Duration { min: GoDuration::from_secs(1), max: A_DAY },
        }
    }
    /// Test discovery.
    files (FILES: FilesKeys): FilesOptions {
        /// The zzglob pattern of test files, relative to the directory bktec runs from (that of a bktec.toml found above). Defaults to the runner's pattern.
        pattern: String {
            key: "files.pattern",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN],
            flag: Some("test-file-pattern"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The zzglob pattern of files and directories to leave out.
        exclude_pattern: String {
            key: "files.exclude-pattern",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN],
            flag: Some("test-file-exclude-pattern"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// A file listing the test files, one per line, instead of discovery. A relative path in bktec.toml is relative to the file's directory.
        list: ConfigPath {
            key: "files.list",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_FILES],
            flag: Some("files"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// A file listing test selectors, one per line, instead of discovery. A relative path in bktec.toml is relative to the file's directory.
        selector_file: ConfigPath {
            key: "files.selector-file",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_SELECTOR_FILE],
            flag: Some("selector-file"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// How pytest's test files are found: `pattern` (the include and exclude patterns) or `pytest` (the files of what `pytest --collect-only` collects with the project's own configuration and the test command's options; the patterns, when set, filter them).
        discovery: String {
            key: "files.discovery",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_DISCOVERY],
            flag: Some("discovery"),
            default: Some("pattern"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Timing history for local planning: a JSON object of pytest node ids to seconds, pytest-split's `.test_durations` format. A missing file means no history (a named one is warned about); an empty value turns history off. A relative path in bktec.toml is relative to the file's directory.
        durations: ConfigPath {
            key: "files.durations",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_DURATIONS_FILE],
            flag: Some("durations-file"),
            default: Some(".test_durations"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Files,
            hidden: false,
            range: Range::NotNumeric,
        }
    }
    /// Retries of failed tests.
    retry (RETRY: RetryKeys): RetryOptions {
        /// How many times failed tests are retried (0 = no retries).
        count: Int {
            key: "retry.count",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_RETRY_COUNT],
            flag: Some("test-engine-retry-count"),
            default: Some("0"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Retry,
            hidden: false,
            range: Range::Count { min: 0, max: u32::MAX as i64 },
        }
        /// Do not retry failed tests that Test Engine has muted (they are retried by default).
        disable_for_muted: Flag {
            key: "retry.disable-for-muted",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST],
            flag: Some("disable-retry-muted"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Retry,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// How a test that failed and then passed on a retry (a flaky test) counts: `pass` (the run can be green; the report and annotation name it) or `fail` (the run fails with status 1, as a failed test does).
        flaky_result: String {
            key: "retry.flaky-result",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_FLAKY_RESULT],
            flag: Some("flaky-result"),
            default: Some("pass"),
            placement: Placement::Everywhere,
            scope: Scope::RunOnly,
            group: Group::Retry,
            hidden: false,
            range: Range::NotNumeric,
        }
    }
    /// The test selection preview: only while `BKTEC_PREVIEW_SELECTION` is truthy; sent with Test Engine plan requests.
    selection (SELECTION: SelectionKeys): SelectionOptions {
        /// The test selection strategy sent with the plan request (preview). `none`, `off`, `false`, `disabled`, `no` or empty send none. Also collects git metadata.
        strategy: String {
            key: "selection.strategy",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY],
            flag: Some("selection-strategy"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Selection,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// A `key=value` parameter of the selection strategy (preview; the flag repeats; kept as written, commas included).
        params: Entries {
            key: "selection.params",
            env: &[],
            flag: Some("selection-param"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Selection,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// A `key=value` entry of the plan request's metadata (preview; the flag repeats); it overrides the collected git metadata, and `base_branch` chooses the diff base.
        metadata: Entries {
            key: "selection.metadata",
            env: &[],
            flag: Some("metadata"),
            default: None,
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Selection,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// Collect git metadata for `bktec plan`'s request without a selection strategy (preview; `run` collects only with a strategy, as the Go client does).
        collect_git_metadata: Flag {
            key: "selection.collect-git-metadata",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_COLLECT_GIT_METADATA],
            flag: Some("collect-git-metadata"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Selection,
            hidden: false,
            range: Range::NotNumeric,
        }
        /// The git remote whose default branch is the diff base of the collected git metadata (preview).
        remote: String {
            key: "selection.remote",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_REMOTE],
            flag: Some("remote"),
            default: Some("origin"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Selection,
            hidden: false,
            range: Range::NotNumeric,
        }
    }
    root {
        /// Print debug output.
        DEBUG debug: Flag {
            key: "debug",
            env: &[EnvVars::BUILDKITE_TEST_ENGINE_DEBUG_ENABLED],
            flag: Some("debug"),
            default: Some("false"),
            placement: Placement::Everywhere,
            scope: Scope::All,
            group: Group::Output,
            hidden: false,
            range: Range::NotNumeric,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::config::setting::SettingKind;

    #[test]
    fn keys_env_vars_and_flags_are_unique() {
        let mut keys = HashSet::new();
        let mut envs = HashSet::new();
        let mut flags = HashSet::new();
        for s in SETTINGS {
            assert!(keys.insert(s.key), "duplicate key {}", s.key);
            for e in s.env {
                assert!(envs.insert(*e), "duplicate env {e}");
            }
            if let Some(f) = s.flag {
                assert!(flags.insert(f), "duplicate flag {f}");
            }
        }
    }

    #[test]
    fn every_test_engine_variable_has_a_file_key_unless_secret() {
        // D2: every BUILDKITE_TEST_ENGINE_* setting has a TOML key, except secrets.
        for s in SETTINGS {
            if s.env
                .iter()
                .any(|e| e.starts_with("BUILDKITE_TEST_ENGINE_"))
            {
                assert!(s.in_file() || s.is_secret(), "{} needs a file key", s.key);
            }
        }
    }

    #[test]
    fn every_number_has_a_range_of_its_kind() {
        // D27: counts and durations are range-checked; nothing else is.
        for s in SETTINGS {
            let fits = match (s.kind, s.range) {
                (SettingKind::Int, Range::Count { min, max }) => min <= max,
                (SettingKind::Int, Range::CountOrOff { max }) => max > 0,
                (SettingKind::Duration, Range::Duration { min, max }) => {
                    !min.is_negative() && !min.is_zero() && min <= max
                }
                (SettingKind::Duration, Range::DurationOrZero { max, zero: _ }) => {
                    !max.is_negative() && !max.is_zero()
                }
                (
                    SettingKind::Text
                    | SettingKind::Path
                    | SettingKind::Bool
                    | SettingKind::KeyValues,
                    Range::NotNumeric,
                ) => true,
                (
                    SettingKind::Text
                    | SettingKind::Path
                    | SettingKind::Bool
                    | SettingKind::KeyValues
                    | SettingKind::Int
                    | SettingKind::Duration,
                    _,
                ) => false,
            };
            assert!(fits, "`{}` has range {:?} for {:?}", s.key, s.range, s.kind);
        }
    }

    #[test]
    fn places_lists_every_source() {
        assert_eq!(
            RETRY.count.places(),
            "`retry.count` in bktec.toml, BUILDKITE_TEST_ENGINE_RETRY_COUNT or --test-engine-retry-count"
        );
    }
}
