#!/usr/bin/env bash
# Runs the benchmarks, which print their figures: discovery against `find` on
# a 110k-file tree, orchestration overhead, parsing 100k-test results,
# planning 10k files from 100k durations, and how evenly a skewed real pytest
# suite splits over 2, 4 and 8 jobs (a few minutes; it sleeps), and the
# overhead of discovery by pytest on 2,000 files.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --bench discovery
cargo bench --locked --bench run
cargo bench --locked --bench plan
cargo bench --locked --bench split
cargo bench --locked --bench collect
