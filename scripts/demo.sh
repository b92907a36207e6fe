#!/usr/bin/env bash
# Runs bktec end to end on examples/pytest: builds bktec, creates a Python
# environment with pytest and buildkite-test-collector, and runs the example's
# tests as node 0 of 1 with the example's bktec.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
scripts/python-env.sh
bktec="$PWD/target/release/bktec"
export PATH="$PWD/target/py/collector/bin:$PATH"
cd examples/pytest
echo "+ bktec config"
"$bktec" config
echo
echo "+ bktec run"
exec "$bktec" run "$@"
