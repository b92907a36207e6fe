//! Cypress (behaviour document 5.2, 7.2, 7.7, 13.1). The specs are joined
//! with `,` into the one word that replaces `{{testExamples}}`, or follow an
//! added `--spec` when the template has none. Cypress reads that word as
//! comma-separated glob patterns, so a spec holding `,` or a glob character
//! would run other files: it is refused (D24). Cypress writes no result file
//! bktec reads: its exit status is the only evidence, and nothing is
//! retried, since no failed test is ever known (9.2).

use super::RunnerKind;
use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, Framework, Init};
use super::setup::{ExitHandling, Prepared, Runner, RunnerError, RunnerInputs};
use super::target::TargetProblem;
use super::template::{CommandTemplate, MissingTests, TEST_EXAMPLES};
use crate::results::Mapping;

const COMMAND: &str = "npx cypress run --spec {{testExamples}}";

/// What bktec knows about Cypress.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Cypress",
    rules: RunnerRules {
        // Cypress writes no result file bktec reads: its status decides.
        requires_result_path: false,
        ..RunnerRules::walking("**/*.cy.{js,jsx,ts,tsx}", |_| (COMMAND, ""))
    },
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &[],
    example_listing: None,
    roster: None,
    history: None,
    build: Some(|inputs, _probe| cypress(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 1,
            finds: detect::cypress_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: Some(
            "Cypress writes no result file bktec reads: its exit status decides, and failed tests are not retried, since none is ever named.",
        ),
    },
};

/// Builds the Cypress runner.
fn cypress(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let test = with_specs("test command", inputs.test_command)?;
    let retry = match inputs.retry_command {
        Some(_) => with_specs("retry command", inputs.retry_command)?,
        None => test.clone(),
    };
    Ok(Runner {
        missing_tests: MissingTests::Omit,
        exit_rules: |_, _| ExitHandling::Skip,
        prepare: joined_specs,
        ..Runner::new(RunnerKind::Cypress, test, retry)
    })
}

/// The template, with `--spec {{testExamples}}` added when it names no
/// specs (7.2).
fn with_specs(
    which: &'static str,
    configured: Option<&CommandTemplate>,
) -> Result<CommandTemplate, RunnerError> {
    match configured {
        Some(template) if template.mentions(TEST_EXAMPLES) => Ok(template.clone()),
        Some(template) => Runner::parse_template(
            which,
            &format!("{} --spec {TEST_EXAMPLES}", template.as_str()),
        ),
        None => Runner::parse_template(which, COMMAND),
    }
}

/// The specs as one comma-separated word, refusing a spec that Cypress
/// would read as more than itself.
fn joined_specs(tests: Vec<String>, _retry: bool) -> Result<Prepared, (String, TargetProblem)> {
    if let Some(bad) = tests
        .iter()
        .find(|t| t.contains([',', '*', '?', '[', ']', '{', '}', '!']))
    {
        return Err((bad.clone(), TargetProblem::SpecPattern));
    }
    Ok(Prepared {
        tests: vec![tests.join(",")],
        name_pattern: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::TargetError;

    #[test]
    fn specs_are_one_word_after_spec() {
        let r = cypress(RunnerInputs::default()).unwrap();
        assert_eq!(
            r.argv(&["a.cy.js".into(), "-x.cy.js".into()], 0).unwrap(),
            ["npx", "cypress", "run", "--spec", "a.cy.js,./-x.cy.js"]
        );
        assert_eq!(r.result_file(), None);
        assert_eq!(r.upload_format(), None);
        let template = CommandTemplate::parse("cypress run --browser electron").unwrap();
        let inputs = RunnerInputs {
            test_command: Some(&template),
            ..RunnerInputs::default()
        };
        let r = cypress(inputs).unwrap();
        assert_eq!(
            r.argv(&["a.cy.js".into()], 0).unwrap(),
            [
                "cypress",
                "run",
                "--browser",
                "electron",
                "--spec",
                "a.cy.js"
            ]
        );
    }

    #[test]
    fn a_spec_cypress_would_read_as_a_pattern_is_refused() {
        let r = cypress(RunnerInputs::default()).unwrap();
        let err: TargetError = r.argv(&["a,b.cy.js".into()], 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing test target `a,b.cy.js` from this node's plan: Cypress would read its `,` or glob characters as a pattern that may run other files (D24)"
        );
        assert!(r.argv(&["[id].cy.js".into()], 0).is_err());
    }
}
