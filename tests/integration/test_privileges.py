"""Privileges that still work after `user =` dropped root (docs/security.md, "Privileges"): stoep runs as
root and drops to a throwaway system user made here (useradd; removed at the end), or starts as systemd's
unit would start it (a DynamicUser-like uid with no passwd entry, the unit's ambient capability, bounding
set, NoNewPrivileges and SupplementaryGroups, applied by setpriv: PID 1 here is not systemd, so
`systemd-run` cannot run the unit itself). Each test checks one consequence of the drop:
supplementary groups, the stats socket's owner and mode, binding a port below 1024 on SIGHUP, the Docker
socket reached through a group after the daemon restarts, and certificate files the user cannot read."""
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BINARY, Stoep, free_port, stats_query
from podman_api import PodmanAPI, available as podman_available
from tls_certs import CA
from upstreams import EchoServer

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "stoep.service"
DOCKER_DROPIN = ROOT / "deploy" / "systemd" / "stoep.service.d" / "docker.conf"
CAP_NET_BIND_SERVICE = 1 << 10

pytestmark = pytest.mark.skipif(os.getuid() != 0 or not shutil.which("useradd"), reason="needs root and useradd")


class Account:
    """A system user `user` (primary group of its own name, member of `listed` through /etc/group) and
    two more groups, `extra` and `primary`, that only the configuration names."""

    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.user, self.listed, self.extra, self.primary = f"stpu{tag}", f"stpl{tag}", f"stpx{tag}", f"stpp{tag}"
        for g in (self.listed, self.extra, self.primary):
            subprocess.run(["groupadd", "--system", g], check=True, capture_output=True)
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group",
                        "--groups", self.listed, self.user], check=True, capture_output=True)
        self.uid = pwd.getpwnam(self.user).pw_uid
        self.own_gid = pwd.getpwnam(self.user).pw_gid
        self.gid = {g: grp.getgrnam(g).gr_gid for g in (self.listed, self.extra, self.primary)}

    def remove(self):
        subprocess.run(["userdel", self.user], capture_output=True)
        for g in (self.listed, self.extra, self.primary, self.user):
            subprocess.run(["groupdel", g], capture_output=True)


@pytest.fixture(scope="module")
def account():
    a = Account()
    yield a
    a.remove()


@pytest.fixture
def workdir():
    """A directory the dropped user can traverse (pytest's tmp_path sits under a 0700 directory)."""
    d = Path(tempfile.mkdtemp(prefix="stoep-priv-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def proc_status(pid):
    return {k: v.strip() for k, v in (line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())}


def low_port():
    """A TCP port below 1024 free on 127.0.0.1 (the test runs as root, so it may bind to check)."""
    for p in range(900, 1000):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    pytest.skip("no free port below 1024")


def echo_through(port, payload=b"ping"):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as c:
        c.sendall(payload)
        return c.recv(100)


def config_errors(s):
    return s.stats("show config-errors")["errors"]


def connect_as(uid, gid, groups, path):
    """Connects to the unix socket `path` as uid/gid/groups (setpriv); the exit status says how it went."""
    code = f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(path)!r}); s.sendall(b'show info\\n'); print(len(s.recv(100)))"
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", f"--groups={','.join(map(str, groups)) or gid}",
                           "/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=10)


def test_groups_and_capability_kept_after_the_drop(workdir, backend, account):
    """user= keeps the user's groups from the group database (initgroups), group= sets the primary group
    (dnsmasq's group=), groups= adds groups by name or number; CAP_NET_BIND_SERVICE alone stays, in the
    permitted and effective sets, not ambient (a DNS-01 hook exec'd by stoep does not inherit it)."""
    s = Stoep(workdir, backend)
    cfg = s.write_config(f'user = "{account.user}"\ngroup = "{account.primary}"\ngroups = ["{account.extra}", "54321"]\n'
                         f'[[forward]]\nlisten = "127.0.0.1:{free_port()}"\nupstream = "127.0.0.1:9"\n')
    try:
        s.start(config=cfg)
        st = proc_status(s.pid)
        assert st["Uid"].split() == [str(account.uid)] * 4
        assert st["Gid"].split() == [str(account.gid[account.primary])] * 4
        assert set(map(int, st["Groups"].split())) == {account.gid[account.listed], account.gid[account.primary],
                                                      account.gid[account.extra], 54321}
        assert int(st["CapEff"], 16) == CAP_NET_BIND_SERVICE and int(st["CapPrm"], 16) == CAP_NET_BIND_SERVICE
        assert int(st["CapAmb"], 16) == 0
    finally:
        s.stop()


def test_unknown_user_or_group_refused_before_binding(workdir, backend, account):
    s = Stoep(workdir, backend)
    port = free_port()
    cfg = s.write_config(f'user = "{account.user}"\ngroups = ["no-such-group-stoep"]\n'
                         f'[[forward]]\nlisten = "127.0.0.1:{port}"\nupstream = "127.0.0.1:9"\n')
    with pytest.raises(RuntimeError, match="groups: no-such-group-stoep: no such group"):
        s.start(config=cfg)
    s.stop()
    (workdir / "bad.toml").write_text('groups = ["docker"]\n')
    r = subprocess.run([str(BINARY), "check", "--config", str(workdir / "bad.toml")], capture_output=True, text=True)
    assert r.returncode != 0 and "groups: only with user" in r.stdout + r.stderr


def test_stats_socket_created_with_final_owner_and_mode(workdir, backend, account):
    """0660, owned by the user and its primary group from the start: the group's members may ask, nobody
    else. No chmod after the fact: strace shows umask around bind and the owner set before listen."""
    trace = workdir / "strace.log"
    wrapper = workdir / "traced-stoep"
    wrapper.write_text(f"#!/bin/sh\nexec strace -f -o {trace} -e trace=umask,bind,listen,chmod,fchmod,fchmodat,"
                       f"chown,lchown,fchown,fchownat {BINARY} \"$@\"\n")
    wrapper.chmod(0o755)
    s = Stoep(workdir, backend)
    cfg = s.write_config(f'user = "{account.user}"\n[[forward]]\nlisten = "127.0.0.1:{free_port()}"\nupstream = "127.0.0.1:9"\n')
    if not shutil.which("strace"):
        wrapper = BINARY
    try:
        s.start(config=cfg, binary=wrapper)
        st = os.lstat(s.sock)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
        assert (st.st_uid, st.st_gid) == (account.uid, account.own_gid)
        ok = connect_as(account.uid + 0, account.own_gid, [account.own_gid], s.sock)
        assert ok.returncode == 0 and int(ok.stdout) > 0, ok.stderr
        nobody = pwd.getpwnam("nobody")
        refused = connect_as(nobody.pw_uid, nobody.pw_gid, [nobody.pw_gid], s.sock)
        assert refused.returncode != 0 and "PermissionError" in refused.stderr
        if wrapper != BINARY:
            lines = [l for l in trace.read_text().splitlines() if str(s.sock) in l or "umask" in l]
            calls = [re.sub(r"^\d+\s+", "", l).split("(")[0] for l in lines]
            assert "chmod" not in calls and "fchmodat" not in calls, lines
            i = calls.index("bind")
            assert calls[i - 1] == "umask" and "0117" in lines[i - 1], lines
            assert calls[i + 1] == "umask" and calls[i + 2] in ("chown", "lchown", "fchownat"), lines
            assert f"{account.uid}, {account.own_gid}" in lines[i + 2], lines
    finally:
        if wrapper != BINARY and s.proc and s.proc.poll() is None:
            # The traced stoep is strace's child: end it, strace follows.
            children = Path(f"/proc/{s.pid}/task/{s.pid}/children").read_text().split()
            for c in children:
                os.kill(int(c), signal.SIGTERM)
            s.proc.wait(15)
        s.stop()


def test_reload_binds_a_port_below_1024_after_the_drop(workdir, backend, account):
    echo = EchoServer()
    s = Stoep(workdir, backend)
    high = free_port()
    base = f'user = "{account.user}"\n[[forward]]\nlisten = "127.0.0.1:{high}"\nupstream = "127.0.0.1:{echo.port}"\n'
    cfg = s.write_config(base)
    cfg.chmod(0o644)
    try:
        s.start(config=cfg)
        assert echo_through(high) == b"ping"
        low = low_port()
        cfg.write_text(base + f'[[forward]]\nname = "low"\nlisten = "127.0.0.1:{low}"\nupstream = "127.0.0.1:{echo.port}"\n')
        s.signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                if echo_through(low) == b"ping":
                    break
            except OSError:
                time.sleep(0.05)
        assert echo_through(low) == b"ping", s.log_text()
        assert config_errors(s) == []
    finally:
        s.stop()
        echo.close()


def test_unreadable_certificate_named_and_renewal_seen_once_readable(workdir, backend, account):
    """A 0600 root key read at start keeps serving after the drop; `show config-errors` names the file the
    user cannot read; a renewal while it is unreadable keeps the old certificate; once the file is made
    readable by the user's group, the next renewal is served and the line is gone."""
    ca = CA()
    certs = workdir / "certs"
    certs.mkdir()
    certs.chmod(0o755)
    crt, key = ca.write(certs, "app", ["app.test"])
    crt.chmod(0o644)
    key.chmod(0o600)
    port = free_port()
    dyn = workdir / "dynamic.yml"
    dyn.write_text('http:\n  routers:\n    app: {rule: "Host(`app.test`)", service: app}\n'
                   '  services:\n    app: {loadBalancer: {servers: [{url: "http://127.0.0.1:9"}]}}\n'
                   f'tls:\n  certificates:\n    - {{certFile: "{crt}", keyFile: "{key}"}}\n')
    dyn.chmod(0o644)
    static = workdir / "traefik.yml"
    static.write_text(f'entryPoints:\n  websecure:\n    address: "127.0.0.1:{port}"\n    http:\n      tls: {{}}\n'
                      f'providers:\n  file: {{filename: "{dyn}"}}\n')
    s = Stoep(workdir, backend)
    cfg = s.write_config(f'user = "{account.user}"\n')

    def served_serial():
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=3), server_hostname="app.test") as t:
            from cryptography import x509
            return x509.load_der_x509_certificate(t.getpeercert(binary_form=True)).serial_number

    def serial_of(path):
        from cryptography import x509
        return x509.load_pem_x509_certificate(path.read_bytes()).serial_number

    def key_lines():
        return [e for e in config_errors(s) if e["source"] == str(key)]

    try:
        s.start("--traefik-config", str(static), config=cfg)
        first = serial_of(crt)
        assert served_serial() == first
        lines = key_lines()
        assert len(lines) == 1 and f"cannot be read by user {account.user}" in lines[0]["message"], config_errors(s)
        assert "permission denied" in lines[0]["message"].lower()
        # A renewal the user cannot read: the certificate read at start keeps serving.
        new_crt, new_key = ca.issue(["app.test"])
        key.write_bytes(new_key)
        crt.write_bytes(new_crt)
        time.sleep(0.5)
        assert served_serial() == first
        assert key_lines()
        # Readable by the user's group: the next renewal is read, the line is gone.
        os.chown(key, 0, account.own_gid)
        key.chmod(0o640)
        newest_crt, newest_key = ca.issue(["app.test"])
        key.write_bytes(newest_key)
        crt.write_bytes(newest_crt)
        deadline = time.time() + 5
        while time.time() < deadline and served_serial() != serial_of(crt):
            time.sleep(0.05)
        assert served_serial() == serial_of(crt) != first
        assert key_lines() == []
    finally:
        s.stop()


def unit_settings():
    """The unit's (and its Docker drop-in's) settings that decide what the process may do."""
    out = {}
    for f in (UNIT, DOCKER_DROPIN):
        for line in f.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def unit_wrapper(workdir, uid, gid, groups):
    """A script starting stoep as the unit does: uid/gid with no passwd entry (DynamicUser picks one in
    61184-65519), SupplementaryGroups, AmbientCapabilities and CapabilityBoundingSet, NoNewPrivileges."""
    u = unit_settings()
    assert u["DynamicUser"] == "yes" and u["NoNewPrivileges"] == "yes"
    caps = ",".join("+" + c.lower().removeprefix("cap_") for c in u["AmbientCapabilities"].split())
    bounding = ",".join("+" + c.lower().removeprefix("cap_") for c in u["CapabilityBoundingSet"].split())
    w = workdir / "as-unit"
    w.write_text(f"#!/bin/sh\nexec setpriv --reuid={uid} --regid={gid} --groups={','.join(map(str, groups))} "
                 f"--inh-caps=-all,{caps} --ambient-caps=-all,{caps} --bounding-set=-all,{bounding} --no-new-privs "
                 f"{BINARY} \"$@\"\n")
    w.chmod(0o755)
    return w


# A uid in DynamicUser's range (61184-65519) with no passwd entry.
DYNAMIC_UID = 61900 + os.getpid() % 1000


def runtime_directory(workdir, uid):
    """RuntimeDirectory=stoep with RuntimeDirectoryMode=0750: owned by the dynamic user."""
    runtime = workdir / "run"
    runtime.mkdir(exist_ok=True)
    os.chown(runtime, uid, uid)
    runtime.chmod(0o750)
    return runtime


def test_systemd_unit_semantics_bind_and_reload_low_ports(workdir, backend):
    """The unit's DynamicUser with AmbientCapabilities=CAP_NET_BIND_SERVICE: no user= in the configuration,
    ports below 1024 bound at start and on SIGHUP, the stats socket in the RuntimeDirectory owned by the
    dynamic user."""
    uid = DYNAMIC_UID
    echo = EchoServer()
    s = Stoep(workdir, backend)
    s.sock = runtime_directory(workdir, uid) / "stoep.sock"
    first = low_port()
    base = f'[[forward]]\nlisten = "127.0.0.1:{first}"\nupstream = "127.0.0.1:{echo.port}"\n'
    cfg = s.write_config(base)
    cfg.chmod(0o644)
    try:
        s.start(config=cfg, binary=unit_wrapper(workdir, uid, uid, [uid]))
        st = proc_status(s.pid)
        assert st["Uid"].split() == [str(uid)] * 4 and st["NoNewPrivs"] == "1"
        assert int(st["CapAmb"], 16) == CAP_NET_BIND_SERVICE
        assert echo_through(first) == b"ping"
        sock = os.lstat(s.sock)
        assert (sock.st_uid, stat.S_IMODE(sock.st_mode)) == (uid, 0o660)
        with socket.socket() as hold:  # the next free low port, held until stoep is told to take it
            hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            second = next(p for p in range(first + 1, 1000) if hold.connect_ex(("127.0.0.1", p)) != 0)
        cfg.write_text(base + f'[[forward]]\nname = "second"\nlisten = "127.0.0.1:{second}"\nupstream = "127.0.0.1:{echo.port}"\n')
        s.signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                if echo_through(second) == b"ping":
                    break
            except OSError:
                time.sleep(0.05)
        assert echo_through(second) == b"ping", s.log_text()
    finally:
        s.stop()
        echo.close()


def test_unit_file_verifies():
    """systemd-analyze verify on the unit and its Docker drop-in (offline: PID 1 is not systemd here)."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze missing")
    d = Path(tempfile.mkdtemp(prefix="stoep-unit-"))
    try:
        shutil.copy(UNIT, d / "stoep.service")
        (d / "stoep.service.d").mkdir()
        shutil.copy(DOCKER_DROPIN, d / "stoep.service.d" / "docker.conf")
        text = (d / "stoep.service").read_text().replace("/usr/local/bin/stoep", str(BINARY))
        (d / "stoep.service").write_text(text)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(d / "stoep.service")],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{d}:"})
        out = r.stdout + r.stderr
        bad = [l for l in out.splitlines() if any(w in l for w in ("Unknown", "Invalid", "Failed", "rror"))]
        assert r.returncode == 0 and not bad, out
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def docker_api(workdir):
    if not podman_available():
        pytest.skip("podman, runc or busybox-static missing")
    api = PodmanAPI(workdir / "podman")
    api.start()
    yield api
    api.stop_service()


def give_socket_to(api, gid):
    """root:GROUP 0660 in a directory anyone may traverse, as dockerd makes /run/docker.sock."""
    os.chown(api.sock, 0, gid)
    api.sock.chmod(0o660)
    api.sock.parent.chmod(0o755)


@pytest.mark.parametrize("start", ["user", "unit"])
def test_docker_socket_reached_through_a_group_after_daemon_restart(workdir, backend, account, docker_api, start):
    """The Docker socket (root:GROUP 0660, as Docker makes it with its `docker` group) is connected again
    after the daemon restarts, as the dropped user through `groups = [GROUP]` (or, under the unit,
    SupplementaryGroups=). Without the group, `show config-errors` names the socket."""
    group = account.gid[account.extra]
    give_socket_to(docker_api, group)
    s = Stoep(workdir, backend)
    web = free_port()
    docker = f'[entryPoints.web]\naddress = "127.0.0.1:{web}"\n[providers.docker]\nendpoint = "{docker_api.endpoint}"\n'
    if start == "user":
        cfg = s.write_config(f'user = "{account.user}"\ngroups = ["{account.extra}"]\n' + docker)
        binary = None
    else:
        cfg = s.write_config(docker)
        s.sock = runtime_directory(workdir, DYNAMIC_UID) / "stoep.sock"
        binary = unit_wrapper(workdir, DYNAMIC_UID, DYNAMIC_UID, [group])
    cfg.chmod(0o644)

    def synchronised():
        return s.stats("show info").get("docker", {}).get("synchronised")

    try:
        s.start(config=cfg, binary=binary)
        deadline = time.time() + 10
        while time.time() < deadline and not synchronised():
            time.sleep(0.05)
        assert synchronised()
        docker_api.stop_service()
        deadline = time.time() + 5
        while time.time() < deadline and synchronised():
            time.sleep(0.05)
        docker_api.start()
        give_socket_to(docker_api, group)
        deadline = time.time() + 15
        while time.time() < deadline and not synchronised():
            time.sleep(0.1)
        assert synchronised(), s.log_text()
        assert not [e for e in config_errors(s) if e["source"] == str(docker_api.sock)]
    finally:
        s.stop()
    if start == "user":
        # Without the group: reported by name.
        s2 = Stoep(workdir, backend)
        s2.sock = workdir / "stoep2.sock"
        cfg = s2.write_config(f'user = "{account.user}"\n' + docker.replace(str(web), str(free_port())), name="nogroup.toml")
        try:
            s2.start(config=cfg)
            lines = [e for e in config_errors(s2) if e["source"] == str(docker_api.sock)]
            assert len(lines) == 1 and "Docker socket" in lines[0]["message"] and "groups" in lines[0]["message"], config_errors(s2)
        finally:
            s2.stop()


def test_dnsmasq_conf_user_and_group_drop_the_same_way(workdir, backend, account):
    """dnsmasq's user= and group= in dnsmasq.conf drop privileges as stoep's own keys do (no longer
    'not supported, ignored'); written differently in stoep.toml they are refused."""
    s = Stoep(workdir, backend)
    conf = workdir / "dnsmasq.conf"
    conf.write_text(f"port={free_port()}\nlisten-address=127.0.0.1\nno-resolv\nuser={account.user}\ngroup={account.primary}\n")
    conf.chmod(0o644)
    try:
        s.start("--dnsmasq-conf", str(conf))
        st = proc_status(s.pid)
        assert st["Uid"].split() == [str(account.uid)] * 4
        assert st["Gid"].split() == [str(account.gid[account.primary])] * 4
        assert "not supported" not in s.log_text()
    finally:
        s.stop()
    (workdir / "other.toml").write_text('user = "nobody"\n')
    r = subprocess.run([str(BINARY), "check", "--config", str(workdir / "other.toml"), "--dnsmasq-conf", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and f"user={account.user} disagrees with user = \"nobody\"" in r.stdout + r.stderr


def test_acme_storage_directory_the_user_cannot_write_is_named(workdir, backend, account):
    """acme.json is written by rename in its directory on each renewal: a root-only directory is named in
    `show config-errors`, with what to change."""
    port = free_port()
    store = workdir / "acme-root"
    store.mkdir()
    store.chmod(0o700)
    dyn = workdir / "dynamic.yml"
    dyn.write_text('http:\n  routers:\n    app: {rule: "Host(`app.test`)", service: app}\n'
                   '  services:\n    app: {loadBalancer: {servers: [{url: "http://127.0.0.1:9"}]}}\n')
    dyn.chmod(0o644)
    static = workdir / "traefik.yml"
    static.write_text(f'entryPoints:\n  websecure:\n    address: "127.0.0.1:{port}"\n    http:\n      tls: {{}}\n'
                      f'providers:\n  file: {{filename: "{dyn}"}}\n'
                      f'certificatesResolvers:\n  le:\n    acme:\n      email: admin@example.net\n'
                      f'      storage: "{store / "acme.json"}"\n      caServer: "https://127.0.0.1:9/directory"\n'
                      f'      httpChallenge: {{entryPoint: websecure}}\n')
    static.chmod(0o644)
    s = Stoep(workdir, backend)
    cfg = s.write_config(f'user = "{account.user}"\n')
    try:
        s.start("--traefik-config", str(static), config=cfg)
        lines = [e for e in config_errors(s) if e["source"] == str(store)]
        assert len(lines) == 1, config_errors(s)
        assert f"cannot be read and written by user {account.user}" in lines[0]["message"]
        assert "give that user the directory" in lines[0]["message"]
        os.chown(store, account.uid, account.own_gid)
        assert not [e for e in config_errors(s) if e["source"] == str(store)]
    finally:
        s.stop()
