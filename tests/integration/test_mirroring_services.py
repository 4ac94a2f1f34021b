"""mirroring services (`http.services.X.mirroring`: service, mirrors with percent, maxBodySize,
mirrorBody), side by side with Traefik 3.7 where both can be observed: every request reaches the
service; a mirror gets the share of requests mirror.go's percent accounting gives (count × 100 < total
× percent), with the request's method, path and Host; a small body is copied whole; a body larger than
maxBodySize goes to the service and to no mirror; a slow mirror does not delay the client; the API
documents the service as Traefik's; stoep's stats count the copies. Both reactor backends; Traefik
started once per module."""
import hashlib
import http.client
import time

import pytest

from conftest import series
from service_peers import ServicePeers
from traefik_peer import traefik_binary

# `heavy`: the epoll half runs in `make test-slow` (make test's time budget); io_uring's stays in make test.
pytestmark = [pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed"), pytest.mark.heavy]

DYNAMIC = """
http:
  routers:
    plain: {{rule: "Host(`plain.test`)", service: main, entryPoints: [web]}}
    mir: {{rule: "Host(`mir.test`)", service: mir, entryPoints: [web]}}
    small: {{rule: "Host(`small.test`)", service: small, entryPoints: [web]}}
    slow: {{rule: "Host(`slow.test`)", service: slow, entryPoints: [web]}}
    api: {{rule: "Host(`api.test`)", service: api@internal, entryPoints: [web]}}
  services:
    main: {{loadBalancer: {{servers: [{{url: "{a}"}}]}}}}
    half: {{loadBalancer: {{servers: [{{url: "{b}"}}]}}}}
    all: {{loadBalancer: {{servers: [{{url: "{c}"}}]}}}}
    mir: {{mirroring: {{service: main, mirrors: [{{name: half, percent: 50}}, {{name: all, percent: 100}}]}}}}
    small: {{mirroring: {{service: main, maxBodySize: 16, mirrors: [{{name: all, percent: 100}}]}}}}
    lazy: {{loadBalancer: {{servers: [{{url: "{d}"}}]}}}}
    slow: {{mirroring: {{service: main, mirrors: [{{name: lazy, percent: 100}}]}}}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    p = ServicePeers(tmp_path_factory.mktemp(f"mirror-{request.param}"), request.param, DYNAMIC, "abcd", "plain.test", "api: {}\n")
    yield p
    p.close()


def request(proxies, proxy, host, method="GET", path="/", body=None):
    c = http.client.HTTPConnection("127.0.0.1", proxies.ports[proxy], timeout=10)
    c.request(method, path, body=body, headers={"Host": host})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def settle(backends, want, timeout=3):
    """Waits until each backend has seen want[name] requests (the copies are sent after the answer)."""
    deadline = time.time() + timeout
    while time.time() < deadline and any(len(backends[n].server.seen) < k for n, k in want.items()):
        time.sleep(0.05)


def clear(proxies):
    for b in proxies.backends.values():
        b.server.seen.clear()


def test_percent_accounting_and_copies_as_traefik(proxies):
    seen = {}
    for proxy in ("traefik", "stoep"):
        clear(proxies)
        for i in range(10):
            assert request(proxies, proxy, "mir.test", path=f"/r{i}")[0] == 200
        settle(proxies.backends, {"a": 10, "b": 5, "c": 10})
        time.sleep(0.2)
        seen[proxy] = {n: sorted(proxies.backends[n].server.seen) for n in "abc"}
    assert seen["stoep"] == seen["traefik"]
    assert len(seen["stoep"]["a"]) == 10 and len(seen["stoep"]["b"]) == 5 and len(seen["stoep"]["c"]) == 10
    # mirror.go: the first request of each two goes to the 50 % mirror.
    assert [p for _, p, _, _ in seen["stoep"]["b"]] == ["/r0", "/r2", "/r4", "/r6", "/r8"]
    assert {h for _, _, _, h in seen["stoep"]["c"]} == {"mir.test"}


def test_body_copied_up_to_max_body_size(proxies):
    short, long = b"0123456789", b"x" * 40
    seen = {}
    for proxy in ("traefik", "stoep"):
        clear(proxies)
        assert request(proxies, proxy, "small.test", "POST", "/short", short)[0] == 200
        assert request(proxies, proxy, "small.test", "POST", "/long", long)[0] == 200
        settle(proxies.backends, {"a": 2, "c": 1})
        time.sleep(0.3)
        seen[proxy] = {n: sorted(proxies.backends[n].server.seen) for n in "ac"}
    st = proxies.stoep.stats()
    assert seen["stoep"] == seen["traefik"], {k: series(st, "counters", k) for k in ("http_mirror_requests", "http_mirror_skipped", "http_mirror_failures")}
    assert seen["stoep"]["c"] == [("POST", "/short", 10, hashlib.sha256(short).hexdigest())]
    assert len(seen["stoep"]["a"]) == 2


def test_a_slow_mirror_does_not_delay_the_client(proxies):
    proxies.backends["d"].server.delay = 1.5
    for proxy in ("traefik", "stoep"):
        start = time.time()
        assert request(proxies, proxy, "slow.test")[0] == 200
        assert time.time() - start < 0.8, proxy
    time.sleep(1.6)


def test_api_documents_mirroring_as_traefik(proxies):
    for name in ("mir@file", "small@file"):
        docs = {proxy: proxies.api(proxy, f"/api/http/services/{name}") for proxy in ("traefik", "stoep")}
        assert docs["stoep"][0] == docs["traefik"][0] == 200
        for key in ("mirroring", "type", "status", "name", "provider"):
            assert docs["stoep"][1].get(key) == docs["traefik"][1].get(key), key


def test_stats_count_the_copies(proxies):
    stats = proxies.stoep.stats()
    assert series(stats, "counters", "http_mirror_requests") >= 15
    assert series(stats, "gauges", "http_mirror_in_flight") >= 0
    assert series(stats, "counters", "http_mirror_dropped") == 0
