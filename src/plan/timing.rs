//! The timing record (D52): what one job's first attempt measured beyond its
//! tests' durations, written beside a result file the user named as
//! `<result file>.timing.json`, so that `bktec durations update` of a
//! build's result files learns the costs no test's duration holds.
//!
//! A job's wall time is its start-up, its files' own costs and its tests:
//!
//! ```text
//! wall = start-up + Σ files' own costs + Σ (test durations − moved)
//! ```
//!
//! where `moved` is what to take off a test's reported duration for its
//! own time: the set-up of fixtures wider than a function, which its
//! duration holds but which belongs to its file (module- and class-scoped)
//! or to the job (session-scoped), less what pytest did around it, which its
//! duration misses. The start-up is what the wall time holds beyond the
//! rest; the execute stage's timing module says how each part is measured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The first key of a timing record, and its version.
const MARK: &str = "bktec-timing";
const VERSION: u32 = 1;

/// What one job measured beyond its tests' durations, in seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JobTiming {
    /// The job's fixed start-up.
    pub(crate) startup: f64,
    /// Each file's own cost, keyed as the file part of its tests' history
    /// keys.
    pub(crate) files: BTreeMap<String, f64>,
    /// For each test (by its history key), what to take off its reported
    /// duration for its own time: the part that belongs to its file or to
    /// the job, less what pytest and its plugins did around it, which the
    /// duration misses (so it can be below zero).
    pub(crate) moved: BTreeMap<String, f64>,
    /// What listing the files to split took, when the job split files.
    pub(crate) listing: Option<f64>,
}

// Its numbers are measured or read from JSON, and never NaN.
impl Eq for JobTiming {}

/// The record as its file holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    #[serde(rename = "bktec-timing")]
    version: u32,
    /// The runner that measured it: a durations file serves one runner.
    runner: String,
    startup: f64,
    files: BTreeMap<String, f64>,
    moved: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listing: Option<f64>,
}

/// Why a timing record is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TimingError {
    /// It is not a record this bktec wrote.
    #[error(
        "`{}` is not a timing record of this bktec{detail} ({MARK} version {VERSION}: `runner`, `startup`, `files` and `moved`, in seconds from 0 to {}); write it again with `bktec run`, or leave it out",
        path.display(),
        super::durations::MAX_SECONDS
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, when JSON does not say: `: `startup` is -3`.
        detail: String,
        /// Why, when JSON says.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// Another runner measured it.
    #[error(
        "`{}` is the timing record of a {theirs} run, and this durations file is {ours}'s: keep one durations file for each runner (`--durations-file`)",
        path.display()
    )]
    OtherRunner {
        /// The file.
        path: PathBuf,
        /// The runner that wrote it.
        theirs: String,
        /// The runner of this update.
        ours: String,
    },
}

impl JobTiming {
    /// What an attempt that took `took`, whose tests' durations add up to
    /// `tests` seconds, measured with the witness's `files` and `moved`
    /// costs: its start-up is the rest of its wall time, never below zero
    /// (tests run side by side, by `pytest-xdist` or `go test`, can add up
    /// to more than it).
    pub(crate) fn measure(
        took: Duration,
        tests: f64,
        files: BTreeMap<String, f64>,
        moved: BTreeMap<String, f64>,
    ) -> JobTiming {
        let files_total: f64 = files.values().sum();
        let moved_total: f64 = moved.values().sum();
        let startup = took.as_secs_f64() - (tests - moved_total).max(0.0) - files_total;
        JobTiming {
            startup: if startup.is_finite() {
                startup.clamp(0.0, super::durations::MAX_SECONDS)
            } else {
                0.0
            },
            files,
            moved,
            listing: None,
        }
    }

    /// The record's text, measured by `runner`.
    pub(crate) fn to_json(&self, runner: &str) -> String {
        let record = Record {
            version: VERSION,
            runner: runner.to_string(),
            startup: self.startup,
            files: self.files.clone(),
            moved: self.moved.clone(),
            listing: self.listing,
        };
        let mut text = serde_json::to_string_pretty(&record).expect("numbers and maps serialize");
        text.push('\n');
        text
    }

    /// Whether `head`, the start of a file, is a timing record's.
    pub(crate) fn is_record(head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let rest = text.trim_start().strip_prefix('{').unwrap_or_default();
        rest.trim_start().starts_with(&format!("\"{MARK}\""))
    }

    /// Parses the record read from `path`, which `runner` must have
    /// measured.
    pub(crate) fn parse(bytes: &[u8], path: &Path, runner: &str) -> Result<JobTiming, TimingError> {
        let error = |detail, source| TimingError::Invalid {
            path: path.to_path_buf(),
            detail,
            source,
        };
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| error(String::new(), Some(e)))?;
        let timing = JobTiming {
            startup: record.startup,
            files: record.files,
            moved: record.moved,
            listing: record.listing,
        };
        if let Some(detail) = problem(record.version, &timing) {
            return Err(error(detail, None));
        }
        if record.runner != runner {
            return Err(TimingError::OtherRunner {
                path: path.to_path_buf(),
                theirs: record.runner,
                ours: runner.to_string(),
            });
        }
        Ok(timing)
    }
}

/// Why a timing record was not written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TimingWriteError {
    /// A file there is not a timing record: it is left alone.
    #[error("a file that is not a timing record is there")]
    Foreign,
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes `timing`, measured by `runner`, to `path` through a temporary
/// file beside it, unless a file there is not a timing record.
pub(crate) fn write_timing(
    path: &Path,
    timing: &JobTiming,
    runner: &str,
) -> Result<(), TimingWriteError> {
    if existing(path)? == Existing::Other {
        return Err(TimingWriteError::Foreign);
    }
    Ok(super::durations::replace_file(
        path,
        &timing.to_json(runner),
    )?)
}

/// Removes an earlier run's timing record at `path`, if there is one: a
/// file that is not a record is left alone.
pub(crate) fn remove_timing(path: &Path) -> Result<(), TimingWriteError> {
    // Only a record is removed; what cannot be read is no record.
    if matches!(existing(path), Ok(Existing::Record)) {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// What is at a timing record's path.
#[derive(PartialEq)]
enum Existing {
    /// Nothing.
    Nothing,
    /// A timing record.
    Record,
    /// Something else: a file that is not a record, a directory, a FIFO.
    Other,
}

/// What is at `path`; an error only when a regular file cannot be read.
fn existing(path: &Path) -> std::io::Result<Existing> {
    match crate::input::read_regular(path, crate::input::RESULT_FILE) {
        Ok(bytes) if JobTiming::is_record(&bytes) => Ok(Existing::Record),
        Ok(_) => Ok(Existing::Other),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Nothing),
        Err(err) if path.is_file() => Err(err),
        Err(_) => Ok(Existing::Other),
    }
}

/// What is wrong with a record of `version` holding `timing`, as `: what`.
fn problem(version: u32, timing: &JobTiming) -> Option<String> {
    let in_range = |s: f64| (0.0..=super::durations::MAX_SECONDS).contains(&s);
    if version != VERSION {
        return Some(format!(": it is version {version}"));
    }
    let single = [
        ("startup", Some(timing.startup)),
        ("listing", timing.listing),
    ];
    if let Some((key, value)) = single
        .into_iter()
        .find_map(|(key, value)| Some((key, value?)).filter(|&(_, v)| !in_range(v)))
    {
        return Some(format!(": `{key}` is {value}"));
    }
    // What a test's duration misses makes its `moved` negative.
    let maps = [
        ("files", &timing.files, false),
        ("moved", &timing.moved, true),
    ];
    for (name, map, signed) in maps {
        for (key, &value) in map {
            if key.is_empty() {
                return Some(format!(": `{name}` has an empty key"));
            }
            if !in_range(if signed { value.abs() } else { value }) {
                return Some(format!(": `{name}` gives `{key}` {value}"));
            }
        }
    }
    None
}

/// Where the timing record of the result file `result` goes.
pub(crate) fn timing_path(result: &Path) -> PathBuf {
    super::durations::beside(result, ".timing.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_up_is_what_the_wall_time_holds_beyond_files_and_tests() {
        let timing = JobTiming::measure(
            Duration::from_secs(10),
            7.0,
            [("a.py".to_string(), 1.5)].into(),
            [("a.py::t".to_string(), 1.0)].into(),
        );
        // 10 − (7 − 1) − 1.5
        assert_eq!(timing.startup, 2.5);
        // Tests run side by side: no start-up below zero.
        let parallel = JobTiming::measure(Duration::from_secs(1), 7.0, [].into(), [].into());
        assert_eq!(parallel.startup, 0.0);
    }

    #[test]
    fn a_record_reads_back_and_anything_else_is_refused_by_name() {
        let timing = JobTiming::measure(
            Duration::from_secs(3),
            1.0,
            [("a.py".to_string(), 0.5)].into(),
            [("a.py::t[\"x\"]".to_string(), 0.25)].into(),
        );
        let text = timing.to_json("pytest");
        assert!(JobTiming::is_record(text.as_bytes()), "{text}");
        assert!(!JobTiming::is_record(b"{\"a.py::t\": 1.0}"));
        assert!(!JobTiming::is_record(b"[]"));
        let path = Path::new("r.json.timing.json");
        assert_eq!(
            JobTiming::parse(text.as_bytes(), path, "pytest").unwrap(),
            timing
        );
        let err = JobTiming::parse(text.as_bytes(), path, "jest")
            .unwrap_err()
            .to_string();
        assert!(err.contains("the timing record of a pytest run"), "{err}");
        for bad in [
            "{\"bktec-timing\": 2, \"runner\": \"pytest\", \"startup\": 1, \"files\": {}, \"moved\": {}}",
            "{\"bktec-timing\": 1, \"runner\": \"pytest\", \"startup\": -1, \"files\": {}, \"moved\": {}}",
            "{\"bktec-timing\": 1, \"runner\": \"pytest\", \"startup\": 1, \"files\": {\"\": 1}, \"moved\": {}}",
            "{\"bktec-timing\": 1, \"runner\": \"pytest\", \"startup\": 1, \"files\": {}}",
            "{\"bktec-timing\": 1, \"startup\": 1, \"files\": {}, \"moved\": {}}",
            "{\"bktec-timing\": 1, \"runner\": \"pytest\", \"startup\": 1, \"files\": {}, \"moved\": {}, \"x\": 1}",
        ] {
            let err = JobTiming::parse(bad.as_bytes(), path, "pytest")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("`r.json.timing.json` is not a timing record"),
                "{bad}: {err}"
            );
        }
        for (bad, says) in [
            (
                r#"{"bktec-timing": 1, "runner": "pytest", "startup": -3, "files": {}, "moved": {}}"#,
                ": `startup` is -3",
            ),
            (
                r#"{"bktec-timing": 1, "runner": "pytest", "startup": 1, "files": {"a.py": -3}, "moved": {}}"#,
                ": `files` gives `a.py` -3",
            ),
            (
                r#"{"bktec-timing": 2, "runner": "pytest", "startup": 1, "files": {}, "moved": {}}"#,
                ": it is version 2",
            ),
        ] {
            let err = JobTiming::parse(bad.as_bytes(), path, "pytest")
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert_eq!(
            timing_path(Path::new("out/r.json")),
            Path::new("out/r.json.timing.json")
        );
    }
}
