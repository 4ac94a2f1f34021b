#!/usr/bin/env bash
# Two stoep binaries in the same run, beside HAProxy and dnsmasq (../shared/bench): the figures a change
# must not make worse. Small keep-alive req/s and CPU µs per request, 100 MB MB/s (http-peers.sh --big),
# DNS qps and CPU µs per answer (dns-peers.sh), idle RSS of the embedded default.
# Usage: bench/before-after.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--duration S] [--backend io_uring|epoll]
# Keep a copy of the old binary first, e.g.: cp .build/release/stoep /tmp/stoep-before
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench}
BEFORE=$(realpath "$1"); AFTER=$(realpath "$2"); shift 2
ROUNDS=3; DUR=8; BACKEND=io_uring
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;;
    --duration) DUR=$2; shift 2;;
    --backend) BACKEND=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
BACKEND_PORT=${BACKEND_PORT:-19000}
W=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT

# One instance of each binary: HTTP on 19010/19011 (Host(`bench.local`) -> the peers' nginx backend),
# DNS on 19553/19554 (*.bench.lan -> 10.0.0.1, as dns-peers.sh asks).
start() {  # name binary http_port dns_port
  local d="$W/$1"; mkdir -p "$d"
  cat > "$d/traefik.yml" <<C
entryPoints: {web: {address: "127.0.0.1:$3"}}
providers: {file: {filename: "$d/dyn.yml"}}
C
  cat > "$d/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`bench.local\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
  printf 'port=%s\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\n' "$4" > "$d/dnsmasq.conf"
  (cd "$d" && exec "$2" run --backend "$BACKEND" --traefik-config traefik.yml --dnsmasq-conf dnsmasq.conf \
     --stats-socket "$d/s.sock" 2>"$d/log") &
  PIDS+=($!); eval "PID_$1=$!"
}
start before "$BEFORE" 19010 19553
start after "$AFTER" 19011 19554
sleep 1
echo "== HTTP (small keep-alive and 100 MB), $ROUNDS interleaved rounds, medians"
BACKEND_PORT=$BACKEND_PORT "$PEERS/http-peers.sh" --target "before=19010:$PID_before" --target "after=19011:$PID_after" \
  --duration "$DUR" --big --rounds "$ROUNDS"
echo "== DNS (local wildcard), $ROUNDS interleaved rounds, medians"
"$PEERS/dns-peers.sh" --target "before=19553:$PID_before" --target "after=19554:$PID_after" \
  --duration "$DUR" --rounds "$ROUNDS"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; PIDS=(); sleep 0.5

echo "== idle RSS, embedded default, after one DNS query and one page (KiB)"
for name in before after; do
  bin=$BEFORE; [ $name = after ] && bin=$AFTER
  d="$W/idle-$name"; mkdir -p "$d"
  (cd "$d" && exec "$bin" run --backend "$BACKEND" --stats-socket "$d/s.sock" 2>"$d/log") &
  pid=$!; PIDS+=($pid); sleep 1
  dig +short -p 5353 @127.0.0.1 www.stoep.lan >/dev/null || true
  curl -s -o /dev/null http://127.0.0.1:8080/ || true
  sleep 1
  echo "$name $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true; sleep 0.5
done
