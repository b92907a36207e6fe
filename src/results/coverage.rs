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
    let mut covered = vec![false; targets.len()];
    let mut left = targets.len();
    for id in result_ids {
        if left == 0 {
            break;
        }
        let Some(id) = offset.apply(normalise(id)) else {
            continue;
        };
        for key in prefixes(&id) {
            if let Some(hits) = keys.get(key) {
                for &i in hits {
                    if !covered[i] {
                        covered[i] = true;
                        left -= 1;
                    }
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

    #[test]
    fn custom_runner_paths() {
        // The custom runner names JSON results `file_name:location`.
        assert!(missing(&["spec/a_spec.rb"], &["spec/a_spec.rb:spec/a_spec.rb:3"]).is_empty());
    }
}
