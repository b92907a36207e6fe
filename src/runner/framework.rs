//! What bktec knows about a test framework, one value per runner (behaviour
//! document 5.2, 7, 8). Each runner's file holds its [`Framework`]; one
//! line of the runner list (`config::elements::for_each_runner`) registers
//! it, and `RunnerKind::framework` is the one match over runners.

use std::path::Path;

use super::pytest_collect::CollectError;
use super::setup::{Runner, RunnerError, RunnerInputs};
use super::target::TargetError;
use crate::config::elements::RunnerRules;
use crate::results::{Mapping, ResultFormat, TestResult};

/// Builds a runner's [`Runner`]; `probe` answers whether
/// buildkite-test-collector is installed, asked only when needed (D14).
pub(crate) type Build =
    fn(RunnerInputs<'_>, &mut dyn FnMut() -> bool) -> Result<Runner, RunnerError>;

/// A command that lists examples, and the variables it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// The program and its arguments.
    pub(crate) argv: Vec<String>,
    /// Variables added to bktec's environment.
    pub(crate) env: Vec<(String, String)>,
}

/// The command that lists the examples of some files into a JSON file
/// (6.4).
pub(crate) type ListingCommand = fn(&Runner, &[String], &Path) -> Result<Listing, TargetError>;

/// How a runner other than pytest lists the examples of files, for Test
/// Engine to split them (behaviour document 6.1, 6.4).
#[derive(Debug)]
pub(crate) struct ExampleListing {
    /// The listing's name in messages (`rspec dry run`).
    pub(crate) tool: &'static str,
    /// Whether Test Engine may skip the runner's tests (6.1); without,
    /// files are split into examples only with `--split-by-example`.
    pub(crate) skips: bool,
    /// The command that writes the examples of the files to the path.
    pub(crate) command: ListingCommand,
    /// The format it writes them in.
    pub(crate) format: ResultFormat,
}

/// Lists the tests that the targets hold, as the test command (with its
/// own options, configuration and environment) will select them, named by
/// [`Roster::key`].
pub(crate) type RosterList = fn(&Runner, &[String]) -> Result<Vec<String>, CollectError>;

/// How a runner other than pytest proves per test what ran (D37): before
/// the first attempt it lists the tests its targets hold with its own
/// tool, and every listed test must then have a result.
#[derive(Debug)]
pub(crate) struct Roster {
    /// The listing's name in messages (`go test -list`).
    pub(crate) tool: &'static str,
    /// The listing.
    pub(crate) list: RosterList,
    /// The name under which a result answers for a listed test; `None` for
    /// a result that answers for none.
    pub(crate) key: fn(&TestResult) -> Option<String>,
    /// Whether the listing runs the test command with options added, which
    /// would reach a script (`sh -c '...'`) rather than the runner: such a
    /// command is then checked per file.
    pub(crate) through_command: bool,
}

/// How a runner's tests are kept in the timing history (D51): the result
/// format `bktec durations update` reads a file in when it is not JUnit
/// XML, and the key of a result, `<target>::<test>`, whose part before the
/// first `::` is the target (file or package) discovery names, so that the
/// planner weighs every runner's targets alike.
#[derive(Clone, Copy, Debug)]
pub(crate) struct History {
    /// The format of a result file that is not JUnit XML.
    pub(crate) format: ResultFormat,
    /// The key of a result; `None` for one that has no duration to keep.
    pub(crate) key: fn(&TestResult) -> Option<String>,
}

/// pytest's key: the node id, which is `file::test` already; a file's
/// collection error (no `::`) has no duration to keep.
pub(crate) fn key_by_node_id(test: &TestResult) -> Option<String> {
    test.path.contains("::").then(|| test.path.clone())
}

/// The key of a runner whose result names the test's file: the file (as
/// discovery names it, without `./`), then the test as people read it.
pub(crate) fn key_by_file(test: &TestResult) -> Option<String> {
    let location = test.location.as_ref()?;
    let file = location.file.strip_prefix("./").unwrap_or(&location.file);
    Some(format!("{file}::{}", test.label().trim()))
}

/// How `bktec init` recognises a project that uses a runner.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Detect {
    /// Runners are tried in this order, lowest first: the first that
    /// recognises the project wins (a JavaScript project's `package.json`
    /// names its runner more surely than a `spec/` directory does).
    pub(crate) rank: u8,
    /// What in the directory shows the runner (`` `go.mod` ``), if anything.
    pub(crate) finds: fn(&Path) -> Option<String>,
}

/// What `bktec init` knows of a runner.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Init {
    /// How the runner is recognised; `None` for one that must be named.
    pub(crate) detect: Option<Detect>,
    /// The result path `bktec init` writes for a runner that must be told
    /// one (by the format it writes).
    pub(crate) result_path: &'static str,
    /// How the runner writes its results when its command does not name
    /// `{{resultPath}}` (Playwright's `json` reporter; Cypress writes none):
    /// what `bktec init` says of the test command, and the hint when an
    /// attempt wrote no result file (D46). `None`: the command writes
    /// `{{resultPath}}` itself.
    pub(crate) results_note: Option<&'static str>,
}

impl Init {
    /// Nothing to detect, the JSON result path.
    pub(crate) const NAMED_ONLY: Init = Init {
        detect: None,
        result_path: "tmp/bktec-results.json",
        results_note: None,
    };
}

/// Everything bktec knows about one test framework.
#[derive(Debug)]
pub(crate) struct Framework {
    /// The name in messages (`RSpec`, `Custom test runner`).
    pub(crate) display_name: &'static str,
    /// What settings need to know of it: defaults and validation rules.
    pub(crate) rules: RunnerRules,
    /// Whether discovery skips dot-directories and virtualenvs (D9).
    pub(crate) skips_hidden_and_venv_dirs: bool,
    /// Whether its tests are named by pytest node ids (`file.py::Class::test`),
    /// which the merged JUnit report, the annotation and the log keep whole.
    pub(crate) node_ids: bool,
    /// Whether its result format is chosen for each run (D14, D30), so that
    /// the log says which it uses.
    pub(crate) announces_result_format: bool,
    /// How entries of its result files map to tests.
    pub(crate) mapping: Mapping,
    /// Whether pytest collection serves it: example discovery (6.3) and the
    /// proof that silent targets hold no tests (D23).
    pub(crate) collects_with_pytest: bool,
    /// The test command's options that stop the run at the first failure.
    /// With retries they are refused: the retry of that failure could pass
    /// while the tests after it never ran, and nothing in the results would
    /// say so (D23). pytest's `-x` needs no entry: the witness sees the
    /// tests it stopped before. gotest's `-failfast` makes its retries run
    /// whole packages (D46).
    pub(crate) fail_fast_options: &'static [&'static str],
    /// How it lists the examples of files, when it is not pytest and can.
    pub(crate) example_listing: Option<ExampleListing>,
    /// How it lists, before the first attempt, the tests every attempt
    /// must answer for (D37); `None` for a runner checked per file, or one
    /// with a witness of its own (pytest).
    pub(crate) roster: Option<Roster>,
    /// How its measured durations are kept in the timing history (D51);
    /// `None` for a runner that writes no result file bktec reads.
    pub(crate) history: Option<History>,
    /// How `run` builds it; `None` for a runner `run` does not support yet.
    pub(crate) build: Option<Build>,
    /// What `bktec init` detects and writes for it.
    pub(crate) init: Init,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Location, Outcome};

    fn result(scope: &str, name: &str, path: &str, file: Option<&str>) -> TestResult {
        TestResult {
            scope: scope.into(),
            name: name.into(),
            path: path.into(),
            identifier: String::new(),
            outcome: Outcome::Passed,
            duration: None,
            failure: None,
            output: None,
            location: file.and_then(|f| Location::new(f, Some(3))),
        }
    }

    /// D51: every key is `<target>::<test>`, the target as discovery names it.
    #[test]
    fn history_keys_begin_with_the_target() {
        let rspec = result(
            "Cart",
            "adds up",
            "./spec/cart_spec.rb[1:1]",
            Some("./spec/cart_spec.rb"),
        );
        assert_eq!(
            key_by_file(&rspec).as_deref(),
            Some("spec/cart_spec.rb::Cart adds up")
        );
        let top = result("", "counts items", "x", Some("spec/stock_spec.rb"));
        assert_eq!(
            key_by_file(&top).as_deref(),
            Some("spec/stock_spec.rb::counts items")
        );
        assert_eq!(key_by_file(&result("", "t", "x", None)), None);
        let pytest = result("t.py", "test_a", "t.py::test_a", None);
        assert_eq!(key_by_node_id(&pytest).as_deref(), Some("t.py::test_a"));
        let collection_error = result("", "t.py", "t.py", None);
        assert_eq!(key_by_node_id(&collection_error), None);
    }
}
