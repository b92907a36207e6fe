#!/usr/bin/env bash
# Runs bktec's whole test suite on a fresh machine: Python environments for the
# pytest tests, then every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/python-env.sh
scripts/runner-tools.sh
# Benchmarks are not run here (they print figures; see scripts/bench.sh), but
# clippy --all-targets in .ci/run compiles them.
cargo test --locked --lib --bins --tests
# The doctests include the compile-fail test that a misspelt setting key
# does not build.
cargo test --locked --doc
