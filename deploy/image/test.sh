#!/usr/bin/env bash
# Boots the image `make image BOARD=n100` built under qemu-system-x86_64 (software emulation, TCG) and
# checks it from the host: `make image-test`.
#
#  1. A copy of the image gets a test stoep.toml on its boot partition (mtools, no mount), so the boot
#     also proves that the boot partition's configuration is checked and installed.
#  2. qemu boots it with -kernel/-initrd (extracted by the build), 1 CPU, 512 MB, the serial console to
#     a log, and user-mode networking forwarding unprivileged host ports to the guest's 53 (UDP, TCP)
#     and 80.
#     The copy is 1 GiB larger than the image, as a real disk is, so the root partition and filesystem
#     must grow into it at boot (systemd-repart, x-systemd.growfs).
#  3. From the host: dig answers the name from the boot partition's configuration (UDP and TCP), curl
#     gets the status page, and the serial log carries `stoep stats show info` between the markers
#     stoep-console-info.service prints, with the board profile's sysctl in force.
#
# With IMAGE_TEST_BOOT=uefi the same checks run on a boot through the image's own boot path instead of
# -kernel/-initrd: OVMF (UEFI firmware) -> EFI/BOOT/BOOTX64.EFI (systemd-boot) -> the loader entry.
#
# With IMAGE_TEST_SMP=4 the guest has 4 vCPUs: the n100 profile's `workers = "auto"` must start one worker
# per CPU, every one serving, under one supervisor (a correctness smoke run; TCG says nothing of speed).
#
# With IMAGE_TEST_CONFIG=invalid the boot partition's stoep.toml has an error: the box must keep the
# image's own configuration (box.stoep.lan -> 127.0.0.1) and say why on the console.
#
# env: IMAGE_TEST_TIMEOUT (seconds, default 600), QEMU_ACCEL (default tcg), IMAGE_TEST_BOOT (kernel|uefi),
#      IMAGE_TEST_CONFIG (valid|invalid), IMAGE_TEST_SMP (vCPUs, default 1), OUT (default out/image/BOARD)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BOARD=${1:-n100}
OUT=${OUT:-$ROOT/out/image/$BOARD}
TIMEOUT=${IMAGE_TEST_TIMEOUT:-600}
ACCEL=${QEMU_ACCEL:-tcg}
BOOT=${IMAGE_TEST_BOOT:-kernel}
CONFIG=${IMAGE_TEST_CONFIG:-valid}
SMP=${IMAGE_TEST_SMP:-1}
WORK="$ROOT/.build-image/$BOARD/test"
die() { echo "image-test: FAIL: $*" >&2; exit 1; }
say() { echo "image-test: $(date +%H:%M:%S) $*"; }

[ "$BOARD" = n100 ] || die "only the amd64 board (n100) boots under qemu here"
for f in "stoep-$BOARD.img" vmlinuz initrd.img cmdline; do
  [ -f "$OUT/$f" ] || die "$OUT/$f missing: run \`make image BOARD=$BOARD\` first"
done
need=""
for tool in qemu-system-x86_64:qemu-system-x86 mcopy:mtools dig:dnsutils curl:curl; do
  command -v "${tool%%:*}" >/dev/null || need="$need ${tool#*:}"
done
if [ -n "$need" ]; then
  say "installing$need"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

free_port() {  # a port free for both TCP and UDP on 127.0.0.1
  python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
EOF
}

rm -rf "$WORK"; mkdir -p "$WORK"
IMG="$WORK/disk.img"
cp --sparse=always "$OUT/stoep-$BOARD.img" "$IMG"
# A disk larger than the image, as a real SSD is: the root partition and filesystem must grow into it.
truncate -s +1G "$IMG"
# The boot partition starts at 1 MiB (build.sh): mtools addresses it with @@offset.
export MTOOLS_SKIP_CHECK=1
cat >"$WORK/stoep.toml" <<'EOF'
# make image-test: a configuration put on the boot partition, as an operator would.
[dns]
port = 53
address = ["/stoep.lan/10.0.2.15", "/image-test.inethilocal.net/192.0.2.53"]
local = ["/stoep.lan/"]
no-resolv = true
no-hosts = true

[entryPoints.web]
address = ":80"
EOF
if [ "$CONFIG" = invalid ]; then
  sed -i 's/^port = 53$/port = "fifty-three"/' "$WORK/stoep.toml"
  NAME=box.stoep.lan; WANT=127.0.0.1; TCP_WANT=127.0.0.1; FROM="the image's own stoep.toml, kept"
else
  NAME=image-test.inethilocal.net; WANT=192.0.2.53; TCP_WANT=10.0.2.15; FROM="the boot partition's stoep.toml"
fi
mcopy -o -i "$IMG@@1M" "$WORK/stoep.toml" ::/stoep/stoep.toml
printf 'hostname=stoep-test\n' >"$WORK/box.conf"
mcopy -o -i "$IMG@@1M" "$WORK/box.conf" ::/stoep/box.conf

DNS_PORT=$(free_port); HTTP_PORT=$(free_port)
LOG="$WORK/serial.log"
if [ "$BOOT" = uefi ]; then
  OVMF=/usr/share/OVMF/OVMF_CODE_4M.fd
  [ -f "$OVMF" ] || die "$OVMF missing (apt-get install ovmf)"
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
  BOOT_ARGS=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF" -drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd")
else
  BOOT_ARGS=(-kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" -append "$(cat "$OUT/cmdline") console=ttyS0,115200 panic=-1")
fi
say "booting $OUT/stoep-$BOARD.img ($BOOT boot, accel=$ACCEL, $SMP CPU, 512 MB); serial console: $LOG"
START=$(date +%s)
qemu-system-x86_64 -machine q35,accel="$ACCEL" -smp "$SMP" -m 512 \
  -display none -vga none -monitor none -serial "file:$LOG" -no-reboot "${BOOT_ARGS[@]}" \
  -drive "file=$IMG,format=raw,if=virtio" \
  -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$DNS_PORT-:53,hostfwd=tcp:127.0.0.1:$DNS_PORT-:53,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80" \
  -device virtio-net-pci,netdev=n0 &
QEMU=$!
cleanup() { kill "$QEMU" 2>/dev/null || true; wait "$QEMU" 2>/dev/null || true; }
trap cleanup EXIT

elapsed() { echo $(( $(date +%s) - START )); }
answer=""
while [ "$(elapsed)" -lt "$TIMEOUT" ]; do
  kill -0 "$QEMU" 2>/dev/null || { tail -40 "$LOG" >&2; die "qemu exited after $(elapsed) s"; }
  answer=$(dig +short +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$NAME" 2>/dev/null || true)
  [ "$answer" = "$WANT" ] && break
  sleep 5
done
[ "$answer" = "$WANT" ] || { tail -40 "$LOG" >&2; die "no DNS answer within $TIMEOUT s (last: '$answer')"; }
DNS_AT=$(elapsed)
say "DNS over UDP answers after $DNS_AT s: $NAME -> $answer (from $FROM)"

tcp=$(dig +short +tcp +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 box.stoep.lan)
[ "$tcp" = "$TCP_WANT" ] || die "DNS over TCP: box.stoep.lan -> '$tcp', expected $TCP_WANT"
say "DNS over TCP answers: box.stoep.lan -> $tcp"
refused=$(dig +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 example.com | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
[ "$refused" = REFUSED ] || die "a name outside the configuration should be REFUSED (no upstream), got '$refused'"
if [ "$CONFIG" = invalid ]; then
  refused=$(dig +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 image-test.inethilocal.net | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  [ "$refused" = REFUSED ] || die "the invalid boot-partition configuration was applied anyway ($refused)"
fi

page=$(curl -sS --max-time 20 "http://127.0.0.1:$HTTP_PORT/") || die "curl: no status page"
echo "$page" | grep -q "<h1>stoep" || die "the status page is not stoep's: $page"
echo "$page" | grep -q "/etc/stoep/stoep.toml" || die "the status page does not name /etc/stoep/stoep.toml"
json=$(curl -sS --max-time 20 "http://127.0.0.1:$HTTP_PORT/status.json") || die "curl: no /status.json"
say "HTTP status page answers: $(echo "$page" | grep -o 'Up [^,]*, [0-9]* KiB resident' | head -1)"

while [ "$(elapsed)" -lt "$TIMEOUT" ] && ! grep -aq "STOEP-INFO-END" "$LOG"; do sleep 2; done
info=$(tr -d '\r' <"$LOG" | sed -n '/STOEP-INFO-BEGIN/,/STOEP-INFO-END/p')
[ -n "$info" ] || die "no stoep-console-info banner on the serial console"
echo "$info" | sed 's/^/  console| /'
echo "$info" | grep -q "STOEP-INFO-END status=0" || die "stoep stats show info failed in the guest"
echo "$info" | grep -Eq "^threads +1$" || die "show info: not one thread"
if [ "$SMP" -gt 1 ]; then
  echo "$info" | grep -Eq "^worker_count +$SMP$" || die "show info: workers = \"auto\" did not start $SMP workers on $SMP CPUs"
  echo "$info" | grep -Eq "^workers_serving +$SMP$" || die "show info: not every one of the $SMP workers is serving"
  say "$SMP workers serving on $SMP vCPUs"
fi
echo "$info" | grep -Eq "^config_source +/etc/stoep/stoep.toml$" || die "show info: not running /etc/stoep/stoep.toml"
echo "$info" | grep -q "net.core.somaxconn=16384" || die "the n100 profile's sysctls are not in force"
echo "$info" | grep -q 'udp53: .*"stoep"' || die "port 53 is not held by stoep"
if [ "$CONFIG" = invalid ]; then
  grep -aq "stoep-boot-config: .*stoep.toml is invalid; keeping" "$LOG" || die "no console message about the invalid stoep.toml"
  say "the invalid boot-partition stoep.toml was refused: $(tr -d '\r' <"$LOG" | grep -a -A1 "is invalid; keeping" | tail -1 | sed 's/^stoep-boot-config: *//')"
else
  grep -aq "stoep-boot-config: installed" "$LOG" || die "the boot partition's stoep.toml was not reported installed"
fi
echo "$info" | grep -q "host=stoep-test" || die "box.conf's hostname was not applied"
root_mb=$(echo "$info" | sed -n 's/^rootfs: \([0-9]*\) MB.*/\1/p')
image_mb=$(( $(stat -c %s "$OUT/stoep-$BOARD.img") / 1048576 ))
[ -n "$root_mb" ] && [ "$root_mb" -gt "$image_mb" ] \
  || die "the root filesystem did not grow into the larger disk (${root_mb:-?} MB, image $image_mb MB)"
BACKEND=$(echo "$info" | sed -n 's/^backend  *//p')
say "PASS: booted ($BOOT, $CONFIG boot-partition config, $SMP vCPU) to DNS in $DNS_AT s (accel=$ACCEL), backend $BACKEND, image $(du -h --apparent-size "$OUT/stoep-$BOARD.img" | cut -f1)"
