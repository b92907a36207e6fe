//! Jest (behaviour document 5.2): discovery and planning work; `run`
//! does not support it yet.

use super::framework::{Framework, Targets};
use crate::results::Mapping;

/// What bktec knows about Jest.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "jest",
    display_name: "Jest",
    default_pattern: Some("**/{__tests__/**/*,*.spec,*.test}.{ts,js,tsx,jsx}"),
    default_command: None,
    requires_result_path: true,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::Walk,
    mapping: Mapping::Pytest,
    collects_with_pytest: false,
    build: None,
};
