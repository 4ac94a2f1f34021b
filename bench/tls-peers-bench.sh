#!/usr/bin/env bash
# TLS keep-alive (wrk -t1 -c64, a 612-byte file, the same ECDSA P-256 certificate everywhere) through
# HAProxy, nginx, Traefik and stoep, first on one core (HAProxy nbthread 1, nginx 1 worker,
# GOMAXPROCS=1, stoep --workers 1), then on two (nbthread 2, 2 workers, GOMAXPROCS=2, --workers 2), in one
# run of interleaved rounds; prints medians of req/s and CPU µs per request (the process and its direct
# children). wrk shares the two cores: compare CPU per request, not only req/s.
# Usage: bench/tls-peers-bench.sh [--rounds N] [--duration S]      (binary: $STOEP_BINARY or .build/release/stoep)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STOEP_BINARY:-$ROOT/.build/release/stoep}
TRAEFIK=${TRAEFIK:-$ROOT/.build/pyenv/bin/traefik}
DUR=6; ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --rounds) ROUNDS=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
. "$ROOT/bench/lib/proc-cpu.sh"
. "$ROOT/bench/lib/scratch.sh"
. "$ROOT/bench/lib/nginx-origin.sh"
. "$ROOT/bench/lib/ec-cert.sh"
. "$ROOT/bench/lib/haproxy-http.sh"
BACKEND=19300
ec_cert bench.local "$W/key.pem" "$W/cert.pem"
cat "$W/cert.pem" "$W/key.pem" > "$W/haproxy.pem"
nginx_origin "$BACKEND" "sendfile on; tcp_nopush on;"
TARGETS=()
for n in 1 2; do
  port=$((19310 + n))
  haproxy_http_config "$n" "127.0.0.1:$port ssl crt $W/haproxy.pem alpn http/1.1" "$BACKEND" > "$W/haproxy$n.cfg"
  haproxy -f "$W/haproxy$n.cfg" -q & PIDS+=($!); TARGETS+=("haproxy-t$n=$port:$!")
  port=$((19320 + n))
  cat > "$W/nginx$n.conf" <<C
daemon off; worker_processes $n; pid $W/nginx$n.pid; error_log $W/nginx$n.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream b { server 127.0.0.1:$BACKEND; keepalive 128; }
  server { listen 127.0.0.1:$port ssl reuseport; ssl_certificate $W/cert.pem; ssl_certificate_key $W/key.pem;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } } }
C
  nginx -c "$W/nginx$n.conf" & PIDS+=($!); TARGETS+=("nginx-w$n=$port:$!")
  port=$((19330 + n))
  cat > "$W/dyn$n.yml" <<C
http:
  routers: {bench: {rule: "Host(\`bench.local\`)", service: b, tls: {}}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND"}]}}}
tls:
  stores: {default: {defaultCertificate: {certFile: "$W/cert.pem", keyFile: "$W/key.pem"}}}
C
  printf 'global: {checkNewVersion: false, sendAnonymousUsage: false}\nentryPoints: {websecure: {address: "127.0.0.1:%s"}}\nproviders: {file: {filename: "%s/dyn%s.yml"}}\n' "$port" "$W" "$n" > "$W/traefik$n.yml"
  GOMAXPROCS=$n "$TRAEFIK" --configfile="$W/traefik$n.yml" >/dev/null 2>&1 & PIDS+=($!); TARGETS+=("traefik-g$n=$port:$!")
  port=$((19340 + n))
  printf 'entryPoints: {websecure: {address: "127.0.0.1:%s"}}\nproviders: {file: {filename: "%s/dyn%s.yml"}}\n' "$port" "$W" "$n" > "$W/stoep$n.yml"
  "$BIN" run --traefik-config "$W/stoep$n.yml" --workers $n --stats-socket "$W/s$n.sock" 2>"$W/stoep$n.log" & PIDS+=($!)
  TARGETS+=("stoep-w$n=$port:$!")
done
sleep 3
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
    c0=$(ticks "$pid")
    out=$(wrk -t1 -c64 -d"${DUR}s" -H 'Host: bench.local' "https://127.0.0.1:$port/index.html" 2>&1 || true)
    c1=$(ticks "$pid")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    grep -q 'Non-2xx' <<<"$out" && rps="non-2xx!"
    echo "$name ${rps:-fail} $(us_per "$c0" "$c1" "${reqs:-0}")" >> "$W/rows"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of ${DUR}s"
medians "$W/rows" tls_rps cpu_us_req
