//! All writing to stdout and stderr goes through [`Shell`] (S11). It lives
//! inside `report/`, and its writing methods are visible only here: no stage
//! can print, by construction.

use std::io::{self, Write};

use anstream::stream::RawStream;
use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use chrono::{DateTime, Utc};

use crate::secret::redact_url_credentials;

/// Where output goes. What people read is written through `anstream`,
/// which keeps or strips colour for each stream (S11); data a program reads
/// goes to stdout as it is.
pub(crate) struct Shell {
    out: Box<dyn Write>,
    raw_out: Box<dyn Write>,
    err: Box<dyn Write>,
    color: bool,
}

impl Shell {
    /// The process's stdout and stderr, each coloured as [`color_choice`]
    /// says for it.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that opens stdout and stderr"
    )]
    pub(crate) fn stdio(env: &ColorEnv<'_>) -> Shell {
        let err_choice = color_choice(&io::stderr(), env);
        Shell {
            out: Box::new(AutoStream::new(
                io::stdout(),
                color_choice(&io::stdout(), env),
            )),
            raw_out: Box::new(io::stdout()),
            err: Box::new(AutoStream::new(io::stderr(), err_choice)),
            color: err_choice != ColorChoice::Never,
        }
    }

    /// A shell over the given writers, without colour (for tests).
    #[cfg(test)]
    pub(crate) fn from_writers(out: Box<dyn Write>, err: Box<dyn Write>) -> Shell {
        Shell {
            out: Box::new(AutoStream::new(out, ColorChoice::Never)),
            raw_out: Box::new(io::sink()),
            err: Box::new(AutoStream::new(err, ColorChoice::Never)),
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
        let choice = if color {
            ColorChoice::Always
        } else {
            ColorChoice::Never
        };
        Shell {
            out: Box::new(io::sink()),
            raw_out: Box::new(io::sink()),
            err: Box::new(AutoStream::new(io::stderr(), choice)),
            color,
        }
    }

    /// Whether stderr is coloured.
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// Writes `text` to stdout, credentials in URLs redacted, its styles
    /// kept where stdout takes colour. A closed stdout (a pipe into
    /// `head`) is not an error worth reporting.
    pub(super) fn out(&mut self, text: &str) {
        let _ = self.out.write_all(redact_url_credentials(text).as_bytes());
        let _ = self.out.flush();
    }

    /// Writes `text` to stdout exactly as it is: data a program reads (a
    /// plan, the targets), where a node id that holds a URL, or an escape
    /// character in a file name, must not change.
    pub(super) fn data(&mut self, text: &str) {
        let _ = self.raw_out.write_all(text.as_bytes());
        let _ = self.raw_out.flush();
    }

    /// Writes `text` to stderr, credentials in URLs redacted.
    pub(super) fn err(&mut self, text: &str) {
        let text = redact_url_credentials(text);
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Writes a warning line to stderr (yellow, bold, with ⚠️).
    pub(super) fn warn(&mut self, message: &str) {
        let line = paint(WARNING, &format!("⚠️ {message}"));
        self.err(&format!("{line}\n"));
    }

    /// Writes a further warning line to stderr (yellow).
    pub(super) fn warn_more(&mut self, message: &str) {
        let line = paint(AnsiColor::Yellow.on_default(), message);
        self.err(&format!("{line}\n"));
    }

    /// Writes a fatal message to stderr (red and bold).
    pub(super) fn fatal(&mut self, message: &str) {
        let line = paint(FAILURE, message);
        self.err(&format!("{line}\n"));
    }
}

/// What passed: green and bold.
pub(super) const SUCCESS: Style = AnsiColor::Green.on_default().bold();

/// What failed, and fatal errors: red and bold.
pub(super) const FAILURE: Style = AnsiColor::Red.on_default().bold();

/// Warnings: yellow and bold.
pub(super) const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Flaky tests: yellow.
pub(super) const FLAKY: Style = AnsiColor::Yellow.on_default();

/// `text` in `style`. The stream it is written to strips the style where
/// colour is off, so text is always painted.
pub(super) fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Whether `stream` is coloured: `anstream`'s rules (`NO_COLOR`,
/// `CLICOLOR_FORCE`, `CLICOLOR`, `TERM`, a terminal), and one of bktec's
/// own: a Buildkite job (`BUILDKITE=true`) is coloured, as its log renders
/// ANSI colour although it is no terminal, unless `NO_COLOR`, `CLICOLOR=0`
/// or `TERM=dumb` says otherwise.
pub(crate) fn color_choice<S: RawStream>(stream: &S, env: &ColorEnv<'_>) -> ColorChoice {
    let decided = AutoStream::choice(stream);
    let buildkite = env.buildkite == Some("true")
        && !anstyle_query::no_color()
        && anstyle_query::clicolor() != Some(false)
        && env.term != Some("dumb");
    match decided {
        ColorChoice::Never if buildkite => ColorChoice::Always,
        other => other,
    }
}

/// The variables of bktec's own colour rule, as the environment has them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ColorEnv<'a> {
    /// `TERM`.
    pub(crate) term: Option<&'a str>,
    /// `BUILDKITE`.
    pub(crate) buildkite: Option<&'a str>,
}

/// A debug line, `YYYY/MM/DD HH:MM:SS DEBUG: <message>` (UTC), as `--debug`
/// prints them (behaviour document 10.4).
pub(super) fn debug_line(message: &str) -> String {
    debug_line_at(Utc::now(), message)
}

fn debug_line_at(now: DateTime<Utc>, message: &str) -> String {
    format!("{} DEBUG: {message}\n", now.format("%Y/%m/%d %H:%M:%S"))
}

/// Now in RFC 3339 with nanoseconds, trailing zeros trimmed (10.5), in UTC:
/// Go's `time.RFC3339Nano`.
pub(super) fn rfc3339_now() -> String {
    rfc3339_at(Utc::now())
}

fn rfc3339_at(now: DateTime<Utc>) -> String {
    // chrono writes 0, 3, 6 or 9 digits (`%.f`); Go trims every zero.
    let seconds = now.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    format!("{}Z", seconds.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64, nanosecond: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(second, nanosecond).expect("in range")
    }

    #[test]
    fn debug_lines_carry_the_utc_date_and_time() {
        assert_eq!(
            debug_line_at(at(1_775_124_007, 999_999_999), "hello"),
            "2026/04/02 10:00:07 DEBUG: hello\n"
        );
        assert_eq!(
            debug_line_at(at(951_782_400, 0), "leap day"),
            "2000/02/29 00:00:00 DEBUG: leap day\n"
        );
    }

    #[test]
    fn rfc3339_trims_the_nanoseconds_as_go_does() {
        assert_eq!(rfc3339_at(at(1_775_124_000, 0)), "2026-04-02T10:00:00Z");
        assert_eq!(
            rfc3339_at(at(1_775_124_000, 120_000_000)),
            "2026-04-02T10:00:00.12Z"
        );
        assert_eq!(
            rfc3339_at(at(1_775_124_000, 123_456_789)),
            "2026-04-02T10:00:00.123456789Z"
        );
        assert_eq!(
            rfc3339_at(at(1_775_124_000, 1_000)),
            "2026-04-02T10:00:00.000001Z"
        );
        assert_eq!(rfc3339_at(at(0, 0)), "1970-01-01T00:00:00Z");
    }
}
