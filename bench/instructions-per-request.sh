#!/usr/bin/env bash
# Instructions per small HTTP/1.1 keep-alive request (callgrind), for one or more stoep binaries side by
# side, and the functions that cost the most (inclusive, per request) — the session 6 method as a script.
# Each binary proxies Host(`bench.local`) to a local nginx (plain router, no middlewares; --middleware as in
# allocs-per-request.sh is not offered here). The epoll backend: valgrind does not know io_uring. Valgrind
# 3.19 reads no DWARF 5, so each binary is run from an `objcopy --strip-debug` copy (symbols stay).
# Instrumentation is switched on after a warm-up, then wrk -c8 runs for 6 s; the count is the stoep
# process's instructions over that run divided by wrk's requests. Counts do not depend on the load.
# Needs valgrind, nginx and wrk. Usage: bench/instructions-per-request.sh [--top N] NAME=BINARY ...
set -euo pipefail
TOP=25; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --top) TOP=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--top N] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--top N] NAME=BINARY ..." >&2; exit 2; }
BACKEND_PORT=${BACKEND_PORT:-19280}
HOST=${BENCH_HOST:-bench.local}
HDRS=(-H "Host: $HOST"); [ -n "${BENCH_UA:-}" ] && HDRS+=(-H "User-Agent: $BENCH_UA")
. "$(dirname "$0")/lib/scratch.sh"
. "$(dirname "$0")/lib/nginx-origin.sh"
. "$(dirname "$0")/lib/stoep-route.sh"
. "$(dirname "$0")/lib/callgrind-stoep.sh"
nginx_origin "$BACKEND_PORT"
port=$((BACKEND_PORT + 1))
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; d="$W/$name"; mkdir -p "$d"
  stoep_route_config "$d" "$port" "$HOST" "$BACKEND_PORT"
  callgrind_stoep "$d" "${nb#*=}" epoll
  read -r reqs total < <(callgrind_requests "$d" "http://127.0.0.1:$port/index.html" "${HDRS[@]}")
  kill -9 "$CG_PID"; wait "$CG_PID" 2>/dev/null || true  # the dump is written; a graceful stop takes seconds
  out=$(ls -S "$d"/cg/cg.out* | head -1)
  callgrind_annotate --inclusive=yes "$out" > "$d/annotate" 2>/dev/null
  printf '%-12s %8d requests  %9.0f instructions per request\n' "$name" "$reqs" "$(awk -v c="$total" -v r="$reqs" 'BEGIN {print c / r}')"
  awk -v r="$reqs" -v top="$TOP" '/file:function/ {on = 1; next} on && $1 ~ /^[0-9,]+$/ && n < top {
      c = $1; gsub(",", "", c); $1 = ""; if ($2 ~ /^\(/) $2 = ""; sub(/^ +/, ""); sub(/ \[[^]]*\]$/, "")
      printf "    %9.0f %s\n", c / r, $0; n++ }' "$d/annotate" | { command -v swift >/dev/null && swift demangle --simplified || cat; } | cut -c1-170
  port=$((port + 1))
done
