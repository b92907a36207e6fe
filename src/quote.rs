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
    // `=` and `^` are safe in an argument, so `--json=/tmp/r.json` reads as typed.
    quote_unless(arg, "-_./:=@%+,^")
}
