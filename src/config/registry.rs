//! The settings registry: one entry per setting, the single source of truth for
//! its configuration key, environment variable(s), flag, type, default and
//! documentation. The CLI flags, the environment provider, the built-in
//! defaults, `bktec config` and the documentation tables are all generated from
//! [`SETTINGS`]; `BktecOptions` (the file schema) is checked against it by a test.

use crate::config::elements::GoDuration;
use crate::config::env_vars::EnvVars;

/// The value type of a setting, which decides how raw text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// Free text.
    Text,
    /// A filesystem path. Relative paths in `bktec.toml` resolve against the file's directory.
    Path,
    /// A boolean (`true`/`false`, and Go's spellings from the environment).
    Bool,
    /// A decimal integer (D5).
    Int,
    /// A Go-style duration such as `90s` or `2h`.
    Duration,
    /// `key=value` pairs (a comma-separated string, or an array in `bktec.toml`).
    KeyValues,
}

/// The values a numeric setting accepts (D27: every number has a range).
/// `resolve` checks every value against its setting's range, whatever layer
/// it came from, so that no later stage sees a nonsense number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Not a number: text, a boolean or `key=value` pairs.
    NotNumeric,
    /// An integer from `min` to `max`, both included.
    Count {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// `0` (off) or an integer from 1 to `max`.
    CountOrOff {
        /// The largest value.
        max: i64,
    },
    /// A positive duration from `min` to `max`, both included.
    Duration {
        /// The shortest value; above zero.
        min: GoDuration,
        /// The longest value.
        max: GoDuration,
    },
    /// Zero, which means `zero`, or a positive duration up to `max`.
    DurationOrZero {
        /// The longest value.
        max: GoDuration,
        /// What zero means, as it reads after "or 0" (`to kill at once`).
        zero: &'static str,
    },
}

/// The longest duration a setting accepts: no wait, timeout or lifetime of a
/// CI job needs more than a day (D27).
const A_DAY: GoDuration = GoDuration::from_secs(24 * 3600);

/// The largest parallelism (behaviour document 2.4).
pub const MAX_PARALLELISM: i64 = 1000;

/// The smallest positive duration.
const A_NANOSECOND: GoDuration = GoDuration::from_nanos(1);

/// Where a setting may be written by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A `bktec.toml` key, an environment variable and a flag.
    Everywhere,
    /// Buildkite job context (D2): environment and flags only.
    JobContext,
    /// A secret (D3): environment and flags only, never a file.
    Secret,
}

/// Which commands accept a setting's flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `run`, `plan`, `list` and `config`.
    All,
    /// `run` (and `list`/`config`, which describe a run) but not `plan`.
    RunOnly,
    /// `plan` (and `config`) only.
    PlanOnly,
}

/// The commands that take setting flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `bktec run` (and bare `bktec`).
    Run,
    /// `bktec plan`.
    Plan,
    /// `bktec list`.
    List,
    /// `bktec config`.
    Config,
}

impl CommandKind {
    /// The command's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Run => "run",
            CommandKind::Plan => "plan",
            CommandKind::List => "list",
            CommandKind::Config => "config",
        }
    }
}

/// The help heading a flag is listed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Buildkite job context.
    Build,
    /// Test Engine API and uploads.
    TestEngine,
    /// The test runner and its commands.
    Runner,
    /// Test discovery.
    Files,
    /// Retries of failed tests.
    Retry,
    /// Output.
    Output,
}

impl Group {
    /// The help heading.
    pub fn heading(self) -> &'static str {
        match self {
            Group::Build => "Build environment",
            Group::TestEngine => "Test Engine",
            Group::Runner => "Test runner",
            Group::Files => "Test files",
            Group::Retry => "Retries",
            Group::Output => "Output",
        }
    }
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The key path, dotted (`runner.test-command`). For file settings this is the `bktec.toml` key.
    pub key: &'static str,
    /// Environment variables, highest priority first. The first is the primary one.
    pub env: &'static [&'static str],
    /// The long flag without dashes, if any.
    pub flag: Option<&'static str>,
    /// The value type.
    pub kind: SettingKind,
    /// The built-in default as TOML-style text, if any (`"1"`, `"true"`, `"2h"`).
    pub default: Option<&'static str>,
    /// Where the setting may be written.
    pub placement: Placement,
    /// Which commands accept the flag.
    pub scope: Scope,
    /// The help heading.
    pub group: Group,
    /// Hidden from `--help` (as in the Go client).
    pub hidden: bool,
    /// The values a number accepts (D27); [`Range::NotNumeric`] for the rest.
    pub range: Range,
    /// One or two sentences of documentation.
    pub doc: &'static str,
}

impl Setting {
    /// The primary environment variable, if any.
    pub fn primary_env(&self) -> Option<&'static str> {
        self.env.first().copied()
    }

    /// The flag with its dashes, if any.
    pub fn flag_text(&self) -> Option<String> {
        self.flag.map(|f| format!("--{f}"))
    }

    /// Whether the setting may be written in `bktec.toml`.
    pub fn in_file(&self) -> bool {
        self.placement == Placement::Everywhere
    }

    /// Whether the value is a secret that must never be printed.
    pub fn is_secret(&self) -> bool {
        self.placement == Placement::Secret
    }

    /// Whether `command` accepts this setting's flag.
    pub fn accepted_by(&self, command: CommandKind) -> bool {
        match (self.scope, command) {
            (Scope::All, _) | (_, CommandKind::Config) => true,
            (Scope::RunOnly, CommandKind::Run | CommandKind::List) => true,
            (Scope::RunOnly, CommandKind::Plan) => false,
            (Scope::PlanOnly, CommandKind::Plan) => true,
            (Scope::PlanOnly, CommandKind::Run | CommandKind::List) => false,
        }
    }

    /// The key path split into its parts.
    pub fn path(&self) -> impl Iterator<Item = &'static str> {
        self.key.split('.')
    }

    /// The name a validation message uses for the setting: its primary
    /// environment variable, as the Go client does, or else its flag.
    pub fn field_name(&self) -> String {
        match (self.primary_env(), self.flag) {
            (Some(env), _) => env.to_string(),
            (None, Some(flag)) => format!("--{flag}"),
            (None, None) => self.key.to_string(),
        }
    }

    /// Every place the setting can be given, for "missing value" hints.
    pub fn places(&self) -> String {
        let mut places = Vec::new();
        if self.in_file() {
            places.push(format!("`{}` in bktec.toml", self.key));
        }
        places.extend(self.env.iter().map(|e| e.to_string()));
        if let Some(flag) = self.flag {
            places.push(format!("--{flag}"));
        }
        match places.len() {
            0 => String::new(),
            1 => places.remove(0),
            n => {
                let last = places.remove(n - 1);
                format!("{} or {last}", places.join(", "))
            }
        }
    }
}

macro_rules! setting {
    ($key:literal, [$($env:expr),*], $flag:expr, $kind:ident, $default:expr, $placement:ident,
     $scope:ident, $group:ident, hidden = $hidden:literal, $doc:literal) => {
        setting!($key, [$($env),*], $flag, $kind, $default, $placement, $scope, $group,
                 hidden = $hidden, range = Range::NotNumeric, $doc)
    };
    ($key:literal, [$($env:expr),*], $flag:expr, $kind:ident, $default:expr, $placement:ident,
     $scope:ident, $group:ident, hidden = $hidden:literal, range = $range:expr, $doc:literal) => {
        Setting {
            key: $key,
            env: &[$($env),*],
            flag: $flag,
            kind: SettingKind::$kind,
            default: $default,
            placement: Placement::$placement,
            scope: Scope::$scope,
            group: Group::$group,
            hidden: $hidden,
            range: $range,
            doc: $doc,
        }
    };
}

/// Every setting bktec knows, in documentation order.
pub static SETTINGS: &[Setting] = &[
    // Buildkite job context (D2): environment and flags only.
    setting!(
        "buildkite.organization-slug",
        [EnvVars::BUILDKITE_ORGANIZATION_SLUG],
        Some("organization-slug"),
        Text,
        None,
        JobContext,
        All,
        Build,
        hidden = true,
        "The Buildkite organization slug; used in Test Engine API paths."
    ),
    setting!(
        "buildkite.build-id",
        [EnvVars::BUILDKITE_BUILD_ID],
        Some("build-id"),
        Text,
        None,
        JobContext,
        All,
        Build,
        hidden = true,
        "The Buildkite build UUID; part of the default plan identifier."
    ),
    setting!(
        "buildkite.job-id",
        [EnvVars::BUILDKITE_JOB_ID],
        Some("job-id"),
        Text,
        None,
        JobContext,
        All,
        Build,
        hidden = true,
        "The Buildkite job UUID; reported to Test Engine."
    ),
    setting!(
        "buildkite.step-id",
        [EnvVars::BUILDKITE_STEP_ID],
        Some("step-id"),
        Text,
        None,
        JobContext,
        All,
        Build,
        hidden = true,
        "The Buildkite step UUID; part of the default plan identifier."
    ),
    setting!(
        "buildkite.branch",
        [EnvVars::BUILDKITE_BRANCH],
        Some("branch"),
        Text,
        None,
        JobContext,
        All,
        Build,
        hidden = true,
        "The branch being built; sent with plan requests."
    ),
    setting!(
        "buildkite.retry-count",
        [EnvVars::BUILDKITE_RETRY_COUNT],
        Some("retry-count"),
        Int,
        Some("0"),
        JobContext,
        All,
        Build,
        hidden = true,
        range = Range::Count {
            min: 0,
            max: u32::MAX as i64
        },
        "How many times Buildkite has retried this job (not a test retry count)."
    ),
    setting!(
        "buildkite.parallel-job",
        [EnvVars::BUILDKITE_PARALLEL_JOB],
        Some("parallel-job"),
        Int,
        Some("0"),
        JobContext,
        All,
        Build,
        hidden = true,
        range = Range::Count {
            min: 0,
            max: MAX_PARALLELISM - 1
        },
        "This job's 0-based index among the parallel jobs of the step."
    ),
    setting!(
        "buildkite.parallelism",
        [EnvVars::BUILDKITE_PARALLEL_JOB_COUNT],
        Some("parallelism"),
        Int,
        Some("1"),
        JobContext,
        All,
        Build,
        hidden = false,
        range = Range::Count {
            min: 1,
            max: MAX_PARALLELISM
        },
        "The number of parallel jobs the suite is split across."
    ),
    setting!(
        "buildkite.agent-command",
        [],
        Some("buildkite-agent-command"),
        Text,
        Some("buildkite-agent"),
        JobContext,
        All,
        Build,
        hidden = true,
        "The buildkite-agent executable used for OIDC tokens and promise-failure."
    ),
    // Test Engine.
    setting!(
        "test-engine.suite-slug",
        [EnvVars::BUILDKITE_TEST_ENGINE_SUITE_SLUG],
        Some("suite-slug"),
        Text,
        None,
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "The Test Engine suite slug. Without one, bktec plans locally and never calls the API."
    ),
    setting!(
        "test-engine.access-token",
        [EnvVars::BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN],
        Some("access-token"),
        Text,
        None,
        Secret,
        All,
        TestEngine,
        hidden = false,
        "The Test Engine API access token. Environment or flag only, never bktec.toml. Without one, an OIDC token is requested from the agent."
    ),
    setting!(
        "test-engine.upload-token",
        [EnvVars::BUILDKITE_ANALYTICS_TOKEN],
        Some("upload-token"),
        Text,
        None,
        Secret,
        RunOnly,
        TestEngine,
        hidden = true,
        "The suite's upload (analytics) token, passed to the test command. Environment or flag only."
    ),
    setting!(
        "test-engine.base-url",
        [EnvVars::BUILDKITE_TEST_ENGINE_BASE_URL],
        Some("base-url"),
        Text,
        Some("https://api.buildkite.com"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        "The Test Engine API base URL."
    ),
    setting!(
        "test-engine.upload-base-url",
        [EnvVars::BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL],
        Some("upload-base-url"),
        Text,
        Some("https://analytics-api.buildkite.com"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        "The base URL for built-in result uploads."
    ),
    setting!(
        "test-engine.plan-identifier",
        [EnvVars::BUILDKITE_TEST_ENGINE_PLAN_IDENTIFIER],
        Some("plan-identifier"),
        Text,
        None,
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "The plan cache key. Defaults to `<BUILDKITE_BUILD_ID>/<BUILDKITE_STEP_ID>`."
    ),
    setting!(
        "test-engine.oidc",
        [EnvVars::BUILDKITE_TEST_ENGINE_OIDC],
        Some("oidc"),
        Bool,
        Some("true"),
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "Request OIDC tokens from the Buildkite agent when no token is configured."
    ),
    setting!(
        "test-engine.oidc-lifetime",
        [EnvVars::BUILDKITE_TEST_ENGINE_OIDC_LIFETIME],
        Some("oidc-lifetime"),
        Duration,
        Some("2h"),
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        range = Range::Duration {
            min: GoDuration::from_secs(1),
            max: A_DAY
        },
        "The lifetime of requested OIDC tokens."
    ),
    setting!(
        "test-engine.split-by-example",
        [EnvVars::BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE],
        Some("split-by-example"),
        Bool,
        Some("false"),
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "Let Test Engine split slow files into individual tests."
    ),
    setting!(
        "test-engine.selector-splitting",
        [EnvVars::BUILDKITE_TEST_ENGINE_SELECTOR_SPLITTING],
        Some("selector-splitting"),
        Bool,
        Some("true"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        "Deprecated and ignored; accepted so that v2 pipelines keep working."
    ),
    setting!(
        "test-engine.location-prefix",
        [
            EnvVars::BUILDKITE_TEST_ENGINE_LOCATION_PREFIX,
            EnvVars::BUILDKITE_ANALYTICS_LOCATION_PREFIX
        ],
        Some("location-prefix"),
        Text,
        None,
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "A path prefix that the test collector adds to file locations."
    ),
    setting!(
        "test-engine.tag-filters",
        [EnvVars::BUILDKITE_TEST_ENGINE_TAG_FILTERS],
        Some("tag-filters"),
        Text,
        None,
        Everywhere,
        All,
        TestEngine,
        hidden = false,
        "Run only tests with this execution tag (`key:value`; pytest only)."
    ),
    setting!(
        "test-engine.upload-results",
        [EnvVars::BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS],
        Some("upload-results"),
        Bool,
        Some("false"),
        Everywhere,
        RunOnly,
        TestEngine,
        hidden = false,
        "Upload the result file to Test Engine after every attempt."
    ),
    setting!(
        "test-engine.upload-tags",
        [EnvVars::BUILDKITE_TEST_ENGINE_TAGS],
        Some("tag"),
        KeyValues,
        None,
        Everywhere,
        RunOnly,
        TestEngine,
        hidden = false,
        "`key=value` tags added to uploaded results (comma-separated; the flag repeats)."
    ),
    setting!(
        "test-engine.promise-failure",
        [EnvVars::BUILDKITE_TEST_ENGINE_PROMISE_FAILURE],
        Some("promise-failure"),
        Bool,
        Some("false"),
        Everywhere,
        RunOnly,
        TestEngine,
        hidden = false,
        "Tell the agent early that the job will fail when hard failures remain after retries."
    ),
    setting!(
        "test-engine.max-parallelism",
        [EnvVars::BUILDKITE_TEST_ENGINE_MAX_PARALLELISM],
        Some("max-parallelism"),
        Int,
        Some("0"),
        Everywhere,
        PlanOnly,
        TestEngine,
        hidden = false,
        range = Range::CountOrOff {
            max: MAX_PARALLELISM
        },
        "Let Test Engine choose a parallelism up to this value (0 = off)."
    ),
    setting!(
        "test-engine.target-time",
        [EnvVars::BUILDKITE_TEST_ENGINE_TARGET_TIME],
        Some("target-time"),
        Duration,
        Some("0s"),
        Everywhere,
        PlanOnly,
        TestEngine,
        hidden = false,
        range = Range::DurationOrZero {
            max: A_DAY,
            zero: "to turn it off"
        },
        "The build duration to aim for when choosing parallelism (needs max-parallelism)."
    ),
    setting!(
        "test-engine.api-attempt-timeout",
        [EnvVars::BUILDKITE_TEST_ENGINE_API_ATTEMPT_TIMEOUT],
        Some("api-attempt-timeout"),
        Duration,
        Some("15s"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        range = Range::Duration {
            min: A_NANOSECOND,
            max: A_DAY
        },
        "How long one Test Engine API request may take, its response included."
    ),
    setting!(
        "test-engine.api-retry-budget",
        [EnvVars::BUILDKITE_TEST_ENGINE_API_RETRY_BUDGET],
        Some("api-retry-budget"),
        Duration,
        Some("130s"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        range = Range::Duration {
            min: A_NANOSECOND,
            max: A_DAY
        },
        "How long bktec keeps retrying a failing Test Engine API request before falling back."
    ),
    setting!(
        "test-engine.api-retry-delay",
        [EnvVars::BUILDKITE_TEST_ENGINE_API_RETRY_DELAY],
        Some("api-retry-delay"),
        Duration,
        Some("3s"),
        Everywhere,
        All,
        TestEngine,
        hidden = true,
        range = Range::Duration {
            min: A_NANOSECOND,
            max: A_DAY
        },
        "The first delay between API retries; later delays grow from it."
    ),
    setting!(
        "test-engine.plan-file",
        [EnvVars::BUILDKITE_TEST_ENGINE_PLAN_FILE],
        Some("plan-file"),
        Path,
        None,
        Everywhere,
        RunOnly,
        TestEngine,
        hidden = false,
        "Run the split stored in this file (Test Engine plan JSON: tasks, muted_tests, skipped_tests) instead of planning."
    ),
    // Test runner.
    setting!(
        "runner.name",
        [EnvVars::BUILDKITE_TEST_ENGINE_TEST_RUNNER],
        Some("test-runner"),
        Text,
        None,
        Everywhere,
        All,
        Runner,
        hidden = false,
        "The test runner: rspec, jest, vitest, cypress, playwright, pytest, gotest, cucumber or custom."
    ),
    setting!(
        "runner.test-command",
        [EnvVars::BUILDKITE_TEST_ENGINE_TEST_CMD],
        Some("test-command"),
        Text,
        None,
        Everywhere,
        All,
        Runner,
        hidden = false,
        "The command template that runs the tests; `{{testExamples}}` and `{{resultPath}}` are substituted."
    ),
    setting!(
        "runner.retry-command",
        [EnvVars::BUILDKITE_TEST_ENGINE_RETRY_CMD],
        Some("retry-command"),
        Text,
        None,
        Everywhere,
        All,
        Runner,
        hidden = false,
        "The command template for retries. Defaults to the test command."
    ),
    setting!(
        "runner.result-path",
        [EnvVars::BUILDKITE_TEST_ENGINE_RESULT_PATH],
        Some("result-path"),
        Path,
        None,
        Everywhere,
        All,
        Runner,
        hidden = false,
        "Where the test command writes its results."
    ),
    setting!(
        "runner.fail-on-no-tests",
        [EnvVars::BUILDKITE_TEST_ENGINE_FAIL_ON_NO_TESTS],
        Some("fail-on-no-tests"),
        Bool,
        Some("false"),
        Everywhere,
        RunOnly,
        Runner,
        hidden = false,
        "Fail when no tests are assigned to this job."
    ),
    setting!(
        "runner.cancel-grace-period",
        [EnvVars::BUILDKITE_TEST_ENGINE_CANCEL_GRACE_PERIOD],
        Some("cancel-grace-period"),
        Duration,
        Some("10s"),
        Everywhere,
        RunOnly,
        Runner,
        hidden = false,
        range = Range::DurationOrZero {
            max: A_DAY,
            zero: "to kill at once"
        },
        "How long the test command gets to stop after bktec forwards SIGINT or SIGTERM, before it is killed."
    ),
    // Test files.
    setting!(
        "files.pattern",
        [EnvVars::BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN],
        Some("test-file-pattern"),
        Text,
        None,
        Everywhere,
        All,
        Files,
        hidden = false,
        "The zzglob pattern of test files. Defaults to the runner's pattern."
    ),
    setting!(
        "files.exclude-pattern",
        [EnvVars::BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN],
        Some("test-file-exclude-pattern"),
        Text,
        None,
        Everywhere,
        All,
        Files,
        hidden = false,
        "The zzglob pattern of files and directories to leave out."
    ),
    setting!(
        "files.list",
        [EnvVars::BUILDKITE_TEST_ENGINE_FILES],
        Some("files"),
        Path,
        None,
        Everywhere,
        All,
        Files,
        hidden = false,
        "A file listing the test files, one per line, instead of discovery."
    ),
    setting!(
        "files.selector-file",
        [EnvVars::BUILDKITE_TEST_ENGINE_SELECTOR_FILE],
        Some("selector-file"),
        Path,
        None,
        Everywhere,
        All,
        Files,
        hidden = false,
        "A file listing test selectors, one per line, instead of discovery."
    ),
    // Retries.
    setting!(
        "retry.count",
        [EnvVars::BUILDKITE_TEST_ENGINE_RETRY_COUNT],
        Some("test-engine-retry-count"),
        Int,
        Some("0"),
        Everywhere,
        All,
        Retry,
        hidden = false,
        range = Range::Count {
            min: 0,
            max: u32::MAX as i64
        },
        "How many times failed tests are retried (0 = no retries)."
    ),
    setting!(
        "retry.disable-for-muted",
        [EnvVars::BUILDKITE_TEST_ENGINE_DISABLE_RETRY_FOR_MUTED_TEST],
        Some("disable-retry-muted"),
        Bool,
        Some("false"),
        Everywhere,
        All,
        Retry,
        hidden = false,
        "Do not retry failed tests that Test Engine has muted (they are retried by default)."
    ),
    // Output.
    setting!(
        "debug",
        [EnvVars::BUILDKITE_TEST_ENGINE_DEBUG_ENABLED],
        Some("debug"),
        Bool,
        Some("false"),
        Everywhere,
        All,
        Output,
        hidden = false,
        "Print debug output."
    ),
];

/// The setting with key path `key`.
pub fn setting(key: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("setting `{key}` is in the registry"))
}

/// The setting whose key path is `path` (as figment reports it), if any.
pub fn by_path(path: &[String]) -> Option<&'static Setting> {
    let dotted = path.join(".");
    SETTINGS.iter().find(|s| s.key == dotted)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

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
            setting("retry.count").places(),
            "`retry.count` in bktec.toml, BUILDKITE_TEST_ENGINE_RETRY_COUNT or --test-engine-retry-count"
        );
    }
}
