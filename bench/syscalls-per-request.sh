#!/usr/bin/env bash
# Syscalls per small HTTP/1.1 keep-alive request, by call, for one or more stoep binaries side by side; with
# --callgrind also user-space instructions per request. Counts that do not depend on this VM's load.
# Each binary proxies Host(`bench.local`) to a local nginx (plain router -> loadBalancer, no middlewares),
# as bench/allocs-per-request.sh does; after a warm-up, wrk drives 16 keep-alive connections while perf
# counts the stoep process's syscall tracepoints. CPU µs per request (utime + stime over the run) is printed
# beside them, but that one does depend on the load.
# --callgrind: stoep runs under `valgrind --tool=callgrind` (instrumentation switched on after a warm-up,
# then 8 connections for 6 s); instructions per request = Ir / requests. Both backends work under valgrind.
# Needs perf (Debian: linux-perf), nginx and wrk (valgrind for --callgrind); root (tracepoints).
# Usage: bench/syscalls-per-request.sh [--callgrind] [--backend io_uring|epoll] NAME=BINARY [NAME=BINARY ...]
set -euo pipefail
CALLGRIND=0; BACKEND=io_uring; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --callgrind) CALLGRIND=1; shift;;
    --backend) BACKEND=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--callgrind] [--backend B] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--callgrind] [--backend B] NAME=BINARY ..." >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
BACKEND_PORT=${BACKEND_PORT:-19280}
CALLS=(io_uring_enter epoll_wait recvfrom sendto read write splice)
EVENTS=$(printf 'syscalls:sys_enter_%s,' "${CALLS[@]}")raw_syscalls:sys_enter,io_uring:io_uring_complete
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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port=$((BACKEND_PORT + 1))
printf '%-10s %8s' name requests; for c in "${CALLS[@]}"; do printf ' %9s' "$c"; done; printf ' %9s %9s %9s\n' all CQEs 'CPU µs'
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
  url="http://127.0.0.1:$port/index.html"
  if [ $CALLGRIND = 1 ]; then
    objcopy --strip-debug "$bin" "$d/stoep"; bin="$d/stoep"  # valgrind 3.19 reads no DWARF 5
    (cd "$d" && exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/cg.out" \
       "$bin" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
    pid=$!; PIDS+=($pid)
    for _ in $(seq 120); do curl -s -o /dev/null -H "Host: bench.local" "$url" && break; sleep 0.5; done  # valgrind starts slowly
    wrk -t1 -c8 -d3s -H "Host: bench.local" "$url" >/dev/null
    callgrind_control -i on "$pid" >/dev/null
    wrk -t1 -c8 -d6s -H "Host: bench.local" "$url" > "$d/wrk"
    callgrind_control -i off "$pid" >/dev/null; callgrind_control -d "$pid" >/dev/null; sleep 1
    reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
    ir=$(cat "$d"/cg.out* | awk '/^totals:/ {s += $2} END {print s + 0}')  # every dump: only the instrumented run counts
    printf '%-10s %8d requests  %10.0f instructions per request (user space, callgrind)\n' "$name" "$reqs" "$(echo "$ir / $reqs" | bc -l)"
  else
    (cd "$d" && exec "$bin" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
    pid=$!; PIDS+=($pid); sleep 1
    wrk -t1 -c16 -d1s -H "Host: bench.local" "$url" >/dev/null  # warm-up: connections, pools, buffers
    t0=$(cpu_ticks "$pid")
    perf stat -x, -e "$EVENTS" -p "$pid" -o "$d/stat" -- wrk -t1 -c16 -d4s -H "Host: bench.local" "$url" > "$d/wrk"
    t1=$(cpu_ticks "$pid")
    reqs=$(awk '/requests in/ {print $1}' "$d/wrk")
    printf '%-10s %8d' "$name" "$reqs"
    for c in "${CALLS[@]}"; do
      printf ' %9.3f' "$(awk -F, -v e="syscalls:sys_enter_$c" -v r="$reqs" '$3 == e {printf "%.3f", $1 / r}' "$d/stat")"
    done
    for e in raw_syscalls:sys_enter io_uring:io_uring_complete; do
      printf ' %9.3f' "$(awk -F, -v e="$e" -v r="$reqs" '$3 == e {printf "%.3f", $1 / r}' "$d/stat")"
    done
    printf ' %9.2f\n' "$(echo "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / $reqs" | bc -l)"
  fi
  kill "$pid"; port=$((port + 1))
done
