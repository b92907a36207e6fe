//! bktec, the Buildkite Test Engine Client: runs one parallel CI job's share
//! of a test suite.

pub mod agent;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod execute;
pub mod exit_code;
pub mod glob;
pub mod plan;
pub mod process;
pub mod report;
pub mod results;
pub mod runner;
pub mod secret;
pub mod shell;
pub mod upload;

/// bktec's version as it prints it (`v0.1.0`).
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
