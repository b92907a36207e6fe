//! Quoting for a POSIX shell: a command bktec prints can be pasted and run
//! as it was. A leaf, so that the runner (which writes scripts) and the
//! reporter (which prints commands) share one rule.

/// `value` as is when it is not empty and every character is alphanumeric
/// or in `safe`, else single-quoted, each `'` as `'\''`: one word for any
/// POSIX shell.
pub(crate) fn quote_unless(value: &str, safe: &str) -> String {
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

/// Quotes `argv` for display, so the printed command can be pasted into a
/// POSIX shell and run as it was.
pub(crate) fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| quote_word(arg))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(arg: &str) -> String {
    // A control character (a newline in a file name) printed as it is
    // would start a new line of the log, which may read as a section
    // marker (`+++`): such a word is written in `$'…'`, which bash, zsh and
    // ksh read back as the same bytes.
    if arg.chars().any(char::is_control) {
        return ansi_c_quote(arg);
    }
    // `=` and `^` are safe in an argument, so `--json=/tmp/r.json` reads as typed.
    quote_unless(arg, "-_./:=@%+,^")
}

/// `value` in `$'…'`, its control characters, `\` and `'` escaped.
fn ansi_c_quote(value: &str) -> String {
    let mut out = String::from("$'");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `text` on one line: its control characters escaped as `$'…'` writes
/// them, so that a test's name can never start a line of the log.
pub(crate) fn one_line(text: &str) -> String {
    if text.chars().any(char::is_control) {
        let quoted = ansi_c_quote(text);
        quoted[2..quoted.len() - 1].to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_log_raw() {
        let argv = vec![
            "pytest".to_string(),
            "tests/test_nl\n+++ boom.py".to_string(),
            "it's\x1b[31m".to_string(),
        ];
        assert_eq!(
            shell_quote(&argv),
            "pytest $'tests/test_nl\\n+++ boom.py' $'it\\'s\\x1b[31m'"
        );
        assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(one_line("plain name"), "plain name");
    }
}
