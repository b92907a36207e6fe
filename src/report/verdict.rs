//! What the verdict adds to the report (D23): the assigned targets that
//! produced no result, and, when a run is not green although it could have
//! been, the rule that failed.

use std::fmt::Write;

use super::shell::{FAILURE, paint};
use crate::events::{Unproven, Verdict};

/// How many silent targets are listed without `--debug`.
const FIRST_FEW: usize = 10;

/// The verdict's part of the report; empty when there is nothing to say.
pub(crate) fn render_verdict(
    verdict: &Verdict,
    silent_targets: &[String],
    runner_name: &str,
    list_all: bool,
) -> String {
    let mut out = String::new();
    match verdict {
        Verdict::NoTests => {
            let _ = writeln!(
                out,
                "--- Buildkite Test Engine Client: No tests to run on this node ({runner_name} collected no tests from the {} assigned to it)",
                count(silent_targets.len(), "target", "targets")
            );
            return out;
        }
        Verdict::Passed { muted_failures: _ }
        | Verdict::Failed { .. }
        | Verdict::Unproven(_)
        | Verdict::Signal(_)
        | Verdict::StartFailed(_)
        | Verdict::FlakyFailed { .. }
        | Verdict::TimedOut(_) => {}
    }
    if !silent_targets.is_empty() {
        let _ = writeln!(
            out,
            "\n+++ Buildkite Test Engine Client: {} produced no result:",
            count(silent_targets.len(), "assigned target", "assigned targets")
        );
        let shown = if list_all {
            silent_targets.len()
        } else {
            FIRST_FEW.min(silent_targets.len())
        };
        for target in &silent_targets[..shown] {
            let _ = writeln!(out, "- {target}");
        }
        if shown < silent_targets.len() {
            let _ = writeln!(
                out,
                "- … and {} more (`--debug` lists them all)",
                silent_targets.len() - shown
            );
        }
    }
    match verdict {
        Verdict::Unproven(rules) => {
            let why = format!(
                "🚨 {runner_name} exited with status 0, but the tests did not prove success:"
            );
            let _ = writeln!(
                out,
                "\n+++ Buildkite Test Engine Client: {}",
                paint(FAILURE, &why)
            );
            rule_lines(&mut out, rules);
        }
        Verdict::Failed {
            status: _,
            code: _,
            refused,
        } if !refused.is_empty() => {
            let _ = writeln!(
                out,
                "\nBuildkite Test Engine Client: Only muted tests failed, but the run cannot be passed:"
            );
            rule_lines(&mut out, refused);
        }
        Verdict::Passed { muted_failures: _ }
        | Verdict::NoTests
        | Verdict::Failed { .. }
        | Verdict::Signal(_)
        | Verdict::StartFailed(_)
        | Verdict::FlakyFailed { .. }
        | Verdict::TimedOut(_) => {}
    }
    out
}

fn rule_lines(out: &mut String, rules: &[Unproven]) {
    for rule in rules {
        let _ = writeln!(out, "- {}", rule_text(rule));
    }
}

fn rule_text(rule: &Unproven) -> String {
    match rule {
        Unproven::ResultsUnread {
            attempt,
            reason: Some(reason),
        } => format!(
            "the results of {} could not be read: {reason}",
            attempt_name(*attempt)
        ),
        Unproven::ResultsUnread {
            attempt,
            reason: None,
        } => format!(
            "the results of {} were not read, as its exit status says they are not to be trusted",
            attempt_name(*attempt)
        ),
        Unproven::NothingReported(n) => format!(
            "the results report no test at all for the {}",
            count(*n, "assigned target", "assigned targets")
        ),
        Unproven::RunError(message) => message.clone(),
        Unproven::FailuresRemain(n) => format!(
            "{} failed and did not pass on a retry",
            count(*n, "test", "tests")
        ),
        Unproven::RetryWithoutResults { attempt, tests } => format!(
            "retry {attempt} reported no result for {} it was asked to run: {}",
            count(tests.len(), "test", "tests"),
            first_three(tests)
        ),
        Unproven::CutShort { attempt } => format!(
            "{} ended before bktec's witness could record it (`exit!` in an `at_exit`, or a crash), so nothing proves which tests ran",
            attempt_name(*attempt)
        ),
        Unproven::NeverRan { attempt, tests } => format!(
            "{} of {} never ran: {}",
            count(tests.len(), "selected test", "selected tests"),
            attempt_name(*attempt),
            first_three(tests)
        ),
        Unproven::Unreported { tool, tests } => format!(
            "{} that `{tool}` listed reported no result (hidden by a filter, a dry run, or a run cut short): {}",
            count(tests.len(), "test", "tests"),
            first_three(tests)
        ),
        Unproven::NotListed { tool, reason } => {
            format!("`{tool}` could not list the tests, so nothing proves which ran: {reason}")
        }
        Unproven::SilentTargets(n) => format!(
            "{} produced no result, so {} may never have run",
            count(*n, "assigned target", "assigned targets"),
            if *n == 1 { "its tests" } else { "their tests" }
        ),
    }
}

/// The first three of `tests`, then how many more there are.
fn first_three(tests: &[String]) -> String {
    let mut text = tests.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if tests.len() > 3 {
        let _ = write!(text, " and {} more", tests.len() - 3);
    }
    text
}

fn attempt_name(attempt: u32) -> String {
    if attempt == 0 {
        "the first run".to_string()
    } else {
        format!("retry {attempt}")
    }
}

pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("tests/t{i:02}_test.py")).collect()
    }

    #[test]
    fn a_green_run_lists_silent_targets_first_few_only() {
        let text = render_verdict(
            &Verdict::Passed { muted_failures: 0 },
            &targets(12),
            "pytest",
            false,
        );
        assert!(
            text.starts_with(
                "\n+++ Buildkite Test Engine Client: 12 assigned targets produced no result:\n- tests/t00_test.py\n"
            ),
            "{text}"
        );
        assert!(text.contains("- tests/t09_test.py\n"), "{text}");
        assert!(!text.contains("t10"), "{text}");
        assert!(
            text.ends_with("- … and 2 more (`--debug` lists them all)\n"),
            "{text}"
        );
        let all = render_verdict(
            &Verdict::Passed { muted_failures: 0 },
            &targets(12),
            "pytest",
            true,
        );
        assert!(all.contains("- tests/t11_test.py\n") && !all.contains("more"));
        assert_eq!(
            render_verdict(&Verdict::Passed { muted_failures: 0 }, &[], "pytest", false),
            ""
        );
    }

    #[test]
    fn unproven_runs_name_every_broken_rule() {
        let verdict = Verdict::Unproven(vec![
            Unproven::ResultsUnread {
                attempt: 0,
                reason: Some("failed to read result file `r.json`".into()),
            },
            Unproven::FailuresRemain(2),
            Unproven::RetryWithoutResults {
                attempt: 1,
                tests: (0..5).map(|i| format!("t.py::test_{i}")).collect(),
            },
        ]);
        assert_eq!(
            anstream::adapter::strip_str(&render_verdict(&verdict, &[], "pytest", false))
                .to_string(),
            "\n+++ Buildkite Test Engine Client: 🚨 pytest exited with status 0, but the tests did not prove success:\n\
             - the results of the first run could not be read: failed to read result file `r.json`\n\
             - 2 tests failed and did not pass on a retry\n\
             - retry 1 reported no result for 5 tests it was asked to run: t.py::test_0, t.py::test_1, t.py::test_2 and 2 more\n"
        );
    }

    #[test]
    fn a_refused_muted_only_conversion_says_why() {
        let verdict = Verdict::Failed {
            status: 1,
            code: 1,
            refused: vec![Unproven::SilentTargets(1)],
        };
        let text = render_verdict(&verdict, &targets(1), "pytest", false);
        assert!(
            text.ends_with(
                "\nBuildkite Test Engine Client: Only muted tests failed, but the run cannot be passed:\n\
                 - 1 assigned target produced no result, so its tests may never have run\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn no_tests_on_this_node() {
        assert_eq!(
            render_verdict(&Verdict::NoTests, &targets(2), "pytest", false),
            "--- Buildkite Test Engine Client: No tests to run on this node (pytest collected no tests from the 2 targets assigned to it)\n"
        );
    }
}
