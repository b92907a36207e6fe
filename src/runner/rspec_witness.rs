//! Installs bktec's RSpec witness (D23, D37): a file RSpec requires through
//! `SPEC_OPTS`, appended to the user's own, which records the examples RSpec
//! selected, how each ended, a dry run, and the examples a focus filter hid.
//! It writes the witness file format of pytest's plugin, so one reader and
//! one proof serve both. Where it cannot load (a wrapper that drops the
//! environment), bktec judges the attempt by its result file alone.

use std::fs;
use std::io;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::quote::shell_quote;
use crate::results::Witness;

/// The witness's source.
const SOURCE: &str = include_str!("bktec_rspec_witness.rb");

/// The variable RSpec reads options from.
const SPEC_OPTS: &str = "SPEC_OPTS";

/// The variable that tells the witness where to write.
const OUTPUT_VAR: &str = "BKTEC_RSPEC_WITNESS";

/// A directory holding the witness, removed with it (D18).
#[derive(Debug)]
pub(super) struct RspecWitness {
    dir: TempDir,
    /// `SPEC_OPTS` as bktec found it, kept before the witness's option.
    spec_opts: Option<String>,
}

impl RspecWitness {
    /// Writes the witness into a new temporary directory.
    pub(super) fn create(spec_opts: Option<&str>) -> io::Result<RspecWitness> {
        let dir = tempfile::Builder::new()
            .prefix("bktec-rspec-witness-")
            .tempdir()?;
        fs::write(dir.path().join("bktec_rspec_witness.rb"), SOURCE)?;
        Ok(RspecWitness {
            dir,
            spec_opts: spec_opts.filter(|o| !o.trim().is_empty()).map(String::from),
        })
    }

    /// Where the witness writes for `run` (an attempt's name).
    fn report(&self, run: &str) -> PathBuf {
        self.dir.path().join(format!("witness-{run}.json"))
    }

    /// The variables that load the witness and tell it to write for `run`.
    /// RSpec splits `SPEC_OPTS` as a shell would, so the path is quoted.
    pub(super) fn env(&self, run: &str) -> Vec<(String, String)> {
        let source = self.dir.path().join("bktec_rspec_witness.rb");
        let require = format!("--require {}", shell_quote(&[source.display().to_string()]));
        // First, so that the user's options (a trailing `\\`, say) cannot
        // swallow it.
        let spec_opts = match &self.spec_opts {
            Some(own) => format!("{require} {own}"),
            None => require,
        };
        vec![
            (SPEC_OPTS.to_string(), spec_opts),
            (
                OUTPUT_VAR.to_string(),
                self.report(run).display().to_string(),
            ),
        ]
    }

    /// What the witness recorded for `run`, if it wrote anything; the file
    /// is removed once read, so a later run can never see it.
    /// A witness that loaded (it leaves `<file>.loaded`) and wrote nothing
    /// saw a run cut short (`exit!` in an `at_exit`, a crash): that is a
    /// witness too, of a run nothing proves (D37).
    pub(super) fn take(&self, run: &str) -> Option<Witness> {
        let path = self.report(run);
        let marker = path.with_extension("json.loaded");
        let witness = Witness::read(&path);
        let loaded = marker.exists();
        let _ = fs::remove_file(&path);
        let _ = fs::remove_file(&marker);
        witness.or_else(|| loaded.then(Witness::cut_short))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_witness_comes_before_the_user_s_spec_opts_as_one_word() {
        let w = RspecWitness::create(Some("--tag ~slow")).unwrap();
        let env = w.env("attempt-0");
        let opts = &env[0].1;
        assert!(opts.starts_with("--require "), "{opts}");
        assert!(
            opts.ends_with("bktec_rspec_witness.rb --tag ~slow"),
            "{opts}"
        );
        assert_eq!(env[1].0, OUTPUT_VAR);
        let bare = RspecWitness::create(Some("  ")).unwrap();
        assert!(bare.env("x")[0].1.starts_with("--require "));
    }
}
