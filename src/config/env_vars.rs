//! Environment variables: the names bktec reads (one constant each), and the
//! [`EnvSnapshot`] they are read through, once, at start-up.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;

use crate::config::registry::SETTINGS;

/// The environment variables bktec reads. Spelled exactly as the variable.
pub(crate) struct EnvVars;

impl EnvVars {
    pub(crate) const BUILDKITE_ORGANIZATION_SLUG: &'static str = "BUILDKITE_ORGANIZATION_SLUG";
    pub(crate) const BUILDKITE_BUILD_ID: &'static str = "BUILDKITE_BUILD_ID";
    pub(crate) const BUILDKITE_JOB_ID: &'static str = "BUILDKITE_JOB_ID";
    pub(crate) const BUILDKITE_STEP_ID: &'static str = "BUILDKITE_STEP_ID";
    pub(crate) const BUILDKITE_BRANCH: &'static str = "BUILDKITE_BRANCH";
    pub(crate) const BUILDKITE_RETRY_COUNT: &'static str = "BUILDKITE_RETRY_COUNT";
    pub(crate) const BUILDKITE_PARALLEL_JOB: &'static str = "BUILDKITE_PARALLEL_JOB";
    pub(crate) const BUILDKITE_PARALLEL_JOB_COUNT: &'static str = "BUILDKITE_PARALLEL_JOB_COUNT";
    pub(crate) const BUILDKITE_ANALYTICS_TOKEN: &'static str = "BUILDKITE_ANALYTICS_TOKEN";
    pub(crate) const BUILDKITE_ANALYTICS_LOCATION_PREFIX: &'static str =
        "BUILDKITE_ANALYTICS_LOCATION_PREFIX";
    pub(crate) const BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN: &'static str =
        "BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN";
    pub(crate) const BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS: &'static str =
        "BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS";
    pub(crate) const BUILDKITE_TEST_ENGINE_TAGS: &'static str = "BUILDKITE_TEST_ENGINE_TAGS";
    pub(crate) const BUILDKITE_TEST_ENGINE_SUITE_SLUG: &'static str =
        "BUILDKITE_TEST_ENGINE_SUITE_SLUG";
    pub(crate) const BUILDKITE_TEST_ENGINE_BASE_URL: &'static str =
        "BUILDKITE_TEST_ENGINE_BASE_URL";
    pub(crate) const BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL: &'static str =
        "BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL";
    pub(crate) const BUILDKITE_TEST_ENGINE_OIDC: &'static str = "BUILDKITE_TEST_ENGINE_OIDC";
    pub(crate) const BUILDKITE_TEST_ENGINE_OIDC_LIFETIME: &'static str =
        "BUILDKITE_TEST_ENGINE_OIDC_LIFETIME";
    pub(crate) const BUILDKITE_TEST_ENGINE_PROMISE_FAILURE: &'static str =
        "BUILDKITE_TEST_ENGINE_PROMISE_FAILURE";
    pub(crate) const BUILDKITE_TEST_ENGINE_TEST_RUNNER: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_RUNNER";
    pub(crate) const BUILDKITE_TEST_ENGINE_TEST_CMD: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_CMD";
    pub(crate) const BUILDKITE_TEST_ENGINE_RETRY_CMD: &'static str =
        "BUILDKITE_TEST_ENGINE_RETRY_CMD";
    pub(crate) const BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN";
    pub(crate) const BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN: &'static str =
        "BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN";
    pub(crate) const BUILDKITE_TEST_ENGINE_RESULT_PATH: &'static str =
        "BUILDKITE_TEST_ENGINE_RESULT_PATH";
    pub(crate) const BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE: &'static str =
        "BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE";
    pub(crate) const BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING: &'static str =
        "BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING";
    pub(crate) const BUILDKITE_TEST_ENGINE_SELECTOR_FILE: &'static str =
        "BUILDKITE_TEST_ENGINE_SELECTOR_FILE";
    pub(crate) const BUILDKITE_TEST_ENGINE_FILES: &'static str = "BUILDKITE_TEST_ENGINE_FILES";
    pub(crate) const BUILDKITE_TEST_ENGINE_LOCATION_PREFIX: &'static str =
        "BUILDKITE_TEST_ENGINE_LOCATION_PREFIX";
    pub(crate) const BUILDKITE_TEST_ENGINE_TAG_FILTERS: &'static str =
        "BUILDKITE_TEST_ENGINE_TAG_FILTERS";
    pub(crate) const BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS: &'static str =
        "BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS";
    pub(crate) const BUILDKITE_TEST_ENGINE_RETRY_COUNT: &'static str =
        "BUILDKITE_TEST_ENGINE_RETRY_COUNT";
    pub(crate) const BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST: &'static str =
        "BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST";
    pub(crate) const BUILDKITE_TEST_ENGINE_FLAKY_RESULT: &'static str =
        "BUILDKITE_TEST_ENGINE_FLAKY_RESULT";
    pub(crate) const BUILDKITE_TEST_ENGINE_ATTEMPT_TIMEOUT: &'static str =
        "BUILDKITE_TEST_ENGINE_ATTEMPT_TIMEOUT";
    pub(crate) const BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER: &'static str =
        "BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER";
    pub(crate) const BUILDKITE_TEST_ENGINE_MAX_PARALLELISM: &'static str =
        "BUILDKITE_TEST_ENGINE_MAX_PARALLELISM";
    pub(crate) const BUILDKITE_TEST_ENGINE_TARGET_TIME: &'static str =
        "BUILDKITE_TEST_ENGINE_TARGET_TIME";
    pub(crate) const BUILDKITE_TEST_ENGINE_DEBUG_ENABLED: &'static str =
        "BUILDKITE_TEST_ENGINE_DEBUG_ENABLED";
    pub(crate) const BUILDKITE_TEST_ENGINE_CONFIG: &'static str = "BUILDKITE_TEST_ENGINE_CONFIG";
    pub(crate) const BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT: &'static str =
        "BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT";
    pub(crate) const BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET: &'static str =
        "BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET";
    pub(crate) const BUILDKITE_TEST_ENGINE_API_RETRY_DELAY: &'static str =
        "BUILDKITE_TEST_ENGINE_API_RETRY_DELAY";
    pub(crate) const BUILDKITE_TEST_ENGINE_PARALLELISM: &'static str =
        "BUILDKITE_TEST_ENGINE_PARALLELISM";
    pub(crate) const BUILDKITE_TEST_ENGINE_PLAN_FILE: &'static str =
        "BUILDKITE_TEST_ENGINE_PLAN_FILE";
    pub(crate) const BUILDKITE_TEST_ENGINE_JUNIT_OUT: &'static str =
        "BUILDKITE_TEST_ENGINE_JUNIT_OUT";
    pub(crate) const BUILDKITE_TEST_ENGINE_ANNOTATE: &'static str =
        "BUILDKITE_TEST_ENGINE_ANNOTATE";
    pub(crate) const BUILDKITE_TEST_ENGINE_DURATIONS_FILE: &'static str =
        "BUILDKITE_TEST_ENGINE_DURATIONS_FILE";
    pub(crate) const BUILDKITE_TEST_ENGINE_DISCOVERY: &'static str =
        "BUILDKITE_TEST_ENGINE_DISCOVERY";
    pub(crate) const BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD: &'static str =
        "BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD";
    pub(crate) const BUILDKITE_TEST_ENGINE_COLLECTION_TIMEOUT: &'static str =
        "BUILDKITE_TEST_ENGINE_COLLECTION_TIMEOUT";
    pub(crate) const BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY: &'static str =
        "BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY";
    pub(crate) const BUILDKITE_TEST_ENGINE_REMOTE: &'static str = "BUILDKITE_TEST_ENGINE_REMOTE";
    pub(crate) const BUILDKITE_TEST_ENGINE_COLLECT_GIT_METADATA: &'static str =
        "BUILDKITE_TEST_ENGINE_COLLECT_GIT_METADATA";
    pub(crate) const BUILDKITE_TEST_ENGINE_SKIP_DIFFS: &'static str =
        "BUILDKITE_TEST_ENGINE_SKIP_DIFFS";
    pub(crate) const BUILDKITE_TEST_ENGINE_BACKFILL_DAYS: &'static str =
        "BUILDKITE_TEST_ENGINE_BACKFILL_DAYS";
    pub(crate) const BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE: &'static str =
        "BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE";
    pub(crate) const BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY: &'static str =
        "BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY";
    /// The test selection preview's gate (D40): truthy as the Go client
    /// reads it (`1`, `t`, `true`, `y`, `yes`, `on`, trimmed, any case).
    pub(crate) const BKTEC_PREVIEW_SELECTION: &'static str = "BKTEC_PREVIEW_SELECTION";
    /// The pull request's base branch: the diff base of the preview's git
    /// metadata when `--metadata base_branch` is not given (D40).
    pub(crate) const BUILDKITE_PULL_REQUEST_BASE_BRANCH: &'static str =
        "BUILDKITE_PULL_REQUEST_BASE_BRANCH";
    /// Sent as the preview's `pipeline_slug` metadata (D40).
    pub(crate) const BUILDKITE_PIPELINE_SLUG: &'static str = "BUILDKITE_PIPELINE_SLUG";
    pub(crate) const BUILDKITE_COMMIT: &'static str = "BUILDKITE_COMMIT";
    pub(crate) const BUILDKITE_BUILD_NUMBER: &'static str = "BUILDKITE_BUILD_NUMBER";
    pub(crate) const BUILDKITE_BUILD_URL: &'static str = "BUILDKITE_BUILD_URL";
    pub(crate) const BUILDKITE_MESSAGE: &'static str = "BUILDKITE_MESSAGE";
    /// `true` in a Buildkite job: annotations are made, and the log renders
    /// ANSI colour although it is not a terminal (issue 13).
    pub(crate) const BUILDKITE: &'static str = "BUILDKITE";
    pub(crate) const BUILDKITE_LABEL: &'static str = "BUILDKITE_LABEL";
    pub(crate) const TERM: &'static str = "TERM";
    pub(crate) const HOME: &'static str = "HOME";
    /// Kept behind the witness plugin's directory in the test command's
    /// environment (D23).
    pub(crate) const PYTHONPATH: &'static str = "PYTHONPATH";
    pub(crate) const PYTEST_ADDOPTS: &'static str = "PYTEST_ADDOPTS";
    /// Kept before the RSpec witness's option (D37).
    pub(crate) const SPEC_OPTS: &'static str = "SPEC_OPTS";
    /// Extended with the witness plugin when plugins do not autoload (D36).
    pub(crate) const PYTEST_PLUGINS: &'static str = "PYTEST_PLUGINS";
    /// Set: pytest loads no plugin automatically, so bktec names the
    /// witness in `PYTEST_PLUGINS` (D36).
    pub(crate) const PYTEST_DISABLE_PLUGIN_AUTOLOAD: &'static str =
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD";
}

/// The prefix of the Test Engine client's variables (D29).
const TEST_ENGINE_PREFIX: &str = "BUILDKITE_TEST_ENGINE_";

/// `BUILDKITE_TEST_ENGINE_*` variables that are not settings but are
/// legitimately set in pipelines, so they must not be reported as misspelt.
const NOT_SETTINGS: &[&str] = &[
    // Names the configuration file (`--config`).
    EnvVars::BUILDKITE_TEST_ENGINE_CONFIG,
    // Set by `bktec plan --pipeline-upload` for the pipeline it uploads, so the
    // `run` steps of that pipeline see it (behaviour document 11.4).
    EnvVars::BUILDKITE_TEST_ENGINE_PARALLELISM,
    // `tools backfill-commit-metadata` reads its variables itself, not as
    // settings (D43).
    EnvVars::BUILDKITE_TEST_ENGINE_SKIP_DIFFS,
    EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_DAYS,
    EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_REMOTE,
    EnvVars::BUILDKITE_TEST_ENGINE_BACKFILL_CONCURRENCY,
];

/// A `BUILDKITE_TEST_ENGINE_*` variable bktec does not know (D29).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownVariable {
    /// The variable's name.
    pub name: String,
    /// The known variable it is closest to.
    pub closest: &'static str,
}

impl fmt::Display for UnknownVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a variable bktec knows and is ignored (did you mean {}?)",
            self.name, self.closest
        )
    }
}

/// The variables bktec reads whose names start with [`TEST_ENGINE_PREFIX`]:
/// the candidates for "did you mean".
fn test_engine_settings_vars() -> impl Iterator<Item = &'static str> {
    SETTINGS
        .iter()
        .flat_map(|s| s.env.iter().copied())
        .chain([EnvVars::BUILDKITE_TEST_ENGINE_CONFIG])
        .filter(|name| name.starts_with(TEST_ENGINE_PREFIX))
}

/// The known variable closest to `name`, comparing what follows the prefix
/// without regard to case: a name that differs only in case
/// (`BUILDKITE_TEST_ENGINE_test_runner`) is an exact match, so it is the one
/// suggested, whatever else is near.
fn closest_known(name: &str) -> &'static str {
    let rest = |n: &str| {
        n.strip_prefix(TEST_ENGINE_PREFIX)
            .unwrap_or(n)
            .to_ascii_uppercase()
    };
    let wanted = rest(name);
    test_engine_settings_vars()
        .map(|known| (strsim::jaro_winkler(&wanted, &rest(known)), known))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known)
        .expect("the registry has Test Engine variables")
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

    /// Every `BUILDKITE_TEST_ENGINE_*` variable that is set but that bktec does
    /// not know, once each, in name order, with the closest known name (D29).
    /// Pipelines may set variables of newer clients, so these are warnings.
    pub fn unknown_test_engine_vars(&self) -> Vec<UnknownVariable> {
        self.vars
            .keys()
            .filter(|name| name.starts_with(TEST_ENGINE_PREFIX))
            .filter(|name| {
                !NOT_SETTINGS.contains(&name.as_str())
                    && !test_engine_settings_vars().any(|known| known == name.as_str())
            })
            .map(|name| UnknownVariable {
                name: name.clone(),
                closest: closest_known(name),
            })
            .collect()
    }

    /// Whether the test selection preview is on: `BKTEC_PREVIEW_SELECTION`
    /// is truthy as the Go client reads it (D40).
    pub fn preview_selection(&self) -> bool {
        self.get(EnvVars::BKTEC_PREVIEW_SELECTION)
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| matches!(v.as_str(), "1" | "t" | "true" | "y" | "yes" | "on"))
    }

    /// The value of `name` if it is set and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_test_engine_variables_name_the_closest_known_one() {
        // D29: a misspelt variable was silently ignored.
        let env = EnvSnapshot::from_pairs([
            ("BUILDKITE_TEST_ENGINE_RETRY_COUNTS", "2"),
            ("BUILDKITE_TEST_ENGINE_TEST_RUNER", "pytest"),
            ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "1"),
            ("BUILDKITE_TEST_ENGINE_CONFIG", "ci.toml"),
            ("BUILDKITE_TEST_ENGINE_PARALLELISM", "4"),
            ("BUILDKITE_TEST_ENGINE_SELECTION_STRATEGY", "none"),
            ("BUILDKITE_PARALLEL_JOB", "0"),
            ("BUILDKITE_ANALYTICS_TOKEN", "x"),
            ("HOME", "/root"),
        ]);
        assert_eq!(
            env.unknown_test_engine_vars(),
            [
                UnknownVariable {
                    name: "BUILDKITE_TEST_ENGINE_RETRY_COUNTS".into(),
                    closest: "BUILDKITE_TEST_ENGINE_RETRY_COUNT",
                },
                UnknownVariable {
                    name: "BUILDKITE_TEST_ENGINE_TEST_RUNER".into(),
                    closest: "BUILDKITE_TEST_ENGINE_TEST_RUNNER",
                },
            ]
        );
    }

    #[test]
    fn a_variable_spelt_in_another_case_suggests_its_own_name() {
        // Issue 19: `..._test_runner` used to suggest `..._TEST_CMD`.
        let env = EnvSnapshot::from_pairs([
            ("BUILDKITE_TEST_ENGINE_test_runner", "pytest"),
            ("BUILDKITE_TEST_ENGINE_Result_Path", "r.json"),
            ("BUILDKITE_TEST_ENGINE_test_cmd", "pytest"),
        ]);
        let unknown = env.unknown_test_engine_vars();
        let suggested: Vec<(&str, &str)> = unknown
            .iter()
            .map(|u| (u.name.as_str(), u.closest))
            .collect();
        assert_eq!(
            suggested,
            [
                (
                    "BUILDKITE_TEST_ENGINE_Result_Path",
                    "BUILDKITE_TEST_ENGINE_RESULT_PATH"
                ),
                (
                    "BUILDKITE_TEST_ENGINE_test_cmd",
                    "BUILDKITE_TEST_ENGINE_TEST_CMD"
                ),
                (
                    "BUILDKITE_TEST_ENGINE_test_runner",
                    "BUILDKITE_TEST_ENGINE_TEST_RUNNER"
                ),
            ]
        );
    }

    #[test]
    fn the_preview_gate_reads_truthy_values_as_the_go_client_does() {
        for value in ["1", "t", "TRUE", " yes ", "Y", "on"] {
            let env = EnvSnapshot::from_pairs([(EnvVars::BKTEC_PREVIEW_SELECTION, value)]);
            assert!(env.preview_selection(), "{value:?}");
        }
        for value in ["", "0", "false", "enabled", "2"] {
            let env = EnvSnapshot::from_pairs([(EnvVars::BKTEC_PREVIEW_SELECTION, value)]);
            assert!(!env.preview_selection(), "{value:?}");
        }
        assert!(!EnvSnapshot::default().preview_selection());
    }

    #[test]
    fn every_variable_bktec_reads_is_known() {
        let env = EnvSnapshot::from_pairs(
            SETTINGS
                .iter()
                .flat_map(|s| s.env.iter())
                .chain(NOT_SETTINGS)
                .map(|name| (*name, "")),
        );
        assert_eq!(env.unknown_test_engine_vars(), []);
    }
}
