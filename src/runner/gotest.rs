//! gotest (behaviour document 5.2): discovery and planning work; `run`
//! does not support it yet.

use super::framework::{Framework, Targets};
use crate::results::Mapping;

/// What bktec knows about gotest.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "gotest",
    display_name: "gotest",
    default_pattern: None,
    default_command: None,
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::GoPackages,
    mapping: Mapping::Pytest,
    collects_with_pytest: false,
    build: None,
};
