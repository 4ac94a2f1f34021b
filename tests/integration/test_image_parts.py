"""deploy/image: the fast parts of the disk-image builder (the image itself and its qemu boot are
`make image` / `make image-test`, outside `make test`: docs/deploy.md)."""
import os
import subprocess
import tomllib

import pytest

from conftest import ROOT

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
