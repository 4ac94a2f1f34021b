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
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
LIBC=$(ldconfig -p | awk '/libc.so.6 .*x86-64/ {print $NF; exit}')
FUNCS=(malloc calloc realloc posix_memalign aligned_alloc)
for f in "${FUNCS[@]}"; do
  perf probe -q -l "probe_libc:$f" 2>/dev/null | grep -q . || perf probe -q -x "$LIBC" --add "$f" >/dev/null 2>&1 || true
done
EVENTS=$(printf 'probe_libc:%s,' "${FUNCS[@]}"); EVENTS=${EVENTS%,}
BACKEND_PORT=${BACKEND_PORT:-19180}
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/www"; head -c 612 /dev/zero | tr '\0' 'x' > "$W/www/index.html"
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
  routers: {bench: {rule: "Host(\`bench.local\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
  (cd "$d" && exec "$bin" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
  pid=$!; PIDS+=($pid); sleep 1
  url="http://127.0.0.1:$port/index.html"
  wrk -t1 -c16 -d1s -H 'Host: bench.local' "$url" >/dev/null  # warm-up: connections, pools, buffers
  perf stat -x, -e "$EVENTS" -p "$pid" -o "$d/stat" -- wrk -t1 -c16 -d3s -H 'Host: bench.local' "$url" > "$d/wrk"
  reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
  per_req=$(awk -F, -v r="$reqs" '/probe_libc/ {c += $1} END {printf "%.2f", c / r}' "$d/stat")
  printf '%-12s %8d requests  %6.2f allocations per request\n' "$name" "$reqs" "$per_req"
  if [ $SITES = 1 ]; then
    perf record -q -m 4096 -e probe_libc:malloc -g -p "$pid" -o "$d/perf.data" -- \
      wrk -t1 -c16 -d2s -H 'Host: bench.local' "$url" > "$d/wrk2" 2>&1
    perf script -i "$d/perf.data" -F ip,sym 2>/dev/null | python3 -c '
import collections, re, sys
runtime = re.compile(r"^(malloc|__GI___libc_malloc|__libc_malloc|swift_|_swift|swift::|\$ss|\$sS[a-zA-Z]|\[unknown\])")
sites, stack = collections.Counter(), []
def flush():
    if stack: sites[next((f for f in stack if not runtime.match(f)), stack[-1])] += 1
for line in sys.stdin:
    line = line.strip()
    if not line:
        flush(); stack = []
    else:
        stack.append(line.split(None, 1)[-1])
flush()
# perf may drop records under load: each site is its share of the recorded calls times the exact count.
per_request, total = float(sys.argv[1]), sum(sites.values()) or 1
for site, count in sites.most_common(25):
    share = per_request * count / total
    if share >= 0.05: print(f"    {share:5.2f}  {site[:150]}")
' "$per_req"
  fi
  kill "$pid"; port=$((port + 1))
done
