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
# --middleware puts one of iNethi's middlewares (shared/fixtures/inethi) on the router: `headers` (keycloak's
# customRequestHeaders X-Forwarded-Proto), `cors` (radio's accessControlAllowOriginList=*, the request with
# an Origin), `redirect` (redirectScheme to https: every request answered by stoep, no exchange).
# BENCH_UA="Mozilla/5.0 …" adds a browser's User-Agent to every request. --syscalls also counts the system
# calls per request (perf stat on raw_syscalls, then strace -c for which ones; both over a wrk run).
# Usage: bench/allocs-per-request.sh [--sites] [--syscalls] [--backend io_uring|epoll] [--middleware M] NAME=BINARY ...
set -euo pipefail
SITES=0; SYSCALLS=0; BACKEND=io_uring; MIDDLEWARE=; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sites) SITES=1; shift;;
    --syscalls) SYSCALLS=1; shift;;
    --backend) BACKEND=$2; shift 2;;
    --middleware) MIDDLEWARE=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--sites] [--syscalls] [--backend B] [--middleware M] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--sites] [--syscalls] [--backend B] [--middleware M] NAME=BINARY ..." >&2; exit 2; }
MW_LINE=; ROUTER_MW=; HDRS=(-H "Host: ${BENCH_HOST:-bench.local}")
[ -n "${BENCH_UA:-}" ] && HDRS+=(-H "User-Agent: $BENCH_UA")
case "$MIDDLEWARE" in
  "") ;;
  headers) MW_LINE='  middlewares: {m: {headers: {customRequestHeaders: {X-Forwarded-Proto: https}}}}'; ROUTER_MW=', middlewares: [m]';;
  cors) MW_LINE='  middlewares: {m: {headers: {accessControlAllowOriginList: ["*"]}}}'; ROUTER_MW=', middlewares: [m]'
        HDRS+=(-H "Origin: http://radio.inethilocal.net");;
  redirect) MW_LINE='  middlewares: {m: {redirectScheme: {scheme: https, permanent: true}}}'; ROUTER_MW=', middlewares: [m]';;
  *) echo "--middleware: headers, cors or redirect" >&2; exit 2;;
esac
source "$(dirname "$0")/lib/malloc-probes.sh"
malloc_probes_setup
BACKEND_PORT=${BACKEND_PORT:-19180}
# The Host of the requests: BENCH_HOST=nextcloud.inethilocal.net measures a name too long for a small String.
HOST=${BENCH_HOST:-bench.local}
. "$(dirname "$0")/lib/scratch.sh"
. "$(dirname "$0")/lib/nginx-origin.sh"
. "$(dirname "$0")/lib/stoep-route.sh"
nginx_origin "$BACKEND_PORT"
head -c 100000000 /dev/zero > "$W/www/large.bin"
port=$((BACKEND_PORT + 1))
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}"); d="$W/$name"; mkdir -p "$d"
  stoep_route_config "$d" "$port" "$HOST" "$BACKEND_PORT" "$ROUTER_MW" "$MW_LINE"
  (cd "$d" && exec "$bin" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
  pid=$!; PIDS+=($pid); sleep 1
  url="http://127.0.0.1:$port/index.html"
  wrk -t1 -c16 -d1s "${HDRS[@]}" "$url" >/dev/null  # warm-up: connections, pools, buffers
  total=$(malloc_count "$pid" "$d/wrk" -- wrk -t1 -c16 -d3s "${HDRS[@]}" "$url")
  reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
  per_req=$(awk -v c="$total" -v r="$reqs" 'BEGIN {printf "%.2f", c / r}')
  printf '%-12s %8d requests  %6.2f allocations per request\n' "$name" "$reqs" "$per_req"
  if [ $SYSCALLS = 1 ]; then
    perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$d/sys.stat" -- wrk -t1 -c16 -d3s "${HDRS[@]}" "$url" > "$d/wrk3"
    sys=$(awk -F, '/raw_syscalls/ {print $1}' "$d/sys.stat"); reqs=$(awk '/requests in/ {print $1}' "$d/wrk3")
    printf '%-12s %8d requests  %6.2f system calls per request\n' "$name" "$reqs" "$(awk -v c="$sys" -v r="$reqs" 'BEGIN {print c / r}')"
    strace -c -f -q -p "$pid" -o "$d/strace" & spid=$!; sleep 0.5
    wrk -t1 -c16 -d2s "${HDRS[@]}" "$url" > "$d/wrk4"; kill -INT $spid; wait $spid 2>/dev/null || true
    reqs=$(awk '/requests in/ {print $1}' "$d/wrk4")
    awk -v r="$reqs" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {printf "    %6.2f  %s\n", $4 / r, $NF}' "$d/strace" | sort -rn | head -8
  fi
  if [ $SITES = 1 ]; then
    malloc_sites "$pid" "$per_req" "$d/wrk2" -- wrk -t1 -c16 -d2s "${HDRS[@]}" "$url"
  fi
  # A 100 MB body through the proxy (spliced): its allocations are the request's, none per relayed chunk.
  total=$(malloc_count "$pid" "$d/curl" -- curl -s -o /dev/null -w '%{size_download}' -H "Host: $HOST" "http://127.0.0.1:$port/large.bin")
  printf '%-12s %8s bytes     %6d allocations for the whole 100 MB response\n' "$name" "$(cat "$d/curl")" "$total"
  kill "$pid"; port=$((port + 1))
done
