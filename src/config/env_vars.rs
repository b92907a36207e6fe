//! Environment variables: the names bktec reads (one constant each), and the
//! [`EnvSnapshot`] they are read through, once, at start-up.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// The environment variables bktec reads. Spelled exactly as the variable.
pub struct EnvVars;

#[expect(
    missing_docs,
    reason = "each name is documented by its setting in the registry"
)]
impl EnvVars {
    pub const BUILDKITE_ORGANIZATION_SLUG: &'static str = "BUILDKITE_ORGANIZATION_SLUG";
    pub const BUILDKITE_BUILD_ID: &'static str = "BUILDKITE_BUILD_ID";
    pub const BUILDKITE_JOB_ID: &'static str = "BUILDKITE_JOB_ID";
    pub const BUILDKITE_STEP_ID: &'static str = "BUILDKITE_STEP_ID";
    pub const BUILDKITE_BRANCH: &'static str = "BUILDKITE_BRANCH";
    pub const BUILDKITE_RETRY_COUNT: &'static str = "BUILDKITE_RETRY_COUNT";
    pub const BUILDKITE_PARALLEL_JOB: &'static str = "BUILDKITE_PARALLEL_JOB";
    pub const BUILDKITE_PARALLEL_JOB_COUNT: &'static str = "BUILDKITE_PARALLEL_JOB_COUNT";
    pub const BUILDKITE_ANALYTICS_TOKEN: &'static str = "BUILDKITE_ANALYTICS_TOKEN";
    pub const BUILDKITE_ANALYTICS_LOCATION_PREFIX: &'static str =
        "BUILDKITE_ANALYTICS_LOCATION_PREFIX";
    pub const BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN: &'static str =
        "BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN";
    pub const BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS: &'static str =
        "BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS";
    pub const BUILDKITE_TEST_ENGINE_TAGS: &'static str = "BUILDKITE_TEST_ENGINE_TAGS";
    pub const BUILDKITE_TEST_ENGINE_SUITE_SLUG: &'static str = "BUILDKITE_TEST_ENGINE_SUITE_SLUG";
    pub const BUILDKITE_TEST_ENGINE_BASE_URL: &'static str = "BUILDKITE_TEST_ENGINE_BASE_URL";
    pub const BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL: &'static str =
        "BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL";
    pub const BUILDKITE_TEST_ENGINE_OIDC: &'static str = "BUILDKITE_TEST_ENGINE_OIDC";
    pub const BUILDKITE_TEST_ENGINE_OIDC_LIFETIME: &'static str =
        "BUILDKITE_TEST_ENGINE_OIDC_LIFETIME";
    pub const BUILDKITE_TEST_ENGINE_PROMISE_FAILURE: &'static str =
        "BUILDKITE_TEST_ENGINE_PROMISE_FAILURE";
    pub const BUILDKITE_TEST_ENGINE_TEST_RUNNER: &'static str = "BUILDKITE_TEST_ENGINE_TEST_RUNNER";
    pub const BUILDKITE_TEST_ENGINE_TEST_CMD: &'static str = "BUILDKITE_TEST_ENGINE_TEST_CMD";
    pub const BUILDKITE_TEST_ENGINE_RETRY_CMD: &'static str = "BUILDKITE_TEST_ENGINE_RETRY_CMD";
    pub const BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN";
    pub const BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN";
    pub const BUILDKITE_TEST_ENGINE_RESULT_PATH: &'static str = "BUILDKITE_TEST_ENGINE_RESULT_PATH";
    pub const BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE: &'static str =
        "BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE";
    pub const BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING: &'static str =
        "BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING";
    pub const BUILDKITE_TEST_ENGINE_SELECTOR_FILE: &'static str =
        "BUILDKITE_TEST_ENGINE_SELECTOR_FILE";
    pub const BUILDKITE_TEST_ENGINE_FILES: &'static str = "BUILDKITE_TEST_ENGINE_FILES";
    pub const BUILDKITE_TEST_ENGINE_LOCATION_PREFIX: &'static str =
        "BUILDKITE_TEST_ENGINE_LOCATION_PREFIX";
    pub const BUILDKITE_TEST_ENGINE_TAG_FILTERS: &'static str = "BUILDKITE_TEST_ENGINE_TAG_FILTERS";
    pub const BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS: &'static str =
        "BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS";
    pub const BUILDKITE_TEST_ENGINE_RETRY_COUNT: &'static str = "BUILDKITE_TEST_ENGINE_RETRY_COUNT";
    pub const BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST: &'static str =
        "BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST";
    pub const BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER: &'static str =
        "BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER";
    pub const BUILDKITE_TEST_ENGINE_MAX_PARALLELISM: &'static str =
        "BUILDKITE_TEST_ENGINE_MAX_PARALLELISM";
    pub const BUILDKITE_TEST_ENGINE_TARGET_TIME: &'static str = "BUILDKITE_TEST_ENGINE_TARGET_TIME";
    pub const BUILDKITE_TEST_ENGINE_DEBUG_ENABLED: &'static str =
        "BUILDKITE_TEST_ENGINE_DEBUG_ENABLED";
    pub const BUILDKITE_TEST_ENGINE_CONFIG: &'static str = "BUILDKITE_TEST_ENGINE_CONFIG";
    pub const BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT: &'static str =
        "BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT";
    pub const BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET: &'static str =
        "BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET";
    pub const BUILDKITE_TEST_ENGINE_API_RETRY_DELAY: &'static str =
        "BUILDKITE_TEST_ENGINE_API_RETRY_DELAY";
    pub const BUILDKITE_TEST_ENGINE_PARALLELISM: &'static str = "BUILDKITE_TEST_ENGINE_PARALLELISM";
    pub const BUILDKITE_TEST_ENGINE_PLAN_FILE: &'static str = "BUILDKITE_TEST_ENGINE_PLAN_FILE";
    pub const BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD: &'static str =
        "BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD";
    pub const BUILDKITE_COMMIT: &'static str = "BUILDKITE_COMMIT";
    pub const BUILDKITE_BUILD_NUMBER: &'static str = "BUILDKITE_BUILD_NUMBER";
    pub const BUILDKITE_BUILD_URL: &'static str = "BUILDKITE_BUILD_URL";
    pub const BUILDKITE_MESSAGE: &'static str = "BUILDKITE_MESSAGE";
    pub const NO_COLOR: &'static str = "NO_COLOR";
    pub const HOME: &'static str = "HOME";
    pub const TMPDIR: &'static str = "TMPDIR";
}

/// The process environment, read once. Tests build one from a map.
#[derive(Clone, Debug, Default)]
pub struct EnvSnapshot {
    vars: BTreeMap<String, String>,
}

impl EnvSnapshot {
    /// Reads the process environment. Variables whose name or value is not
    /// UTF-8 are left out: no setting can use them.
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place the environment is read"
    )]
    pub fn from_process() -> EnvSnapshot {
        let vars = std::env::vars_os()
            .filter_map(|(k, v): (OsString, OsString)| {
                Some((k.into_string().ok()?, v.into_string().ok()?))
            })
            .collect();
        EnvSnapshot { vars }
    }

    /// Builds a snapshot from name/value pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> EnvSnapshot {
        EnvSnapshot {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name` if it is set (possibly to the empty string).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of `name` if it is set and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}
