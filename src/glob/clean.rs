//! Lexical path cleaning, shared by the walk, plans and the witness; and
//! following a path's symlinks to the file they name.

use std::path::{Path, PathBuf};

/// `path` with every symlink along its last component followed, even to a
/// file that does not exist yet (a dangling link names where a write would
/// land).
pub(crate) fn through_symlinks(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = match path.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Err(_) => break,
        }
    }
    path
}

/// Lexical path cleaning, as Go's `path.Clean`: no empty or `.` elements, `..`
/// resolved where it can be, `.` for an empty result.
pub(crate) fn clean(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_follows_go() {
        for (input, want) in [
            ("", "."),
            ("./", "."),
            ("./spec/", "spec"),
            ("a//b/", "a/b"),
            ("a/../b", "b"),
            ("../x/", "../x"),
            ("/abs/dir/", "/abs/dir"),
            ("/../a", "/a"),
            ("/", "/"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
