//! Timing history (D31): pytest-split's `.test_durations`, a JSON object of
//! pytest node ids to seconds. Read for planning, merged and written back by
//! `bktec durations update` and `bktec run --store-durations`.

use crate::input::{DURATIONS_FILE, read_regular};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::samples::{Costs, Samples, SamplesError, samples_path};

/// Why a durations file is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DurationsError {
    /// The file could not be read (a named file that is missing included).
    #[error("failed to read durations file `{path}` (from {origin})")]
    Read {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not JSON.
    #[error("durations file `{path}` is not valid JSON (from {origin})")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// The JSON error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The file is JSON, but not an object of node ids to seconds.
    #[error("durations file `{path}` is not a valid durations file (from {origin})")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where its name came from, described.
        origin: String,
        /// What is wrong.
        #[source]
        problem: DurationsProblem,
    },
    /// The samples beside the file are unusable (D50).
    #[error(transparent)]
    Samples(#[from] SamplesError),
    /// The merged file could not be written.
    #[error("failed to write durations file `{path}`")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// What is wrong with a durations file's content.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DurationsProblem {
    /// The document is not an object.
    #[error("the document is {0}, not a JSON object of pytest node ids to seconds")]
    NotAnObject(&'static str),
    /// A value that is not a number.
    #[error("the duration of `{id}` is {found}, not a number of seconds")]
    NotANumber {
        /// The node id.
        id: String,
        /// What the value is.
        found: &'static str,
    },
    /// A negative duration.
    #[error("the duration of `{id}` is {value}, which is negative")]
    Negative {
        /// The node id.
        id: String,
        /// The value as the file writes it.
        value: String,
    },
    /// A duration too long to be a test's: a corrupt or foreign file (D27).
    #[error(
        "the duration of `{id}` is {value} seconds, longer than any test runs (at most {MAX_SECONDS} seconds, about 11 days)"
    )]
    TooLong {
        /// The node id.
        id: String,
        /// The value as the file writes it.
        value: String,
    },
    /// An empty node id.
    #[error("a node id is empty")]
    EmptyId,
}

/// The longest duration a test may have (D27: every number has a range),
/// so that sums over any history stay exact in microseconds.
pub(crate) const MAX_SECONDS: f64 = 1_000_000.0;

/// Where a durations file's name came from, and whether its absence is
/// said: the built-in default may be missing quietly (no history), a file
/// the user named is warned about (it does not exist yet) and the plan is
/// made without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DurationsSource {
    /// The file.
    pub path: PathBuf,
    /// Where its name came from, described.
    pub origin: String,
    /// Whether a missing file is warned about.
    pub required: bool,
}

/// Measured durations: node id to seconds, sorted by node id, each id
/// once. A sorted vector rather than a tree: a history of 100,000 tests is
/// read, planned from and dropped, and files are written sorted, so reading
/// is one pass.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Durations {
    tests: Vec<(String, f64)>,
    /// The measurements behind the durations, when they are being updated
    /// (D50); planning reads the durations and the costs alone.
    samples: Option<Samples>,
    /// The costs no test's duration holds (D52).
    costs: Costs,
}

impl Durations {
    /// Durations from `(node id, seconds)` pairs; later pairs replace earlier ones.
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, f64)>) -> Durations {
        let mut tests: Vec<(String, f64)> = pairs.into_iter().collect();
        // Stable, so equal ids keep their order; then the later one wins.
        tests.sort_by(|a, b| a.0.cmp(&b.0));
        tests.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 = later.1;
            }
            same
        });
        Durations {
            tests,
            samples: None,
            costs: Costs::default(),
        }
    }

    /// These durations with `costs`, as a samples file would give them.
    #[cfg(test)]
    pub(crate) fn with_costs(mut self, costs: Costs) -> Durations {
        self.costs = costs;
        self
    }

    /// The costs no test's duration holds (D52).
    pub(crate) fn costs(&self) -> &Costs {
        &self.costs
    }

    /// Records a job's measured costs (D52): its fixed start-up, its
    /// listing, and files' own costs by the file part of their tests' keys.
    /// Without samples (a history read to plan from), nothing is kept.
    pub(crate) fn record_costs(&mut self, timing: &super::JobTiming) {
        if let Some(samples) = &mut self.samples {
            samples.record_job(timing.startup);
            if let Some(listing) = timing.listing {
                samples.record_listing(listing);
            }
            let files = timing.files.iter().map(|(f, s)| (f.clone(), *s));
            for (file, seconds) in files {
                samples.record_file(&file, seconds);
            }
            self.costs = samples.costs();
        }
    }

    /// The node ids and their durations in seconds, sorted by node id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.tests.iter().map(|(id, s)| (id.as_str(), *s))
    }

    /// How many tests have a duration.
    pub(crate) fn len(&self) -> usize {
        self.tests.len()
    }

    /// Whether no test has a duration.
    pub(crate) fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    /// The duration of `id` in seconds.
    pub(crate) fn get(&self, id: &str) -> Option<f64> {
        self.tests
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
            .ok()
            .map(|at| self.tests[at].1)
    }

    /// Records measured durations. With samples (D50), each measurement
    /// joins its test's samples and the test's duration becomes their
    /// median; without, it replaces the old value.
    pub(crate) fn merge(&mut self, measured: impl IntoIterator<Item = (String, f64)>) {
        let old = std::mem::take(&mut self.tests);
        let mut samples = self.samples.take();
        let measured: Vec<(String, f64)> = match &mut samples {
            Some(samples) => measured
                .into_iter()
                .map(|(id, seconds)| {
                    let duration = samples.record(&id, seconds);
                    (id, duration)
                })
                .collect(),
            None => measured.into_iter().collect(),
        };
        let costs = std::mem::take(&mut self.costs);
        *self = Durations::from_pairs(old.into_iter().chain(measured));
        self.samples = samples;
        self.costs = costs;
    }

    /// Keeps only the tests that `keep` accepts; returns how many went.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) -> usize {
        let before = self.tests.len();
        self.tests.retain(|(id, _)| keep(id));
        if let Some(samples) = &mut self.samples {
            samples.retain(keep);
            self.costs = samples.costs();
        }
        before - self.tests.len()
    }

    /// A short, stable fingerprint of the history (FNV-1a over its
    /// canonical text), so that the jobs of one build can be seen to have
    /// planned from the same file (D20).
    pub(crate) fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        // The costs count too; a history without them keeps its print.
        let costs = if self.costs == Costs::default() {
            String::new()
        } else {
            format!("{:?}", self.costs)
        };
        for byte in self.to_json().bytes().chain(costs.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")[..12].to_string()
    }

    /// The file's text: pretty JSON, sorted by node id, ending in a newline,
    /// so that it diffs cleanly.
    pub(crate) fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(&AsMap(&self.tests)).expect("a map of numbers serializes");
        text.push('\n');
        text
    }

    /// Parses a durations document read from `path` (named by `origin`).
    pub(crate) fn parse(
        bytes: &[u8],
        path: &Path,
        origin: &str,
    ) -> Result<Durations, DurationsError> {
        // A byte order mark, as some Windows editors write, is not JSON.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // The common case, a valid file, straight into the map; anything
        // else is read again as a JSON value, for a message that names the
        // offending test.
        if let Ok(Pairs(tests)) = serde_json::from_slice::<Pairs>(bytes)
            && tests
                .iter()
                .all(|(id, s)| !id.is_empty() && (0.0..=MAX_SECONDS).contains(s))
        {
            return Ok(Durations::from_pairs(tests));
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|source| DurationsError::Parse {
                path: path.to_path_buf(),
                origin: origin.to_string(),
                source,
            })?;
        parse_value(value).map_err(|problem| DurationsError::Invalid {
            path: path.to_path_buf(),
            origin: origin.to_string(),
            problem,
        })
    }
}

fn parse_value(value: Value) -> Result<Durations, DurationsProblem> {
    let Value::Object(map) = value else {
        return Err(DurationsProblem::NotAnObject(kind(&value)));
    };
    let mut tests = BTreeMap::new();
    for (id, value) in map {
        if id.is_empty() {
            return Err(DurationsProblem::EmptyId);
        }
        let seconds = match &value {
            Value::Number(n) => n.as_f64().filter(|s| s.is_finite()),
            _ => None,
        };
        let Some(seconds) = seconds else {
            return Err(DurationsProblem::NotANumber {
                id,
                found: kind(&value),
            });
        };
        if seconds < 0.0 {
            return Err(DurationsProblem::Negative {
                id,
                value: value.to_string(),
            });
        }
        if seconds > MAX_SECONDS {
            return Err(DurationsProblem::TooLong {
                id,
                value: value.to_string(),
            });
        }
        tests.insert(id, seconds);
    }
    Ok(Durations {
        tests: tests.into_iter().collect(),
        samples: None,
        costs: Costs::default(),
    })
}

/// A JSON object of node ids to seconds, as pairs in the file's order.
struct Pairs(Vec<(String, f64)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Pairs, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of node ids to seconds")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry::<String, f64>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// Pairs written as a JSON object.
struct AsMap<'a>(&'a [(String, f64)]);

impl serde::Serialize for AsMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(id, s)| (id, s)))
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number out of range",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads the durations file of `source`: `None` when it does not exist
/// (no history yet, D31; the caller says so when the user named it); any
/// other failure, a malformed file above all, is an error.
pub(crate) fn read_durations(
    source: &DurationsSource,
) -> Result<Option<Durations>, DurationsError> {
    // A FIFO would block the read forever, a device never ends (D34).
    match read_regular(&source.path, DURATIONS_FILE) {
        Ok(bytes) => {
            let mut durations = Durations::parse(&bytes, &source.path, &source.origin)?;
            // D52: the costs beside it, which every job reads alike.
            let path = crate::glob::through_symlinks(&source.path);
            durations.costs = Samples::read(&samples_path(&path))?.costs();
            Ok(Some(durations))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(DurationsError::Read {
            path: source.path.clone(),
            origin: source.origin.clone(),
            source: err,
        }),
    }
}

/// Reads the durations file of `source` (a missing one is empty), lets
/// `apply` change it, and writes it back, holding a lock on its directory
/// throughout, so that updates running at once (one per job's result
/// files, say) each see the others' work. A symlink is followed, so the
/// file it points to is updated and the link is kept.
pub(crate) fn update_durations<R>(
    source: &DurationsSource,
    apply: impl FnOnce(&mut Durations) -> R,
) -> Result<R, DurationsError> {
    let path = crate::glob::through_symlinks(&source.path);
    let write_error = |source| DurationsError::Write {
        path: path.clone(),
        source,
    };
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    // A file named before it exists (`--durations-file ci/timings.json`)
    // gets its directory.
    fs::create_dir_all(&dir).map_err(write_error)?;
    let lock = fs::File::open(&dir).map_err(write_error)?;
    lock.lock().map_err(write_error)?;
    let current = DurationsSource {
        path: path.clone(),
        required: false,
        ..source.clone()
    };
    let mut durations = read_durations(&current)?.unwrap_or_default();
    // D50: the measurements behind the durations, made to agree with them.
    let samples_path = samples_path(&path);
    let mut samples = Samples::read(&samples_path)?;
    samples.reconcile(durations.iter());
    durations.costs = samples.costs();
    durations.samples = Some(samples);
    let result = apply(&mut durations);
    if let Some(samples) = &durations.samples {
        write_atomically(&samples_path, &samples.to_json())?;
    }
    write_atomically(&path, &durations.to_json())?;
    drop(lock);
    Ok(result)
}

/// Writes `text` to `path` (through a temporary file beside it, so a
/// failed write never leaves half a file), keeping the permissions of the
/// file it replaces.
fn write_atomically(path: &Path, text: &str) -> Result<(), DurationsError> {
    replace_file(path, text).map_err(|source| DurationsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `text` to `path` through a temporary file beside it, so a failed
/// write never leaves half a file, keeping the permissions of the file it
/// replaces and creating its directory.
pub(super) fn replace_file(path: &Path, text: &str) -> io::Result<()> {
    // A name of this process's own, so that writers running at once never
    // share (and truncate) one temporary file; the last rename wins whole.
    let temp = beside(path, &format!(".{}.tmp", std::process::id()));
    // A file named before it exists (`--durations-file ci/timings.json`)
    // gets its directory.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    fs::write(&temp, text)?;
    if let Ok(meta) = fs::metadata(path) {
        let _ = fs::set_permissions(&temp, meta.permissions());
    }
    // Never leave the temporary file behind when the rename fails.
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// `path` with `suffix` added to its name: the files kept beside another
/// (`.test_durations.samples.json`, `r.json.timing.json`).
pub(super) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ErrorChain;

    fn parse(text: &str) -> Result<Durations, DurationsError> {
        Durations::parse(
            text.as_bytes(),
            Path::new(".test_durations"),
            "built-in default",
        )
    }

    /// The error of parsing `text`, with its causes, on one line.
    fn parse_error(text: &str) -> String {
        format!("{:#}", ErrorChain(&parse(text).unwrap_err()))
    }

    #[test]
    fn reads_pytest_split_files_with_odd_node_ids() {
        let d = parse(
            r#"{"tests/test_a.py::test_x[a b-1]": 1.5, "tests/test_a.py::TestC::test_y[x::y]": 0,
                "tests/t b.py::test_z[\"q\"]": 2}"#,
        )
        .unwrap();
        assert_eq!(d.get("tests/test_a.py::test_x[a b-1]"), Some(1.5));
        assert_eq!(d.get("tests/test_a.py::TestC::test_y[x::y]"), Some(0.0));
        assert_eq!(d.get("tests/t b.py::test_z[\"q\"]"), Some(2.0));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn malformed_files_name_the_file_and_the_problem() {
        let err = parse_error("[1, 2]");
        assert!(
            err.contains("`.test_durations`") && err.contains("is an array"),
            "{err}"
        );
        let err = parse_error(r#"{"t.py::a": -1}"#);
        assert!(err.contains("`t.py::a` is -1, which is negative"), "{err}");
        let err = parse_error(r#"{"t.py::a": "1.0"}"#);
        assert!(err.contains("`t.py::a` is a string"), "{err}");
        let err = parse_error("{");
        assert!(err.contains("is not valid JSON"), "{err}");
        // D27: a value no test can take, and one JSON cannot hold.
        let err = parse_error(r#"{"t.py::a": 1e300}"#);
        assert!(
            err.contains("`t.py::a` is 1e+300 seconds, longer than"),
            "{err}"
        );
        let err = parse_error(r#"{"t.py::a": 1e999}"#);
        assert!(
            err.contains("is not valid JSON") || err.contains("out of range"),
            "{err}"
        );
        assert!(parse(&format!(r#"{{"t.py::a": {MAX_SECONDS}}}"#)).is_ok());
    }

    #[test]
    fn a_missing_file_is_no_history_and_a_directory_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut source = DurationsSource {
            path: dir.path().join(".test_durations"),
            origin: "built-in default".to_string(),
            required: false,
        };
        assert_eq!(read_durations(&source).unwrap(), None);
        // Issue 21, item 7: a named file that does not exist yet is no
        // history either (the app warns); one that cannot be read is an
        // error.
        source.required = true;
        assert_eq!(read_durations(&source).unwrap(), None);
        source.path = dir.path().to_path_buf();
        assert!(matches!(
            read_durations(&source),
            Err(DurationsError::Read { .. })
        ));
    }

    #[test]
    fn output_is_sorted_pretty_and_stable() {
        let mut d = Durations::from_pairs([("b::t".to_string(), 2.0), ("a::t".to_string(), 1.0)]);
        d.merge([("b::t".to_string(), 0.5), ("c::t".to_string(), 3.25)]);
        assert_eq!(
            d.to_json(),
            "{\n  \"a::t\": 1.0,\n  \"b::t\": 0.5,\n  \"c::t\": 3.25\n}\n"
        );
        assert_eq!(parse(&d.to_json()).unwrap(), d);
    }
}
