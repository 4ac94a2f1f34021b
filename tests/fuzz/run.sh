#!/usr/bin/env bash
# Runs each fuzz target (a directory of seeds here, tests/fuzz/<target>/) for FUZZ_SECONDS with the
# libFuzzer build of stoep-fuzz (`make fuzz` builds it). New corpus entries stay in .build-fuzz/corpus/<target>,
# crashes go to .build-fuzz/crashes/, each run's log to .build-fuzz/logs/<target>.log; one summary line per
# target (executions, coverage). Exits non-zero when any target crashed, leaked, timed out or ran out of memory.
# Usage: tests/fuzz/run.sh [target ...]   (default: every target)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${FUZZ_BIN:-$ROOT/.build-fuzz/release/stoep-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
OUT=$ROOT/.build-fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$ROOT"/tests/fuzz/*/; do targets+=("$(basename "$d")"); done
fi
mkdir -p "$OUT/crashes" "$OUT/logs"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$OUT/corpus/$t"
  STOEP_FUZZ_TARGET=$t "$BIN" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$OUT/crashes/$t-" "$OUT/corpus/$t" "$ROOT/tests/fuzz/$t" >"$OUT/logs/$t.log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+' "$OUT/logs/$t.log" | tail -1)
  runs=$(grep -E '^stat::number_of_executed_units' "$OUT/logs/$t.log" | awk '{print $2}')
  printf '%-14s rc=%d runs=%s %s\n' "$t" "$rc" "${runs:-?}" "$(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')"
  [ $rc -ne 0 ] && failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in $OUT/crashes/, logs in $OUT/logs/)" >&2
  exit 1
fi
