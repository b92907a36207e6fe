//! A zzglob-compatible pattern engine (behaviour document 5.4, D7): tokenise,
//! rewrite, split off the literal root, build an NFA, determinise. Pure and
//! I/O-free; matching is linear in the path length for any pattern. Also the
//! lexical path cleaning that patterns, the walk and plans share.

mod automaton;
mod clean;
mod nfa;
mod pattern;
mod token;

pub(crate) use automaton::Cursor;
pub(crate) use clean::{clean, through_symlinks};
pub use pattern::{GlobError, GlobErrorKind, Pattern};

#[cfg(test)]
mod tests;
