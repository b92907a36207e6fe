//! bktec, the Buildkite Test Engine Client: runs one parallel CI job's share
//! of a test suite.
//!
//! The library exists for the binary, the integration tests and the
//! benchmarks (S1). Only the paths they use are public; everything else is
//! `pub(crate)`, so the `unreachable_pub` lint reports any `pub` that nothing
//! outside the crate can reach.

mod agent;
mod api;
pub mod app;
mod backfill;
mod chain;
pub mod cli;
pub mod config;
pub mod discover;
mod events;
mod execute;
mod exit_code;
mod git;
pub mod glob;
mod input;
pub mod plan;
mod process;
mod quote;
mod report;
pub mod results;
mod runner;
mod secret;

mod upload;

/// bktec's version as it prints it (`v0.1.0`).
pub(crate) const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
