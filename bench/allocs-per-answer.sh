#!/usr/bin/env bash
# Heap allocations per DNS answer, steady state (issue 18 asks for zero), for one or more stoep binaries:
# local answers (address=/bench.lan/) and cached forwarded ones (names a dnsmasq upstream answers, asked
# once before the count so they are in stoep's cache). dnsperf asks over UDP while uprobes on glibc's
# malloc family count the calls stoep makes (bench/lib/malloc-probes.sh); --sites says where they come from.
# Needs perf, dnsperf and dnsmasq; root.
# Usage: bench/allocs-per-answer.sh [--sites] [--backend io_uring|epoll] NAME=BINARY [NAME=BINARY ...]
set -euo pipefail
SITES=0; BACKEND=io_uring; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sites) SITES=1; shift;;
    --backend) BACKEND=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--sites] [--backend B] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--sites] [--backend B] NAME=BINARY ..." >&2; exit 2; }
source "$(dirname "$0")/lib/malloc-probes.sh"
malloc_probes_setup
W=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
UPSTREAM=19653; PORT=19654
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=$UPSTREAM --listen-address=127.0.0.1 --bind-interfaces \
  --address=/fwd.lan/10.0.0.2 --local-ttl=600 --user=root --pid-file="$W/dm.pid" 2>/dev/null & PIDS+=($!)
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.bench.lan A"; done > "$W/local.txt"
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.fwd.lan A"; done > "$W/forward.txt"
printf 'port=%d\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\nserver=127.0.0.1#%d\n' \
  $PORT $UPSTREAM > "$W/s.conf"
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}"); d="$W/$name"; mkdir -p "$d"
  "$bin" run --backend "$BACKEND" --dnsmasq-conf "$W/s.conf" --stats-socket "$d/s.sock" 2>"$d/log" &
  pid=$!; PIDS+=($pid); sleep 1
  for kind in local forward; do
    ask=(dnsperf -s 127.0.0.1 -p $PORT -d "$W/$kind.txt" -c 1 -Q 20000)
    "${ask[@]}" -l 1 >/dev/null 2>&1  # warm-up: the cache, the loop's buffers
    total=$(malloc_count "$pid" "$d/$kind" -- "${ask[@]}" -l 3)
    answers=$(awk '/Queries completed/ {print $3}' "$d/$kind")
    per=$(awk -v c="$total" -v q="$answers" 'BEGIN {printf "%.2f", q ? c / q : 0}')
    printf '%-12s %-8s %8d answers  %6.2f allocations per answer\n' "$name" "$kind" "$answers" "$per"
    if [ $SITES = 1 ]; then malloc_sites "$pid" "$per" "$d/$kind.sites" -- "${ask[@]}" -l 2; fi
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; sleep 0.3
done
