#!/usr/bin/env bash
# Runs veche on this machine in one step: installs PostgreSQL, nats-server, OpenSSL
# headers and Node.js if missing, builds the web app and the release binary and starts `veche serve` (which starts its
# own PostgreSQL cluster and nats-server under its data directory). Extra arguments go to
# `veche serve`.
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# libssl-dev: the Web Push encryption (web-push → ece → openssl-sys) builds against it.
bash tests/install-deps.sh postgresql nats-server libssl-dev

# The web app first: the release binary embeds api/web/dist.
bash tests/build-web.sh
cargo build --release -p veche-api --bin veche

# cargo puts the binary under CARGO_TARGET_DIR when that is set.
veche="${CARGO_TARGET_DIR:-target}/release/veche"

cat <<BANNER

Starting veche. It prints the URL it listens on once it is up: open it in a browser and
sign in with your email address (the sign-in link is in the outbox at /dev/outbox).
To call the API from a script, mint a bearer token in another terminal:

    $veche token --email ann@example.org --name Ann

Stop it with Ctrl-C.

BANNER

exec "$veche" serve "$@"
