#!/usr/bin/env bash
# Heap allocations per small HTTP/1.1 keep-alive request, steady state (issue 18 asks for zero), for one
# or more stoep binaries side by side, and where they come from.
# Each binary proxies Host(`bench.local`) to a local nginx (plain router -> loadBalancer, no middlewares);
# after a warm-up, wrk drives 16 keep-alive connections while uprobes on glibc's malloc family count the
# calls made by the stoep process (the Swift runtime allocates through malloc). With --sites, the malloc
# calls are recorded with their call chains and grouped by the first frame outside the Swift runtime and
# standard library: the code that asked for the allocation.
# Needs perf (Debian: linux-perf), nginx and wrk; root (uprobes). The probes make each malloc cost a trap,
# so throughput under this script means nothing: only the counts do.
# Usage: bench/allocs-per-request.sh [--sites] [--backend io_uring|epoll] NAME=BINARY [NAME=BINARY ...]
set -euo pipefail
SITES=0; BACKEND=io_uring; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sites) SITES=1; shift;;
    --backend) BACKEND=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--sites] [--backend B] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--sites] [--backend B] NAME=BINARY ..." >&2; exit 2; }
source "$(dirname "$0")/lib/malloc-probes.sh"
malloc_probes_setup
BACKEND_PORT=${BACKEND_PORT:-19180}
# The Host of the requests: BENCH_HOST=nextcloud.inethilocal.net measures a name too long for a small String.
HOST=${BENCH_HOST:-bench.local}
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/www"; head -c 612 /dev/zero | tr '\0' 'x' > "$W/www/index.html"
head -c 100000000 /dev/zero > "$W/www/large.bin"
cat > "$W/backend.conf" <<C
daemon off; worker_processes 1; pid $W/backend.pid; error_log $W/backend.err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$BACKEND_PORT; root $W/www; } }
C
nginx -c "$W/backend.conf" & PIDS+=($!)
port=$((BACKEND_PORT + 1))
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}"); d="$W/$name"; mkdir -p "$d"
  cat > "$d/traefik.yml" <<C
entryPoints: {web: {address: "127.0.0.1:$port"}}
providers: {file: {filename: "$d/dyn.yml"}}
C
  cat > "$d/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`$HOST\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
  (cd "$d" && exec "$bin" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
  pid=$!; PIDS+=($pid); sleep 1
  url="http://127.0.0.1:$port/index.html"
  wrk -t1 -c16 -d1s -H "Host: $HOST" "$url" >/dev/null  # warm-up: connections, pools, buffers
  total=$(malloc_count "$pid" "$d/wrk" -- wrk -t1 -c16 -d3s -H "Host: $HOST" "$url")
  reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
  per_req=$(awk -v c="$total" -v r="$reqs" 'BEGIN {printf "%.2f", c / r}')
  printf '%-12s %8d requests  %6.2f allocations per request\n' "$name" "$reqs" "$per_req"
  if [ $SITES = 1 ]; then
    malloc_sites "$pid" "$per_req" "$d/wrk2" -- wrk -t1 -c16 -d2s -H "Host: $HOST" "$url"
  fi
  # A 100 MB body through the proxy (spliced): its allocations are the request's, none per relayed chunk.
  total=$(malloc_count "$pid" "$d/curl" -- curl -s -o /dev/null -w '%{size_download}' -H "Host: $HOST" "http://127.0.0.1:$port/large.bin")
  printf '%-12s %8s bytes     %6d allocations for the whole 100 MB response\n' "$name" "$(cat "$d/curl")" "$total"
  kill "$pid"; port=$((port + 1))
done
