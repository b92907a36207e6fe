//! Playwright (behaviour document 5.2): discovery and planning work; `run`
//! does not support it yet.

use super::framework::{Framework, Targets};
use crate::results::Mapping;

/// What bktec knows about Playwright.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "playwright",
    display_name: "Playwright",
    default_pattern: Some("**/{*.spec,*.test}.{ts,js}"),
    default_command: None,
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::Walk,
    mapping: Mapping::Pytest,
    collects_with_pytest: false,
    build: None,
};
