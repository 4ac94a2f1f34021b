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
. "$(dirname "$0")/lib/binaries-args.sh" "$@"
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
BACKEND_PORT=${BACKEND_PORT:-19280}
CALLS=(io_uring_enter epoll_wait recvfrom sendto read write splice)
EVENTS=$(printf 'syscalls:sys_enter_%s,' "${CALLS[@]}")raw_syscalls:sys_enter,io_uring:io_uring_complete
. "$(dirname "$0")/lib/scratch.sh"
. "$(dirname "$0")/lib/nginx-origin.sh"
. "$(dirname "$0")/lib/stoep-route.sh"
. "$(dirname "$0")/lib/callgrind-stoep.sh"
nginx_origin "$BACKEND_PORT"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port=$((BACKEND_PORT + 1))
printf '%-10s %8s' name requests; for c in "${CALLS[@]}"; do printf ' %9s' "$c"; done; printf ' %9s %9s %9s\n' all CQEs 'CPU µs'
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}"); d="$W/$name"; mkdir -p "$d"
  stoep_route_config "$d" "$port" bench.local "$BACKEND_PORT"
  url="http://127.0.0.1:$port/index.html"
  if [ $CALLGRIND = 1 ]; then
    callgrind_stoep "$d" "$bin" "$BACKEND"; pid=$CG_PID
    read -r reqs ir < <(callgrind_requests "$d" "$url" -H "Host: bench.local")
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
