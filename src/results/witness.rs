//! The witness file (D23): what bktec's own pytest plugin saw in an attempt,
//! as evidence beside the result file. It knows what the collector does not
//! report: errors in fixture teardown, the selected tests that never
//! reported (`pytest -x`, `pytest.exit`), and deselected tests.

use crate::input::{RESULT_FILE, read_regular};
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// How one test ended, by its worst phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WitnessOutcome {
    /// Every phase passed.
    Passed,
    /// It was skipped.
    Skipped,
    /// It failed as `xfail` said it would (an expected failure, which the
    /// collector reports as a skip).
    Xfailed,
    /// A phase failed: setup, the test itself, or teardown.
    Failed,
}

/// What the witness plugin recorded in one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Witness {
    /// pytest's rootdir, relative to the directory pytest ran in.
    rootdir_from_cwd: String,
    /// The directory pytest ran in, relative to its rootdir.
    cwd_from_rootdir: String,
    /// The node ids pytest selected to run, in order; `None` when unknown
    /// (collection did not finish, or pytest-xdist collected in workers).
    pub selected: Option<Vec<String>>,
    /// The absolute path of each selected test's file, in the same order.
    #[serde(default)]
    pub selected_paths: Option<Vec<String>>,
    /// Each selected test's file relative to the directory pytest ran in,
    /// in the same order (`..` where it lies above).
    #[serde(default)]
    pub selected_files: Option<Vec<String>>,
    /// What pytest was given to collect (files and directories), as
    /// absolute paths; `None` from a witness that did not say.
    #[serde(default)]
    pub given: Option<Vec<String>>,
    /// How many collected tests were deselected (`-k`, `-m`, plugins).
    pub deselected: usize,
    /// The tests pytest's cache plugin deselected (`--lf`, `--sw`): which
    /// tests run then depends on earlier runs, not on the plan (D36).
    #[serde(default)]
    pub cache_deselected: Vec<String>,
    /// The tests a hook took out of the collection without deselecting
    /// them (a `pytest_collection_modifyitems` that drops items): nothing
    /// in pytest's output says they did not run (D36).
    #[serde(default)]
    pub dropped: Vec<String>,
    /// The files of selected tests whose names are not UTF-8, their bad
    /// bytes written `\xNN`: bktec cannot name them to a job (D36).
    #[serde(default)]
    pub unnamable: Vec<String>,
    /// How every test that reported ended.
    pub outcomes: BTreeMap<String, WitnessOutcome>,
    /// Collectors that failed.
    #[serde(default)]
    pub collect_errors: Vec<String>,
    /// The witness loaded but the run ended before it could write what it
    /// saw (`exit!`, a crash): nothing proves which tests ran (D37).
    #[serde(default)]
    pub cut_short: bool,
    /// What no test's duration holds alone (D52); `None` under
    /// pytest-xdist, or from a witness that did not say.
    #[serde(default)]
    pub costs: Option<WitnessCosts>,
}

/// The costs the witness timed (D52), in seconds, keyed as pytest's node
/// ids are (relative to its rootdir).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WitnessCosts {
    /// Each file's own cost: importing and collecting it, and setting up
    /// its module- and class-scoped fixtures.
    #[serde(default)]
    pub files: BTreeMap<String, f64>,
    /// For each test, the set-up of fixtures wider than a function that
    /// its duration holds.
    #[serde(default)]
    pub moved: BTreeMap<String, f64>,
    /// Each test's span: from its start to the next test's start (the last
    /// one's, to its end), with what pytest and its plugins do around it.
    #[serde(default)]
    pub spans: BTreeMap<String, f64>,
    /// When pytest's session started, in seconds since the epoch.
    #[serde(default)]
    pub session_start: Option<f64>,
    /// The set-up of session-scoped fixtures, which a job pays once.
    #[serde(default)]
    pub session_fixtures: f64,
}

// JSON holds no NaN, so the costs read from it equal themselves.
impl Eq for WitnessCosts {}

/// How a node id's path (relative to pytest's rootdir) becomes a path
/// relative to the working directory that targets are relative to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PathOffset {
    /// They are the same directory, or nothing says otherwise.
    #[default]
    Same,
    /// The rootdir is this directory below the working directory.
    Prepend(String),
    /// The working directory is this directory below the rootdir: node ids
    /// outside it name no target.
    Strip(String),
}

impl Witness {
    /// Reads the witness file at `path`: `None` when it is missing or not a
    /// witness (the plugin did not load, or pytest died before writing).
    pub fn read(path: &Path) -> Option<Witness> {
        let bytes = read_regular(path, RESULT_FILE).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The witness of a run that ended before the witness, which had
    /// loaded, could write its file.
    pub fn cut_short() -> Witness {
        Witness {
            rootdir_from_cwd: ".".to_string(),
            cwd_from_rootdir: ".".to_string(),
            selected: None,
            selected_paths: None,
            selected_files: None,
            given: None,
            deselected: 0,
            cache_deselected: Vec::new(),
            dropped: Vec::new(),
            unnamable: Vec::new(),
            outcomes: BTreeMap::new(),
            collect_errors: Vec::new(),
            cut_short: true,
            costs: None,
        }
    }

    /// How this attempt's node ids map to target paths.
    pub fn offset(&self) -> PathOffset {
        let clean = |p: &str| p.trim_end_matches('/').to_string();
        if self.rootdir_from_cwd == "." {
            PathOffset::Same
        } else if !self.rootdir_from_cwd.starts_with("..") {
            PathOffset::Prepend(clean(&self.rootdir_from_cwd))
        } else if !self.cwd_from_rootdir.starts_with("..") {
            PathOffset::Strip(clean(&self.cwd_from_rootdir))
        } else {
            PathOffset::Same
        }
    }

    /// Whether pytest found any test at all, selected, deselected or
    /// dropped: a collection that deselected or dropped everything did not
    /// collect nothing (D23, D36).
    pub fn found_tests(&self) -> bool {
        self.deselected > 0
            || !self.dropped.is_empty()
            || self.selected.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// The tests that never ran although nothing the plan or the user asked
    /// for left them out: the selected tests that never reported (the run
    /// stopped before them), then those pytest's cache plugin deselected and
    /// those a hook dropped without deselecting them (D36).
    pub fn never_ran(&self) -> Vec<String> {
        let stopped = self
            .selected
            .iter()
            .flatten()
            .filter(|id| !self.outcomes.contains_key(*id));
        let mut never_ran: Vec<String> = stopped.cloned().collect();
        for id in self.cache_deselected.iter().chain(&self.dropped) {
            if !never_ran.contains(id) && !self.outcomes.contains_key(id) {
                never_ran.push(id.clone());
            }
        }
        never_ran
    }
}

impl PathOffset {
    /// `id` (relative to the rootdir) relative to the working directory, or
    /// `None` when it lies outside it.
    pub fn apply<'a>(&self, id: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        match self {
            PathOffset::Same => Some(Cow::Borrowed(id)),
            PathOffset::Prepend(dir) => Some(Cow::Owned(format!("{dir}/{id}"))),
            PathOffset::Strip(dir) => id
                .strip_prefix(dir.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .map(Cow::Borrowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn witness(json: &str) -> Witness {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_what_the_plugin_writes() {
        let w = witness(
            r#"{"version": 1, "rootdir_from_cwd": ".", "cwd_from_rootdir": ".",
                "selected": ["t.py::a", "t.py::b", "t.py::c"], "deselected": 2,
                "outcomes": {"t.py::a": "failed", "t.py::b": "passed"},
                "collect_errors": [], "exitstatus": 1}"#,
        );
        assert_eq!(w.never_ran(), ["t.py::c"]);
        assert_eq!(w.outcomes["t.py::a"], WitnessOutcome::Failed);
        assert_eq!(w.deselected, 2);
        assert_eq!(w.offset(), PathOffset::Same);
    }

    /// What the cache plugin deselected and what a hook dropped never ran,
    /// whatever else the run did (D36).
    #[test]
    fn tests_taken_away_by_the_cache_or_a_hook_never_ran() {
        let w = witness(
            r#"{"rootdir_from_cwd": ".", "cwd_from_rootdir": ".",
                "selected": ["t.py::a"], "deselected": 1,
                "cache_deselected": ["t.py::b"], "dropped": ["u.py::c"],
                "outcomes": {"t.py::a": "passed"}}"#,
        );
        assert_eq!(w.never_ran(), ["t.py::b", "u.py::c"]);
        let dropped_only = witness(
            r#"{"rootdir_from_cwd": ".", "cwd_from_rootdir": ".",
                "selected": [], "deselected": 0, "dropped": ["u.py::c"], "outcomes": {}}"#,
        );
        assert!(dropped_only.found_tests());
    }

    #[test]
    fn offsets_between_rootdir_and_the_working_directory() {
        let w = |root: &str, cwd: &str| {
            witness(&format!(
                r#"{{"rootdir_from_cwd": "{root}", "cwd_from_rootdir": "{cwd}", "selected": null,
                    "deselected": 0, "outcomes": {{}}}}"#
            ))
            .offset()
        };
        assert_eq!(w("py", "../.."), PathOffset::Prepend("py".into()));
        assert_eq!(w("..", "proj"), PathOffset::Strip("proj".into()));
        assert_eq!(
            PathOffset::Prepend("py".into())
                .apply("tests/a.py::t")
                .unwrap(),
            "py/tests/a.py::t"
        );
        assert_eq!(
            PathOffset::Strip("proj".into())
                .apply("proj/tests/a.py::t")
                .unwrap(),
            "tests/a.py::t"
        );
        assert_eq!(
            PathOffset::Strip("proj".into()).apply("other/a.py::t"),
            None
        );
        assert_eq!(
            PathOffset::Strip("proj".into()).apply("project/a.py::t"),
            None
        );
    }

    #[test]
    fn a_missing_or_foreign_file_is_no_witness() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Witness::read(&dir.path().join("none.json")), None);
        std::fs::write(dir.path().join("w.json"), "{\"other\": 1}").unwrap();
        assert_eq!(Witness::read(&dir.path().join("w.json")), None);
    }
}
