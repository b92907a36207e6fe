//! Which assigned targets produced a result (D23). A target is a test file,
//! a directory, a node id or a selector; a result is named by its node id
//! (or, for the custom runner, the path the result file gives). A result
//! covers a target when the target names the result's file, one of its
//! directories, a class or test inside it, or the test itself without its
//! parameters.
//!
//! pytest names results relative to its rootdir, which need not be the
//! working directory that targets are relative to. So a result also covers a
//! target when the two agree after dropping leading directories from either
//! side (`sub/tests/a.py::t` covers `tests/a.py`, and `tests/a.py::t` covers
//! `sub/tests/a.py`). Two files of the same name in different directories can
//! then cover each other only when rootdir and working directory differ, and
//! only where nothing finer tells them apart; the check errs towards
//! "covered" there, never towards a false "no result".

use std::collections::HashMap;

/// The targets, in their order, that no result in `result_ids` covers.
pub fn uncovered<'t, 'r>(
    targets: &'t [String],
    result_ids: impl IntoIterator<Item = &'r str>,
) -> Vec<&'t str> {
    // Every key a target answers to: itself and its tails after a `/`.
    let mut keys: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, target) in targets.iter().enumerate() {
        let target = normalise(target);
        let file_end = target.find("::").unwrap_or(target.len());
        for tail in tails(target, file_end) {
            keys.entry(tail).or_default().push(i);
        }
    }
    let mut covered = vec![false; targets.len()];
    let mut left = targets.len();
    for id in result_ids {
        if left == 0 {
            break;
        }
        let id = normalise(id);
        // Directories are only those before the first `::`: a `/` inside a
        // test name or parameter is not a path separator.
        let file_end = id.find("::").unwrap_or(id.len());
        for tail in tails(id, file_end) {
            for key in prefixes(tail) {
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
    }
    targets
        .iter()
        .zip(covered)
        .filter(|(_, covered)| !covered)
        .map(|(target, _)| target.as_str())
        .collect()
}

/// `./a/./b.py` -> `a/./b.py`, `tests/` -> `tests`: the spellings that name
/// the same target as the result files do.
fn normalise(value: &str) -> &str {
    let mut value = value;
    while let Some(rest) = value.strip_prefix("./") {
        value = rest.trim_start_matches('/');
    }
    let trimmed = value.trim_end_matches('/');
    if trimmed.is_empty() { value } else { trimmed }
}

/// `value` and every tail of it that starts after a `/` in `value[..end]`.
fn tails(value: &str, end: usize) -> impl Iterator<Item = &str> {
    let starts = value[..end]
        .match_indices('/')
        .map(|(i, _)| i + 1)
        .filter(move |&i| i < value.len());
    std::iter::once(value).chain(starts.map(move |i| &value[i..]))
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

    fn missing(targets: &[&str], ids: &[&str]) -> Vec<String> {
        let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
        uncovered(&targets, ids.iter().copied())
            .into_iter()
            .map(String::from)
            .collect()
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
    fn rootdir_above_or_below_the_working_directory() {
        // pytest's rootdir is above the working directory.
        assert!(missing(&["tests/a_test.py"], &["sub/tests/a_test.py::t"]).is_empty());
        // ... or below it.
        assert!(missing(&["py/tests/a_test.py"], &["tests/a_test.py::t"]).is_empty());
        // A `/` in a parameter is not a directory.
        assert_eq!(
            missing(&["b.py"], &["a.py::t[x/b.py]"]),
            ["b.py"],
            "a parameter never covers a file"
        );
    }

    #[test]
    fn custom_runner_paths() {
        // The custom runner names JSON results `file_name:location`.
        assert!(missing(&["spec/a_spec.rb"], &["spec/a_spec.rb:spec/a_spec.rb:3"]).is_empty());
    }
}
