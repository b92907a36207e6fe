//! Matching without backtracking. The NFA is determinised up front over the
//! pattern's alphabet (its literal characters, `/`, and "anything else"); if
//! that would take more than [`MAX_DFA_STATES`] states, matching simulates
//! the NFA instead. Either way the cost is linear in the path length.

use std::collections::{BTreeSet, HashMap};

use super::nfa::{CharSet, Nfa};

/// The most DFA states built before falling back to NFA simulation.
const MAX_DFA_STATES: usize = 4096;

/// The dead DFA state: nothing can match any more.
const DEAD: u32 = 0;

/// Where a match has got to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// A DFA state.
    Dfa(u32),
    /// A set of NFA states (sorted, closed under empty edges).
    Nfa(Vec<usize>),
}

/// A compiled automaton.
#[derive(Clone, Debug)]
pub(super) struct Automaton {
    nfa: Nfa,
    /// The alphabet class of each ASCII character.
    ascii_class: [u16; 128],
    /// The alphabet class of each other character the pattern mentions.
    other_class: HashMap<char, u16>,
    /// The class of characters the pattern does not mention.
    rest_class: u16,
    /// One representative character per class.
    representatives: Vec<char>,
    dfa: Option<Dfa>,
}

#[derive(Clone, Debug)]
struct Dfa {
    classes: usize,
    /// `transitions[state * classes + class]`.
    transitions: Vec<u32>,
    accepting: Vec<bool>,
    start: u32,
}

impl Automaton {
    pub(super) fn new(nfa: Nfa) -> Automaton {
        let mut mentioned: BTreeSet<char> = BTreeSet::new();
        mentioned.insert('/');
        for s in &nfa.states {
            for (set, _) in &s.edges {
                match set {
                    CharSet::Lit(c) => {
                        mentioned.insert(*c);
                    }
                    CharSet::OneOf(cs) | CharSet::NoneOf(cs) => {
                        mentioned.extend(cs.iter().copied())
                    }
                    CharSet::NotSlash | CharSet::Any => {}
                }
            }
        }
        let rest_class = u16::try_from(mentioned.len()).expect("patterns are short");
        let mut ascii_class = [rest_class; 128];
        let mut other_class = HashMap::new();
        let mut representatives = Vec::with_capacity(mentioned.len() + 1);
        for (i, c) in mentioned.iter().enumerate() {
            let class = u16::try_from(i).expect("patterns are short");
            if c.is_ascii() {
                ascii_class[*c as usize] = class;
            } else {
                other_class.insert(*c, class);
            }
            representatives.push(*c);
        }
        // A character the pattern does not mention stands for the rest.
        let rest = (0xE000..=0x10FFFF)
            .rev()
            .filter_map(char::from_u32)
            .find(|c| !mentioned.contains(c))
            .expect("a pattern cannot mention every character");
        representatives.push(rest);
        let mut automaton = Automaton {
            nfa,
            ascii_class,
            other_class,
            rest_class,
            representatives,
            dfa: None,
        };
        automaton.dfa = automaton.determinise();
        automaton
    }

    fn class_of(&self, c: char) -> u16 {
        if c.is_ascii() {
            self.ascii_class[c as usize]
        } else {
            self.other_class.get(&c).copied().unwrap_or(self.rest_class)
        }
    }

    fn closure(&self, states: &mut Vec<usize>) {
        let mut seen: BTreeSet<usize> = states.iter().copied().collect();
        let mut stack = states.clone();
        while let Some(s) = stack.pop() {
            for &t in &self.nfa.states[s].empty {
                if seen.insert(t) {
                    stack.push(t);
                }
            }
        }
        *states = seen.into_iter().collect();
    }

    fn nfa_start(&self) -> Vec<usize> {
        let mut set = vec![self.nfa.start];
        self.closure(&mut set);
        set
    }

    fn nfa_step(&self, set: &[usize], c: char) -> Vec<usize> {
        let mut next: Vec<usize> = set
            .iter()
            .flat_map(|&s| self.nfa.states[s].edges.iter())
            .filter(|(cs, _)| cs.contains(c))
            .map(|&(_, to)| to)
            .collect();
        next.sort_unstable();
        next.dedup();
        self.closure(&mut next);
        next
    }

    fn determinise(&self) -> Option<Dfa> {
        let classes = self.representatives.len();
        let mut ids: HashMap<Vec<usize>, u32> = HashMap::new();
        let mut sets: Vec<Vec<usize>> = Vec::new();
        // State 0 is the dead state.
        ids.insert(Vec::new(), DEAD);
        sets.push(Vec::new());
        let start_set = self.nfa_start();
        let start = *ids.entry(start_set.clone()).or_insert_with(|| {
            sets.push(start_set.clone());
            u32::try_from(sets.len() - 1).expect("bounded")
        });
        let mut transitions = Vec::new();
        let mut i = 0;
        while i < sets.len() {
            let set = sets[i].clone();
            for class in 0..classes {
                let next = if set.is_empty() {
                    Vec::new()
                } else {
                    self.nfa_step(&set, self.representatives[class])
                };
                let id = match ids.get(&next) {
                    Some(id) => *id,
                    None => {
                        if sets.len() >= MAX_DFA_STATES {
                            return None;
                        }
                        let id = u32::try_from(sets.len()).expect("bounded");
                        ids.insert(next.clone(), id);
                        sets.push(next);
                        id
                    }
                };
                transitions.push(id);
            }
            i += 1;
        }
        let accepting = sets.iter().map(|s| s.contains(&self.nfa.accept)).collect();
        Some(Dfa {
            classes,
            transitions,
            accepting,
            start,
        })
    }

    pub(super) fn start(&self) -> Cursor {
        match &self.dfa {
            Some(dfa) => Cursor::Dfa(dfa.start),
            None => Cursor::Nfa(self.nfa_start()),
        }
    }

    /// Advances `cursor` over `text`.
    pub(super) fn feed(&self, cursor: &Cursor, text: &str) -> Cursor {
        match (cursor, &self.dfa) {
            (Cursor::Dfa(state), Some(dfa)) => {
                let mut state = *state;
                for c in text.chars() {
                    if state == DEAD {
                        break;
                    }
                    let class = usize::from(self.class_of(c));
                    state = dfa.transitions[state as usize * dfa.classes + class];
                }
                Cursor::Dfa(state)
            }
            (Cursor::Nfa(set), None) => {
                let mut set = set.clone();
                for c in text.chars() {
                    if set.is_empty() {
                        break;
                    }
                    set = self.nfa_step(&set, c);
                }
                Cursor::Nfa(set)
            }
            (Cursor::Dfa(_), None) | (Cursor::Nfa(_), Some(_)) => {
                unreachable!("a cursor is only used with the automaton that made it")
            }
        }
    }

    /// Whether nothing more can match.
    pub(super) fn is_dead(&self, cursor: &Cursor) -> bool {
        match cursor {
            Cursor::Dfa(state) => *state == DEAD,
            Cursor::Nfa(set) => set.is_empty(),
        }
    }

    /// Whether the text so far is a full match.
    pub(super) fn is_accepting(&self, cursor: &Cursor) -> bool {
        match (cursor, &self.dfa) {
            (Cursor::Dfa(state), Some(dfa)) => dfa.accepting[*state as usize],
            (Cursor::Nfa(set), None) => set.contains(&self.nfa.accept),
            (Cursor::Dfa(_), None) | (Cursor::Nfa(_), Some(_)) => {
                unreachable!("a cursor is only used with the automaton that made it")
            }
        }
    }

    /// Whether the automaton fell back to NFA simulation (for tests and benches).
    pub(super) fn is_simulated(&self) -> bool {
        self.dfa.is_none()
    }
}
