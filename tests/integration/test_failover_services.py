"""failover services (`http.services.X.failover`: service, fallback, healthCheck), side by side with
Traefik 3.7: requests go to the service while its health check passes, to the fallback while it fails,
and back; with failover.healthCheck and both down, 503 "Service Unavailable" as Traefik's http.Error;
a failover whose service has no health check is refused by both (its router answers 404); the API
documents the service as Traefik's. Both reactor backends; Traefik started once per module."""
import time
from collections import Counter

import pytest

from service_peers import ServicePeers
from traefik_peer import traefik_binary

# `heavy`: the epoll half runs in `make test-slow` (make test's time budget); io_uring's stays in make test.
pytestmark = [pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed"), pytest.mark.heavy]

HC = "healthCheck: {{path: /health, interval: 300ms, timeout: 200ms}}"
DYNAMIC = """
http:
  routers:
    fo: {{rule: "Host(`fo.test`)", service: fo, entryPoints: [web]}}
    both: {{rule: "Host(`both.test`)", service: both, entryPoints: [web]}}
    nohc: {{rule: "Host(`nohc.test`)", service: nohc, entryPoints: [web]}}
    api: {{rule: "Host(`api.test`)", service: api@internal, entryPoints: [web]}}
  services:
    main: {{loadBalancer: {{servers: [{{url: "{a}"}}], HC}}}}
    spare: {{loadBalancer: {{servers: [{{url: "{b}"}}]}}}}
    fo: {{failover: {{service: main, fallback: spare}}}}
    main2: {{loadBalancer: {{servers: [{{url: "{c}"}}], HC}}}}
    spare2: {{loadBalancer: {{servers: [{{url: "{d}"}}], HC}}}}
    both: {{failover: {{service: main2, fallback: spare2, healthCheck: {{}}}}}}
    plain: {{loadBalancer: {{servers: [{{url: "{a}"}}]}}}}
    nohc: {{failover: {{service: plain, fallback: spare}}}}
""".replace("HC", HC)


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    p = ServicePeers(tmp_path_factory.mktemp(f"failover-{request.param}"), request.param, DYNAMIC, "abcd", "fo.test", "api: {}\n")
    yield p
    p.close()


def counts(picks):
    return Counter(name if status == 200 else status for status, name in picks)


def both(proxies, host, n=6):
    seen = {proxy: counts(proxies.run(proxy, host, n)) for proxy in ("traefik", "stoep")}
    assert seen["stoep"] == seen["traefik"], seen
    return seen["stoep"]


def settles(proxies, host, want, timeout=6):
    """Both proxies answer `want` once their health checks (300 ms) caught up; bounded."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen = {proxy: counts(proxies.run(proxy, host, 6)) for proxy in ("traefik", "stoep")}
        if seen["stoep"] == seen["traefik"] == want:
            return want
        time.sleep(0.3)
    return seen


def test_service_while_up_fallback_while_down_and_back(proxies):
    assert both(proxies, "fo.test") == Counter(a=6)
    a = proxies.backends["a"]
    try:
        a.server.healthy = False
        assert settles(proxies, "fo.test", Counter(b=6)) == Counter(b=6)
    finally:
        a.server.healthy = True
    assert settles(proxies, "fo.test", Counter(a=6)) == Counter(a=6)


def test_both_down_is_503_service_unavailable(proxies):
    c, d = proxies.backends["c"], proxies.backends["d"]
    try:
        c.server.healthy = False
        assert settles(proxies, "both.test", Counter(d=6)) == Counter(d=6)
        d.server.healthy = False
        assert settles(proxies, "both.test", Counter({503: 6})) == Counter({503: 6})
        import http.client
        bodies = {}
        for proxy in ("traefik", "stoep"):
            conn = http.client.HTTPConnection("127.0.0.1", proxies.ports[proxy], timeout=5)
            conn.request("GET", "/", headers={"Host": "both.test"})
            r = conn.getresponse()
            bodies[proxy] = (r.status, r.read(), r.getheader("Content-Type"))
            conn.close()
        assert bodies["stoep"] == bodies["traefik"] == (503, b"Service Unavailable\n", "text/plain; charset=utf-8")
    finally:
        c.server.healthy = d.server.healthy = True
    assert settles(proxies, "both.test", Counter(c=6)) == Counter(c=6)


def test_service_without_health_check_is_refused(proxies):
    assert both(proxies, "nohc.test", 2) == Counter({404: 2})


def test_api_documents_failover_as_traefik(proxies):
    docs = {proxy: proxies.api(proxy, "/api/http/services/both@file") for proxy in ("traefik", "stoep")}
    assert docs["stoep"][0] == docs["traefik"][0] == 200
    for key in ("failover", "type", "status", "name", "provider"):
        assert docs["stoep"][1].get(key) == docs["traefik"][1].get(key), key
