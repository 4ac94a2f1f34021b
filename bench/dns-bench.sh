#!/usr/bin/env bash
# stoep's DNS on loopback, in one table:
#   1. local wildcard answers (address=/bench.lan/10.0.0.1): stoep (io_uring and epoll) next to dnsmasq and
#      unbound, measured by /work/shared/bench/dns-peers.sh with --target;
#   2. cached forwarded answers: stoep and dnsmasq, both with cache-size=10000, forwarding to a local dnsmasq
#      upstream; dnsperf asks 1,000 names that are all in the cache after a warm-up pass;
#   3. resident memory (VmRSS) of stoep and dnsmasq after 10,000 distinct names filled their caches.
# Usage: bench/dns-bench.sh [--duration S] [--clients N]     (binary: $STOEP_BINARY or .build/release/stoep)
set -euo pipefail
DUR=8; CLIENTS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
PEERS=${PEERS:-$ROOT/../shared/bench/dns-peers.sh}
[ -x "$BIN" ] || { echo "missing $BIN: run make build" >&2; exit 1; }
need() { command -v "$1" >/dev/null || { echo "installing $2"; apt-get install -y -qq "$2" >/dev/null; }; }
need dnsperf dnsperf; need dnsmasq dnsmasq-base; need unbound unbound
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: u.close(); t.close()'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_dns() { for _ in $(seq 50); do dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" "$2" >/dev/null 2>&1 && return 0; sleep 0.1; done
             echo "no DNS answer on port $1" >&2; return 1; }
start_stoep() {  # name backend conf-text -> sets PORT and PID
  local name=$1 backend=$2 conf=$3
  PORT=$(free_port)
  printf 'port=%s\nlisten-address=127.0.0.1\n%s\n' "$PORT" "$conf" > "$W/$name.conf"
  (cd "$W" && exec "$BIN" run --backend "$backend" --dnsmasq-conf "$W/$name.conf" --stats-socket "$W/$name.sock" \
     2>"$W/$name.log") & PID=$!; PIDS+=($PID)
  wait_dns "$PORT" bench.lan
}
start_dnsmasq() {  # name extra-options... -> sets PORT and PID
  local name=$1; shift
  PORT=$(free_port)
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces \
    --user=root --pid-file="$W/$name.pid" "$@" 2>/dev/null & PID=$!; PIDS+=($PID)
  wait_dns "$PORT" probe.up.bench
}
perf() {  # port file duration -> "qps lost"
  local out
  out=$(dnsperf -s 127.0.0.1 -p "$1" -d "$2" -l "$3" -c "$CLIENTS" -Q 1000000 2>&1 || true)
  echo "$(awk '/Queries per second/ {print $4}' <<<"$out") $(awk '/Queries lost/ {print $3}' <<<"$out")"
}
fill() {  # port file: each name once
  dnsperf -s 127.0.0.1 -p "$1" -d "$2" -n 1 -c 1 -Q 20000 >/dev/null 2>&1 || true
}
ROWS=()
row() {  # measurement target qps lost rss [note]
  local q=$3; [[ $q =~ ^[0-9.]+$ ]] && q=$(printf '%.0f' "$q")
  ROWS+=("$(printf '%-26s %-16s %10s %8s %10s   %s' "$1" "$2" "$q" "$4" "$5" "${6:-}")")
}
stat_of() {  # socket series-kind series-name
  "$BIN" stats --stats-socket "$1" --json 2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(sum(s["value"] for s in d.get(sys.argv[1], {}).get(sys.argv[2], [])))' "$2" "$3" 2>/dev/null || echo "?"
}

# 1. Local answers, through the shared peers script.
start_stoep local-uring io_uring $'address=/bench.lan/10.0.0.1\nno-resolv\nno-hosts'; P_URING=$PORT; PID_URING=$PID
start_stoep local-epoll epoll $'address=/bench.lan/10.0.0.1\nno-resolv\nno-hosts'; P_EPOLL=$PORT; PID_EPOLL=$PID
peers=$("$PEERS" --target "stoep-io_uring=$P_URING" --target "stoep-epoll=$P_EPOLL" --duration "$DUR" --clients "$CLIENTS")
while read -r name qps lost; do
  [ "$name" = target ] || [ -z "$name" ] && continue
  rss=-; case "$name" in stoep-io_uring) rss=$(rss_kib "$PID_URING");; stoep-epoll) rss=$(rss_kib "$PID_EPOLL");; esac
  row "local wildcard A" "$name" "$qps" "$lost" "$rss"
done < <(grep -v '^installing' <<<"$peers")
kill "$PID_URING" "$PID_EPOLL" 2>/dev/null || true

# 2. Cached forwarded answers. The upstream answers every name under up.bench with a 1-hour TTL.
start_dnsmasq upstream --address=/up.bench/10.0.0.2 --local-ttl=3600 --cache-size=0; UP=$PORT
for i in $(seq 1 1000); do echo "n$i.up.bench A"; done > "$W/hot.txt"
for i in $(seq 1 10000); do echo "f$i.up.bench A"; done > "$W/fill.txt"
FWD=$'no-resolv\nno-hosts\ncache-size=10000\naddress=/bench.lan/10.0.0.1\nserver=127.0.0.1#'"$UP"
for backend in io_uring epoll; do
  start_stoep "fwd-$backend" "$backend" "$FWD"; p=$PORT; pid=$PID
  fill "$p" "$W/hot.txt"
  read -r qps lost <<<"$(perf "$p" "$W/hot.txt" "$DUR")"
  sock="$W/fwd-$backend.sock"
  row "cached forwarded A" "stoep-$backend" "${qps:-fail}" "${lost:-?}" "$(rss_kib "$pid")" \
      "cache hits $(stat_of "$sock" counters dns_cache_hits), forwarded $(stat_of "$sock" counters dns_forwarded)"
  before=$(rss_kib "$pid")
  fill "$p" "$W/fill.txt"
  row "RSS, 10,000-entry cache" "stoep-$backend" "-" "-" "$(rss_kib "$pid")" \
      "was $before KiB before the fill; cache holds $(stat_of "$sock" gauges dns_cache_size)"
  kill "$pid" 2>/dev/null || true
done
start_dnsmasq front --server=127.0.0.1#"$UP" --cache-size=10000 --address=/bench.lan/10.0.0.1; p=$PORT; pid=$PID
fill "$p" "$W/hot.txt"
read -r qps lost <<<"$(perf "$p" "$W/hot.txt" "$DUR")"
row "cached forwarded A" "dnsmasq" "${qps:-fail}" "${lost:-?}" "$(rss_kib "$pid")"
fill "$p" "$W/fill.txt"
row "RSS, 10,000-entry cache" "dnsmasq" "-" "-" "$(rss_kib "$pid")" "dnsmasq allocates its cache-size at start"

printf '%-26s %-16s %10s %8s %10s   %s\n' measurement target qps lost "RSS KiB" note
printf '%s\n' "${ROWS[@]}"
