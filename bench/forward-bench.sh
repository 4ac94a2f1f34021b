#!/usr/bin/env bash
# Raw TCP forwarding of 100 MB HTTP bodies, in one run: direct to an nginx backend, HAProxy `mode tcp`
# (nbthread 1), and stoep's [[forward]] on each backend (io_uring, epoll). Prints MB/s (wrk -t1 -c4) and
# the proxy's CPU time per GB relayed (utime+stime from /proc over the run).
# Usage: bench/forward-bench.sh [--duration S]
set -euo pipefail
DUR=8
[ "${1:-}" = "--duration" ] && DUR=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.build/release/stoep
. "$ROOT/bench/lib/need.sh"
need wrk wrk; need nginx nginx-light; need haproxy haproxy
. "$ROOT/bench/lib/scratch.sh"
. "$ROOT/bench/lib/nginx-origin.sh"
B=19100
mkdir -p "$W/www"; head -c 100000000 /dev/zero > "$W/www/big.bin"
cat > "$W/haproxy.cfg" <<C
global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen f
  bind 127.0.0.1:$((B+1))
  server s1 127.0.0.1:$B
C
for i in 2 3; do cat > "$W/stoep$i.toml" <<C
[[forward]]
listen = "127.0.0.1:$((B+i))"
upstream = "127.0.0.1:$B"
C
done
nginx_origin "$B" "sendfile on; tcp_nopush on;"
haproxy -f "$W/haproxy.cfg" -q & PIDS+=($!); HAP=$!
(cd "$W" && exec "$BIN" run --backend io_uring --config stoep2.toml --stats-socket "$W/s2.sock" 2>"$W/s2.log") & PIDS+=($!); S2=$!
(cd "$W" && exec "$BIN" run --backend epoll --config stoep3.toml --stats-socket "$W/s3.sock" 2>"$W/s3.log") & PIDS+=($!); S3=$!
sleep 1.5
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
printf '%-16s %10s %10s %14s\n' target MB/s vs_direct cpu_s_per_GB
direct=
for t in "direct=$B:" "haproxy=$((B+1)):$HAP" "stoep-io_uring=$((B+2)):$S2" "stoep-epoll=$((B+3)):$S3"; do
  name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
  [ -n "$pid" ] && c0=$(ticks "$pid")
  out=$(wrk -t1 -c4 -d"${DUR}s" "http://127.0.0.1:$port/big.bin" 2>&1)
  mbps=$(awk '/Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else sub("MB","",v); print v}' <<<"$out")
  gb=$(awk '/read$/ {v=$(NF-1); if (v ~ /GB/) {sub("GB","",v)} else if (v ~ /MB/) {sub("MB","",v); v/=1024} print v}' <<<"$out")
  cpu=-
  if [ -n "$pid" ]; then c1=$(ticks "$pid"); cpu=$(awk -v d=$((c1-c0)) -v hz="$HZ" -v gb="$gb" 'BEGIN {printf "%.3f", d/hz/gb}'); fi
  [ -z "$direct" ] && direct=$mbps
  printf '%-16s %10s %10s %14s\n' "$name" "$mbps" "$(awk -v a="$mbps" -v b="$direct" 'BEGIN {printf "%.2fx", a/b}')" "$cpu"
done
