//! Discovery by pytest itself (`files.discovery = "pytest"`, issue #12):
//! the targets are the files of what `pytest --collect-only` collects with
//! the project's own configuration (`testpaths`, `python_files`, `addopts`,
//! `collect_ignore`, doctests) and the test command's own program and
//! options (D13), so that the jobs together run what a plain `pytest` would.
//!
//! Nothing here prints: the result carries what the caller may report
//! ([`CollectionStats`]), and every failure is a [`PytestDiscoveryError`].

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use super::pytest_collect::{CollectError, CollectedExample};
use super::setup::Runner;

/// Why discovery by pytest found no targets it could use.
#[derive(Debug, thiserror::Error)]
pub enum PytestDiscoveryError {
    /// pytest's collection failed: a collection error, or pytest did not
    /// start.
    #[error("`{command}` failed")]
    Collection {
        /// The collection command.
        command: String,
        /// What went wrong, with pytest's output.
        #[source]
        source: CollectError,
    },
    /// bktec's pytest plugin did not load in the collection.
    #[error(
        "`{command}` ran without bktec's pytest plugin, which discovery by pytest needs: it keeps each job to the tests pytest collected. bktec puts the plugin on PYTHONPATH: a PYTHONPATH the command sets must keep bktec's (`PYTHONPATH=src:$PYTHONPATH`), and `python -I` ignores it: drop `-I`. Where plugin autoloading is turned off out of bktec's sight (an ini file's `addopts`, a script), add `-p bktec_witness` to the test command. Or use `--discovery pattern`"
    )]
    NoWitness {
        /// The collection command.
        command: String,
    },
    /// The test command turns bktec's pytest plugin off.
    #[error(
        "`{command}` turns bktec's pytest plugin off (`-p no:bktec_witness`), which discovery by pytest needs: it keeps each job to the tests pytest collected. Remove that option, or use `--discovery pattern`"
    )]
    WitnessDisabled {
        /// The collection command.
        command: String,
    },
    /// pytest collected a test that is not in a file bktec can name.
    #[error(
        "pytest collected `{node_id}`, which is not in a file that bktec can give to a job (its file: `{file}`); discovery by pytest can only split tests that live in files. Use `--discovery pattern`, or a files list"
    )]
    NotInAFile {
        /// The node id.
        node_id: String,
        /// The file bktec looked for.
        file: String,
    },
}

/// What the collection found, for the caller to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CollectionStats {
    /// The tests collected.
    pub(crate) tests: usize,
    /// The files that hold them.
    pub(crate) files: usize,
    /// The files the caller's filter left out.
    pub(crate) left_out: usize,
    /// How long the collection took.
    pub(crate) took: Duration,
}

/// The suite as pytest collects it, grouped into files.
#[derive(Clone, Debug)]
pub(crate) struct PytestSuite {
    /// The collection command, as run.
    pub(crate) command: String,
    /// The files kept, in pytest's order.
    pub(crate) files: Vec<String>,
    /// The tests of the files kept, in pytest's order.
    pub(crate) collected: Vec<CollectedExample>,
    /// What the collection found.
    pub(crate) stats: CollectionStats,
}

impl Runner {
    /// Collects the suite with the test command's own pytest, run in `cwd`,
    /// and groups its tests into files, in pytest's order; `keep` filters
    /// the files (the include and exclude patterns the user set).
    pub(crate) fn discover_suite(
        &self,
        cwd: &Path,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<PytestSuite, PytestDiscoveryError> {
        let started = Instant::now();
        let (command, collected) = self.collect_suite();
        let took = started.elapsed();
        let collected = match collected {
            Ok(collected) => collected.unwrap_or_default(),
            Err(source) => return Err(PytestDiscoveryError::Collection { command, source }),
        };
        self.check_witness(&collected, &command)?;
        let files = self.files_of(cwd, &collected)?;
        let kept: Vec<String> = files
            .iter()
            .filter(|f| keep(f))
            .map(|f| f.to_string())
            .collect();
        let stats = CollectionStats {
            tests: collected.len(),
            files: files.len(),
            left_out: files.len() - kept.len(),
            took,
        };
        // Only the tests of the files kept are this run's.
        let wanted: HashSet<&str> = kept.iter().map(String::as_str).collect();
        let collected: Vec<CollectedExample> = collected
            .iter()
            .filter(|e| wanted.contains(e.file.as_str()))
            .cloned()
            .collect();
        Ok(PytestSuite {
            command,
            files: kept,
            collected,
            stats,
        })
    }

    /// Without bktec's pytest plugin, naming a file could run tests that a
    /// plain pytest does not, and a test lost between processes would go
    /// unnoticed: discovery by pytest needs it.
    fn check_witness(
        &self,
        collected: &[CollectedExample],
        command: &str,
    ) -> Result<(), PytestDiscoveryError> {
        if !collected.iter().any(|e| e.key.is_empty()) {
            return Ok(());
        }
        let disabled = self
            .test
            .program_words()
            .iter()
            .any(|w| w == "no:bktec_witness" || w == "-pno:bktec_witness");
        let command = command.to_string();
        Err(if disabled {
            PytestDiscoveryError::WitnessDisabled { command }
        } else {
            PytestDiscoveryError::NoWitness { command }
        })
    }

    /// The files of the collected tests, in pytest's order. A test that no
    /// file holds cannot be given to a job.
    fn files_of<'a>(
        &self,
        cwd: &Path,
        collected: &'a [CollectedExample],
    ) -> Result<Vec<&'a str>, PytestDiscoveryError> {
        let mut files: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for example in collected {
            let file = example.file.as_str();
            if !seen.insert(file) {
                continue;
            }
            // A script may `cd` first: its paths are its own.
            if file.is_empty() || (!self.runs_script() && !cwd.join(file).is_file()) {
                return Err(PytestDiscoveryError::NotInAFile {
                    node_id: example.node_id.clone(),
                    file: file.to_string(),
                });
            }
            files.push(file);
        }
        Ok(files)
    }
}
