#!/usr/bin/env bash
# TLS termination beside HAProxy (1 thread), in one run, with the same ECDSA P-256 certificate:
#  - full handshakes per second: 3 parallel `openssl s_time -new` clients (no resumption), and the
#    server's CPU time per handshake (the fair figure on a 2-core box, where the clients share the CPU);
#  - keep-alive requests per second over TLS: wrk -t1 -c64 on a 612-byte file, and CPU per request;
#  - idle RSS of stoep with a TLS entry point and 20 certificates loaded (goal <= 12 MB).
# Both proxies forward to one nginx backend. Usage: bench/tls-bench.sh [--duration S] [--backend io_uring|epoll] [--rounds N]
# --rounds N measures both targets N times, interleaved (haproxy stoep haproxy stoep …), prints every round's row
# and then each figure's median: on this noisy machine use 3 and compare only rows of one run.
# STOEP_BIN=path measures another stoep binary (a kept copy of the one before a change).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BIN:-$ROOT/.build/release/stoep}
DUR=8; BACKEND=io_uring; ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --backend) BACKEND=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
. "$ROOT/bench/lib/need.sh"
need wrk wrk; need nginx nginx-light; need haproxy haproxy; need openssl openssl
. "$ROOT/bench/lib/scratch.sh"
. "$ROOT/bench/lib/nginx-origin.sh"
. "$ROOT/bench/lib/ec-cert.sh"
. "$ROOT/bench/lib/haproxy-http.sh"
BACKEND_PORT=19200; HAPROXY_PORT=19201; STOEP_PORT=19202
mkdir -p "$W/certs"
cert() { ec_cert "$1" "$W/certs/$1.key" "$W/certs/$1.crt"; }
cert bench.local
for i in $(seq 1 19); do cert "site$i.local"; done
cat "$W/certs/bench.local.crt" "$W/certs/bench.local.key" > "$W/certs/haproxy.pem"
haproxy_http_config 1 "127.0.0.1:$HAPROXY_PORT ssl crt $W/certs/haproxy.pem alpn http/1.1" "$BACKEND_PORT" > "$W/haproxy.cfg"
{
  echo "entryPoints: {websecure: {address: \"127.0.0.1:$STOEP_PORT\", http: {tls: {}}}}"
  echo "providers: {file: {filename: \"$W/dyn.yml\"}}"
} > "$W/traefik.yml"
{
  echo "http:"
  echo "  routers: {bench: {rule: \"PathPrefix(\`/\`)\", service: b}}"
  echo "  services: {b: {loadBalancer: {servers: [{url: \"http://127.0.0.1:$BACKEND_PORT\"}]}}}"
  echo "tls:"
  echo "  stores: {default: {defaultCertificate: {certFile: \"$W/certs/bench.local.crt\", keyFile: \"$W/certs/bench.local.key\"}}}"
  echo "  certificates:"
  for i in $(seq 1 19); do echo "    - {certFile: \"$W/certs/site$i.local.crt\", keyFile: \"$W/certs/site$i.local.key\"}"; done
} > "$W/dyn.yml"
nginx_origin "$BACKEND_PORT" "sendfile on; tcp_nopush on;"
haproxy -f "$W/haproxy.cfg" -q & PIDS+=($!); HAPROXY_PID=$!
(cd "$W" && exec "$BIN" run --backend "$BACKEND" --traefik-config traefik.yml --stats-socket "$W/s.sock" 2>"$W/stoep.log") &
STOEP_PID=$!; PIDS+=($STOEP_PID)
sleep 2
printf 'stoep idle RSS with a TLS entry point and 20 certificates: %s KiB\n' "$(awk '/VmRSS/ {print $2}' /proc/$STOEP_PID/status)"
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
printf '%-8s %14s %14s %12s %12s\n' target handshakes_s cpu_us_hs tls_rps cpu_us_req
for round in $(seq 1 "$ROUNDS"); do
for t in "haproxy=$HAPROXY_PORT:$HAPROXY_PID" "stoep-$BACKEND=$STOEP_PORT:$STOEP_PID"; do
  name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
  c0=$(ticks "$pid")
  for i in 1 2 3; do openssl s_time -connect "127.0.0.1:$port" -new -time "$DUR" > "$W/st$i.out" 2>&1 & done; wait_pids=$(jobs -p | tail -3)
  for p in $wait_pids; do wait "$p" 2>/dev/null || true; done
  c1=$(ticks "$pid")
  n=$(cat "$W"/st?.out | awk '/connections in [0-9.]+ real/ {s+=$1} END {print s+0}')
  hs=$(awk -v n="$n" -v d="$DUR" 'BEGIN {printf "%.0f", n / d}')
  cpu_hs=$(awk -v d=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN {if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-"}')
  c0=$(ticks "$pid")
  out=$(wrk -t1 -c64 -d"${DUR}s" -H 'Host: bench.local' "https://127.0.0.1:$port/index.html" 2>&1 || true)
  c1=$(ticks "$pid")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  grep -q 'Non-2xx' <<<"$out" && rps="non-2xx!"
  cpu_req=$(awk -v d=$((c1 - c0)) -v r="${reqs:-0}" -v hz="$HZ" 'BEGIN {if (r > 0) printf "%.1f", d * 1e6 / hz / r; else print "-"}')
  printf '%-8s %14s %14s %12s %12s\n' "$name" "$hs" "$cpu_hs" "${rps:-fail}" "$cpu_req" | tee -a "$W/rows"
done
done
if [ "$ROUNDS" -gt 1 ]; then
  echo "medians of $ROUNDS interleaved rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg)):"
  python3 - "$W/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *vals = line.split(); rows.setdefault(name, []).append(vals)
def med(col):
    nums = [float(v) for v in col if v.replace('.', '', 1).isdigit()]
    if not nums: return col[0]
    m = statistics.median(nums)
    return f"{m:.1f}" if m < 1000 else f"{m:.0f}"
for name, vals in rows.items():
    print(f"{name:<8} " + " ".join(f"{med(c):>14}" if i < 2 else f"{med(c):>12}" for i, c in enumerate(zip(*vals))))
PY
fi
printf 'stoep RSS after the run: %s KiB\n' "$(awk '/VmRSS/ {print $2}' /proc/$STOEP_PID/status)"
"$BIN" stats --stats-socket "$W/s.sock" --json show info | python3 -c 'import json,sys; t=json.load(sys.stdin)["tls"]; print("stoep tls:", {k: t[k] for k in ("handshakes", "resumed", "versions", "failures")})'
