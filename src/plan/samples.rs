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

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::input::{DURATIONS_FILE, read_regular};

/// How many measurements each test keeps.
pub(crate) const KEPT: usize = 5;

/// The file format's version.
const VERSION: u32 = 1;

/// Each test's last measurements, oldest first, in seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Samples {
    tests: BTreeMap<String, Vec<f64>>,
}

/// The samples file as JSON has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    samples: BTreeMap<String, Vec<f64>>,
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
        "`{}` is not a samples file of this bktec (version {VERSION}, an object of node ids to lists of at most {KEPT} durations); remove it to start the samples again",
        path.display()
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why, when JSON says.
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// The samples file of the durations file `durations`.
pub(crate) fn samples_path(durations: &Path) -> PathBuf {
    let mut name = durations.as_os_str().to_owned();
    name.push(".samples.json");
    PathBuf::from(name)
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
        let invalid = |source| SamplesError::Invalid {
            path: path.to_path_buf(),
            source,
        };
        let document: Document = serde_json::from_slice(&bytes).map_err(|e| invalid(Some(e)))?;
        let valid = document.version == VERSION
            && document.samples.iter().all(|(id, values)| {
                !id.is_empty()
                    && !values.is_empty()
                    && values.len() <= KEPT
                    && values
                        .iter()
                        .all(|s| (0.0..=super::durations::MAX_SECONDS).contains(s))
            });
        if !valid {
            return Err(invalid(None));
        }
        Ok(Samples {
            tests: document.samples,
        })
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
        values.push(seconds);
        if values.len() > KEPT {
            values.drain(..values.len() - KEPT);
        }
        median(values).unwrap_or(seconds)
    }

    /// Keeps only the tests `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.tests.retain(|id, _| keep(id));
    }

    /// The file's text: one test a line, sorted by node id, so that it
    /// diffs cleanly.
    pub(crate) fn to_json(&self) -> String {
        let mut text = format!("{{\n  \"version\": {VERSION},\n  \"samples\": {{");
        for (n, (id, values)) in self.tests.iter().enumerate() {
            let key = serde_json::to_string(id).expect("a string serializes");
            let values = serde_json::to_string(values).expect("numbers serialize");
            let comma = if n == 0 { "" } else { "," };
            let _ = write!(text, "{comma}\n    {key}: {values}");
        }
        if !self.tests.is_empty() {
            text.push_str("\n  ");
        }
        text.push_str("}\n}\n");
        text
    }
}

/// The median of `values`: the lower middle one of an even count.
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len().checked_sub(1)? / 2).copied()
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
        let text = samples.to_json();
        assert_eq!(
            text,
            "{\n  \"version\": 1,\n  \"samples\": {\n    \"t.py::a\": [1.0,1.5],\n    \"t.py::b[\\\"x\\\"]\": [0.25]\n  }\n}\n"
        );
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Samples::read(&path).unwrap(), samples);
        assert_eq!(
            Samples::default().to_json(),
            "{\n  \"version\": 1,\n  \"samples\": {}\n}\n"
        );
        for bad in [
            "[]",
            "{\"version\": 2, \"samples\": {}}",
            "{\"version\": 1, \"samples\": {\"a\": []}}",
            "{\"version\": 1, \"samples\": {\"a\": [1,2,3,4,5,6]}}",
            "{\"version\": 1, \"samples\": {\"a\": [-1]}}",
            "{\"version\": 1, \"samples\": {}, \"extra\": 1}",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = Samples::read(&path).unwrap_err().to_string();
            assert!(err.contains("is not a samples file"), "{bad}: {err}");
        }
    }
}
