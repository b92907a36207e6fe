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

/// `text` with the credentials of every URL in it replaced
/// (`https://user:pw@host/` becomes `https://REDACTED@host/`), so that a
/// token in `BUILDKITE_TEST_ENGINE_BASE_URL` or in a message never reaches
/// the log. The reporter's writer passes everything it writes through it.
pub(crate) fn redact_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, query, fragment, or where the
        // URL ends in the text.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(user_end) => {
                out.push_str("REDACTED");
                out.push_str(&authority[user_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted_wherever_they_stand() {
        let cases = [
            ("no url here", "no url here"),
            ("http://host/x", "http://host/x"),
            (
                "http://user:pw@host:8080/v2",
                "http://REDACTED@host:8080/v2",
            ),
            ("https://tok@api.example", "https://REDACTED@api.example"),
            (
                "GET http://a:b@h/x?q=1 then `https://c:d@e` and mailto:x@y",
                "GET http://REDACTED@h/x?q=1 then `https://REDACTED@e` and mailto:x@y",
            ),
            (
                "error for url (http://u:p@h/)",
                "error for url (http://REDACTED@h/)",
            ),
            (
                "http://host/path@not-userinfo",
                "http://host/path@not-userinfo",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact_url_credentials(text), want, "{text}");
        }
    }

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("bkua_supersecret".into());
        assert!(!format!("{s:?} {s}").contains("supersecret"));
        assert_eq!(s.expose(), "bkua_supersecret");
    }
}
