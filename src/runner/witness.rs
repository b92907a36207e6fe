//! Installs bktec's pytest witness plugin (D23) where the test command's
//! pytest finds it: a directory on `PYTHONPATH` holding the plugin and a
//! `pytest11` entry point, so pytest loads it like any installed plugin.
//! When bktec sees that plugins do not load automatically
//! (`PYTEST_DISABLE_PLUGIN_AUTOLOAD`, `--disable-plugin-autoload`), the
//! plugin is named in `PYTEST_PLUGINS` as well, which pytest reads then too
//! (D36); pytest registers a plugin once by its name, so it never loads
//! twice. Where it cannot load (`python -I`, a command that sets its own
//! `PYTHONPATH`, a container that does not pass the environment), nothing
//! fails: bktec then judges the attempt by its result file alone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::results::{Progress, Witness};

/// The plugin's source.
const PLUGIN: &str = include_str!("bktec_witness.py");

/// The variable that tells the plugin where to write.
const OUTPUT_VAR: &str = "BKTEC_WITNESS";

/// The variable that names the tests a job was given, when discovery was
/// pytest's own: the plugin deselects every other test (issue #12).
const ALLOW_VAR: &str = "BKTEC_WITNESS_ALLOW";

/// The plugin's module name, as `PYTEST_PLUGINS` and `-p` name it.
const MODULE: &str = "bktec_witness";

/// The variable that names plugins pytest loads whatever autoloading says.
const PLUGINS_VAR: &str = "PYTEST_PLUGINS";

/// What bktec found in its environment about how pytest loads plugins.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PluginLoading<'a> {
    /// `PYTHONPATH`, kept after the plugin's directory.
    pub(super) python_path: Option<&'a str>,
    /// `PYTEST_PLUGINS`, which the plugin's name is appended to.
    pub(super) pytest_plugins: Option<&'a str>,
    /// Whether pytest will not load plugins automatically.
    pub(super) autoload_off: bool,
}

/// A directory holding the plugin, removed with it (D18).
#[derive(Debug)]
pub(super) struct WitnessSite {
    dir: TempDir,
    /// `PYTHONPATH` as bktec found it, kept after the plugin's directory.
    python_path: Option<String>,
    /// `PYTEST_PLUGINS` naming the plugin, when autoloading is off.
    pytest_plugins: Option<String>,
}

impl WitnessSite {
    /// Writes the plugin into a new temporary directory.
    pub(super) fn create(loading: PluginLoading<'_>) -> io::Result<WitnessSite> {
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
            python_path: loading
                .python_path
                .filter(|p| !p.is_empty())
                .map(String::from),
            pytest_plugins: loading
                .autoload_off
                .then(|| plugins_with_witness(loading.pytest_plugins)),
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
        let mut env = vec![
            ("PYTHONPATH".to_string(), python_path),
            (
                OUTPUT_VAR.to_string(),
                self.report(run).display().to_string(),
            ),
        ];
        if let Some(plugins) = &self.pytest_plugins {
            env.push((PLUGINS_VAR.to_string(), plugins.clone()));
        }
        env
    }

    /// Writes the tests (key, node id) the first attempt may run; returns the variable
    /// that tells the plugin where they are.
    pub(super) fn allow(&self, tests: &[(String, String)]) -> io::Result<(String, String)> {
        let path = self.dir.path().join("allowed.json");
        let json = serde_json::to_string(tests).expect("strings serialize");
        fs::write(&path, json)?;
        Ok((ALLOW_VAR.to_string(), path.display().to_string()))
    }

    /// What the plugin recorded for `run`, if it wrote anything; a file it
    /// wrote that cannot be read is a run cut short. The file is removed
    /// once read, so a later run can never see it.
    pub(super) fn take(&self, run: &str) -> Option<Witness> {
        let path = self.report(run);
        // A file the plugin wrote but bktec cannot read proves nothing: the
        // run is cut short (D37), never taken for one without the plugin.
        let witness = path
            .exists()
            .then(|| Witness::read(&path).unwrap_or_else(Witness::cut_short));
        remove_quietly(&path);
        witness
    }

    /// Which tests of `run` the plugin saw start and end (D48), if it
    /// wrote anything; removed once read, like the witness.
    pub(super) fn take_progress(&self, run: &str) -> Option<Progress> {
        let mut path = self.report(run).into_os_string();
        path.push(".progress");
        let path = PathBuf::from(path);
        let progress = Progress::read(&path);
        remove_quietly(&path);
        progress
    }
}

/// `PYTEST_PLUGINS` as the user set it, with the plugin appended (pytest
/// reads a comma-separated list), unless it is named already.
fn plugins_with_witness(user: Option<&str>) -> String {
    let user = user.map(str::trim).unwrap_or_default();
    if user.split(',').any(|name| name.trim() == MODULE) {
        user.to_string()
    } else if user.is_empty() {
        MODULE.to_string()
    } else {
        format!("{user},{MODULE}")
    }
}

fn remove_quietly(path: &Path) {
    let _ = fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugins(loading: PluginLoading<'_>) -> Option<String> {
        let site = WitnessSite::create(loading).unwrap();
        site.env("x")
            .into_iter()
            .find(|(k, _)| k == PLUGINS_VAR)
            .map(|(_, v)| v)
    }

    /// With autoloading off, the plugin is named in `PYTEST_PLUGINS`, after
    /// the user's own plugins and only once (D36); with it on, the entry
    /// point loads it and `PYTEST_PLUGINS` is left alone.
    #[test]
    fn pytest_plugins_names_the_witness_only_when_autoloading_is_off() {
        let off = |user| PluginLoading {
            pytest_plugins: user,
            autoload_off: true,
            ..PluginLoading::default()
        };
        assert_eq!(plugins(off(None)).as_deref(), Some("bktec_witness"));
        assert_eq!(
            plugins(off(Some("a.b, c"))).as_deref(),
            Some("a.b, c,bktec_witness")
        );
        assert_eq!(
            plugins(off(Some("bktec_witness,x"))).as_deref(),
            Some("bktec_witness,x")
        );
        let on = PluginLoading {
            pytest_plugins: Some("a"),
            ..PluginLoading::default()
        };
        assert_eq!(plugins(on), None);
    }
}
