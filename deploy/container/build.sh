#!/usr/bin/env bash
# Builds a minimal stoep image with podman (or buildah): the release binary plus exactly the shared
# libraries it needs (ldd), on an empty base. Usage: deploy/container/build.sh [TAG]
# Docker's default seccomp profile blocks io_uring: in a container stoep runs on epoll (it logs the
# fallback once) unless the profile allows io_uring_setup/enter/register.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TAG=${1:-localhost/stoep:latest}
command -v podman >/dev/null || apt-get install -y -qq podman runc >/dev/null
make -C "$ROOT" build
CTX=$(mktemp -d); trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/rootfs/usr/local/bin" "$CTX/rootfs/etc/stoep" "$CTX/rootfs/run/stoep"
cp "$ROOT/.build/release/stoep" "$CTX/rootfs/usr/local/bin/stoep"
strip "$CTX/rootfs/usr/local/bin/stoep"
# The Swift runtime links libstdc++, libm, libgcc_s and glibc dynamically; copy exactly those.
for lib in $(ldd "$ROOT/.build/release/stoep" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
  mkdir -p "$CTX/rootfs$(dirname "$lib")"
  cp -L "$lib" "$CTX/rootfs$lib"
done
cp "$(dirname "$0")/Containerfile" "$CTX/Containerfile"
podman build --runtime runc -t "$TAG" -f "$CTX/Containerfile" "$CTX"
echo "built $TAG ($(podman image inspect "$TAG" --format '{{.Size}}') bytes)"
