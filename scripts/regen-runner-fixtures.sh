#!/usr/bin/env bash
# Regenerates the result-file fixtures under tests/fixtures/<runner>/ by
# running each real tool on its demo project in examples/<runner>/, with the
# demo's failing and flaky tests switched on. The parser tests read these
# files, so they always hold what the real tool writes.
#   scripts/regen-runner-fixtures.sh [runner...]   (default: every runner)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/runner-tools.sh >/dev/null
root=$PWD
node_bin="$root/target/node/node_modules/.bin"
fixtures="$root/tests/fixtures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A copy of examples/$1 in a fresh directory, printed.
copy_example() {
    local dir="$work/$1"
    rm -rf "$dir"
    cp -r "examples/$1" "$dir"
    echo "$dir"
}

rspec_fixtures() {
    local dir out="$fixtures/rspec"
    dir=$(copy_example rspec)
    mkdir -p "$out" "$dir/flaky"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=flaky \
        rspec --format json --out "$out/failures.json" >/dev/null) || true
    # An error outside of examples: a spec file that raises while loading.
    echo 'raise "broken on load"' >"$dir/spec/broken_spec.rb"
    (cd "$dir" && rspec --format json --out "$out/errors-outside.json" >/dev/null 2>&1) || true
}

# Jest writes absolute file names: the copy's directory becomes /project.
jest_fixtures() {
    local dir out="$fixtures/jest"
    dir=$(copy_example jest)
    mkdir -p "$out" "$dir/flaky"
    echo 'this is not javascript' >"$dir/src/broken.test.js"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=flaky \
        "$node_bin/jest" --runTestsByPath src/*.test.js __tests__/*.js \
        --json --testLocationInResults --outputFile "$out/failures.json" >/dev/null 2>&1) || true
    sed -i "s|$dir|/project|g" "$out/failures.json"
}

# go test -json lines, with a package whose TestMain exits non-zero beside
# the demo's failures.
gotest_fixtures() {
    local dir out="$fixtures/gotest"
    dir=$(copy_example gotest)
    mkdir -p "$out" "$dir/flaky" "$dir/exits"
    printf '%s\n' 'package exits' 'import ("os"; "testing")' \
        'func TestMain(m *testing.M) { m.Run(); os.Exit(3) }' \
        'func TestOK(t *testing.T) {}' >"$dir/exits/exits_test.go"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=$dir/flaky GOFLAGS=-mod=mod \
        GOCACHE="$root/target/go/cache" gotestsum --jsonfile="$out/failures.jsonl" \
        -- -count=1 ./... >/dev/null 2>&1) || true
}

vitest_fixtures() {
    local dir out="$fixtures/vitest"
    dir=$(copy_example vitest)
    mkdir -p "$out" "$dir/flaky"
    ln -s "$root/target/node/node_modules" "$dir/node_modules"
    echo 'this is not javascript' >"$dir/src/broken.test.js"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=flaky \
        "$node_bin/vitest" run src/*.test.js __tests__/*.js \
        --reporter=json --outputFile "$out/failures.json" >/dev/null 2>&1) || true
    sed -i "s|$dir|/project|g" "$out/failures.json"
}

playwright_fixtures() {
    local dir out="$fixtures/playwright"
    dir=$(copy_example playwright)
    mkdir -p "$out" "$dir/flaky"
    ln -s "$root/target/node/node_modules" "$dir/node_modules"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=flaky \
        PLAYWRIGHT_JSON_OUTPUT_NAME="$out/failures.json" \
        "$node_bin/playwright" test >/dev/null 2>&1) || true
    # A spec file that does not load: an error outside any test.
    echo 'this is not javascript' >"$dir/tests/broken.spec.js"
    (cd "$dir" && PLAYWRIGHT_JSON_OUTPUT_NAME="$out/errors.json" \
        "$node_bin/playwright" test >/dev/null 2>&1) || true
    sed -i "s|$dir|/project|g" "$out/failures.json" "$out/errors.json"
}

cucumber_fixtures() {
    local dir out="$fixtures/cucumber"
    dir=$(copy_example cucumber)
    mkdir -p "$out" "$dir/flaky"
    (cd "$dir" && BKTEC_EXAMPLE_FAIL=1 BKTEC_EXAMPLE_FLAKY_DIR=flaky \
        cucumber --format json --out "$out/failures.json" >/dev/null 2>&1) || true
    sed -i "s|$dir|/project|g" "$out/failures.json"
}

runners=("$@")
((${#runners[@]})) || runners=(rspec jest gotest vitest playwright cucumber)
for runner in "${runners[@]}"; do
    "${runner}_fixtures"
    echo "regenerated tests/fixtures/$runner"
done
