"""Weighted TCP services (`tcp.services.X.weighted.services` with weights, nested), side by side with
Traefik 3.7: connections through a HostSNI(`*`) router reach the children's servers in Traefik's TCP
weighted round robin (pkg/tcp/wrr_load_balancer.go: interleaved by the weights' GCD), a weight of 0 gets
none, a child's PROXY protocol transport applies to its servers; the API documents the service as
Traefik's. Both reactor backends."""
import http.client
import json
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest

from conftest import Stoep, free_port
from traefik_peer import traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed")


class NameServer:
    """A TCP server that sends its name and the first bytes it got, then closes."""

    def __init__(self, name):
        self.name = name
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    data = conn.recv(200)
                    conn.sendall(self.name.encode() + b" " + data)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


DYNAMIC = """
tcp:
  routers:
    all: {{rule: "HostSNI(`*`)", service: outer, entryPoints: [tcp]}}
    zero: {{rule: "HostSNI(`*`)", service: withzero, entryPoints: [zero]}}
  services:
    a: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{a}"}}]}}}}
    b: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{b}"}}]}}}}
    c: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{c}"}}]}}}}
    inner: {{weighted: {{services: [{{name: b, weight: 1}}, {{name: c, weight: 1}}]}}}}
    outer: {{weighted: {{services: [{{name: a, weight: 3}}, {{name: inner, weight: 2}}]}}}}
    withzero: {{weighted: {{services: [{{name: a, weight: 0}}, {{name: b}}]}}}}
http:
  routers:
    api: {{rule: "Host(`api.test`)", service: api@internal, entryPoints: [traefik]}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"tcpw-{request.param}")
    servers = {n: NameServer(n) for n in "abc"}
    path = workdir / "dynamic.yml"
    path.write_text(DYNAMIC.format(**{n: s.port for n, s in servers.items()}))
    ports = {proxy: {ep: free_port() for ep in ("traefik", "tcp", "zero")} for proxy in ("traefik", "stoep")}
    for proxy, eps in ports.items():
        (workdir / f"{proxy}.yml").write_text(
            "global: {checkNewVersion: false, sendAnonymousUsage: false}\napi: {}\nentryPoints:\n"
            + "".join(f"  {ep}: {{address: \"127.0.0.1:{port}\"}}\n" for ep, port in eps.items())
            + f"providers: {{file: {{filename: \"{path}\"}}}}\n")
    log = open(workdir / "traefik.log", "wb")
    traefik = subprocess.Popen([traefik_binary(), f"--configfile={workdir / 'traefik.yml'}"], stdout=log, stderr=subprocess.STDOUT)
    (workdir / "stoep").mkdir()
    stoep = Stoep(workdir / "stoep", request.param)
    stoep.start("--traefik-config", str(workdir / "stoep.yml"))
    deadline = time.time() + 20
    while time.time() < deadline and api(ports["traefik"]["traefik"], "/api/tcp/services")[0] != 200:
        time.sleep(0.2)
    time.sleep(0.5)
    yield ports
    stoep.stop()
    traefik.terminate()
    traefik.wait(10)
    log.close()
    for s in servers.values():
        s.close()


def api(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path, headers={"Host": "api.test"})
        r = c.getresponse()
        body = r.read()
        c.close()
    except OSError:
        return 0, None
    return r.status, json.loads(body) if r.status == 200 else body


def ask(port):
    """The name of the server a new connection reached (None: closed without an answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"hi")
        data = b""
        while True:
            try:
                part = s.recv(100)
            except OSError:
                break
            if not part:
                break
            data += part
    return data.split(b" ")[0].decode() if data else None


def test_connections_follow_the_weights_as_traefik(proxies):
    seen = {proxy: [ask(eps["tcp"]) for _ in range(10)] for proxy, eps in proxies.items()}
    # outer: a 3, inner 2 per cycle of 5; inner alternates b and c.
    assert Counter(seen["stoep"]) == Counter(seen["traefik"]) == Counter(a=6, b=2, c=2)
    # stoep's order is Traefik's interleaving with the children in declared order (Traefik shuffles them).
    assert seen["stoep"][:5] == ["a", "a", "b", "a", "c"]


def test_zero_weight_child_gets_nothing(proxies):
    seen = {proxy: Counter(ask(eps["zero"]) for _ in range(4)) for proxy, eps in proxies.items()}
    assert seen["stoep"] == seen["traefik"] == Counter(b=4)


def test_api_documents_weighted_tcp_service_as_traefik(proxies):
    docs = {proxy: api(eps["traefik"], "/api/tcp/services/outer@file") for proxy, eps in proxies.items()}
    assert docs["stoep"][0] == docs["traefik"][0] == 200
    for key in ("weighted", "type", "status", "name", "provider"):
        assert docs["stoep"][1].get(key) == docs["traefik"][1].get(key), key
