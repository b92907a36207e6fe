//! Cypress (behaviour document 5.2): discovery and planning work; `run`
//! does not support it yet.

use super::framework::{Framework, Targets};
use crate::results::Mapping;

/// What bktec knows about Cypress.
pub(super) const FRAMEWORK: Framework = Framework {
    name: "cypress",
    display_name: "Cypress",
    default_pattern: Some("**/*.cy.{js,jsx,ts,tsx}"),
    default_command: None,
    requires_result_path: false,
    skips_hidden_and_venv_dirs: false,
    targets: Targets::Walk,
    mapping: Mapping::Pytest,
    collects_with_pytest: false,
    build: None,
};
