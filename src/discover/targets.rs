//! Where a run's targets come from (behaviour document 5.1).

use std::path::{Path, PathBuf};

use super::rows::{RowFileError, read_rows};
use super::walk::{WalkOptions, walk};
use crate::config::resolve::{RunSettings, Sourced};
use crate::glob::Pattern;
use crate::runner::{
    CollectedExample, CollectionStats, GoFlags, PytestDiscoveryError, Runner, RunnerKind, Targets,
    go_flags, go_module,
};

/// Where the targets came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSource {
    /// `--selector-file`.
    SelectorFile(Sourced<PathBuf>),
    /// `--files`.
    FilesList(Sourced<PathBuf>),
    /// `go list`, for gotest.
    GoList,
    /// What pytest collects with the project's own configuration
    /// (`files.discovery = "pytest"`, issue #12).
    Pytest {
        /// The collection command, as run.
        command: String,
        /// Every test it collected, in pytest's order: the planner splits
        /// files with these, and the first attempt is limited to them.
        collected: Vec<CollectedExample>,
    },
    /// The zzglob walk.
    Walk {
        /// The include pattern.
        pattern: Sourced<String>,
        /// The exclude pattern.
        exclude: Sourced<String>,
    },
}

/// The discovered targets.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The targets, in the order they are sent for planning.
    pub targets: Vec<String>,
    /// Where they came from.
    pub source: TargetSource,
    /// Notices and walk problems; discovery went on after each.
    pub warnings: Vec<String>,
}

/// Discovery by pytest (`files.discovery = "pytest"`, issue #12): the
/// files of what `runner`'s own pytest collects in `cwd`, filtered by the
/// include and exclude patterns when the user set them; with what the
/// collection found, for the caller to report.
pub(crate) fn discover_with_pytest(
    runner: &Runner,
    settings: &RunSettings,
    cwd: &Path,
) -> Result<(Discovery, CollectionStats), DiscoverError> {
    let include = settings
        .include_pattern
        .as_ref()
        .filter(|p| p.origin.set_by_user());
    let exclude = Some(&settings.exclude_pattern)
        .filter(|p| p.origin.set_by_user() && !p.value.as_str().is_empty());
    let keep = |file: &str| {
        include.is_none_or(|p| p.value.matches(file))
            && exclude.is_none_or(|p| !p.value.matches(file))
    };
    let suite = runner.discover_suite(cwd, &keep)?;
    let discovery = Discovery {
        targets: suite.files,
        source: TargetSource::Pytest {
            command: suite.command,
            collected: suite.collected,
        },
        warnings: Vec::new(),
    };
    Ok((discovery, suite.stats))
}

/// Why discovery failed. Every variant exits 16.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The walk found nothing.
    #[error(
        "no files found with pattern \"{pattern}\" ({pattern_origin}) and exclude pattern \"{exclude}\" ({exclude_origin})"
    )]
    NoFiles {
        /// The include pattern.
        pattern: String,
        /// Where it came from, described.
        pattern_origin: String,
        /// The exclude pattern.
        exclude: String,
        /// Where it came from, described.
        exclude_origin: String,
    },
    /// The walk found a test file whose path is not UTF-8 (D36).
    #[error(
        "the test file `{path}` (found with pattern \"{pattern}\" from {pattern_origin}) has a name that is not UTF-8 (shown with its bad bytes as \\xNN): bktec names test files to the runner and to Test Engine as text, so it can neither run it nor leave it out. Rename it, or exclude it with an exclude pattern"
    )]
    NotUtf8 {
        /// The path, bad bytes written `\xNN`.
        path: String,
        /// The include pattern.
        pattern: String,
        /// Where it came from, described.
        pattern_origin: String,
    },
    /// A row file is unusable.
    #[error(transparent)]
    Rows(#[from] RowFileError),
    /// `go list` failed.
    #[error("go list failed: {message}")]
    GoList {
        /// What went wrong, with go's stderr.
        message: String,
    },
    /// `go list` did not run to its end: it could not start, ran past its
    /// deadline, or bktec received a signal (which then sets the status).
    #[error("go list failed")]
    GoListStopped(#[source] crate::process::ProcessError),
    /// `go list` found no package with tests.
    #[error("no Go packages with tests found using `go list`")]
    NoGoPackages,
    /// Discovery by pytest failed.
    #[error(transparent)]
    Pytest(#[from] PytestDiscoveryError),
    /// The runner has no include pattern and no row file was given.
    #[error(
        "the {runner} runner has no test file pattern; set one, or a files list or selector file"
    )]
    NoPattern {
        /// The runner.
        runner: RunnerKind,
    },
}

/// Finds this run's targets. `base` is the working directory. The patterns
/// were compiled by `resolve`, so a bad one is a configuration error.
pub fn discover(settings: &RunSettings, base: &Path) -> Result<Discovery, DiscoverError> {
    if let Some(file) = &settings.selector_file {
        return Ok(Discovery {
            targets: read_rows(file)?,
            source: TargetSource::SelectorFile(file.clone()),
            warnings: Vec::new(),
        });
    }
    if let Some(file) = &settings.files_list {
        let mut targets = read_rows(file)?;
        if settings.runner.targets() == Targets::GoPackages {
            targets = go_import_paths(targets, base);
        }
        return Ok(Discovery {
            targets,
            source: TargetSource::FilesList(file.clone()),
            warnings: Vec::new(),
        });
    }
    match settings.runner.targets() {
        Targets::GoPackages => {
            // The test command's build flags decide which packages build
            // and hold tests (`-tags=integration`, D38).
            let flags = settings
                .test_command
                .as_ref()
                .map(|command| go_flags(&command.value))
                .unwrap_or_default();
            return go_list(base, settings.collection_timeout, &flags);
        }
        Targets::Walk => {}
    }
    let mut warnings = Vec::new();
    if settings.runner.is_user_defined() {
        warnings.push(
            "Buildkite Test Engine Client: --selector-file (or BUILDKITE_TEST_ENGINE_SELECTOR_FILE) is not set for the custom runner. Discovering selector values with the configured test file pattern.".to_string(),
        );
    }
    let Some(pattern) = &settings.include_pattern else {
        return Err(DiscoverError::NoPattern {
            runner: settings.runner,
        });
    };
    let exclude = &settings.exclude_pattern;
    let options = WalkOptions {
        skip_hidden_and_venvs: settings.runner.skips_hidden_and_venv_dirs(),
    };
    let output = walk(base, &pattern.value, &exclude.value, options);
    if let Some(path) = output.unnamable.into_iter().next() {
        return Err(DiscoverError::NotUtf8 {
            path,
            pattern: pattern.value.as_str().to_string(),
            pattern_origin: pattern.origin.describe(),
        });
    }
    warnings.extend(output.warnings);
    if output.files.is_empty() {
        return Err(DiscoverError::NoFiles {
            pattern: pattern.value.as_str().to_string(),
            pattern_origin: pattern.origin.describe(),
            exclude: exclude.value.as_str().to_string(),
            exclude_origin: exclude.origin.describe(),
        });
    }
    Ok(Discovery {
        targets: output.files,
        source: TargetSource::Walk {
            pattern: as_text(pattern),
            exclude: as_text(exclude),
        },
        warnings,
    })
}

/// A pattern as written, with its origin.
fn as_text(pattern: &Sourced<Pattern>) -> Sourced<String> {
    Sourced {
        value: pattern.value.as_str().to_string(),
        origin: pattern.origin.clone(),
    }
}

/// Package directories in a files list (`./cart`, `.`) as import paths
/// under the module of `base`'s `go.mod`: go test names its results by
/// import path, and a target is matched to its results by name (D23).
/// Without a `go.mod` module line, the rows are kept as they are.
fn go_import_paths(rows: Vec<String>, base: &Path) -> Vec<String> {
    let Some(module) = go_module(base) else {
        return rows;
    };
    rows.into_iter()
        .map(|row| {
            let relative = row.trim_end_matches('/');
            if relative == "." {
                module.clone()
            } else if let Some(dir) = relative.strip_prefix("./") {
                format!("{module}/{}", dir.trim_start_matches("./"))
            } else {
                row
            }
        })
        .collect()
}

/// gotest targets are the packages with tests, from `go list` (5.1) with
/// the test command's build flags and the variables it sets (`GOFLAGS` is
/// inherited), which may take until `deadline`
/// (`runner.collection-timeout`: it may download modules first).
fn go_list(
    base: &Path,
    deadline: std::time::Duration,
    flags: &GoFlags,
) -> Result<Discovery, DiscoverError> {
    let mut command = std::process::Command::new(&flags.go);
    // `-C`, when the command has it, must come first.
    command
        .arg("list")
        .args(&flags.build)
        .args([
            "-f",
            "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}",
            "./...",
        ])
        .envs(flags.env.iter().map(|(name, value)| (name, value)))
        .current_dir(base);
    // A helper child (`process::output`): ended when bktec receives an
    // ending signal (the error then carries it, and bktec exits 128 + n,
    // D33).
    let output = crate::process::output(
        &mut command,
        crate::process::HelperOptions {
            deadline: Some(deadline),
            ..Default::default()
        },
    )
    .map_err(DiscoverError::GoListStopped)?;
    if !output.status.success() {
        // The flags came from the test command: say so, as they may be
        // what go refused.
        let with = if flags.build.is_empty() {
            String::new()
        } else {
            format!(" (with the test command's `{}`)", flags.build.join(" "))
        };
        return Err(DiscoverError::GoList {
            message: format!(
                "{}{with}\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    let targets: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if targets.is_empty() {
        return Err(DiscoverError::NoGoPackages);
    }
    Ok(Discovery {
        targets,
        source: TargetSource::GoList,
        warnings: Vec::new(),
    })
}
