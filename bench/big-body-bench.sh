#!/usr/bin/env bash
# 100 MB bodies in one run, interleaved rounds (A B C … A B C …), medians: direct to an nginx backend
# (sendfile), the minimal C epoll+splice relay (bench/c-relay/relay.c, the reference the byte path is
# measured against), HAProxy 2.6 (`mode tcp` and `mode http`, nbthread 1), stoep's [[forward]] and stoep's
# HTTP proxy on each backend. Prints MB/s (wrk -t1 -c4 GET of a 100 MB file), the ratio to direct, and
# the proxy's, wrk's and the backend's CPU seconds per GB (utime+stime over the run), and the load average.
# Usage: bench/big-body-bench.sh [--rounds 3] [--duration 6] [--only REGEX] [--before BIN]
#   --before BIN   also runs an older stoep binary (rows stoep-*-before): before/after in the same run
#   --upload       POST the 100 MB body instead (wrk Lua script; the backend discards it)
#   C_RELAY_VARIANTS="name:ENV=1 ENV2=2;…" adds C relay rows with those knobs (see relay.c).
set -euo pipefail
DUR=6; ROUNDS=3; ONLY=.; BEFORE=; UPLOAD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;;
    --duration) DUR=$2; shift 2;;
    --only) ONLY=$2; shift 2;;
    --before) BEFORE=$2; shift 2;;
    --upload) UPLOAD=1; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/.build/release/stoep}
need() { command -v "$1" >/dev/null || { apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk; need nginx nginx-light; need haproxy haproxy
. "$ROOT/bench/lib/proc-cpu.sh"
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
cc -O2 -o "$W/relay" "$ROOT/bench/c-relay/relay.c"
B=19200
mkdir -p "$W/www"; head -c 100000000 /dev/zero > "$W/www/big.bin"
cat > "$W/backend.conf" <<C
daemon off; worker_processes 1; pid $W/backend.pid; error_log $W/backend.err;
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  server { listen 127.0.0.1:$B reuseport; root $W/www; } }
C
# Uploads go to the sink (bench/c-relay/sink.c) instead: it discards Content-Length bodies.
UP=$B; [ $UPLOAD = 1 ] && UP=$((B+99))
cc -O2 -o "$W/sink" "$ROOT/bench/c-relay/sink.c"
hap() { cat <<C
global
  nbthread 1
  maxconn 8000
defaults
  mode $1
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen f
  bind 127.0.0.1:$2
  server s1 127.0.0.1:$UP
C
}
hap tcp $((B+1)) > "$W/hap-tcp.cfg"; hap http $((B+2)) > "$W/hap-http.cfg"
cat > "$W/dyn.yml" <<C
http:
  routers: {bench: {rule: "PathPrefix(\`/\`)", service: b}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$UP"}]}}}
C
nginx -c "$W/backend.conf" & PIDS+=($!); NGX=$!
"$W/sink" $((B+99)) & PIDS+=($!); SINK=$!
TARGETS=("direct=$UP:")
start() {  # name port command…
  local name=$1 port=$2; shift 2
  [[ $name =~ $ONLY ]] || return 0
  "$@" >"$W/$name.log" 2>&1 & PIDS+=($!)
  TARGETS+=("$name=$port:$!")
}
start c-relay $((B+3)) "$W/relay" $((B+3)) $UP
port=$((B+30))
IFS=';' read -ra VARIANTS <<<"${C_RELAY_VARIANTS:-}"
for v in "${VARIANTS[@]}"; do
  [ -n "$v" ] || continue
  start "c-${v%%:*}" $port env ${v#*:} "$W/relay" $port $UP; port=$((port+1))
done
start haproxy-tcp $((B+1)) haproxy -f "$W/hap-tcp.cfg" -q
start haproxy-http $((B+2)) haproxy -f "$W/hap-http.cfg" -q
stoeps() {  # suffix binary base-port
  local sfx=$1 bin=$2 p=$3 be
  for be in io_uring epoll; do
    printf '[[forward]]\nlisten = "127.0.0.1:%s"\nupstream = "127.0.0.1:%s"\n' "$p" "$UP" > "$W/fwd-$be$sfx.toml"
    start "fwd-$be$sfx" "$p" "$bin" run --backend $be --config "$W/fwd-$be$sfx.toml" --stats-socket "$W/f-$be$sfx.sock"
    p=$((p+1))
    printf 'entryPoints: {web: {address: "127.0.0.1:%s"}}\nproviders: {file: {filename: "%s/dyn.yml"}}\n' "$p" "$W" > "$W/http-$be$sfx.yml"
    start "http-$be$sfx" "$p" "$bin" run --backend $be --traefik-config "$W/http-$be$sfx.yml" --stats-socket "$W/h-$be$sfx.sock"
    p=$((p+1))
  done
}
stoeps "" "$BIN" $((B+10))
[ -n "$BEFORE" ] && stoeps "-before" "$BEFORE" $((B+20))
sleep 1.5
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $UPLOAD = 1 ]; then
  cat > "$W/post.lua" <<'L'
wrk.method = "POST"
wrk.body = string.rep("x", 100000000)
wrk.headers["Content-Type"] = "application/octet-stream"
L
  WRKARGS=(-s "$W/post.lua"); URLPATH=/upload
else
  WRKARGS=(); URLPATH=/big.bin
fi
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    name=${t%%=*}; rest=${t#*=}; port=${rest%%:*}; pid=${rest#*:}
    [ -n "$pid" ] && c0=$(ticks "$pid")
    n0=$(ticks "$NGX"); s0=$(ticks "$SINK")
    out=$(/usr/bin/time -f 'wrkcpu %U %S' wrk -t1 -c4 -d"${DUR}s" --timeout 60s "${WRKARGS[@]}" "http://127.0.0.1:$port$URLPATH" 2>&1 || true)
    n1=$(ticks "$NGX"); s1=$(ticks "$SINK")
    if [ $UPLOAD = 1 ]; then
      reqs=$(awk '/requests in/ {print $1}' <<<"$out"); secs=$(awk '/requests in/ {sub("s,","",$4); print $4}' <<<"$out")
      gb=$(awk -v r="${reqs:-0}" 'BEGIN {print r * 100000000 / 1073741824}')
      mbps=$(awk -v g="$gb" -v s="${secs:-1}" 'BEGIN {printf "%.0f", g * 1024 / s}')
    else
      mbps=$(awk '/Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else sub("MB","",v); print v}' <<<"$out")
      gb=$(awk '/read$/ {v=$(NF-1); if (v ~ /GB/) {sub("GB","",v)} else if (v ~ /MB/) {sub("MB","",v); v/=1024} print v}' <<<"$out")
    fi
    grep -q "Non-2xx\|Socket errors: connect [1-9]\|read [1-9]" <<<"$out" && mbps="errors!"
    cpu=-
    if [ -n "$pid" ]; then c1=$(ticks "$pid"); cpu=$(awk -v d=$((c1-c0)) -v hz="$HZ" -v gb="${gb:-0}" 'BEGIN {if (gb > 0) printf "%.3f", d/hz/gb; else print "-"}'); fi
    # The client's and the backend's CPU per GB too: on 2 cores a proxy wins or loses mostly by what its
    # kernel work moves off or onto wrk's core.
    wcpu=$(awk -v gb="${gb:-0}" '/^wrkcpu/ {if (gb > 0) printf "%.3f", ($2 + $3) / gb; else print "-"}' <<<"$out")
    bcpu=$(awk -v d=$((n1 - n0 + s1 - s0)) -v hz="$HZ" -v gb="${gb:-0}" 'BEGIN {if (gb > 0) printf "%.3f", d/hz/gb; else print "-"}')
    echo "$name ${mbps:-fail} $cpu ${wcpu:--} $bcpu" >> "$W/rows"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$W/rows" "$ROUNDS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *vals = line.split(); rows.setdefault(name, []).append(vals)
def nums(col):
    out = []
    for v in col:
        try: out.append(float(v))
        except ValueError: pass
    return out
direct = statistics.median(nums([v[0] for v in rows["direct"]]) or [1])
print(f"{'target':<20} {'MB/s':>8} {'vs_direct':>10} {'proxy_s_GB':>11} {'wrk_s_GB':>9} {'backend_s_GB':>13}   rounds (MB/s)")
def med(vals, i):
    x = nums([v[i] for v in vals])
    return f"{statistics.median(x):.3f}" if x else "-"
for name, vals in rows.items():
    mb = nums([v[0] for v in vals])
    m = statistics.median(mb) if mb else 0
    print(f"{name:<20} {m:>8.0f} {m / direct:>9.2f}x {med(vals, 1):>11} {med(vals, 2):>9} {med(vals, 3):>13}   {' '.join(v[0] for v in vals)}")
PY
