#!/usr/bin/env bash
# Syscalls, context switches and io_uring_enter calls per DNS answer (local wildcard, or cached forwarded),
# counted with perf stat on tracepoints while dnsperf asks: counts that do not depend on the machine's load
# as much as CPU time does (they do depend on how many queries wait per wake-up, so the dnsperf load is
# fixed: --clients sockets, at most --rate queries per second). With --record, also a perf profile of the
# server (perf record -g) and its top symbols, kernel and user.
# Usage: bench/dns-syscalls-per-answer.sh [--mode local|cached] [--backend B] [--clients C] [--rate Q]
#                                         [--record] NAME=BINARY ...
set -euo pipefail
MODE=local; BACKEND=io_uring; CLIENTS=4; RATE=10000000; RECORD=0; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=$2; shift 2;;
    --backend) BACKEND=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    --rate) RATE=$2; shift 2;;
    --record) RECORD=1; shift;;
    *=*) BINS+=("$1"); shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
W=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
UP=19850; PORT=19851
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=$UP --listen-address=127.0.0.1 --bind-interfaces \
  --address=/fwd.lan/10.0.0.2 --local-ttl=600 --user=root --pid-file="$W/up.pid" 2>/dev/null & PIDS+=($!)
zone=bench; [ "$MODE" = cached ] && zone=fwd
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.$zone.lan A"; done > "$W/q.txt"
printf 'port=%d\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\nserver=127.0.0.1#%d\ncache-size=10000\n' \
  $PORT $UP > "$W/s.conf"
EVENTS=raw_syscalls:sys_enter,context-switches,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_epoll_wait
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}")
  "$bin" run --backend "$BACKEND" --dnsmasq-conf "$W/s.conf" --stats-socket "$W/$name.sock" 2>/dev/null &
  pid=$!; PIDS+=($pid); sleep 1
  ask=(dnsperf -s 127.0.0.1 -p $PORT -d "$W/q.txt" -c "$CLIENTS" -Q "$RATE")
  "${ask[@]}" -l 1 >/dev/null 2>&1
  perf stat -x, -e "$EVENTS" -p "$pid" -o "$W/$name.stat" -- "${ask[@]}" -l 4 > "$W/$name.out" 2>&1
  answers=$(awk '/Queries completed/ {print $3}' "$W/$name.out")
  qps=$(awk '/Queries per second/ {print $4}' "$W/$name.out")
  printf '%-14s %-8s %-6s %8s qps  per answer:' "$name" "$BACKEND" "$MODE" "$qps"
  awk -F, -v q="$answers" '$3 != "" && $1 ~ /^[0-9]/ {n = $3; sub(/^(raw_)?syscalls:sys_enter_?/, "", n); if (n == "") n = "syscalls"; printf "  %s %.3f", n, $1 / q} END {print ""}' "$W/$name.stat"
  if [ $RECORD = 1 ]; then
    perf record -q -g -F 2999 -p "$pid" -o "$W/$name.perf" -- "${ask[@]}" -l 4 >/dev/null 2>&1
    perf report -i "$W/$name.perf" --no-children --sort sym --stdio -g none --percent-limit 1.2 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
    perf report -i "$W/$name.perf" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; sleep 0.3
done
