//! The Test Engine API client (behaviour document 3.4, 4.1-4.4; D21): one
//! reqwest client with rustls, the retry engine, and the plan endpoints.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::chain::ErrorChain;
use crate::plan::{TestPlan, TrimError};
use crate::secret::Secret;

/// How API requests are retried (4.1). The defaults are the spec's; tests
/// shrink them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryConfig {
    /// The timeout of one attempt, body included.
    pub attempt_timeout: Duration,
    /// The total budget, checked between attempts.
    pub budget: Duration,
    /// The first delay; later delays grow as `base * 3000^(k/16)`, plus up to
    /// a third of `base` of jitter.
    pub base_delay: Duration,
}

/// How many connections in a row may fail before the server counts as
/// unreachable (issue 21, item 3).
const CONNECT_TRIES: u32 = 3;

/// The longest wait after a failed connection.
const CONNECT_DELAY: Duration = Duration::from_secs(1);

impl Default for RetryConfig {
    fn default() -> RetryConfig {
        RetryConfig {
            attempt_timeout: Duration::from_secs(15),
            budget: Duration::from_secs(130),
            base_delay: Duration::from_secs(3),
        }
    }
}

/// What went wrong with an API call (4.2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The retry budget ran out.
    #[error("request retry timeout: {last}")]
    Timeout {
        /// The last failure.
        last: String,
    },
    /// No connection could be made, a few times in a row: refused, a name
    /// that does not resolve, a TLS handshake that fails (issue 21, item 3).
    #[error("Test Engine is unreachable: {last}")]
    Unreachable {
        /// The last failure.
        last: String,
    },
    /// 401.
    #[error("{0}")]
    Auth(String),
    /// 403 with a `Billing Error` message.
    #[error("{0}")]
    Billing(String),
    /// Any other 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 422: the API is disabled for the organization.
    #[error("{0}")]
    Unprocessable(String),
    /// Any other status.
    #[error("{0}")]
    Status(String),
    /// A body that is not what the endpoint returns.
    #[error("parsing response: {0}")]
    Decode(String),
    /// The HTTP client could not be set up.
    #[error("failed to set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The request body could not be encoded.
    #[error(transparent)]
    Encode(serde_json::Error),
    /// A path from the API does not start with the location prefix (5.6).
    #[error(transparent)]
    Prefix(#[from] TrimError),
    /// The examples of the files to split could not be collected (6.3):
    /// the runner's own error, which the API layer does not know.
    #[error("get examples")]
    Examples(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// What the user can do about a fatal error, when the answer names
    /// the token (issue 21, item 11).
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            ApiError::Auth(_) => Some(
                "check BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN, or the OIDC token from buildkite-agent: Test Engine refused it as a credential",
            ),
            ApiError::Forbidden(_) => Some(
                "check the scopes of BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN: planning needs read_suites and write_suites, and the suite must belong to BUILDKITE_ORGANIZATION_SLUG",
            ),
            _ => None,
        }
    }

    /// The heading of this error when it is fatal (4.2): `❌ <heading>: <error>`.
    pub(crate) fn fatal_heading(&self) -> &'static str {
        match self {
            ApiError::Auth(_) => "Authentication Failed",
            ApiError::Forbidden(_) => "Access Denied",
            ApiError::BadRequest(_) => "Invalid Request",
            ApiError::Timeout { .. }
            | ApiError::Unreachable { .. }
            | ApiError::Billing(_)
            | ApiError::NotFound(_)
            | ApiError::Unprocessable(_)
            | ApiError::Status(_)
            | ApiError::Decode(_)
            | ApiError::Client(_)
            | ApiError::Encode(_)
            | ApiError::Prefix(_)
            | ApiError::Examples(_) => "Unexpected error",
        }
    }
}

/// A Test Engine API client for one suite.
pub(crate) struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    organization: String,
    suite: String,
    token: Secret,
    retrier: Retrier,
}

/// A create-plan request (4.3 C).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct CreatePlanRequest {
    /// The runner name.
    pub runner: String,
    /// The plan identifier.
    pub identifier: String,
    /// The parallelism.
    pub parallelism: u32,
    /// Omitted when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub max_parallelism: i64,
    /// Seconds; omitted when 0.
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub target_time: f64,
    /// The branch (may be empty).
    pub branch: String,
    /// The configured location prefix; omitted when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location_prefix: String,
    /// The tests.
    pub tests: TestsPayload,
    /// The test selection preview's strategy (D40); omitted without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<SelectionRequest>,
    /// The test selection preview's metadata (D40); omitted when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The `selection` object of a create-plan request (D40).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct SelectionRequest {
    /// The strategy, as given.
    pub strategy: String,
    /// Its parameters; omitted when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// The `tests` object of a create-plan request.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct TestsPayload {
    /// Individual tests of files Test Engine asked to split.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
    /// Targets sent whole.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<Selector>,
}

/// One test of a split file (4.3 C).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Example {
    /// The node id, with the location prefix.
    pub path: String,
    /// Always `example`.
    pub format: &'static str,
    /// The node id.
    pub identifier: String,
    /// The last node-id part.
    pub name: String,
    /// The node id without its last part.
    pub scope: String,
}

/// The `env` object of filter_tests and metadata requests (10.5): raw
/// configuration values, empty when defaults are in use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct EnvPayload {
    #[serde(rename = "BUILDKITE_BUILD_ID")]
    pub build_id: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_DEBUG_ENABLED")]
    pub debug: bool,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_IDENTIFIER")]
    pub identifier: String,
    #[serde(rename = "BUILDKITE_JOB_ID")]
    pub job_id: String,
    #[serde(rename = "BUILDKITE_RETRY_COUNT")]
    pub job_retry_count: i64,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_RETRY_COUNT")]
    pub max_retries: u32,
    #[serde(rename = "BUILDKITE_PARALLEL_JOB")]
    pub node_index: u32,
    #[serde(rename = "BUILDKITE_ORGANIZATION_SLUG")]
    pub organization_slug: String,
    #[serde(rename = "BUILDKITE_PARALLEL_JOB_COUNT")]
    pub parallelism: u32,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_RETRY_CMD")]
    pub retry_command: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_SPLIT_BY_EXAMPLE")]
    pub split_by_example: bool,
    #[serde(rename = "BUILDKITE_STEP_ID")]
    pub step_id: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_SUITE_SLUG")]
    pub suite_slug: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_TAG_FILTERS")]
    pub tag_filters: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_TEST_CMD")]
    pub test_command: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_TEST_FILE_EXCLUDE_PATTERN")]
    pub exclude_pattern: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN")]
    pub include_pattern: String,
    #[serde(rename = "BUILDKITE_TEST_ENGINE_TEST_RUNNER")]
    pub runner: String,
}

/// A filter_tests request (4.3 B).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct FilterTestsRequest {
    /// Every target, with the location prefix.
    pub files: Vec<FilePath>,
    /// The configuration.
    pub env: EnvPayload,
    /// Omitted when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub max_parallelism: i64,
    /// Seconds; omitted when 0.
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub target_time: f64,
}

/// `{"path": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct FilePath {
    /// The path.
    pub path: String,
}

#[derive(Default, serde::Deserialize)]
struct FilterTestsResponse {
    #[serde(default)]
    tests: Vec<FilePath>,
}

/// One timeline event (10.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct TimelineEvent {
    /// RFC 3339 with nanoseconds.
    pub timestamp: String,
    /// `test_start`, `test_end`, `retry_<k>_start`, `retry_<k>_end`.
    pub event: String,
}

/// A plan metadata request (4.3 D).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct MetadataRequest {
    /// bktec's version.
    pub version: String,
    /// The configuration.
    pub env: EnvPayload,
    /// The attempts' events, or null when no attempt ran.
    pub timeline: Option<Vec<TimelineEvent>>,
    /// The run's statistics.
    pub statistics: crate::results::Statistics,
}

/// One selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Selector {
    /// The target.
    pub value: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

/// A raw response: status and body.
pub(crate) struct Response {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct MessageBody {
    message: String,
}

impl ApiClient {
    /// A client for `organization`/`suite` at `base_url`. `notify` receives
    /// the per-attempt failures and retries (4.1) and the debug notices.
    pub(crate) fn new(
        base_url: &str,
        organization: &str,
        suite: &str,
        token: Secret,
        retry: RetryConfig,
        notify: Notify,
    ) -> Result<ApiClient, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(retry.attempt_timeout)
            .build()
            .map_err(ApiError::Client)?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            organization: organization.to_string(),
            suite: suite.to_string(),
            token,
            retrier: Retrier {
                config: retry,
                notify,
            },
        })
    }

    pub(super) fn suite_url(&self, rest: &str) -> String {
        format!(
            "{}/v2/analytics/organizations/{}/suites/{}{rest}",
            self.base_url,
            encode(&self.organization),
            encode(&self.suite)
        )
    }

    /// The cached plan for `identifier` (4.3 A): `Ok(None)` on a 404 whose body
    /// is a JSON message (a cache miss).
    pub(crate) async fn cached_plan(
        &mut self,
        identifier: &str,
        job_retry_count: i64,
    ) -> Result<Option<TestPlan>, ApiError> {
        let url = self.suite_url(&format!(
            "/test_plan?identifier={}&job_retry_count={}",
            encode(identifier),
            job_retry_count
        ));
        let response = self.send(Method::GET, &url, None).await?;
        if response.status == StatusCode::NOT_FOUND {
            serde_json::from_slice::<MessageBody>(&response.body)
                .map_err(|e| ApiError::Decode(e.to_string()))?;
            return Ok(None);
        }
        decode(response).map(Some)
    }

    /// Creates a plan (4.3 C). 409 is retried: another node may be creating
    /// the same plan.
    pub(crate) async fn create_plan(
        &mut self,
        request: &CreatePlanRequest,
    ) -> Result<(TestPlan, Vec<u8>), ApiError> {
        let url = self.suite_url("/test_plan");
        let body = serde_json::to_vec(request).map_err(ApiError::Encode)?;
        let response = self.send(Method::POST, &url, Some(body)).await?;
        let raw = response.body.clone();
        Ok((decode(response)?, raw))
    }

    /// Which of `request.files` Test Engine wants split into examples, or
    /// has tests to skip in (4.3 B).
    pub(crate) async fn filter_tests(
        &mut self,
        request: &FilterTestsRequest,
    ) -> Result<Vec<String>, ApiError> {
        let url = self.suite_url("/test_plan/filter_tests");
        let body = serde_json::to_vec(request).map_err(ApiError::Encode)?;
        let response = self.send(Method::POST, &url, Some(body)).await;
        let response: FilterTestsResponse = response.and_then(decode).map_err(|err| match err {
            ApiError::Decode(m) => ApiError::Decode(format!("filter tests: {m}")),
            ApiError::Status(m) => ApiError::Status(format!("filter tests: {m}")),
            other => other,
        })?;
        Ok(response.tests.into_iter().map(|t| t.path).collect())
    }

    /// Posts the run's metadata (4.3 D). The response body is ignored.
    pub(crate) async fn post_metadata(
        &mut self,
        request: &MetadataRequest,
    ) -> Result<(), ApiError> {
        let url = self.suite_url("/test_plan_metadata");
        let body = serde_json::to_vec(request).map_err(ApiError::Encode)?;
        let response = self.send(Method::POST, &url, Some(body)).await?;
        if response.status == StatusCode::OK {
            return Ok(());
        }
        decode::<serde_json::Value>(response).map(|_| ())
    }

    /// Sends a JSON API request with the retry engine of 4.1; any response
    /// that is not retried is returned for classification.
    pub(super) async fn send(
        &mut self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Response, ApiError> {
        self.send_with(method, url, body, HeaderMap::new()).await
    }

    /// [`ApiClient::send`] with `extra` headers, which win over its own.
    pub(super) async fn send_with(
        &mut self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        extra: HeaderMap,
    ) -> Result<Response, ApiError> {
        let mut headers = HeaderMap::new();
        if let Ok(value) = format!("Bearer {}", self.token.expose()).parse() {
            headers.insert(AUTHORIZATION, value);
        }
        headers.insert(
            USER_AGENT,
            user_agent().parse().expect("the user agent is ASCII"),
        );
        headers.insert(
            CONTENT_TYPE,
            "application/json".parse().expect("a valid header"),
        );
        headers.extend(extra);
        let http = self.http.clone();
        let build = || {
            let request = http.request(method.clone(), url).headers(headers.clone());
            match &body {
                Some(body) => request.body(body.clone()),
                None => request,
            }
        };
        self.retrier.send(&method, url, build).await
    }
}

/// What the retry engine says while it works; `report/` words it.
#[derive(Clone, Debug)]
pub(crate) enum ApiNotice<'a> {
    /// A request is sent (a debug line).
    Sending {
        /// The method.
        method: &'a Method,
        /// The URL.
        url: &'a str,
    },
    /// A response came (a debug line).
    Response {
        /// Its status code.
        status: u16,
    },
    /// An attempt failed, for this reason.
    Failed {
        /// Why.
        reason: &'a str,
    },
    /// The request is sent again.
    Retrying {
        /// Which attempt this is, from 1.
        attempt: u32,
    },
}

/// Where the retry engine's notices go.
pub(crate) type Notify = Box<dyn FnMut(ApiNotice<'_>)>;

/// The retry engine of 4.1, shared by API calls and uploads.
pub(crate) struct Retrier {
    /// Budgets and delays.
    pub config: RetryConfig,
    /// Where per-attempt failures, retries and debug notices go.
    pub notify: Notify,
}

impl Retrier {
    /// Sends the request `build` makes, again after transport errors, 409,
    /// 429 and 5xx, until the budget runs out.
    pub(crate) async fn send(
        &mut self,
        method: &Method,
        url: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Response, ApiError> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut unconnected: u32 = 0;
        loop {
            if attempt > 0 {
                (self.notify)(ApiNotice::Retrying {
                    attempt: attempt + 1,
                });
            }
            (self.notify)(ApiNotice::Sending { method, url });
            let (reason, reset) = match tokio::time::timeout(
                self.config.attempt_timeout,
                attempt_once(build()),
            )
            .await
            {
                Ok(Ok((response, reset))) => {
                    let status = response.status;
                    (self.notify)(ApiNotice::Response {
                        status: status.as_u16(),
                    });
                    let retried = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::CONFLICT
                        || status.is_server_error();
                    if !retried {
                        return Ok(response);
                    }
                    (format!("response code: {}", status.as_u16()), reset)
                }
                Ok(Err(err)) if err.is_connect() => {
                    // A server that cannot be reached will not be reached
                    // by waiting minutes: a few quick tries, then fall back.
                    let reason = format!("{:#}", ErrorChain(&err));
                    (self.notify)(ApiNotice::Failed { reason: &reason });
                    unconnected += 1;
                    if unconnected >= CONNECT_TRIES {
                        return Err(ApiError::Unreachable { last: reason });
                    }
                    tokio::time::sleep(self.delay(attempt).min(CONNECT_DELAY)).await;
                    attempt += 1;
                    continue;
                }
                Ok(Err(err)) => (format!("{:#}", ErrorChain(&err)), None),
                Err(_) => (
                    format!("request timed out after {:?}", self.config.attempt_timeout),
                    None,
                ),
            };
            (self.notify)(ApiNotice::Failed { reason: &reason });
            let delay = reset.unwrap_or_else(|| self.delay(attempt));
            if started.elapsed() + delay > self.config.budget {
                return Err(ApiError::Timeout { last: reason });
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// The delay after failed attempt `k` (0-based): `base * 3000^(k/16)` plus
    /// jitter in `[0, base/3)`.
    fn delay(&self, k: u32) -> Duration {
        let growth = 3000f64.powf(f64::from(k) / 16.0);
        let base = self.config.base_delay.as_secs_f64();
        let jitter = (base / 3.0) * fastrand::f64();
        Duration::from_secs_f64(base * growth + jitter)
    }
}

/// One attempt: the response and, for a 429, its `RateLimit-Reset` delay.
async fn attempt_once(
    request: reqwest::RequestBuilder,
) -> Result<(Response, Option<Duration>), reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let reset = (status == StatusCode::TOO_MANY_REQUESTS)
        .then(|| {
            response
                .headers()
                .get("RateLimit-Reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
        })
        .flatten();
    let body = response.bytes().await?.to_vec();
    Ok((Response { status, body }, reset))
}

/// Classifies a non-retried response (4.2): only 200 is success.
pub(super) fn decode<T: DeserializeOwned + Default>(response: Response) -> Result<T, ApiError> {
    if response.status == StatusCode::OK {
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        return serde_json::from_slice(&response.body).map_err(|e| ApiError::Decode(e.to_string()));
    }
    let message = serde_json::from_slice::<MessageBody>(&response.body)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .message;
    Err(match response.status.as_u16() {
        401 => ApiError::Auth(message),
        403 if message.starts_with("Billing Error") => ApiError::Billing(message),
        403 => ApiError::Forbidden(message),
        404 => ApiError::NotFound(message),
        400 => ApiError::BadRequest(message),
        422 => ApiError::Unprocessable(message),
        _ => ApiError::Status(message),
    })
}

/// `Buildkite Test Engine Client/<version> (<os>/<arch>)`, in Go's names.
pub(crate) fn user_agent() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!(
        "Buildkite Test Engine Client/{} ({os}/{arch})",
        crate::VERSION
    )
}

/// What stays as it is in a path segment or a query value: RFC 3986's
/// unreserved characters. Every other byte, UTF-8 included, becomes `%XX`
/// (D21).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but unreserved characters (D21).
pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn encodes_path_segments_and_query_values() {
        assert_eq!(encode("build/step"), "build%2Fstep");
        assert_eq!(encode("a b&c#d"), "a%20b%26c%23d");
        assert_eq!(encode("web-1.x_y~"), "web-1.x_y~");
        assert_eq!(encode("50%?ü+:@"), "50%25%3F%C3%BC%2B%3A%40");
    }

    #[test]
    fn classification() {
        let r = |status: u16, body: &str| Response {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
        };
        let plan: Result<TestPlan, _> = decode(r(200, ""));
        assert_eq!(plan.unwrap(), TestPlan::default());
        let err = |status, body| decode::<TestPlan>(r(status, body)).unwrap_err();
        assert!(
            matches!(err(401, r#"{"message":"bad token"}"#), ApiError::Auth(m) if m == "bad token")
        );
        assert!(
            matches!(err(403, r#"{"message":"Billing Error: pay"}"#), ApiError::Billing(m) if m == "Billing Error: pay")
        );
        assert!(matches!(err(403, r#"{"message":"no"}"#), ApiError::Forbidden(m) if m == "no"));
        assert!(matches!(err(404, r#"{"message":"gone"}"#), ApiError::NotFound(m) if m == "gone"));
        assert!(matches!(err(400, r#"{"message":"bad"}"#), ApiError::BadRequest(m) if m == "bad"));
        assert!(
            matches!(err(422, r#"{"message":"off"}"#), ApiError::Unprocessable(m) if m == "off")
        );
        assert!(matches!(err(201, r#"{"message":"odd"}"#), ApiError::Status(m) if m == "odd"));
        assert!(matches!(err(500, "<html>"), ApiError::Decode(_)));
        assert!(matches!(err(200, "{not json"), ApiError::Decode(_)));
    }

    #[test]
    fn delays_grow_as_documented() {
        let client = Retrier {
            config: RetryConfig::default(),
            notify: Box::new(|_| {}),
        };
        let want: [u32; 7] = [3000, 4948, 8161, 13461, 22202, 36620, 60401];
        for (k, ms) in want.iter().enumerate() {
            let d = client.delay(u32::try_from(k).unwrap()).as_millis();
            let ms = u128::from(*ms);
            assert!(
                d >= ms - 1 && d < ms + 1000,
                "delay {k}: {d} ms, want {ms} ms plus jitter"
            );
        }
    }

    #[test]
    fn jitter_spreads_retries_within_a_third_of_the_base_delay() {
        let client = Retrier {
            config: RetryConfig::default(),
            notify: Box::new(|_| {}),
        };
        let delays: BTreeSet<u128> = (0..50).map(|_| client.delay(0).as_micros()).collect();
        assert!(delays.len() > 40, "jitter should differ: {delays:?}");
        let (lowest, highest) = (delays.first().unwrap(), delays.last().unwrap());
        assert!(*lowest >= 3_000_000 && *highest < 4_000_000, "{delays:?}");
    }

    #[test]
    fn user_agent_uses_go_names() {
        let ua = user_agent();
        assert!(ua.starts_with("Buildkite Test Engine Client/v"), "{ua}");
        assert!(!ua.contains("x86_64") && !ua.contains("macos"), "{ua}");
    }
}
