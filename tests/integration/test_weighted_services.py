"""Weighted services (`http.services.X.weighted`), side by side with Traefik 3.7: the servers a run of
requests reaches through nested weighted services (Traefik's earliest-deadline-first round robin), a
weight of 0, `weighted.healthCheck` moving traffic off a child whose health check fails (and back), and
what happens without it. Traefik shuffles a balancer's children when it builds it, so the exact order of
equal deadlines differs per start: the tests compare which servers answered over whole cycles of the
weights, which Traefik's schedule fixes exactly. Both reactor backends; Traefik started once per module."""
import time
from collections import Counter

import pytest

from service_peers import ServicePeers
from traefik_peer import traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed")

DYNAMIC = """
http:
  routers:
    nested: {{rule: "Host(`nested.test`)", service: outer, entryPoints: [web]}}
    zero: {{rule: "Host(`zero.test`)", service: withzero, entryPoints: [web]}}
    health: {{rule: "Host(`health.test`)", service: healthy, entryPoints: [web]}}
    blind: {{rule: "Host(`blind.test`)", service: blind, entryPoints: [web]}}
  services:
    a: {{loadBalancer: {{servers: [{{url: "{a}"}}]}}}}
    b: {{loadBalancer: {{servers: [{{url: "{b}"}}]}}}}
    c: {{loadBalancer: {{servers: [{{url: "{c}"}}, {{url: "{d}"}}]}}}}
    inner: {{weighted: {{services: [{{name: b, weight: 1}}, {{name: c, weight: 2}}]}}}}
    outer: {{weighted: {{services: [{{name: a, weight: 3}}, {{name: inner, weight: 2}}]}}}}
    withzero: {{weighted: {{services: [{{name: a, weight: 0}}, {{name: b, weight: 1}}]}}}}
    ha: {{loadBalancer: {{servers: [{{url: "{e}"}}], healthCheck: {{path: /health, interval: 300ms, timeout: 200ms}}}}}}
    hb: {{loadBalancer: {{servers: [{{url: "{f}"}}], healthCheck: {{path: /health, interval: 300ms, timeout: 200ms}}}}}}
    healthy: {{weighted: {{services: [{{name: ha, weight: 1}}, {{name: hb, weight: 1}}], healthCheck: {{}}}}}}
    blind: {{weighted: {{services: [{{name: ha, weight: 1}}, {{name: hb, weight: 1}}]}}}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    p = ServicePeers(tmp_path_factory.mktemp(f"weighted-{request.param}"), request.param, DYNAMIC, "abcdef", "nested.test")
    yield p
    p.close()


def counts(picks):
    return Counter(name if status == 200 else status for status, name in picks)


def test_stoep_order_is_earliest_deadline_first(proxies):
    # First in the module, on fresh balancers. outer's deadlines: a 1/3, 2/3, 1; inner 1/2, 1 — the tie
    # at 1 goes to the child declared first (Traefik: the shuffled heap's order). inner: c (1/2) then
    # the tie at 1 to b; c's two servers alternate.
    # 15 requests are whole cycles of every balancer (outer 5, inner 3 per 2 of outer's, c's 2), so both
    # proxies end in step for the next test.
    picks = {proxy: proxies.run(proxy, "nested.test", 15) for proxy in ("stoep", "traefik")}
    assert [name for _, name in picks["stoep"][:5]] == ["a", "c", "a", "a", "b"]
    assert counts(picks["stoep"]) == counts(picks["traefik"]) == Counter(a=9, b=2, c=2, d=2)


def test_nested_weighted_services_share_requests_as_traefik(proxies):
    # outer: a 3, inner 2; inner: b 1, c 2; c balances its two servers. One cycle of outer's weights is
    # 5 requests: a 3, inner 2 — so 30 requests give a 18, inner 12: b 4, c 8 (c and d 4 each).
    seen = {proxy: counts(proxies.run(proxy, "nested.test", 30)) for proxy in ("traefik", "stoep")}
    assert seen["stoep"] == seen["traefik"] == Counter(a=18, b=4, c=4, d=4)


def test_zero_weight_child_gets_nothing(proxies):
    seen = {proxy: counts(proxies.run(proxy, "zero.test", 6)) for proxy in ("traefik", "stoep")}
    assert seen["stoep"] == seen["traefik"] == Counter(b=6)


def test_health_check_moves_traffic_off_a_failing_child_and_back(proxies):
    e = proxies.backends["e"]
    try:
        e.server.healthy = False
        time.sleep(1.2)  # a few 300ms intervals for both proxies' checks
        seen = {proxy: counts(proxies.run(proxy, "health.test", 8)) for proxy in ("traefik", "stoep")}
        assert seen["stoep"] == seen["traefik"] == Counter(f=8)
        # Without weighted.healthCheck the parent still picks the child, which answers 503 itself.
        blind = {proxy: counts(proxies.run(proxy, "blind.test", 8)) for proxy in ("traefik", "stoep")}
        assert blind["stoep"] == blind["traefik"] == Counter({"f": 4, 503: 4})
    finally:
        e.server.healthy = True
    time.sleep(1.2)
    back = {proxy: counts(proxies.run(proxy, "health.test", 8)) for proxy in ("traefik", "stoep")}
    assert back["stoep"] == back["traefik"] == Counter(e=4, f=4)
