# Sourced by the per-request benchmarks (after scratch.sh): stoep under callgrind, its instructions counted
# over one keep-alive wrk run and nothing else.
#
# callgrind_stoep DIR BINARY BACKEND: runs a copy of BINARY without debug sections (valgrind 3.19 reads no
# DWARF 5; the symbols stay) on DIR/traefik.yml under callgrind with instrumentation off. Valgrind's files
# (its dumps, callgrind_control's command file) go to DIR/cg: in the configuration's directory the file
# provider's watch saw them and reloaded the configuration all along. Sets CG_PID (also appended to PIDS).
callgrind_stoep() {
  local d=$1 bin=$2 backend=$3
  objcopy --strip-debug "$(realpath "$bin")" "$d/stoep"; mkdir -p "$d/cg"
  (cd "$d/cg" && exec valgrind -q --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/cg/cg.out" \
      "$d/stoep" run --backend "$backend" --traefik-config "$d/traefik.yml" --stats-socket "$d/s.sock" 2>"$d/log") &
  CG_PID=$!; PIDS+=($CG_PID)
}

# callgrind_requests DIR URL HEADER_ARGS...: once URL answers (valgrind starts slowly), a 3 s wrk -t1 -c8
# warm-up (connections, pools, buffers), then instrumentation on for a 6 s run of the same (wrk's output in
# DIR/wrk), off, and a dump (DIR/cg/cg.out.N). HEADER_ARGS (-H "Name: value" …) go to curl and wrk.
# Prints "REQUESTS INSTRUCTIONS" of the instrumented run. Counts do not depend on the machine's load.
callgrind_requests() {
  local d=$1 url=$2; shift 2
  for _ in $(seq 120); do curl -s -o /dev/null "$@" "$url" && break; sleep 0.5; done
  wrk -t1 -c8 -d3s "$@" "$url" >/dev/null
  callgrind_control -i on "$CG_PID" >/dev/null
  wrk -t1 -c8 -d6s "$@" "$url" > "$d/wrk"
  callgrind_control -i off "$CG_PID" >/dev/null; callgrind_control -d "$CG_PID" >/dev/null; sleep 1
  # Every dump: only the instrumented run counts.
  echo "$(awk '/requests in/ {print $1}' "$d/wrk") $(cat "$d"/cg/cg.out* | awk '/^totals:/ {s += $2} END {print s + 0}')"
}
