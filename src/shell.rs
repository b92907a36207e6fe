//! All writing to stdout and stderr goes through [`Shell`] (S11).

use std::error::Error;
use std::io::{self, Write};

use crate::chain::ErrorChain;
use crate::config::{EnvSnapshot, EnvVars};

/// Where output goes, and whether it may be coloured.
pub struct Shell {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    color: bool,
}

impl Shell {
    /// The process's stdout and stderr. Colour is off when `NO_COLOR` is non-empty.
    pub fn stdio(env: &EnvSnapshot) -> Shell {
        Shell {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
            color: env.non_empty(EnvVars::NO_COLOR).is_none(),
        }
    }

    /// A shell over the given writers, without colour (for tests).
    pub fn from_writers(out: Box<dyn Write>, err: Box<dyn Write>) -> Shell {
        Shell {
            out,
            err,
            color: false,
        }
    }

    /// A shell that writes only to stderr (for notices from inside a stage
    /// that has no access to the main shell); stdout is discarded.
    pub fn stderr_only(color: bool) -> Shell {
        Shell {
            out: Box::new(io::sink()),
            err: Box::new(io::stderr()),
            color,
        }
    }

    /// Whether ANSI colour may be used.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Writes `text` to stdout as is. A closed stdout (a pipe into `head`) is
    /// not an error worth reporting.
    pub fn out(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Writes `text` to stderr as is.
    pub fn err(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Writes a warning line to stderr (yellow, bold, with ⚠️).
    pub fn warn(&mut self, message: &str) {
        let line = if self.color {
            format!("\x1b[33m\x1b[1m⚠️ {message}\x1b[0m\n")
        } else {
            format!("⚠️ {message}\n")
        };
        self.err(&line);
    }

    /// Writes a further warning line to stderr (yellow).
    pub fn warn_more(&mut self, message: &str) {
        let line = if self.color {
            format!("\x1b[33m{message}\x1b[0m\n")
        } else {
            format!("{message}\n")
        };
        self.err(&line);
    }

    /// Writes a fatal message to stderr (red and bold).
    pub fn fatal(&mut self, message: &str) {
        let line = if self.color {
            format!("\x1b[31m\x1b[1m{message}\x1b[0m\n")
        } else {
            format!("{message}\n")
        };
        self.err(&line);
    }

    /// Writes an error and its causes to stderr, as [`ErrorChain`] renders them.
    pub fn error(&mut self, error: &dyn Error) {
        self.err(&format!("{}\n", ErrorChain(error)));
    }
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
pub fn debug_line(message: &str) -> String {
    let (year, month, day, rem, _) = utc_now();
    format!(
        "{year:04}/{month:02}/{day:02} {:02}:{:02}:{:02} DEBUG: {message}\n",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Now in RFC 3339 with nanoseconds, trailing zeros trimmed (10.5), in UTC.
pub fn rfc3339_now() -> String {
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
