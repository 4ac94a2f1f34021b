"""The shipped unit under a real systemd (docs/security.md "Privileges", docs/deploy.md "The unit under a
real systemd"): deploy/systemd/stoep.service and its Docker drop-in, unchanged, started by systemd as PID 1
of a `systemd-nspawn --volatile=yes --boot` container of this machine's own /usr (systemd_machine.py).
Installed inside: the worktree's release binary at /usr/local/bin/stoep, /etc/stoep/stoep.toml (+ a file
provider file and pebble's CA), a `docker` group (systemd-sysusers, as Docker's package makes it) and
/run/docker.sock, root:docker 0660: a real Docker Engine API (podman's, podman_api.py) whose containers the
host starts. A real ACME server (pebble, acme_peer.py) runs on the host; the network is shared.

The checks, in order on one boot (~27 s, 15 s of it waiting for a watchdog ping; `slow`: it boots a
container and starts podman and pebble): the unit is active after READY=1, its process a DynamicUser (no
passwd entry, uid in 61184-65519) with the docker group, CAP_NET_BIND_SERVICE ambient and nothing else;
only its own directories writable; DNS on :53 and HTTP on :80; the stats socket in RuntimeDirectory= owned by the dynamic user, 0660; a container's
labels become a router through the Docker socket; acme.json restored into StateDirectory= as root 0600 is
read; a certificate obtained from pebble is written there and served on :443; the community CA is made
there; `systemctl reload` binds a new port below 1024; `systemctl restart` (a new process; DynamicUser may
pick another uid) reads the state again; watchdog pings arrive; `systemctl stop` is clean."""
import grp
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import dns.message
import dns.query
import pytest

from acme_peer import Pebble, have_pebble
from conftest import BINARY, free_port, stats_query
from podman_api import PodmanAPI, available as podman_available
from systemd_machine import SystemdMachine, unavailable
from tls_certs import CA, acme_json, san_names

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(unavailable() is not None, reason=f"no systemd container: {unavailable()}"),
              pytest.mark.skipif(not podman_available(), reason="podman, runc or busybox-static missing (make deps)"),
              pytest.mark.skipif(not have_pebble(), reason="pebble missing (make deps)")]

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "stoep.service"
DROPIN = ROOT / "deploy" / "systemd" / "stoep.service.d"
CAP_NET_BIND_SERVICE = 1 << 10
DYNAMIC_UIDS = range(61184, 65520)  # systemd's DynamicUser= range
ADDRESS = "127.0.0.1"  # the container shares the host's network: the unit's ports are the host's
# The executable the unit runs: the release build (what deploy/image installs), or STOEP_BINARY= (as for
# `make image`), e.g. the container's static build.
UNIT_BINARY = Path(os.environ.get("STOEP_BINARY") or BINARY)
PORTS = {"web": 80, "dns": 53, "reload": 81, "websecure": 443}
ACME_NAME = "unit.test"  # restored from a backup into StateDirectory= before the first start
ISSUED_NAME = "issued.test"  # issued by pebble to the running unit, written by the dynamic user
COMMUNITY_NAME = "community.lan"  # issued by the community CA the unit makes in StateDirectory=
# The file provider's file: one router per resolver on :443 (the service is never reached: the tests look
# at the certificate served).
DYNAMIC = f"""http:
  routers:
    issued:
      rule: "Host(`{ISSUED_NAME}`)"
      entryPoints: [websecure]
      service: nowhere
      tls: {{certResolver: le}}
    community:
      rule: "Host(`{COMMUNITY_NAME}`)"
      entryPoints: [websecure]
      service: nowhere
      tls: {{certResolver: community}}
  services:
    nowhere: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:9"}}]}}}}
"""


def docker_gid():
    """A gid for the container's `docker` group; the host's socket is chowned to the same number."""
    return next(g for g in range(980, 1000) if not any(x.gr_gid == g for x in grp.getgrall()))


def busy_ports():
    out = []
    for name, port in PORTS.items():
        kinds = [socket.SOCK_STREAM, socket.SOCK_DGRAM] if name == "dns" else [socket.SOCK_STREAM]
        for kind in kinds:
            with socket.socket(socket.AF_INET, kind) as s:
                # SO_REUSEADDR as stoep binds: connections the server closed linger in TIME_WAIT on :80.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((ADDRESS, port))
                except OSError:
                    out.append(port)
    return out


def config(pebble, extra=""):
    return f"""# test_systemd_unit.py: the unit's /etc/stoep/stoep.toml
[dns]
port = {PORTS["dns"]}
listen-address = ["{ADDRESS}"]
address = ["/unit.stoep.lan/192.0.2.80"]
no-resolv = true
no-hosts = true

[entryPoints.web]
address = "{ADDRESS}:{PORTS["web"]}"

[entryPoints.websecure]
address = "{ADDRESS}:{PORTS["websecure"]}"

[providers.file]
filename = "/etc/stoep/dynamic.yml"

[providers.docker]
endpoint = "unix:///run/docker.sock"
exposedByDefault = false

[certificatesResolvers.le.acme]
email = "admin@inethilocal.net"
storage = "/var/lib/stoep/acme.json"
caServer = "{pebble.directory}"
caCertificates = ["/etc/stoep/pebble-ca.pem"]
keyType = "EC256"
[certificatesResolvers.le.acme.httpChallenge]
entryPoint = "web"

# The community CA, made on first use in its default storage /var/lib/stoep/ca (StateDirectory=).
[certificatesResolvers.community.localCA]
{extra}"""


def write_config(directory, text):
    """Replaces stoep.toml by rename (as an editor or config management does), readable by anyone."""
    tmp = directory / "stoep.toml.tmp"
    tmp.write_text(text)
    tmp.chmod(0o644)
    tmp.rename(directory / "stoep.toml")


class Unit:
    """The booted container with the unit installed, and what the tests reach it through."""

    def __init__(self, machine, workdir, api, gid):
        self.machine, self.workdir, self.api, self.gid = machine, workdir, api, gid
        self.config_dir = workdir / "etc-stoep"

    def props(self, *names):
        return self.machine.show("stoep.service", *names)

    def main_status(self):
        pid = self.props("MainPID")["MainPID"]
        text = self.machine.run("cat", f"/proc/{pid}/status").stdout
        return {k: v.strip() for k, v in (l.split(":", 1) for l in text.splitlines())}

    @property
    def stats_path(self):
        return self.machine.path("/run/stoep/stoep.sock")

    def stats(self, command="show info"):
        return stats_query(self.stats_path, command)

    def journal(self):
        return self.machine.journal("stoep.service")

    def wait(self, check, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if check():
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        try:
            info = json.dumps(self.stats(), indent=1)[-3000:]
        except (OSError, ValueError) as e:
            info = str(e)
        raise AssertionError(f"{what} within {timeout} s; journal:\n{self.journal()[-3000:]}\nshow info:\n{info}")


@pytest.fixture(scope="module")
def unit():
    if not UNIT_BINARY.exists():
        pytest.skip(f"{UNIT_BINARY} missing")
    busy = busy_ports()
    if busy:
        pytest.skip(f"ports {busy} on {ADDRESS} are taken: the unit binds the real low ports in the host's network")
    workdir = Path(tempfile.mkdtemp(prefix="stoep-unit-", dir="/tmp"))
    workdir.chmod(0o755)
    # The binary alone in a directory mounted over /usr/local/bin (the unit's ExecStart path).
    bindir = workdir / "bin"
    bindir.mkdir()
    shutil.copy(UNIT_BINARY, bindir / "stoep")
    etc = workdir / "etc-stoep"
    etc.mkdir(mode=0o755)
    # A real ACME server on the host (the network is shared): HTTP-01 is validated on the unit's :80.
    pebble = Pebble(workdir, PORTS["web"], free_port())
    api = PodmanAPI(workdir / "podman")
    gid = docker_gid()
    binds = [(bindir, "/usr/local/bin", True), (etc, "/etc/stoep", True),
             (UNIT, "/etc/systemd/system/stoep.service", True), (DROPIN, "/etc/systemd/system/stoep.service.d", True),
             (api.sock, "/run/docker.sock", False)]
    binds += [(d, d, True) for d in outside_usr_libraries(UNIT_BINARY)]
    machine = SystemdMachine(f"stoep-unit-{os.getpid()}", workdir / "console.log", binds)
    u = Unit(machine, workdir, api, gid)
    u.pebble = pebble
    try:
        pebble.start()
        shutil.copy(pebble.ca_file, etc / "pebble-ca.pem")
        (etc / "pebble-ca.pem").chmod(0o644)
        (etc / "dynamic.yml").write_text(DYNAMIC)
        (etc / "dynamic.yml").chmod(0o644)
        write_config(etc, config(pebble))
        api.start()
        api.import_image()
        os.chown(api.sock, 0, gid)
        api.sock.chmod(0o660)
        try:
            machine.boot(timeout=120)
        except RuntimeError as e:  # nspawn present but no systemd comes up here (no privileges, no cgroups...)
            pytest.skip(f"systemd-nspawn could not boot a systemd here: {str(e)[-1500:]}")
        # Docker's package makes its group with groupadd; sysusers is systemd's way to the same entry.
        machine.run("systemd-sysusers", "--inline", f"g docker {gid}")
        restore_acme_json(machine)
        machine.systemctl("daemon-reload")
        started = time.time()
        r = machine.systemctl("start", "stoep.service", check=False, timeout=90)
        u.start_seconds = time.time() - started
        assert r.returncode == 0, f"{r.stderr}\n{u.journal()[-3000:]}"
        yield u
    finally:
        machine.stop()
        api.cleanup()
        api.stop_service()
        pebble.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def outside_usr_libraries(binary):
    """Directories of shared libraries the binary loads from outside /usr (the Swift runtime in /opt for a
    non-static build): the volatile root has only the host's /usr."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    dirs = set()
    for line in out.splitlines():
        parts = line.split("=>")
        path = parts[-1].split("(")[0].strip() if len(parts) > 1 else ""
        if path.startswith("/") and not path.startswith(("/usr/", "/lib/", "/lib64/")):
            dirs.add(str(Path(path).resolve().parent))
    return sorted(dirs)


def restore_acme_json(machine):
    """acme.json put back from a backup by root, 0600 root, into StateDirectory='s real place before the
    unit ever ran (DynamicUser: /var/lib/private/stoep). systemd must hand it to the dynamic user."""
    cert, key = CA("systemd unit test CA").issue([ACME_NAME], days=89)  # not due for renewal
    state = machine.path("/var/lib/private/stoep")
    state.mkdir(parents=True, mode=0o700)
    machine.path("/var/lib/private").chmod(0o700)
    acme = state / "acme.json"
    acme.write_text(acme_json("le", [(ACME_NAME, [], cert, key)]))
    acme.chmod(0o600)


def test_unit_is_ready_as_a_dynamic_user_with_the_docker_group(unit):
    """Type=notify: `systemctl start` returned once stoep sent READY=1; the process runs as a DynamicUser
    with the drop-in's docker group, only CAP_NET_BIND_SERVICE (ambient), NoNewPrivileges."""
    p = unit.props("ActiveState", "SubState", "Type", "StatusText", "NRestarts", "ExecMainStatus")
    assert (p["ActiveState"], p["SubState"], p["Type"]) == ("active", "running", "notify"), p
    st = unit.main_status()
    uid = int(st["Uid"].split()[0])
    assert st["Uid"].split() == [str(uid)] * 4 and uid in DYNAMIC_UIDS, st["Uid"]
    assert int(st["Gid"].split()[0]) == uid
    assert unit.gid in set(map(int, st["Groups"].split())), st["Groups"]
    assert int(st["CapEff"], 16) == CAP_NET_BIND_SERVICE and int(st["CapAmb"], 16) == CAP_NET_BIND_SERVICE
    assert int(st["CapBnd"], 16) == CAP_NET_BIND_SERVICE and st["NoNewPrivs"] == "1"
    # No passwd entry on disk: the name comes from systemd (nss-systemd), the uid is free again after stop.
    assert "stoep:" not in unit.machine.path("/etc/passwd").read_text()
    print(f"systemctl start returned after {unit.start_seconds:.2f} s; uid {uid}, groups {st['Groups']}")


def writable_in_the_units_mounts(unit, directory):
    """Whether root can create a file in `directory` as the unit's mount namespace shows it (a read-only
    mount refuses even root: EROFS)."""
    pid = unit.props("MainPID")["MainPID"]
    probe = f"{directory}/.stoep-unit-probe"
    r = unit.machine.run("nsenter", "-t", pid, "-m", "sh", "-c", f"touch {probe} && rm {probe}", check=False)
    return r.returncode == 0


def test_protect_system_leaves_only_the_units_directories_writable(unit):
    """ProtectSystem=strict (+ DynamicUser's own rules): the OS, /etc and the configuration are read-only for
    the unit; its StateDirectory=, LogsDirectory= and RuntimeDirectory= are writable."""
    for d in ("/etc", "/etc/stoep", "/usr/local/bin", "/var/lib", "/var/lib/private"):
        assert not writable_in_the_units_mounts(unit, d), d
    for d in ("/var/lib/private/stoep", "/var/log/private/stoep", "/run/stoep"):
        assert writable_in_the_units_mounts(unit, d), d


def test_low_ports_answer(unit):
    """DNS on :53 (UDP and TCP) and HTTP on :80, bound by the dynamic user through the ambient capability."""
    q = dns.message.make_query("unit.stoep.lan", "A")
    for query in (dns.query.udp, dns.query.tcp):
        r = query(q, ADDRESS, port=PORTS["dns"], timeout=3)
        assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["192.0.2.80"]
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5",
                        f"http://{ADDRESS}:{PORTS['web']}/"], capture_output=True, text=True)
    assert r.stdout in ("200", "404"), r


def test_stats_socket_in_the_runtime_directory(unit):
    """$RUNTIME_DIRECTORY/stoep.sock, owned by the dynamic user and group from the start, 0660; the
    directory is RuntimeDirectoryMode=0750."""
    uid = int(unit.main_status()["Uid"].split()[0])
    st = os.lstat(unit.stats_path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
    assert (st.st_uid, st.st_gid) == (uid, uid)
    d = os.stat(unit.stats_path.parent)
    assert (d.st_uid, stat.S_IMODE(d.st_mode)) == (uid, 0o750)
    info = unit.stats()
    assert info["stats_socket"] == "/run/stoep/stoep.sock", info.get("stats_socket")
    assert config_errors(unit) == []


def config_errors(unit):
    """`show config-errors` but the notice that :443 serves a generated default certificate to unknown names
    (the test configures none): what is left would name a file or socket the dynamic user cannot reach."""
    return [e for e in unit.stats("show config-errors")["errors"] if "no default certificate" not in e["message"]]


def get(host, port=PORTS["web"]):
    r = subprocess.run(["curl", "-s", "-m", "3", "-H", f"Host: {host}", "-w", "\n%{http_code}",
                        f"http://{ADDRESS}:{port}/"], capture_output=True, text=True)
    body, _, code = r.stdout.rpartition("\n")
    return code, body


def test_docker_labels_become_a_router(unit):
    """The Docker socket, root:docker 0660, reached through SupplementaryGroups=docker: a container's labels
    become a router the dynamic user serves."""
    unit.wait(lambda: unit.stats().get("docker", {}).get("synchronised"), 15, "Docker provider not synchronised")
    name = f"unitapp{os.getpid()}"
    port = free_high_port()
    unit.api.run(name, port, {"traefik.enable": "true", f"traefik.http.routers.{name}.rule": f"Host(`{name}.test`)",
                              f"traefik.http.services.{name}.loadbalancer.server.port": str(port)})
    unit.wait(lambda: get(f"{name}.test") == ("200", name + "\n"), 15, "the container's router did not serve")
    unit.api.remove(name)
    unit.wait(lambda: get(f"{name}.test")[0] == "404", 15, "the router stayed after the container went")


def free_high_port():
    with socket.socket() as s:
        s.bind((ADDRESS, 0))
        return s.getsockname()[1]


def acme_certificates(unit):
    return unit.stats().get("acme", {}).get("le", {}).get("certificates", [])


def test_acme_json_restored_as_root_is_read_from_the_state_directory(unit):
    """acme.json restored by root (0600) before the first start: systemd gives StateDirectory= to the
    dynamic user, stoep reads the certificate, and nothing is named in `show config-errors`."""
    uid = int(unit.main_status()["Uid"].split()[0])
    acme = unit.machine.path("/var/lib/private/stoep/acme.json")
    st = os.stat(acme)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o600)
    unit.wait(lambda: any(c.get("names") == [ACME_NAME] and "not_after" in c for c in acme_certificates(unit)), 10,
              "acme.json's certificate not loaded")
    assert config_errors(unit) == []


def served_names(name, port=PORTS["websecure"]):
    """The DNS names of the certificate served for SNI `name` (not verified: only which one is served)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((ADDRESS, port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=name) as tls:
        return san_names(tls.getpeercert(binary_form=True))


def test_certificate_issued_to_the_unit_is_written_to_the_state_directory(unit):
    """A router with certResolver le: the dynamic user obtains a certificate from pebble (HTTP-01 answered
    on :80), writes acme.json in StateDirectory= (by rename: a new file, its own, 0600) beside the restored
    entry, and serves it on :443."""
    unit.wait(lambda: any(c.get("names") == [ISSUED_NAME] and "not_after" in c for c in acme_certificates(unit)), 20,
              "no certificate issued")
    uid = int(unit.main_status()["Uid"].split()[0])
    acme = unit.machine.path("/var/lib/private/stoep/acme.json")
    st = os.stat(acme)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o600)
    doc = json.loads(acme.read_text())
    assert sorted(c["domain"]["main"] for c in doc["le"]["Certificates"]) == [ISSUED_NAME, ACME_NAME]
    assert doc["le"]["Account"]["Registration"]["body"]["status"] == "valid"
    assert ISSUED_NAME in served_names(ISSUED_NAME) and ACME_NAME in served_names(ACME_NAME)
    assert config_errors(unit) == []


def community_root(unit):
    """The community CA's root as the status page hands it to phones (plain HTTP on :80)."""
    r = subprocess.run(["curl", "-sf", "-m", "5", f"http://{ADDRESS}:{PORTS['web']}/stoep-ca.pem"],
                       capture_output=True, text=True)
    return r.stdout if r.returncode == 0 and "BEGIN CERTIFICATE" in r.stdout else None


def test_community_ca_is_made_in_the_state_directory(unit):
    """The localCA resolver's first use makes the CA in /var/lib/stoep/ca (StateDirectory=, written by the
    dynamic user; its keys 0600), issues for a router's name, and the root is offered on :80."""
    unit.wait(lambda: COMMUNITY_NAME in served_names(COMMUNITY_NAME), 20, "no community certificate served")
    uid = int(unit.main_status()["Uid"].split()[0])
    ca = unit.machine.path("/var/lib/private/stoep/ca")
    files = sorted(ca.rglob("*"))
    assert files, "no CA files"
    for f in [ca, *files]:
        st = os.lstat(f)
        assert st.st_uid == uid, (f, st.st_uid)
        if f.is_file() and "key" in f.name:
            assert stat.S_IMODE(st.st_mode) == 0o600, (f, oct(st.st_mode))
    unit.community_root = community_root(unit)
    assert unit.community_root is not None
    assert config_errors(unit) == []


def test_reload_binds_a_new_low_port(unit):
    """`systemctl reload` (ExecReload: SIGHUP; stoep answers RELOADING=1, then READY=1) with a new entry point
    on :81: bound by the dynamic user, the unit active again, no restart."""
    before = unit.props("MainPID", "NRestarts")
    write_config(unit.config_dir, config(unit.pebble, f'\n[entryPoints.second]\naddress = "{ADDRESS}:{PORTS["reload"]}"\n'))
    r = unit.machine.systemctl("reload", "stoep.service", check=False, timeout=60)
    assert r.returncode == 0, f"{r.stderr}\n{unit.journal()[-3000:]}"
    unit.wait(lambda: get("anything", PORTS["reload"])[0] in ("200", "404"), 10, ":81 not served after reload")
    after = unit.props("ActiveState", "SubState", "MainPID", "NRestarts")
    assert (after["ActiveState"], after["SubState"]) == ("active", "running"), after
    assert (after["MainPID"], after["NRestarts"]) == (before["MainPID"], before["NRestarts"])
    assert config_errors(unit) == []


def test_restart_reads_the_state_again(unit):
    """`systemctl restart`: a new process (DynamicUser may pick another uid; systemd then hands
    StateDirectory= over again), the stats socket recreated with the new owner, acme.json read again."""
    old = unit.props("MainPID")["MainPID"]
    r = unit.machine.systemctl("restart", "stoep.service", check=False, timeout=90)
    assert r.returncode == 0, f"{r.stderr}\n{unit.journal()[-3000:]}"
    assert unit.props("MainPID")["MainPID"] != old
    uid = int(unit.main_status()["Uid"].split()[0])
    assert os.lstat(unit.stats_path).st_uid == uid
    assert os.stat(unit.machine.path("/var/lib/private/stoep/acme.json")).st_uid == uid
    unit.wait(lambda: any(c.get("names") == [ACME_NAME] and "not_after" in c for c in acme_certificates(unit)), 10,
              "acme.json's certificate not loaded after restart")
    loaded = {tuple(c["names"]) for c in acme_certificates(unit) if "not_after" in c}
    assert loaded == {(ACME_NAME,), (ISSUED_NAME,)}, acme_certificates(unit)
    assert ISSUED_NAME in served_names(ISSUED_NAME)
    unit.wait(lambda: COMMUNITY_NAME in served_names(COMMUNITY_NAME), 10, "no community certificate after restart")
    assert community_root(unit) == unit.community_root, "the community CA was made again"
    assert config_errors(unit) == []
    q = dns.message.make_query("unit.stoep.lan", "A")
    assert dns.query.udp(q, ADDRESS, port=PORTS["dns"], timeout=3).answer


def test_watchdog_pings_arrive(unit):
    """WatchdogSec=30s: stoep pings at half of $WATCHDOG_USEC from its loop; systemd moves the unit's
    WatchdogTimestamp on each WATCHDOG=1 (it is first set when the process starts)."""
    first = unit.props("WatchdogTimestampMonotonic", "WatchdogUSec")
    assert first["WatchdogUSec"] in ("30s", "30000000"), first
    unit.wait(lambda: unit.props("WatchdogTimestampMonotonic")["WatchdogTimestampMonotonic"]
              != first["WatchdogTimestampMonotonic"], 20, "no WATCHDOG=1 within 20 s")
    assert unit.props("NRestarts")["NRestarts"] == "0"


def test_stop_is_clean(unit):
    """`systemctl stop`: STOPPING=1, exit 0 within TimeoutStopSec, the low ports free again."""
    r = unit.machine.systemctl("stop", "stoep.service", check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    p = unit.props("ActiveState", "Result", "ExecMainStatus")
    assert (p["ActiveState"], p["Result"]) == ("inactive", "success"), p
    assert busy_ports() == []
    print(unit.journal())
