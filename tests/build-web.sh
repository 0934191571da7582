#!/usr/bin/env bash
# Builds veche's web app (api/web, React + TypeScript + Vite) into api/web/dist, which the
# veche binary serves (embedded in a release build). Its npm packages are installed from the
# lock file when node_modules is missing or older than it (`npm ci`, no install scripts).
#
#   tests/build-web.sh          # type-check and build
#   tests/build-web.sh test     # the same, then the app's component tests (Vitest)
set -euo pipefail

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/install-deps.sh nodejs npm

web=api/web
if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    npm --prefix "$web" ci --ignore-scripts --no-audit --no-fund
fi
npm --prefix "$web" run build
if [ "${1:-}" = test ]; then
    npm --prefix "$web" test
fi
