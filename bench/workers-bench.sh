#!/usr/bin/env bash
# stoep with 1 and 2 workers beside HAProxy `nbthread 2` and nginx `worker_processes 2` (and the one-core
# peers http-peers.sh starts itself), small keep-alive requests, in one run (../shared/bench/http-peers.sh).
# CPU per request counts a process and its direct children: stoep's supervisor and workers, nginx's master
# and workers. wrk runs one thread (-t1) on the same 2 cores: the client can be the limit — compare CPU
# per request, not only req/s.
# Usage: bench/workers-bench.sh [extra http-peers.sh options, e.g. --rounds 3]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.build/release/stoep
PEERS=${PEERS:-$ROOT/../shared/bench/http-peers.sh}
BACKEND_PORT=${BACKEND_PORT:-19000}
. "$ROOT/bench/lib/scratch.sh"
. "$ROOT/bench/lib/haproxy-http.sh"
cat > "$W/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`bench.local\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
C
for n in 1 2; do
  port=$((19020 + n))
  printf 'entryPoints: {web: {address: "127.0.0.1:%s"}}\nproviders: {file: {filename: "%s/dyn.yml"}}\n' "$port" "$W" > "$W/traefik$n.yml"
  "$BIN" run --traefik-config "$W/traefik$n.yml" --workers $n --stats-socket "$W/s$n.sock" 2>"$W/stoep$n.log" & PIDS+=($!)
  eval "STOEP${n}_PID=$!"
done
haproxy_http_config 2 127.0.0.1:19031 "$BACKEND_PORT" > "$W/haproxy2.cfg"
cat > "$W/nginx2.conf" <<C
daemon off; worker_processes 2; pid $W/n2.pid; error_log $W/n2.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream b { server 127.0.0.1:$BACKEND_PORT; keepalive 128; }
  server { listen 127.0.0.1:19032 reuseport; location / { proxy_pass http://b; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_buffering off; } } }
C
haproxy -f "$W/haproxy2.cfg" -q & PIDS+=($!); H2=$!
nginx -c "$W/nginx2.conf" & PIDS+=($!); N2=$!
sleep 1
BACKEND_PORT=$BACKEND_PORT "$PEERS" --target "stoep-w1=19021:$STOEP1_PID" --target "stoep-w2=19022:$STOEP2_PID" \
  --target "haproxy-t2=19031:$H2" --target "nginx-w2=19032:$N2" "$@"
