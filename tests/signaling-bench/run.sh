#!/usr/bin/env bash
# The signaling benchmark: veche beside the PeerJS server in one run, with the anchors'
# workload (../shared/bench/signaling; its README specifies it). Per pass, each load runs
# against a freshly started server process whose /proc entries are sampled:
#   peerjs        the `peer` npm package's server (the anchor)
#   veche-peerjs  veche's PeerJS-compatible endpoint (open mode), same load client
#   veche         veche's own protocol (load-veche.js), rooms that are real meetings
#   socketio      the original plan's Socket.io server (the anchor), and
#   veche-socketio  veche's Socket.io endpoint (open mode), same load client
# then prints one table. Needs node and npm (the anchors' `npm ci` runs if needed).
#
#   bash tests/signaling-bench/run.sh
#   RUNS=3 SCALE_NS="5000 19000" bash tests/signaling-bench/run.sh
#   AFTER_CALL_N=0 ...   skips the after-a-call figure (after-call.js), 4000 connections by default
#
# One veche "keeper" process holds the embedded PostgreSQL for all loads, so that every
# fresh veche starts in a second (the keeper's hub stays idle; it is not measured).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
HERE=$(pwd)
REPO=$(cd ../.. && pwd)
BENCH=${SIGNALING_BENCH_DIR:-$(cd "$REPO/../shared/bench/signaling" && pwd)}
RUNS=${RUNS:-1}
ROOMS=${ROOMS:-100} MSGS=${MSGS:-200} WINDOW=${WINDOW:-16}
SCALE_NS=${SCALE_NS-"5000 19000"}
PORT=${PORT:-39012}
KEEPER_PORT=${KEEPER_PORT:-39011}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
OUT=${OUT:-$TARGET_DIR/signaling-bench/$(date +%Y%m%d-%H%M%S)}

(cd "$REPO" && cargo build --release -p veche-api)
VECHE=$TARGET_DIR/release/veche

# Connections are file descriptors: take what the hard limit allows (this machine: 20,000,
# which caps the idle scale below 20,000 per process, the load client's included), and
# every ephemeral port for the load client's connections.
ulimit -n "$(ulimit -Hn)"
echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true

DATA=$(mktemp -d /tmp/veche-signaling-bench.XXXXXX)
chmod 755 "$DATA"
export VECHE_DATA_DIR=$DATA VECHE_JWT_SECRET=signaling-bench-secret-0123456789 VECHE_LOG=warn
# The loads schedule hundreds of meetings as one person: the per-person limits on changes and
# the emails they cause are not what this measures.
export VECHE_RATE_COMMANDS_PER_SECOND=0 VECHE_RATE_EMAILS_PER_HOUR=0
KEEPER=""
cleanup() { [ -n "$KEEPER" ] && kill "$KEEPER" 2>/dev/null && wait "$KEEPER" 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
VECHE_LISTEN=127.0.0.1:$KEEPER_PORT "$VECHE" serve >"$DATA/keeper.log" 2>&1 &
KEEPER=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$KEEPER_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$KEEPER_PORT/readyz" >/dev/null || { cat "$DATA/keeper.log"; exit 1; }
TOKEN_A=$("$VECHE" token --email a@bench.invalid --name A --ttl-hours 4)
TOKEN_B=$("$VECHE" token --email b@bench.invalid --name B --ttl-hours 4)

# veche serving on $PORT as one exec'd process (its PID is the one sampled).
VECHE_SERVER="env VECHE_LISTEN=127.0.0.1:\$PORT VECHE_PEERJS=open VECHE_PEERJS_PATH=/ $VECHE serve"
VECHE_SOCKETIO_SERVER="env VECHE_LISTEN=127.0.0.1:\$PORT VECHE_SOCKETIO=open $VECHE serve"

run_veche_load() { # $1 result file, then load-veche.js arguments
  local out=$1; shift
  VECHE_LISTEN=127.0.0.1:$PORT "$VECHE" serve >"${out%.json}.server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  timeout -k 5 170 node "$HERE/load-veche.js" --port "$PORT" --server-pid "$pid" --label veche --out "$out" \
    --token-a "$TOKEN_A" --token-b "$TOKEN_B" --email-b b@bench.invalid --deadline-s 160 "$@" \
    >/dev/null 2>"${out%.json}.client.err" || true
  [ -s "$out" ] || echo '{"label":"veche","mode":"?","ok":false,"errors":{"no_result":1}}' >"$out"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

for run in $(seq 1 "$RUNS"); do
  echo "== pass $run: PeerJS server" >&2
  (cd "$BENCH" && OUT="$OUT/peerjs" SERVERS=peerjs PEER_PORT=$PORT PEER_ARGS="--concurrent_limit 60000" \
     ROOMS=$ROOMS MSGS=$MSGS WINDOW=$WINDOW SCALE_NS="$SCALE_NS" bash run.sh >/dev/null)
  mv "$OUT/peerjs/run-1" "$OUT/peerjs/run-$run.tmp" 2>/dev/null || true
  echo "== pass $run: veche, PeerJS-compatible endpoint" >&2
  (cd "$BENCH" && OUT="$OUT/veche-peerjs" SERVERS=peerjs PEER_PORT=$PORT PEER_SERVER_CMD="$VECHE_SERVER" \
     PEER_LABEL=veche-peerjs ROOMS=$ROOMS MSGS=$MSGS WINDOW=$WINDOW SCALE_NS="$SCALE_NS" bash run.sh >/dev/null)
  mv "$OUT/veche-peerjs/run-1" "$OUT/veche-peerjs/run-$run.tmp" 2>/dev/null || true
  echo "== pass $run: the plan's Socket.io server" >&2
  (cd "$BENCH" && OUT="$OUT/socketio" SERVERS=socketio SIO_PORT=$PORT PROBE=1 \
     ROOMS=$ROOMS MSGS=$MSGS WINDOW=$WINDOW SCALE_NS="$SCALE_NS" bash run.sh >/dev/null)
  mv "$OUT/socketio/run-1" "$OUT/socketio/run-$run.tmp" 2>/dev/null || true
  echo "== pass $run: veche, Socket.io endpoint" >&2
  (cd "$BENCH" && OUT="$OUT/veche-socketio" SERVERS=socketio SIO_PORT=$PORT SIO_SERVER_CMD="$VECHE_SOCKETIO_SERVER" \
     SIO_LABEL=veche-socketio ROOMS=$ROOMS MSGS=$MSGS WINDOW=$WINDOW SCALE_NS="$SCALE_NS" bash run.sh >/dev/null)
  mv "$OUT/veche-socketio/run-1" "$OUT/veche-socketio/run-$run.tmp" 2>/dev/null || true
  echo "== pass $run: veche, its own protocol" >&2
  dir="$OUT/veche/run-$run"; mkdir -p "$dir"
  run_veche_load "$dir/veche-relay.json" --mode relay --rooms "$ROOMS" --msgs "$MSGS" --window "$WINDOW"
  run_veche_load "$dir/veche-probe.json" --mode relay --rooms 1 --msgs 2000 --window 1
  for n in $SCALE_NS; do
    run_veche_load "$dir/veche-idle-$n.json" --mode idle --conns "$n" --hold-s 5
  done
done
# run.sh numbers its own passes from 1; give them this script's pass numbers.
for d in "$OUT/peerjs" "$OUT/veche-peerjs" "$OUT/socketio" "$OUT/veche-socketio"; do
  for t in "$d"/run-*.tmp; do [ -e "$t" ] && mv "$t" "${t%.tmp}"; done
done
node "$BENCH/report.js" "$OUT/peerjs" "$OUT/veche-peerjs" "$OUT/veche" "$OUT/socketio" "$OUT/veche-socketio" | tee "$OUT/table.md"

# After a call's signaling (after-call.js): what idle connections hold once each pair has
# exchanged an offer and candidates, on a fresh server each: the PeerJS server, then veche's
# PeerJS endpoint.
after_call() { # $1 label, then the server command
  local label=$1; shift
  "$@" >"$OUT/after-call-$label.server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  echo "after a call's signaling, $label: $(node "$HERE/after-call.js" "$PORT" "$pid" "${AFTER_CALL_N:-4000}" || echo failed)" \
    | tee -a "$OUT/table.md"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}
if [ "${AFTER_CALL_N:-4000}" != 0 ]; then
  after_call peerjs env PORT="$PORT" bash "$BENCH/peerjs-server.sh" --concurrent_limit 60000
  after_call veche-peerjs env VECHE_LISTEN="127.0.0.1:$PORT" VECHE_PEERJS=open VECHE_PEERJS_PATH=/ "$VECHE" serve
fi
echo "results: $OUT" >&2
