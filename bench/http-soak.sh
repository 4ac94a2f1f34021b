#!/usr/bin/env bash
# Memory creep check (Traefik's most common complaint): stoep's RSS after ~100,000 keep-alive requests,
# then after ~5,000,000, through the proxy to an nginx backend. Goal: within 10%.
# Usage: bench/http-soak.sh [--requests N]   (default 5000000; wrk runs until that many were done)
set -euo pipefail
TOTAL=5000000; [ "${1:-}" = "--requests" ] && TOTAL=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
mkdir -p "$W/www"; head -c 612 /dev/zero | tr '\0' x > "$W/www/index.html"
cat > "$W/b.conf" <<C
daemon off; worker_processes 1; pid $W/b.pid; error_log $W/b.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000000; server { listen 127.0.0.1:19400; root $W/www; } }
C
printf 'entryPoints: {web: {address: "127.0.0.1:19401"}}\nproviders: {file: {filename: "%s/d.yml"}}\n' "$W" > "$W/t.yml"
printf 'http:\n  routers: {r: {rule: "Host(`soak.test`)", service: s}}\n  services: {s: {loadBalancer: {servers: [{url: "http://127.0.0.1:19400"}]}}}\n' > "$W/d.yml"
nginx -c "$W/b.conf" & PIDS+=($!)
(cd "$W" && exec "$BIN" run --traefik-config t.yml --stats-socket "$W/s.sock" 2>/dev/null) & PIDS+=($!); PID=$!
sleep 1
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
reqs() { "$BIN" stats --stats-socket "$W/s.sock" --json show stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(s["value"] for s in d["counters"].get("http_requests", [])))'; }
wrk -t1 -c64 -d2s -H 'Host: soak.test' http://127.0.0.1:19401/index.html >/dev/null
n1=$(reqs); r1=$(rss)
while [ "$(reqs)" -lt "$TOTAL" ]; do wrk -t1 -c64 -d10s -H 'Host: soak.test' http://127.0.0.1:19401/index.html >/dev/null; done
n2=$(reqs); r2=$(rss)
echo "after $n1 requests: RSS $r1 KiB; after $n2 requests: RSS $r2 KiB; growth $(awk -v a="$r1" -v b="$r2" 'BEGIN {printf "%.1f%%", (b-a)*100/a}')"
