#!/usr/bin/env bash
# Local wildcard DNS answers (*.bench.lan -> 10.0.0.1) from dnsmasq, unbound with 1 and 2 threads and stoep
# with 1 and 2 workers, in one run of interleaved rounds: dnsperf over ten names, medians of answers per
# second, queries lost and CPU µs per answer (the server process and its direct children). dnsperf shares
# the two cores: CPU per answer tells the servers apart; qps shows whether a second core helps at all.
# Usage: bench/dns-workers-bench.sh [--rounds N] [--duration S] [--clients N] [--threads N]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
DUR=6; ROUNDS=3; CLIENTS=4; THREADS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    --threads) THREADS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
. "$ROOT/bench/lib/proc-cpu.sh"
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.bench.lan A"; done > "$W/q.txt"
TARGETS=()
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=19400 --listen-address=127.0.0.1 --bind-interfaces \
  --address=/bench.lan/10.0.0.1 --pid-file="$W/dm.pid" --user=root 2>/dev/null & PIDS+=($!)
TARGETS+=("dnsmasq=19400:$!")
for n in 1 2; do
  cat > "$W/unbound$n.conf" <<C
server:
  interface: 127.0.0.1@$((19410 + n))
  num-threads: $n
  so-reuseport: yes
  do-daemonize: no
  username: ""
  chroot: ""
  pidfile: "$W/ub$n.pid"
  use-syslog: no
  verbosity: 0
  logfile: "$W/ub$n.log"
  local-zone: "bench.lan." redirect
  local-data: "bench.lan. 0 IN A 10.0.0.1"
remote-control:
  control-enable: no
C
  unbound -c "$W/unbound$n.conf" 2>/dev/null & PIDS+=($!); TARGETS+=("unbound-t$n=$((19410 + n)):$!")
  port=$((19420 + n))
  printf 'port=%s\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\n' "$port" > "$W/stoep$n.conf"
  "$BIN" run --dnsmasq-conf "$W/stoep$n.conf" --workers $n --stats-socket "$W/s$n.sock" 2>"$W/stoep$n.log" & PIDS+=($!)
  TARGETS+=("stoep-w$n=$port:$!")
done
sleep 2
for t in "${TARGETS[@]}"; do port=${t#*=}; port=${port%%:*}
  dig +short +time=1 +tries=3 -p "$port" @127.0.0.1 www.bench.lan | grep -qx 10.0.0.1 || { echo "no answer from $t" >&2; cat "$W"/stoep*.log >&2; exit 1; }
done
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
    c0=$(ticks "$pid")
    out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$W/q.txt" -l "$DUR" -c "$CLIENTS" -T "$THREADS" -Q 1000000 2>&1 || true)
    c1=$(ticks "$pid")
    qps=$(awk '/Queries per second/ {print $4}' <<<"$out"); lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
    done_q=$(awk '/Queries completed/ {print $3}' <<<"$out")
    echo "$name ${qps:-fail} ${lost:-?} $(us_per "$c0" "$c1" "${done_q:-0}")" >> "$W/rows"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of ${DUR}s, dnsperf -c $CLIENTS -T $THREADS"
medians "$W/rows" qps lost cpu_us_q
