//! Configuration fails closed (issue #9): `--version` on every command,
//! numbers with ranges and no panics (D27), every problem reported at once,
//! and misspelt variables warned about (D29).

use crate::support::TestDir;

const PYTEST: (&str, &str) = ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest");

#[test]
fn version_works_on_every_command() {
    // Behaviour document 1.1: `--version` is accepted on sub-commands too, and
    // prints the same line as `bktec --version`.
    let dir = TestDir::new();
    let expected = format!("bktec v{}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["--version"][..],
        &["run", "--version"],
        &["plan", "--version"],
        &["list", "--version"],
        &["config", "--version"],
        &["run", "--parallelism", "3", "--version"],
    ] {
        let out = dir
            .bktec()
            .args(args.iter().copied())
            .env(PYTEST.0, PYTEST.1)
            .output();
        out.assert_success();
        assert_eq!(out.stdout(), expected, "{args:?}");
    }
}
