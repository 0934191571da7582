#!/usr/bin/env bash
# Runs veche's whole test suite: installs what is missing (tests/install-deps.sh), then
# every test of the workspace with cargo-nextest, or cargo test where nextest could not be
# had. Exits with the test runner's status.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/install-deps.sh

# --no-fail-fast: one failing test binary must not hide the results of the others.
if cargo nextest --version >/dev/null 2>&1; then
    runner=(cargo nextest run --workspace --no-fail-fast)
else
    runner=(cargo test --workspace --no-fail-fast)
fi
echo "run-all.sh: ${runner[*]}"
exec "${runner[@]}"
