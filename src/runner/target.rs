//! Targets are never options (D24). A test path, node id or selector comes
//! from outside bktec's control: a file name in the repository, a row of a
//! row file, a plan file, a Test Engine plan, or a node id in a result file
//! (retries). Whatever its source, it must reach the command as a target: a
//! relative value beginning with `-` is an option to almost every program
//! (`--deselect=x`, `--basetemp=/dir`), and one beginning with `@` is an
//! argument file to pytest >= 8.2 (argparse `fromfile_prefix_chars`). Both
//! are passed as `./<value>`, which names the same file and which pytest
//! reports under its normalised node id, so results still match. A value
//! that no prefix makes unambiguous is refused.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// Where a target came from, for the error that refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TargetOrigin {
    /// The test file discovery walk.
    Discovery,
    /// A `--files` row file.
    FilesList(PathBuf),
    /// A `--selector-file` row file.
    SelectorFile(PathBuf),
    /// A `--plan-file` plan.
    PlanFile(PathBuf),
    /// A plan served by Test Engine.
    TestEngine {
        /// The plan identifier.
        identifier: String,
    },
    /// This node's plan, source not known here.
    Plan,
    /// A failed test read from an attempt's result file, to be retried.
    Results {
        /// The result file.
        path: PathBuf,
        /// The attempt that wrote it (0 is the first run).
        attempt: u32,
    },
}

impl fmt::Display for TargetOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetOrigin::Discovery => f.write_str("test file discovery"),
            TargetOrigin::FilesList(path) => write!(f, "the files list `{}`", path.display()),
            TargetOrigin::SelectorFile(path) => {
                write!(f, "the selector file `{}`", path.display())
            }
            TargetOrigin::PlanFile(path) => write!(f, "the plan file `{}`", path.display()),
            TargetOrigin::TestEngine { identifier } => {
                write!(f, "the Test Engine plan `{identifier}`")
            }
            TargetOrigin::Plan => f.write_str("this node's plan"),
            TargetOrigin::Results { path, attempt } => write!(
                f,
                "the result file `{}` of attempt {attempt}",
                path.display()
            ),
        }
    }
}

/// Why a target cannot be passed unambiguously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetProblem {
    /// It is empty: to pytest, `''` is the working directory, every test.
    Empty,
    /// It holds a NUL byte, which no argument can.
    Nul,
    /// Cypress would read it as more than one spec, or as a pattern that
    /// may match other files (`,` or a glob character).
    SpecPattern,
    /// The template joins the tests into one quoted word with spaces
    /// (D41), where a name holding white space could not be told apart.
    Joined,
}

impl fmt::Display for TargetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetProblem::Empty => "it is empty, which would run every test",
            TargetProblem::Nul => "it holds a NUL byte, which no argument can",
            TargetProblem::SpecPattern => {
                "Cypress would read its `,` or glob characters as a pattern that may run other files"
            }
            TargetProblem::Joined => {
                "the test command joins the tests with spaces into one quoted word (`'{{testExamples}}'`), where a name holding white space cannot be told apart"
            }
        })
    }
}

/// A target refused by D24.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("refusing test target `{}` from {origin}: {problem} (D24)", value.escape_debug())]
pub(crate) struct TargetError {
    /// The target as it came.
    pub value: String,
    /// Where it came from.
    pub origin: TargetOrigin,
    /// What is wrong with it.
    pub problem: TargetProblem,
}

/// The argument that passes `value` as a target, never as an option or an
/// argument file.
pub(crate) fn target_arg(value: &str) -> Result<Cow<'_, str>, TargetProblem> {
    if value.is_empty() {
        return Err(TargetProblem::Empty);
    }
    if value.contains('\0') {
        return Err(TargetProblem::Nul);
    }
    // Only a relative value can begin with `-` or `@`; `./` keeps it relative.
    if value.starts_with(['-', '@']) {
        Ok(Cow::Owned(format!("./{value}")))
    } else {
        Ok(Cow::Borrowed(value))
    }
}

/// The arguments for `values`, or the first one refused, named with `origin`.
pub(crate) fn target_args(
    values: &[String],
    origin: &TargetOrigin,
) -> Result<Vec<String>, TargetError> {
    values
        .iter()
        .map(|value| {
            target_arg(value)
                .map(Cow::into_owned)
                .map_err(|problem| TargetError {
                    value: value.clone(),
                    origin: origin.clone(),
                    problem,
                })
        })
        .collect()
}

/// Checks that every one of `values` can be passed as a target, so a bad
/// one is refused before any test runs, with its true source.
pub(crate) fn check_targets<'a>(
    values: impl IntoIterator<Item = &'a str>,
    origin: &TargetOrigin,
) -> Result<(), TargetError> {
    for value in values {
        target_arg(value).map_err(|problem| TargetError {
            value: value.to_string(),
            origin: origin.clone(),
            problem,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_argument_files_become_paths() {
        // D24: `--deselect=b_test.py` must not deselect, `@args` must not be read.
        assert_eq!(
            target_arg("--deselect=b_test.py").unwrap(),
            "./--deselect=b_test.py"
        );
        assert_eq!(target_arg("-x").unwrap(), "./-x");
        assert_eq!(target_arg("-").unwrap(), "./-");
        assert_eq!(target_arg("@args.txt").unwrap(), "./@args.txt");
        assert_eq!(
            target_arg("--a.py::test[-x]").unwrap(),
            "./--a.py::test[-x]"
        );
    }

    #[test]
    fn ordinary_targets_pass_unchanged() {
        for value in [
            "tests/test_a.py",
            "tests/-x.py",
            "/abs/--x.py",
            "./-x.py",
            "t.py::test[-1]",
            " -leading-space.py",
        ] {
            assert!(
                matches!(target_arg(value), Ok(Cow::Borrowed(v)) if v == value),
                "{value}"
            );
        }
    }

    #[test]
    fn empty_and_nul_are_refused_naming_the_source() {
        assert_eq!(target_arg(""), Err(TargetProblem::Empty));
        assert_eq!(target_arg("a\0b.py"), Err(TargetProblem::Nul));
        let origin = TargetOrigin::PlanFile(PathBuf::from("plan.json"));
        let err = target_args(&["a.py".into(), "a\0b.py".into()], &origin).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing test target `a\\0b.py` from the plan file `plan.json`: it holds a NUL byte, which no argument can (D24)"
        );
        let err = check_targets(
            ["ok.py", ""],
            &TargetOrigin::TestEngine {
                identifier: "b/s".into(),
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing test target `` from the Test Engine plan `b/s`: it is empty, which would run every test (D24)"
        );
    }
}
