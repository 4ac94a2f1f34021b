"""Configuration checking, reload, shutdown, stats-socket ownership and the embedded default."""
import os
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import BINARY, Stoep, free_port, series, stats_query
from upstreams import Upstream

BROKEN = """backend = "epoll"

[[forward]]
listen = "127.0.0.1:notaport"
upstream = "127.0.0.1:9"

[stats]
sockett = "x"

[[forward]]
listen = "127.0.0.1:7000"
"""


def test_check_lists_every_error_with_line_numbers(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BROKEN)
    r = subprocess.run([str(BINARY), "check", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.startswith(str(bad) + ":")]
    assert len(lines) == 3, r.stderr
    assert [int(l.split(":")[1]) for l in lines] == [4, 8, 10], r.stderr


def test_check_accepts_valid_files(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[[forward]]\nlisten = "127.0.0.1:7000"\nupstream = "127.0.0.1:7001"\n')
    r = subprocess.run([str(BINARY), "check", str(good)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_run_refuses_an_invalid_file_listing_all_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BROKEN)
    r = subprocess.run([str(BINARY), "run", "--config", str(bad), "--stats-socket", str(tmp_path / "s.sock")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert r.stderr.count(str(bad) + ":") == 3, r.stderr


def forward(port, upstream, name="fw"):
    return f'[[forward]]\nname = "{name}"\nlisten = "127.0.0.1:{port}"\nupstream = "127.0.0.1:{upstream}"\n'


def echo_once(port, payload=b"ping"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = c.recv(65536)
            if not b:
                return data
            data += b


def echo_handler(conn):
    while True:
        b = conn.recv(65536)
        if not b:
            return True
        conn.sendall(b)


def test_sighup_with_broken_file_keeps_serving(stoep):
    up = Upstream(echo_handler)
    port = free_port()
    cfg = stoep.write_config(forward(port, up.port))
    stoep.start(config=cfg)
    assert echo_once(port) == b"ping"
    cfg.write_text(BROKEN)
    stoep.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert stoep.proc.poll() is None
    assert echo_once(port, b"still") == b"still"
    errors = stoep.stats("show config-errors")["errors"]
    assert len(errors) == 3 and all(e["line"] > 0 for e in errors)
    assert series(stoep.stats(), "counters", "config_reload_failures") == 1
    assert "reload failed" in stoep.log_text()
    up.close()


def test_sighup_applies_changes_without_closing_established_connections(stoep):
    up = Upstream(echo_handler)
    port, port2 = free_port(), free_port()
    cfg = stoep.write_config(forward(port, up.port))
    stoep.start(config=cfg)
    held = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.sendall(b"before")
    assert held.recv(100) == b"before"
    cfg.write_text(forward(port, up.port) + forward(port2, up.port, name="second"))
    stoep.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while series(stoep.stats(), "counters", "config_reloads") != 1 and time.time() < deadline:
        time.sleep(0.05)
    assert echo_once(port2, b"new") == b"new"
    held.sendall(b"after")  # the listener was kept and so was this connection
    assert held.recv(100) == b"after"
    # Removing a forward stops its listener but lets its connections finish.
    cfg.write_text(forward(port2, up.port, name="second"))
    stoep.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while series(stoep.stats(), "counters", "config_reloads") != 2 and time.time() < deadline:
        time.sleep(0.05)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    held.sendall(b"drain")
    assert held.recv(100) == b"drain"
    held.close()
    up.close()


def test_sigterm_lets_inflight_transfer_finish(stoep):
    def slow(conn):
        conn.recv(10)
        time.sleep(1.0)
        conn.sendall(b"late answer")
        return True

    up = Upstream(slow)
    port = free_port()
    stoep.start(config=stoep.write_config(forward(port, up.port)))
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"q")
    time.sleep(0.2)
    stoep.signal(signal.SIGTERM)
    time.sleep(0.2)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert c.recv(100) == b"late answer"
    c.close()
    assert stoep.proc.wait(10) == 0
    assert not stoep.sock.exists()
    up.close()


def test_stale_socket_is_replaced_and_live_one_refused(tmp_path, backend):
    sock = tmp_path / "stoep.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock))
    stale.close()  # a socket file with nobody behind it, as a crash leaves it
    first = Stoep(tmp_path, backend)
    cfg = first.write_config(forward(free_port(), 9))
    first.start(config=cfg)
    assert oct(os.stat(sock).st_mode & 0o777) == "0o660"
    r = subprocess.run([str(BINARY), "run", "--backend", backend, "--config", str(cfg), "--stats-socket", str(sock)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "held by a running stoep" in r.stderr
    assert first.stats("show info")["pid"] == first.pid
    first.stop()


def test_stats_commands(stoep):
    stoep.start(config=stoep.write_config(forward(free_port(), 9)))
    helpdoc = stoep.stats("help")
    assert {c["command"] for c in helpdoc["commands"]} >= {"help", "show info", "show stats", "show conns", "show config-errors"}
    unknown = stoep.stats("show nothing")
    assert "error" in unknown
    info = stoep.stats("show info")
    assert info["backend"] == stoep.backend and info["pid"] == stoep.pid and info["threads"] == 1
    assert info["rss_bytes"] > 0 and info["config_source"].endswith("stoep.toml")
    out = subprocess.run([str(BINARY), "stats", "--stats-socket", str(stoep.sock)], capture_output=True, text=True)
    assert out.returncode == 0 and "forward_accepted" in out.stdout
    out = subprocess.run([str(BINARY), "stats", "--stats-socket", str(stoep.sock), "--json", "show", "info"],
                         capture_output=True, text=True)
    assert '"pid"' in out.stdout


def test_embedded_default_serves_dns_http_and_stats(tmp_path, backend):
    # The embedded default binds fixed ports (5353, 8080): skip when something else holds them.
    for kind, port in ((socket.SOCK_DGRAM, 5353), (socket.SOCK_STREAM, 8080)):
        with socket.socket(socket.AF_INET, kind) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as stoep binds: TIME_WAIT is fine
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                pytest.skip(f"port {port} busy (another stoep or service is running)")
    s = Stoep(tmp_path, backend)
    s.start()
    try:
        q = dns.message.make_query("app.stoep.lan", "A")
        r = dns.query.udp(q, "127.0.0.1", port=5353, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR
        assert [a.address for a in r.answer[0]] == ["127.0.0.1"]
        r = dns.query.tcp(dns.message.make_query("stoep.lan", "AAAA"), "127.0.0.1", port=5353, timeout=3)
        assert r.rcode() == dns.rcode.NOERROR and not r.answer  # NODATA, never forwarded
        out = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:8080/"], capture_output=True, text=True, timeout=5)
        assert out.stdout.startswith("HTTP/1.1 200") and "stoep" in out.stdout
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:8080/nope"],
                             capture_output=True, text=True, timeout=5)
        assert out.stdout == "404"
        dig = subprocess.run(["dig", "+short", "@127.0.0.1", "-p", "5353", "x.stoep.lan"], capture_output=True, text=True)
        assert dig.stdout.strip() == "127.0.0.1"
        stats = s.stats()
        assert series(stats, "counters", "http_requests", entrypoint="web") == 2
        assert series(stats, "counters", "dns_queries", transport="udp") == 2
        assert s.stats("show info")["config_source"] == "embedded default"
    finally:
        s.stop()
