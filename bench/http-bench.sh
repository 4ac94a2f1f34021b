#!/usr/bin/env bash
# The HTTP proxy beside HAProxy, nginx, Caddy and Traefik in one run (../shared/bench/http-peers.sh):
# stoep gets a Traefik file-provider config that routes Host(`bench.local`) to the same nginx backend.
# Usage: bench/http-bench.sh [--backend io_uring|epoll] [extra http-peers.sh options, e.g. --big]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.build/release/stoep
PEERS=${PEERS:-$ROOT/../shared/bench/http-peers.sh}
BACKEND=io_uring
if [ "${1:-}" = "--backend" ]; then BACKEND=$2; shift 2; fi
BACKEND_PORT=${BACKEND_PORT:-19000}
PORT=19010
W=$(mktemp -d)
cat > "$W/traefik.yml" <<C
entryPoints: {web: {address: "127.0.0.1:$PORT"}}
providers: {file: {filename: "$W/dyn.yml"}}
C
cat > "$W/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`bench.local\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
(cd "$W" && exec "$BIN" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$W/s.sock" 2>"$W/stoep.log") &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$W"' EXIT
sleep 1
BACKEND_PORT=$BACKEND_PORT "$PEERS" --target "stoep-$BACKEND=$PORT:$PID" "$@"
echo "stoep RSS after the run: $(awk '/VmRSS/ {print $2}' /proc/$PID/status) KiB"
