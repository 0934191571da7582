#!/usr/bin/env bash
# Runs veche's whole test suite: installs what is missing (tests/install-deps.sh), then
# every test of the workspace with cargo-nextest, or cargo test where nextest could not be
# had. Exits with the test runner's status.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What today's tests start for real: PostgreSQL and an SMTP server. (NATS, coturn and Chromium join this
# list with the tests of the rooms and notifications.)
bash tests/install-deps.sh postgresql libssl-dev python3-aiosmtpd

# `cargo test`, not nextest: nextest runs each test in a process of its own, and every
# test process would then start its own PostgreSQL cluster; one per test binary is enough.
# --no-fail-fast: one failing test binary must not hide the results of the others.
runner=(cargo test --workspace --no-fail-fast)
echo "run-all.sh: ${runner[*]}"
exec "${runner[@]}"
