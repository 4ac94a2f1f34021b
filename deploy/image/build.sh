#!/usr/bin/env bash
# Builds a bootable stoep disk image for one board: `make image BOARD=n100|rpi4|rpi5`.
#
#   deploy/image/build.sh BOARD
#   env: STOEP_BINARY  the stoep executable to install (n100: default .build/release/stoep;
#                      rpi4/rpi5: required, an aarch64 build from an arm64 machine)
#        PI_FIRMWARE   rpi4/rpi5: a directory laid out like the `boot/` folder of Raspberry Pi's firmware
#                      repository (start4.elf, fixup4.dat, the board's .dtb, kernel8.img / kernel_2712.img,
#                      overlays/) with the matching kernel modules in PI_FIRMWARE/modules/<version>/
#        MIRROR        Debian mirror (default: the one apt uses here, deploy/image/mirror.py)
#        OUT           output directory (default out/image/BOARD)
#
# No loop devices and no mounts of the image: the root filesystem is debootstrap'ed into a directory and
# made with `mkfs.ext4 -d`, the boot partition is a FAT image filled with mtools, and both are copied
# into a partitioned disk file with dd. Layout and reasons: docs/deploy.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/deploy/image"
BOARD=${1:?usage: deploy/image/build.sh BOARD (n100, rpi4 or rpi5)}
PROFILE="$ROOT/hardware/$BOARD.toml"
SUITE=bookworm
OUT=${OUT:-$ROOT/out/image/$BOARD}
WORK="$ROOT/.build-image/$BOARD"
BOOT_MB=256          # room for two kernels and initrds during an upgrade
ROOT_FREE_MB=512     # free space in the image; at boot the root partition grows to fill the disk
die() { echo "deploy/image/build.sh: $*" >&2; exit 1; }
step() { echo "== $(date +%H:%M:%S) $*"; }

[ -f "$PROFILE" ] || die "no hardware profile $PROFILE (boards: $(cd "$ROOT/hardware" && ls *.toml | sed 's/.toml//' | tr '\n' ' '))"
case "$BOARD" in
  n100) ARCH=amd64; ELF_MACHINE="Advanced Micro Devices X86-64"; TRIPLET=x86_64-linux-gnu ;;
  rpi4|rpi5) ARCH=arm64; ELF_MACHINE="AArch64"; TRIPLET=aarch64-linux-gnu ;;
  *) die "board $BOARD has a profile but no image recipe (known: n100, rpi4, rpi5)" ;;
esac

# --- inputs, checked before anything slow ---------------------------------------------------------------
if [ "$ARCH" = amd64 ]; then
  if [ -z "${STOEP_BINARY:-}" ]; then
    make --no-print-directory -C "$ROOT" build >/dev/null
    STOEP_BINARY="$ROOT/.build/release/stoep"
  fi
else
  [ -n "${STOEP_BINARY:-}" ] || die "$BOARD needs an aarch64 stoep binary: build it on an arm64 machine
  (swift build -c release on Debian bookworm arm64 with Swift 6.3, see docs/deploy.md) and pass
  STOEP_BINARY=/path/to/stoep. No aarch64 Swift SDK can be installed on this machine."
  [ -n "${PI_FIRMWARE:-}" ] && [ -d "$PI_FIRMWARE" ] || die "$BOARD needs the Raspberry Pi firmware: pass
  PI_FIRMWARE=DIR, a copy of the boot/ folder of github.com/raspberrypi/firmware (with modules/ beside
  the kernels, see docs/deploy.md)."
fi
[ -f "$STOEP_BINARY" ] || die "no stoep binary at $STOEP_BINARY"
readelf -h "$STOEP_BINARY" 2>/dev/null | grep -q "Machine:.*$ELF_MACHINE" \
  || die "$STOEP_BINARY is not an $ELF_MACHINE executable (readelf -h says: $(readelf -h "$STOEP_BINARY" 2>&1 | grep Machine: | sed 's/ *Machine: *//'))"
if [ "$ARCH" = arm64 ]; then
  case "$BOARD" in
    rpi4) PI_FILES="start4.elf fixup4.dat bcm2711-rpi-4-b.dtb kernel8.img" ;;
    rpi5) PI_FILES="bcm2712-rpi-5-b.dtb kernel_2712.img" ;;
  esac
  for f in $PI_FILES; do [ -f "$PI_FIRMWARE/$f" ] || die "PI_FIRMWARE=$PI_FIRMWARE lacks $f (needed for $BOARD)"; done
  ls -d "$PI_FIRMWARE"/modules/*/ >/dev/null 2>&1 || die "PI_FIRMWARE=$PI_FIRMWARE lacks modules/<kernel version>/"
fi

# --- tools ------------------------------------------------------------------------------------------------
need=""
for tool in debootstrap:debootstrap mkfs.vfat:dosfstools mcopy:mtools sfdisk:fdisk mkfs.ext4:e2fsprogs; do
  command -v "${tool%%:*}" >/dev/null || need="$need ${tool#*:}"
done
[ "$ARCH" = arm64 ] && ! command -v qemu-aarch64-static >/dev/null && need="$need qemu-user-static binfmt-support"
if [ -n "$need" ]; then
  step "installing$need"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
MIRROR=${MIRROR:-$("$HERE/mirror.py")} || die "no Debian mirror found in /etc/apt/sources.list*; set MIRROR="

# --- the Debian base, cached per package set ----------------------------------------------------------------
# Minimal: systemd as init (networkd for DHCP, journald), udev and kmod for the hardware, the kernel,
# (amd64) systemd-boot's EFI binary, and the CA bundle for HTTPS backends; no resolved, no ssh, no cron.
# libstdc++6 and libgcc-s1 (stoep's shared libraries besides libc) come with apt in minbase.
PACKAGES="systemd,systemd-sysv,udev,kmod,dbus,iproute2,ca-certificates"
[ "$ARCH" = amd64 ] && PACKAGES="$PACKAGES,linux-image-amd64,systemd-boot-efi"
BASE="$WORK/base-$(echo "$SUITE $ARCH $MIRROR $PACKAGES" | sha256sum | cut -c1-12)"
mkdir -p "$WORK" "$OUT"
if [ ! -f "$BASE/.complete" ]; then
  step "debootstrap $SUITE $ARCH from $MIRROR"
  rm -rf "$BASE"
  if [ "$ARCH" = amd64 ]; then
    debootstrap --variant=minbase --arch=amd64 --include="$PACKAGES" "$SUITE" "$BASE" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log: $WORK/debootstrap.log)"; }
  else
    # Foreign architecture: unpack here, then run the second stage under qemu-user through binfmt_misc.
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
      || die "binfmt_misc has no qemu-aarch64 handler: the arm64 second stage cannot run here"
    debootstrap --foreign --variant=minbase --arch=arm64 --include="$PACKAGES" "$SUITE" "$BASE" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || die "debootstrap (first stage) failed (log: $WORK/debootstrap.log)"
    cp "$(command -v qemu-aarch64-static)" "$BASE/usr/bin/"
    chroot "$BASE" /debootstrap/debootstrap --second-stage >>"$WORK/debootstrap.log" 2>&1 \
      || die "debootstrap (second stage) failed (log: $WORK/debootstrap.log)"
    rm -f "$BASE/usr/bin/qemu-aarch64-static"
  fi
  rm -rf "$BASE"/var/cache/apt/archives/*.deb "$BASE"/var/lib/apt/lists/*_Packages
  touch "$BASE/.complete"
fi

# --- the root filesystem: base + stoep + the board's profile ---------------------------------------------
step "root filesystem"
RFS="$WORK/rootfs"
rm -rf "$RFS"
cp -a "$BASE" "$RFS"
rm -f "$RFS/.complete"
install -D -m 0755 "$STOEP_BINARY" "$RFS/usr/local/bin/stoep"
strip "$RFS/usr/local/bin/stoep" 2>/dev/null || true
# Every shared library stoep needs must be in the guest (readelf, not ldd: works for aarch64 too).
for lib in $(readelf -d "$RFS/usr/local/bin/stoep" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  ls "$RFS/usr/lib/$TRIPLET/$lib" "$RFS/lib/$TRIPLET/$lib" >/dev/null 2>&1 || die "the image lacks $lib, which stoep needs"
done
install -D -m 0644 "$PROFILE" "$RFS/usr/share/stoep/hardware/$BOARD.toml"
install -D -m 0644 "$ROOT/deploy/systemd/stoep.service" "$RFS/etc/systemd/system/stoep.service"
install -D -m 0644 "$ROOT/README.md" "$RFS/usr/share/doc/stoep/README.md"
install -D -m 0644 "$HERE/stoep.toml" "$RFS/etc/stoep/stoep.toml"
cp -r "$HERE/rootfs/." "$RFS/"
chmod 0755 "$RFS"/usr/local/lib/stoep/*
"$HERE/profile.py" "$PROFILE" "$RFS" >"$WORK/kernel-profile-args"
echo "$BOARD" >"$RFS/etc/stoep/board"
echo stoep >"$RFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tstoep\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$RFS/etc/hosts"
# The box resolves through stoep itself (debootstrap copied the build host's resolv.conf).
rm -f "$RFS/etc/resolv.conf"; echo "nameserver 127.0.0.1" >"$RFS/etc/resolv.conf"
# amd64: GPT, so systemd-repart can grow the root partition at boot (x-systemd.growfs then grows ext4).
# The Pi images use MBR (the boot ROM's format), which repart does not handle: no growing there.
if [ "$ARCH" = amd64 ]; then BOOTDIR=/boot/efi; GROWFS=,x-systemd.growfs; else BOOTDIR=/boot/firmware; GROWFS=; rm -rf "$RFS/etc/repart.d"; fi
cat >"$RFS/etc/fstab" <<EOF
# The root filesystem, and the boot partition that carries the kernel and the box's configuration
# (stoep/stoep.toml, read at every boot by stoep-boot-config.service).
LABEL=stoep-root  /           ext4  defaults,noatime,errors=remount-ro$GROWFS  0 1
LABEL=STOEPBOOT   $BOOTDIR  vfat  defaults,umask=0077,nofail,x-systemd.device-timeout=60s  0 2
EOF
mkdir -p "$RFS$BOOTDIR"
sed -i "s|@BOOTDIR@|$BOOTDIR|g" "$RFS"/etc/systemd/system/stoep-boot-config.service "$RFS"/usr/local/lib/stoep/*
systemctl --root="$RFS" enable stoep.service stoep-boot-config.service stoep-console-info.service \
  systemd-networkd.service >/dev/null 2>&1 || die "systemctl --root enable failed"
systemctl --root="$RFS" disable apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
# Smaller: no translations, manual pages or docs besides the licences (now and for later installs), and no
# kernel modules an appliance has no use for (sound, cameras/TV, InfiniBand, staging, other vendors' GPUs).
printf 'path-exclude=/usr/share/locale/*\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\npath-include=/usr/share/doc/stoep/*\n' \
  >"$RFS/etc/dpkg/dpkg.cfg.d/stoep-minimal"
rm -rf "$RFS"/usr/share/locale/* "$RFS"/usr/share/man/*
find "$RFS/usr/share/doc" -mindepth 2 ! -name copyright ! -path "*/doc/stoep/*" ! -type d -delete 2>/dev/null || true
for kdir in "$RFS"/lib/modules/*/kernel; do
  rm -rf "$kdir/sound" "$kdir/drivers/media" "$kdir/drivers/infiniband" "$kdir/drivers/staging" \
         "$kdir"/drivers/gpu/drm/{amd,nouveau,radeon}
  if [ "$ARCH" = amd64 ]; then chroot "$RFS" depmod "$(basename "$(dirname "$kdir")")"; fi
done
: >"$RFS/etc/machine-id"
rm -f "$RFS/var/lib/dbus/machine-id"

# --- kernel, initrd and the boot partition ---------------------------------------------------------------
step "boot partition"
CMDLINE="root=LABEL=stoep-root ro $(cat "$WORK/kernel-profile-args")"
BOOTFS="$WORK/boot.vfat"
rm -f "$BOOTFS"
mkfs.vfat -F 32 -n STOEPBOOT -C "$BOOTFS" $((BOOT_MB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$BOOTFS" ::/stoep
mcopy -i "$BOOTFS" "$HERE/stoep.toml" ::/stoep/stoep.toml
mcopy -i "$BOOTFS" "$HERE/boot/box.conf" ::/stoep/box.conf
mcopy -i "$BOOTFS" "$HERE/boot/README.txt" ::/stoep/README.txt
if [ "$ARCH" = amd64 ]; then
  KVER=$(ls "$RFS/lib/modules" | sort -V | tail -1)
  cp "$RFS/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
  cp "$RFS/boot/initrd.img-$KVER" "$OUT/initrd.img"
  # UEFI: systemd-boot as the removable-media loader, one entry; the N100 boxes boot UEFI only.
  mmd -i "$BOOTFS" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
  mcopy -i "$BOOTFS" "$RFS/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$BOOTFS" "$OUT/vmlinuz" ::/vmlinuz
  mcopy -i "$BOOTFS" "$OUT/initrd.img" ::/initrd.img
  printf 'default stoep.conf\ntimeout 2\nconsole-mode keep\n' >"$WORK/loader.conf"
  printf 'title stoep (%s)\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s quiet console=ttyS0,115200 console=tty0\n' \
    "$BOARD" "$CMDLINE" >"$WORK/stoep.conf"
  mcopy -i "$BOOTFS" "$WORK/loader.conf" ::/loader/loader.conf
  mcopy -i "$BOOTFS" "$WORK/stoep.conf" ::/loader/entries/stoep.conf
  PTABLE=gpt
else
  # Raspberry Pi: the boot ROM/EEPROM reads config.txt, the firmware and the kernel from the first FAT
  # partition of an MBR disk; the Pi kernel has no initrd here, so root is named by PARTUUID.
  DISKID=0x$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
  CMDLINE="root=PARTUUID=${DISKID#0x}-02 rootfstype=ext4 rootwait ro $(cat "$WORK/kernel-profile-args") console=serial0,115200 console=tty1"
  (cd "$PI_FIRMWARE" && for f in *; do [ "$f" = modules ] || mcopy -s -i "$BOOTFS" "$f" ::/; done)
  cp -r "$PI_FIRMWARE"/modules/* "$RFS/lib/modules/"
  if [ "$BOARD" = rpi5 ]; then KERNEL=kernel_2712.img; else KERNEL=kernel8.img; fi
  printf 'arm_64bit=1\nkernel=%s\nenable_uart=1\ndisable_splash=1\n' "$KERNEL" >"$WORK/config.txt"
  echo "$CMDLINE" >"$WORK/cmdline.txt"
  mcopy -o -i "$BOOTFS" "$WORK/config.txt" ::/config.txt
  mcopy -o -i "$BOOTFS" "$WORK/cmdline.txt" ::/cmdline.txt
  PTABLE=dos
fi
echo "$CMDLINE" >"$OUT/cmdline"

# --- root filesystem image and the disk ----------------------------------------------------------------------
step "ext4 root filesystem (mkfs.ext4 -d)"
USED_MB=$(du -sm "$RFS" | cut -f1)
ROOT_MB=$(( (USED_MB * 115 / 100) + ROOT_FREE_MB ))
ROOTFS_IMG="$WORK/root.ext4"
rm -f "$ROOTFS_IMG"
mkfs.ext4 -q -F -L stoep-root -d "$RFS" "$ROOTFS_IMG" "${ROOT_MB}M" >/dev/null

step "disk image"
IMG="$OUT/stoep-$BOARD.img"
rm -f "$IMG"
truncate -s $(( (1 + BOOT_MB + ROOT_MB + 1) * 1024 * 1024 )) "$IMG"
if [ "$PTABLE" = gpt ]; then
  sfdisk -q "$IMG" <<EOF
label: gpt
start=1MiB, size=${BOOT_MB}MiB, type=uefi, name=STOEPBOOT
start=$((1 + BOOT_MB))MiB, size=${ROOT_MB}MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=stoep-root
EOF
else
  sfdisk -q "$IMG" <<EOF
label: dos
label-id: $DISKID
start=1MiB, size=${BOOT_MB}MiB, type=c, bootable
start=$((1 + BOOT_MB))MiB, size=${ROOT_MB}MiB, type=83
EOF
fi
dd if="$BOOTFS" of="$IMG" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$ROOTFS_IMG" of="$IMG" bs=1M seek=$((1 + BOOT_MB)) conv=notrunc,sparse status=none
rm -f "$BOOTFS" "$ROOTFS_IMG"
step "done: $IMG ($(du -h --apparent-size "$IMG" | cut -f1) apparent, $(du -h "$IMG" | cut -f1) allocated; root filesystem ${USED_MB} MB used of ${ROOT_MB} MB)"
