//! Cucumber (behaviour document 5.2): discovery and planning work; `run`
//! does not support it yet.

use super::framework::{Framework, Targets};
use crate::results::Mapping;

/// What bktec knows about Cucumber.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "cucumber",
    display_name: "Cucumber",
    default_pattern: Some("features/**/*.feature"),
    default_command: None,
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::Walk,
    mapping: Mapping::Pytest,
    collects_with_pytest: false,
    build: None,
};
