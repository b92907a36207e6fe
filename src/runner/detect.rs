//! How `bktec init` recognises the runner a project uses: each runner's
//! `Framework` names one of these functions (`Init::detect`), and
//! [`detect`] tries them in rank order.

use std::fs;
use std::path::Path;

use super::RunnerKind;
use super::framework::Detect;

/// Files that show a project is tested with pytest, in the order they are
/// looked for.
pub(crate) const PYTEST_MARKERS: [&str; 6] = [
    "pytest.ini",
    "conftest.py",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "setup.py",
];

/// The runner the files in `dir` point to, and what said so
/// (`` `go.mod` ``): the first runner, by rank, that recognises it.
pub(crate) fn detect(dir: &Path) -> Option<(RunnerKind, String)> {
    let mut candidates: Vec<(RunnerKind, Detect)> = RunnerKind::ALL
        .iter()
        .filter_map(|&kind| Some((kind, kind.framework().init.detect?)))
        .collect();
    candidates.sort_by_key(|(_, detect)| detect.rank);
    candidates
        .into_iter()
        .find_map(|(kind, detect)| (detect.finds)(dir).map(|why| (kind, why)))
}

/// `"<name>" in `package.json`` when the project's `package.json` names
/// the package `name`.
fn package_dependency(dir: &Path, name: &str) -> Option<String> {
    let package = fs::read_to_string(dir.join("package.json")).ok()?;
    let quoted = format!("\"{name}\"");
    package
        .contains(&quoted)
        .then(|| format!("{quoted} in `package.json`"))
}

pub(super) fn playwright_project(dir: &Path) -> Option<String> {
    package_dependency(dir, "@playwright/test")
}

pub(super) fn cypress_project(dir: &Path) -> Option<String> {
    package_dependency(dir, "cypress")
}

pub(super) fn vitest_project(dir: &Path) -> Option<String> {
    package_dependency(dir, "vitest")
}

pub(super) fn jest_project(dir: &Path) -> Option<String> {
    package_dependency(dir, "jest")
}

pub(super) fn go_project(dir: &Path) -> Option<String> {
    dir.join("go.mod").exists().then(|| "`go.mod`".to_string())
}

pub(super) fn rspec_project(dir: &Path) -> Option<String> {
    let found = dir.join(".rspec").exists()
        || dir.join("spec/spec_helper.rb").exists()
        || holds(&dir.join("spec"), "_spec.rb");
    found.then(|| "`spec/`".to_string())
}

pub(super) fn cucumber_project(dir: &Path) -> Option<String> {
    holds(&dir.join("features"), ".feature").then(|| "`features/`".to_string())
}

pub(super) fn pytest_project(dir: &Path) -> Option<String> {
    PYTEST_MARKERS
        .iter()
        .find(|marker| dir.join(marker).is_file())
        .map(|marker| format!("`{marker}`"))
}

/// Whether `dir` or a directory in it holds a file whose name ends with
/// `suffix`.
fn holds(dir: &Path, suffix: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            fs::read_dir(&path).is_ok_and(|inner| {
                inner
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(suffix))
            })
        } else {
            entry.file_name().to_string_lossy().ends_with(suffix)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runner `bktec init` detects in a directory holding `files`.
    fn runner(files: &[(&str, &str)]) -> Option<RunnerKind> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        detect(dir.path()).map(|(kind, _)| kind)
    }

    fn package(dep: &str) -> String {
        format!("{{\"devDependencies\": {{\"{dep}\": \"1\"}}}}")
    }

    #[test]
    fn each_runner_is_detected_by_its_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path()), None);
        fs::write(dir.path().join("pyproject.toml"), "").unwrap();
        assert_eq!(
            detect(dir.path()),
            Some((RunnerKind::Pytest, "`pyproject.toml`".to_string()))
        );
        for (files, kind) in [
            (
                vec![("go.mod", "module m\n".to_string())],
                RunnerKind::Gotest,
            ),
            (
                vec![("spec/shop/cart_spec.rb", String::new())],
                RunnerKind::Rspec,
            ),
            (
                vec![("features/a.feature", String::new())],
                RunnerKind::Cucumber,
            ),
            (vec![("package.json", package("jest"))], RunnerKind::Jest),
            (
                vec![("package.json", package("vitest"))],
                RunnerKind::Vitest,
            ),
            (
                vec![("package.json", package("@playwright/test"))],
                RunnerKind::Playwright,
            ),
            (
                vec![("package.json", package("cypress"))],
                RunnerKind::Cypress,
            ),
        ] {
            let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
            assert_eq!(runner(&files), Some(kind), "{files:?}");
        }
    }

    #[test]
    fn the_lowest_rank_wins() {
        // package.json names the runner more surely than a spec/ directory
        // or a pytest marker does; among JavaScript runners, Playwright
        // and Cypress first (a project may also use Jest for unit tests).
        let both = r#"{"devDependencies": {"jest": "1", "@playwright/test": "1"}}"#;
        assert_eq!(
            runner(&[
                ("package.json", both),
                ("spec/a_spec.rb", ""),
                ("setup.py", "")
            ]),
            Some(RunnerKind::Playwright)
        );
        assert_eq!(
            runner(&[("go.mod", ""), ("spec/a_spec.rb", ""), ("setup.py", "")]),
            Some(RunnerKind::Gotest)
        );
    }
}
