//! Command templates (behaviour document 7.2, D12). A template is split into
//! words first, with shell-words rules (quotes and backslashes, no expansion),
//! and placeholders are substituted into the words afterwards, so every
//! substituted value is exactly one argument whatever characters it holds.

use std::fmt;

/// `{{testExamples}}`: the tests to run.
pub const TEST_EXAMPLES: &str = "{{testExamples}}";
/// `{{resultPath}}`: the result file.
pub const RESULT_PATH: &str = "{{resultPath}}";

/// Why a template cannot be split into words. The messages are shell-words'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
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
}

/// A parsed command template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandTemplate {
    source: String,
    words: Vec<String>,
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
        Ok(CommandTemplate {
            source: source.to_string(),
            words: split_words(source)?,
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

    /// Whether the template mentions `placeholder` in any word.
    pub fn mentions(&self, placeholder: &str) -> bool {
        self.words.iter().any(|w| w.contains(placeholder))
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
        for word in &self.words {
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
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| quote_word(arg))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,^".contains(c));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
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
}
