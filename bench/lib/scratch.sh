# Sourced by bench scripts: W, a scratch directory (755: nginx's workers read files in it), and PIDS, the
# processes the script started (append with PIDS+=($!)). On exit every one is sent SIGTERM, given half a
# second to go, and W is removed.
W=$(mktemp -d); chmod 755 "$W"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT
