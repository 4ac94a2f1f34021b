#!/usr/bin/env bash
# CPU time per local wildcard answer, stoep beside dnsmasq, measured with the same dnsperf load (one
# client). On this 2-core box dnsperf itself saturates near 150k qps, so queries per second alone no
# longer tells the servers apart; CPU per query (utime+stime of the server over the run) does.
# Usage: bench/dns-cpu.sh [--duration S]
set -euo pipefail
DUR=5; [ "${1:-}" = "--duration" ] && DUR=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.bench.lan A"; done > "$W/q.txt"
printf 'port=19553\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\n' > "$W/s.conf"
for b in io_uring epoll; do
  "$BIN" run --backend $b --dnsmasq-conf "$W/s.conf" --stats-socket "$W/$b.sock" 2>/dev/null &
  PIDS+=($!)
  sleep 0.7
  echo "stoep-$b $! 19553" >> "$W/targets"
  # one at a time on the same port: measure now
  pid=$!
  c0=$(awk '{print $14+$15}' /proc/$pid/stat)
  out=$(dnsperf -s 127.0.0.1 -p 19553 -d "$W/q.txt" -l "$DUR" -c 1 -Q 1000000 2>&1)
  c1=$(awk '{print $14+$15}' /proc/$pid/stat)
  q=$(awk '/Queries completed/ {print $3}' <<<"$out"); qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  printf '%-16s qps %10s   cpu per query %6s us\n' "stoep-$b" "$qps" "$(awk -v d=$((c1-c0)) -v q="$q" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d*1e6/hz/q}')"
  kill $pid; wait $pid 2>/dev/null || true; sleep 0.3
done
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=19554 --listen-address=127.0.0.1 --bind-interfaces \
  --address=/bench.lan/10.0.0.1 --user=root --pid-file="$W/dm.pid" 2>/dev/null &
PIDS+=($!); pid=$!
sleep 0.7
c0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(dnsperf -s 127.0.0.1 -p 19554 -d "$W/q.txt" -l "$DUR" -c 1 -Q 1000000 2>&1)
c1=$(awk '{print $14+$15}' /proc/$pid/stat)
q=$(awk '/Queries completed/ {print $3}' <<<"$out"); qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
printf '%-16s qps %10s   cpu per query %6s us\n' dnsmasq "$qps" "$(awk -v d=$((c1-c0)) -v q="$q" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d*1e6/hz/q}')"
