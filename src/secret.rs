//! Tokens that never reach any output (D3, D21).

use std::fmt;

/// A token. It never appears in `Debug` or `Display` output (D21); code that
/// needs the value calls [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The token itself, for a request header or a child's environment.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("bkua_supersecret".into());
        assert!(!format!("{s:?} {s}").contains("supersecret"));
        assert_eq!(s.expose(), "bkua_supersecret");
    }
}
