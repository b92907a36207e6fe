//! The Test Engine API (behaviour document 3.4, 4; D21): the client and its
//! retry engine, which plans, uploads and metadata all use, and the one flow
//! that gets a plan or the reason to fall back.

mod acquire;
mod client;

pub use acquire::{
    Acquired, FallbackReason, PlanLookup, PlanSource, acquire_plan, server_or_error_plan,
};
pub use client::{
    ApiClient, ApiError, CreatePlanRequest, EnvPayload, Example, FilePath, FilterTestsRequest,
    MetadataRequest, Response, Retrier, RetryConfig, Selector, TestsPayload, TimelineEvent, encode,
    user_agent,
};
