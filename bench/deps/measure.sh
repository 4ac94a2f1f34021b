#!/bin/sh
# Builds the tiny programs (release, static Swift stdlib, no PIE), strips copies, and measures
# binary size and idle VmRSS (read from /proc/PID/status 1 s after start, 3 runs each).
# Usage: ./measure.sh            -> prints a Markdown table to stdout
set -eu
cd "$(dirname "$0")"
swift build -c release -j 2 >&2
bin=.build/release
out=.build/stripped
mkdir -p "$out"
progs="a_baseline b_uring_static c_yaml_static c_yaml_dynamic d_pcre2_static d_pcre2_dynamic
e_swift_regex f_openssl_static f_openssl_dynamic g_all_static h_all_openssl_static"

mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }

# rss FILE -> "VmRSS RssAnon RssFile Private_Dirty" in kB, 1 s after start; the process is ended right after.
rss() {
    "$1" >/dev/null &
    pid=$!
    sleep 1
    line=$(awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' "/proc/$pid/status")
    line="$line$(awk '/^Private_Dirty:/ { printf "%s", $2 }' "/proc/$pid/smaps_rollup")"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$line"
}

echo "| program | binary MiB (unstripped / stripped) | idle VmRSS MiB, stripped (3 runs) | RssAnon / RssFile / Private_Dirty MiB (run 1) | idle VmRSS MiB, unstripped (3 runs) | shared libs beyond libc/libm/libstdc++/libgcc_s |"
echo "|---|---|---|---|---|---|"
for p in $progs; do
    cp "$bin/$p" "$out/$p"
    strip "$out/$p"
    u=$(stat -c %s "$bin/$p"); s=$(stat -c %s "$out/$p")
    rs=""; ru=""; split=""
    for i in 1 2 3; do
        set -- $(rss "$out/$p")
        rs="$rs $(mb $(($1 * 1024)))"
        [ -z "$split" ] && split="$(mb $(($2 * 1024))) / $(mb $(($3 * 1024))) / $(mb $(($4 * 1024)))"
    done
    for i in 1 2 3; do
        set -- $(rss "$bin/$p")
        ru="$ru $(mb $(($1 * 1024)))"
    done
    libs=$(ldd "$bin/$p" | awk '{print $1}' | grep -Ev 'vdso|libc\.so|libm\.so|libstdc\+\+|libgcc_s|ld-linux' | tr '\n' ' ')
    echo "| $p | $(mb "$u") / $(mb "$s") |$rs | $split |$ru | ${libs:-none} |"
done
