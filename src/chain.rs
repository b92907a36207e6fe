//! The one renderer of error chains (S6), a leaf that every module may use.

use std::error::Error;
use std::fmt;

/// The one renderer of error chains (S6).
///
/// `{}` is the error's message, then one `  caused by: …` line per cause, as
/// `main` prints an error that ends a command. `{:#}` is the message and its
/// causes on one line, joined by `: `, for an error shown inside a sentence:
/// an attempt that could not start, an unreadable result file, a failed
/// upload, a fatal API error. Neither form ends with a newline.
pub(crate) struct ErrorChain<'a>(pub &'a (dyn Error + 'a));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = if f.alternate() {
            ": "
        } else {
            "\n  caused by: "
        };
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, "{separator}{cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
