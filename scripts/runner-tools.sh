#!/usr/bin/env bash
# Installs the test runners that bktec's runner tests run for real:
#   target/node            jest, vitest and @playwright/test, pinned by
#                          scripts/node/package-lock.json (no browsers: the
#                          Playwright tests need none)
#   Debian packages        rspec (ruby-rspec), go (golang-go), gotestsum,
#                          cucumber and bats (the custom runner's JUnit
#                          tests), when a tool is missing from PATH
# Re-running is cheap: installed tools are kept. As root (CI) missing Debian
# packages are installed with apt-get; otherwise the exact command is printed
# and the script fails, so no runner test can be skipped for want of a tool.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, by the command each one provides.
declare -A packages=(
    [rspec]=ruby-rspec
    [go]=golang-go
    [gotestsum]=gotestsum
    [cucumber]=cucumber
    [bats]=bats
)
missing=()
for tool in rspec go gotestsum cucumber bats; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${packages[$tool]}")
done
if ((${#missing[@]})); then
    install=(apt-get install -y --no-install-recommends "${missing[@]}")
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${install[@]}"
    else
        echo "error: runner tools missing: ${missing[*]}" >&2
        echo "install them with: sudo ${install[*]}" >&2
        exit 1
    fi
fi

# npm packages, reinstalled only when the lock file changes.
node_dir="target/node"
stamp="$node_dir/.bktec-installed"
want="$(sha256sum scripts/node/package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    command -v npm >/dev/null || {
        echo "error: npm is missing; install Node.js 20 or later (apt-get install -y nodejs npm)" >&2
        exit 1
    }
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp scripts/node/package.json scripts/node/package-lock.json "$node_dir/"
    npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
fi
echo "runner tools ready (npm packages in $node_dir)"
