#!/usr/bin/env bash
# Runs veche's whole test suite: installs what is missing (tests/install-deps.sh), then
# every test of the workspace with cargo-nextest, or cargo test where nextest could not be
# had. Exits with the test runner's status.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the tests start for real: PostgreSQL, an SMTP server (aiosmtpd), coturn (the TURN
# test), nats-server (the NATS and multi-node tests), and for tests/tests/browser headless
# Chromium driven by Node.js scripts (their npm packages are installed by the tests
# themselves); libssl-dev is what the Web Push encryption builds against.
bash tests/install-deps.sh postgresql libssl-dev python3-aiosmtpd openssl coturn nats-server chromium nodejs npm

# `cargo test`, not nextest: nextest runs each test in a process of its own, and every
# test process would then start its own PostgreSQL cluster; one per test binary is enough.
# --no-fail-fast: one failing test binary must not hide the results of the others.
runner=(cargo test --workspace --no-fail-fast)
echo "run-all.sh: ${runner[*]}"
exec "${runner[@]}"
