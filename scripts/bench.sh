#!/usr/bin/env bash
# Runs the benchmarks, which print their figures: discovery against `find` on
# a 110k-file tree, orchestration overhead, parsing 100k-test results, and
# planning 10k files from 100k durations.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --bench discovery
cargo bench --locked --bench run
cargo bench --locked --bench plan
