"""deploy/: the systemd unit verifies with systemd-analyze, and stoep speaks the notify protocol."""
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, Stoep, free_port

UNIT = ROOT / "deploy" / "systemd" / "stoep.service"


def make_root(tmp_path, with_binary=True):
    """A root directory for `systemd-analyze verify --root`: the unit, the binary where the unit
    expects it, /bin/kill for ExecReload, and the standard targets the unit orders against."""
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "usr/local/bin").mkdir(parents=True)
    (root / "bin").mkdir(parents=True)
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/stoep.service")
    if with_binary:
        shutil.copy(BINARY, root / "usr/local/bin/stoep")
    shutil.copy("/bin/kill", root / "bin/kill")
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        shutil.copy(target, units / target.name)
    return root


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    root = make_root(tmp_path)
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "stoep.service"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = UNIT.read_text()
    for line in ["Type=notify", "WatchdogSec=", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "RuntimeDirectory=stoep", "LogsDirectory=stoep", "Restart=on-failure"]:
        assert line in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_verify_catches_a_missing_binary(tmp_path):
    root = make_root(tmp_path, with_binary=False)
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "stoep.service"], capture_output=True, text=True)
    assert r.returncode != 0 and "stoep" in r.stderr


def receive_until(sock, done, limit=20):
    """Datagrams up to and including the first for which `done` holds (bounded)."""
    msgs = []
    for _ in range(limit):
        msgs.append(sock.recv(4096).decode())
        if done(msgs[-1]):
            return msgs
    raise AssertionError(msgs)


def test_notify_ready_reloading_stopping_and_watchdog(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    listener.bind(path)
    listener.settimeout(5)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000", RUNTIME_DIRECTORY=str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    cfg = tmp_path / "s.toml"
    cfg.write_text(f'[[forward]]\nlisten = "127.0.0.1:{free_port()}"\nupstream = "127.0.0.1:9"\n')
    p = subprocess.Popen([str(BINARY), "run", "--config", str(cfg)], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        first = listener.recv(4096).decode()
        assert first.startswith("READY=1") and "STATUS=" in first
        # The stats socket went to $RUNTIME_DIRECTORY, as the unit arranges.
        assert (tmp_path / "run" / "stoep.sock").exists()
        assert listener.recv(4096) == b"WATCHDOG=1"  # every WatchdogSec/2 = 0.2 s
        p.send_signal(1)
        msgs = receive_until(listener, lambda m: m.startswith("READY=1"))
        assert any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in msgs), msgs
        p.terminate()
        msgs = receive_until(listener, lambda m: m == "STOPPING=1")
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
        listener.close()


def shared_fixtures():
    """../shared beside the checkout (as CI lays it out), else the work area's copy."""
    for base in (ROOT.parent / "shared", Path("/work/shared")):
        if (base / "fixtures" / "inethi").is_dir():
            return base / "fixtures" / "inethi"
    pytest.skip("shared/fixtures not found")


def test_migrate_turns_the_fixture_files_into_a_config_that_checks(tmp_path):
    fixtures = shared_fixtures()
    dnsmasq = tmp_path / "dnsmasq.conf"
    dnsmasq.write_text((fixtures / "dnsmasq.conf").read_text() + "dhcp-range=192.168.1.50,192.168.1.150,12h\n")
    r = subprocess.run([str(BINARY), "migrate", "--dnsmasq-conf", str(dnsmasq),
                        "--traefik-config", str(fixtures / "traefik.toml")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "stoep.toml"
    out.write_text(r.stdout)
    assert 'address = "/inethilocal.net/192.168.1.2"' in r.stdout
    assert 'server = ["1.0.0.1", "1.1.1.1"]' in r.stdout and "strict-order = true" in r.stdout
    assert "[entryPoints.websecure]" in r.stdout
    assert "dhcp-range" in r.stderr and "port=0" in r.stderr  # reported, with the way out
    check = subprocess.run([str(BINARY), "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_swarm_stack_files_check(tmp_path):
    """deploy/swarm/: the static configuration every node's stoep runs and the node file it takes pass
    `stoep check` (the stack itself needs several nodes: docs/cluster.md)."""
    node = tmp_path / "node.toml"
    node.write_text('[autoDNS]\naddress = "192.168.1.11"\n[cluster]\naddress = ":8443"\n')
    swarm = ROOT / "deploy" / "swarm"
    argv = [str(BINARY), "check", "--traefik-config", str(swarm / "traefik.yml"), "--dnsmasq-conf", str(swarm / "dnsmasq.conf"),
            "--config", str(node)]
    # The stack passes the service's name to the channel (STOEP_CLUSTER_SERVICE: "{{.Service.Name}}").
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env={**os.environ, "STOEP_CLUSTER_SERVICE": "edge_stoep"})
    assert r.returncode == 0, r.stdout + r.stderr
    # Without it the channel cannot tell its peers from the other tasks: refused with the file and the way out.
    env = {k: v for k, v in os.environ.items() if k != "STOEP_CLUSTER_SERVICE"}
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode != 0 and "[cluster]: needs service" in r.stdout + r.stderr and str(node) in r.stdout + r.stderr
