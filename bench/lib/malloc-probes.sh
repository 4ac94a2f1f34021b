# Sourced by the allocation benchmarks (bench/allocs-per-*.sh): uprobes on glibc's malloc family, the count
# of calls a process makes while a command runs, and where they come from. Needs perf (Debian: linux-perf)
# and root. The probes make each malloc cost a trap: throughput under them means nothing, only the counts.
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
MALLOC_FUNCS=(malloc calloc realloc posix_memalign aligned_alloc)
malloc_probes_setup() {
  local libc f
  libc=$(ldconfig -p | awk '/libc.so.6 .*x86-64/ {print $NF; exit}')
  for f in "${MALLOC_FUNCS[@]}"; do
    perf probe -q -l "probe_libc:$f" 2>/dev/null | grep -q . || perf probe -q -x "$libc" --add "$f" >/dev/null 2>&1 || true
  done
  MALLOC_EVENTS=$(printf 'probe_libc:%s,' "${MALLOC_FUNCS[@]}"); MALLOC_EVENTS=${MALLOC_EVENTS%,}
}

# malloc_count PID OUT -- COMMAND...: runs COMMAND (its stdout to OUT) and prints the malloc-family calls PID made.
malloc_count() {
  local pid=$1 out=$2; shift 3
  perf stat -x, -e "$MALLOC_EVENTS" -p "$pid" -o "$out.stat" -- "$@" > "$out"
  awk -F, '/probe_libc/ {c += $1} END {print c + 0}' "$out.stat"
}

# malloc_sites PID PER_UNIT OUT -- COMMAND...: records malloc call chains while COMMAND runs and prints the
# sites (first frame outside the Swift runtime and standard library) with their share of PER_UNIT.
malloc_sites() {
  local pid=$1 per=$2 out=$3; shift 4
  perf record -q -m 4096 -e probe_libc:malloc -g -p "$pid" -o "$out.perf" -- "$@" > "$out" 2>&1
  perf script -i "$out.perf" -F ip,sym 2>/dev/null | python3 -c '
import collections, re, sys
runtime = re.compile(r"^(malloc|__GI___libc_malloc|__libc_malloc|swift_|_swift|swift::|\$ss|\$sS[a-zA-Z]|\[unknown\])")
sites, stack = collections.Counter(), []
def flush():
    if stack: sites[next((f for f in stack if not runtime.match(f)), stack[-1])] += 1
for line in sys.stdin:
    line = line.strip()
    if not line:
        flush(); stack = []
    else:
        stack.append(line.split(None, 1)[-1])
flush()
# perf may drop records under load: each site is its share of the recorded calls times the exact count.
per_unit, total = float(sys.argv[1]), sum(sites.values()) or 1
for site, count in sites.most_common(25):
    share = per_unit * count / total
    if share >= 0.05: print(f"    {share:5.2f}  {site[:150]}")
' "$per"
}
