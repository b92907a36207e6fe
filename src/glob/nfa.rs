//! Parsing tokens into an NFA, as zzglob's parser builds its automaton: `*`
//! and `**` are self-loops on the current state, alternations branch and
//! merge, classes are one-character edges.

use super::GlobErrorKind;
use super::token::{Tok, Token};

/// What one NFA edge consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CharSet {
    /// Exactly this character.
    Lit(char),
    /// Any character but `/` (`?`, and `*`'s loop).
    NotSlash,
    /// Any character (`**`'s loop).
    Any,
    /// One of these characters (`[abc]`).
    OneOf(Vec<char>),
    /// Any character not among these, `/` included (`[^abc]`).
    NoneOf(Vec<char>),
}

impl CharSet {
    pub(super) fn contains(&self, c: char) -> bool {
        match self {
            CharSet::Lit(l) => *l == c,
            CharSet::NotSlash => c != '/',
            CharSet::Any => true,
            CharSet::OneOf(set) => set.contains(&c),
            CharSet::NoneOf(set) => !set.contains(&c),
        }
    }
}

/// An NFA state.
#[derive(Clone, Debug, Default)]
pub(super) struct State {
    /// Consuming edges.
    pub(super) edges: Vec<(CharSet, usize)>,
    /// Empty edges.
    pub(super) empty: Vec<usize>,
}

/// The automaton of a pattern (without its root).
#[derive(Clone, Debug)]
pub(super) struct Nfa {
    pub(super) states: Vec<State>,
    pub(super) start: usize,
    pub(super) accept: usize,
}

/// Why a pattern failed to parse, and the character position it points at.
pub(super) type ParseError = (GlobErrorKind, usize);

struct Builder<'a> {
    tokens: &'a [Token],
    next: usize,
    states: Vec<State>,
}

/// How a sequence ended.
enum SeqEnd {
    Input,
    Comma,
    CloseBrace,
}

impl Builder<'_> {
    fn new_state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    fn edge(&mut self, from: usize, set: CharSet) -> usize {
        let to = self.new_state();
        self.states[from].edges.push((set, to));
        to
    }

    /// Parses a sequence starting at a new state; returns (start, end, how it ended).
    fn sequence(&mut self, inside_alt: bool) -> Result<(usize, usize, SeqEnd), ParseError> {
        let start = self.new_state();
        let mut end = start;
        while let Some(token) = self.tokens.get(self.next).copied() {
            self.next += 1;
            match token.tok {
                Tok::Lit(c) => end = self.edge(end, CharSet::Lit(c)),
                Tok::Star => self.states[end].edges.push((CharSet::NotSlash, end)),
                Tok::DoubleStar => self.states[end].edges.push((CharSet::Any, end)),
                Tok::Question => end = self.edge(end, CharSet::NotSlash),
                Tok::OpenBrace => end = self.alternation(end, token.pos)?,
                Tok::CloseBrace if inside_alt => return Ok((start, end, SeqEnd::CloseBrace)),
                Tok::Comma if inside_alt => return Ok((start, end, SeqEnd::Comma)),
                Tok::CloseBrace => end = self.edge(end, CharSet::Lit('}')),
                Tok::Comma => end = self.edge(end, CharSet::Lit(',')),
                Tok::OpenBracket => {
                    let set = self.class(token.pos, GlobErrorKind::UnterminatedClass)?;
                    end = self.edge(end, CharSet::OneOf(set));
                }
                Tok::BracketCaret => {
                    let set = self.class(token.pos, GlobErrorKind::UnterminatedNegatedClass)?;
                    end = self.edge(end, CharSet::NoneOf(set));
                }
                // The tokeniser only emits these inside a class, and `rewrite`
                // turns stray tildes into literals.
                Tok::CloseBracket => end = self.edge(end, CharSet::Lit(']')),
                Tok::Tilde => end = self.edge(end, CharSet::Lit('~')),
            }
        }
        Ok((start, end, SeqEnd::Input))
    }

    fn alternation(&mut self, from: usize, pos: usize) -> Result<usize, ParseError> {
        let merge = self.new_state();
        loop {
            let (start, end, how) = self.sequence(true)?;
            self.states[from].empty.push(start);
            self.states[end].empty.push(merge);
            match how {
                SeqEnd::Comma => {}
                SeqEnd::CloseBrace => return Ok(merge),
                SeqEnd::Input => return Err((GlobErrorKind::UnterminatedAlternation, pos)),
            }
        }
    }

    fn class(&mut self, pos: usize, unterminated: GlobErrorKind) -> Result<Vec<char>, ParseError> {
        let mut set = Vec::new();
        while let Some(token) = self.tokens.get(self.next).copied() {
            self.next += 1;
            match token.tok {
                Tok::Lit(c) => set.push(c),
                Tok::CloseBracket => {
                    set.sort_unstable();
                    set.dedup();
                    return Ok(set);
                }
                Tok::Star
                | Tok::DoubleStar
                | Tok::Question
                | Tok::OpenBrace
                | Tok::CloseBrace
                | Tok::Comma
                | Tok::OpenBracket
                | Tok::BracketCaret
                | Tok::Tilde => unreachable!("the tokeniser emits only literals inside a class"),
            }
        }
        Err((unterminated, pos))
    }
}

/// Builds the NFA of `tokens` and removes the states from which nothing can
/// be accepted, so that "no live state" means "nothing below can match".
pub(super) fn build(tokens: &[Token]) -> Result<Nfa, ParseError> {
    let mut b = Builder {
        tokens,
        next: 0,
        states: Vec::new(),
    };
    let (start, accept, _) = b.sequence(false)?;
    let mut nfa = Nfa {
        states: b.states,
        start,
        accept,
    };
    prune_dead(&mut nfa);
    Ok(nfa)
}

/// Drops edges into states that cannot reach the accept state.
fn prune_dead(nfa: &mut Nfa) {
    let n = nfa.states.len();
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, s) in nfa.states.iter().enumerate() {
        for &(_, to) in &s.edges {
            reverse[to].push(from);
        }
        for &to in &s.empty {
            reverse[to].push(from);
        }
    }
    let mut live = vec![false; n];
    let mut stack = vec![nfa.accept];
    live[nfa.accept] = true;
    while let Some(s) = stack.pop() {
        for &from in &reverse[s] {
            if !live[from] {
                live[from] = true;
                stack.push(from);
            }
        }
    }
    for s in &mut nfa.states {
        s.edges.retain(|&(_, to)| live[to]);
        s.empty.retain(|&to| live[to]);
    }
}
