# Sourced as `. bench/lib/binaries-args.sh "$@"` by the counting benchmarks that compare stoep binaries
# with the options [--callgrind] [--backend io_uring|epoll] NAME=BINARY ... (syscalls-per-request.sh,
# tls-counts.sh): sets CALLGRIND (0 or 1), BACKEND (default io_uring) and BINS (the NAME=BINARY words);
# a usage line and exit 2 on anything else, or with no binary.
CALLGRIND=0; BACKEND=io_uring; BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --callgrind) CALLGRIND=1; shift;;
    --backend) BACKEND=$2; shift 2;;
    *=*) BINS+=("$1"); shift;;
    *) echo "usage: $0 [--callgrind] [--backend B] NAME=BINARY ..." >&2; exit 2;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || { echo "usage: $0 [--callgrind] [--backend B] NAME=BINARY ..." >&2; exit 2; }
