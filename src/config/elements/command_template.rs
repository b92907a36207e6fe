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
//!
//! This is the template's parsing, a config element: `resolve` compiles
//! each configured template. Rendering a template into an argv is the
//! runner's (`runner/template.rs`).

use std::fmt;

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
pub(crate) struct Script {
    /// Which word.
    pub(crate) index: usize,
    /// The placeholders, in order.
    pub(crate) slots: Vec<Slot>,
}

/// One placeholder in a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Its byte offset in the script.
    pub(crate) at: usize,
    /// `{{testExamples}}` or `{{resultPath}}`.
    pub(crate) placeholder: &'static str,
    /// The quotes it stands in.
    pub(crate) quoting: Quoting,
}

/// The quotes a script placeholder stands in, which decide how a value is
/// quoted to stay one word there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// None (also at the top of a `$(…)`, where quoting starts afresh).
    Plain,
    /// Inside `'…'`: close, add the quoted value, reopen.
    Single,
    /// Inside `"…"`: close, add the quoted value, reopen.
    Double,
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

    /// The `sh -c` script word and its placeholders, if the program is a
    /// POSIX shell (D25).
    pub(crate) fn script(&self) -> Option<&Script> {
        self.script.as_ref()
    }
}

/// The file name of a program word: `pytest` for `.venv/bin/pytest`.
pub(crate) fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
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
    if !POSIX_SHELLS.contains(&program_name(&words[at])) {
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
    let Some(at) = flat
        .iter()
        .position(|w| JOINING_PROGRAMS.contains(&program_name(w)))
    else {
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
    let mut scanner = Scanner {
        script,
        bytes: script.as_bytes(),
        stack: vec![Frame::Top],
        heredoc: false,
    };
    let mut slots = Vec::new();
    let mut i = 0;
    while i < script.len() {
        let rest = &script[i..];
        if let Some(placeholder) = [TEST_EXAMPLES, RESULT_PATH]
            .into_iter()
            .find(|p| rest.starts_with(p))
        {
            let quoting = scanner.quoting(placeholder)?;
            slots.push(Slot {
                at: i,
                placeholder,
                quoting,
            });
            i += placeholder.len();
            continue;
        }
        i += scanner.step(i);
    }
    let balanced = matches!(
        scanner.stack.as_slice(),
        [Frame::Top] | [Frame::Top, Frame::Comment]
    );
    match slots.first() {
        Some(slot) if !balanced => Err(unquotable(
            slot.placeholder,
            "in a script with unbalanced quotes",
        )),
        Some(_) | None => Ok(slots),
    }
}

/// Where the shell scanner stands.
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

/// A shell script read as the shell reads quotes, one character (or
/// escape) at a time, enough to know the quotes a placeholder stands in.
struct Scanner<'a> {
    script: &'a str,
    bytes: &'a [u8],
    /// The open frames; `Top` is never popped.
    stack: Vec<Frame>,
    /// Whether a here-document (`<<`) was seen.
    heredoc: bool,
}

/// The refusal of `placeholder` where it stands (D25).
fn unquotable(placeholder: &'static str, context: &'static str) -> TemplateError {
    TemplateError::UnquotableInScript {
        placeholder,
        context,
    }
}

impl Scanner<'_> {
    /// The quoting of a placeholder in the current frame, or its refusal.
    fn quoting(&self, placeholder: &'static str) -> Result<Quoting, TemplateError> {
        let frame = *self.stack.last().expect("the stack keeps its Top frame");
        let refuse = |context| Err(unquotable(placeholder, context));
        match frame {
            _ if self.heredoc => refuse("after a here-document (`<<`)"),
            Frame::Top | Frame::Subst(_) => Ok(Quoting::Plain),
            Frame::Single => Ok(Quoting::Single),
            Frame::Double => Ok(Quoting::Double),
            Frame::Backquote => refuse("inside backquotes"),
            Frame::Brace => refuse("inside `${…}`"),
            Frame::AnsiC => refuse("inside `$'…'`"),
            Frame::Comment => refuse("in a comment"),
        }
    }

    /// The length in bytes of the character at `at`.
    fn char_len(&self, at: usize) -> usize {
        self.script[at..].chars().next().map_or(1, char::len_utf8)
    }

    /// Reads the character at `i`, opening or closing frames, and returns
    /// how far to move. Steps keep `i` on a character boundary: one
    /// character, or a backslash and the character it escapes.
    fn step(&mut self, i: usize) -> usize {
        let c = self.bytes[i];
        let next = self.bytes.get(i + 1).copied();
        let step = self.char_len(i);
        let escape = 1 + if i + 1 < self.bytes.len() {
            self.char_len(i + 1)
        } else {
            0
        };
        let frame = *self.stack.last().expect("the stack keeps its Top frame");
        match frame {
            Frame::Top | Frame::Subst(_) => self.step_plain(i, c, next, step, escape),
            Frame::Single => {
                if c == b'\'' {
                    self.stack.pop();
                }
                step
            }
            Frame::Double => self.step_double(c, next, step, escape),
            Frame::Backquote | Frame::AnsiC => match c {
                b'\\' => escape,
                b'`' if frame == Frame::Backquote => self.pop(step),
                b'\'' if frame == Frame::AnsiC => self.pop(step),
                _ => step,
            },
            Frame::Brace => match c {
                b'}' => self.pop(step),
                b'\'' => self.push(Frame::Single, step),
                b'"' => self.push(Frame::Double, step),
                _ => step,
            },
            Frame::Comment => {
                if c == b'\n' {
                    self.stack.pop();
                }
                step
            }
        }
    }

    fn push(&mut self, frame: Frame, step: usize) -> usize {
        self.stack.push(frame);
        step
    }

    fn pop(&mut self, step: usize) -> usize {
        self.stack.pop();
        step
    }

    /// A step outside quotes, at the top or inside `$(…)`.
    fn step_plain(
        &mut self,
        i: usize,
        c: u8,
        next: Option<u8>,
        step: usize,
        escape: usize,
    ) -> usize {
        match (c, next) {
            (b'\\', _) => escape,
            (b'\'', _) => self.push(Frame::Single, step),
            (b'"', _) => self.push(Frame::Double, step),
            (b'`', _) => self.push(Frame::Backquote, step),
            (b'$', Some(b'\'')) => self.push(Frame::AnsiC, 2),
            (b'$', Some(b'{')) => self.push(Frame::Brace, 2),
            (b'$', Some(b'(')) => self.push(Frame::Subst(1), 2),
            (b'<', Some(b'<')) => {
                self.heredoc = true;
                2
            }
            (b'#', _) if i == 0 || b" \t\n;&|()<>".contains(&self.bytes[i - 1]) => {
                self.push(Frame::Comment, step)
            }
            (b'(', _) => {
                if let Some(Frame::Subst(depth)) = self.stack.last_mut() {
                    *depth += 1;
                }
                step
            }
            (b')', _) => {
                if let Some(Frame::Subst(depth)) = self.stack.last_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        self.stack.pop();
                    }
                }
                step
            }
            _ => step,
        }
    }

    /// A step inside `"…"`.
    fn step_double(&mut self, c: u8, next: Option<u8>, step: usize, escape: usize) -> usize {
        match (c, next) {
            (b'\\', _) => escape,
            (b'"', _) => self.pop(step),
            (b'`', _) => self.push(Frame::Backquote, step),
            (b'$', Some(b'{')) => self.push(Frame::Brace, 2),
            (b'$', Some(b'(')) => self.push(Frame::Subst(1), 2),
            _ => step,
        }
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
pub(crate) fn split_words(s: &str) -> Result<Vec<String>, TemplateError> {
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
