"""loadBalancer.strategy (Traefik 3.7: wrr, p2c, hrw, leasttime), side by side with Traefik 3.7 on one
file-provider configuration in front of the same backends:
- hrw: a client IP always reaches the same server, and the same one Traefik picks (FNV-1a of IP + URL);
  clients from 127.0.0.1…127.0.0.12 (loopback source addresses) spread as in Traefik; a server that
  fails its health check is left out;
- p2c: with two servers both are always the two choices, so the one with fewer requests in flight wins:
  while one holds a slow request, every other request goes to the other;
- leasttime: while the times to first byte are equal (0 ms) servers alternate; a server that answers in
  150 ms then loses to one answering at once;
- a `highestRandomWeight` service picks among other services as Traefik does (its children's names
  as written hashed with the client IP);
- the API shows the strategy as Traefik's does. Both reactor backends; Traefik started once per module."""
import http.client
import json
import threading
import time
from collections import Counter

import pytest

from service_peers import ServicePeers
from traefik_peer import traefik_binary

# `heavy`: the epoll half runs in `make test-slow` (make test's time budget); io_uring's stays in make test.
pytestmark = [pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed"), pytest.mark.heavy]

DYNAMIC = """
http:
  routers:
    hrw: {{rule: "Host(`hrw.test`)", service: hrw, entryPoints: [web]}}
    hrwh: {{rule: "Host(`hrwh.test`)", service: hrwh, entryPoints: [web]}}
    p2c: {{rule: "Host(`p2c.test`)", service: p2c, entryPoints: [web]}}
    lt: {{rule: "Host(`lt.test`)", service: lt, entryPoints: [web]}}
    hrwsvc: {{rule: "Host(`hrwsvc.test`)", service: hrwsvc, entryPoints: [web]}}
    api: {{rule: "Host(`api.test`)", service: api@internal, entryPoints: [web]}}
  services:
    sa: {{loadBalancer: {{servers: [{{url: "{a}"}}]}}}}
    sb: {{loadBalancer: {{servers: [{{url: "{b}"}}]}}}}
    sc: {{loadBalancer: {{servers: [{{url: "{c}"}}]}}}}
    hrwsvc: {{highestRandomWeight: {{services: [{{name: sa}}, {{name: sb, weight: 2}}, {{name: sc}}]}}}}
    hrw: {{loadBalancer: {{strategy: hrw, servers: [{{url: "{a}"}}, {{url: "{b}"}}, {{url: "{c}", weight: 2}}]}}}}
    hrwh: {{loadBalancer: {{strategy: hrw, servers: [{{url: "{d}"}}, {{url: "{e}"}}],
            healthCheck: {{path: /health, interval: 300ms, timeout: 200ms}}}}}}
    p2c: {{loadBalancer: {{strategy: p2c, servers: [{{url: "{f}"}}, {{url: "{g}"}}]}}}}
    lt: {{loadBalancer: {{strategy: leasttime, servers: [{{url: "{h}"}}, {{url: "{i}"}}]}}}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    p = ServicePeers(tmp_path_factory.mktemp(f"strategy-{request.param}"), request.param, DYNAMIC, "abcdefghi", "hrw.test", "api: {}\n")
    yield p
    p.close()


def get_from(proxies, proxy, host, source="127.0.0.1", path="/"):
    """(status, backend name) for one GET through `proxy` from the loopback address `source`."""
    c = http.client.HTTPConnection("127.0.0.1", proxies.ports[proxy], timeout=10, source_address=(source, 0))
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    return r.status, proxies.names.get(json.loads(body)["port"]) if r.status == 200 else None


def test_hrw_sends_each_client_ip_to_the_server_traefik_picks(proxies):
    sources = [f"127.0.0.{i}" for i in range(1, 13)]
    picks = {proxy: [get_from(proxies, proxy, "hrw.test", s) for s in sources] for proxy in ("traefik", "stoep")}
    assert picks["stoep"] == picks["traefik"]
    assert len({name for _, name in picks["stoep"]}) > 1  # the clients spread
    again = [get_from(proxies, "stoep", "hrw.test", s) for s in sources]
    assert again == picks["stoep"]  # and stay


def test_highest_random_weight_service_picks_children_as_traefik(proxies):
    sources = [f"127.0.0.{i}" for i in range(1, 13)]
    picks = {proxy: [get_from(proxies, proxy, "hrwsvc.test", s) for s in sources] for proxy in ("traefik", "stoep")}
    # FNV-1a of "127.0.0.N" + a two-letter name: these sources all favour sb, in both.
    assert picks["stoep"] == picks["traefik"]
    docs = {proxy: proxies.api(proxy, "/api/http/services/hrwsvc@file") for proxy in ("traefik", "stoep")}
    for key in ("highestRandomWeight", "type", "status", "name", "provider"):
        assert docs["stoep"][1].get(key) == docs["traefik"][1].get(key), key


def test_hrw_leaves_out_a_server_down_and_takes_it_back(proxies):
    sources = [f"127.0.0.{i}" for i in range(1, 9)]
    before = {proxy: [get_from(proxies, proxy, "hrwh.test", s)[1] for s in sources] for proxy in ("traefik", "stoep")}
    assert before["stoep"] == before["traefik"]
    down = before["stoep"][0]
    backend = proxies.backends[down]
    try:
        backend.server.healthy = False
        time.sleep(1.2)
        during = {proxy: [get_from(proxies, proxy, "hrwh.test", s)[1] for s in sources] for proxy in ("traefik", "stoep")}
        assert during["stoep"] == during["traefik"]
        assert down not in during["stoep"]
    finally:
        backend.server.healthy = True
    time.sleep(1.2)
    assert [get_from(proxies, "stoep", "hrwh.test", s)[1] for s in sources] == before["stoep"]


def test_p2c_avoids_the_server_with_a_request_in_flight(proxies):
    for proxy in ("traefik", "stoep"):
        held = {}

        def slow():
            held["pick"] = get_from(proxies, proxy, "p2c.test", path="/slow/1.5")[1]
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)  # the slow request is at its server
        quick = Counter(get_from(proxies, proxy, "p2c.test")[1] for _ in range(6))
        t.join()
        assert len(quick) == 1, (proxy, quick)
        assert held["pick"] not in quick, (proxy, held, quick)


def test_leasttime_prefers_the_faster_server(proxies):
    proxies.backends["h"].server.delay = 0.15
    seen = {}
    for proxy in ("traefik", "stoep"):
        seen[proxy] = Counter(get_from(proxies, proxy, "lt.test")[1] for _ in range(10))
    # Both start level (no sample: 0 ms): until h's first answer is measured one of them can go to h.
    assert seen["stoep"] == seen["traefik"] == Counter(h=1, i=9)


def test_api_shows_the_strategy_as_traefik(proxies):
    for name, strategy in (("hrw", "hrw"), ("p2c", "p2c"), ("lt", "leasttime")):
        docs = {proxy: proxies.api(proxy, f"/api/http/services/{name}@file") for proxy in ("traefik", "stoep")}
        assert docs["stoep"][0] == docs["traefik"][0] == 200
        assert docs["stoep"][1]["loadBalancer"]["strategy"] == docs["traefik"][1]["loadBalancer"]["strategy"] == strategy
        assert docs["stoep"][1]["type"] == docs["traefik"][1]["type"]
