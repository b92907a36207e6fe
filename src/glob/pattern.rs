//! Parsed patterns and their errors.

use std::fmt;

use super::automaton::{Automaton, Cursor};
use super::{nfa, token};

/// Why a pattern is invalid. The messages are zzglob's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GlobErrorKind {
    /// `{` without `}`.
    #[error("unterminated alternation - missing closing brace")]
    UnterminatedAlternation,
    /// `[` without `]`.
    #[error("unterminated char class - missing closing square bracket")]
    UnterminatedClass,
    /// `[^` without `]`.
    #[error("unterminated negated char class - missing closing square bracket")]
    UnterminatedNegatedClass,
}

/// An invalid pattern, with the position of the construct that is unclosed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at character {position} of `{pattern}`)")]
pub struct GlobError {
    /// The pattern as written.
    pub pattern: String,
    /// The 1-based character position.
    pub position: usize,
    /// What is wrong.
    pub kind: GlobErrorKind,
}

/// A parsed pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    root: String,
    automaton: Option<Automaton>,
}

impl Pattern {
    /// Parses `text`. A leading `~/` expands to `home` when it is given.
    pub fn parse(text: &str, home: Option<&str>) -> Result<Pattern, GlobError> {
        let tokens = token::tokenise(text);
        if let Some(literal) = token::all_literal(&tokens)
            && !literal.is_empty()
        {
            return Ok(Pattern {
                text: text.to_string(),
                root: literal,
                automaton: None,
            });
        }
        let tokens = token::rewrite(tokens, home);
        let (root, rest) = token::split_root(&tokens);
        let nfa = nfa::build(rest).map_err(|(kind, pos)| GlobError {
            pattern: text.to_string(),
            position: pos + 1,
            kind,
        })?;
        Ok(Pattern {
            text: text.to_string(),
            root,
            automaton: Some(Automaton::new(nfa)),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The literal root: where walking starts (`spec/` for `spec/**/*_spec.rb`).
    /// For an all-literal pattern, the whole path.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Whether the pattern is a plain path with no wildcards.
    pub fn is_literal(&self) -> bool {
        self.automaton.is_none()
    }

    /// Whether `path` matches the whole pattern.
    pub fn matches(&self, path: &str) -> bool {
        let Some(automaton) = &self.automaton else {
            return path == self.root;
        };
        let Some(rest) = path.strip_prefix(self.root.as_str()) else {
            return false;
        };
        automaton.is_accepting(&automaton.feed(&automaton.start(), rest))
    }

    /// A cursor at the root, for incremental matching; `None` for a literal pattern.
    pub(crate) fn start(&self) -> Option<Cursor> {
        self.automaton.as_ref().map(Automaton::start)
    }

    /// Advances `cursor` over `text` (a path relative to the root).
    pub(crate) fn feed(&self, cursor: &Cursor, text: &str) -> Cursor {
        self.automaton().feed(cursor, text)
    }

    /// Whether nothing can match any more.
    pub(crate) fn is_dead(&self, cursor: &Cursor) -> bool {
        self.automaton().is_dead(cursor)
    }

    /// Whether the text fed so far is a full match.
    pub(crate) fn is_accepting(&self, cursor: &Cursor) -> bool {
        self.automaton().is_accepting(cursor)
    }

    /// Whether matching falls back to NFA simulation (a pathological pattern).
    pub fn is_simulated(&self) -> bool {
        self.automaton.as_ref().is_some_and(Automaton::is_simulated)
    }

    fn automaton(&self) -> &Automaton {
        self.automaton
            .as_ref()
            .expect("cursors come from patterns with an automaton")
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
