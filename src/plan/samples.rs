//! The measurements behind the timing history (D50): the last few
//! durations of each test, kept beside the durations file in
//! `<durations file>.samples.json`, so that one run on a busy machine moves
//! a plan little. The durations file itself stays pytest-split's format,
//! node ids to seconds, each value the median of the test's samples.
//!
//! The rule: each test keeps its last [`KEPT`] measurements, and its
//! duration is their median, the lower middle one of an even count. One
//! slow run among several is outvoted; with two measurements the faster
//! wins; a test that really became slower is followed once most of its
//! samples say so (three runs out of five). A durations file that another
//! tool rewrote (pytest-split's `--store-durations`) wins over the
//! samples: a test whose duration is not the median of its samples starts
//! again from the file's value, and so does a test the samples do not
//! know.
//!
//! The same file keeps the costs no test's duration holds (D52): a job's
//! fixed start-up, and each file's own cost (for pytest, importing and
//! collecting the module and setting up its module- and class-scoped
//! fixtures), each as its last [`KEPT`] measurements, planned from by
//! their median too.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::input::{DURATIONS_FILE, read_regular};

/// How many measurements each test keeps.
pub(crate) const KEPT: usize = 5;

/// The file format's version; version 1 had no costs.
const VERSION: u32 = 2;

/// Each test's last measurements, oldest first, in seconds, and the
/// measured costs no test holds (D52).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Samples {
    tests: BTreeMap<String, Vec<f64>>,
    /// A job's fixed start-up: what a job's wall time held beyond its
    /// tests and files.
    job: Vec<f64>,
    /// Each file's own cost, by the file part of its tests' keys.
    files: BTreeMap<String, Vec<f64>>,
    /// What listing the files to split took a job.
    listing: Vec<f64>,
}

/// The samples file as JSON has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    samples: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    job: Vec<f64>,
    #[serde(default)]
    files: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    listing: Vec<f64>,
}

/// The costs the plan adds to its tests' durations (D52), the medians of
/// their samples, in seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Costs {
    /// A job's fixed start-up.
    pub(crate) job: f64,
    /// Each file's own cost, by the file part of its tests' keys.
    pub(crate) files: BTreeMap<String, f64>,
    /// What listing the files to split took a job, when measured.
    pub(crate) listing: Option<f64>,
}

/// Why a samples file is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SamplesError {
    /// The file could not be read.
    #[error("failed to read the samples file `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not a samples file bktec wrote.
    #[error(
        "`{}` is not a samples file of this bktec{detail} (version {VERSION}, lists of at most {KEPT} durations in seconds by test and by file, and of the job); remove it to start the samples again",
        path.display()
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, when JSON does not say: `: `job` holds -5`.
        detail: String,
        /// Why, when JSON says.
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// The samples file of the durations file `durations`.
pub(crate) fn samples_path(durations: &Path) -> PathBuf {
    super::durations::beside(durations, ".samples.json")
}

impl Samples {
    /// Reads the samples file at `path`: empty when it does not exist.
    pub(crate) fn read(path: &Path) -> Result<Samples, SamplesError> {
        let bytes = match read_regular(path, DURATIONS_FILE) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Samples::default()),
            Err(source) => {
                return Err(SamplesError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let invalid = |detail, source| SamplesError::Invalid {
            path: path.to_path_buf(),
            detail,
            source,
        };
        let document: Document =
            serde_json::from_slice(&bytes).map_err(|e| invalid(String::new(), Some(e)))?;
        if let Some(detail) = problem(&document) {
            return Err(invalid(detail, None));
        }
        Ok(Samples {
            tests: document.samples,
            job: document.job,
            files: document.files,
            listing: document.listing,
        })
    }

    /// The costs to plan with: the median of each one's samples.
    pub(crate) fn costs(&self) -> Costs {
        Costs {
            job: median(&self.job).unwrap_or(0.0),
            files: self
                .files
                .iter()
                .filter_map(|(file, values)| Some((file.clone(), median(values)?)))
                .collect(),
            listing: median(&self.listing),
        }
    }

    /// Records a measurement of a job's listing of the files to split.
    pub(crate) fn record_listing(&mut self, seconds: f64) {
        keep_last(&mut self.listing, seconds);
    }

    /// Records a measurement of a job's fixed start-up.
    pub(crate) fn record_job(&mut self, seconds: f64) {
        keep_last(&mut self.job, seconds);
    }

    /// Records a measurement of file `file`'s own cost.
    pub(crate) fn record_file(&mut self, file: &str, seconds: f64) {
        keep_last(self.files.entry(file.to_string()).or_default(), seconds);
    }

    /// Makes the samples agree with the durations file's `current` values:
    /// a test the samples do not know, or whose median is not its value
    /// (another tool rewrote the file), starts again from that value; a
    /// test the file no longer has is dropped.
    pub(crate) fn reconcile<'a>(&mut self, current: impl Iterator<Item = (&'a str, f64)>) {
        let mut kept = BTreeMap::new();
        for (id, seconds) in current {
            let values = match self.tests.remove(id) {
                Some(values) if median(&values) == Some(seconds) => values,
                Some(_) | None => vec![seconds],
            };
            kept.insert(id.to_string(), values);
        }
        self.tests = kept;
    }

    /// Records a measurement of `id`; returns its duration now.
    pub(crate) fn record(&mut self, id: &str, seconds: f64) -> f64 {
        let values = self.tests.entry(id.to_string()).or_default();
        keep_last(values, seconds);
        median(values).unwrap_or(seconds)
    }

    /// Keeps only the tests, and the costs of the files, that `keep`
    /// accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.tests.retain(|id, _| keep(id));
        self.files.retain(|file, _| keep(file));
    }

    /// The file's text: one test, file or job a line, sorted by name, so
    /// that it diffs cleanly.
    pub(crate) fn to_json(&self) -> String {
        let list = |values: &[f64]| serde_json::to_string(values).expect("numbers serialize");
        let mut text = format!(
            "{{\n  \"version\": {VERSION},\n  \"job\": {},\n  \"listing\": {},",
            list(&self.job),
            list(&self.listing)
        );
        for (name, map) in [("files", &self.files), ("samples", &self.tests)] {
            let _ = write!(text, "\n  \"{name}\": {{");
            for (n, (id, values)) in map.iter().enumerate() {
                let key = serde_json::to_string(id).expect("a string serializes");
                let comma = if n == 0 { "" } else { "," };
                let _ = write!(text, "{comma}\n    {key}: {}", list(values));
            }
            if !map.is_empty() {
                text.push_str("\n  ");
            }
            text.push('}');
            text.push_str(if name == "files" { "," } else { "" });
        }
        text.push_str("\n}\n");
        text
    }
}

/// Adds `seconds` to `values`, keeping the last [`KEPT`].
fn keep_last(values: &mut Vec<f64>, seconds: f64) {
    values.push(seconds);
    if values.len() > KEPT {
        values.drain(..values.len() - KEPT);
    }
}

/// What is wrong with `document`, as `: what`.
fn problem(document: &Document) -> Option<String> {
    let list = |name: &str, values: &[f64]| {
        if values.len() > KEPT {
            return Some(format!(": `{name}` holds {} durations", values.len()));
        }
        let bad = values
            .iter()
            .find(|s| !(0.0..=super::durations::MAX_SECONDS).contains(*s))?;
        Some(format!(": `{name}` holds {bad}"))
    };
    // Version 1 had no costs: it reads as version 2 without them.
    let costs =
        !document.job.is_empty() || !document.files.is_empty() || !document.listing.is_empty();
    let version_1 = document.version == 1 && !costs;
    if document.version != VERSION && !version_1 {
        return Some(format!(": it is version {}", document.version));
    }
    if let Some(detail) = list("job", &document.job).or_else(|| list("listing", &document.listing))
    {
        return Some(detail);
    }
    for (name, map) in [("samples", &document.samples), ("files", &document.files)] {
        for (id, values) in map {
            if id.is_empty() {
                return Some(format!(": `{name}` has an empty key"));
            }
            if values.is_empty() {
                return Some(format!(": `{name}` gives `{id}` no duration"));
            }
            if let Some(detail) = list(&format!("{name}` of `{id}"), values) {
                return Some(detail);
            }
        }
    }
    None
}

/// The median of `values`: the lower middle one of an even count.
fn median(values: &[f64]) -> Option<f64> {
    super::timed::median(values.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slow_run_is_outvoted_and_a_real_slowdown_is_followed() {
        let mut samples = Samples::default();
        samples.reconcile([("t.py::a", 1.0)].into_iter());
        // A run on a busy machine: the faster of two wins.
        assert_eq!(samples.record("t.py::a", 3.0), 1.0);
        assert_eq!(samples.record("t.py::a", 1.1), 1.1);
        // The test really became slower: followed on the third slow run
        // out of five.
        assert_eq!(samples.record("t.py::a", 3.0), 1.1);
        assert_eq!(samples.record("t.py::a", 3.1), 3.0);
        assert_eq!(samples.record("t.py::a", 3.2), 3.0);
        assert_eq!(samples.tests["t.py::a"], [3.0, 1.1, 3.0, 3.1, 3.2][..]);
    }

    #[test]
    fn a_file_another_tool_rewrote_wins_and_dropped_tests_go() {
        let mut samples = Samples::default();
        samples.record("t.py::a", 1.0);
        samples.record("t.py::a", 2.0);
        samples.record("t.py::gone", 2.0);
        // The file says 1.0 for `a` (the median): kept; `b` is new.
        samples.reconcile([("t.py::a", 1.0), ("t.py::b", 0.5)].into_iter());
        assert_eq!(samples.tests["t.py::a"], [1.0, 2.0][..]);
        assert_eq!(samples.tests["t.py::b"], [0.5][..]);
        assert!(!samples.tests.contains_key("t.py::gone"));
        // pytest-split rewrote `a` to 4.0: the samples start again from it.
        samples.reconcile([("t.py::a", 4.0)].into_iter());
        assert_eq!(samples.tests["t.py::a"], [4.0][..]);
    }

    #[test]
    fn the_file_is_one_test_a_line_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.samples.json");
        assert_eq!(Samples::read(&path).unwrap(), Samples::default());
        let mut samples = Samples::default();
        samples.record("t.py::b[\"x\"]", 0.25);
        samples.record("t.py::a", 1.0);
        samples.record("t.py::a", 1.5);
        samples.record_job(0.8);
        samples.record_file("t.py", 0.5);
        let text = samples.to_json();
        assert_eq!(
            text,
            "{\n  \"version\": 2,\n  \"job\": [0.8],\n  \"listing\": [],\n  \"files\": {\n    \"t.py\": [0.5]\n  },\n  \"samples\": {\n    \"t.py::a\": [1.0,1.5],\n    \"t.py::b[\\\"x\\\"]\": [0.25]\n  }\n}\n"
        );
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Samples::read(&path).unwrap(), samples);
        assert_eq!(
            Samples::default().to_json(),
            "{\n  \"version\": 2,\n  \"job\": [],\n  \"listing\": [],\n  \"files\": {},\n  \"samples\": {}\n}\n"
        );
        // Version 1, before costs, still reads.
        std::fs::write(&path, "{\"version\": 1, \"samples\": {\"a\": [1]}}").unwrap();
        assert_eq!(Samples::read(&path).unwrap().tests["a"], [1.0][..]);
        for bad in [
            "[]",
            "{\"version\": 3, \"samples\": {}}",
            "{\"version\": 1, \"samples\": {}, \"job\": [1]}",
            "{\"version\": 2, \"samples\": {}, \"job\": [1,2,3,4,5,6]}",
            "{\"version\": 2, \"samples\": {}, \"files\": {\"a.py\": [-1]}}",
            "{\"version\": 2, \"samples\": {}, \"files\": {\"\": [1]}}",
            "{\"version\": 1, \"samples\": {\"a\": []}}",
            "{\"version\": 1, \"samples\": {\"a\": [1,2,3,4,5,6]}}",
            "{\"version\": 1, \"samples\": {\"a\": [-1]}}",
            "{\"version\": 1, \"samples\": {}, \"extra\": 1}",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = Samples::read(&path).unwrap_err().to_string();
            assert!(err.contains("is not a samples file"), "{bad}: {err}");
        }
        for (bad, says) in [
            (
                r#"{"version": 2, "samples": {}, "job": [-5]}"#,
                ": `job` holds -5",
            ),
            (
                r#"{"version": 2, "samples": {"a": [1, 2, 3, 4, 5, 6]}}"#,
                ": `samples` of `a` holds 6 durations",
            ),
            (r#"{"version": 7, "samples": {}}"#, ": it is version 7"),
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = Samples::read(&path).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn costs_are_the_medians_of_their_samples_and_prune_with_their_files() {
        let mut samples = Samples::default();
        for seconds in [1.0, 9.0, 1.2] {
            samples.record_job(seconds);
            samples.record_file("a.py", seconds / 10.0);
        }
        samples.record_file("gone.py", 1.0);
        samples.retain(|name| name != "gone.py");
        let costs = samples.costs();
        assert_eq!(costs.job, 1.2);
        assert_eq!(costs.files, [("a.py".to_string(), 0.12)].into());
        for n in 0..7 {
            samples.record_job(f64::from(n));
        }
        assert_eq!(samples.job, [2.0, 3.0, 4.0, 5.0, 6.0][..]);
    }
}
