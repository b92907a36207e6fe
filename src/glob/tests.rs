//! The zzglob conformance table of behaviour document 5.7, and property tests
//! against an independent reference (a regex translation of the pattern).

use proptest::prelude::*;

use super::{GlobErrorKind, Pattern};

const HOME: &str = "/home/tester";

fn m(pattern: &str, path: &str) -> bool {
    Pattern::parse(pattern, Some(HOME))
        .unwrap_or_else(|e| panic!("{pattern:?}: {e}"))
        .matches(path)
}

/// Cases 1-48 (zzglob's match_test.go) and D1-D29.
#[test]
fn conformance_table() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, bool)] = &[
        ("1", "a/b", "a/b", true),
        ("2", "a/b", "a/b/", false),
        ("3", "a*b", "acccccb", true),
        ("4", "a*b", "abc", false),
        ("5", "a*b", "a/b", false),
        ("6", "a/{b,c}/d", "a/c/d", true),
        ("7", "a/{b,c}/d", "a/w/d", false),
        ("8", "a/[bc]/d", "a/b/d", true),
        ("9", "a/[bc]/d", "a/x/d", false),
        ("10", "a/[bc]/d", "b/c/d", false),
        ("11", "a/[^bc]/d", "a/b/d", false),
        ("12", "a/[^bc]/d", "a/c/d", false),
        ("13", "a/[^bc]/d", "a/x/d", true),
        ("14", "a/[^bc]/d", "a/y/d", true),
        ("15", "a?b", "acb", true),
        ("16", "a?b", "accb", false),
        ("17", "a**b", "acb", true),
        ("18", "a**b", "acccb", true),
        ("19", "a**b", "a/b", true),
        ("20", "a**b", "a/c/b", true),
        ("21", "a**b", "a/b/c", false),
        ("22", "a/**/b", "a/b", true),
        ("23", "a/**/b", "a/c/b", true),
        ("24", "a/**/b", "a/b/c", false),
        ("25", "a/**/b", "a/c/d/e/f/b", true),
        ("26", "*", "a", true),
        ("27", "*", "abcde", true),
        ("28", "*", "abc/", false),
        ("29", "**", "a", true),
        ("30", "**", "abcde", true),
        ("31", "**", "abc/", true),
        ("32", "{a,b*}", "a", true),
        ("33", "{a,b*}", "b", true),
        ("34", "{a,b*}", "ac", false),
        ("35", "{a,b*}", "bc", true),
        ("36", "{a,b*}", "bcc/cc", false),
        ("37", "{a,b**}", "a", true),
        ("38", "{a,b**}", "b", true),
        ("39", "{a,b**}", "ac", false),
        ("40", "{a,b**}", "bc", true),
        ("41", "{a,b**}", "bcc/cc", true),
        ("42", "{,a}{,a}{,a}{,a}{,a}b", "b", true),
        ("43", "{,a}{,a}{,a}{,a}{,a}b", "ab", true),
        ("44", "{,a}{,a}{,a}{,a}{,a}b", "aab", true),
        ("45", "{,a}{,a}{,a}{,a}{,a}b", "aaab", true),
        ("46", "{,a}{,a}{,a}{,a}{,a}b", "aaaab", true),
        ("47", "{,a}{,a}{,a}{,a}{,a}b", "aaaaab", true),
        ("48", "{,a}{,a}{,a}{,a}{,a}b", "aaaaaab", false),
        ("D1", "**/{*_test,test_*}.py", "test_a.py", true),
        ("D2", "**/{*_test,test_*}.py", "a/b/test_a.py", true),
        ("D3", "**/{*_test,test_*}.py", "a/b_test.py", true),
        ("D4", "**/{*_test,test_*}.py", "a/b/ctest_a.py", false),
        ("D5", "**/{*_test,test_*}.py", ".venv/lib/test_x.py", true),
        ("D6", "**/{*_test,test_*}.py", "test_a.pyc", false),
        ("D7", "spec/**/*_spec.rb", "spec/a_spec.rb", true),
        ("D8", "spec/**/*_spec.rb", "./spec/a_spec.rb", false),
        ("D9", "*.py", ".hidden.py", true),
        ("D10", "a[^x]b", "a/b", true),
        ("D11", "a[a-c]b", "abb", false),
        ("D12", "a[a-c]b", "a-b", true),
        ("D13", "a\\*b", "a*b", true),
        ("D14", "a\\*b", "axb", false),
        ("D15", "[]", "a", false),
        ("D16", "a}b", "a}b", true),
        ("D17", "{a,{b,c}}d", "cd", true),
        ("D18", "x/**", "x/", true),
        ("D19", "x/**", "x", false),
        ("D20", "tests/api", "tests/api/test_x.py", false),
        ("D21", "tests/api/**", "tests/api", false),
        ("D22", "", "a", false),
        ("D23", "a/*/b", "a//b", true),
        ("D24", "a/?/b", "a//b", false),
        ("D25", "[*]", "*", true),
        ("D26", "**/node_modules", "node_modules", true),
        ("D27", "foo/**/bar", "foobar", false),
        ("D28", "**/*", "a/", true),
        ("D29", "a[", "a[", true),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter(|(_, p, path, want)| m(p, path) != *want)
        .map(|(id, p, path, want)| format!("case {id}: {p:?} vs {path:?} should be {want}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Cases 49-52: tilde expansion.
#[test]
fn tilde_expansion() {
    let on = |p: &str, path: &str| Pattern::parse(p, Some(HOME)).unwrap().matches(path);
    let off = |p: &str, path: &str| Pattern::parse(p, None).unwrap().matches(path);
    assert!(on("~/a", &format!("{HOME}/a")), "49");
    assert!(!on("~/a", "~/a"), "50");
    assert!(off("~/a", "~/a"), "51");
    assert!(on("a/~", "a/~") && off("a/~", "a/~"), "52");
    assert!(
        !on("a/~", &format!("a{HOME}")),
        "52: never expanded in the middle"
    );
    assert_eq!(
        Pattern::parse("~/src/**/*.py", Some(HOME)).unwrap().root(),
        "/home/tester/src/"
    );
}

/// Case D30 and positions.
#[test]
fn parse_errors_name_the_construct_and_position() {
    let err = |p: &str| Pattern::parse(p, None).unwrap_err();
    assert_eq!(err("[abc").kind, GlobErrorKind::UnterminatedClass);
    assert_eq!(err("{a,b").kind, GlobErrorKind::UnterminatedAlternation);
    assert_eq!(err("[^").kind, GlobErrorKind::UnterminatedNegatedClass);
    let e = err("tests/{a,b");
    assert_eq!(e.position, 7);
    assert_eq!(
        e.to_string(),
        "unterminated alternation - missing closing brace (at character 7 of `tests/{a,b`)"
    );
}

#[test]
fn more_edges() {
    assert!(m("a***", "a/b/c"), "*** is ** then *");
    assert!(m("[[]", "["), "[ inside a class is literal");
    assert!(m("[\\]]", "]"));
    assert!(m("a\\", "a\\"), "a trailing backslash is literal");
    assert!(m("a,b", "a,b"), "comma outside braces is literal");
    assert!(m("{a/b,c}/d", "a/b/d"), "slash inside braces");
    assert!(m("{,**/}x", "x") && m("{,**/}x", "p/q/x"));
    // `//**/` is not rewritten, so the `**` may not match nothing there.
    assert!(m("a//**/b", "a//x/b") && m("a//**/b", "a///b"));
    assert!(!m("a//**/b", "a//b"));
    assert!(m("[^]", "/"), "an empty negated class matches anything");
    assert!(!m("a[]b", "ab"));
    assert!(m("ü*", "über"), "non-ASCII literals");
    assert!(!m("?", "ab"));
    assert!(m("?", "é"), "? is one character, not one byte");
}

#[test]
fn roots() {
    let root = |p: &str| Pattern::parse(p, None).unwrap().root().to_string();
    assert_eq!(root("spec/**/*_spec.rb"), "spec/");
    assert_eq!(root("**/x"), "");
    assert_eq!(root("./tests/**/test_*.py"), "./tests/");
    assert_eq!(root("/abs/dir/*.py"), "/abs/dir/");
    assert_eq!(root("tests/api"), "tests/api");
    assert!(Pattern::parse("tests/api", None).unwrap().is_literal());
}

#[test]
fn pathological_patterns_stay_linear() {
    let p = Pattern::parse(&"{,a}".repeat(40), None).unwrap();
    assert!(p.matches(&"a".repeat(40)));
    assert!(!p.matches(&"a".repeat(41)));
    let p = Pattern::parse(&format!("{}x", "**/".repeat(30)), None).unwrap();
    assert!(p.matches(&"d/".repeat(500).replace("//", "/x/")[..]) || !p.matches("nope"));
    // The classic exponential DFA: the 20th character from the end is `a`.
    let p = Pattern::parse(&format!("**a{}", "?".repeat(20)), None).unwrap();
    assert!(p.is_simulated(), "a DFA would need 2^20 states");
    assert!(p.matches(&format!("xxa{}", "b".repeat(20))));
    assert!(!p.matches(&format!("xxb{}", "b".repeat(20))));
}

/// Translates a pattern to a regex, for patterns where the translation is
/// exact: no `~`, no `\`, no `[` (classes and their escapes have their own
/// tests above), no rewrites that depend on token adjacency beyond the two
/// documented ones.
fn to_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut depth = 0;
    let mut i = 0;
    // Leading `**/` and every `/**/` may also match nothing.
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        if i == 0 && rest.starts_with("**/") && !rest.starts_with("***") {
            out.push_str("(?:|.*/)");
            i += 3;
            continue;
        }
        if rest.starts_with("/**/") && !rest.starts_with("/***") {
            out.push_str("/(?:|.*/)");
            i += 4;
            continue;
        }
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                out.push_str(".*");
                i += 2;
                continue;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '{' => {
                depth += 1;
                out.push_str("(?:");
            }
            '}' if depth > 0 => {
                depth -= 1;
                out.push(')');
            }
            ',' if depth > 0 => out.push('|'),
            _ => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    out.push('$');
    out
}

/// A generated pattern: atoms, sequences and alternations.
#[derive(Clone, Debug)]
enum Node {
    Atom(&'static str),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
}

impl Node {
    fn pattern(&self) -> String {
        match self {
            Node::Atom(a) => a.to_string(),
            Node::Seq(items) => items.iter().map(Node::pattern).collect(),
            Node::Alt(alts) => format!(
                "{{{}}}",
                alts.iter().map(Node::pattern).collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// A path the pattern matches, with free choices taken from `choices`.
    fn sample(&self, choices: &mut impl Iterator<Item = u8>) -> String {
        let mut pick = |n: u8| choices.next().unwrap_or(0) % n;
        match self {
            Node::Atom("*a") => ["a", "xa", "x.ya"][usize::from(pick(3))].to_string(),
            Node::Atom("**b") => ["b", "x/b", "x/.y/zb"][usize::from(pick(3))].to_string(),
            Node::Atom("?") => ["x", "."][usize::from(pick(2))].to_string(),
            // Samples valid whether or not the "may match nothing" rewrite applies.
            Node::Atom("**/") => ["/", "x/", "x/y/"][usize::from(pick(3))].to_string(),
            Node::Atom("/**/") => ["//", "/x/", "/x/y/"][usize::from(pick(3))].to_string(),
            Node::Atom(lit) => lit.to_string(),
            Node::Seq(items) => items.iter().map(|n| n.sample(choices)).collect(),
            Node::Alt(alts) => {
                let n = u8::try_from(alts.len()).expect("few alternatives");
                let i = usize::from(pick(n));
                alts[i].sample(choices)
            }
        }
    }
}

fn node_strategy() -> impl Strategy<Value = Node> {
    // Atoms end in a literal, so no `***` run is formed by accident.
    let atom = prop_oneof![
        Just(Node::Atom("a")),
        Just(Node::Atom("b")),
        Just(Node::Atom("/")),
        Just(Node::Atom(".")),
        Just(Node::Atom("*a")),
        Just(Node::Atom("**b")),
        Just(Node::Atom("?")),
        Just(Node::Atom("**/")),
        Just(Node::Atom("/**/")),
    ];
    let seq = prop::collection::vec(atom, 0..6).prop_map(Node::Seq);
    seq.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Node::Seq),
            prop::collection::vec(inner, 1..4).prop_map(Node::Alt),
        ]
    })
}

fn path_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![Just('a'), Just('b'), Just('/'), Just('.'), Just('x')],
        0..10,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Whether the regex translation is exact for `p`: it leaves out `***` runs
/// and overlapping or doubled-slash rewrites (`/**/**/`, `//**/`, `**/**/`
/// at the start), whose zzglob handling is tested directly above.
fn translation_is_exact(p: &str) -> bool {
    !p.contains("***") && !p.contains("/**/**/") && !p.contains("//**/") && !p.starts_with("**/**/")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_with_the_regex_reference(node in node_strategy(), path in path_strategy(), choices in prop::collection::vec(any::<u8>(), 16)) {
        let p = node.pattern();
        if translation_is_exact(&p) {
            let pattern = Pattern::parse(&p, None).unwrap();
            let reference = regex::Regex::new(&to_regex(&p)).unwrap();
            prop_assert_eq!(pattern.matches(&path), reference.is_match(&path), "pattern {:?} regex {}", p, to_regex(&p));
            let sample = node.sample(&mut choices.into_iter());
            prop_assert!(reference.is_match(&sample), "reference rejects its own sample {:?} of {:?}", sample, p);
            prop_assert!(pattern.matches(&sample), "{:?} should match {:?}", p, sample);
        }
    }

    /// Pruning is safe: for a path that matches, the cursor after each of its
    /// directory prefixes (with the trailing `/`) is still alive.
    #[test]
    fn never_prunes_a_directory_that_holds_a_match(node in node_strategy(), choices in prop::collection::vec(any::<u8>(), 16)) {
        let p = node.pattern();
        let path = node.sample(&mut choices.into_iter());
        let pattern = Pattern::parse(&p, None).unwrap();
        if !pattern.is_literal() && pattern.matches(&path) {
            let rest = &path[pattern.root().len()..];
            let start = pattern.start().unwrap();
            for (i, c) in rest.char_indices() {
                if c == '/' {
                    let cursor = pattern.feed(&start, &rest[..=i]);
                    prop_assert!(!pattern.is_dead(&cursor), "{:?} pruned at {:?} but matches {:?}", p, &rest[..=i], path);
                }
            }
        }
    }
}
