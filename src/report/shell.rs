//! All writing to stdout and stderr goes through [`Shell`] (S11). It lives
//! inside `report/`, and its writing methods are visible only here: no stage
//! can print, by construction.

use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style};

use crate::secret::redact_url_credentials;

/// Where output goes, and whether it may be coloured.
pub(crate) struct Shell {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    color: bool,
}

impl Shell {
    /// The process's stdout and stderr, coloured as [`color_enabled`] says
    /// for stderr, where the coloured lines go.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that opens stdout and stderr"
    )]
    pub(crate) fn stdio(env: &ColorEnv<'_>) -> Shell {
        Shell {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
            color: color_enabled(env, io::stderr().is_terminal()),
        }
    }

    /// A shell over the given writers, without colour (for tests).
    #[cfg(test)]
    pub(crate) fn from_writers(out: Box<dyn Write>, err: Box<dyn Write>) -> Shell {
        Shell {
            out,
            err,
            color: false,
        }
    }

    /// A shell that writes only to stderr (for notices from inside a stage
    /// that has no access to the main shell); stdout is discarded.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that opens stdout and stderr"
    )]
    pub(crate) fn stderr_only(color: bool) -> Shell {
        Shell {
            out: Box::new(io::sink()),
            err: Box::new(io::stderr()),
            color,
        }
    }

    /// Whether ANSI colour may be used.
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// Writes `text` to stdout, credentials in URLs redacted. A closed
    /// stdout (a pipe into `head`) is not an error worth reporting.
    pub(super) fn out(&mut self, text: &str) {
        self.data(&redact_url_credentials(text));
    }

    /// Writes `text` to stdout exactly as it is: data a program reads (a
    /// plan, the targets), where a node id that holds a URL must not change.
    pub(super) fn data(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Writes `text` to stderr, credentials in URLs redacted.
    pub(super) fn err(&mut self, text: &str) {
        let text = redact_url_credentials(text);
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// `text` in `style` when colour is on, else as it is.
    fn styled(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// Writes a warning line to stderr (yellow, bold, with ⚠️).
    pub(super) fn warn(&mut self, message: &str) {
        let style = AnsiColor::Yellow.on_default().bold();
        let line = self.styled(style, &format!("⚠️ {message}"));
        self.err(&format!("{line}\n"));
    }

    /// Writes a further warning line to stderr (yellow).
    pub(super) fn warn_more(&mut self, message: &str) {
        let line = self.styled(AnsiColor::Yellow.on_default(), message);
        self.err(&format!("{line}\n"));
    }

    /// Writes a fatal message to stderr (red and bold).
    pub(super) fn fatal(&mut self, message: &str) {
        let line = self.styled(AnsiColor::Red.on_default().bold(), message);
        self.err(&format!("{line}\n"));
    }
}

/// Whether output may be coloured, by the usual rules, first match wins
/// (issue 13, item 4): `NO_COLOR` set and non-empty turns colour off;
/// `CLICOLOR_FORCE` set, non-empty and not `0` turns it on; `TERM=dumb` turns
/// it off; a Buildkite job (`BUILDKITE=true`) turns it on, because the
/// Buildkite log renders ANSI colour although it is not a terminal; otherwise
/// colour is on only on a terminal.
pub(crate) fn color_enabled(env: &ColorEnv<'_>, is_terminal: bool) -> bool {
    if env.no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if env
        .clicolor_force
        .is_some_and(|v| !v.is_empty() && v != "0")
    {
        return true;
    }
    if env.term == Some("dumb") {
        return false;
    }
    if env.buildkite == Some("true") {
        return true;
    }
    is_terminal
}

/// The variables that decide colour, as the environment has them: the
/// caller reads them, so the reporter needs nothing of configuration.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ColorEnv<'a> {
    /// `NO_COLOR`.
    pub(crate) no_color: Option<&'a str>,
    /// `CLICOLOR_FORCE`.
    pub(crate) clicolor_force: Option<&'a str>,
    /// `TERM`.
    pub(crate) term: Option<&'a str>,
    /// `BUILDKITE`.
    pub(crate) buildkite: Option<&'a str>,
}

/// Seconds since the epoch as a UTC civil date and time.
fn utc_now() -> (i64, i64, i64, u64, u32) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs % 86_400, now.subsec_nanos())
}

/// A debug line, `YYYY/MM/DD HH:MM:SS DEBUG: <message>` (UTC), as `--debug`
/// prints them (behaviour document 10.4).
pub(super) fn debug_line(message: &str) -> String {
    let (year, month, day, rem, _) = utc_now();
    format!(
        "{year:04}/{month:02}/{day:02} {:02}:{:02}:{:02} DEBUG: {message}\n",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Now in RFC 3339 with nanoseconds, trailing zeros trimmed (10.5), in UTC.
pub(super) fn rfc3339_now() -> String {
    let (year, month, day, rem, nanos) = utc_now();
    let fraction = format!("{nanos:09}");
    let fraction = fraction.trim_end_matches('0');
    let dot = if fraction.is_empty() { "" } else { "." };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{dot}{fraction}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The environment, whether stderr is a terminal, and the colour wanted.
    type Case = (&'static [(&'static str, &'static str)], bool, bool);

    #[test]
    fn colour_follows_the_usual_rules_in_order() {
        let table: &[Case] = &[
            (&[], true, true),
            (&[], false, false),
            (&[("NO_COLOR", "1")], true, false),
            (&[("NO_COLOR", "")], true, true),
            (&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], true, false),
            (&[("CLICOLOR_FORCE", "1")], false, true),
            (&[("CLICOLOR_FORCE", "0")], false, false),
            (&[("CLICOLOR_FORCE", "")], false, false),
            (&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")], false, true),
            (&[("TERM", "dumb")], true, false),
            (&[("TERM", "xterm-256color")], true, true),
            (&[("BUILDKITE", "true")], false, true),
            (&[("BUILDKITE", "false")], false, false),
            (&[("BUILDKITE", "true"), ("TERM", "dumb")], false, false),
            (&[("BUILDKITE", "true"), ("NO_COLOR", "x")], false, false),
        ];
        for (vars, is_terminal, want) in table {
            let get = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            let env = ColorEnv {
                no_color: get("NO_COLOR"),
                clicolor_force: get("CLICOLOR_FORCE"),
                term: get("TERM"),
                buildkite: get("BUILDKITE"),
            };
            assert_eq!(
                color_enabled(&env, *is_terminal),
                *want,
                "{vars:?}, terminal: {is_terminal}"
            );
        }
    }
}
