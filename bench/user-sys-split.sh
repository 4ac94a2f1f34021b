#!/usr/bin/env bash
# Where a small keep-alive request's CPU goes, in user space and in the kernel, for HAProxy (nbthread 1)
# and one stoep binary on both reactors, each proxying to the same local nginx: the kernel's share is the
# loopback send/receive every proxy pays, the user share is the proxy's own code. wrk -t1 -c64 drives one
# target at a time, interleaved over the rounds; utime and stime of the proxy (/proc/PID/stat) over each
# run divided by wrk's requests; medians. wrk shares the two cores: compare CPU per request, not req/s.
# Needs nginx, haproxy, wrk. Usage: bench/user-sys-split.sh [--rounds N] [--duration S] [BINARY]
set -euo pipefail
ROUNDS=3; DURATION=5; BINARY=$(dirname "$0")/../.build/release/stoep
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;;
    --duration) DURATION=$2; shift 2;;
    *) BINARY=$1; shift;;
  esac
done
BINARY=$(realpath "$BINARY")
cd "$(dirname "$0")"
source lib/scratch.sh; source lib/proc-cpu.sh; source lib/nginx-origin.sh; source lib/haproxy-http.sh
source lib/stoep-route.sh
BASE=${BASE_PORT:-19380}
nginx_origin "$BASE"
haproxy_http_config 1 "127.0.0.1:$((BASE + 1))" "$BASE" > "$W/haproxy.cfg"
haproxy -f "$W/haproxy.cfg" & PIDS+=($!); HAPROXY=$!
TARGETS=("haproxy $HAPROXY $((BASE + 1))")
for backend in io_uring epoll; do
  d="$W/$backend"; mkdir -p "$d"; port=$((BASE + 2)); [ "$backend" = epoll ] && port=$((BASE + 3))
  stoep_route_config "$d" "$port" bench.local "$BASE"
  "$BINARY" run --backend "$backend" --traefik-config "$d/traefik.yml" --stats-socket "$d/s.sock" 2>"$d/log" &
  PIDS+=($!); TARGETS+=("stoep-$backend $! $port")
done
for t in "${TARGETS[@]}"; do
  set -- $t
  for _ in $(seq 1 50); do curl -s -o /dev/null -H "Host: bench.local" "http://127.0.0.1:$3/index.html" && break; sleep 0.2; done
done
: > "$W/rows"
for _ in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    set -- $t
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$2/stat")
    reqs=$(wrk -t1 -c64 -d"${DURATION}s" -H "Host: bench.local" "http://127.0.0.1:$3/index.html" | awk '/requests in/ {print $1}')
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$2/stat")
    echo "$1 $((reqs / DURATION)) $(us_per "$u0" "$u1" "$reqs") $(us_per "$s0" "$s1" "$reqs")" >> "$W/rows"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of ${DURATION}s"
medians "$W/rows" rps user_us_req sys_us_req
