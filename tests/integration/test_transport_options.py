"""Transport options side by side with Traefik 3.7 (issue 16): named `serversTransports` forwardingTimeouts
(`dialTimeout`, `responseHeaderTimeout`, `idleConnTimeout`, HTTP/2 `readIdleTimeout`/`pingTimeout`) and
`maxIdleConnsPerHost`, the static `serversTransport.forwardingTimeouts.idleConnTimeout`, entry point
`transport.keepAliveMaxRequests`/`keepAliveMaxTime`, health check `followRedirects`, TCP serversTransport
`terminationDelay` and `dialKeepAlive`. Backends are real sockets that record their connections; Traefik
runs once per module on the same configuration, stoep per test on both reactor backends."""
import re
import socket
import subprocess
import threading
import time

import h2.config
import h2.connection
import h2.events
import hpack
import pytest

from proxy_pair import TraefikRun, allocate, needs_traefik, start_stoep
from test_http2 import frame
from upstreams import Upstream

# `heavy`: the epoll half runs in `make test-slow` (make test's time budget); io_uring's stays in make test.
pytestmark = pytest.mark.heavy


class TrackingBackend:
    """HTTP/1.1 keep-alive server: answers every request 200 "ok" (after ?ms=N milliseconds); /hc redirects
    to /hc-target, which answers `target_status`; /loop redirects to itself. Records when each connection
    opened and closed."""

    def __init__(self):
        self.opened = 0
        self.closed_at = []
        self.open_now = 0
        self.target_status = 500
        self.lock = threading.Lock()
        self.up = Upstream(self._handle)
        self.port = self.up.port

    def _handle(self, conn):
        with self.lock:
            self.opened += 1
            self.open_now += 1
        buf = b""
        try:
            conn.settimeout(60)
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode()
                path = line.split(" ")[1]
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", b"\r\n" + head)
                if length:
                    need = int(length.group(1))
                    while len(buf) < need:
                        buf += conn.recv(65536)
                    buf = buf[need:]
                ms = re.search(r"ms=(\d+)", path)
                if ms:
                    time.sleep(int(ms.group(1)) / 1000)
                if path.startswith("/hc-target"):
                    status, extra = self.target_status, b""
                elif path.startswith("/hc"):
                    status, extra = 302, b"Location: /hc-target\r\n"
                elif path.startswith("/loop"):
                    status, extra = 302, b"Location: /loop\r\n"
                elif path.startswith("/tls"):
                    status, extra = 302, f"Location: https://127.0.0.1:{self.port}/hc-target\r\n".encode()
                else:
                    status, extra = 200, b""
                conn.sendall(b"HTTP/1.1 %d X\r\n%sContent-Length: 2\r\n\r\nok" % (status, extra))
        except OSError:
            return
        finally:
            with self.lock:
                self.open_now -= 1
                self.closed_at.append(time.monotonic())

    def close(self):
        self.up.close()


def blackhole():
    """A loopback port whose connects hang: a listener with a full accept queue (SYNs are dropped)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(s.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.2)
    return s, fillers


def tcp_backend(conn):
    """Reads until the client's EOF, then answers "A" at once and "B" a second later."""
    conn.settimeout(10)
    while conn.recv(65536):
        pass
    conn.sendall(b"A")
    time.sleep(1.0)
    try:
        conn.sendall(b"B")
    except OSError:
        pass


def held_backend(conn):
    conn.settimeout(10)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


ENTRY_POINTS = {"web": False, "capped": False, "timed": False, "tcpd": False, "tcpinf": False, "tcpka": False}

STATIC = """entryPoints:
  web: {address: "127.0.0.1:{web}"}
  capped: {address: "127.0.0.1:{capped}", transport: {keepAliveMaxRequests: 3}}
  timed: {address: "127.0.0.1:{timed}", transport: {keepAliveMaxTime: 600ms}}
  tcpd: {address: "127.0.0.1:{tcpd}"}
  tcpinf: {address: "127.0.0.1:{tcpinf}"}
  tcpka: {address: "127.0.0.1:{tcpka}"}
serversTransport:
  forwardingTimeouts: {idleConnTimeout: 700ms}
"""

DYNAMIC = """http:
  routers:
    plain: {rule: "Host(`plain.test`)", service: plain, entryPoints: [web, capped, timed]}
    hdr: {rule: "Host(`hdr.test`)", service: hdr, entryPoints: [web]}
    one: {rule: "Host(`one.test`)", service: one, entryPoints: [web]}
    two: {rule: "Host(`two.test`)", service: two, entryPoints: [web]}
    dial: {rule: "Host(`dial.test`)", service: dial, entryPoints: [web]}
    follow: {rule: "Host(`follow.test`)", service: follow, entryPoints: [web]}
    nofollow: {rule: "Host(`nofollow.test`)", service: nofollow, entryPoints: [web]}
    loop: {rule: "Host(`loop.test`)", service: loop, entryPoints: [web]}
    tls: {rule: "Host(`tls.test`)", service: tlsredirect, entryPoints: [web]}
  serversTransports:
    short: {forwardingTimeouts: {responseHeaderTimeout: 300ms, idleConnTimeout: 400ms}}
    one: {maxIdleConnsPerHost: 1, forwardingTimeouts: {idleConnTimeout: 1500ms}}
    dflt: {forwardingTimeouts: {idleConnTimeout: 1500ms}}
    dial: {forwardingTimeouts: {dialTimeout: 300ms}}
  services:
    plain: {loadBalancer: {servers: [{url: "http://127.0.0.1:{be_plain}"}]}}
    hdr: {loadBalancer: {servers: [{url: "http://127.0.0.1:{be_hdr}"}], serversTransport: short}}
    one: {loadBalancer: {servers: [{url: "http://127.0.0.1:{be_one}"}], serversTransport: one}}
    two: {loadBalancer: {servers: [{url: "http://127.0.0.1:{be_two}"}], serversTransport: dflt}}
    dial: {loadBalancer: {servers: [{url: "http://127.0.0.1:{be_dial}"}], serversTransport: dial}}
    follow:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:{be_health}"}]
        healthCheck: {path: /hc, interval: 200ms, timeout: 1s}
    nofollow:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:{be_health}"}]
        healthCheck: {path: /hc, interval: 200ms, timeout: 1s, followRedirects: false}
    loop:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:{be_health}"}]
        healthCheck: {path: /loop, interval: 200ms, timeout: 1s}
    tlsredirect:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:{be_health}"}]
        healthCheck: {path: /tls, interval: 200ms, timeout: 1s}
tcp:
  routers:
    d: {rule: "HostSNI(`*`)", service: d, entryPoints: [tcpd]}
    inf: {rule: "HostSNI(`*`)", service: inf, entryPoints: [tcpinf]}
    ka: {rule: "HostSNI(`*`)", service: ka, entryPoints: [tcpka]}
  serversTransports:
    d: {terminationDelay: 300ms}
    inf: {terminationDelay: -1s}
    ka: {dialKeepAlive: 7s}
  services:
    d: {loadBalancer: {servers: [{address: "127.0.0.1:{be_tcp}"}], serversTransport: d}}
    inf: {loadBalancer: {servers: [{address: "127.0.0.1:{be_tcp}"}], serversTransport: inf}}
    ka: {loadBalancer: {servers: [{address: "127.0.0.1:{be_held}"}], serversTransport: ka}}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    needs_traefik()
    backends = {n: TrackingBackend() for n in ("plain", "hdr", "one", "two", "health")}
    hole, fillers = blackhole()
    tcp = Upstream(tcp_backend)
    held = Upstream(held_backend)
    extra = {f"be_{n}": b.port for n, b in backends.items()}
    extra.update(be_dial=hole.getsockname()[1], be_tcp=tcp.port, be_held=held.port)
    ports = {**allocate(ENTRY_POINTS), **extra}
    traefik = TraefikRun(tmp_path_factory.mktemp("traefik"), STATIC, DYNAMIC, ports, ports["web"])
    yield {"traefik": traefik, "extra": extra, "backends": backends, "held": held.port}
    traefik.close()
    for b in backends.values():
        b.close()
    for s in [hole, *fillers]:
        s.close()
    tcp.close()
    held.close()


@pytest.fixture
def both(world, stoep):
    ports = {**allocate(ENTRY_POINTS), **world["extra"]}
    start_stoep(stoep, STATIC, DYNAMIC, ports)
    time.sleep(0.5)  # the file provider's routers
    return {"traefik": world["traefik"].ports, "stoep": ports}


def get(port, host, path="/", timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return int(data.split(b" ", 2)[1]) if data else 0
    finally:
        s.close()


def test_named_response_header_timeout_and_dial_timeout(both):
    for name, ports in both.items():
        started = time.monotonic()
        assert get(ports["web"], "hdr.test", "/?ms=1500") == 504, name
        assert time.monotonic() - started < 1.2, name
        assert get(ports["web"], "hdr.test", "/?ms=50") == 200, name
        assert get(ports["web"], "plain.test", "/?ms=500") == 200, name   # the static transport has no such limit
        started = time.monotonic()
        assert get(ports["web"], "dial.test") == 504, name
        assert time.monotonic() - started < 2.0, name


def quiet(backend, timeout=4.0):
    """Waits until none of the backend's connections is open (an earlier proxy's pooled ones idled out)."""
    deadline = time.monotonic() + timeout
    while backend.open_now and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.open_now == 0


def idle_closes(backend, port, host, requests=1, concurrent=False, settle=0.3):
    """Sends `requests` (at once when `concurrent`); returns how many of the backend's connections are
    open `settle` seconds after the last answer."""
    quiet(backend)
    threads = [threading.Thread(target=get, args=(port, host, "/?ms=300" if concurrent else "/")) for _ in range(requests)]
    for t in threads:
        t.start()
        if not concurrent:
            t.join()
    for t in threads:
        t.join()
    time.sleep(settle)
    return backend.open_now


def test_idle_conn_timeout_named_and_static(both, world):
    be = world["backends"]
    for name, ports in both.items():
        for host, backend, limit in (("hdr.test", be["hdr"], 0.4), ("plain.test", be["plain"], 0.7)):
            quiet(backend)
            before = len(backend.closed_at)
            sent = time.monotonic()
            assert get(ports["web"], host) == 200
            deadline = time.monotonic() + 3
            while len(backend.closed_at) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(backend.closed_at) > before, (name, host)
            idle = backend.closed_at[-1] - sent
            assert limit - 0.05 < idle < limit + 0.8, (name, host, idle)


def test_max_idle_conns_per_host(both, world):
    be = world["backends"]
    kept = {}
    for name, ports in both.items():
        kept[name] = (idle_closes(be["one"], ports["web"], "one.test", 3, concurrent=True),
                      idle_closes(be["two"], ports["web"], "two.test", 3, concurrent=True))
    # Go keeps maxIdleConnsPerHost (here 1) and, for a named transport without it, Go's default of 2.
    assert kept["stoep"] == kept["traefik"] == (1, 2), kept


def keep_alive_transcript(port, requests, pause=0.0):
    """Sends up to `requests` requests one after the other on one connection; returns, per answer, its
    status and Connection field, and "closed" once the proxy closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    out, buf = [], b""
    try:
        for _ in range(requests):
            time.sleep(pause)
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: plain.test\r\n\r\n")
            except OSError:
                out.append("closed")
                break
            while b"\r\n\r\nok" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            if b"\r\n\r\nok" not in buf:
                out.append("closed")
                break
            head, _, buf = buf.partition(b"\r\n\r\nok")
            conn = re.search(rb"(?i)\r\nconnection:\s*(\S+)", head)
            out.append((int(head.split(b" ", 2)[1]), conn.group(1).decode().lower() if conn else None))
        else:
            s.settimeout(0.5)
            try:
                out.append("closed" if s.recv(1) == b"" else "open")
            except (socket.timeout, TimeoutError):
                out.append("open")
    finally:
        s.close()
    return out


def test_keep_alive_max_requests_and_max_time(both):
    got = {name: (keep_alive_transcript(ports["capped"], 5), keep_alive_transcript(ports["timed"], 3, pause=0.4))
           for name, ports in both.items()}
    assert got["stoep"] == got["traefik"], got
    assert got["stoep"][0] == [(200, None), (200, None), (200, "close"), "closed"], got
    assert got["stoep"][1] == [(200, None), (200, None), (200, "close"), "closed"], got  # counted from the first request


def h2c_sequence(port, requests):
    """Sends requests one after the other on one h2c connection (frames by hand: Python's h2 refuses the
    frames a server still sends after its GOAWAY); returns each answer's status, then "goaway" once the
    server sent GOAWAY after an answer (or "closed")."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    enc, dec = hpack.Encoder(), hpack.Decoder()
    out, buf, goaway = [], b"", False

    def next_frame():
        nonlocal buf
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            buf += chunk
        length = int.from_bytes(buf[:3], "big")
        kind, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        payload, buf = buf[9:9 + length], buf[9 + length:]
        return kind, flags, sid, payload

    try:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
        for i in range(requests):
            sid = 2 * i + 1
            block = enc.encode([(":method", "GET"), (":path", f"/{i}"), (":scheme", "http"), (":authority", "plain.test")])
            s.sendall(frame(1, 0x5, sid, block))
            status = None
            while True:
                f = next_frame()
                if f is None:
                    out.append("closed")
                    return out
                kind, flags, fsid, payload = f
                if kind == 4 and not flags & 1:
                    s.sendall(frame(4, 1, 0))
                elif kind == 7:
                    goaway = True
                elif kind == 1 and fsid == sid:
                    status = int(dict(dec.decode(payload))[":status"])
                    if flags & 1:
                        break
                elif kind == 0 and fsid == sid and flags & 1:
                    break
            out.append(status)
            # A client that has seen GOAWAY sends no more: look for one (it may follow the answer).
            s.settimeout(0.3)
            try:
                while not goaway:
                    f = next_frame()
                    if f is None:
                        break
                    goaway = f[0] == 7
            except (socket.timeout, TimeoutError):
                pass
            s.settimeout(5)
            if goaway:
                break
        out.append("goaway" if goaway else "open")
        return out
    finally:
        s.close()


def test_keep_alive_max_requests_over_h2c(both):
    """HTTP/2: the third stream is answered and the connection ends with GOAWAY (Go's graceful shutdown
    after a handler's Connection: close)."""
    got = {name: h2c_sequence(ports["capped"], 5) for name, ports in both.items()}
    assert got["stoep"] == got["traefik"] == [200, 200, 200, "goaway"], got


def health_statuses(ports):
    return {h: get(ports["web"], h) for h in ("follow.test", "nofollow.test", "loop.test", "tls.test")}


def wait_statuses(both, expected, timeout=6.0):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = {name: health_statuses(ports) for name, ports in both.items()}
        if seen["stoep"] == seen["traefik"] == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"expected {expected} from both, got {seen}")


def test_health_check_follow_redirects(both, world):
    health = world["backends"]["health"]
    # /hc redirects to /hc-target: followed by default (its 500 takes the server out), judged as the 302
    # itself with followRedirects: false; a redirect loop fails after 10; an https:// target fails.
    health.target_status = 500
    wait_statuses(both, {"follow.test": 503, "nofollow.test": 200, "loop.test": 503, "tls.test": 503})
    health.target_status = 204
    try:
        wait_statuses(both, {"follow.test": 200, "nofollow.test": 200, "loop.test": 503, "tls.test": 503})
    finally:
        health.target_status = 500


def tcp_exchange(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"x")
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            got += b
        return got
    finally:
        s.close()


def test_tcp_termination_delay(both):
    got = {name: (tcp_exchange(ports["tcpd"]), tcp_exchange(ports["tcpinf"])) for name, ports in both.items()}
    assert got["stoep"] == got["traefik"] == (b"A", b"AB"), got


def keepalive_timer(backend_port, proxy_pid=None):
    """Seconds left on the keep-alive timer of the proxy's connection to `backend_port` (ss), or None."""
    out = subprocess.run(["ss", "-tnoH", "state", "established", "dport", "=", f":{backend_port}"],
                         capture_output=True, text=True, timeout=5).stdout
    m = re.search(r"timer:\(keepalive,([\d.]+)(min|sec|ms)?", out)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2)
    # iproute2 6.1 writes "6.524ms" for 6 s 524 ms (seconds with a fraction), "524ms" below a second.
    if unit == "ms" and "." not in m.group(1):
        return value / 1000
    return value * 60 if unit == "min" else value


def test_tcp_dial_keep_alive(both, world):
    for name, ports in both.items():
        s = socket.create_connection(("127.0.0.1", ports["tcpka"]), timeout=5)
        try:
            s.sendall(b"hold")
            deadline = time.monotonic() + 3
            left = None
            while left is None and time.monotonic() < deadline:
                time.sleep(0.1)
                left = keepalive_timer(world["held"])
            assert left is not None and 5.0 < left <= 7.0, (name, left)
        finally:
            s.close()
        time.sleep(0.3)


class PingBackend:
    """An h2c server that answers requests; with `mute`, it stops reading after its answer, so a PING stays
    unanswered. Records the PINGs it received and when its connection closed."""

    def __init__(self, mute):
        self.mute = mute
        self.pings = 0
        self.closed = None
        self.up = Upstream(self._serve)
        self.port = self.up.port

    def _serve(self, sock):
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sock.settimeout(10)
        answered = False
        try:
            while True:
                if answered and self.mute:
                    # Read but not handled: the proxy's PING is never acknowledged; wait for its close.
                    if sock.recv(65536) == b"":
                        break
                    continue
                data = sock.recv(65536)
                if not data:
                    break
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.PingReceived):
                        self.pings += 1
                    if isinstance(ev, h2.events.RequestReceived):
                        conn.send_headers(ev.stream_id, [(":status", "200"), ("content-length", "2")])
                        conn.send_data(ev.stream_id, b"ok", end_stream=True)
                        answered = True
                sock.sendall(conn.data_to_send())
        except OSError:
            pass
        self.closed = time.monotonic()


@pytest.mark.parametrize("mute", [False, True])
def test_h2_read_idle_ping(stoep, mute):
    """readIdleTimeout 300ms: a PING goes out on a quiet h2c connection; pingTimeout 400ms: the server that
    does not answer it has its connection closed, the one that does keeps it."""
    be = PingBackend(mute)
    ports = allocate({"web": False})
    dynamic = f"""http:
  routers:
    r: {{rule: "Host(`h2.test`)", service: s}}
  serversTransports:
    ping: {{forwardingTimeouts: {{readIdleTimeout: 300ms, pingTimeout: 400ms}}}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "h2c://127.0.0.1:{be.port}"}}], serversTransport: ping}}}}
"""
    start_stoep(stoep, 'entryPoints:\n  web: {address: "127.0.0.1:{web}"}\n', dynamic, ports)
    time.sleep(0.3)
    answered = time.monotonic()
    assert get(ports["web"], "h2.test") == 200
    time.sleep(1.5)
    if mute:
        assert be.closed is not None and 0.6 < be.closed - answered < 1.4, (be.closed and be.closed - answered)
    else:
        assert be.pings >= 2 and be.closed is None, (be.pings, be.closed)
    be.up.close()
