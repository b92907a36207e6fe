//! `bktec run` with real Vitest (from npm, pinned in `scripts/node`) on
//! `examples/vitest` (behaviour document 5.2, 7.2, 7.7, 8.3, 9; D23, D24).
//! The checks Jest shares are in `support::runners::JestLike`.

use crate::support::runners::{JestLike, run};

const VITEST: JestLike = JestLike {
    name: "vitest",
    display: "Vitest",
    stock_test: "__tests__/stock.test.js::counts items",
    command: "npx vitest run ",
};

#[test]
fn parses_what_vitest_writes() {
    VITEST.assert_parses_its_fixture();
}

#[test]
fn two_jobs_run_every_test_exactly_once() {
    VITEST.assert_two_jobs_run_every_test_once();
}

#[test]
fn a_flaky_test_passes_on_retry_by_its_name() {
    VITEST.assert_flaky_test_passes_on_retry_by_name();
}

#[test]
fn a_real_failure_stays_red_after_retries() {
    VITEST.assert_real_failure_stays_red();
}

#[test]
fn a_suite_that_does_not_load_ends_the_run() {
    VITEST.assert_suite_that_does_not_load_ends_the_run();
}

#[test]
fn a_file_named_like_an_option_is_run_as_a_file() {
    VITEST.assert_file_named_like_an_option_runs_as_a_file(
        "import { expect, test } from 'vitest';\ntest('odd name', () => expect(1).toBe(1));\n",
    );
}

#[test]
fn a_file_vitest_leaves_out_is_not_green() {
    // D23: bktec's pattern finds `__tests__/helpers.js`; Vitest's own
    // include setting leaves it out, so nothing proves its tests ran.
    let dir = VITEST.project();
    dir.write("__tests__/helpers.js", "export const two = 2;\n");
    run(&dir, "out/r.json")
        .assert_exit(17)
        .assert_stdout_contains("__tests__/helpers.js");
}
