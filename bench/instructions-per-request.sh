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
  name=${nb%%=*}; d="$W/$name"; mkdir -p "$d"
  objcopy --strip-debug "$(realpath "${nb#*=}")" "$d/stoep"
  cat > "$d/traefik.yml" <<C
entryPoints: {web: {address: "127.0.0.1:$port"}}
providers: {file: {filename: "$d/dyn.yml"}}
C
  cat > "$d/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`$HOST\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
  # Valgrind's files (its output, callgrind_control's command file) go to a directory of their own: in the
  # configuration's directory, the file provider's watch saw them and reloaded the configuration all along.
  mkdir -p "$d/cg"
  (cd "$d/cg" && exec valgrind -q --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/cg/cg.out" \
      "$d/stoep" run --backend epoll --traefik-config "$d/traefik.yml" --stats-socket "$d/s.sock" 2>"$d/log") &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 1 60); do curl -s -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$port/index.html" && break; sleep 0.5; done
  url="http://127.0.0.1:$port/index.html"
  wrk -t1 -c8 -d3s "${HDRS[@]}" "$url" >/dev/null  # warm-up: connections, pools, buffers
  callgrind_control -i on "$pid" >/dev/null
  wrk -t1 -c8 -d6s "${HDRS[@]}" "$url" > "$d/wrk"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$pid" >/dev/null; sleep 1
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true  # the dump is written; a graceful stop takes seconds
  reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
  out=$(ls -S "$d"/cg/cg.out* | head -1)
  callgrind_annotate --inclusive=yes "$out" > "$d/annotate" 2>/dev/null
  total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$d/annotate")
  printf '%-12s %8d requests  %9.0f instructions per request\n' "$name" "$reqs" "$(awk -v c="$total" -v r="$reqs" 'BEGIN {print c / r}')"
  awk -v r="$reqs" -v top="$TOP" '/file:function/ {on = 1; next} on && $1 ~ /^[0-9,]+$/ && n < top {
      c = $1; gsub(",", "", c); $1 = ""; if ($2 ~ /^\(/) $2 = ""; sub(/^ +/, ""); sub(/ \[[^]]*\]$/, "")
      printf "    %9.0f %s\n", c / r, $0; n++ }' "$d/annotate" | { command -v swift >/dev/null && swift demangle --simplified || cat; } | cut -c1-170
  port=$((port + 1))
done
