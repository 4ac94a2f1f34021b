# Sourced by bench scripts. CPU clock ticks (user+system) of a process and its direct children
# (stoep's workers under the supervisor, nginx's workers under the master), and the per-request
# microseconds between two readings.
HZ=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
  [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
us_per() { awk -v d=$(($2 - $1)) -v n="${3:-0}" -v hz="$HZ" 'BEGIN {if (n > 0) printf "%.2f", d * 1e6 / hz / n; else print "-"}'; }
# Medians per target of "name value value…" rows, with a header of column names.
medians() { python3 - "$@" <<'PY'
import statistics, sys
path, *names = sys.argv[1:]
rows = {}
for line in open(path):
    name, *vals = line.split(); rows.setdefault(name, []).append(vals)
def med(col):
    nums = [float(v) for v in col if v.replace('.', '', 1).isdigit()]
    if not nums: return col[0]
    m = statistics.median(nums)
    return f"{m:.2f}" if m < 1000 else f"{m:.0f}"
print(f"{'target':<12}" + "".join(f"{n:>14}" for n in names))
for name, vals in rows.items():
    print(f"{name:<12}" + "".join(f"{med(c):>14}" for c in zip(*vals)))
PY
}
