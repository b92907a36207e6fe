//! Tokenising and rewriting a zzglob pattern (behaviour document 5.4).

/// One token of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A character that matches itself (including `/` and escaped characters).
    Lit(char),
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
    /// `?`: one character other than `/`.
    Question,
    /// `{`.
    OpenBrace,
    /// `}`.
    CloseBrace,
    /// `,`.
    Comma,
    /// `[`.
    OpenBracket,
    /// `[^`.
    BracketCaret,
    /// `]` closing a class.
    CloseBracket,
    /// `~`, expanded when it starts the pattern as `~/`.
    Tilde,
}

/// A token and the 0-based character position in the pattern it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
}

/// Splits `pattern` into tokens, as zzglob's tokeniser does with its Unix
/// defaults: `\` escapes the next character (a trailing `\` is literal); `[`
/// opens a class (a trailing `[` is literal) and `[^` a negated one; inside a
/// class everything but `\` and `]` is literal; `**` is one token and `***` is
/// `**` then `*`; `,` `{` `}` are punctuation everywhere, so that the parser
/// can decide whether they mean anything.
pub(super) fn tokenise(pattern: &str) -> Vec<Token> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Pending {
        None,
        Escape(usize),
        Star(usize),
        Bracket(usize),
    }
    let mut out = Vec::with_capacity(pattern.len());
    let mut pending = Pending::None;
    let mut inside_class = false;
    let mut push = |tok: Tok, pos: usize| out.push(Token { tok, pos });
    for (pos, c) in pattern.chars().enumerate() {
        match pending {
            Pending::Escape(_) => {
                pending = Pending::None;
                push(Tok::Lit(c), pos);
                continue;
            }
            Pending::Star(at) => {
                pending = Pending::None;
                if c == '*' {
                    push(Tok::DoubleStar, at);
                    continue;
                }
                push(Tok::Star, at);
            }
            Pending::Bracket(at) => {
                pending = Pending::None;
                inside_class = true;
                if c == '^' {
                    push(Tok::BracketCaret, at);
                    continue;
                }
                push(Tok::OpenBracket, at);
            }
            Pending::None => {}
        }
        if inside_class {
            match c {
                '\\' => pending = Pending::Escape(pos),
                ']' => {
                    push(Tok::CloseBracket, pos);
                    inside_class = false;
                }
                _ => push(Tok::Lit(c), pos),
            }
            continue;
        }
        match c {
            '*' => pending = Pending::Star(pos),
            '\\' => pending = Pending::Escape(pos),
            '[' => pending = Pending::Bracket(pos),
            '~' => push(Tok::Tilde, pos),
            '?' => push(Tok::Question, pos),
            '{' => push(Tok::OpenBrace, pos),
            '}' => push(Tok::CloseBrace, pos),
            ',' => push(Tok::Comma, pos),
            _ => push(Tok::Lit(c), pos),
        }
    }
    match pending {
        Pending::None => {}
        Pending::Star(at) => push(Tok::Star, at),
        Pending::Escape(at) => push(Tok::Lit('\\'), at),
        Pending::Bracket(at) => push(Tok::Lit('['), at),
    }
    out
}

/// The literal text of `tokens` if every token is a literal.
pub(super) fn all_literal(tokens: &[Token]) -> Option<String> {
    tokens
        .iter()
        .map(|t| match t.tok {
            Tok::Lit(c) => Some(c),
            Tok::Star
            | Tok::DoubleStar
            | Tok::Question
            | Tok::OpenBrace
            | Tok::CloseBrace
            | Tok::Comma
            | Tok::OpenBracket
            | Tok::BracketCaret
            | Tok::CloseBracket
            | Tok::Tilde => None,
        })
        .collect()
}

/// zzglob's rewrites: a leading `~/` becomes the home directory (when known),
/// a leading `**/` becomes `{,**/}`, every `/**/` becomes `/{,**/}`, and any
/// other `~` is a literal.
pub(super) fn rewrite(tokens: Vec<Token>, home: Option<&str>) -> Vec<Token> {
    let mut tokens = tokens;
    let either_nothing_or_double_star_slash = |pos: usize| {
        [
            Tok::OpenBrace,
            Tok::Comma,
            Tok::DoubleStar,
            Tok::Lit('/'),
            Tok::CloseBrace,
        ]
        .map(|tok| Token { tok, pos })
    };
    if starts_with(&tokens, &[Tok::DoubleStar, Tok::Lit('/')]) {
        let pos = tokens[0].pos;
        tokens.splice(0..2, either_nothing_or_double_star_slash(pos));
    }
    if let Some(home) = home.filter(|h| !h.is_empty())
        && starts_with(&tokens, &[Tok::Tilde, Tok::Lit('/')])
    {
        let mut dir: Vec<Token> = home
            .chars()
            .map(|c| Token {
                tok: Tok::Lit(c),
                pos: 0,
            })
            .collect();
        if !home.ends_with('/') {
            dir.push(Token {
                tok: Tok::Lit('/'),
                pos: 0,
            });
        }
        tokens.splice(0..2, dir);
    }
    // `/**/` anywhere. Matching restarts after a mismatch without reconsidering
    // the mismatched token, as zzglob's replacement loop does, so `//**/` is
    // left alone.
    let find = [Tok::Lit('/'), Tok::DoubleStar, Tok::Lit('/')];
    let mut out = Vec::with_capacity(tokens.len() + 4);
    let mut matched = 0;
    for t in tokens {
        if t.tok == find[matched] {
            matched += 1;
            if matched == find.len() {
                let start = out.len() + 1 - find.len();
                let pos = t.pos;
                out.truncate(start);
                out.push(Token {
                    tok: Tok::Lit('/'),
                    pos,
                });
                out.extend(either_nothing_or_double_star_slash(pos));
                matched = 0;
                continue;
            }
            out.push(t);
        } else {
            matched = 0;
            out.push(t);
        }
    }
    for t in &mut out {
        if t.tok == Tok::Tilde {
            t.tok = Tok::Lit('~');
        }
    }
    out
}

fn starts_with(tokens: &[Token], prefix: &[Tok]) -> bool {
    tokens.len() >= prefix.len() && tokens.iter().zip(prefix).all(|(t, p)| t.tok == *p)
}

/// Splits off the root: the longest all-literal prefix, up to and including
/// its last `/`.
pub(super) fn split_root(tokens: &[Token]) -> (String, &[Token]) {
    let literal_len = tokens
        .iter()
        .position(|t| !matches!(t.tok, Tok::Lit(_)))
        .unwrap_or(tokens.len());
    let Some(last_slash) = tokens[..literal_len]
        .iter()
        .rposition(|t| t.tok == Tok::Lit('/'))
    else {
        return (String::new(), tokens);
    };
    let root = tokens[..=last_slash]
        .iter()
        .map(|t| match t.tok {
            Tok::Lit(c) => c,
            _ => unreachable!("the root is all literals"),
        })
        .collect();
    (root, &tokens[last_slash + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(p: &str) -> Vec<Tok> {
        tokenise(p).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokenises_stars_escapes_and_classes() {
        use Tok::*;
        assert_eq!(toks("***"), [DoubleStar, Star]);
        assert_eq!(toks("a\\*"), [Lit('a'), Lit('*')]);
        assert_eq!(toks("a\\"), [Lit('a'), Lit('\\')]);
        assert_eq!(toks("a["), [Lit('a'), Lit('[')]);
        assert_eq!(toks("[^x]"), [BracketCaret, Lit('x'), CloseBracket]);
        assert_eq!(
            toks("[*?,{/]"),
            [
                OpenBracket,
                Lit('*'),
                Lit('?'),
                Lit(','),
                Lit('{'),
                Lit('/'),
                CloseBracket
            ]
        );
        assert_eq!(toks("[\\]]"), [OpenBracket, Lit(']'), CloseBracket]);
        assert_eq!(toks("]"), [Lit(']')]);
    }

    #[test]
    fn rewrites_follow_zzglob() {
        let r = |p: &str| rewrite(tokenise(p), Some("/home/u"));
        let lits = |ts: Vec<Token>| all_literal(&ts[..]);
        assert_eq!(lits(r("~/a")), Some("/home/u/a".to_string()));
        assert_eq!(lits(r("a/~")), Some("a/~".to_string()));
        assert_eq!(
            toks_of(&r("**/x"))[..5],
            [
                Tok::OpenBrace,
                Tok::Comma,
                Tok::DoubleStar,
                Tok::Lit('/'),
                Tok::CloseBrace
            ]
        );
        // `//**/` is not rewritten (the replacement loop does not backtrack).
        assert_eq!(toks_of(&r("a//**/b")), toks("a//**/b"));
        assert_eq!(toks_of(&r("a/**/b")).len(), toks("a/{,**/}b").len());
    }

    fn toks_of(ts: &[Token]) -> Vec<Tok> {
        ts.iter().map(|t| t.tok).collect()
    }

    #[test]
    fn root_is_the_literal_prefix_to_its_last_slash() {
        let t = tokenise("spec/a/**/*_spec.rb");
        assert_eq!(split_root(&t).0, "spec/a/");
        assert_eq!(split_root(&tokenise("**/x")).0, "");
        assert_eq!(split_root(&tokenise("a*b")).0, "");
        assert_eq!(split_root(&tokenise("a\\*b/c*")).0, "a*b/");
    }
}
