"""Sticky sessions (`sticky.cookie` on loadBalancer and weighted services), side by side with Traefik 3.7:
the Set-Cookie each sends (name — configured or derived from the service name —, value, attributes),
that the cookie pins the server, that an older Traefik's FNV value pins and is rewritten, that an unknown
value is re-balanced, and that a backend's own Set-Cookie is kept beside it. Both reactor backends."""

import pytest

from service_peers import ServicePeers
from traefik_peer import traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="Traefik 3.7 (make deps) not installed")

DYNAMIC = """
http:
  routers:
    named: {{rule: "Host(`named.test`)", service: named, entryPoints: [web]}}
    plain: {{rule: "Host(`plain.test`)", service: plain, entryPoints: [web]}}
    split: {{rule: "Host(`split.test`)", service: split, entryPoints: [web]}}
  services:
    named:
      loadBalancer:
        servers: [{{url: "{a}"}}, {{url: "{b}"}}]
        sticky: {{cookie: {{name: "my cookie", secure: true, httpOnly: true, sameSite: lax, maxAge: 600, path: /app, domain: .example.test}}}}
    plain:
      loadBalancer:
        servers: [{{url: "{a}"}}, {{url: "{b}"}}]
        sticky: {{cookie: {{}}}}
    one: {{loadBalancer: {{servers: [{{url: "{a}"}}]}}}}
    two: {{loadBalancer: {{servers: [{{url: "{b}"}}]}}}}
    split: {{weighted: {{services: [{{name: one}}, {{name: two}}], sticky: {{cookie: {{name: wsticky, sameSite: strict}}}}}}}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def proxies(request, tmp_path_factory):
    p = ServicePeers(tmp_path_factory.mktemp(f"sticky-{request.param}"), request.param, DYNAMIC, "ab", "plain.test")
    yield p
    p.close()


def both(proxies, host, cookie=None):
    return {proxy: proxies.get(proxy, host, cookie) for proxy in ("traefik", "stoep")}


@pytest.mark.parametrize("host", ["named.test", "plain.test", "split.test"])
def test_first_answer_sets_the_cookie_as_traefik(proxies, host):
    # Both balancers are at the same point of their rounds only by chance: compare the cookie a given
    # server gets, collecting both servers' cookies from each proxy.
    seen = {"traefik": {}, "stoep": {}}
    for _ in range(4):
        for proxy, (status, name, cookies) in both(proxies, host).items():
            assert status == 200
            assert len(cookies) == 1, cookies
            seen[proxy][name] = cookies[0]
    assert set(seen["stoep"]) == {"a", "b"}
    assert seen["stoep"] == seen["traefik"]


@pytest.mark.parametrize("host", ["named.test", "plain.test", "split.test"])
def test_cookie_pins_the_server(proxies, host):
    for proxy in ("traefik", "stoep"):
        _, first, cookies = proxies.get(proxy, host)
        pair = cookies[0].split(";")[0]
        for _ in range(5):
            status, name, again = proxies.get(proxy, host, cookie="other=1; " + pair)
            assert (status, name, again) == (200, first, []), proxy


def test_unknown_value_is_balanced_and_replaced(proxies):
    answers = both(proxies, "plain.test")
    name = answers["stoep"][2][0].split("=")[0]
    for proxy in ("traefik", "stoep"):
        status, _, cookies = proxies.get(proxy, "plain.test", cookie=f"{name}=nonsense")
        assert status == 200 and len(cookies) == 1 and not cookies[0].startswith(f"{name}=nonsense")


def fnv64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        h ^= b
    return format(h, "x")


def test_older_traefik_values_pin_and_are_rewritten(proxies):
    b = proxies.backends["b"].url
    out = {}
    for legacy in (b, fnv64(b), fnv64(fnv64(b))):
        answers = both(proxies, "named.test", cookie=f"my_cookie={legacy}")
        for proxy, (status, name, cookies) in answers.items():
            assert (status, name) == (200, "b"), proxy
            out.setdefault(proxy, []).append(cookies)
    assert out["stoep"] == out["traefik"]
    assert all(len(c) == 1 for c in out["stoep"])
