//! Lexical path cleaning, shared by the walk, plans and the witness.

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
