#!/usr/bin/env bash
# Creates the Python environments the tests and the demo use, under target/py:
#   target/py/collector     pytest + buildkite-test-collector (JSON results), and junitparser,
#                           an independent JUnit reader for the tests of --junit-out
#   target/py/no-collector  pytest without the collector (JUnit XML results),
#                           pytest-xdist, for the tests of runs in worker processes, and
#                           pytest-split, which must read the durations files bktec writes
#   target/py/old-collector pytest + buildkite-test-collector 1.2.0 (too old for tag filters)
#   target/py/xsd           xmlschema, the XML Schema validator of the tests of --junit-out
#   target/xsd/junit-10.xsd Jenkins' JUnit schema as pytest's source distribution ships it
#                           (testing/example_scripts/junit-10.xsd), fetched from PyPI, not
#                           kept in this repository
# Re-running is cheap: an environment that already has its packages is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
root="target/py"
mkdir -p "$root"

make_env() {
    local name=$1
    shift
    local env="$root/$name"
    local stamp="$env/.bktec-installed"
    local want="$*"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    rm -rf "$env"
    python3 -m venv "$env"
    "$env/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    echo "$want" >"$stamp"
}

make_env collector "pytest>=8,<10" "buildkite-test-collector>=1.2" "junitparser>=3"
make_env no-collector "pytest>=8,<10" "pytest-xdist>=3" "pytest-split>=0.9"
make_env old-collector "pytest>=8,<10" "buildkite-test-collector==1.2.0"
make_env xsd "xmlschema>=3"

# The schema the merged JUnit report is validated against (D44).
xsd_dir="target/xsd"
xsd_sdist="pytest==9.2.0"
if [[ ! -f "$xsd_dir/junit-10.xsd" || "$(cat "$xsd_dir/.bktec-sdist" 2>/dev/null)" != "$xsd_sdist" ]]; then
    rm -rf "$xsd_dir"
    mkdir -p "$xsd_dir/sdist"
    "$root/xsd/bin/python" -m pip download --quiet --disable-pip-version-check \
        --no-deps --no-binary :all: "$xsd_sdist" -d "$xsd_dir/sdist"
    tar -xzf "$xsd_dir"/sdist/pytest-*.tar.gz -C "$xsd_dir" --strip-components=3 \
        --wildcards '*/testing/example_scripts/junit-10.xsd'
    echo "$xsd_sdist" >"$xsd_dir/.bktec-sdist"
fi
echo "python environments ready in $root"
