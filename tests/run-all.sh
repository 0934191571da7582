#!/usr/bin/env bash
# Runs veche's whole test suite: installs what is missing (tests/install-deps.sh), runs
# every test of the workspace with cargo test, then checks the formatting, clippy's lints
# and unused dependencies. Exits with the tests' status, or 1 if only a check failed.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the tests start for real: PostgreSQL, an SMTP server (aiosmtpd), coturn (the TURN
# test), nats-server (the NATS and multi-node tests), and for tests/tests/browser headless
# Chromium driven by Node.js scripts (their npm packages are installed by the tests
# themselves); libssl-dev is what the Web Push encryption builds against; schemathesis
# (PyPI) drives the HTTP API from its OpenAPI document.
bash tests/install-deps.sh postgresql libssl-dev python3-aiosmtpd openssl coturn iproute2 nats-server chromium nodejs npm schemathesis cargo-machete

# The web app first: veche serves api/web/dist, which the browser tests drive; its own
# component tests (Vitest) run here too.
web=0
echo "run-all.sh: bash tests/build-web.sh test"
bash tests/build-web.sh test || web=$?

# `cargo test`, not nextest: nextest runs each test in a process of its own, and every
# test process would then start its own PostgreSQL cluster; one per test binary is enough.
# --no-fail-fast: one failing test binary must not hide the results of the others.
runner=(cargo test --workspace --no-fail-fast)
echo "run-all.sh: ${runner[*]}"
tests=0
"${runner[@]}" || tests=$?

# The code's formatting (.rustfmt.toml), clippy's lints and unused dependencies, after the
# tests so that they hide none of their results; formatting and lints are skipped where the
# toolchain lacks rustfmt or clippy (rustup's minimal profile).
checks=0
if cargo fmt --version >/dev/null 2>&1; then
  echo "run-all.sh: cargo fmt --all --check"
  cargo fmt --all --check >/dev/null || { checks=1; echo "run-all.sh: not formatted; run cargo fmt (files: $(cargo fmt --all --check -l | tr '\n' ' '))" >&2; }
fi
if cargo clippy --version >/dev/null 2>&1; then
  echo "run-all.sh: cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets --quiet -- -D warnings || { checks=1; echo "run-all.sh: clippy found warnings" >&2; }
fi
echo "run-all.sh: cargo machete"
cargo machete || { checks=1; echo "run-all.sh: unused dependencies (cargo machete)" >&2; }
exit $(( tests != 0 ? tests : web != 0 ? web : checks ))
