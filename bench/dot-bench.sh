#!/usr/bin/env bash
# DNS over TLS upstreams (`server-tls`) against plain forwarding, on loopback, cache off so every query goes
# upstream: one unbound answers every name under up.bench both on a plain port and on a TLS port
# (`tls-port`, certificate from a throw-away CA); stoep forwards either `server=127.0.0.1#PLAIN` or
# `server-tls = ["127.0.0.1@TLS#dot.bench"]`. dnsperf asks 1,000 names for DURATION seconds per round;
# the table gives the median of ROUNDS rounds: queries per second, lost, and stoep's CPU per query
# (utime+stime from /proc over the round / answered queries), plus the TLS connections stoep opened.
# Usage: bench/dot-bench.sh [--duration S] [--rounds N] [--clients N]   (binary: $STOEP_BINARY or .build/release/stoep)
set -euo pipefail
DUR=5; ROUNDS=3; CLIENTS=4
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
[ -x "$BIN" ] || { echo "missing $BIN: run make build" >&2; exit 1; }
for c in dnsperf unbound openssl dig; do command -v "$c" >/dev/null || { echo "missing $c (make deps)" >&2; exit 1; }; done
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_dns() { for _ in $(seq 50); do dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" "$2" >/dev/null 2>&1 && return 0; sleep 0.1; done
             echo "no DNS answer on port $1" >&2; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# A CA and a certificate for dot.bench / 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 1 \
  -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/srv.key" -out "$W/srv.csr" -subj "/CN=dot.bench" 2>/dev/null
printf 'subjectAltName=DNS:dot.bench,IP:127.0.0.1\n' > "$W/ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -out "$W/srv.pem" -days 1 \
  -extfile "$W/ext" 2>/dev/null

PLAIN=$(free_port); TLS=$(free_port)
cat > "$W/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$PLAIN
  interface: 127.0.0.1@$TLS
  tls-port: $TLS
  tls-service-key: $W/srv.key
  tls-service-pem: $W/srv.pem
  do-daemonize: no
  username: ""
  chroot: ""
  directory: $W
  pidfile: ""
  use-syslog: no
  logfile: $W/unbound.log
  do-ip6: no
  num-threads: 1
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "up.bench." redirect
  local-data: "up.bench. 3600 IN A 10.0.0.2"
CONF
unbound -d -c "$W/unbound.conf" & PIDS+=($!)
wait_dns "$PLAIN" probe.up.bench
for i in $(seq 1 1000); do echo "n$i.up.bench A"; done > "$W/names.txt"

printf '%-10s %-9s %10s %8s %14s   %s\n' upstream backend qps lost "CPU µs/query" note
for backend in io_uring epoll; do
  for mode in plain tls; do
    PORT=$(free_port)
    if [ "$mode" = plain ]; then
      printf 'port=%s\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\ncache-size=0\nserver=127.0.0.1#%s\n' "$PORT" "$PLAIN" > "$W/$mode.conf"
      printf '[dns]\n' > "$W/$mode.toml"
    else
      printf 'port=%s\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\ncache-size=0\n' "$PORT" > "$W/$mode.conf"
      printf '[dns]\nserver-tls = ["127.0.0.1@%s#dot.bench"]\nserver-tls-ca = ["%s"]\n' "$TLS" "$W/ca.pem" > "$W/$mode.toml"
    fi
    (cd "$W" && exec "$BIN" run --backend "$backend" --config "$W/$mode.toml" --dnsmasq-conf "$W/$mode.conf" \
       --stats-socket "$W/$mode.sock" 2>"$W/$mode.log") & pid=$!; PIDS+=($pid)
    wait_dns "$PORT" probe.up.bench
    results=()
    for _ in $(seq "$ROUNDS"); do
      t0=$(cpu_ticks "$pid")
      out=$(dnsperf -s 127.0.0.1 -p "$PORT" -d "$W/names.txt" -l "$DUR" -c "$CLIENTS" -Q 1000000 2>&1 || true)
      t1=$(cpu_ticks "$pid")
      qps=$(awk '/Queries per second/ {print $4}' <<<"$out"); lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
      done_q=$(awk '/Queries completed/ {print $3}' <<<"$out")
      us=$(python3 -c "import os,sys; t=(int(sys.argv[2])-int(sys.argv[1]))/os.sysconf('SC_CLK_TCK'); print(f'{t*1e6/max(1,int(sys.argv[3])):.1f}')" "$t0" "$t1" "${done_q:-0}")
      results+=("${qps:-0} ${lost:-?} $us")
    done
    median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")
    read -r qps lost us <<<"$median"
    conns=$("$BIN" stats --stats-socket "$W/$mode.sock" --json 2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin); print(sum(s["value"] for s in d.get("counters", {}).get("dns_upstream_tls_connections", [])))' || echo "?")
    printf '%-10s %-9s %10.0f %8s %14s   %s\n' "$mode" "$backend" "$qps" "$lost" "$us" \
      "$( [ "$mode" = tls ] && echo "TLS connections opened: $conns" || true)"
    kill "$pid" 2>/dev/null || true
  done
done
