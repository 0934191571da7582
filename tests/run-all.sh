#!/usr/bin/env bash
# Runs veche's whole test suite: installs what is missing (tests/install-deps.sh), runs
# every test of the workspace with cargo test, then checks the formatting. Exits with the
# tests' status, or 1 if only the formatting failed.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the tests start for real: PostgreSQL, an SMTP server (aiosmtpd), coturn (the TURN
# test), nats-server (the NATS and multi-node tests), and for tests/tests/browser headless
# Chromium driven by Node.js scripts (their npm packages are installed by the tests
# themselves); libssl-dev is what the Web Push encryption builds against; schemathesis
# (PyPI) drives the HTTP API from its OpenAPI document.
bash tests/install-deps.sh postgresql libssl-dev python3-aiosmtpd openssl coturn nats-server chromium nodejs npm schemathesis

# `cargo test`, not nextest: nextest runs each test in a process of its own, and every
# test process would then start its own PostgreSQL cluster; one per test binary is enough.
# --no-fail-fast: one failing test binary must not hide the results of the others.
runner=(cargo test --workspace --no-fail-fast)
echo "run-all.sh: ${runner[*]}"
tests=0
"${runner[@]}" || tests=$?

# The code's formatting (.rustfmt.toml), after the tests so that it hides none of their
# results; skipped where the toolchain has no rustfmt (rustup's minimal profile).
formatted=0
if cargo fmt --version >/dev/null 2>&1; then
  echo "run-all.sh: cargo fmt --all --check"
  cargo fmt --all --check >/dev/null || { formatted=1; echo "run-all.sh: not formatted; run cargo fmt (files: $(cargo fmt --all --check -l | tr '\n' ' '))" >&2; }
fi
exit $(( tests != 0 ? tests : formatted ))
