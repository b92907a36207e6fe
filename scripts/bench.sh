#!/usr/bin/env bash
# Runs the benchmarks, which print their figures: discovery against `find` on
# a 110k-file tree, orchestration overhead, and parsing 100k-test results.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --bench discovery
cargo bench --locked --bench run
