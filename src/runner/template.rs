//! Command templates (behaviour document 7.2, D12). A template is split into
//! words first, with shell-words rules (quotes and backslashes, no expansion),
//! and placeholders are substituted into the words afterwards, so every
//! substituted value is exactly one argument whatever characters it holds.
//!
//! One word is different: the script of a POSIX shell run with `-c` (D25),
//! wherever the shell stands in the command (`sh -c`, `timeout 600 sh -c`,
//! `docker compose run app bash -ec`). The shell parses it again, so a value
//! substituted there raw would be shell code. There each value is
//! shell-quoted for the place it stands in (plain, inside `'…'`, inside
//! `"…"`) and becomes one word of the script.
//!
//! Any other word is passed as it is, so it must not look like code: a word
//! that holds a placeholder and whitespace or a shell character may be a
//! script for a program bktec does not know (`ssh host "…"`, `python -c "…"`),
//! and is refused (fail closed, D12).

use std::fmt;

use crate::results::ResultFormat;

/// `{{testExamples}}`: the tests to run.
pub(crate) const TEST_EXAMPLES: &str = "{{testExamples}}";
/// `{{resultPath}}`: the result file.
pub(crate) const RESULT_PATH: &str = "{{resultPath}}";
/// `{{testNamePattern}}`: the regular expression of the tests a Jest or
/// Vitest retry runs (behaviour document 7.2). Only a word of its own is
/// substituted, never part of a word or of a `sh -c` script (D12, D25).
pub(crate) const TEST_NAME_PATTERN: &str = "{{testNamePattern}}";

/// Why a template cannot be split into words (the messages are shell-words'),
/// or cannot be proven to keep every value one argument (D12, D25).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `'` without its closing `'`.
    #[error("Unterminated single-quoted string")]
    SingleQuote,
    /// `"` without its closing `"`.
    #[error("Unterminated double-quoted string")]
    DoubleQuote,
    /// A trailing `\`.
    #[error("Unterminated backslash-escape")]
    Backslash,
    /// A placeholder in a `sh -c` script where no quoting is known to make
    /// its value one word (D25).
    #[error(
        "`{placeholder}` is {context} of the shell script, where bktec cannot quote it safely; move it out of there (D25)"
    )]
    UnquotableInScript {
        /// The placeholder.
        placeholder: &'static str,
        /// Where it is.
        context: &'static str,
    },
    /// A placeholder in a word, not a recognised shell script, that also
    /// holds whitespace or a shell character: the program may run that word
    /// as code, where a value could inject commands (D12, D25).
    #[error(
        "`{placeholder}` is in the word `{word}`, which holds {holds}: a program may run that word as a script, where bktec cannot quote the value (D12); run it through `sh -c '...'`, where bktec quotes each value (D25)"
    )]
    UnprovableWord {
        /// The placeholder.
        placeholder: &'static str,
        /// The whole word, as split from the template.
        word: String,
        /// What makes it look like code (`whitespace`, `` `;` ``).
        holds: String,
    },
    /// A placeholder after a program that joins its arguments into one
    /// command line for a shell (`ssh`, `watch`): every value would be parsed
    /// as shell code there, even one bktec quoted for a `sh -c` script (D12).
    #[error(
        "`{placeholder}` comes after `{program}`, which joins its arguments into one command line for a shell, where bktec cannot quote the value (D12); run bktec where the tests run instead"
    )]
    JoinedByProgram {
        /// The placeholder.
        placeholder: &'static str,
        /// The program, as written.
        program: String,
    },
}

/// A parsed command template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandTemplate {
    source: String,
    words: Vec<String>,
    /// The `sh -c` script word, if the program is a POSIX shell (D25).
    script: Option<Script>,
}

/// A shell script word and where its placeholders stand.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Script {
    /// Which word.
    index: usize,
    /// The placeholders, in order.
    slots: Vec<Slot>,
}

/// One placeholder in a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// Its byte offset in the script.
    at: usize,
    /// `{{testExamples}}` or `{{resultPath}}`.
    placeholder: &'static str,
    /// The quotes it stands in.
    quoting: Quoting,
}

/// The quotes a script placeholder stands in, which decide how a value is
/// quoted to stay one word there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    /// None (also at the top of a `$(…)`, where quoting starts afresh).
    Plain,
    /// Inside `'…'`: close, add the quoted value, reopen.
    Single,
    /// Inside `"…"`: close, add the quoted value, reopen.
    Double,
}

/// Whether tests are appended when the template has no `{{testExamples}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingTests {
    /// Append them at the end (pytest).
    Append,
    /// Leave them out (custom).
    Omit,
}

impl CommandTemplate {
    /// Splits `source` into words.
    pub fn parse(source: &str) -> Result<CommandTemplate, TemplateError> {
        let words = split_words(source)?;
        let script = match shell_script_index(&words) {
            Some(index) => Some(Script {
                index,
                slots: script_slots(&words[index])?,
            }),
            None => None,
        };
        let script_index = script.as_ref().map(|s| s.index);
        for (index, word) in words.iter().enumerate() {
            if Some(index) != script_index {
                check_plain_word(word)?;
            }
        }
        check_joining_programs(&words, script_index)?;
        Ok(CommandTemplate {
            source: source.to_string(),
            words,
            script,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The words before substitution.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The words a program prefix is read from (D13): the template's own,
    /// or, when it runs a `sh -c` script, the words before the shell (a
    /// wrapper such as `uv run` or `timeout 600`) followed by the script's.
    pub fn program_words(&self) -> Vec<String> {
        let Some(script) = &self.script else {
            return self.words.clone();
        };
        let shell = (0..self.words.len())
            .find(|&at| script_of_shell_at(&self.words, at) == Some(script.index))
            .unwrap_or(script.index);
        let mut words = self.words[..shell].to_vec();
        let script_words = split_words(&self.words[script.index]).unwrap_or_default();
        // The command that runs the tests: after the last `&&`, `;` or the
        // like before the first placeholder (`cd app && pytest ...`).
        let first_placeholder = script_words
            .iter()
            .position(|w| w.contains(TEST_EXAMPLES) || w.contains(RESULT_PATH))
            .unwrap_or(script_words.len());
        let start = script_words[..first_placeholder]
            .iter()
            .rposition(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&"))
            .map_or(0, |i| i + 1);
        words.extend(script_words[start..].iter().cloned());
        words
    }

    /// Whether the template runs a `sh -c` script (or the like).
    pub fn runs_script(&self) -> bool {
        self.script.is_some()
    }

    /// Whether the word at `index` is a `sh -c` script, where bktec quotes
    /// the values it substitutes (D25).
    pub(crate) fn is_script_word(&self, index: usize) -> bool {
        self.script.as_ref().is_some_and(|s| s.index == index)
    }

    /// Whether the template mentions `placeholder` in any word.
    pub fn mentions(&self, placeholder: &str) -> bool {
        self.words.iter().any(|w| w.contains(placeholder))
    }

    /// The result format named by the option that holds the (first)
    /// `{{resultPath}}`: `--json=P` or `--json P` is collector JSON,
    /// `--junit-xml`/`--junitxml` (either form) is JUnit (D30), also inside
    /// a `sh -c` script. Other `--json`/`--junit-xml` options are the user's
    /// own extra outputs. `None` when no such option holds it.
    pub fn result_format(&self) -> Option<ResultFormat> {
        let index = self.words.iter().position(|w| w.contains(RESULT_PATH))?;
        match &self.script {
            // The script's words, split as the shell would split plain words
            // and quotes; enough to find an option and its value.
            Some(script) if script.index == index => {
                format_of_option_holding(&split_words(&self.words[index]).ok()?)
            }
            Some(_) | None => format_of_option_holding(&self.words),
        }
    }

    /// The argv for `tests` and `result_path`. The first `{{testExamples}}`
    /// becomes one argument per test (text around the placeholder sticks to the
    /// first and last test); the first `{{resultPath}}` is replaced inside its
    /// word.
    pub fn render(
        &self,
        tests: &[String],
        result_path: &str,
        missing: MissingTests,
    ) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.words.len() + tests.len());
        let mut tests_placed = false;
        let mut result_placed = false;
        for (index, word) in self.words.iter().enumerate() {
            if let Some(script) = self.script.as_ref().filter(|s| s.index == index) {
                argv.push(script.render(
                    word,
                    tests,
                    result_path,
                    &mut tests_placed,
                    &mut result_placed,
                ));
                continue;
            }
            let word = if !result_placed && word.contains(RESULT_PATH) {
                result_placed = true;
                word.replacen(RESULT_PATH, result_path, 1)
            } else {
                word.clone()
            };
            match word.split_once(TEST_EXAMPLES) {
                Some((before, after)) if !tests_placed => {
                    tests_placed = true;
                    match tests {
                        [] => {
                            let joined = format!("{before}{after}");
                            if !joined.is_empty() {
                                argv.push(joined);
                            }
                        }
                        [only] => argv.push(format!("{before}{only}{after}")),
                        [first, middle @ .., last] => {
                            argv.push(format!("{before}{first}"));
                            argv.extend(middle.iter().cloned());
                            argv.push(format!("{last}{after}"));
                        }
                    }
                }
                Some(_) | None => argv.push(word),
            }
        }
        if !tests_placed && missing == MissingTests::Append {
            argv.extend(tests.iter().cloned());
        }
        argv
    }
}

impl Script {
    /// The script with `{{testExamples}}` and `{{resultPath}}` substituted
    /// where the template has not placed them yet (only the first of each
    /// is), each value quoted as one script word for where it stands (D25).
    fn render(
        &self,
        script: &str,
        tests: &[String],
        result: &str,
        tests_placed: &mut bool,
        result_placed: &mut bool,
    ) -> String {
        let mut out = String::with_capacity(script.len());
        let mut from = 0;
        for slot in &self.slots {
            let words: Vec<String> = match slot.placeholder {
                TEST_EXAMPLES if !*tests_placed => {
                    *tests_placed = true;
                    tests.iter().map(|t| sh_quote(t)).collect()
                }
                RESULT_PATH if !*result_placed => {
                    *result_placed = true;
                    vec![sh_quote(result)]
                }
                _ => continue,
            };
            let joined = words.join(" ");
            out.push_str(&script[from..slot.at]);
            match slot.quoting {
                Quoting::Plain => out.push_str(&joined),
                Quoting::Single => out.push_str(&format!("'{joined}'")),
                Quoting::Double => out.push_str(&format!("\"{joined}\"")),
            }
            from = slot.at + slot.placeholder.len();
        }
        out.push_str(&script[from..]);
        out
    }
}

/// The format named by the option holding the first `{{resultPath}}` of
/// `words`: in the same word (`--json={{resultPath}}`) or as the word before
/// it (`--json {{resultPath}}`).
fn format_of_option_holding(words: &[String]) -> Option<ResultFormat> {
    let index = words.iter().position(|w| w.contains(RESULT_PATH))?;
    let option = match words[index].split_once('=') {
        Some((option, value)) if option.starts_with("--") && value.contains(RESULT_PATH) => option,
        Some(_) | None => words.get(index.checked_sub(1)?)?.as_str(),
    };
    match option {
        "--json" => Some(ResultFormat::CollectorJson),
        "--junit-xml" | "--junitxml" => Some(ResultFormat::JUnitXml),
        _ => None,
    }
}

/// The POSIX shells whose `-c` scripts D25 quotes for: single quotes and
/// `'\''` mean the same in all of them.
const POSIX_SHELLS: [&str; 9] = [
    "sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "ksh93", "yash",
];

/// The index of the script word of the first POSIX shell in `words` that is
/// run with `-c`, wherever it stands: directly, by path, or behind any
/// wrapper (`env VAR=x`, `timeout 600`, `nice -n 5`, `uv run`, `xvfb-run -a`,
/// `docker compose run app`). A shell word without `-c` (`bash run.sh`) is
/// passed over, and the search goes on.
fn shell_script_index(words: &[String]) -> Option<usize> {
    (0..words.len()).find_map(|at| script_of_shell_at(words, at))
}

/// The index of the script word when `words[at]` is a POSIX shell run with
/// `-c SCRIPT` (its options parsed as bash parses them).
fn script_of_shell_at(words: &[String], at: usize) -> Option<usize> {
    let shell = &words[at];
    let file_name = shell.rsplit('/').next().unwrap_or(shell);
    if !POSIX_SHELLS.contains(&file_name) {
        return None;
    }
    let mut i = at + 1;
    let mut command_mode = false;
    while let Some(word) = words.get(i) {
        if word == "--" || word == "-" {
            i += 1;
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            // bash's long options; two take a file.
            i += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        let flags = match (word.strip_prefix('-'), word.strip_prefix('+')) {
            (Some(flags), _) if !flags.is_empty() => {
                command_mode |= flags.contains('c');
                flags
            }
            (_, Some(flags)) if !flags.is_empty() => flags,
            _ => break,
        };
        // `-o pipefail`, `-O extglob`: each `o` or `O` takes the next word.
        let arguments = flags.chars().filter(|c| matches!(c, 'o' | 'O')).count();
        i += 1 + arguments;
    }
    (command_mode && i < words.len()).then_some(i)
}

/// Programs that join their arguments into one command line and have a
/// shell parse it (`ssh host pytest a.py` runs `pytest a.py` through the
/// remote login shell; `watch` and GNU `parallel` use `sh -c`; `tmux
/// new-session` too). A value after one of them is shell code, however bktec
/// passes it. A deny list, so best effort: the README says so.
const JOINING_PROGRAMS: [&str; 6] = ["ssh", "rsh", "slogin", "watch", "parallel", "tmux"];

/// Refuses a placeholder after a [`JOINING_PROGRAMS`] program, among the
/// template's words or, when a `sh -c` script holds a placeholder, among the
/// script's own words (`sh -c 'ssh host pytest {{testExamples}}'`).
fn check_joining_programs(words: &[String], script: Option<usize>) -> Result<(), TemplateError> {
    let mut flat: Vec<String> = Vec::with_capacity(words.len());
    for (index, word) in words.iter().enumerate() {
        match split_words(word) {
            // The shell splits its script much as shell-words does; enough
            // to find a program's name and the placeholders after it.
            Ok(script_words) if Some(index) == script => flat.extend(script_words),
            Ok(_) | Err(_) => flat.push(word.clone()),
        }
    }
    let Some(at) = flat.iter().position(|w| {
        let name = w.rsplit('/').next().unwrap_or(w);
        JOINING_PROGRAMS.contains(&name)
    }) else {
        return Ok(());
    };
    let after = flat[at + 1..].iter().find_map(|w| {
        [TEST_EXAMPLES, RESULT_PATH]
            .into_iter()
            .filter_map(|p| w.find(p).map(|i| (i, p)))
            .min()
    });
    match after {
        Some((_, placeholder)) => Err(TemplateError::JoinedByProgram {
            placeholder,
            program: flat[at].clone(),
        }),
        None => Ok(()),
    }
}

/// Characters that make a word look like code to some program: shell
/// operators and expansions (`;|&$()<>` and the backquote), quotes and
/// backslash, glob and brace characters (`*?[]{}`) and history's `!`.
/// Whitespace and control characters (newline, tab) are refused as well.
/// Left out, as harmless in an option or path: letters, digits, non-ASCII
/// text and `-_./:=,+@%#~^`.
const CODE_CHARACTERS: &str = ";|&$`()<>'\"\\*?[]{}!";

/// Refuses a word that holds a placeholder together with whitespace or a
/// [`CODE_CHARACTERS`] character outside the placeholders: bktec passes it to
/// the program as it is, and cannot prove that the program (`ssh`,
/// `python -c`, `su -c`, a `bash -lc` bktec did not recognise) will not run
/// it as code with the value inside (D12). `--json={{resultPath}}`,
/// `--tests={{testExamples}},` and `{{testExamples}}` itself are plain.
fn check_plain_word(word: &str) -> Result<(), TemplateError> {
    let Some(placeholder) = [TEST_EXAMPLES, RESULT_PATH]
        .into_iter()
        .filter_map(|p| word.find(p).map(|at| (at, p)))
        .min()
        .map(|(_, p)| p)
    else {
        return Ok(());
    };
    let rest = word.replace(TEST_EXAMPLES, "").replace(RESULT_PATH, "");
    let holds = rest.chars().find_map(|c| match c {
        '\n' => Some("a newline".to_string()),
        '`' => Some("a backquote".to_string()),
        _ if c.is_whitespace() => Some("whitespace".to_string()),
        _ if c.is_control() => Some(format!("the control character `{}`", c.escape_debug())),
        _ if CODE_CHARACTERS.contains(c) => Some(format!("`{c}`")),
        _ => None,
    });
    match holds {
        Some(holds) => Err(TemplateError::UnprovableWord {
            placeholder,
            word: word.to_string(),
            holds,
        }),
        None => Ok(()),
    }
}

/// The placeholders of a shell script and the quotes each stands in. A
/// placeholder where bktec does not know a quoting that keeps a value one
/// word (backquotes, `${…}`, `$'…'`, a comment, a here-document, unbalanced
/// quotes) is refused: failing closed beats guessing (D25).
fn script_slots(script: &str) -> Result<Vec<Slot>, TemplateError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        Top,
        /// `$(…)` with its open parentheses.
        Subst(u32),
        Single,
        Double,
        Backquote,
        Brace,
        AnsiC,
        Comment,
    }
    let refuse = |placeholder: &'static str, context: &'static str| {
        Err(TemplateError::UnquotableInScript {
            placeholder,
            context,
        })
    };
    let mut stack = vec![Frame::Top];
    let mut slots = Vec::new();
    let mut heredoc = false;
    let bytes = script.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &script[i..];
        if let Some(placeholder) = [TEST_EXAMPLES, RESULT_PATH]
            .into_iter()
            .find(|p| rest.starts_with(p))
        {
            let frame = *stack.last().expect("the stack keeps its Top frame");
            let quoting = match frame {
                _ if heredoc => return refuse(placeholder, "after a here-document (`<<`)"),
                Frame::Top | Frame::Subst(_) => Quoting::Plain,
                Frame::Single => Quoting::Single,
                Frame::Double => Quoting::Double,
                Frame::Backquote => return refuse(placeholder, "inside backquotes"),
                Frame::Brace => return refuse(placeholder, "inside `${…}`"),
                Frame::AnsiC => return refuse(placeholder, "inside `$'…'`"),
                Frame::Comment => return refuse(placeholder, "in a comment"),
            };
            slots.push(Slot {
                at: i,
                placeholder,
                quoting,
            });
            i += placeholder.len();
            continue;
        }
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let frame = stack.last_mut().expect("the stack keeps its Top frame");
        // Steps keep `i` on a character boundary: one character, or a
        // backslash and the character it escapes.
        let char_len = |at: usize| script[at..].chars().next().map_or(1, char::len_utf8);
        let mut step = char_len(i);
        let escape = 1 + if i + 1 < bytes.len() {
            char_len(i + 1)
        } else {
            0
        };
        match *frame {
            Frame::Top | Frame::Subst(_) => match (c, next) {
                (b'\\', _) => step = escape,
                (b'\'', _) => stack.push(Frame::Single),
                (b'"', _) => stack.push(Frame::Double),
                (b'`', _) => stack.push(Frame::Backquote),
                (b'$', Some(b'\'')) => {
                    stack.push(Frame::AnsiC);
                    step = 2;
                }
                (b'$', Some(b'{')) => {
                    stack.push(Frame::Brace);
                    step = 2;
                }
                (b'$', Some(b'(')) => {
                    stack.push(Frame::Subst(1));
                    step = 2;
                }
                (b'<', Some(b'<')) => {
                    heredoc = true;
                    step = 2;
                }
                (b'#', _) if i == 0 || b" \t\n;&|()<>".contains(&bytes[i - 1]) => {
                    stack.push(Frame::Comment);
                }
                (b'(', _) => {
                    if let Frame::Subst(depth) = frame {
                        *depth += 1;
                    }
                }
                (b')', _) => {
                    if let Frame::Subst(depth) = frame {
                        *depth -= 1;
                        if *depth == 0 {
                            stack.pop();
                        }
                    }
                }
                _ => {}
            },
            Frame::Single => {
                if c == b'\'' {
                    stack.pop();
                }
            }
            Frame::Double => match (c, next) {
                (b'\\', _) => step = escape,
                (b'"', _) => {
                    stack.pop();
                }
                (b'`', _) => stack.push(Frame::Backquote),
                (b'$', Some(b'{')) => {
                    stack.push(Frame::Brace);
                    step = 2;
                }
                (b'$', Some(b'(')) => {
                    stack.push(Frame::Subst(1));
                    step = 2;
                }
                _ => {}
            },
            Frame::Backquote | Frame::AnsiC => match c {
                b'\\' => step = escape,
                b'`' if *frame == Frame::Backquote => {
                    stack.pop();
                }
                b'\'' if *frame == Frame::AnsiC => {
                    stack.pop();
                }
                _ => {}
            },
            Frame::Brace => match c {
                b'}' => {
                    stack.pop();
                }
                b'\'' => stack.push(Frame::Single),
                b'"' => stack.push(Frame::Double),
                _ => {}
            },
            Frame::Comment => {
                if c == b'\n' {
                    stack.pop();
                }
            }
        }
        i += step;
    }
    let balanced = matches!(
        stack.as_slice(),
        [Frame::Top] | [Frame::Top, Frame::Comment]
    );
    match slots.first() {
        Some(slot) if !balanced => refuse(slot.placeholder, "in a script with unbalanced quotes"),
        Some(_) | None => Ok(slots),
    }
}

/// `value` as one word of a POSIX shell script.
fn sh_quote(value: &str) -> String {
    quote_unless(value, "-_./:,+@%")
}

/// `value` as is when it is not empty and every character is alphanumeric
/// or in `safe`, else single-quoted, each `'` as `'\''`: one word for any
/// POSIX shell.
fn quote_unless(value: &str, safe: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || safe.contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

impl fmt::Display for CommandTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// shell-words splitting: blanks separate words; `'…'` is literal; in `"…"` a
/// backslash escapes only `$`, `` ` ``, `"`, `\` and newline; outside quotes
/// it escapes any character; backslash-newline disappears.
fn split_words(s: &str) -> Result<Vec<String>, TemplateError> {
    #[derive(PartialEq)]
    enum State {
        Blank,
        Word,
        Single,
        Double,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Blank;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Blank | State::Word => match c {
                ' ' | '\t' | '\n' => {
                    if state == State::Word {
                        words.push(std::mem::take(&mut word));
                        state = State::Blank;
                    }
                }
                '\'' => state = State::Single,
                '"' => state = State::Double,
                '\\' => match chars.next() {
                    Some('\n') => {}
                    Some(next) => {
                        word.push(next);
                        state = State::Word;
                    }
                    None => return Err(TemplateError::Backslash),
                },
                _ => {
                    word.push(c);
                    state = State::Word;
                }
            },
            State::Single => match c {
                '\'' => state = State::Word,
                _ => word.push(c),
            },
            State::Double => match c {
                '"' => state = State::Word,
                '\\' => match chars.next() {
                    Some('\n') => {}
                    Some(next @ ('$' | '`' | '"' | '\\')) => word.push(next),
                    Some(next) => {
                        word.push('\\');
                        word.push(next);
                    }
                    None => return Err(TemplateError::DoubleQuote),
                },
                _ => word.push(c),
            },
        }
    }
    match state {
        State::Single => Err(TemplateError::SingleQuote),
        State::Double => Err(TemplateError::DoubleQuote),
        State::Word => {
            words.push(word);
            Ok(words)
        }
        State::Blank => Ok(words),
    }
}

/// Quotes `argv` for display, so the printed command can be pasted into a
/// POSIX shell and run as it was.
pub(crate) fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| quote_word(arg))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(arg: &str) -> String {
    // `=` and `^` are safe in an argument, so `--json=/tmp/r.json` reads as typed.
    quote_unless(arg, "-_./:=@%+,^")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s).unwrap()
    }

    #[test]
    fn splits_like_shell_words() {
        assert_eq!(
            words("pytest  -x\t'a b' \"c d\""),
            ["pytest", "-x", "a b", "c d"]
        );
        assert_eq!(words(r#"a\ b "x\$y\n" 'q\z'"#), ["a b", "x$y\\n", "q\\z"]);
        assert_eq!(words("a\\\nb"), ["ab"]);
        assert_eq!(words("''"), [""]);
        assert!(words("   ").is_empty());
        assert_eq!(split_words("'a"), Err(TemplateError::SingleQuote));
        assert_eq!(split_words("\"a"), Err(TemplateError::DoubleQuote));
        assert_eq!(split_words("a\\"), Err(TemplateError::Backslash));
    }

    #[test]
    fn every_test_is_one_argument() {
        // D12: spaces, quotes, $(...) and ; never split or inject.
        let t = CommandTemplate::parse("pytest {{testExamples}} --json={{resultPath}}").unwrap();
        let tests = [
            "tests/a b.py".to_string(),
            "t.py::x[$(rm -rf /); 'q']".to_string(),
        ];
        assert_eq!(
            t.render(&tests, "/tmp/r s.json", MissingTests::Append),
            [
                "pytest",
                "tests/a b.py",
                "t.py::x[$(rm -rf /); 'q']",
                "--json=/tmp/r s.json"
            ]
        );
    }

    #[test]
    fn missing_placeholder_appends_or_omits() {
        let t = CommandTemplate::parse("pytest -q").unwrap();
        let tests = ["a.py".to_string()];
        assert_eq!(
            t.render(&tests, "r", MissingTests::Append),
            ["pytest", "-q", "a.py"]
        );
        assert_eq!(t.render(&tests, "r", MissingTests::Omit), ["pytest", "-q"]);
    }

    #[test]
    fn embedded_placeholder_keeps_its_surroundings() {
        let t = CommandTemplate::parse("run --tests={{testExamples}}, --again {{testExamples}}")
            .unwrap();
        let tests = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(
            t.render(&tests, "r", MissingTests::Append),
            ["run", "--tests=a", "b", "c,", "--again", "{{testExamples}}"]
        );
        assert_eq!(
            t.render(&[], "r", MissingTests::Append),
            ["run", "--tests=,", "--again", "{{testExamples}}"]
        );
    }

    #[test]
    fn quoting_for_display_round_trips() {
        let argv: Vec<String> = ["pytest", "a b.py", "it's", "", "x;y", "--json=/tmp/r.json"]
            .map(String::from)
            .to_vec();
        let shown = shell_quote(&argv);
        assert_eq!(
            shown,
            r#"pytest 'a b.py' 'it'\''s' '' 'x;y' --json=/tmp/r.json"#
        );
        assert_eq!(words(&shown), argv);
    }

    fn script_of(template: &str) -> Option<String> {
        let t = CommandTemplate::parse(template).unwrap();
        t.script.map(|s| t.words[s.index].clone())
    }

    #[test]
    fn posix_shells_with_dash_c_are_recognised() {
        // D25: directly, by path, through env, with combined flags.
        for template in [
            "sh -c 'S'",
            "/bin/sh -c 'S' sh arg",
            "bash -ec 'S'",
            "bash -xc 'S'",
            "bash -lc S",
            "dash -e -c S",
            "zsh -c -- S",
            "ksh +x -c S",
            "bash -o pipefail -c S",
            "bash -euo pipefail -c S",
            "bash --norc -c S",
            "env sh -c S",
            "env VAR=x sh -c S",
            "/usr/bin/env -i PATH=/bin -u HOME bash -c S",
            "env -- A=1 sh -c S",
            // Behind any wrapper.
            "timeout 600 sh -c S",
            "timeout --signal=KILL 10m /bin/bash -ec S",
            "nice -n 5 bash -ec S",
            "uv run sh -c S",
            "xvfb-run -a sh -c S",
            "docker compose run --rm app sh -c S",
            "docker exec -it box bash -lc S",
            "env -u sh bash -c S",
            "bash run.sh sh -c S",
        ] {
            assert_eq!(script_of(template).as_deref(), Some("S"), "{template}");
        }
        for template in [
            "sh script.sh {{testExamples}}",
            "sh -e script.sh",
            "sh -c",
            "pytest -c conf.ini {{testExamples}}",
            "shellcheck -c x",
            "env pytest -c x",
            "fish -c S",
        ] {
            assert_eq!(script_of(template), None, "{template}");
        }
    }

    /// Runs `template` rendered for `tests` with the real `sh`, and returns
    /// what it printed.
    fn run_sh(template: &str, tests: &[String], dir: &std::path::Path) -> String {
        let argv = CommandTemplate::parse(template).unwrap().render(
            tests,
            "/tmp/r s.json",
            MissingTests::Append,
        );
        let out = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .output()
            .expect("run sh");
        assert!(out.status.success(), "{argv:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn script_values_are_one_word_each_in_every_quoting() {
        // D25 with the real sh: no value splits, expands or runs.
        let tests: Vec<String> = [
            "test_$(touch PWNED_D25).py",
            "a b.py",
            "it's.py",
            "q\"uote`x`.py",
            "back\\slash;|&<>*?~#.py",
            "new\nline.py",
            "${HOME}.py",
            "'",
            "\"",
        ]
        .map(String::from)
        .to_vec();
        let expected: String = tests.iter().map(|t| format!("<{t}>\n")).collect();
        let dir = tempfile::tempdir().unwrap();
        for template in [
            r#"sh -c 'printf "<%s>\n" {{testExamples}}'"#,
            r#"sh -c "printf '<%s>\\n' '{{testExamples}}'""#,
            r#"sh -c 'printf "<%s>\n" "{{testExamples}}"'"#,
            r#"bash -ec 'echo "$(printf "<%s>\n" {{testExamples}})"'"#,
        ] {
            assert_eq!(run_sh(template, &tests, dir.path()), expected, "{template}");
        }
        // Text around the placeholder sticks to the first and last test.
        let shown = run_sh(
            r#"env X=1 sh -c 'printf "<%s>\n" x{{testExamples}}y'"#,
            &tests[..2],
            dir.path(),
        );
        assert_eq!(shown, "<xtest_$(touch PWNED_D25).py>\n<a b.pyy>\n");
        assert!(!dir.path().join("PWNED_D25").exists());
        let result = run_sh(
            r#"sh -c 'printf "<%s>\n" --json={{resultPath}}'"#,
            &[],
            dir.path(),
        );
        assert_eq!(result, "<--json=/tmp/r s.json>\n");
    }

    #[test]
    fn script_placeholders_bktec_cannot_quote_are_refused() {
        for (template, context) in [
            ("sh -c 'echo `ls {{testExamples}}`'", "inside backquotes"),
            ("sh -c 'echo ${X:-{{resultPath}}}'", "inside `${…}`"),
            ("bash -c \"echo $'{{testExamples}}'\"", "inside `$'…'`"),
            ("sh -c 'pytest # {{testExamples}}'", "in a comment"),
            (
                "sh -c 'cat <<EOF\n{{testExamples}}\nEOF'",
                "after a here-document (`<<`)",
            ),
            (
                "sh -c 'echo \"{{testExamples}}'",
                "in a script with unbalanced quotes",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::UnquotableInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        // A `#` inside a word is no comment.
        assert!(CommandTemplate::parse("sh -c 'pytest a#{{testExamples}}'").is_ok());
    }

    #[test]
    fn a_word_that_may_be_a_script_for_another_program_is_refused() {
        // D12 fails closed: bktec passes these words as they are, and the
        // program may run them as code with the value inside.
        for (template, word, holds) in [
            (
                "ssh ci-box \"pytest {{testExamples}}\"",
                "pytest {{testExamples}}",
                "whitespace",
            ),
            (
                "python3 -c \"import sys; run('{{testExamples}}')\"",
                "import sys; run('{{testExamples}}')",
                "whitespace",
            ),
            (
                "docker exec box fish -c 'pytest {{testExamples}}'",
                "pytest {{testExamples}}",
                "whitespace",
            ),
            (
                "env -S 'sh -c \"pytest {{testExamples}}\"'",
                "sh -c \"pytest {{testExamples}}\"",
                "whitespace",
            ),
            (
                "su -c pytest\\;{{testExamples}}",
                "pytest;{{testExamples}}",
                "`;`",
            ),
            ("run '$({{testExamples}})'", "$({{testExamples}})", "`$`"),
            (
                "pytest '`{{testExamples}}`'",
                "`{{testExamples}}`",
                "a backquote",
            ),
            (
                "pytest '--x=\"{{resultPath}}\"'",
                "--x=\"{{resultPath}}\"",
                "`\"`",
            ),
            (
                "pytest 'a\n{{resultPath}}'",
                "a\n{{resultPath}}",
                "a newline",
            ),
            ("pytest '{{resultPath}}*'", "{{resultPath}}*", "`*`"),
            // After the script, the shell's own arguments are plain words.
            (
                "sh -c 'pytest \"$@\"' sh 'a {{testExamples}}'",
                "a {{testExamples}}",
                "whitespace",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            let TemplateError::UnprovableWord {
                word: w, holds: h, ..
            } = &err
            else {
                panic!("{template}: {err}");
            };
            assert_eq!((w.as_str(), h.as_str()), (word, holds), "{template}");
        }
        for (template, program) in [
            ("ssh ci-box pytest {{testExamples}}", "ssh"),
            (
                "/usr/bin/ssh -t ci-box sh -c 'pytest {{testExamples}}'",
                "/usr/bin/ssh",
            ),
            ("sh -c 'ssh ci-box pytest {{testExamples}}'", "ssh"),
            ("watch -n 1 pytest --json={{resultPath}}", "watch"),
            ("parallel pytest ::: {{testExamples}}", "parallel"),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(&err, TemplateError::JoinedByProgram { program: p, .. } if p == program),
                "{template}: {err}"
            );
        }
        // The script's arguments may reach the program through `"$@"`.
        assert!(
            CommandTemplate::parse("sh -c 'pytest \"$@\"; ssh box true' sh {{testExamples}}")
                .is_err()
        );
        // Before the program, or without one, a placeholder is harmless.
        assert!(CommandTemplate::parse("pytest {{testExamples}} --x=1 ssh").is_ok());
        assert!(CommandTemplate::parse("ssh-agent pytest {{testExamples}}").is_ok());
        let err = CommandTemplate::parse("ssh box 'pytest {{testExamples}}'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`{{testExamples}}` is in the word `pytest {{testExamples}}`, which holds whitespace: \
             a program may run that word as a script, where bktec cannot quote the value (D12); \
             run it through `sh -c '...'`, where bktec quotes each value (D25)"
        );
        // Plain words, and words without a placeholder, are fine.
        for template in [
            "pytest {{testExamples}} --json={{resultPath}}",
            "run --tests={{testExamples}}, --out=/tmp/x:{{resultPath}}",
            "pytest -k 'a and not b' {{testExamples}} --junit-xml=out/{{resultPath}}",
            "python3 -c 'import sys; print(sys.argv)' {{testExamples}}",
            "timeout 600 sh -c 'pytest {{testExamples}} --json={{resultPath}}'",
            "uv run bash -ec 'cd x && pytest {{testExamples}}' sh {{resultPath}}",
            "pytest {{testExamples}}{{resultPath}} --x=~/{{resultPath}}#1",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn scripts_behind_a_wrapper_are_quoted_for_the_real_sh() {
        // D25 wherever the shell stands: `timeout` runs the real sh here.
        let dir = tempfile::tempdir().unwrap();
        let tests = ["test_$(touch PWNED).py".to_string(), "a b.py".to_string()];
        let shown = run_sh(
            r#"timeout 60 sh -c 'printf "<%s>\n" {{testExamples}}'"#,
            &tests,
            dir.path(),
        );
        assert_eq!(shown, "<test_$(touch PWNED).py>\n<a b.py>\n");
        assert!(!dir.path().join("PWNED").exists());
    }

    #[test]
    fn the_option_holding_the_result_path_names_the_format() {
        use ResultFormat::{CollectorJson, JUnitXml};
        // D30: the user's own extra outputs change nothing, in either order.
        for (template, format) in [
            (
                "pytest {{testExamples}} --json={{resultPath}} --junit-xml=junit.xml",
                Some(CollectorJson),
            ),
            (
                "pytest --junit-xml=junit.xml {{testExamples}} --json={{resultPath}}",
                Some(CollectorJson),
            ),
            (
                "pytest {{testExamples}} --json {{resultPath}} --junit-xml junit.xml",
                Some(CollectorJson),
            ),
            (
                "pytest --json=out.json --junit-xml={{resultPath}}",
                Some(JUnitXml),
            ),
            (
                "pytest --junit-xml {{resultPath}} --json=x.json",
                Some(JUnitXml),
            ),
            ("pytest --junitxml={{resultPath}}", Some(JUnitXml)),
            ("pytest --json=out/{{resultPath}}", Some(CollectorJson)),
            (
                "sh -c 'pytest {{testExamples}} --json={{resultPath}} --junit-xml=j.xml'",
                Some(CollectorJson),
            ),
            (
                "bash -ec \"pytest --junit-xml='{{resultPath}}' --json=x.json\"",
                Some(JUnitXml),
            ),
            (
                "sh -c 'pytest --json x.json --junit-xml \"{{resultPath}}\" && true'",
                Some(JUnitXml),
            ),
            // No option holds it: the caller keeps the older rule (D14).
            ("pytest {{testExamples}} --junit-xml=j.xml", None),
            ("pytest --result-log={{resultPath}} --json=x.json", None),
            ("pytest {{resultPath}}", None),
            ("sh -c 'pytest --json=x.json' sh {{resultPath}}", None),
        ] {
            let t = CommandTemplate::parse(template).unwrap();
            assert_eq!(t.result_format(), format, "{template}");
        }
    }
}
