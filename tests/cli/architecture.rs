//! The structure of `src/` that must stay (issue 18, item 7), checked by
//! plain text scans so that a later feature cannot regrow the middle
//! silently:
//!
//! - the top-level modules depend on each other only along the edges of an
//!   allowed-edges table, and no module is part of an import cycle;
//! - no function returns `Result<_, String>`: errors are typed (S6);
//! - only `report/` and the terminal writer print;
//! - only `runner/` and the config element that parses it name a
//!   `RunnerKind` variant.
//!
//! The scans read `crate::x` paths (also inside `use crate::{x, y}`).
//! `docs/architecture.md`'s dependency table is to say what
//! [`ALLOWED_EDGES`] says.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// The allowed module graph (issue 18): each top-level module with the
/// top-level modules it may name. `app` is the orchestrator and may name
/// everything; every other module has a job and only the neighbours that
/// job needs. docs/architecture.md's dependency table says the same.
const ALLOWED_EDGES: &[(&str, &[&str])] = &[
    // The buildkite-agent calls run their children through process/.
    ("agent", &["chain", "process", "secret"]),
    ("api", &["chain", "plan", "results", "secret"]),
    // The git half of `tools backfill-commit-metadata` (D43): git runs
    // through process/.
    ("backfill", &["process"]),
    ("app", &["*"]),
    ("chain", &[]),
    ("cli", &["config", "exit_code"]),
    // Settings know nothing of the API client or of runner internals.
    ("config", &["glob", "input", "secret"]),
    // `discover` hands targets to the planner; it does not plan.
    (
        "discover",
        &["config", "glob", "input", "process", "runner"],
    ),
    // The event contract: what the stages say and every type the reporter
    // may read, re-exported; it names no stage but the data they hand on.
    (
        "events",
        &[
            "agent",
            "api",
            "chain",
            "config",
            "exit_code",
            "git",
            "plan",
            "results",
        ],
    ),
    (
        "execute",
        &[
            "config",
            "events",
            "exit_code",
            "plan",
            "process",
            "results",
            "runner",
            "upload",
        ],
    ),
    ("exit_code", &[]),
    // The test selection preview's git calls run through process/ (D40).
    ("git", &["process"]),
    ("glob", &[]),
    // Reading files of bounded size that are regular files (D34).
    ("input", &[]),
    ("plan", &["chain", "glob", "input"]),
    // Child processes know nothing of plans, runners or settings.
    ("process", &["exit_code"]),
    ("quote", &[]),
    // Every word the user reads, from events; nothing of the stages.
    (
        "report",
        &[
            "chain",
            "events",
            "exit_code",
            "plan",
            "quote",
            "results",
            "secret",
        ],
    ),
    ("results", &["chain", "input"]),
    (
        "runner",
        &["chain", "config", "process", "quote", "results"],
    ),
    ("secret", &[]),
    ("upload", &["api", "secret"]),
];

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// A source file of `src/`: its path from `src/`, its top-level module
/// (`None` for `lib.rs` and `main.rs`) and its text.
struct Source {
    rel: String,
    module: Option<String>,
    text: String,
}

fn src_files() -> Vec<Source> {
    let src = repo_root().join("src");
    sources(&src)
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let first = rel.split('/').next().unwrap().trim_end_matches(".rs");
            let module = (first != "lib" && first != "main").then(|| first.to_string());
            let text = fs::read_to_string(&file).unwrap();
            Source { rel, module, text }
        })
        .collect()
}

/// The lowercase identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules `text` names: `crate::x`, and every `x` of
/// `crate::{x::…, y}`.
fn named_modules(text: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Split the group's top level at commas.
            let mut depth = 0usize;
            let mut start = 0;
            for (at, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(ident(group[start..].trim_start()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(group[start..].trim_start()));
                        start = at + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.remove("");
    names
}

/// An edge between top-level modules and the first file that makes it.
struct Edge {
    from: String,
    to: String,
    file: String,
}

/// Every edge between two top-level modules, once, with the first file
/// (in path order) that names it.
fn edges() -> Vec<Edge> {
    let mut seen = BTreeSet::new();
    let mut edges = Vec::new();
    for source in src_files() {
        let Some(module) = &source.module else {
            continue;
        };
        for to in named_modules(&source.text) {
            if to != module && seen.insert((module.clone(), to.to_string())) {
                edges.push(Edge {
                    from: module.clone(),
                    to: to.to_string(),
                    file: source.rel.clone(),
                });
            }
        }
    }
    edges
}

/// The edges that `table` does not allow, one line each, naming the file.
fn violations(table: &[(&str, &[&str])]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = table.iter().copied().collect();
    edges()
        .into_iter()
        .filter_map(|edge| {
            let line = match allowed.get(edge.from.as_str()) {
                None => format!(
                    "`{}` is a top-level module the table does not know (first edge: `{} -> {}` in src/{})",
                    edge.from, edge.from, edge.to, edge.file
                ),
                Some(to) if to.contains(&"*") || to.contains(&edge.to.as_str()) => return None,
                Some(_) => format!(
                    "`{} -> {}`: src/{} names `crate::{}`",
                    edge.from, edge.to, edge.file, edge.to
                ),
            };
            Some(line)
        })
        .collect()
}

#[test]
fn the_module_graph_has_only_the_allowed_edges() {
    let wrong = violations(ALLOWED_EDGES);
    assert!(
        wrong.is_empty(),
        "edges between top-level modules that docs/architecture.md does not allow \
         (tests/cli/architecture.rs, ALLOWED_EDGES):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_top_level_module_is_part_of_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for edge in edges() {
        graph.entry(edge.from).or_default().insert(edge.to);
    }
    assert!(graph.len() > 10, "found the modules: {graph:?}");
    // Depth-first search; a module met again on the current path is a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            panic!(
                "a cycle between top-level modules: {}",
                path[at..].join(" -> ") + " -> " + node
            );
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next) {
                visit(next, graph, path, done);
            }
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_scan_reads_grouped_imports() {
    let text = "use crate::{config::{A, B}, plan::C, glob};\nuse crate::results::D;";
    assert_eq!(
        named_modules(text).into_iter().collect::<Vec<_>>(),
        ["config", "glob", "plan", "results"]
    );
}

/// `line` without its `//` comment (a text scan: a `//` inside a string
/// cuts the line short, which only hides what follows it).
fn code_of(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// Whether the generic arguments after `Result<` at the start of `rest`
/// end with a string type as the error: `Result<T, String>`,
/// `Result<T, &str>`, `Result<T, &'static str>`.
fn is_string_result(rest: &str) -> bool {
    let mut depth = 0usize;
    let mut last_comma = None;
    let mut prev = ' ';
    for (at, c) in rest.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            // `->` inside the arguments (a closure type) is no bracket.
            '>' if prev == '-' => {}
            ',' if depth == 0 => last_comma = Some(at),
            '>' | ')' | ']' if depth == 0 => {
                let Some(comma) = last_comma else {
                    return false;
                };
                let error = rest[comma + 1..at].trim();
                let error = error.rsplit("::").next().unwrap_or(error);
                return matches!(error, "String" | "&str" | "&'static str" | "str");
            }
            '>' | ')' | ']' => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    false
}

/// Every `Result<_, String>` (or `&str`) in `text`, as `line: code`.
fn string_results(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = code_of(line);
        if code
            .match_indices("Result<")
            .any(|(at, _)| is_string_result(&code[at + "Result<".len()..]))
        {
            found.push(format!("{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn no_function_returns_a_string_as_its_error() {
    let found: Vec<String> = src_files()
        .iter()
        .flat_map(|s| {
            string_results(&s.text)
                .into_iter()
                .map(move |hit| format!("src/{}:{hit}", s.rel))
        })
        .collect();
    assert!(
        found.is_empty(),
        "`Result<_, String>` in src/: errors are typed, with the offending value as context \
         and the cause as `#[source]` (S6, issue 18):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_string_result_scan_sees_through_nesting() {
    assert_eq!(
        string_results(
            "fn a() -> Result<Vec<u8>, String> {}\n\
             fn b(f: impl FnOnce() -> Result<(), &'static str>) {}\n\
             fn c() -> io::Result<String> {}\n\
             fn d() -> Result<HashMap<String, String>, Error> {}\n\
             fn e() -> Result<(), std::string::String> {}\n\
             // Result<(), String> in a comment\n\
             fn f(g: fn(u8) -> u8) -> Result<String, E> {}"
        )
        .len(),
        3
    );
}

/// The printing methods of `Shell` (src/report/shell.rs).
const PRINT_METHODS: &[&str] = &["out", "err", "warn", "warn_more", "fatal", "error"];

/// Calls of a `Shell` printing method in `text`, as `line: code`: a method
/// of [`PRINT_METHODS`] with arguments, called on a receiver whose name
/// ends in `shell`, or on a `Shell::…(…)` built on the same line.
fn shell_prints(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = code_of(line);
        let prints = PRINT_METHODS.iter().any(|method| {
            code.match_indices(&format!(".{method}("))
                .any(|(at, call)| {
                    let receiver = code[..at].trim_end_matches(|c: char| c.is_ascii_whitespace());
                    let has_args = !code[at + call.len()..].starts_with(')');
                    has_args
                        && (receiver.to_ascii_lowercase().ends_with("shell")
                            || (receiver.ends_with(')') && code.contains("Shell::")))
                })
        });
        if prints {
            found.push(format!("{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn only_the_report_and_the_terminal_writer_print() {
    let found: Vec<String> = src_files()
        .iter()
        .filter(|s| !s.rel.starts_with("report/"))
        .flat_map(|s| {
            shell_prints(&s.text)
                .into_iter()
                .map(move |hit| format!("src/{}:{hit}", s.rel))
        })
        .collect();
    assert!(
        found.is_empty(),
        "stages never print: they emit events, and report/ words them (issue 18, item 2); \
         these print through the Shell:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_print_scan_finds_shell_calls_only() {
    let hits = shell_prints(
        "shell.out(&text);\n\
         self.shell.warn(\"x\");\n\
         Shell::stderr_only(color).err(&line);\n\
         let e = result.err();\n\
         record.error().is_none();\n\
         writer.out(&text);",
    );
    assert_eq!(hits.len(), 3, "{hits:?}");
}

/// Whether the path after `RunnerKind::` names a variant (`Pytest`), not
/// an associated constant (`ALL`, the list of every runner).
fn names_a_variant(rest: &str) -> bool {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().any(|c| c.is_ascii_lowercase())
}

#[test]
fn the_runner_kind_scan_tells_variants_from_constants() {
    assert!(names_a_variant("Pytest => 1"));
    assert!(names_a_variant("Custom)"));
    assert!(!names_a_variant("ALL.iter()"));
    assert!(!names_a_variant("from_str(x)"));
}

/// Where a `RunnerKind` variant may be named: the runners and the config
/// element that parses the runner's name.
fn may_name_runner_kinds(rel: &str) -> bool {
    rel.starts_with("runner/") || rel.starts_with("config/elements/")
}

#[test]
fn only_runner_names_runner_kinds() {
    let found: Vec<String> = src_files()
        .iter()
        .filter(|s| !may_name_runner_kinds(&s.rel))
        .flat_map(|s| {
            s.text.lines().enumerate().filter_map(move |(n, line)| {
                let named = code_of(line)
                    .match_indices("RunnerKind::")
                    .any(|(at, m)| names_a_variant(&line[at + m.len()..]));
                named.then(|| format!("src/{}:{}: {}", s.rel, n + 1, line.trim()))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "runner facts live in runner/ (issue 18, item 4): a field or hook of the runner's \
         `Framework`, not a `RunnerKind::X` outside src/runner/ and src/config/elements/:\n{}",
        found.join("\n")
    );
}

/// The longest a function of the orchestrator may be (issue 18): `app/`
/// reads as a list of stage calls, so its functions stay shorter than the
/// crate's clippy threshold (80).
const APP_FUNCTION_LINES: usize = 60;

/// Each function of `text` before its tests, as (name, lines of code in its
/// body): lines that are neither blank nor comments, braces counted to find
/// its end.
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let item = line.trim_start();
        let item = item.strip_prefix("pub(super) ").unwrap_or(item);
        let item = item.strip_prefix("pub(crate) ").unwrap_or(item);
        let item = item.strip_prefix("pub ").unwrap_or(item);
        let item = item.strip_prefix("async ").unwrap_or(item);
        let Some(rest) = item.strip_prefix("fn ") else {
            continue;
        };
        let name = ident(rest).to_string();
        let mut depth = 0i32;
        let mut body: usize = 0;
        let mut opened = false;
        for line in &lines[at..] {
            let code = code_of(line).trim();
            if opened && !code.is_empty() {
                body += 1;
            }
            depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
            opened |= depth > 0;
            if opened && depth <= 0 {
                break;
            }
            if !opened && code.ends_with(';') {
                break;
            }
        }
        found.push((name, body.saturating_sub(1)));
    }
    found
}

#[test]
fn no_function_of_the_orchestrator_is_long() {
    let long: Vec<String> = src_files()
        .iter()
        .filter(|s| s.rel == "app.rs" || s.rel.starts_with("app/"))
        .flat_map(|s| {
            function_lengths(&s.text)
                .into_iter()
                .filter(|(_, lines)| *lines > APP_FUNCTION_LINES)
                .map(move |(name, lines)| format!("src/{}: `{name}` has {lines} lines", s.rel))
        })
        .collect();
    assert!(
        long.is_empty(),
        "app/ is a list of stage calls: no function over {APP_FUNCTION_LINES} lines; \
         give a stage its own function in its own file:\n{}",
        long.join("\n")
    );
}

#[test]
fn function_lengths_count_code_lines_only() {
    let text = "fn a() {\n    one();\n\n    // note\n    two();\n}\n\
                pub(super) async fn b(x: u8) -> u8 {\n    x\n}\n\
                fn c();\n";
    assert_eq!(
        function_lengths(text),
        [
            ("a".to_string(), 2),
            ("b".to_string(), 1),
            ("c".to_string(), 0)
        ]
    );
}
