//! The Test Engine API (behaviour document 3.4, 4; D21): the client and its
//! retry engine, which plans, uploads and metadata all use, and the one flow
//! that gets a plan or the reason to fall back.

mod acquire;
mod backfill;
mod client;

pub(crate) use acquire::{Acquired, FallbackReason, PlanLookup, PlanSource, acquire_plan};
pub(crate) use backfill::{PresignedUpload, UploadError, UploadForm, upload_archive};
pub(crate) use client::Notify;
pub(crate) use client::{
    ApiClient, ApiError, ApiNotice, CreatePlanRequest, EnvPayload, Example, FilePath,
    FilterTestsRequest, MetadataRequest, Retrier, RetryConfig, SelectionRequest, Selector,
    TestsPayload, TimelineEvent, user_agent,
};
