"""The HTTP reverse proxy with Traefik's configuration: routing, keep-alive, pipelining, bodies of every
framing, forwarded headers, errors, request smuggling defence, upgrades, middlewares and reloads.
Real backends (http_backend.py), real clients (curl, http.client, raw sockets), both reactor backends."""
import hashlib
import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import free_port, series
from http_backend import Backend


@pytest.fixture
def backends():
    made = []

    def make():
        b = Backend()
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()


def start_proxy(stoep, dynamic_yaml, trusted=None, syntax=None):
    """stoep with a Traefik static config (YAML) whose file provider points at `dynamic_yaml`."""
    port = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(dynamic_yaml)
    fwd = f", forwardedHeaders: {{trustedIPs: [{trusted}]}}" if trusted else ""
    core = f"core: {{defaultRuleSyntax: {syntax}}}\n" if syntax else ""
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
{core}entryPoints:
  web: {{address: "127.0.0.1:{port}"{fwd}}}
providers:
  file: {{filename: "{dyn}"}}
""")
    stoep.start("--traefik-config", str(static))
    return port


def simple(backend, rule="Host(`app.test`)", extra_router="", middlewares="", mw_defs=""):
    return f"""http:
  routers:
    app:
      rule: "{rule}"
      service: app
{middlewares}{extra_router}
  services:
    app:
      loadBalancer:
        servers: [{{url: "{backend.url}"}}]
{mw_defs}"""


def get(port, path="/", host="app.test", headers=None, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers={"Host": host, **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def raw(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except socket.timeout:
            pass
    return out


def test_routes_by_host_and_path_with_priority_and_strip_prefix(stoep, backends):
    a, b = backends(), backends()
    port = start_proxy(stoep, f"""http:
  routers:
    site:
      rule: "Host(`app.test`)"
      service: a
    api:
      rule: "Host(`app.test`) && PathPrefix(`/api`)"
      service: b
      middlewares: [strip]
  middlewares:
    strip:
      stripPrefix: {{prefixes: ["/api"]}}
  services:
    a: {{loadBalancer: {{servers: [{{url: "{a.url}"}}]}}}}
    b: {{loadBalancer: {{servers: [{{url: "{b.url}"}}]}}}}
""")
    r, body = get(port, "/x", host="APP.test:8080")  # host matching ignores case and port
    assert r.status == 200 and json.loads(body)["port"] == a.port
    r, body = get(port, "/api/users?id=1")
    doc = json.loads(body)
    assert doc["port"] == b.port and doc["path"] == "/users?id=1"
    assert ["X-Forwarded-Prefix", "/api"] in doc["headers"]
    r, body = get(port, "/", host="nobody.test")
    assert r.status == 404 and body == b"404 page not found\n"
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"


def test_forwarded_headers_and_spoofing(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    r, body = get(port, "/", headers={"X-Forwarded-For": "6.6.6.6", "X-Real-Ip": "6.6.6.6",
                                      "X-Forwarded-Proto": "https", "Connection": "X-Secret", "X-Secret": "drop"})
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert h["x-forwarded-for"] == "127.0.0.1"          # the untrusted peer's value was removed
    assert h["x-real-ip"] == "127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-host"] == "app.test"
    assert h["x-forwarded-port"] == "80"
    assert h["x-forwarded-server"]
    assert h["host"] == "app.test"                      # passHostHeader
    assert "x-secret" not in h                          # named by Connection: hop-by-hop


def test_connection_listed_name_dropped_from_a_chunked_request(stoep, backends):
    # A chunked request keeps Trailer (removed from the hop-by-hop set) while Connection adds Foo-Hop: the
    # set changed twice and kept its size, which once let stoep copy Foo-Hop on a route without middlewares.
    be = backends()
    port = start_proxy(stoep, simple(be))
    # Connection names only Foo-Hop (a `close` would grow the set); a second request closes the connection.
    out = raw(port, b"POST /with-headers HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nConnection: Foo-Hop\r\n"
                    b"Foo-Hop: drop\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                    b"GET /end HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
    head, _, rest = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), out
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    body = rest[:length]
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert "foo-hop" not in h and h["trailer"] == "X-T" and json.loads(body)["length"] == 5


def test_trusted_peer_keeps_and_appends_forwarded_for(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be), trusted='"127.0.0.1/32"')
    r, body = get(port, "/", headers={"X-Forwarded-For": "10.1.1.1", "X-Forwarded-Proto": "https"})
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert h["x-forwarded-for"] == "10.1.1.1, 127.0.0.1"
    assert h["x-forwarded-proto"] == "https"


def test_keep_alive_both_sides_and_pipelining(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(50):
        c.request("GET", f"/n{i}", headers={"Host": "app.test"})
        r = c.getresponse()
        assert json.loads(r.read())["path"] == f"/n{i}"
    c.close()
    stats = stoep.stats()
    assert series(stats, "counters", "server_connections_opened") <= 2
    assert series(stats, "counters", "server_connections_reused") >= 48
    # Three requests in one write come back as three responses, in order.
    req = b"".join(b"GET /p%d HTTP/1.1\r\nHost: app.test\r\n\r\n" % i for i in range(3))
    out = raw(port, req + b"GET /last HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200 OK") == 4
    assert [out.find(b'"/p0"'), out.find(b'"/p1"'), out.find(b'"/p2"'), out.find(b'"/last"')] == sorted(
        [out.find(b'"/p0"'), out.find(b'"/p1"'), out.find(b'"/p2"'), out.find(b'"/last"')])


def test_bodies_content_length_chunked_head_and_uploads(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    size = 20 << 20
    out = subprocess.run(["curl", "-s", "-H", "Host: app.test", f"http://127.0.0.1:{port}/bytes/{size}"],
                         capture_output=True, timeout=30)
    expected = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    assert hashlib.sha256(out.stdout).hexdigest() == hashlib.sha256(expected).hexdigest()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/chunked/40", headers={"Host": "app.test"})
    r = c.getresponse()
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.read() == b"".join((b"chunk-%d;" % i) * (i + 1) for i in range(40))
    c.request("HEAD", "/bytes/1000", headers={"Host": "app.test"})  # same connection: framing kept
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"" and r.getheader("Content-Length") == "1000"
    upload = bytes(range(256)) * (40 << 12)  # 40 MiB
    c.request("POST", "/up", body=upload, headers={"Host": "app.test"})
    doc = json.loads(c.getresponse().read())
    assert doc == {"sha256": hashlib.sha256(upload).hexdigest(), "length": len(upload), "path": "/up"}

    def chunks():
        for i in range(100):
            yield bytes([i]) * (10000 + i)
    c.request("PUT", "/chunky", body=chunks(), headers={"Host": "app.test"}, encode_chunked=True)
    doc = json.loads(c.getresponse().read())
    assert doc["length"] == sum(10000 + i for i in range(100))
    assert doc["sha256"] == hashlib.sha256(b"".join(chunks())).hexdigest()
    c.close()
    assert series(stoep.stats(), "counters", "http_bytes_spliced") > size // 2


def _chunked_pieces(seed, sizes):
    """A chunked body as the pieces a peer writes one by one: cut between a payload's CR and LF, after its
    CRLF, inside the next size line; every third size line carries an extension longer than the proxy's
    64-byte peek; trailers at the end. Returns (pieces, payload)."""
    payload, wire, cuts = b"", b"", []
    for i, n in enumerate(sizes):
        data = (bytes((seed + i + k) & 0xFF for k in range(251)) * (n // 251 + 1))[:n]
        ext = (b";ext=" + b"e" * 100) if i % 3 == 1 else b""
        wire += b"%x%s\r\n%s\r\n" % (n, ext, data)
        payload += data
        cuts.append(len(wire) - 1 + i % 3)  # -1: between CR and LF; +0: after CRLF; +1: in the next size line
    wire += b"0\r\nX-Trailer: yes\r\n\r\n"
    pieces, last = [], 0
    for c in cuts:
        pieces.append(wire[last:c])
        last = c
    pieces.append(wire[last:])
    return pieces, payload


def test_chunked_bodies_with_framing_split_anywhere(stoep):
    """Chunked bodies both ways whose framing arrives in pieces (the proxy peeks at it between spliced
    payloads, or reads it when the peek cannot see a whole size line): every byte arrives, and the
    connections stay usable for the next request."""
    sizes = [1, 70000, 3, 200000, 65536, 7, 300001, 2, 131072]
    up_pieces, up_payload = _chunked_pieces(1, sizes)
    down_pieces, down_payload = _chunked_pieces(7, list(reversed(sizes)))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    lsock.settimeout(20)
    uploads = []

    def read_chunked(f):
        body = b""
        while True:
            n = int(f.readline().split(b";")[0], 16)
            if n == 0:
                while f.readline() not in (b"\r\n", b""):
                    pass
                return body
            body += f.read(n)
            assert f.read(2) == b"\r\n"

    def handle(conn):
        conn.settimeout(20)
        f = conn.makefile("rb")
        while True:
            head = f.readline()
            if not head:
                break
            while not head.endswith(b"\r\n\r\n"):
                head += f.readline()
            if b"chunked" in head.lower():
                uploads.append(read_chunked(f))
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for p in down_pieces:
                conn.sendall(p)
                time.sleep(0.002)
        conn.close()

    def serve():
        for _ in range(2):
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{lsock.getsockname()[1]}"
    port = start_proxy(stoep, f"""http:
  routers: {{app: {{rule: "Host(`app.test`)", service: app}}}}
  services: {{app: {{loadBalancer: {{servers: [{{url: "{url}"}}]}}}}}}
""")
    c = socket.create_connection(("127.0.0.1", port), timeout=20)
    c.sendall(b"POST /up HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n")
    for p in up_pieces:
        c.sendall(p)
        time.sleep(0.002)
    r = http.client.HTTPResponse(c)
    r.begin()
    assert r.status == 200 and r.read() == down_payload
    assert uploads == [up_payload]
    c.sendall(b"GET /again HTTP/1.1\r\nHost: app.test\r\n\r\n")  # same connection: framing kept
    r = http.client.HTTPResponse(c)
    r.begin()
    assert r.status == 200 and r.read() == down_payload
    c.close()
    lsock.close()


def test_expect_continue(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    out = subprocess.run(["curl", "-s", "-H", "Host: app.test", "-H", "Expect: 100-continue", "--data-binary",
                          "@-", f"http://127.0.0.1:{port}/e"], input=b"x" * 200000, capture_output=True, timeout=20)
    assert json.loads(out.stdout)["length"] == 200000


def test_errors_bad_gateway_and_timeouts(stoep, backends):
    dead = free_port()
    port = start_proxy(stoep, f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:{dead}"}}]}}}}
""")
    r, body = get(port)
    assert r.status == 502 and body == b"Bad Gateway"
    assert r.getheader("Content-Type") is None  # Traefik 3 turns content sniffing off
    r, body = get(port)  # the refusing server is skipped for a while: no available server
    assert r.status == 503 and body == b"no available server\n"


@pytest.mark.parametrize("request_bytes", [
    b"POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    b"GET / HTTP/1.1\r\nHost: app.test\r\nX-A: one\r\n two\r\n\r\n",
    b"GET / HTTP/1.1\nHost: app.test\n\n",
    b"GET / HTTP/1.1\r\nHost: app.test\r\nX-A\r: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost : app.test\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
], ids=["cl-and-te", "two-cl", "obs-fold", "bare-lf", "bare-cr", "space-before-colon", "bad-chunk", "no-host"])
def test_request_smuggling_defence(stoep, backends, request_bytes):
    be = backends()
    port = start_proxy(stoep, simple(be))
    out = raw(port, request_bytes)
    assert out.startswith(b"HTTP/1.1 400"), out[:100]
    if b"zz\r\n" not in request_bytes:  # a bad chunk is found after a valid head was forwarded
        assert be.requests == 0


def test_header_too_large_is_431(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    out = raw(port, b"GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: " + b"a" * (2 << 20) + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431")


def test_upgrade_switches_to_a_raw_relay(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 101")
        assert b"Upgrade: echo" in head
        for i in range(20):
            msg = b"frame %d " % i * 100
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += s.recv(65536)
            assert got == msg


def test_bad_rule_is_reported_and_others_serve(stoep, backends):
    be = backends()
    port = start_proxy(stoep, f"""http:
  routers:
    broken: {{rule: "Host(`a.test`) &&& Path(`/`)", service: app}}
    v2style: {{rule: "Host(`v2.test`,`v2b.test`)", service: app}}
    good: {{rule: "Host(`app.test`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    assert get(port)[0].status == 200
    assert get(port, host="v2b.test")[0].status == 200  # accepted as v2, with a warning
    errors = stoep.stats("show config-errors")["errors"]
    text = " ".join(e["message"] for e in errors)
    assert "router broken@file" in text and "v2" in text
    assert "column" in text or ":" in text


def test_reload_swaps_routes_without_dropping_connections(stoep, backends):
    a, b = backends(), backends()
    port = start_proxy(stoep, simple(a))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/", headers={"Host": "app.test"})
    assert json.loads(c.getresponse().read())["port"] == a.port
    (stoep.workdir / "dynamic.yml").write_text(simple(b))
    stoep.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        c.request("GET", "/", headers={"Host": "app.test"})  # the same client connection
        if json.loads(c.getresponse().read())["port"] == b.port:
            break
        time.sleep(0.05)
    else:
        pytest.fail("new route not in effect")
    c.close()


def test_show_conns_lists_http_clients_and_upgrades(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/", headers={"Host": "app.test"})
    c.getresponse().read()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 101")
    time.sleep(0.1)
    conns = stoep.stats("show conns")["conns"]
    kinds = sorted(c["kind"] for c in conns)
    assert kinds == ["http", "upgrade"], conns
    assert [c for c in conns if c["kind"] == "http"][0]["state"] == "idle"
    s.close()
    c.close()


def test_stats_per_router_service_and_server(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    for _ in range(5):
        get(port, "/x")
    get(port, "/", host="nobody.test")
    stats = stoep.stats()
    assert series(stats, "counters", "router_responses", router="app@file", code_class="2xx") == 5
    assert series(stats, "counters", "service_responses", service="app@file", code_class="2xx") == 5
    assert series(stats, "counters", "server_responses", server=be.url, code_class="2xx") == 5
    assert series(stats, "counters", "server_connections_reused", server=be.url) >= 1
    assert series(stats, "counters", "http_responses", entrypoint="web", code_class="4xx") == 1
    hist = stats["histograms"]["router_latency_us"][0]
    assert hist["count"] == 5 and hist["p99_us"] > 0
    # A request in flight shows as an open request of its router and service.
    slow = threading.Thread(target=lambda: get(port, "/slow/1"))
    slow.start()
    time.sleep(0.4)
    stats = stoep.stats()
    assert series(stats, "gauges", "router_open_requests", router="app@file") == 1
    assert series(stats, "gauges", "service_open_requests", service="app@file") == 1
    slow.join()


def test_long_pipeline_in_one_write(stoep, backends):
    be = backends()
    port = start_proxy(stoep, simple(be))
    reqs = b"".join(b"GET /p%d HTTP/1.1\r\nHost: app.test\r\n\r\n" % i for i in range(79))
    out = raw(port, reqs + b"GET /end HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n", timeout=10)
    assert out.count(b"HTTP/1.1 200 OK") == 80
