#!/usr/bin/env bash
# Idle resident memory of `stoep run` on the embedded default (DNS + HTTP status page + stats socket),
# on each backend, and the binary's size (as built, and stripped). Goal: <= 8 MB idle.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.build/release/stoep
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cp "$BIN" "$W/stoep-stripped"; strip "$W/stoep-stripped"
printf 'binary: %s bytes as built, %s bytes stripped\n' "$(stat -c %s "$BIN")" "$(stat -c %s "$W/stoep-stripped")"
for backend in io_uring epoll; do
  for bin in "$BIN" "$W/stoep-stripped"; do
    (cd "$W" && exec "$bin" run --backend $backend --stats-socket "$W/s.sock" 2>/dev/null) & pid=$!
    sleep 2
    # One DNS query and one page so the answer paths are paged in, then idle again.
    dig +short @127.0.0.1 -p 5353 a.stoep.lan >/dev/null 2>&1 || true
    curl -s -o /dev/null http://127.0.0.1:8080/ || true
    sleep 1
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    printf '%-9s %-10s idle RSS %6.2f MB (%s KiB)\n' "$backend" "$(basename "$bin")" "$(awk -v k="$rss" 'BEGIN {print k*1024/1e6}')" "$rss"
    kill $pid; wait $pid 2>/dev/null || true
    sleep 0.3
  done
done
