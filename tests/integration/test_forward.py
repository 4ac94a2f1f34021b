"""Raw TCP forwarding ([[forward]]): byte-exact bulk transfer, half-close, refused and slow upstreams,
1,000 concurrent connections on one thread, live stats. Every test runs once per backend."""
import hashlib
import json
import socket
import threading
import time

import pytest

from conftest import free_port, series, stats_query
from upstreams import EchoServer, Upstream, pattern_stream

GiB = 1 << 30


def forward_config(listen_port, upstream_port, connect_timeout=5.0, extra=""):
    return f"""
[[forward]]
name = "fw"
listen = "127.0.0.1:{listen_port}"
upstream = "127.0.0.1:{upstream_port}"
connect-timeout = {connect_timeout}
{extra}
"""


def start_forwarder(stoep, upstream_port, **kw):
    port = free_port()
    stoep.start(config=stoep.write_config(forward_config(port, upstream_port, **kw)))
    return port


def recv_all_hash(conn):
    h = hashlib.sha256()
    n = 0
    while True:
        b = conn.recv(1 << 20)
        if not b:
            return h.hexdigest(), n
        h.update(b)
        n += len(b)


def send_pattern(conn, total, seed):
    h = hashlib.sha256()
    for chunk in pattern_stream(total, seed):
        conn.sendall(chunk)
        h.update(chunk)
    return h.hexdigest()


@pytest.mark.heavy  # epoll run in make test-slow
def test_one_gib_each_direction_is_byte_exact(stoep):
    # Upstream hashes what it receives until EOF, then sends 1 GiB back and closes.
    def handler(conn):
        got = recv_all_hash(conn)
        sent = send_pattern(conn, GiB, "down")
        conn.shutdown(socket.SHUT_WR)
        return got, sent

    up = Upstream(handler)
    port = start_forwarder(stoep, up.port)
    with socket.create_connection(("127.0.0.1", port)) as c:
        sent_up = send_pattern(c, GiB, "up")
        c.shutdown(socket.SHUT_WR)  # half-close: the upstream must see EOF after the last byte
        got_down = recv_all_hash(c)
    deadline = time.time() + 10
    while not up.results and time.time() < deadline:
        time.sleep(0.05)
    (got_up, n_up), sent_down = up.results[0]
    assert n_up == GiB and got_up == sent_up
    assert got_down == (sent_down, GiB)
    stats = stoep.stats()
    assert series(stats, "counters", "forward_bytes", direction="up") == GiB
    assert series(stats, "counters", "forward_bytes", direction="down") == GiB
    assert series(stats, "counters", "forward_bytes_spliced") == 2 * GiB
    up.close()


def test_half_closed_stream_is_delivered_completely(stoep):
    # The client sends a request and half-closes; the upstream answers only after EOF.
    def handler(conn):
        data = b""
        while True:
            b = conn.recv(65536)
            if not b:
                break
            data += b
        conn.sendall(b"got " + str(len(data)).encode() + b" " + hashlib.sha256(data).hexdigest().encode())
        return len(data)

    up = Upstream(handler)
    port = start_forwarder(stoep, up.port)
    payload = bytes(range(256)) * 4096
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        c.settimeout(10)
        reply = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            reply += b
    assert reply == b"got %d %s" % (len(payload), hashlib.sha256(payload).hexdigest().encode())


def test_upstream_half_close_keeps_client_direction_open(stoep):
    # The upstream closes its sending side first; the client can still send and be read.
    def handler(conn):
        conn.sendall(b"hello")
        conn.shutdown(socket.SHUT_WR)
        return recv_all_hash(conn)

    up = Upstream(handler)
    port = start_forwarder(stoep, up.port)
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.settimeout(10)
        assert c.recv(100) == b"hello"
        assert c.recv(100) == b""  # EOF propagated
        c.sendall(b"x" * 100000)
        c.shutdown(socket.SHUT_WR)
    deadline = time.time() + 5
    while not up.results and time.time() < deadline:
        time.sleep(0.05)
    assert up.results[0] == (hashlib.sha256(b"x" * 100000).hexdigest(), 100000)


def test_refused_upstream_closes_client_promptly(stoep):
    dead = free_port()  # nothing listens there
    port = start_forwarder(stoep, dead)
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.settimeout(5)
        try:
            assert c.recv(10) == b""
        except ConnectionResetError:
            pass
    assert time.time() - t0 < 1.0
    assert series(stoep.stats(), "counters", "forward_connect_failures") >= 1


def test_connect_timeout_holds(stoep):
    # A listener whose accept queue is full drops SYNs: connects to it hang on loopback.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(0)
    fillers = []
    for _ in range(4):
        f = socket.socket()
        f.setblocking(False)
        f.connect_ex(blackhole.getsockname())
        fillers.append(f)
    time.sleep(0.2)
    port = start_forwarder(stoep, blackhole.getsockname()[1], connect_timeout=1.0)
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.settimeout(10)
        try:
            assert c.recv(10) == b""
        except ConnectionResetError:
            pass
    took = time.time() - t0
    assert 0.8 <= took < 3.0, took
    assert series(stoep.stats(), "counters", "forward_connect_timeouts") == 1
    for f in fillers:
        f.close()
    blackhole.close()


@pytest.mark.heavy  # epoll run in make test-slow
def test_thousand_connections_one_thread_and_complete_conns_listing(stoep):
    echo = EchoServer()
    port = start_forwarder(stoep, echo.port)
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    stop = threading.Event()
    errors = []
    moved = [0]

    def mover(batch):
        block = b"m" * 65536
        try:
            while not stop.is_set():
                for c in batch:
                    c.sendall(block)
                    need = len(block)
                    while need:
                        need -= len(c.recv(need))
                    moved[0] += len(block)
        except OSError as e:
            errors.append(e)

    active = conns[:500]
    workers = [threading.Thread(target=mover, args=(active[i::4],)) for i in range(4)]
    for w in workers:
        w.start()
    samples = []
    deadline = time.time() + 3
    while time.time() < deadline:
        samples.append(stoep.threads())
        time.sleep(0.1)
    listing = stoep.stats("show conns")
    stop.set()
    for w in workers:
        w.join(10)
    assert not errors, errors
    assert moved[0] > 0
    assert samples and all(n == 1 for n in samples), samples
    assert listing["count"] == 1000 and len(listing["conns"]) == 1000
    assert {c["state"] for c in listing["conns"]} <= {"established", "connecting"}
    assert len({c["id"] for c in listing["conns"]}) == 1000
    stats = stoep.stats()
    assert series(stats, "gauges", "forward_active") == 1000
    for c in conns:
        c.close()
    echo.close()


def test_counters_move_under_load_and_stalled_stats_client_does_not_block(stoep):
    def handler(conn):
        return recv_all_hash(conn)

    up = Upstream(handler)
    port = start_forwarder(stoep, up.port)
    # A stats client that asks for the connection list and never reads it.
    lazy = socket.socket(socket.AF_UNIX)
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.connect(str(stoep.sock))
    lazy.sendall(b"show conns\n")
    silent = socket.socket(socket.AF_UNIX)
    silent.connect(str(stoep.sock))  # connects and says nothing
    before = series(stoep.stats(), "counters", "forward_bytes", direction="up")
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as c:
        send_pattern(c, 256 << 20, "stall")
        mid = series(stoep.stats(), "counters", "forward_bytes", direction="up")
        c.shutdown(socket.SHUT_WR)
        c.settimeout(10)
        assert c.recv(1) == b""
    took = time.time() - t0
    after = series(stoep.stats(), "counters", "forward_bytes", direction="up")
    assert before == 0 and 0 < mid <= after == 256 << 20
    assert took < 10, took
    lazy.close()
    silent.close()
    up.close()
