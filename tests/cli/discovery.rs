//! Discovery walks on generated trees (behaviour document 5.3, 5.5, 5.7;
//! D7-D11), through the library and through `bktec list`.

use std::os::unix::fs::symlink;
use std::path::Path;

use bktec::discover::{WalkOptions, walk};
use bktec::glob::Pattern;

use crate::support::TestDir;

fn files(base: &Path, include: &str, exclude: &str, pytest: bool) -> (Vec<String>, Vec<String>) {
    let out = walk(
        base,
        &Pattern::parse(include, None).unwrap(),
        &Pattern::parse(exclude, None).unwrap(),
        WalkOptions {
            skip_hidden_and_venvs: pytest,
        },
    );
    (out.files, out.warnings)
}

/// Case 53 and 54's tree, with `cid` a symlink to `cod`.
fn zzglob_fixture(dir: &TestDir) {
    for f in [
        "fixtures/a/b/cad/m",
        "fixtures/a/b/cd/elf/g/j/absurdity/m",
        "fixtures/a/b/cod/erf/h/k/m",
        "fixtures/a/b/cod/erf/h/k/n/m",
        "fixtures/a/b/cod/erf/x/k/m",
        "fixtures/m",
    ] {
        dir.write(f, "");
    }
    symlink("cod", dir.path().join("fixtures/a/b/cid")).unwrap();
}

#[test]
fn case_53_walks_symlinked_directories_in_sorted_pre_order() {
    let dir = TestDir::new();
    zzglob_fixture(&dir);
    let (got, warnings) = files(
        dir.path(),
        "fixtures/a/b/c*d/e?f/[ghi]/{j,k,l}/**/m",
        "",
        false,
    );
    assert_eq!(
        got,
        [
            "fixtures/a/b/cd/elf/g/j/absurdity/m",
            "fixtures/a/b/cid/erf/h/k/m",
            "fixtures/a/b/cid/erf/h/k/n/m",
            "fixtures/a/b/cod/erf/h/k/m",
            "fixtures/a/b/cod/erf/h/k/n/m",
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn case_55_empty_root_and_broken_symlinks() {
    let dir = TestDir::new();
    zzglob_fixture(&dir);
    dir.write("fixtures/spec/snake.txt", "");
    symlink("nowhere", dir.path().join("fixtures/spec/borked")).unwrap();
    let base = dir.path().join("fixtures");
    let (got, warnings) = files(&base, "**/m", "", false);
    assert_eq!(
        got,
        [
            "a/b/cad/m",
            "a/b/cd/elf/g/j/absurdity/m",
            "a/b/cid/erf/h/k/m",
            "a/b/cid/erf/h/k/n/m",
            "a/b/cid/erf/x/k/m",
            "a/b/cod/erf/h/k/m",
            "a/b/cod/erf/h/k/n/m",
            "a/b/cod/erf/x/k/m",
            "m",
        ]
    );
    // The broken symlink could still match (`spec/borked/m`), so it is reported.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("Error walking at path \"spec/borked\": "),
        "{warnings:?}"
    );
}

#[test]
fn case_56_directory_symlinks_are_walked_not_collected() {
    let dir = TestDir::new();
    dir.write("fixtures/root/a/b/real_dir/c/result.txt", "");
    symlink("real_dir", dir.path().join("fixtures/root/a/b/link")).unwrap();
    let (got, _) = files(dir.path(), "fixtures/root/**/*", "", false);
    assert_eq!(
        got,
        [
            "fixtures/root/a/b/link/c/result.txt",
            "fixtures/root/a/b/real_dir/c/result.txt"
        ]
    );
}

#[test]
fn a_directory_is_visited_before_its_later_siblings() {
    // `a/…` precedes `a-c` although `a-c` < `a/b` as strings (5.5).
    let dir = TestDir::new();
    dir.write("a/test_x.py", "");
    dir.write("a-c/test_y.py", "");
    dir.write("test_z.py", "");
    let (got, _) = files(dir.path(), "**/{*_test,test_*}.py", "", true);
    assert_eq!(got, ["a/test_x.py", "a-c/test_y.py", "test_z.py"]);
}

#[test]
fn awkward_names_are_literal_paths() {
    let dir = TestDir::new();
    let names = [
        "tests/with space/test_a.py",
        "tests/ünïcödé/test_b.py",
        "tests/br[ack]et/test_c.py",
        "tests/{brace}/test_d.py",
        "tests/star*/test_e.py",
        "tests/com,ma/test_f.py",
        "tests/quote's \"and\" $(x);/test_g.py",
        "tests/test_[1].py",
    ];
    for n in names {
        dir.write(n, "");
    }
    let (got, _) = files(dir.path(), "tests/**/test_*.py", "", true);
    let mut want: Vec<&str> = names.to_vec();
    want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(got, want);
}

#[test]
fn dot_directories_and_virtualenvs_are_skipped_for_pytest() {
    let dir = TestDir::new();
    dir.write(".venv/lib/test_vendored.py", "");
    dir.write("env/pyvenv.cfg", "home = /usr\n");
    dir.write("env/lib/test_vendored.py", "");
    dir.write(".git/test_x.py", "");
    dir.write(".hidden_test.py", "");
    dir.write("tests/test_real.py", "");
    let (got, _) = files(dir.path(), "**/{*_test,test_*}.py", "", true);
    // D9: no dot-directories or virtualenvs; dot-files are still files.
    assert_eq!(got, [".hidden_test.py", "tests/test_real.py"]);
    // Other runners see everything but node_modules (5.3).
    let (got, _) = files(dir.path(), "**/{*_test,test_*}.py", "", false);
    assert_eq!(
        got,
        [
            ".git/test_x.py",
            ".hidden_test.py",
            ".venv/lib/test_vendored.py",
            "env/lib/test_vendored.py",
            "tests/test_real.py"
        ]
    );
    // A root inside a dot-directory is walked (D9).
    let (got, _) = files(dir.path(), ".venv/**/test_*.py", "", true);
    assert_eq!(got, [".venv/lib/test_vendored.py"]);
}

#[test]
fn node_modules_directories_are_skipped_but_files_of_that_name_are_files() {
    let dir = TestDir::new();
    dir.write("node_modules/pkg/a.test.js", "");
    dir.write("web/node_modules/pkg/b.test.js", "");
    dir.write("web/c.test.js", "");
    dir.write("other/node_modules", "");
    dir.write("other/d.test.js", "");
    let (got, _) = files(dir.path(), "**/*.test.js", "", false);
    // D8: the file named node_modules does not hide its siblings.
    assert_eq!(got, ["other/d.test.js", "web/c.test.js"]);
    let (got, _) = files(dir.path(), "**/node_modules", "", false);
    assert_eq!(got, ["other/node_modules"]);
}

#[test]
fn exclude_prunes_directories_and_drops_files() {
    let dir = TestDir::new();
    dir.write("tests/api/test_a.py", "");
    dir.write("tests/api/deep/test_b.py", "");
    dir.write("tests/unit/test_c.py", "");
    dir.write("tests/unit/test_slow.py", "");
    let (got, _) = files(dir.path(), "**/test_*.py", "tests/api", true);
    assert_eq!(got, ["tests/unit/test_c.py", "tests/unit/test_slow.py"]);
    let (got, _) = files(dir.path(), "**/test_*.py", "tests/api/**", true);
    assert_eq!(got, ["tests/unit/test_c.py", "tests/unit/test_slow.py"]);
    let (got, _) = files(dir.path(), "**/test_*.py", "**/test_slow.py", true);
    assert_eq!(
        got,
        [
            "tests/api/deep/test_b.py",
            "tests/api/test_a.py",
            "tests/unit/test_c.py"
        ]
    );
    // Exclude patterns written with `./` never match (5.3).
    let (got, _) = files(dir.path(), "**/test_*.py", "./tests/api", true);
    assert_eq!(got.len(), 4);
}

#[test]
fn relative_roots_lose_their_dot_slash_and_absolute_roots_stay_absolute() {
    let dir = TestDir::new();
    dir.write("spec/a_spec.rb", "");
    dir.write("spec/sub/b_spec.rb", "");
    let (got, _) = files(dir.path(), "./spec/**/*_spec.rb", "", false);
    assert_eq!(got, ["spec/a_spec.rb", "spec/sub/b_spec.rb"]);
    let abs = format!("{}/spec/**/*_spec.rb", dir.path().display());
    let (got, _) = files(Path::new("/"), &abs, "", false);
    assert_eq!(
        got,
        [
            format!("{}/spec/a_spec.rb", dir.path().display()),
            format!("{}/spec/sub/b_spec.rb", dir.path().display())
        ]
    );
    // A literal pattern is one path.
    let (got, _) = files(dir.path(), "spec/a_spec.rb", "", false);
    assert_eq!(got, ["spec/a_spec.rb"]);
}

#[test]
fn symlink_cycles_end_with_one_warning() {
    let dir = TestDir::new();
    dir.write("tests/test_a.py", "");
    symlink("..", dir.path().join("tests/loop")).unwrap();
    symlink(dir.path().join("tests"), dir.path().join("tests/self")).unwrap();
    let (got, warnings) = files(dir.path(), "**/test_*.py", "", true);
    // D10: `tests/loop` leads back to the root and `tests/self` to `tests`.
    assert_eq!(got, ["tests/test_a.py"]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings.iter().all(|w| w.contains("symlink cycle")),
        "{warnings:?}"
    );
}

#[test]
fn unreadable_directories_are_reported_and_the_walk_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.write("a/test_a.py", "");
    dir.write("b/test_b.py", "");
    let locked = dir.path().join("a");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&locked).is_ok(); // root can read anything
    let (got, warnings) = files(dir.path(), "**/test_*.py", "", true);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if readable {
        assert_eq!(got, ["a/test_a.py", "b/test_b.py"]);
    } else {
        assert_eq!(got, ["b/test_b.py"]);
        assert!(
            warnings[0].starts_with("Error walking at path \"a\""),
            "{warnings:?}"
        );
    }
}

#[test]
fn list_prints_targets_and_names_patterns_when_nothing_matches() {
    let dir = TestDir::new();
    dir.write("tests/test_one.py", "");
    dir.write("tests/two_test.py", "");
    dir.write("tests/helper.py", "");
    let out = dir
        .bktec()
        .args(["list", "--test-runner", "pytest"])
        .output();
    out.assert_success();
    assert_eq!(out.stdout(), "tests/test_one.py\ntests/two_test.py\n");

    let json = dir
        .bktec()
        .args(["list", "--json"])
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .output()
        .json();
    assert_eq!(json["pattern"]["value"], "**/{*_test,test_*}.py");
    assert_eq!(json["pattern"]["origin"], "default for runner `pytest`");
    assert_eq!(json["exclude_pattern"]["origin"], "not set");
    assert_eq!(json["targets"].as_array().unwrap().len(), 2);

    let out = dir
        .bktec()
        .args([
            "list",
            "--test-runner",
            "pytest",
            "--test-file-exclude-pattern",
            "tests",
        ])
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "tests/*.py")
        .output();
    out.assert_exit(16).assert_stderr_contains(
        "no files found with pattern \"tests/*.py\" (env BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN) and exclude pattern \"tests\" (--test-file-exclude-pattern)",
    );
}

#[test]
fn bad_patterns_name_their_origin() {
    let dir = TestDir::new();
    dir.write(
        "bktec.toml",
        "[runner]\nname = \"pytest\"\n[files]\npattern = \"tests/{a,b\"\n",
    );
    dir.bktec()
        .arg("list")
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "bktec.toml:4: files.pattern: error parsing test file pattern \"tests/{a,b\": unterminated alternation",
        )
        .assert_stderr_contains(
            "unterminated alternation - missing closing brace (at character 7 of `tests/{a,b`)",
        );
}

#[test]
fn row_files_replace_discovery_and_resolve_against_the_config_file() {
    let dir = TestDir::new();
    dir.write(
        "ci/bktec.toml",
        "[runner]\nname = \"pytest\"\n[files]\nlist = \"files.txt\"\n",
    );
    dir.write("ci/files.txt", "b.py\n\n  a.py  \nb.py\n");
    let out = dir
        .bktec()
        .args(["list", "--config", "ci/bktec.toml"])
        .output();
    out.assert_success();
    // Used as they are: no existence check, no sorting, duplicates kept.
    assert_eq!(out.stdout(), "b.py\na.py\nb.py\n");
    dir.write("bin.txt", "a\0b");
    dir.bktec()
        .args([
            "list",
            "--test-runner",
            "pytest",
            "--selector-file",
            "bin.txt",
        ])
        .output()
        .assert_exit(16)
        .assert_stderr_contains(
            "`bin.txt` is not a text file: it holds a NUL byte at offset 1 (from --selector-file)",
        );
}

mod walk_property {
    use proptest::prelude::*;

    use super::*;

    /// Paths of up to three levels over a small alphabet, so patterns hit.
    fn tree() -> impl Strategy<Value = Vec<String>> {
        let part = prop_oneof![
            Just("a"),
            Just("b"),
            Just("ab"),
            Just("test_a.py"),
            Just("b_test.py"),
            Just("x.py")
        ];
        prop::collection::vec(
            prop::collection::vec(part, 1..4).prop_map(|p| p.join("/")),
            1..12,
        )
    }

    fn pattern() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("**/*.py".to_string()),
            Just("**/{*_test,test_*}.py".to_string()),
            Just("a/**/*.py".to_string()),
            Just("*/test_*.py".to_string()),
            Just("a**py".to_string()),
            Just("{a,b}/*".to_string()),
            Just("**/b/**".to_string()),
            Just("[ab]/[^x]*".to_string()),
            Just("a/?/*.py".to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The walk finds exactly the files the pattern matches, in sorted
        /// pre-order: pruning never hides a match and nothing else slips in.
        #[test]
        fn walk_finds_exactly_the_matching_files(paths in tree(), include in pattern()) {
            let dir = TestDir::new();
            let mut files: Vec<String> = Vec::new();
            for p in &paths {
                // A path that is a prefix directory of another cannot also be a file.
                if paths.iter().any(|q| q.starts_with(&format!("{p}/"))) || files.iter().any(|f| p.starts_with(&format!("{f}/"))) {
                    continue;
                }
                if !files.contains(p) {
                    dir.write(p, "");
                    files.push(p.clone());
                }
            }
            let pattern = Pattern::parse(&include, None).unwrap();
            let mut want: Vec<String> = files.iter().filter(|f| pattern.matches(f)).cloned().collect();
            // Pre-order with byte-sorted entries: compare path components.
            want.sort_by(|a, b| a.split('/').collect::<Vec<_>>().cmp(&b.split('/').collect::<Vec<_>>()));
            // (A root that is a file, such as `a` for `a/**/*.py`, is a walk
            // warning, not a failure.)
            let (got, _warnings) = files_found(dir.path(), &include);
            prop_assert_eq!(got, want, "pattern {}", include);
        }
    }

    fn files_found(base: &Path, include: &str) -> (Vec<String>, Vec<String>) {
        super::files(base, include, "", false)
    }
}

/// D42 (issue 20 item 6): a dangling symbolic link that matches the
/// pattern is listed, as the Go client lists it, with a warning; the test
/// command then fails on it loudly. Dropped, its tests could go unrun with
/// the job green.
#[test]
fn a_dangling_link_that_matches_is_listed_and_never_green() {
    use crate::support::Venv;
    use crate::support::pytest::{PASSING, bktec as pytest_bktec, project};
    let dir = project(&[("tests/test_a.py", PASSING)]);
    symlink("moved_away.py", dir.path().join("tests/test_gone.py")).unwrap();
    let out = pytest_bktec(&dir, Venv::Collector).args(["list"]).output();
    out.assert_success()
        .assert_stdout_contains("tests/test_gone.py\n")
        .assert_stderr_contains(
            "\"tests/test_gone.py\" is a symbolic link that cannot be followed",
        );
    let out = pytest_bktec(&dir, Venv::Collector).output();
    assert_ne!(out.code(), Some(0), "{}", out.stdout());
}

/// D42: `~/` in a pattern is `$HOME`, as a shell expands it.
#[test]
fn a_tilde_in_a_pattern_is_home() {
    let home = TestDir::new();
    home.write("suite/test_home.py", "def test_h():\n    pass\n");
    let dir = TestDir::new();
    let out = dir
        .bktec()
        .env("HOME", home.path().display().to_string())
        .env("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")
        .env("BUILDKITE_TEST_ENGINE_TEST_FILE_PATTERN", "~/suite/*.py")
        .args(["list"])
        .output();
    out.assert_success()
        .assert_stdout_contains(&format!("{}/suite/test_home.py\n", home.path().display()));
}
