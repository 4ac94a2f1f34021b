#!/usr/bin/env bash
# CPU per DNS answer, stoep binaries beside dnsmasq 2.90 and unbound (one thread), in one run: local
# wildcard answers (address=/bench.lan/ — unbound: a redirect local-zone) and cached forwarded answers
# (names a dnsmasq upstream answers with a 600 s TTL; each server under test forwards to it with a cache
# and is warmed up first, so the measured answers come from its cache). Rounds interleave every target;
# medians are printed. CPU = utime+stime of the server over the run / answers dnsperf got.
# With several dnsperf clients (sockets; one dnsperf thread) a server gets more queries per wake-up: say
# whether the client was the limit by its own CPU (dnsperf's column, % of one core).
# Usage: bench/dns-cpu-peers.sh [--duration S] [--rounds N] [--clients C] [--threads T] [--backends "io_uring epoll"]
#                               [--modes "local cached"] NAME=BINARY ...
set -euo pipefail
DUR=5; ROUNDS=3; CLIENTS=4; THREADS=1; BACKENDS="io_uring epoll"; MODES="local cached"; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    --threads) THREADS=$2; shift 2;;
    --backends) BACKENDS=$2; shift 2;;
    --modes) MODES=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.bench.lan A"; done > "$W/local.txt"
for n in www cloud music radio grafana keycloak wiki moodle tv bench; do echo "$n.fwd.lan A"; done > "$W/cached.txt"
UP=19750
dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=$UP --listen-address=127.0.0.1 --bind-interfaces \
  --address=/fwd.lan/10.0.0.2 --local-ttl=600 --user=root --pid-file="$W/up.pid" 2>/dev/null & PIDS+=($!)
port=19751
TARGETS=()  # name:port:pid
start_dnsmasq() {
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=$port --listen-address=127.0.0.1 --bind-interfaces \
    --address=/bench.lan/10.0.0.1 --server=127.0.0.1#$UP --cache-size=10000 --user=root --pid-file="$W/dm.pid" 2>/dev/null &
  PIDS+=($!); TARGETS+=("dnsmasq:$port:$!"); port=$((port + 1))
}
start_unbound() {
  cat > "$W/unbound.conf" <<C
server:
  interface: 127.0.0.1@$port
  num-threads: 1
  do-daemonize: no
  username: ""
  chroot: ""
  pidfile: "$W/ub.pid"
  use-syslog: no
  verbosity: 0
  logfile: "$W/ub.log"
  do-not-query-localhost: no
  msg-cache-size: 4m
  rrset-cache-size: 4m
  local-zone: "bench.lan." redirect
  local-data: "bench.lan. 0 IN A 10.0.0.1"
forward-zone:
  name: "fwd.lan."
  forward-addr: 127.0.0.1@$UP
remote-control:
  control-enable: no
C
  unbound -c "$W/unbound.conf" 2>/dev/null & PIDS+=($!); TARGETS+=("unbound:$port:$!"); port=$((port + 1))
}
start_dnsmasq
start_unbound
for nb in "${BINS[@]}"; do
  name=${nb%%=*}; bin=$(realpath "${nb#*=}")
  for b in $BACKENDS; do
    printf 'port=%d\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/bench.lan/10.0.0.1\nserver=127.0.0.1#%d\ncache-size=10000\n' \
      $port $UP > "$W/$name-$b.conf"
    "$bin" run --backend "$b" --dnsmasq-conf "$W/$name-$b.conf" --stats-socket "$W/$name-$b.sock" 2>/dev/null &
    PIDS+=($!); TARGETS+=("$name-$b:$port:$!"); port=$((port + 1))
  done
done
sleep 1
for t in "${TARGETS[@]}"; do  # warm-up: caches filled, pages touched
  p=${t#*:}; p=${p%%:*}
  for m in $MODES; do dnsperf -s 127.0.0.1 -p "$p" -d "$W/$m.txt" -l 1 -c "$CLIENTS" -Q 20000 >/dev/null 2>&1 || true; done
done
for round in $(seq 1 "$ROUNDS"); do
  for m in $MODES; do
    for t in "${TARGETS[@]}"; do
      name=${t%%:*}; rest=${t#*:}; p=${rest%%:*}; pid=${rest#*:}
      c0=$(ticks "$pid")
      out=$( { /usr/bin/time -f 'client %U %S' dnsperf -s 127.0.0.1 -p "$p" -d "$W/$m.txt" -l "$DUR" -c "$CLIENTS" -T "$THREADS" -Q 10000000; } 2>&1 || true)
      c1=$(ticks "$pid")
      q=$(awk '/Queries completed/ {print $3}' <<<"$out"); qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
      client=$(awk -v d="$DUR" '/^client/ {printf "%.0f", ($2 + $3) * 100 / d}' <<<"$out")
      cpu=$(awk -v d=$((c1 - c0)) -v q="${q:-0}" -v hz="$HZ" 'BEGIN {printf "%.3f", q ? d * 1e6 / hz / q : 0}')
      echo "$m $name ${qps:-0} $cpu ${client:-0}" >> "$W/rows"
    done
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of ${DUR}s, dnsperf -c $CLIENTS -T $THREADS; medians"
python3 - "$W/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, name, *vals = line.split(); rows.setdefault((m, name), []).append([float(v) for v in vals])
print(f"{'mode':<7} {'target':<18} {'qps':>9} {'cpu_us_answer':>14} {'dnsperf_cpu_%':>14}  rounds (us/answer)")
for (m, name), vals in rows.items():
    q, c, cl = zip(*vals)
    print(f"{m:<7} {name:<18} {statistics.median(q):>9.0f} {statistics.median(c):>14.3f} {statistics.median(cl):>14.0f}  "
          + " ".join(f"{x:.2f}" for x in c))
PY
