"""deploy/image: the fast parts of the disk-image builder (the image itself and its qemu boot are
`make image` / `make image-test`, outside `make test`: docs/deploy.md)."""
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import BINARY, ROOT

IMAGE = ROOT / "deploy" / "image"


@pytest.mark.parametrize("board", ["n100", "rpi4", "rpi5"])
def test_profile_becomes_sysctl_journald_and_service_files(tmp_path, board):
    profile_path = ROOT / "hardware" / f"{board}.toml"
    profile = tomllib.loads(profile_path.read_text())
    r = subprocess.run([str(IMAGE / "profile.py"), str(profile_path), str(tmp_path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"cpufreq.default_governor={profile['cpu']['governor']}"
    sysctl = (tmp_path / f"etc/sysctl.d/60-stoep-{board}.conf").read_text()
    for key, value in profile["sysctl"].items():
        assert f"\n{key} = {value}\n" in sysctl
    assert sysctl.count("\n# ") >= len(profile["sysctl"])  # each value keeps its reason
    journald = (tmp_path / "etc/systemd/journald.conf.d/60-stoep.conf").read_text()
    assert f"Storage={profile['journald']['Storage']}" in journald
    dropin = (tmp_path / "etc/systemd/system/stoep.service.d/profile.conf").read_text()
    assert f"--profile {board}" in dropin and "ExecStart=\n" in dropin


@pytest.mark.parametrize("board,env,message", [
    ("rpi4", {}, "needs an aarch64 stoep binary"),
    ("rpi5", {"STOEP_BINARY": "/bin/true"}, "needs the Raspberry Pi firmware"),
    ("nope", {}, "no hardware profile"),
])
def test_builder_stops_at_once_on_missing_inputs(tmp_path, board, env, message):
    clean = {k: v for k, v in os.environ.items() if k not in ("STOEP_BINARY", "PI_FIRMWARE")}
    r = subprocess.run([str(IMAGE / "build.sh"), board], capture_output=True, text=True, timeout=30,
                       env={**clean, **env, "OUT": str(tmp_path)})
    assert r.returncode != 0 and message in r.stderr, r.stderr


def test_builder_refuses_a_binary_of_the_wrong_architecture(tmp_path):
    firmware = tmp_path / "fw"
    firmware.mkdir()
    r = subprocess.run([str(IMAGE / "build.sh"), "rpi4"], capture_output=True, text=True, timeout=30,
                       env={**os.environ, "STOEP_BINARY": str(ROOT / ".build/release/stoep"),
                            "PI_FIRMWARE": str(firmware), "OUT": str(tmp_path)})
    assert r.returncode != 0 and "is not an AArch64 executable" in r.stderr, r.stderr


def test_mirror_is_the_one_apt_uses():
    r = subprocess.run([str(IMAGE / "mirror.py")], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        pytest.skip("no Debian main archive in this machine's apt sources")
    sources = "".join(open(p).read() for p in ["/etc/apt/sources.list"] + [
        os.path.join("/etc/apt/sources.list.d", f) for f in os.listdir("/etc/apt/sources.list.d")]
        if os.path.isfile(p))
    assert r.stdout.strip() in sources and "security" not in r.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_image_units_verify(tmp_path):
    """The image's own units (boot-partition configuration, console banner) beside stoep.service, in a
    root laid out as build.sh lays it (the @BOOTDIR@ placeholder filled in)."""
    root = tmp_path / "root"
    shutil.copytree(IMAGE / "rootfs", root, symlinks=True)
    for path in [root / "etc/systemd/system/stoep-boot-config.service", *(root / "usr/local/lib/stoep").iterdir()]:
        path.write_text(path.read_text().replace("@BOOTDIR@", "/boot/efi"))
    shutil.copy(ROOT / "deploy/systemd/stoep.service", root / "etc/systemd/system/stoep.service")
    (root / "usr/local/bin").mkdir(parents=True)
    shutil.copy(BINARY, root / "usr/local/bin/stoep")
    (root / "bin").mkdir()
    shutil.copy("/bin/kill", root / "bin/kill")
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True)
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        shutil.copy(target, units / target.name)
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "stoep-boot-config.service",
                        "stoep-console-info.service", "stoep.service"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Unknown" not in r.stderr and "Invalid" not in r.stderr, r.stderr
