#!/usr/bin/env bash
# Syscalls per MB relayed, counted by the kernel's syscall tracepoints (perf stat -p, no strace slow-down)
# over N 100 MB downloads (curl, one connection, one at a time): the C relay (bench/c-relay/relay.c),
# stoep's [[forward]] and stoep's HTTP proxy on each backend. Counts do not depend on the machine's load.
# With --wrk, the load is wrk -t1 -c4 for 4 s (the throughput benchmark's client: 8 KiB reads) instead.
# --chunked: the body is chunked — uploads by curl (Transfer-Encoding: chunked, 64 KiB chunks), downloads
# from bench/c-relay/sink.c (1,600 chunks of 62,500 bytes).
# Usage: bench/syscalls-per-mb.sh [--transfers 3] [--upload] [--chunked] [--wrk]
set -euo pipefail
N=3; UPLOAD=0; WRK=0; CHUNKED=
while [ $# -gt 0 ]; do
  case "$1" in
    --transfers) N=$2; shift 2;;
    --upload) UPLOAD=1; shift;;
    --wrk) WRK=1; shift;;
    --chunked) CHUNKED="-H 'Transfer-Encoding: chunked'"; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/.build/release/stoep}
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
cc -O2 -o "$W/relay" "$ROOT/bench/c-relay/relay.c"
cc -O2 -o "$W/sink" "$ROOT/bench/c-relay/sink.c"
B=19300
mkdir -p "$W/www"; head -c 100000000 /dev/zero > "$W/www/big.bin"
cat > "$W/backend.conf" <<C
daemon off; worker_processes 1; pid $W/backend.pid; error_log $W/backend.err;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:$B; root $W/www; } }
C
UP=$B; [ $UPLOAD = 1 ] || [ -n "$CHUNKED" ] && UP=$((B+99))  # the sink: uploads, chunked downloads
nginx -c "$W/backend.conf" & PIDS+=($!)
"$W/sink" $((B+99)) & PIDS+=($!)
cat > "$W/dyn.yml" <<C
http:
  routers: {bench: {rule: "PathPrefix(\`/\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$UP"}]}}}
C
TARGETS=()
"$W/relay" $((B+1)) $UP & PIDS+=($!); TARGETS+=("c-relay=$((B+1)):$!")
p=$((B+2))
for be in io_uring epoll; do
  printf '[[forward]]\nlisten = "127.0.0.1:%s"\nupstream = "127.0.0.1:%s"\n' $p $UP > "$W/f-$be.toml"
  "$BIN" run --backend $be --config "$W/f-$be.toml" --stats-socket "$W/f-$be.sock" 2>"$W/f-$be.log" & PIDS+=($!)
  TARGETS+=("fwd-$be=$p:$!"); p=$((p+1))
  printf 'entryPoints: {web: {address: "127.0.0.1:%s"}}\nproviders: {file: {filename: "%s/dyn.yml"}}\n' $p "$W" > "$W/h-$be.yml"
  "$BIN" run --backend $be --traefik-config "$W/h-$be.yml" --stats-socket "$W/h-$be.sock" 2>"$W/h-$be.log" & PIDS+=($!)
  TARGETS+=("http-$be=$p:$!"); p=$((p+1))
done
sleep 1.5
[ $UPLOAD = 1 ] && head -c 100000000 /dev/zero > "$W/up.bin"
EV=syscalls:sys_enter_splice,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_write,syscalls:sys_enter_sendto,raw_syscalls:sys_enter
printf '%-14s %9s %9s %9s %9s %9s %9s %10s\n' target all/MB splice/MB eagain/MB wait/MB ctl/MB rw/MB KB/splice
for t in "${TARGETS[@]}"; do
  name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
  if [ $UPLOAD = 1 ]; then
    cmd="for i in \$(seq $N); do curl -s -o /dev/null -H 'Expect:' $CHUNKED --data-binary @$W/up.bin http://127.0.0.1:$port/up; done"
  else
    cmd="for i in \$(seq $N); do curl -s -o /dev/null http://127.0.0.1:$port/big.bin; done"
  fi
  [ $WRK = 1 ] && cmd="wrk -t1 -c4 -d4s http://127.0.0.1:$port/big.bin > $W/$name.wrk"
  perf stat -x, -o "$W/$name.stat" -e "$EV" -e syscalls:sys_exit_splice --filter 'ret < 0' -p "$pid" -- sh -c "$cmd"
  mb=$((N * 100))
  [ $WRK = 1 ] && mb=$(awk '/read$/ {v=$(NF-1); if (v ~ /GB/) {sub("GB","",v); v*=1024} else sub("MB","",v); print v}' "$W/$name.wrk")
  python3 - "$W/$name.stat" "$name" "$mb" <<'PY'
import sys
path, name, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
c = {}
for line in open(path):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        c[f[2]] = c.get(f[2], 0) + float(f[0])
g = lambda k: c.get(k, 0)
splice = g("syscalls:sys_enter_splice"); eagain = g("syscalls:sys_exit_splice")
waits = g("syscalls:sys_enter_epoll_wait") + g("syscalls:sys_enter_io_uring_enter")
rw = sum(g("syscalls:sys_enter_" + k) for k in ("read", "recvfrom", "write", "sendto"))
good = splice - eagain
kb = (2 * mb * 1e6 / good / 1024) if good else 0  # each byte is spliced twice: in and out
print(f"{name:<14} {g('raw_syscalls:sys_enter')/mb:>9.1f} {splice/mb:>9.1f} {eagain/mb:>9.1f} {waits/mb:>9.1f} "
      f"{g('syscalls:sys_enter_epoll_ctl')/mb:>9.2f} {rw/mb:>9.2f} {kb:>10.1f}")
PY
done
