#!/usr/bin/env bash
# Runs bktec's whole test suite on a fresh machine: Python environments for the
# pytest tests, then every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/python-env.sh
cargo test --all-targets --locked
