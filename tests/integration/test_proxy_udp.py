"""UDP entry points and routers (`address: ":PORT/udp"`, `udp.routers`, `udp.services` with load balancers
and weighted services, `entryPoints.NAME.udp.timeout`), side by side with Traefik 3.7: dnspython through a
UDP router to a real dnsmasq, an echo backend that reports which socket a session used (so session reuse
and the idle timeout are visible), weighted balancing of new sessions, and many clients at once. Both
reactor backends."""
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import dns.exception
import dns.message
import dns.query
import pytest

from conftest import free_port, series
from podman_api import podman_api  # noqa: F401 (fixture)
from proxy_pair import TraefikRun, allocate, beside, needs_traefik, start_stoep

ENTRY_POINTS = {"dns": True, "echo": True, "weighted": True, "web": False, "traefik": False}

STATIC = """api: {insecure: true}
entryPoints:
  traefik: {address: "127.0.0.1:{traefik}"}
  web: {address: "127.0.0.1:{web}"}
  dns: {address: "127.0.0.1:{dns}/udp"}
  echo: {address: "127.0.0.1:{echo}/udp", udp: {timeout: 1s}}
  weighted: {address: "127.0.0.1:{weighted}/udp"}
"""

DYNAMIC = """udp:
  routers:
    dns: {entryPoints: [dns], service: dns}
    echo: {entryPoints: [echo], service: echo}
    w: {entryPoints: [weighted], service: w}
    bad: {service: nope}
  services:
    dns: {loadBalancer: {servers: [{address: "127.0.0.1:{dnsmasq}"}]}}
    echo: {loadBalancer: {servers: [{address: "127.0.0.1:{echoa}"}]}}
    b: {loadBalancer: {servers: [{address: "127.0.0.1:{echob}"}]}}
    w: {weighted: {services: [{name: echo, weight: 1}, {name: b, weight: 3}]}}
"""


class Echo:
    """A UDP server answering every datagram with `name:port:` + the datagram, where port is the sender's
    (the proxy's session socket)."""

    def __init__(self, name):
        self.name = name.encode()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
                self.sock.sendto(self.name + b":" + str(peer[1]).encode() + b":" + data, peer)
            except OSError:
                return

    def close(self):
        self.sock.close()


def ask(port, payload, sock=None, timeout=3):
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(payload, ("127.0.0.1", port))
        return s.recvfrom(65535)[0]
    finally:
        if sock is None:
            s.close()


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    needs_traefik()
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq is not installed")
    dnsmasq_port = free_port(socket.SOCK_DGRAM)
    dnsmasq = subprocess.Popen(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                                f"--port={dnsmasq_port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                                "--address=/x.test/192.0.2.7", "--user=root"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 5
    while time.time() < deadline:  # dnsmasq answers before the proxies start
        try:
            dns.query.udp(dns.message.make_query("x.test", "A"), "127.0.0.1", port=dnsmasq_port, timeout=0.5)
            break
        except dns.exception.Timeout:
            continue
    a, b = Echo("a"), Echo("b")
    extra = {"dnsmasq": dnsmasq_port, "echoa": a.port, "echob": b.port}
    ports = {**allocate(ENTRY_POINTS), **extra}
    traefik = TraefikRun(tmp_path_factory.mktemp("traefik"), STATIC, DYNAMIC, ports, ports["web"])
    yield traefik, extra
    traefik.close()
    dnsmasq.terminate()
    dnsmasq.wait(5)
    a.close()
    b.close()


@pytest.fixture
def both(peers, stoep):
    return beside(peers, stoep, STATIC, DYNAMIC, ENTRY_POINTS)


def test_dns_through_a_udp_router_to_dnsmasq(both):
    for name, ports in both.items():
        q = dns.message.make_query("www.x.test", "A")
        r = None
        for _ in range(3):  # UDP: a client retries, as dig does
            try:
                r = dns.query.udp(q, "127.0.0.1", port=ports["dns"], timeout=2)
                break
            except dns.exception.Timeout:
                continue
        assert r is not None, f"{name}: no answer"
        assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["192.0.2.7"], name
    digs = {name: subprocess.run(["dig", "+short", "+time=2", "+tries=3", "-p", str(ports["dns"]), "@127.0.0.1", "a.x.test"],
                                 capture_output=True, text=True).stdout for name, ports in both.items()}
    assert digs["stoep"] == digs["traefik"] == "192.0.2.7\n"


def test_a_session_per_client_until_its_idle_timeout(both):
    for name, ports in both.items():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        first = ask(ports["echo"], b"1", s).split(b":")
        second = ask(ports["echo"], b"2", s).split(b":")
        assert first[0] == b"a" and first[2] == b"1", name
        assert second[1] == first[1], name  # same session: the same socket towards the server
        other = ask(ports["echo"], b"x").split(b":")
        assert other[1] != first[1], name  # another client: its own session
        time.sleep(1.6)  # udp.timeout 1s, and no datagram either way
        third = ask(ports["echo"], b"3", s).split(b":")
        assert third[1] != first[1], name  # a new session after the timeout
        # Activity keeps a session: datagrams every 0.5 s for 2 s stay on one socket.
        kept = {ask(ports["echo"], b"k", s).split(b":")[1] for _ in range(4) if time.sleep(0.5) is None}
        assert len(kept) == 1, name
        s.close()


def test_weighted_services_balance_new_sessions(both):
    for name, ports in both.items():
        picks = [ask(ports["weighted"], b"w").split(b":")[0] for _ in range(8)]
        assert picks.count(b"a") == 2 and picks.count(b"b") == 6, (name, picks)


def test_many_clients_and_large_datagrams(both, stoep):
    for name, ports in both.items():
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(200)]
        for i, s in enumerate(socks):
            s.sendto(b"c%d" % i, ("127.0.0.1", ports["weighted"]))
        for i, s in enumerate(socks):
            s.settimeout(3)
            assert s.recvfrom(100)[0].endswith(b":c%d" % i), name
            s.close()
        big = b"z" * 60000
        assert ask(ports["weighted"], big).endswith(big), name
    st = stoep.stats()
    assert series(st, "counters", "udp_sessions", entrypoint="weighted") >= 201
    assert series(st, "counters", "udp_datagrams", entrypoint="weighted", direction="to_client") >= 201
    assert series(st, "gauges", "udp_sessions_open", entrypoint="weighted") >= 201


def test_sessions_end_after_the_timeout_in_stats(both, stoep):
    port = both["stoep"]["echo"]
    for _ in range(5):
        ask(port, b"t")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ask(port, b"listed", s)
    conns = stoep.stats("show conns")
    rows = [c for c in conns["conns"] if c["kind"] == "udp" and c["peer"] == f"127.0.0.1:{s.getsockname()[1]}"]
    assert len(rows) == 1 and rows[0]["entrypoint"] == "echo" and rows[0]["datagrams_out"] == 1, conns
    s.close()
    time.sleep(1.6)
    st = stoep.stats()
    assert series(st, "counters", "udp_sessions_timed_out", entrypoint="echo") == 6
    assert series(st, "gauges", "udp_sessions_open", entrypoint="echo") == 0


def test_api_shows_udp_routers_services_and_entry_points(both):
    def api(ports, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['traefik']}/api/{path}", timeout=5) as r:
            doc = json.loads(r.read())
        for entry in doc if isinstance(doc, list) else [doc]:
            if "using" in entry:  # Traefik lists a router's default entry points in map order
                entry["using"].sort()
        return doc
    for path in ["udp/routers", "udp/services", "udp/routers/bad@file", "udp/services/w@file"]:
        seen = {name: api(ports, path) for name, ports in both.items()}
        assert seen["stoep"] == seen["traefik"], (path, seen)
    seen = {name: api(ports, "overview")["udp"] for name, ports in both.items()}
    assert seen["stoep"] == seen["traefik"], seen
    seen = {name: api(ports, "entrypoints/echo") for name, ports in both.items()}
    for name, ports in both.items():
        assert seen[name]["address"] == f"127.0.0.1:{ports['echo']}/udp", seen
        assert seen[name]["udp"] == {"timeout": "1s"}, seen


def test_a_server_that_is_down_ends_the_session(stoep, tmp_path):
    """ICMP port unreachable from the server: the session ends, the next datagram opens a new one."""
    dead = free_port(socket.SOCK_DGRAM)
    ports = {"web": free_port(), "echo": free_port(socket.SOCK_DGRAM), "dead": dead}
    start_stoep(stoep, """entryPoints:
  web: {address: "127.0.0.1:{web}"}
  echo: {address: "127.0.0.1:{echo}/udp"}
""", """udp:
  routers:
    r: {service: s}
  services:
    s: {loadBalancer: {servers: [{address: "127.0.0.1:{dead}"}]}}
""", ports)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        s.sendto(b"?", ("127.0.0.1", ports["echo"]))
        time.sleep(0.2)
    st = stoep.stats()
    assert series(st, "counters", "udp_sessions", entrypoint="echo") >= 2
    assert series(st, "gauges", "udp_sessions_open", entrypoint="echo") <= 1
    assert stoep.proc.poll() is None


def test_stoep_toml_udp_section(stoep):
    """stoep's own TOML takes `[udp]` in the file provider's schema, beside its `/udp` entry points."""
    echo = Echo("own")
    game = free_port(socket.SOCK_DGRAM)
    try:
        stoep.start(config=stoep.write_config(f"""[entryPoints.game]
address = "127.0.0.1:{game}/udp"

[udp.routers.g]
service = "g"
[udp.services.g.loadBalancer]
servers = [{{ address = "127.0.0.1:{echo.port}" }}]
"""))
        assert ask(game, b"hi").startswith(b"own:") and ask(game, b"hi").endswith(b":hi")
    finally:
        echo.close()


def test_docker_udp_labels(stoep, podman_api):  # noqa: F811 (fixture)
    """A container's `traefik.udp.*` labels route a UDP entry point of stoep's own TOML to its port (host
    networking: the container's address is 127.0.0.1, where the echo server listens); the route goes with
    the container."""
    from test_docker import start_docker_stoep, wait_for
    echo = Echo("docker")
    game = free_port(socket.SOCK_DGRAM)
    try:
        start_docker_stoep(stoep, podman_api, extra=f'\n[entryPoints.game]\naddress = "127.0.0.1:{game}/udp"\n')
        name = f"udp-{stoep.backend}"
        podman_api.run(name, free_port(), {"traefik.enable": "true", "traefik.udp.routers.g.entrypoints": "game",
                                           "traefik.udp.services.g.loadbalancer.server.port": str(echo.port)})

        def answered():
            try:
                return ask(game, b"ping", timeout=0.2).startswith(b"docker:")
            except OSError:
                return False
        wait_for(answered, timeout=5)
        podman_api.remove(name)
        wait_for(lambda: not answered(), timeout=5)  # each ask is a new client: no router for its session
    finally:
        echo.close()
