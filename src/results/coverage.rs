//! Which assigned targets produced a result (D23). A target is a test file,
//! a directory, a node id or a selector; a result is named by its node id
//! (or, for the custom runner, the path the result file gives). A result
//! covers a target when the target names the result's file, one of its
//! directories, a class or test inside it, or the test itself without its
//! parameters.
//!
//! pytest names results relative to its rootdir, which need not be the
//! working directory that targets are relative to. The witness (D23) says
//! how the two relate ([`PathOffset`]); without it they are taken to be the
//! same. Matching is exact after that: a result never covers a target of
//! another directory, so a file that never ran cannot hide behind a file of
//! the same name.

use std::collections::HashMap;

use super::witness::PathOffset;

/// The targets, in their order, that no result in `result_ids` covers.
pub fn uncovered<'t, 'r>(
    targets: &'t [String],
    result_ids: impl IntoIterator<Item = &'r str>,
    offset: &PathOffset,
) -> Vec<&'t str> {
    let mut keys: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, target) in targets.iter().enumerate() {
        keys.entry(normalise(target)).or_default().push(i);
    }
    let by_base = unique_base_names(targets);
    let mut covered = vec![false; targets.len()];
    let mut left = targets.len();
    for id in result_ids {
        if left == 0 {
            break;
        }
        let Some(id) = offset.apply(normalise(id)) else {
            continue;
        };
        let by_name = bare_file(&id).and_then(|file| by_base.get(file));
        for key in prefixes(&id) {
            let hits = keys.get(key).map(Vec::as_slice).unwrap_or_default();
            for &i in hits.iter().chain(by_name) {
                if !covered[i] {
                    covered[i] = true;
                    left -= 1;
                }
            }
        }
    }
    targets
        .iter()
        .zip(covered)
        .filter(|(_, covered)| !covered)
        .map(|(target, _)| target.as_str())
        .collect()
}

/// `tests` to run again, each as `targets` name it: a test named by its
/// file's name alone (bats' `happy_test.bats`) is the one target of that
/// name (D39), which the runner can find; any other stays as it is.
pub fn as_targets(tests: Vec<String>, targets: &[String]) -> Vec<String> {
    let by_base = unique_base_names(targets);
    let mut out: Vec<String> = Vec::with_capacity(tests.len());
    for test in tests {
        let target = bare_file(normalise(&test))
            .filter(|file| *file == normalise(&test))
            .and_then(|file| by_base.get(file))
            .map(|&i| targets[i].clone());
        let test = target.unwrap_or(test);
        if !out.contains(&test) {
            out.push(test);
        }
    }
    out
}

/// D39: the targets in a directory (`tests/happy_test.bats`) by their file
/// name (`happy_test.bats`), for a name that no other target has.
fn unique_base_names(targets: &[String]) -> HashMap<&str, usize> {
    let mut by_base: HashMap<&str, Option<usize>> = HashMap::new();
    for (i, target) in targets.iter().enumerate() {
        let target = normalise(target);
        let base = target.rsplit('/').next().unwrap_or(target);
        by_base
            .entry(base)
            .and_modify(|seen| *seen = None)
            .or_insert((base != target).then_some(i));
    }
    by_base
        .into_iter()
        .filter_map(|(base, i)| Some((base, i?)))
        .collect()
}

/// D39: the file a result names by its file name alone, as bats' JUnit
/// `classname` does (`happy_test.bats`): an id without a directory and
/// without pytest's `::`, up to its `:line` or `[...]`.
fn bare_file(id: &str) -> Option<&str> {
    if id.contains('/') || id.contains("::") {
        return None;
    }
    let end = id.find([':', '[']).unwrap_or(id.len());
    Some(&id[..end]).filter(|file| !file.is_empty())
}

/// `./a/b.py` -> `a/b.py`, `tests/` -> `tests`: the spellings that name the
/// same target as the result files do.
fn normalise(value: &str) -> &str {
    let mut value = value;
    while let Some(rest) = value.strip_prefix("./") {
        value = rest.trim_start_matches('/');
    }
    let trimmed = value.trim_end_matches('/');
    if trimmed.is_empty() { value } else { trimmed }
}

/// `value` and every prefix of it that ends before a `/`, `:` or `[`: its
/// directories, its file, its classes and the test without parameters.
fn prefixes(value: &str) -> impl Iterator<Item = &str> {
    let cuts = value
        .char_indices()
        .filter(|&(i, c)| i > 0 && matches!(c, '/' | ':' | '['))
        .map(move |(i, _)| &value[..i]);
    std::iter::once(value).chain(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing_with(targets: &[&str], ids: &[&str], offset: &PathOffset) -> Vec<String> {
        let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
        uncovered(&targets, ids.iter().copied(), offset)
            .into_iter()
            .map(String::from)
            .collect()
    }

    fn missing(targets: &[&str], ids: &[&str]) -> Vec<String> {
        missing_with(targets, ids, &PathOffset::Same)
    }

    #[test]
    fn files_classes_tests_and_parameters_are_covered() {
        let ids = [
            "tests/a_test.py::test_x",
            "tests/b_test.py::TestB::test_y[1-2]",
            "tests/c/test_c.py::test_z",
        ];
        let targets = [
            "tests/a_test.py",
            "./tests/a_test.py",
            "tests/b_test.py::TestB",
            "tests/b_test.py::TestB::test_y",
            "tests/b_test.py::TestB::test_y[1-2]",
            "tests/c/",
            "tests",
        ];
        assert!(missing(&targets, &ids).is_empty());
    }

    #[test]
    fn targets_without_results_are_listed_in_order() {
        let ids = ["tests/a_test.py::test_x"];
        assert_eq!(
            missing(
                &["tests/z_test.py", "tests/a_test.py", "tests/b_test.py"],
                &ids
            ),
            ["tests/z_test.py", "tests/b_test.py"]
        );
        // A prefix of a name is not the name.
        assert_eq!(missing(&["tests/a_test.p"], &ids), ["tests/a_test.p"]);
        assert_eq!(
            missing(&["tests/a_test.py::test"], &ids),
            ["tests/a_test.py::test"]
        );
        assert_eq!(missing(&["a.py"], &[]), ["a.py"]);
    }

    #[test]
    fn files_of_the_same_name_never_cover_each_other() {
        assert_eq!(
            missing(&["a/test_x.py", "b/test_x.py"], &["a/test_x.py::t"]),
            ["b/test_x.py"]
        );
        assert_eq!(
            missing(&["tests/a.py"], &["sub/tests/a.py::t"]),
            ["tests/a.py"]
        );
    }

    #[test]
    fn the_rootdir_offset_maps_node_ids_to_targets() {
        // pytest's rootdir is below the working directory...
        let below = PathOffset::Prepend("py".into());
        assert!(missing_with(&["py/tests/a.py"], &["tests/a.py::t"], &below).is_empty());
        // ... or above it: ids outside the working directory cover nothing.
        let above = PathOffset::Strip("proj".into());
        assert!(missing_with(&["tests/a.py"], &["proj/tests/a.py::t"], &above).is_empty());
        assert_eq!(
            missing_with(&["tests/a.py"], &["other/tests/a.py::t"], &above),
            ["tests/a.py"]
        );
    }

    #[test]
    fn a_slash_in_a_parameter_is_not_a_directory() {
        assert_eq!(missing(&["b.py"], &["a.py::t[x/b.py]"]), ["b.py"]);
    }

    /// D39: a result named by its file's name alone (bats' JUnit
    /// `classname`) covers the one assigned file of that name; never one
    /// of two, never through a pytest node id or a directory.
    #[test]
    fn a_bare_file_name_covers_the_one_target_of_that_name() {
        assert!(missing(&["tests/happy_test.bats"], &["happy_test.bats"]).is_empty());
        assert!(missing(&["./tests/happy_test.bats"], &["happy_test.bats:3"]).is_empty());
        assert_eq!(
            missing(&["tests/a/same.bats", "tests/b/same.bats"], &["same.bats"]),
            ["tests/a/same.bats", "tests/b/same.bats"]
        );
        assert_eq!(
            missing(&["same.bats", "tests/same.bats"], &["same.bats"]),
            ["tests/same.bats"]
        );
        assert_eq!(
            missing(&["sub/test_a.py"], &["test_a.py::t"]),
            ["sub/test_a.py"]
        );
        assert_eq!(
            missing(&["tests/x.bats"], &["other/x.bats"]),
            ["tests/x.bats"]
        );
    }

    #[test]
    fn a_retry_names_a_bare_file_as_its_one_target() {
        let targets = [
            "tests/happy_test.bats".to_string(),
            "a/x.bats".into(),
            "b/x.bats".into(),
        ];
        let tests = [
            "happy_test.bats",
            "happy_test.bats",
            "x.bats",
            "m/pkg",
            "t.py::test_a",
        ];
        assert_eq!(
            as_targets(tests.map(String::from).to_vec(), &targets),
            ["tests/happy_test.bats", "x.bats", "m/pkg", "t.py::test_a"]
        );
    }

    #[test]
    fn custom_runner_paths() {
        // The custom runner names JSON results `file_name:location`.
        assert!(missing(&["spec/a_spec.rb"], &["spec/a_spec.rb:spec/a_spec.rb:3"]).is_empty());
    }
}
