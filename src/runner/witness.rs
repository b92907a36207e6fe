//! Installs bktec's pytest witness plugin (D23) where the test command's
//! pytest finds it: a directory on `PYTHONPATH` holding the plugin and a
//! `pytest11` entry point, so pytest loads it like any installed plugin.
//! Where it cannot load (`python -I`, `PYTEST_DISABLE_PLUGIN_AUTOLOAD`, a
//! container that does not pass the environment), nothing fails: bktec then
//! judges the attempt by its result file alone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::results::Witness;

/// The plugin's source.
const PLUGIN: &str = include_str!("bktec_witness.py");

/// The variable that tells the plugin where to write.
const OUTPUT_VAR: &str = "BKTEC_WITNESS";

/// The variable that names the tests a job was given, when discovery was
/// pytest's own: the plugin deselects every other test (issue #12).
const ALLOW_VAR: &str = "BKTEC_WITNESS_ALLOW";

/// A directory holding the plugin, removed with it (D18).
#[derive(Debug)]
pub(super) struct WitnessSite {
    dir: TempDir,
    /// `PYTHONPATH` as bktec found it, kept after the plugin's directory.
    python_path: Option<String>,
}

impl WitnessSite {
    /// Writes the plugin into a new temporary directory.
    pub(super) fn create(python_path: Option<&str>) -> io::Result<WitnessSite> {
        let dir = tempfile::Builder::new()
            .prefix("bktec-witness-")
            .tempdir()?;
        fs::write(dir.path().join("bktec_witness.py"), PLUGIN)?;
        let info = dir.path().join("bktec_witness-1.dist-info");
        fs::create_dir(&info)?;
        fs::write(
            info.join("METADATA"),
            "Metadata-Version: 2.1\nName: bktec-witness\nVersion: 1\n",
        )?;
        fs::write(
            info.join("entry_points.txt"),
            "[pytest11]\nbktec_witness = bktec_witness\n",
        )?;
        Ok(WitnessSite {
            dir,
            python_path: python_path.filter(|p| !p.is_empty()).map(String::from),
        })
    }

    /// Where the plugin writes for `run` (an attempt number, or a name).
    fn report(&self, run: &str) -> PathBuf {
        self.dir.path().join(format!("witness-{run}.json"))
    }

    /// The variables that load the plugin and tell it to write for `run`.
    pub(super) fn env(&self, run: &str) -> Vec<(String, String)> {
        let site = self.dir.path().display().to_string();
        let python_path = match &self.python_path {
            Some(rest) => format!("{site}:{rest}"),
            None => site,
        };
        vec![
            ("PYTHONPATH".to_string(), python_path),
            (
                OUTPUT_VAR.to_string(),
                self.report(run).display().to_string(),
            ),
        ]
    }

    /// Writes the tests (key, node id) the first attempt may run; returns the variable
    /// that tells the plugin where they are.
    pub(super) fn allow(&self, tests: &[(String, String)]) -> io::Result<(String, String)> {
        let path = self.dir.path().join("allowed.json");
        let json = serde_json::to_string(tests).expect("strings serialize");
        fs::write(&path, json)?;
        Ok((ALLOW_VAR.to_string(), path.display().to_string()))
    }

    /// What the plugin recorded for `run`, if it wrote anything. The file
    /// is removed once read, so a later run can never see it.
    pub(super) fn take(&self, run: &str) -> Option<Witness> {
        let path = self.report(run);
        let witness = Witness::read(&path);
        remove_quietly(&path);
        witness
    }
}

fn remove_quietly(path: &Path) {
    let _ = fs::remove_file(path);
}
