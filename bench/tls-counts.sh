#!/usr/bin/env bash
# Counts per TLS keep-alive request that do not depend on the machine's load, for HAProxy (1 thread) and
# one or more stoep binaries, each terminating TLS with the same ECDSA P-256 certificate in front of one
# nginx (612-byte file, as bench/tls-bench.sh):
#  - syscalls, SSL_read and SSL_write calls, page faults, and heap allocations (glibc's malloc family, which OpenSSL
#    uses too) per request: uprobes and the raw_syscalls tracepoint counted with `perf stat -p` over a
#    1 s and a 4 s wrk -t1 -c16 run after a warm-up, the difference divided by the difference in requests
#    (so the handshakes of wrk's connections cancel out);
#  - with --callgrind: user-space instructions per request (the proxy's own code plus OpenSSL), the
#    proxy under `valgrind --tool=callgrind` (stoep on the epoll backend: valgrind 3.19 does not follow
#    io_uring), instrumentation switched on after a warm-up, wrk -t1 -c8; the handshakes of wrk's own
#    connections cancel out (a 3 s and a 10 s run, dumped apart, their difference, each less its
#    SSL_do_handshake: wrk may reconnect, so the runs need not hold as many handshakes). Under valgrind OpenSSL
#    sees no AVX-512 (valgrind hides it), so its AES-GCM takes the AVX2 path: the same for both proxies.
#    Then the instructions of one full handshake: 20 `openssl s_client -tls1_3` handshakes in a row.
#    The annotated profiles stay in $KEEP (default /tmp/tls-counts) for callgrind_annotate.
# Needs root (uprobes), perf, valgrind, nginx, haproxy, wrk. Throughput under the probes means nothing.
# Usage: bench/tls-counts.sh [--callgrind] [--backend io_uring|epoll] NAME=BINARY [NAME=BINARY ...]
set -euo pipefail
. "$(dirname "$0")/lib/binaries-args.sh" "$@"
source "$(dirname "$0")/lib/malloc-probes.sh"
malloc_probes_setup
KEEP=${KEEP:-/tmp/tls-counts}; mkdir -p "$KEEP"
. "$(dirname "$0")/lib/scratch.sh"
. "$(dirname "$0")/lib/nginx-origin.sh"
. "$(dirname "$0")/lib/ec-cert.sh"
. "$(dirname "$0")/lib/haproxy-http.sh"
BACKEND_PORT=${BACKEND_PORT:-27300}; PORT=$((BACKEND_PORT + 1))
ec_cert bench.local "$W/bench.key" "$W/bench.crt"
cat "$W/bench.crt" "$W/bench.key" > "$W/haproxy.pem"
nginx_origin "$BACKEND_PORT" "sendfile on; tcp_nopush on;"
# probe_add NAME BINARY FUNC...: uprobes tlsc:NAME_FUNC (event names are unique across groups in perf 6.1).
probe_add() {
  local n=$1 bin=$2 f; shift 2
  for f in "$@"; do
    perf probe -q -d "tlsc:${n}_$f" >/dev/null 2>&1 || true
    perf probe -q -x "$bin" --add "tlsc:${n}_$f=$f" >/dev/null 2>&1 || echo "cannot probe $f in $bin" >&2
  done
}
LIBSSL=$(ldd "$(command -v haproxy)" | awk '/libssl/ {print $3}')
probe_add haproxy "$LIBSSL" SSL_read SSL_write
# start NAME PREFIX...: the proxy NAME listening on $PORT, started under PREFIX (nothing, or valgrind).
start() {
  local name=$1 d="$W/$1"; shift; mkdir -p "$d"
  if [ "$name" = haproxy ]; then
    haproxy_http_config 1 "127.0.0.1:$PORT ssl crt $W/haproxy.pem alpn http/1.1" "$BACKEND_PORT" > "$d/haproxy.cfg"
    "$@" haproxy -f "$d/haproxy.cfg" -q 2>"$d/log" &
  else
    echo "entryPoints: {websecure: {address: \"127.0.0.1:$PORT\", http: {tls: {}}}}" > "$d/traefik.yml"
    echo "providers: {file: {filename: \"$d/dyn.yml\"}}" >> "$d/traefik.yml"
    cat > "$d/dyn.yml" <<C
http:
  routers: {bench: {rule: "PathPrefix(\`/\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$BACKEND_PORT"}]}}}
tls:
  stores: {default: {defaultCertificate: {certFile: "$W/bench.crt", keyFile: "$W/bench.key"}}}
C
    local backend=$BACKEND; [ $# -gt 0 ] && backend=epoll
    (cd "$d" && exec "$@" "$BIN" run --backend "$backend" --traefik-config traefik.yml --stats-socket "$d/s.sock" 2>"$d/log") &
  fi
  PID=$!; PIDS+=($PID)
  local i; for i in $(seq 1 60); do curl -sk -o /dev/null "https://127.0.0.1:$PORT/index.html" && return; sleep 0.5; done
  echo "$name did not start" >&2; exit 1
}
URL="https://127.0.0.1:$PORT/index.html"
printf '%-12s %9s %10s %10s %10s %10s %10s %14s %14s\n' target requests syscalls SSL_read SSL_write allocs faults insn_req insn_handshake
for nb in "haproxy=haproxy" "${BINS[@]}"; do
  name=${nb%%=*}
  if [ "$name" != haproxy ]; then
    # perf probe and valgrind 3.19 read no DWARF 5 (Swift's): run a copy without debug sections (symbols stay).
    objcopy --strip-debug "$(realpath "${nb#*=}")" "$W/$name.bin"; BIN=$W/$name.bin
    probe_add "$name" "$BIN" SSL_read SSL_write
  fi
  ev="raw_syscalls:sys_enter,page-faults,$MALLOC_EVENTS,tlsc:${name}_SSL_read,tlsc:${name}_SSL_write"
  start "$name"
  wrk -t1 -c16 -d1s -H 'Host: bench.local' "$URL" >/dev/null  # warm-up: pools, buffers
  # Two counted runs, 1 s and 4 s, each with its 16 handshakes: their difference is requests only.
  for d in 1 4; do
    perf stat -x, -e "$ev" -p "$PID" -o "$W/$name.$d.stat" -- wrk -t1 -c16 -d${d}s -H 'Host: bench.local' "$URL" > "$W/$name.$d.wrk"
  done
  reqs=$(( $(awk '/requests in/ {print $1}' "$W/$name.4.wrk") - $(awk '/requests in/ {print $1}' "$W/$name.1.wrk") ))
  per() { awk -F, -v pat="$1" -v r="$reqs" -v long="$W/$name.4.stat" '$3 ~ pat {c += (FILENAME == long ? $1 : -$1)}
    END {printf "%.2f", c / r}' "$W/$name.1.stat" "$W/$name.4.stat"; }
  sys=$(per 'raw_syscalls'); rd=$(per '_SSL_read$'); wr=$(per '_SSL_write$'); al=$(per 'probe_libc'); pf=$(per 'page-faults')
  kill "$PID"; wait "$PID" 2>/dev/null || true
  ins=-; hs=-
  if [ $CALLGRIND = 1 ]; then
    out="$KEEP/callgrind.$name"; rm -f "$out"*
    start "$name" valgrind -q --tool=callgrind --instr-atstart=no --callgrind-out-file="$out.%p"
    # Instrumentation on makes valgrind translate the code anew: a warm-up with it on, then zeroed counts.
    callgrind_control -i on "$PID" >/dev/null
    wrk -t1 -c8 -d4s --timeout 30s -H 'Host: bench.local' "$URL" >/dev/null
    callgrind_control -z "$PID" >/dev/null
    # Two dumps, after a 3 s and a 10 s run, each with its 8 handshakes: the difference is requests only.
    for d in 3 10; do
      wrk -t1 -c8 -d${d}s --timeout 30s -H 'Host: bench.local' "$URL" > "$W/$name.cg$d.wrk"
      callgrind_control -d "$PID" >/dev/null
    done
    # Then 20 full handshakes, one after the other (openssl s_client, TLS 1.3, no resumption).
    callgrind_control -z "$PID" >/dev/null
    for i in $(seq 1 20); do timeout 60 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 </dev/null >/dev/null 2>&1 || true; done
    callgrind_control -d "$PID" >/dev/null
    sleep 1; kill "$PID"; wait "$PID" 2>/dev/null || true
    total() { awk '/^summary:|^totals:/ {print $2; exit}' "$1"; }
    # Less the handshakes themselves (wrk may reconnect, so the two runs need not hold as many).
    handshakes() { callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
      awk '/:SSL_do_handshake / && !f {gsub(",", "", $1); n = $1; f = 1} END {print n + 0}'; }  # no early exit: pipefail
    t2=$(( $(total "$out.$PID.1") - $(handshakes "$out.$PID.1") )); t8=$(( $(total "$out.$PID.2") - $(handshakes "$out.$PID.2") ))
    r2=$(awk '/requests in/ {print $1}' "$W/$name.cg3.wrk"); r8=$(awk '/requests in/ {print $1}' "$W/$name.cg10.wrk")
    ins=$(awk -v a="$t2" -v b="$t8" -v r="$r2" -v s="$r8" 'BEGIN {printf "%.0f", (b - a) / (s - r)}')
    hs=$(( $(total "$out.$PID.3") / 20 ))
    callgrind_annotate --inclusive=yes "$out.$PID.2" > "$out.$PID.2.txt" 2>/dev/null || true
    echo "  $name under callgrind: $r2 and $r8 requests, $t2 and $t8 instructions" >&2
    echo "  $name: callgrind profile of the 10 s run: $out.$PID.2 (annotated: $out.$PID.2.txt)" >&2
  fi
  printf '%-12s %9s %10s %10s %10s %10s %10s %14s %14s\n' "$name" "$reqs" "$sys" "$rd" "$wr" "$al" "$pf" "$ins" "$hs"
done
