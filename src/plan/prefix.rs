//! Location prefixes (behaviour document 5.6).

use crate::glob::clean;

/// Why a prefix cannot be trimmed from a path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "failed to trim path prefix: failed to trim prefix from file path: cannot make `{path}` relative to `{prefix}`"
)]
pub(crate) struct TrimError {
    /// The path.
    pub path: String,
    /// The prefix.
    pub prefix: String,
}

/// `path` relative to `prefix`, lexically (`app`, `app/spec/a.rb` ->
/// `spec/a.rb`; `app`, `spec/a.rb` -> `../spec/a.rb`).
pub(crate) fn trim(path: &str, prefix: &str) -> Result<String, TrimError> {
    if prefix.is_empty() {
        return Ok(path.to_string());
    }
    let (p, b) = (clean(path), clean(prefix));
    if p.starts_with('/') != b.starts_with('/') {
        return Err(TrimError {
            path: path.to_string(),
            prefix: prefix.to_string(),
        });
    }
    let parts = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|x| !x.is_empty() && *x != ".")
            .map(str::to_string)
            .collect()
    };
    let (p, b) = (parts(&p), parts(&b));
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if b[common..].iter().any(|x| x == "..") {
        return Err(TrimError {
            path: path.to_string(),
            prefix: prefix.to_string(),
        });
    }
    let mut out: Vec<&str> = b[common..].iter().map(|_| "..").collect();
    out.extend(p[common..].iter().map(String::as_str));
    Ok(if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_lexically() {
        assert_eq!(trim("app/spec/a.rb", "app").unwrap(), "spec/a.rb");
        assert_eq!(trim("./spec/a.rb[1:1]", "./").unwrap(), "spec/a.rb[1:1]");
        assert_eq!(trim("spec/a.rb", "app").unwrap(), "../spec/a.rb");
        assert_eq!(trim("x.py::t", "").unwrap(), "x.py::t");
        assert!(trim("/abs/a.rb", "app").is_err());
    }
}
