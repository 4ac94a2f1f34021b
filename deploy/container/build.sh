#!/usr/bin/env bash
# Builds the stoep container image with podman (buildah's engine) and prints its size.
# Usage: deploy/container/build.sh [TAG]          (default localhost/stoep:latest)
#
# The binary is linked fully static (-static-executable: the Swift runtime, glibc, libstdc++ and the
# static liburing, libyaml, libpcre2-8, libcrypt -- and libssl/libcrypto once TLS links them), so the
# image is `FROM scratch` with one executable, /etc/passwd, /etc/group, /etc/nsswitch.conf, the CA
# bundle and a default configuration. When the static link fails (a library without its .a), it falls back to the release
# binary plus exactly the shared libraries `ldd` lists, and says so. Why static: docs/deploy.md.
# Docker's default seccomp profile blocks io_uring: in a container stoep runs on epoll (it logs the
# fallback once) unless the profile allows io_uring_setup/io_uring_enter/io_uring_register.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/deploy/container"
TAG=${1:-localhost/stoep:latest}
if ! command -v podman >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman crun >/dev/null
fi
cd "$ROOT"
CTX=$(mktemp -d); trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/rootfs/usr/local/bin" "$CTX/rootfs/etc/stoep" "$CTX/rootfs/run/stoep" "$CTX/rootfs/tmp"
chmod 1777 "$CTX/rootfs/tmp"
if swift build -c release --product stoep --scratch-path .build-static -Xswiftc -static-executable \
     >"$CTX/static-build.log" 2>&1; then
  cp .build-static/release/stoep "$CTX/rootfs/usr/local/bin/stoep"
  LINKING=static
else
  echo "build.sh: the static link failed, using the shared-library image instead:" >&2
  grep -E "error|undefined" "$CTX/static-build.log" | head -5 >&2 || true
  make --no-print-directory build >&2
  cp .build/release/stoep "$CTX/rootfs/usr/local/bin/stoep"
  # Exactly the libraries the dynamic loader would map (the Swift runtime itself is linked statically).
  for lib in $(ldd .build/release/stoep | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
    mkdir -p "$CTX/rootfs$(dirname "$lib")"
    cp -L "$lib" "$CTX/rootfs$lib"
  done
  LINKING=shared
fi
strip "$CTX/rootfs/usr/local/bin/stoep"
# getpwnam ("user = stoep") reads /etc/passwd through glibc's built-in files backend, static or not.
printf 'root:x:0:0:root:/:/nonexistent\nstoep:x:65532:65532:stoep:/:/nonexistent\n' >"$CTX/rootfs/etc/passwd"
printf 'root:x:0:\nstoep:x:65532:\n' >"$CTX/rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$CTX/rootfs/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$CTX/rootfs/etc/hosts"
cp "$HERE/stoep.toml" "$CTX/rootfs/etc/stoep/stoep.toml"
# Trust roots for HTTPS backends (serversTransport verification): OpenSSL's default verify paths are
# under its OPENSSLDIR, /usr/lib/ssl, which on Debian points at /etc/ssl/certs.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$CTX/rootfs/etc/ssl/certs" "$CTX/rootfs/usr/lib/ssl"
  cp /etc/ssl/certs/ca-certificates.crt "$CTX/rootfs/etc/ssl/certs/"
  ln -s /etc/ssl/certs/ca-certificates.crt "$CTX/rootfs/usr/lib/ssl/cert.pem"
  ln -s /etc/ssl/certs "$CTX/rootfs/usr/lib/ssl/certs"
else
  echo "build.sh: no /etc/ssl/certs/ca-certificates.crt here; the image has no trust roots for HTTPS backends" >&2
fi
cp "$HERE/Containerfile" "$CTX/Containerfile"
podman build -q --label "org.stoep.linking=$LINKING" -t "$TAG" -f "$CTX/Containerfile" "$CTX" >/dev/null
echo "built $TAG ($LINKING, $(podman image inspect "$TAG" --format '{{.Size}}') bytes)"
