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
//! and is refused (fail closed, D12). So is a placeholder a program runs
//! as code whatever it holds: the value of any `-c` or `--command` option
//! (`su root -c {{testExamples}}`) and an assignment to a variable a shell
//! runs or expands (`env PS4=… bash -x`).
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
    /// A placeholder in a `sh -c` script where the shell parses the value
    /// again after quote removal (`eval`, a nested `sh -c`, arithmetic), so
    /// no quoting bktec adds keeps it one word (D25).
    #[error(
        "`{placeholder}` is {context} in the shell script, where {reparse}, so bktec cannot quote it safely; move it out of there (D25)"
    )]
    ReparsedInScript {
        /// The placeholder.
        placeholder: &'static str,
        /// Where it is (`in an argument of `eval``).
        context: &'static str,
        /// What parses it again there.
        reparse: &'static str,
    },
    /// A placeholder after a `sh -c` script that reaches it as a positional
    /// parameter (`$@`, `$1`) where the shell parses the value again (D25).
    #[error(
        "`{placeholder}` reaches the shell script as `{parameter}`, which is {context} in the script, where {reparse}, so bktec cannot quote it safely; move it out of there (D25)"
    )]
    ReparsedParameter {
        /// The placeholder.
        placeholder: &'static str,
        /// The parameter, as the script writes it.
        parameter: String,
        /// Where it is.
        context: &'static str,
        /// What parses it again there.
        reparse: &'static str,
    },
    /// A placeholder among the template's own words where a program runs
    /// or expands the value as code: the value of a `-c` or `--command`
    /// option (`su root -c`, `flock f -c`, `script -qc`, `python3 -c`), or
    /// an assignment to a variable a shell runs or expands (`env PS4=...
    /// bash -x`, `BASH_ENV=`) (D12, D25).
    #[error(
        "`{placeholder}` is {context} in the command, where {reparse}, so bktec cannot quote it safely; move it out of there (D25)"
    )]
    ReparsedWord {
        /// The placeholder.
        placeholder: &'static str,
        /// Where it is.
        context: &'static str,
        /// What runs it as code there.
        reparse: &'static str,
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
    /// Whether the first `{{testExamples}}` of a word that is not the
    /// script stands inside quotes with text around it
    /// (`TEST_FILES='{{testExamples}}'`): the tests then fill that one word,
    /// joined with spaces, as the Go client passes them (D41).
    joins_tests: bool,
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
                slots: script_slots(&words[index], &words[index + 1..])?,
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
        check_code_words(&words, script_index)?;
        let first = words.iter().position(|w| w.contains(TEST_EXAMPLES));
        // A word that is the placeholder alone keeps one argument per test
        // (D12), quoted or not: only text around it makes one word.
        let joins_tests = first.is_some_and(|i| {
            Some(i) != script_index && words[i] != TEST_EXAMPLES && placeholder_quoted(source)
        });
        Ok(CommandTemplate {
            source: source.to_string(),
            words,
            script,
            joins_tests,
        })
    }

    /// Whether the tests fill one word, joined with spaces (D41).
    pub fn joins_tests(&self) -> bool {
        self.joins_tests
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

/// Where and why a placeholder is refused in the value of a `-c` or
/// `--command` option of any program, or in `-e` code (D25).
const CODE_OPTION: (&str, &str) = (
    "in the code given to a `-c` or `-e` option",
    "the program may run that code, with the value in it, through a shell",
);

/// Variables a shell runs as code or expands as a prompt, running any
/// `$(…)` in the value (`PS4` at each `set -x` trace line, `BASH_ENV` when
/// a bash starts).
const CODE_VARIABLES: [&str; 8] = [
    "PS0",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PROMPT_COMMAND",
    "BASH_ENV",
    "ENV",
];

/// Variables bash evaluates as arithmetic when they are assigned.
const ARITHMETIC_VARIABLES: [&str; 4] = ["RANDOM", "SRANDOM", "OPTIND", "HISTCMD"];

/// Where and why a placeholder is refused in an assignment `word` (`NAME=`,
/// `NAME+=`, as a command, a prefix, an `export` or `env` argument) to one
/// of [`CODE_VARIABLES`], an exported bash function (`BASH_FUNC_f%%`), a
/// program's command (`GIT_SSH_COMMAND`, `*_CMD`), or one of
/// [`ARITHMETIC_VARIABLES`].
fn assigned_variable(word: &str) -> Option<(&'static str, &'static str)> {
    let (name, _) = word.split_once('=')?;
    let name = name.strip_suffix('+').unwrap_or(name);
    if CODE_VARIABLES.contains(&name)
        || name.starts_with("BASH_FUNC_")
        || name.ends_with("_COMMAND")
        || name.ends_with("_CMD")
    {
        Some((
            "in an assignment to a variable a shell runs as code or expands as a prompt \
             (`PS0` to `PS4`, `PROMPT_COMMAND`, `BASH_ENV`, `ENV`, `BASH_FUNC_*`, \
             `*_COMMAND`, `*_CMD`)",
            "the shell or program expands or runs the value again, which runs any `$(…)` in it",
        ))
    } else if ARITHMETIC_VARIABLES.contains(&name) {
        Some((
            "in an assignment to `RANDOM`, `SRANDOM`, `OPTIND` or `HISTCMD`",
            ARITHMETIC,
        ))
    } else {
        None
    }
}

/// Whether `long` names a `--command` option among the command `words`:
/// `command` or `session-command`, and, after `su`, `runuser` or `script`,
/// an abbreviation their getopt accepts (`su root --co …`; elsewhere `--co`
/// may be another option, pytest's `--collect-only`).
fn is_command_long(long: &str, words: &[String]) -> bool {
    let abbreviates = || {
        words
            .iter()
            .any(|w| matches!(program_name(w), "su" | "runuser" | "script"))
    };
    matches!(long, "command" | "session-command")
        || (!long.is_empty() && "command".starts_with(long) && abbreviates())
}

/// Whether `word`, among the command `words`, is an option whose value is
/// the next word and may be shell code: `-c`, a cluster ending in `c`
/// (`-qc`, `-ec`), `--command`.
fn is_command_option(word: &str, words: &[String]) -> bool {
    match word.strip_prefix("--") {
        Some(long) => is_command_long(long, words),
        None => word.strip_prefix('-').is_some_and(|flags| {
            flags.ends_with('c') && flags.chars().all(|c| c.is_ascii_alphabetic())
        }),
    }
}

/// Whether `word`, among the command `words`, carries the value of a `-c`
/// option itself: `--command=VALUE`, `-cVALUE`, `-qcVALUE` (a `c` among
/// its leading letters, with more after it).
fn holds_command_value(word: &str, words: &[String]) -> bool {
    if let Some((long, _)) = word.strip_prefix("--").and_then(|w| w.split_once('=')) {
        return is_command_long(long, words);
    }
    let Some(flags) = word.strip_prefix('-').filter(|f| !f.starts_with('-')) else {
        return false;
    };
    let letters = flags
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(flags.len());
    flags[..letters]
        .find('c')
        .is_some_and(|at| at + 1 < flags.len())
}

/// Whether the word at `at` is the value of a `-c` or `--command` option:
/// the word after it (or after it and `--`: `su root -c -- VALUE` runs
/// VALUE), or the option's own word (`-cVALUE`, `--command=VALUE`).
fn is_command_value(words: &[String], at: usize) -> bool {
    let before = |n: usize| at.checked_sub(n).map(|i| words[i].as_str());
    before(1).is_some_and(|o| is_command_option(o, words))
        || (before(1) == Some("--") && before(2).is_some_and(|o| is_command_option(o, words)))
        || holds_command_value(&words[at], words)
}

/// Refuses a placeholder among the template's own words (not the `sh -c`
/// script, which D25 quotes) where a program runs the value as code: the
/// value of a `-c` or `--command` option of any program, wherever it stands
/// (`su root -c`, `flock /tmp/lk -c`, `script -qc`, `python3 -c`), and an
/// assignment to a variable a shell runs or expands (`env PS4=… bash -x`).
/// Other options are plain: `pytest -c pytest.ini {{testExamples}}`.
fn check_code_words(words: &[String], script: Option<usize>) -> Result<(), TemplateError> {
    for (at, word) in words.iter().enumerate() {
        let Some(placeholder) = [TEST_EXAMPLES, RESULT_PATH, TEST_NAME_PATTERN]
            .into_iter()
            .find(|p| word.contains(p))
        else {
            continue;
        };
        if Some(at) == script {
            continue;
        }
        let (context, reparse) = if is_command_value(words, at) {
            CODE_OPTION
        } else if let Some(found) = assigned_variable(word) {
            found
        } else {
            continue;
        };
        return Err(TemplateError::ReparsedWord {
            placeholder,
            context,
            reparse,
        });
    }
    Ok(())
}

/// The placeholders of a shell script and the quotes each stands in. A
/// placeholder where bktec does not know a quoting that keeps a value one
/// word (backquotes, `${…}`, `$'…'`, a comment, a here-document, unbalanced
/// quotes) is refused: failing closed beats guessing (D25).
///
/// `arguments` are the shell's own arguments after the script (`$0`, `$1`,
/// ...): the script reaches a placeholder among them as `$@`, `$1` and the
/// like, which are refused where the placeholder would be.
fn script_slots(script: &str, arguments: &[String]) -> Result<Vec<Slot>, TemplateError> {
    let mut scanner = Scanner {
        script,
        bytes: script.as_bytes(),
        stack: vec![Frame::Top],
        heredoc: false,
        commands: vec![Command::default()],
        process: vec![false],
        refusal: None,
        named: Vec::new(),
        values: Vec::new(),
        carried: vec![None],
        special: Vec::new(),
    };
    // A function of the script (`f() { eval "$@"; }; f {{testExamples}}`)
    // reaches any placeholder of the script through its parameters.
    let in_script = first_placeholder(&[script.to_string()]);
    let mut slots = Vec::new();
    let mut i = 0;
    while i < script.len() {
        let rest = &script[i..];
        if let Some(placeholder) = [TEST_EXAMPLES, RESULT_PATH]
            .into_iter()
            .find(|p| rest.starts_with(p))
        {
            let quoting = scanner.quoting(placeholder)?;
            scanner.note_placeholder(placeholder)?;
            slots.push(Slot {
                at: i,
                placeholder,
                quoting,
            });
            i += placeholder.len();
            continue;
        }
        scanner.note_reference(rest, arguments, in_script)?;
        i += scanner.step(i);
        if let Some(refusal) = scanner.refusal.take() {
            return Err(refusal);
        }
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
        Some(_) | None => {
            scanner.end_command();
            scanner.refusal.map_or(Ok(slots), Err)
        }
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
    /// `$((…))` or `((…))` with its open parentheses.
    Arith(u32),
    /// bash's older arithmetic `$[…]` with its open brackets.
    OldArith(u32),
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
    /// The command being read at the top and in each open `$(…)`.
    commands: Vec<Command>,
    /// For each of `commands`, whether it is a process substitution
    /// (`<(…)`, `>(…)`), whose output some other command reads.
    process: Vec<bool>,
    /// The first placeholder found where the shell parses it again.
    refusal: Option<TemplateError>,
    /// The variables and aliases set so far to a command that parses its
    /// arguments again (`e=eval`).
    named: Vec<Named>,
    /// The variables set so far to a value (`x={{…}}`, `x=$1`, `for x in
    /// {{…}}`), with the value.
    values: Vec<(String, Mention)>,
    /// For each of `commands`, the first value a command in it held: the
    /// output of a `$(…)` holds it.
    carried: Vec<Option<Mention>>,
    /// The variables declared so that an assignment parses the value again.
    special: Vec<Special>,
}

/// Where and why a placeholder is refused in a process substitution (D25).
const PROCESS: (&str, &str) = (
    "inside a process substitution (`<(…)`, `>(…)`)",
    "bktec does not follow the command that reads its output, which may be a shell",
);

/// Why a placeholder is refused in bash arithmetic (D25).
const ARITHMETIC: &str =
    "bash evaluates the value as arithmetic, which runs any `$(…)` in an array subscript";

/// The refusal of `placeholder` where the shell parses its value again (D25).
fn reparsed(
    placeholder: &'static str,
    context: &'static str,
    reparse: &'static str,
) -> TemplateError {
    TemplateError::ReparsedInScript {
        placeholder,
        context,
        reparse,
    }
}

/// Whether `word` so far opens an array subscript (`name[`): bash evaluates
/// the subscript of an assignment as arithmetic.
fn is_subscript_start(word: &str) -> bool {
    let Some((name, subscript)) = word.split_once('[') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !subscript.contains(']')
}

/// One simple command of a script, read as far as where its placeholders
/// stand: its words (quotes removed, `$(…)` as a marker) and, for each
/// placeholder, the word it is in (`None` in a redirection's target).
#[derive(Default)]
struct Command {
    words: Vec<String>,
    /// The word being read.
    word: Option<String>,
    /// Whether the word being read is a redirection's target.
    redirect: bool,
    /// Whether the next word is a redirection's target (after `<`, `>`).
    pending_redirect: bool,
    /// Whether the command is a `[[ … ]]` test, where `&&` is an operator.
    in_test: bool,
    /// Whether the word being read is an array assignment `a=(…)`, not yet
    /// closed.
    array: bool,
    slots: Vec<(Option<usize>, Mention)>,
    /// A value an earlier command of the pipeline holds (`echo {{…}} | sh`).
    piped: Option<Mention>,
}

/// A value a script holds: a placeholder, or a positional parameter (`$@`)
/// that reaches a placeholder after the script.
#[derive(Clone)]
struct Mention {
    placeholder: &'static str,
    parameter: Option<String>,
}

impl Mention {
    /// Refuses this value where the shell parses it again (D25).
    fn refuse(&self, context: &'static str, reparse: &'static str) -> TemplateError {
        match &self.parameter {
            None => reparsed(self.placeholder, context, reparse),
            Some(parameter) => TemplateError::ReparsedParameter {
                placeholder: self.placeholder,
                parameter: parameter.clone(),
                context,
                reparse,
            },
        }
    }
}

/// The first placeholder in `words`.
fn first_placeholder(words: &[String]) -> Option<&'static str> {
    words.iter().find_map(|w| {
        [TEST_EXAMPLES, RESULT_PATH]
            .into_iter()
            .filter_map(|p| w.find(p).map(|at| (at, p)))
            .min()
            .map(|(_, p)| p)
    })
}

/// The placeholder that `parameter` (`$@`, `${2}`) reaches among the
/// shell's `arguments` (`$0` first).
fn reached(parameter: &str, arguments: &[String]) -> Option<&'static str> {
    let name = parameter.trim_start_matches(['$', '{']);
    if name.starts_with(['@', '*']) {
        return first_placeholder(arguments.get(1..).unwrap_or_default());
    }
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    let at: usize = digits.parse().ok()?;
    first_placeholder(std::slice::from_ref(arguments.get(at)?))
}

/// The positional parameter `rest` starts with: `$@`, `$*`, `$1`, `${@}`,
/// `${10}`, `${@:2}`.
fn positional_parameter(rest: &str) -> Option<&str> {
    let bytes = rest.as_bytes();
    let positional = |b: u8| b == b'@' || b == b'*' || b.is_ascii_digit();
    match bytes {
        [b'$', b'{', c, ..] if positional(*c) => {
            Some(rest.find('}').map_or(rest, |end| &rest[..=end]))
        }
        [b'$', c, ..] if positional(*c) => Some(&rest[..2]),
        _ => None,
    }
}

impl Command {
    /// The word being read, started if none is.
    fn word(&mut self) -> &mut String {
        if self.word.is_none() {
            self.redirect = std::mem::take(&mut self.pending_redirect);
        }
        self.word.get_or_insert_with(String::new)
    }

    fn end_word(&mut self) {
        let Some(word) = self.word.take() else {
            return;
        };
        if self.redirect {
            return;
        }
        if word == "[[" && self.words.iter().all(|w| is_command_prefix(w)) {
            self.in_test = true;
        } else if word == "]]" {
            self.in_test = false;
        }
        self.words.push(word);
    }

    /// The values this command holds.
    fn mentions(&self) -> impl Iterator<Item = &Mention> {
        self.slots.iter().map(|(_, m)| m)
    }

    /// Refuses a placeholder where the command parses its value again.
    /// `named` are the script's variables and aliases that name a command
    /// that does (`e=eval`, `alias e=eval`).
    fn finish(&mut self, named: &[Named], special: &[Special]) -> Result<(), TemplateError> {
        self.end_word();
        self.resolve_names(named)?;
        if let Some(mention) = &self.piped
            && reads_code_from_input(&self.words)
        {
            return Err(mention.refuse(
                "in a command piped into a shell",
                "the shell reads its input as shell code",
            ));
        }
        if self.slots.is_empty() {
            return Ok(());
        }
        self.check_name()?;
        for at in 0..self.words.len() {
            if let Some(script) = script_of_shell_at(&self.words, at)
                && let Some(mention) = self.word_at(script)
            {
                return Err(mention.refuse(
                    "in the `-c` script of a nested shell",
                    "that shell parses the value again as shell code",
                ));
            }
        }
        for (index, mention) in &self.slots {
            let Some(at) = *index else {
                continue;
            };
            if code_option_argument(&self.words, at, mention) {
                return Err(mention.refuse(CODE_OPTION.0, CODE_OPTION.1));
            }
            let word = self.words.get(at).map_or("", String::as_str);
            let declared = special.iter().rev().find_map(|(name, refusal)| {
                let value = word.strip_prefix(name.as_str())?;
                (value.starts_with('=') || value.starts_with("+=")).then_some(*refusal)
            });
            if let Some((context, reparse)) = assigned_variable(word).or(declared) {
                return Err(mention.refuse(context, reparse));
            }
        }
        Ok(())
    }

    /// The first value in a word after the word at `at`.
    fn argument(&self, at: usize) -> Option<&Mention> {
        self.slots
            .iter()
            .find(|(i, _)| i.is_some_and(|i| i > at))
            .map(|(_, m)| m)
    }

    /// The first value in the word at `at`.
    fn word_at(&self, at: usize) -> Option<&Mention> {
        self.slots
            .iter()
            .find(|(i, _)| *i == Some(at))
            .map(|(_, m)| m)
    }

    /// Refuses a value after a command name that parses it again (`eval`,
    /// `let`, `alias`), or in the variable of `printf -v`.
    fn check_name(&self) -> Result<(), TemplateError> {
        let words = &self.words;
        let Some(name) = words.iter().position(|w| !is_command_prefix(w)) else {
            return Ok(());
        };
        if let Some((context, reparse)) = reparsing_builtin(&words[name])
            && let Some(mention) = self.argument(name)
        {
            return Err(mention.refuse(context, reparse));
        }
        let option = variable_option(&words[name..]).map(|option| name + option + 1);
        if let Some(mention) = option.and_then(|at| self.word_at(at)) {
            return Err(mention.refuse(
                "in the variable name of `printf -v` or `test -v`",
                ARITHMETIC,
            ));
        }
        // `printf -v PS4 %s {{…}}` assigns the value to `PS4`.
        if let Some(target) = option.and_then(|at| words.get(at))
            && let Some((context, reparse)) = assigned_variable(&format!("{target}="))
            && let Some(mention) = self.argument(name)
        {
            return Err(mention.refuse(context, reparse));
        }
        Ok(())
    }

    /// Puts the command a variable or alias of the script stands for in the
    /// place of a word that expands it (`$e`, `${e}` for `e=eval`; `e` as a
    /// command name for `alias e=eval`), so the checks see `eval`. A value
    /// after one that stands for more than one word (`s="sh -c"`) or for a
    /// program joining its arguments for a shell (`ssh`) is refused.
    fn resolve_names(&mut self, named: &[Named]) -> Result<(), TemplateError> {
        let name_at = self.words.iter().position(|w| !is_command_prefix(w));
        for at in 0..self.words.len() {
            let word = &self.words[at];
            let tracked = named.iter().rev().find_map(|n| {
                let found = if n.alias {
                    name_at == Some(at) && *word == n.name
                } else {
                    variable_reference(word) == Some(n.name.as_str())
                };
                found.then_some(n.value.as_str())
            });
            let Some(value) = tracked.or_else(|| {
                expansion_word(word).filter(|w| reparses(w.split_whitespace().next().unwrap_or("")))
            }) else {
                continue;
            };
            let mut value_words = value.trim_start_matches('(').split_whitespace();
            let command = value_words.next().unwrap_or_default().to_string();
            // The value may itself hold one (`x=(eval {{…}}); "${x[@]}"`).
            let from = self.slots.iter().find(|(i, _)| i.is_some_and(|i| i >= at));
            if (value_words.next().is_some() || JOINING_PROGRAMS.contains(&program_name(&command)))
                && let Some((_, mention)) = from
            {
                return Err(mention.refuse(
                    "after a variable or alias that names a shell, `eval` or the like",
                    "that command parses the value again as shell code",
                ));
            }
            self.words[at] = command;
        }
        Ok(())
    }
}

/// A variable the script declared so that an assignment to it parses the
/// value again (`declare -i n`, `declare -n r=PS4`), with where and why.
type Special = (String, (&'static str, &'static str));

/// Records the variables a finished `declare`, `typeset` or `local` gives
/// the integer attribute (`-i`: bash evaluates what is assigned as
/// arithmetic) or makes a name for a variable that parses its value again
/// (`-n r=PS4`).
fn track_attributes(words: &[String], special: &mut Vec<Special>) {
    let Some(name) = words.iter().position(|w| !is_command_prefix(w)) else {
        return;
    };
    if !matches!(words[name].as_str(), "declare" | "typeset" | "local") {
        return;
    }
    let flags: String = words[name + 1..]
        .iter()
        .filter_map(|w| w.strip_prefix('-'))
        .collect();
    for word in words[name + 1..].iter().filter(|w| !w.starts_with('-')) {
        let (variable, target) = word.split_once('=').unwrap_or((word, ""));
        let refusal = if flags.contains('i') {
            Some((
                "in an assignment to a variable declared as an integer (`declare -i`)",
                ARITHMETIC,
            ))
        } else if flags.contains('n') {
            assigned_variable(&format!("{target}=")).or_else(|| {
                special
                    .iter()
                    .rev()
                    .find(|(n, _)| n == target)
                    .map(|(_, r)| *r)
            })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            special.push((variable.to_string(), refusal));
        }
    }
}

/// A variable or alias of a script whose value names a command that parses
/// its arguments again (`e=eval`, `alias s=sh`).
#[derive(Clone)]
struct Named {
    name: String,
    value: String,
    alias: bool,
}

/// The variable `word` expands as a whole: `NAME` for `$NAME`, `${NAME}`,
/// `${NAME[@]}`.
fn variable_reference(word: &str) -> Option<&str> {
    let name = match word.strip_prefix("${") {
        Some(braced) => {
            let braced = braced.strip_suffix('}')?;
            braced.split_once('[').map_or(braced, |(name, _)| name)
        }
        None => word.strip_prefix('$')?,
    };
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    identifier.then_some(name)
}

/// The literal word of `${NAME:-WORD}` (or `-`, `:=`, `=`, `:+`, `+`),
/// which the expansion may stand for: `${e:-eval}` runs `eval` when `e`
/// is unset.
fn expansion_word(word: &str) -> Option<&str> {
    let inner = word.strip_prefix("${")?.strip_suffix('}')?;
    let name = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let rest = inner[name..].strip_prefix(':').unwrap_or(&inner[name..]);
    rest.strip_prefix(['-', '=', '+'])
}

/// The variable `rest` starts with a reference to, as written and by name:
/// `$x`, `${x}`, `${x:-y}`.
fn variable_at(rest: &str) -> Option<(&str, &str)> {
    let identifier = |s: &str| {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        let starts = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        starts.then_some(end)
    };
    if let Some(braced) = rest.strip_prefix("${") {
        let name = &braced[..identifier(braced)?];
        let text = rest.find('}').map_or(rest, |end| &rest[..=end]);
        return Some((text, name));
    }
    let plain = rest.strip_prefix('$')?;
    let end = identifier(plain)?;
    Some((&rest[..=end], &plain[..end]))
}

/// Records the variables a finished command sets to a value it holds
/// (`x={{…}}`, `x=$1`, `x="$(echo {{…}})"`, `for x in {{…}}`, `printf -v x
/// %s {{…}}`), and forgets one it sets to anything else: where the script
/// expands the variable, the value is.
fn track_values(command: &Command, values: &mut Vec<(String, Mention)>) {
    let words = &command.words;
    for (at, word) in words.iter().enumerate() {
        // `: ${y:=$x}` assigns too.
        if let Some((name, _)) = word
            .strip_prefix("${")
            .and_then(|w| w.split_once(":=").or_else(|| w.split_once('=')))
            && variable_reference(&format!("${name}")).is_some()
            && let Some(mention) = command.word_at(at)
        {
            values.push((name.to_string(), mention.clone()));
        }
        let Some((name, _)) = word.split_once('=') else {
            continue;
        };
        let name = name.strip_suffix('+').unwrap_or(name);
        if variable_reference(&format!("${name}")).is_none() {
            continue;
        }
        values.retain(|(n, _)| n != name);
        if let Some(mention) = command.word_at(at) {
            values.push((name.to_string(), mention.clone()));
        }
    }
    let Some(name) = words.iter().position(|w| !is_command_prefix(w)) else {
        return;
    };
    let target = match words[name].as_str() {
        "for" | "select" => words.get(name + 1),
        _ => variable_option(&words[name..]).and_then(|option| words.get(name + option + 1)),
    };
    if let Some(target) = target
        && let Some(mention) = command.argument(name)
    {
        values.push((target.clone(), mention.clone()));
    }
    // `… {{…}} | while read -r x`: what the pipe carries, `read` sets.
    if let Some(mention) = &command.piped
        && matches!(words[name].as_str(), "read" | "mapfile" | "readarray")
    {
        for target in words[name + 1..].iter().filter(|w| !w.starts_with('-')) {
            values.push((target.clone(), mention.clone()));
        }
    }
}

/// Whether `command` parses its arguments again as code: a
/// [`reparsing_builtin`], `alias`, `source`, a POSIX shell, a program that
/// joins its arguments for a shell, or a prefix that runs one of those.
fn reparses(command: &str) -> bool {
    let program = program_name(command);
    reparsing_builtin(command).is_some()
        || matches!(
            command,
            "alias" | "source" | "." | "builtin" | "command" | "exec"
        )
        || POSIX_SHELLS.contains(&program)
        || JOINING_PROGRAMS.contains(&program)
}

/// Records the assignments of a finished command that name a command
/// [`reparses`] (`e=eval`, `export s=/bin/sh`, `alias e=eval`), and forgets
/// a recorded name assigned anything else. Only literals are followed.
fn track_names(words: &[String], named: &mut Vec<Named>) {
    let alias = words
        .iter()
        .find(|w| !is_command_prefix(w))
        .is_some_and(|n| n == "alias");
    for word in words {
        let Some((name, value)) = word.split_once('=') else {
            continue;
        };
        if variable_reference(&format!("${name}")).is_none() {
            continue;
        }
        named.retain(|n| !(n.name == name && n.alias == alias));
        let command = value
            .trim_start_matches('(')
            .split_whitespace()
            .next()
            .unwrap_or_default();
        if reparses(command) {
            named.push(Named {
                name: name.to_string(),
                value: value.to_string(),
                alias,
            });
        }
    }
}

/// Whether a command reads shell code from its input: a POSIX shell, a
/// program that starts one (`su`, `runuser`, `script`) or joins its input
/// for one (`ssh`, `parallel`) anywhere in its words (`sh`, `sudo bash
/// -s`, `xargs -I{} sh -c "…{}…"`), `xargs` with a `-c` option (`xargs su
/// root -c`), or `source`, `.` or `eval` as its name.
fn reads_code_from_input(words: &[String]) -> bool {
    let name = words.iter().find(|w| !is_command_prefix(w));
    let program = |w: &String| program_name(w).to_string();
    words.iter().map(program).any(|p| {
        POSIX_SHELLS.contains(&p.as_str())
            || JOINING_PROGRAMS.contains(&p.as_str())
            || matches!(p.as_str(), "su" | "runuser" | "script")
    }) || (words.iter().any(|w| program_name(w) == "xargs")
        && words.iter().any(|w| is_command_option(w, words)))
        || name.is_some_and(|n| matches!(n.as_str(), "source" | "." | "eval"))
}

/// Whether the word at `at` is code for a program: the value of a `-c` or
/// `--command` option, whatever it holds and wherever the option stands
/// (`su root -c`, `flock f -c`, `script -qc`, `"$SHELL" -c`), or the
/// argument of `-e`, `--eval`, `--exec` (`perl -e`) holding more than plain
/// text. The script of a POSIX shell is refused before this.
fn code_option_argument(words: &[String], at: usize, mention: &Mention) -> bool {
    if is_command_value(words, at) {
        return true;
    }
    let option = at.checked_sub(1).and_then(|i| words.get(i));
    let Some(option) = option else {
        return false;
    };
    let code_option = match option.strip_prefix("--") {
        Some(long) => matches!(long, "eval" | "exec" | "execute"),
        None => option.strip_prefix('-').is_some_and(|flags| {
            flags.ends_with('e') && flags.chars().all(|c| c.is_ascii_alphabetic())
        }),
    };
    let mut rest = words[at]
        .replace(TEST_EXAMPLES, "")
        .replace(RESULT_PATH, "");
    if let Some(parameter) = &mention.parameter {
        rest = rest.replace(parameter.as_str(), "");
    }
    code_option
        && rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || CODE_CHARACTERS.contains(c))
}

/// Words before a command's name that leave it the name: reserved words
/// (`if`, `!`, `{`), assignments, and `builtin`, `command`, `exec`, `time`
/// with their options.
fn is_command_prefix(word: &str) -> bool {
    let assignment = word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_[]".contains(c))
    });
    assignment
        || word.starts_with('-')
        || matches!(
            word,
            "!" | "{"
                | "if"
                | "then"
                | "elif"
                | "else"
                | "while"
                | "until"
                | "do"
                | "time"
                | "builtin"
                | "command"
                | "exec"
                | "noglob"
                | "nocorrect"
        )
}

/// The builtins that parse every argument again: as shell code (`eval`,
/// `trap`) or as arithmetic (`let`, `[[ … ]]`, and `declare`, `typeset`,
/// `local` and `read`, which evaluate array subscripts and `-i` values).
fn reparsing_builtin(name: &str) -> Option<(&'static str, &'static str)> {
    const CODE: &str = "the shell parses the value again as shell code";
    Some(match name {
        "eval" => ("in an argument of `eval`", CODE),
        "trap" => ("in an argument of `trap`", CODE),
        "let" => ("in an argument of `let`", ARITHMETIC),
        "[[" => ("inside `[[ … ]]`", ARITHMETIC),
        "declare" | "typeset" | "local" => (
            "in an argument of `declare`, `typeset` or `local`",
            ARITHMETIC,
        ),
        "read" => ("in an argument of `read`", ARITHMETIC),
        "alias" => (
            "in an argument of `alias`",
            "the shell parses the alias's value again as shell code where it is used",
        ),
        _ => return None,
    })
}

/// For `printf -v NAME` and `test -v NAME` (`[ -v NAME ]`), the index of
/// `-v` among `words` (the command's name first): bash evaluates a
/// subscript of NAME as arithmetic.
fn variable_option(words: &[String]) -> Option<usize> {
    match words.first()?.as_str() {
        "printf" | "test" | "[" => words.iter().position(|w| w == "-v"),
        _ => None,
    }
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
            Frame::Arith(_) => Err(reparsed(
                placeholder,
                "inside arithmetic `((…))`",
                ARITHMETIC,
            )),
            Frame::OldArith(_) => Err(reparsed(
                placeholder,
                "inside arithmetic `$[…]`",
                ARITHMETIC,
            )),
        }
    }

    /// The command being read: the innermost top or `$(…)` one.
    fn command(&mut self) -> &mut Command {
        self.commands
            .last_mut()
            .expect("the top command is never popped")
    }

    /// Records a placeholder in the word being read, or refuses it in an
    /// array subscript (`a[{{testExamples}}]=1`), which bash evaluates as
    /// arithmetic.
    fn note_placeholder(&mut self, placeholder: &'static str) -> Result<(), TemplateError> {
        if self.process.contains(&true) {
            return Err(reparsed(placeholder, PROCESS.0, PROCESS.1));
        }
        let command = self.command();
        let word = command.word();
        if is_subscript_start(word) {
            return Err(reparsed(placeholder, "in an array subscript", ARITHMETIC));
        }
        word.push_str(placeholder);
        let index = (!command.redirect).then_some(command.words.len());
        let mention = Mention {
            placeholder,
            parameter: None,
        };
        command.slots.push((index, mention));
        Ok(())
    }

    /// Records a positional parameter that reaches a placeholder (`$@`) in
    /// the word being read, or refuses it where a placeholder would be
    /// refused because the shell parses it again. Quotes, a comment or
    /// `$'…'` make it text, not a parameter.
    fn note_parameter(&mut self, mention: Mention) -> Result<(), TemplateError> {
        let frame = *self.stack.last().expect("the stack keeps its Top frame");
        match frame {
            Frame::Single | Frame::AnsiC | Frame::Comment => return Ok(()),
            _ if self.heredoc => {
                return Err(mention.refuse(
                    "after a here-document (`<<`)",
                    "a shell reading the document would parse the value again",
                ));
            }
            Frame::Arith(_) => return Err(mention.refuse("inside arithmetic `((…))`", ARITHMETIC)),
            Frame::OldArith(_) => {
                return Err(mention.refuse("inside arithmetic `$[…]`", ARITHMETIC));
            }
            Frame::Backquote => {
                return Err(mention.refuse(
                    "inside backquotes",
                    "bktec does not follow the commands that read it",
                ));
            }
            Frame::Top | Frame::Subst(_) | Frame::Double | Frame::Brace => {}
        }
        if self.process.contains(&true) {
            return Err(mention.refuse(PROCESS.0, PROCESS.1));
        }
        let command = self.command();
        if is_subscript_start(command.word()) {
            return Err(mention.refuse("in an array subscript", ARITHMETIC));
        }
        let index = (!command.redirect).then_some(command.words.len());
        command.slots.push((index, mention));
        Ok(())
    }

    /// Ends the command being read, checks where its placeholders stand and
    /// records the names it gives a command that parses values again, the
    /// variables it sets to a value, and whether a `$(…)` it is in
    /// outputs one.
    fn end_command(&mut self) {
        let mut command = std::mem::take(self.command());
        let refusal = command.finish(&self.named, &self.special).err();
        track_names(&command.words, &mut self.named);
        track_attributes(&command.words, &mut self.special);
        track_values(&command, &mut self.values);
        let carried = self.carried.last_mut().expect("pushed with its command");
        if carried.is_none() {
            *carried = command.mentions().next().cloned();
        }
        if self.refusal.is_none() {
            self.refusal = refusal;
        }
    }

    /// Records a parameter (`$@`, `$1`) that reaches a placeholder among
    /// the shell's `arguments` (or, in a function, among the script's own
    /// words), or a variable the script set to a value (`x={{…}}; … $x`).
    fn note_reference(
        &mut self,
        rest: &str,
        arguments: &[String],
        in_script: Option<&'static str>,
    ) -> Result<(), TemplateError> {
        // `$0` stays the script's own inside a function.
        let of_function = |p: &str| !matches!(p, "$0" | "${0}");
        if let Some(parameter) = positional_parameter(rest)
            && let Some(placeholder) =
                reached(parameter, arguments).or(in_script.filter(|_| of_function(parameter)))
        {
            return self.note_parameter(Mention {
                placeholder,
                parameter: Some(parameter.to_string()),
            });
        }
        if let Some((text, name)) = variable_at(rest)
            && let Some((_, mention)) = self.values.iter().rev().find(|(n, _)| n == name)
        {
            let placeholder = mention.placeholder;
            return self.note_parameter(Mention {
                placeholder,
                parameter: Some(text.to_string()),
            });
        }
        Ok(())
    }

    /// Ends a `$(…)`: its output holds a value when a command in it did
    /// (`eval "$(echo {{…}})"`), a value of the word it stands in.
    fn end_substitution(&mut self) {
        self.end_command();
        self.commands.pop();
        self.process.pop();
        let carried = self.carried.pop().flatten();
        self.command().word().push_str("$(…)");
        if let Some(mention) = carried {
            let output = Mention {
                placeholder: mention.placeholder,
                parameter: Some("$(…)".to_string()),
            };
            if let Err(refusal) = self.note_parameter(output)
                && self.refusal.is_none()
            {
                self.refusal = Some(refusal);
            }
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
                } else {
                    self.push_text(i, step);
                }
                step
            }
            Frame::Double => self.step_double(i, c, next, step, escape),
            Frame::Arith(_) | Frame::OldArith(_) => self.step_arith(c, step, escape),
            Frame::Backquote | Frame::AnsiC => match c {
                b'\\' => escape,
                b'`' if frame == Frame::Backquote => self.pop(step),
                b'\'' if frame == Frame::AnsiC => self.pop(step),
                _ => step,
            },
            // The text of `${…}` is kept, so `${e}` names its variable.
            Frame::Brace => match c {
                b'}' => {
                    self.push_text(i, step);
                    self.pop(step)
                }
                b'\'' => self.push(Frame::Single, step),
                b'"' => self.push(Frame::Double, step),
                _ => {
                    self.push_text(i, step);
                    step
                }
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
        self.command().word();
        if frame == Frame::Subst(1) {
            self.commands.push(Command::default());
            self.process.push(false);
            self.carried.push(None);
        }
        self.stack.push(frame);
        step
    }

    /// Adds the script's text at `i..i + len` to the word being read.
    fn push_text(&mut self, i: usize, len: usize) {
        let text = &self.script[i..i + len];
        self.command().word().push_str(text);
    }

    /// A step inside `$((…))`, `((…))` or `$[…]`: only the parentheses
    /// (brackets) matter.
    fn step_arith(&mut self, c: u8, step: usize, escape: usize) -> usize {
        let (depth, open, close) = match self.stack.last_mut() {
            Some(Frame::Arith(depth)) => (depth, b'(', b')'),
            Some(Frame::OldArith(depth)) => (depth, b'[', b']'),
            _ => return step,
        };
        match c {
            b'\\' => escape,
            _ if c == open => {
                *depth += 1;
                step
            }
            _ if c == close => {
                *depth -= 1;
                if *depth == 0 {
                    self.stack.pop();
                }
                step
            }
            _ => step,
        }
    }

    /// Ends the word being read at `c` (blank or operator) and, at a
    /// command separator, the command.
    fn end_word_at(&mut self, i: usize, c: u8) {
        let pipe = c == b'|'
            && self.bytes.get(i + 1) != Some(&b'|')
            && (i == 0 || self.bytes[i - 1] != b'|');
        let command = self.command();
        command.end_word();
        match c {
            // Inside `[[ … ]]`, `&&`, `||`, `<`, `>` and parentheses are
            // operators of the test, not separators or redirections.
            b'<' | b'>' | b'&' | b'|' | b'(' | b')' if command.in_test => {}
            b'<' | b'>' => command.pending_redirect = true,
            b'|' if pipe => {
                // What this command writes, the next one reads.
                let carried = command.mentions().next().cloned();
                let carried = command.piped.clone().or(carried);
                self.end_command();
                self.command().piped = carried;
            }
            b'\n' | b';' | b'&' | b'|' | b'(' | b')' => self.end_command(),
            _ => {}
        }
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
        let word_start = self.command().word.is_none();
        // An array's elements (`a=(x {{…}})`) are one word: the assignment's.
        if self.command().array {
            if matches!(c, b' ' | b'\t' | b'\n' | b')') {
                self.push_text(i, step);
                self.command().array = c != b')';
                return step;
            }
        } else if c == b'('
            && self.command().word.as_deref().is_some_and(|w| {
                w.ends_with('=')
                    && variable_reference(&format!("${}", w.trim_end_matches(['=', '+']))).is_some()
            })
        {
            self.push_text(i, step);
            self.command().array = true;
            return step;
        }
        match (c, next) {
            (b'\\', _) => {
                if next != Some(b'\n') {
                    self.push_text(i + 1, escape - 1);
                }
                escape
            }
            (b'\'', _) => self.push(Frame::Single, step),
            (b'"', _) => self.push(Frame::Double, step),
            (b'`', _) => self.push(Frame::Backquote, step),
            (b'$', Some(b'\'')) => self.push(Frame::AnsiC, 2),
            (b'$', Some(b'{')) => {
                self.push_text(i, 2);
                self.push(Frame::Brace, 2)
            }
            (b'$', Some(b'[')) => self.push(Frame::OldArith(1), 2),
            (b'$', Some(b'(')) if self.bytes.get(i + 2) == Some(&b'(') => {
                self.push(Frame::Arith(2), 3)
            }
            (b'$', Some(b'(')) => self.push(Frame::Subst(1), 2),
            (b'(', Some(b'(')) if word_start => self.push(Frame::Arith(2), 2),
            // bash reads `<(` and `>(` as a process substitution anywhere
            // in a word (`BASH_ENV=<(…)`, `--x=<(…)`), zsh `=(` at its start.
            (b'<' | b'>', Some(b'(')) | (b'=', Some(b'(')) if c != b'=' || word_start => {
                let step = self.push(Frame::Subst(1), 2);
                *self.process.last_mut().expect("pushed with its command") = true;
                step
            }
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
                self.end_word_at(i, c);
                step
            }
            (b')', _) => {
                self.end_word_at(i, c);
                if let Some(Frame::Subst(depth)) = self.stack.last_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        self.stack.pop();
                        self.end_substitution();
                    }
                }
                step
            }
            (b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>', _) => {
                self.end_word_at(i, c);
                step
            }
            _ => {
                self.push_text(i, step);
                step
            }
        }
    }

    /// A step inside `"…"`.
    fn step_double(
        &mut self,
        i: usize,
        c: u8,
        next: Option<u8>,
        step: usize,
        escape: usize,
    ) -> usize {
        match (c, next) {
            (b'\\', _) => {
                self.push_text(i, escape);
                escape
            }
            (b'"', _) => self.pop(step),
            (b'`', _) => self.push(Frame::Backquote, step),
            (b'$', Some(b'{')) => {
                self.push_text(i, 2);
                self.push(Frame::Brace, 2)
            }
            (b'$', Some(b'[')) => self.push(Frame::OldArith(1), 2),
            (b'$', Some(b'(')) if self.bytes.get(i + 2) == Some(&b'(') => {
                self.push(Frame::Arith(2), 3)
            }
            (b'$', Some(b'(')) => self.push(Frame::Subst(1), 2),
            _ => {
                self.push_text(i, step);
                step
            }
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
/// Whether the first `{{testExamples}}` in `source` stands inside single
/// or double quotes, as [`split_words`] reads them.
fn placeholder_quoted(source: &str) -> bool {
    let Some(at) = source.find(TEST_EXAMPLES) else {
        return false;
    };
    let mut quote = None;
    let mut chars = source[..at].chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') => {
                chars.next();
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            _ => {}
        }
    }
    quote.is_some()
}

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
