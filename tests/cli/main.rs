//! bktec's integration tests: one binary (S16).
#![expect(
    unreachable_pub,
    reason = "test helpers are shared between modules of one binary"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "the harness passes its own PATH and HOME to bktec and reads BKTEC_BLESS"
)]

mod api;
mod api_extras;
mod architecture;
mod backfill;
mod cancel;
mod ci_report;
mod config_errors;
mod config_hardening;
mod config_precedence;
mod config_upward;
mod costs;
mod discovery;
mod durations;
mod fail_closed;
mod history_runners;
mod injection;
mod install;
mod junit_strict;
mod keyboard;
mod output_paths;
mod parallel;
mod plan_files;
mod preview_selection;
mod pytest_discovery;
mod pytest_holes;
mod reaping;
mod run;
mod runner_common;
mod runner_cucumber;
mod runner_custom;
mod runner_cypress;
mod runner_gotest;
mod runner_jest;
mod runner_playwright;
mod runner_rspec;
mod runner_vitest;
mod schema;
mod signals;
mod support;
mod witness;
