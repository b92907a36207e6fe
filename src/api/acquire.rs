//! Getting a plan from Test Engine, or falling back to the local plan
//! (behaviour document 4.2, 4.5; D17, D21).

use super::client::{ApiClient, ApiError, CreatePlanRequest};
use crate::plan::TestPlan;

/// Where this run's plan came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PlanSource {
    /// Test Engine.
    Server(TestPlan),
    /// A local plan, because the API could not give one.
    Fallback {
        /// Why.
        reason: FallbackReason,
    },
}

/// Why bktec fell back to local planning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FallbackReason {
    /// The retry budget ran out.
    Timeout(String),
    /// No connection could be made (issue 21, item 3).
    Unreachable(String),
    /// A billing error.
    Billing(String),
    /// The API is disabled for the organization (422).
    Unavailable(String),
    /// Organization or suite not found (404).
    NotFound(String),
    /// The server answered with a plan without tasks.
    ErrorPlan,
}

impl FallbackReason {
    /// The fallback for a recoverable error, or the error back when it is fatal.
    pub(crate) fn from_error(err: ApiError) -> Result<FallbackReason, ApiError> {
        match err {
            ApiError::Timeout { last } => Ok(FallbackReason::Timeout(last)),
            ApiError::Unreachable { last } => Ok(FallbackReason::Unreachable(last)),
            ApiError::Billing(message) => Ok(FallbackReason::Billing(message)),
            ApiError::Unprocessable(message) => Ok(FallbackReason::Unavailable(message)),
            ApiError::NotFound(message) => Ok(FallbackReason::NotFound(message)),
            ApiError::Auth(_)
            | ApiError::Forbidden(_)
            | ApiError::BadRequest(_)
            | ApiError::Status(_)
            | ApiError::Decode(_)
            | ApiError::Client(_)
            | ApiError::Encode(_)
            | ApiError::Prefix(_)
            | ApiError::Examples(_) => Err(err),
        }
    }
}

/// Whether a cached plan is looked up before one is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanLookup<'a> {
    /// `run` (4.5): the cached plan of `identifier` first.
    CachedFirst {
        /// The plan identifier.
        identifier: &'a str,
        /// BUILDKITE_RETRY_COUNT, sent with the lookup.
        job_retry_count: i64,
        /// How many jobs read the plan: the build's job count.
        jobs: u32,
    },
    /// `plan` (11.1): always create.
    CreateOnly,
}

/// A plan from Test Engine, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Acquired {
    /// The plan, or the reason to fall back.
    pub source: PlanSource,
    /// The body of a create-plan answer, as the server sent it.
    pub raw: Option<Vec<u8>>,
}

/// The one flow that gets a plan from Test Engine, for `run` and `plan`:
/// look up the cached plan when `lookup` says so, else build a request with
/// `build_request` (only then, since building it may collect examples) and
/// create the plan. An error plan or a recoverable error is a fallback with
/// its reason (4.2, 4.4); a fatal error is returned.
pub(crate) async fn acquire_plan(
    client: &mut ApiClient,
    lookup: PlanLookup<'_>,
    build_request: impl AsyncFnOnce(&mut ApiClient) -> Result<CreatePlanRequest, ApiError>,
) -> Result<Acquired, ApiError> {
    let fallback = |err: ApiError| {
        FallbackReason::from_error(err).map(|reason| Acquired {
            source: PlanSource::Fallback { reason },
            raw: None,
        })
    };
    // The jobs that read the plan: the build's for `run`, the plan's own
    // for `plan` (its parallelism is what the pipeline starts).
    let jobs = |plan: &TestPlan| match lookup {
        PlanLookup::CachedFirst { jobs, .. } => jobs,
        PlanLookup::CreateOnly => plan.parallelism,
    };
    if let PlanLookup::CachedFirst {
        identifier,
        job_retry_count,
        jobs: _,
    } = lookup
    {
        match client.cached_plan(identifier, job_retry_count).await {
            Ok(Some(plan)) => {
                let jobs = jobs(&plan);
                return Ok(Acquired {
                    source: server_or_error_plan(plan, jobs),
                    raw: None,
                });
            }
            Ok(None) => {}
            Err(err) => return fallback(err),
        }
    }
    let request = match build_request(client).await {
        Ok(request) => request,
        Err(err) => return fallback(err),
    };
    match client.create_plan(&request).await {
        Ok((plan, raw)) => {
            let jobs = jobs(&plan);
            Ok(Acquired {
                source: server_or_error_plan(plan, jobs),
                raw: Some(raw),
            })
        }
        Err(err) => fallback(err),
    }
}

/// The error-plan convention (4.4), widened by D26: a plan that runs
/// nothing on any of its `jobs` (no tasks, only empty ones, or tests only
/// in tasks no job reads), or that holds tests no job reads, means the
/// server could not build a usable one. Every command reads it so: `run`
/// falls back instead of passing jobs with tests dropped, and `plan` never
/// hands it on.
pub(crate) fn server_or_error_plan(plan: TestPlan, jobs: u32) -> PlanSource {
    if !plan.reaches_every_test(jobs) {
        PlanSource::Fallback {
            reason: FallbackReason::ErrorPlan,
        }
    } else {
        PlanSource::Server(plan)
    }
}
