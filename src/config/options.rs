//! `BktecOptions`: the shape of the merged configuration tree, and (without the
//! job-context and secret parts, which are `#[schemars(skip)]`) the schema of
//! `bktec.toml`. Every field is optional: absence means "use the layer below".
//! A test checks that the fields and the settings registry agree.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::elements::{Flag, GoDuration, Int, KeyValues};

/// bktec configuration. Values here are overridden by `BUILDKITE_TEST_ENGINE_*`
/// environment variables, which are overridden by command-line flags.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "bktec.toml")]
pub struct BktecOptions {
    /// Print debug output. Env: BUILDKITE_TEST_ENGINE_DEBUG_ENABLED. Flag: --debug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<Flag>,
    /// The test runner and its commands.
    #[serde(default)]
    pub runner: RunnerOptions,
    /// Test discovery.
    #[serde(default)]
    pub files: FilesOptions,
    /// Retries of failed tests.
    #[serde(default)]
    pub retry: RetryOptions,
    /// Test Engine: planning, uploads and tokens.
    #[serde(default)]
    pub test_engine: TestEngineOptions,
    /// Buildkite job context (D2): environment variables and flags only.
    #[serde(default)]
    #[schemars(skip)]
    pub buildkite: BuildkiteContext,
}

/// The test runner and its commands.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RunnerOptions {
    /// The test runner: rspec, jest, vitest, cypress, playwright, pytest, gotest,
    /// cucumber or custom. Env: BUILDKITE_TEST_ENGINE_TEST_RUNNER. Flag: --test-runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["rspec", "jest", "vitest", "cypress", "playwright", "pytest", "gotest", "cucumber", "custom"]))]
    pub name: Option<String>,
    /// The command template that runs the tests. `{{testExamples}}` becomes the
    /// tests and `{{resultPath}}` the result file. Defaults to the runner's command.
    /// Env: BUILDKITE_TEST_ENGINE_TEST_CMD. Flag: --test-command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_command: Option<String>,
    /// The command template for retries. Defaults to the test command.
    /// Env: BUILDKITE_TEST_ENGINE_RETRY_CMD. Flag: --retry-command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_command: Option<String>,
    /// Where the test command writes its results; relative to this file's
    /// directory. Env: BUILDKITE_TEST_ENGINE_RESULT_PATH. Flag: --result-path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<String>,
    /// How long the test command gets to stop after bktec forwards SIGINT or
    /// SIGTERM, before its process group is killed, such as "10s".
    /// Env: BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD. Flag: --cancel-grace-period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_grace_period: Option<GoDuration>,
    /// Fail when no tests are assigned to this job.
    /// Env: BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS. Flag: --fail-on-no-tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_on_no_tests: Option<Flag>,
}

/// Test discovery.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FilesOptions {
    /// The zzglob pattern of test files, relative to the working directory.
    /// Defaults to the runner's pattern.
    /// Env: BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN. Flag: --test-file-pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The zzglob pattern of files and directories to leave out.
    /// Env: BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN. Flag: --test-file-exclude-pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_pattern: Option<String>,
    /// A file listing the test files, one per line, used instead of discovery;
    /// relative to this file's directory. Env: BUILDKITE_TEST_ENGINE_FILES. Flag: --files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// A file listing test selectors, one per line, used instead of discovery;
    /// relative to this file's directory.
    /// Env: BUILDKITE_TEST_ENGINE_SELECTOR_FILE. Flag: --selector-file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector_file: Option<String>,
}

/// Retries of failed tests.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RetryOptions {
    /// How many times failed tests are retried; 0 disables retries.
    /// Env: BUILDKITE_TEST_ENGINE_RETRY_COUNT. Flag: --test-engine-retry-count.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub count: Option<Int>,
    /// Do not retry failed tests that Test Engine has muted (they are retried by
    /// default). Env: BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST.
    /// Flag: --disable-retry-muted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_for_muted: Option<Flag>,
}

/// Test Engine: planning, uploads and tokens.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TestEngineOptions {
    /// The Test Engine suite slug. Without one, bktec plans locally and never
    /// calls the API. Env: BUILDKITE_TEST_ENGINE_SUITE_SLUG. Flag: --suite-slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_slug: Option<String>,
    /// The API access token: environment or flag only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub access_token: Option<String>,
    /// The upload (analytics) token: environment or flag only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub upload_token: Option<String>,
    /// The Test Engine API base URL.
    /// Env: BUILDKITE_TEST_ENGINE_BASE_URL. Flag: --base-url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The base URL of built-in result uploads.
    /// Env: BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL. Flag: --upload-base-url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_base_url: Option<String>,
    /// The plan cache key; defaults to `<BUILDKITE_BUILD_ID>/<BUILDKITE_STEP_ID>`.
    /// Env: BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER. Flag: --plan-identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_identifier: Option<String>,
    /// Request OIDC tokens from the Buildkite agent when no token is configured.
    /// Env: BUILDKITE_TEST_ENGINE_OIDC. Flag: --oidc / --no-oidc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc: Option<Flag>,
    /// The lifetime of requested OIDC tokens, such as "2h".
    /// Env: BUILDKITE_TEST_ENGINE_OIDC_LIFETIME. Flag: --oidc-lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_lifetime: Option<GoDuration>,
    /// Let Test Engine split slow files into individual tests.
    /// Env: BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE. Flag: --split-by-example.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_by_example: Option<Flag>,
    /// Deprecated and ignored; accepted so that v2 configurations keep working.
    /// Env: BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING. Flag: --selector-splitting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector_splitting: Option<Flag>,
    /// A path prefix that the test collector adds to file locations.
    /// Env: BUILDKITE_TEST_ENGINE_LOCATION_PREFIX, then BUILDKITE_ANALYTICS_LOCATION_PREFIX.
    /// Flag: --location-prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_prefix: Option<String>,
    /// Run only tests with this execution tag, as `key:value` (pytest only).
    /// Env: BUILDKITE_TEST_ENGINE_TAG_FILTERS. Flag: --tag-filters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_filters: Option<String>,
    /// Upload the result file to Test Engine after every attempt.
    /// Env: BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS. Flag: --upload-results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_results: Option<Flag>,
    /// Tags added to uploaded results, as "key=value" strings.
    /// Env: BUILDKITE_TEST_ENGINE_TAGS (comma-separated). Flag: --tag (repeatable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_tags: Option<KeyValues>,
    /// Tell the agent early that the job will fail when hard failures remain
    /// after retries. Env: BUILDKITE_TEST_ENGINE_PROMISE_FAILURE. Flag: --promise-failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promise_failure: Option<Flag>,
    /// How long one Test Engine API request may take, such as "15s".
    /// Env: BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT. Flag: --api-attempt-timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_attempt_timeout: Option<GoDuration>,
    /// How long a failing Test Engine API request is retried before bktec
    /// falls back to local planning, such as "130s".
    /// Env: BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET. Flag: --api-retry-budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_retry_budget: Option<GoDuration>,
    /// The first delay between API retries, such as "3s"; later ones grow from it.
    /// Env: BUILDKITE_TEST_ENGINE_API_RETRY_DELAY. Flag: --api-retry-delay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_retry_delay: Option<GoDuration>,
    /// Run the split stored in this file (Test Engine plan JSON with `tasks`,
    /// `muted_tests` and `skipped_tests`) instead of planning; relative to this
    /// file's directory. Env: BUILDKITE_TEST_ENGINE_PLAN_FILE. Flag: --plan-file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_file: Option<String>,
    /// `bktec plan`: let Test Engine choose a parallelism up to this value (0 = off).
    /// Env: BUILDKITE_TEST_ENGINE_MAX_PARALLELISM. Flag: --max-parallelism.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub max_parallelism: Option<Int>,
    /// `bktec plan`: the build duration to aim for (needs max-parallelism).
    /// Env: BUILDKITE_TEST_ENGINE_TARGET_TIME. Flag: --target-time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_time: Option<GoDuration>,
}

/// Buildkite job context (D2): set by the agent, overridable by flags for local use.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuildkiteContext {
    /// BUILDKITE_ORGANIZATION_SLUG.
    pub organization_slug: Option<String>,
    /// BUILDKITE_BUILD_ID.
    pub build_id: Option<String>,
    /// BUILDKITE_JOB_ID.
    pub job_id: Option<String>,
    /// BUILDKITE_STEP_ID.
    pub step_id: Option<String>,
    /// BUILDKITE_BRANCH.
    pub branch: Option<String>,
    /// BUILDKITE_RETRY_COUNT.
    pub retry_count: Option<Int>,
    /// BUILDKITE_PARALLEL_JOB.
    pub parallel_job: Option<Int>,
    /// BUILDKITE_PARALLEL_JOB_COUNT.
    pub parallelism: Option<Int>,
    /// --buildkite-agent-command.
    pub agent_command: Option<String>,
}
