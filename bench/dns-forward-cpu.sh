#!/usr/bin/env bash
# CPU time per forwarded answer: stoep forwarding every query to an upstream dnsmasq (cache-size=0, so
# each answer is read from the upstream and shaped: the upstream-answer path) and answering from its cache
# (cache-size=1000: the cached-answer path), measured with the same dnsperf load (one client).
# Usage: bench/dns-forward-cpu.sh [--duration S] [--rounds N]   (STOEP_BINARY overrides the binary)
set -euo pipefail
DUR=5; ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.bench.lan A"; done > "$W/q.txt"
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=19555 --listen-address=127.0.0.1 --bind-interfaces \
  --address=/bench.lan/10.0.0.1 --local-ttl=300 --user=root --pid-file="$W/dm.pid" 2>/dev/null &
PIDS+=($!)
HZ=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
for mode in upstream:0 cached:1000; do
  name=${mode%%:*}; size=${mode#*:}
  for b in io_uring epoll; do
    printf 'port=19556\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\nserver=127.0.0.1#19555\ncache-size=%s\n' "$size" > "$W/s.conf"
    "$BIN" run --backend $b --dnsmasq-conf "$W/s.conf" --stats-socket "$W/$b.sock" 2>/dev/null &
    pid=$!; PIDS+=($pid)
    sleep 0.7
    c0=$(awk '{print $14+$15}' /proc/$pid/stat)
    out=$(dnsperf -s 127.0.0.1 -p 19556 -d "$W/q.txt" -l "$DUR" -c 1 -Q 1000000 2>&1)
    c1=$(awk '{print $14+$15}' /proc/$pid/stat)
    q=$(awk '/Queries completed/ {print $3}' <<<"$out"); qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
    printf '%-8s %-9s qps %10s   cpu per answer %6s us\n' "$name" "$b" "$qps" "$(awk -v d=$((c1-c0)) -v q="$q" -v hz="$HZ" 'BEGIN {printf "%.2f", d*1e6/hz/q}')"
    kill $pid; wait $pid 2>/dev/null || true; sleep 0.3
  done
done
done
