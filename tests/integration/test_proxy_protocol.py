"""PROXY protocol in (`entryPoints.NAME.proxyProtocol`) and out (`tcp.serversTransports.NAME.proxyProtocol`,
the deprecated `loadBalancer.proxyProtocol`), and TCP middlewares (ipAllowList, inFlightConn), side by side
with Traefik 3.7: raw clients send v1 and v2 headers (whole, split, malformed, from trusted and untrusted
peers) and both proxies must let the same bytes reach the same backends; HAProxy's send-proxy-v2 is a real
client. Both reactor backends."""
import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from conftest import free_port, series
from proxy_pair import TraefikRun, allocate, beside, needs_traefik, start_stoep
from traefik_peer import RecordingBackend
from upstreams import Upstream

ENTRY_POINTS = {"trusted": False, "untrusted": False, "tcp": False}

STATIC = """entryPoints:
  trusted: {address: "127.0.0.1:{trusted}", proxyProtocol: {trustedIPs: ["127.0.0.1/32"]}}
  untrusted: {address: "127.0.0.1:{untrusted}", proxyProtocol: {trustedIPs: ["10.9.9.9"]}}
  tcp: {address: "127.0.0.1:{tcp}", proxyProtocol: {insecure: true}}
accessLog: {filePath: "{access_log}", format: json}
"""

DYNAMIC = """http:
  routers:
    app: {rule: "PathPrefix(`/`)", service: app, entryPoints: [trusted, untrusted]}
    allow: {rule: "PathPrefix(`/allow`)", service: app, entryPoints: [trusted], middlewares: [only1234]}
    secure: {rule: "Host(`tls.test`)", service: app, entryPoints: [trusted], tls: {}}
  middlewares:
    only1234: {ipAllowList: {sourceRange: ["1.2.3.4/32"]}}
  services:
    app: {loadBalancer: {servers: [{url: "http://127.0.0.1:{httpback}"}]}}
tcp:
  routers:
    v2: {rule: "ClientIP(`1.2.3.0/24`)", service: v2, entryPoints: [tcp]}
    v1: {rule: "ClientIP(`1.2.4.0/24`)", service: v1, entryPoints: [tcp]}
    guarded: {rule: "ClientIP(`9.9.0.0/16`)", service: plain, entryPoints: [tcp], middlewares: [allow99, one]}
    rest: {rule: "HostSNI(`*`)", service: plain, entryPoints: [tcp]}
  middlewares:
    allow99: {ipAllowList: {sourceRange: ["9.9.9.0/24"]}}
    one: {inFlightConn: {amount: 1}}
  serversTransports:
    pp2: {proxyProtocol: {version: 2}}
  services:
    v2: {loadBalancer: {servers: [{address: "127.0.0.1:{tcpback}"}], serversTransport: pp2}}
    v1: {loadBalancer: {servers: [{address: "127.0.0.1:{tcpback}"}], proxyProtocol: {version: 1}}}
    plain: {loadBalancer: {servers: [{address: "127.0.0.1:{tcpback}"}]}}
"""

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src="1.2.3.4", dst="5.6.7.8", sport=1000, dport=80, family="TCP4"):
    return f"PROXY {family} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src="1.2.3.4", dst="5.6.7.8", sport=1000, dport=80, command=0x21, tlv=b""):
    if ":" in src:
        block = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sport, dport)
        fam = 0x21
    else:
        block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
        fam = 0x11
    block += tlv
    return V2_SIG + bytes([command, fam]) + struct.pack("!H", len(block)) + block


def parse_v2(data):
    """(source ip, source port, destination ip, destination port, rest) of a v2 header at the start."""
    assert data[:12] == V2_SIG, data[:40]
    fam, length = data[13], struct.unpack("!H", data[14:16])[0]
    block = data[16:16 + length]
    if fam >> 4 == 1:
        s, d = socket.inet_ntoa(block[0:4]), socket.inet_ntoa(block[4:8])
        sp, dp = struct.unpack("!HH", block[8:12])
    else:
        s, d = socket.inet_ntop(socket.AF_INET6, block[0:16]), socket.inet_ntop(socket.AF_INET6, block[16:32])
        sp, dp = struct.unpack("!HH", block[32:36])
    return s, sp, d, dp, data[16 + length:]


def answer_at_end(conn):
    """A raw TCP server's handler: answers every byte it received once they end with b"END" (or at EOF). No
    half-close is needed: Traefik 3.7 stops reading a server at once after the client's FIN when the
    service names no serversTransport (its terminationDelay is then 0), which would hide the answer."""
    conn.settimeout(10)
    got = b""
    while b := conn.recv(65536):
        got += b
        if got.endswith(b"END"):
            conn.sendall(got)
            got = b""
    if got:
        conn.sendall(got)


def echo_headers(req):
    body = f"xff={req.header('X-Forwarded-For')};real={req.header('X-Real-Ip')}".encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def exchange(port, parts, pause=0.3, half_close=False, timeout=5, source=None):
    """Sends `parts` (a pause between them) on a new connection; returns what came back until EOF, or
    "reset". `half_close`: shut our side down after the last part (raw TCP backends answer at EOF)."""
    s = socket.socket()
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    out = b""
    try:
        for i, p in enumerate(parts):
            if i:
                time.sleep(pause)
            s.sendall(p)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if not half_close and b"\r\n\r\n" in out and out.count(b"xff=") == 1:
                break
            if out.endswith(b"END"):
                break
    except ConnectionResetError:
        return "reset" if not out else out
    except BrokenPipeError:
        return "reset"
    finally:
        s.close()
    return out


def body(answer):
    if not isinstance(answer, bytes) or not answer.startswith(b"HTTP/") or b"\r\n\r\n" not in answer:
        return answer
    head, rest = answer.split(b"\r\n\r\n", 1)
    return head.split(b"\r\n")[0] + b" | " + rest


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    needs_traefik()
    http_backend, tcp_backend = RecordingBackend(respond=echo_headers), Upstream(answer_at_end)
    extra = {"httpback": http_backend.port, "tcpback": tcp_backend.port}
    workdir = tmp_path_factory.mktemp("traefik")
    ports = {**allocate(ENTRY_POINTS), **extra, "access_log": workdir / "access.log"}
    traefik = TraefikRun(workdir, STATIC, DYNAMIC, ports, ports["trusted"])
    yield traefik, extra
    traefik.close()
    http_backend.close()
    tcp_backend.close()


@pytest.fixture
def both(peers, stoep):
    return beside(peers, stoep, STATIC, DYNAMIC, ENTRY_POINTS, own={"access_log": stoep.workdir / "access.log"})


def compare(both, entry_point, parts, **kw):
    """What a client sees through Traefik and stoep; asserted equal, returned."""
    seen = {name: body(exchange(ports[entry_point], parts, **kw)) for name, ports in both.items()}
    assert seen["stoep"] == seen["traefik"], seen
    return seen["stoep"]


GET = b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"


def test_trusted_headers_name_the_client(both):
    assert compare(both, "trusted", [v1() + GET]) == b"HTTP/1.1 200 OK | xff=1.2.3.4;real=1.2.3.4"
    assert compare(both, "trusted", [v2() + GET]) == b"HTTP/1.1 200 OK | xff=1.2.3.4;real=1.2.3.4"
    assert compare(both, "trusted", [v2("2001:db8::7", "2001:db8::1") + GET]) == b"HTTP/1.1 200 OK | xff=2001:db8::7;real=2001:db8::7"
    assert compare(both, "trusted", [v1("2001:db8::7", "2001:db8::1", family="TCP6") + GET]).endswith(b"xff=2001:db8::7;real=2001:db8::7")
    # TLVs (AWS, GCP put some there) are skipped.
    assert compare(both, "trusted", [v2(tlv=b"\x04\x00\x03abc") + GET]).endswith(b"xff=1.2.3.4;real=1.2.3.4")
    # No header from a trusted peer: the peer is the client.
    assert compare(both, "trusted", [GET]).endswith(b"xff=127.0.0.1;real=127.0.0.1")
    # LOCAL (v2) and UNKNOWN (v1) headers carry no client: the peer stays it.
    assert compare(both, "trusted", [v2(command=0x20) + GET]).endswith(b"xff=127.0.0.1;real=127.0.0.1")
    assert compare(both, "trusted", [b"PROXY UNKNOWN\r\n" + GET]).endswith(b"xff=127.0.0.1;real=127.0.0.1")


def test_access_log_names_the_real_client(both):
    compare(both, "trusted", [v1("1.2.3.77", "5.6.7.8", 1000, 80) + b"GET /logged HTTP/1.1\r\nHost: a\r\n\r\n"])
    time.sleep(0.5)
    hosts = {}
    for name, ports in both.items():
        lines = [json.loads(line) for line in open(ports["access_log"]).read().splitlines() if line.strip()]
        hosts[name] = [line["ClientHost"] for line in lines if line.get("RequestPath") == "/logged"]
    assert hosts["stoep"] == hosts["traefik"][-1:] == ["1.2.3.77"], hosts


def test_untrusted_peer_header_is_consumed_and_ignored(both):
    assert compare(both, "untrusted", [v1() + GET]) == b"HTTP/1.1 200 OK | xff=127.0.0.1;real=127.0.0.1"
    assert compare(both, "untrusted", [v2() + GET]) == b"HTTP/1.1 200 OK | xff=127.0.0.1;real=127.0.0.1"
    assert compare(both, "untrusted", [GET]).endswith(b"xff=127.0.0.1;real=127.0.0.1")


def test_split_headers(both):
    # A v2 header may arrive in pieces; a v1 line must come in one read (go-proxyproto drops the rest).
    sig_part = v2()
    assert compare(both, "trusted", [sig_part[:10], sig_part[10:20], sig_part[20:] + GET]).endswith(b"xff=1.2.3.4;real=1.2.3.4")
    assert compare(both, "trusted", [b"PROXY TCP4 1.2.3.4 ", b"5.6.7.8 1000 80\r\n" + GET]) == b""
    # Fewer than five bytes of "PROXY" are waited for.
    assert compare(both, "trusted", [b"PRO", b"XY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n" + GET]).endswith(b"xff=1.2.3.4;real=1.2.3.4")


@pytest.mark.parametrize("header", [
    b"PROXY TCP4 1.2.3.4\r\n",                                   # too few fields
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 99999\r\n",                # port out of range
    b"PROXY TCP4 2001:db8::1 5.6.7.8 1000 80\r\n",               # family mismatch
    b"PROXY TCP5 1.2.3.4 5.6.7.8 1000 80\r\n",                   # unknown protocol
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\n",                     # LF without CR
    b"PROXY " + b"x" * 120 + b"\r\n",                            # longer than 107 bytes
    V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,                 # v2 with version 3
    V2_SIG + b"\x21\x11\x00\x04" + b"\x00" * 4,                  # v2 length shorter than an IPv4 block
    V2_SIG + b"\x21\x00\x00\x00",                                # UNSPEC with PROXY
    V2_SIG + b"\x21\x11\x10\x01" + b"\x00" * 4097,               # v2 longer than 4096
], ids=["v1-fields", "v1-port", "v1-family", "v1-proto", "v1-lf", "v1-long", "v2-version", "v2-short", "v2-unspec", "v2-long"])
def test_malformed_headers_drop_the_connection(both, header, stoep):
    assert compare(both, "trusted", [header + GET]) in (b"", "reset")
    assert stoep.proc.poll() is None
    assert compare(both, "trusted", [v1() + GET]).endswith(b"xff=1.2.3.4;real=1.2.3.4")


def test_tls_after_the_header(both):
    """The header comes first, then the TLS handshake (SNI routing, HTTPS) reads what follows it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    seen = {}
    for name, ports in both.items():
        raw = socket.create_connection(("127.0.0.1", ports["trusted"]), timeout=5)
        raw.sendall(v2("1.2.3.4"))
        with ctx.wrap_socket(raw, server_hostname="tls.test") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: tls.test\r\nConnection: close\r\n\r\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        seen[name] = body(out)
    assert seen["stoep"] == seen["traefik"] == b"HTTP/1.1 200 OK | xff=1.2.3.4;real=1.2.3.4", seen


def test_http_allow_list_sees_the_real_client(both):
    assert compare(both, "trusted", [v1() + b"GET /allow HTTP/1.1\r\nHost: a\r\n\r\n"]).endswith(b"xff=1.2.3.4;real=1.2.3.4")
    assert compare(both, "trusted", [v1("1.2.3.5") + b"GET /allow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"]) == b"HTTP/1.1 403 Forbidden | Forbidden"


def test_proxy_protocol_out_v2_and_deprecated_v1(both):
    # ClientIP rules read the header's client; v2 to the server through tcp.serversTransports.
    seen = compare(both, "tcp", [v1("1.2.3.4", "5.6.7.8", 1000, 80) + b"helloEND"])
    assert parse_v2(seen) == ("1.2.3.4", 1000, "5.6.7.8", 80, b"helloEND")
    seen = compare(both, "tcp", [v2("2001:db8::9", "2001:db8::1", 4242, 443) + b"helloEND"])
    assert seen == b"helloEND"  # ClientIP(1.2.3.0/24) does not match an IPv6 client: the catch-all, no header
    # v1 from the deprecated loadBalancer.proxyProtocol.
    assert compare(both, "tcp", [v2("1.2.4.5", "5.6.7.8", 1234, 25) + b"helloEND"]) == \
        b"PROXY TCP4 1.2.4.5 5.6.7.8 1234 25\r\nhelloEND"


def test_proxy_protocol_out_without_header_in_names_the_peer(both):
    """No header in: the TCP peer and the entry point's address go out (ports differ between the proxies)."""
    for name, ports in both.items():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", ports["tcp"]))
        s.sendall(v2("1.2.3.9", "127.0.0.1", 1, 2) + b"xEND")
        got = b""
        while not got.endswith(b"END") and (chunk := s.recv(4096)):
            got += chunk
        s.close()
        assert parse_v2(got) == ("1.2.3.9", 1, "127.0.0.1", 2, b"xEND"), name


def test_tcp_middlewares_close_refused_connections_at_once(both):
    # ipAllowList: 9.9.8.1 matches the router's ClientIP rule but not the allow list: closed, nothing sent.
    assert compare(both, "tcp", [v1("9.9.8.1") + b"hiEND"]) in (b"", "reset")
    assert compare(both, "tcp", [v1("9.9.9.1") + b"hiEND"]) == b"hiEND"
    # inFlightConn amount 1 per client IP: a second connection from 9.9.9.1 while one is open is closed.
    for name, ports in both.items():
        first = socket.create_connection(("127.0.0.1", ports["tcp"]), timeout=5)
        first.sendall(v1("9.9.9.1") + b"one")
        time.sleep(0.3)
        started = time.time()
        assert exchange(ports["tcp"], [v1("9.9.9.1") + b"twoEND"]) in (b"", "reset"), name
        assert time.time() - started < 2, name
        assert exchange(ports["tcp"], [v1("9.9.9.2") + b"otherEND"]) == b"otherEND", name
        first.sendall(b"END")
        assert first.recv(100) == b"oneEND", name
        first.close()
        time.sleep(0.3)
        # The slot is free again once the first connection ended.
        assert exchange(ports["tcp"], [v1("9.9.9.1") + b"threeEND"]) == b"threeEND", name


def test_stats_count_headers_and_refusals(both, stoep):
    port = both["stoep"]["trusted"]
    exchange(port, [v1() + GET])
    exchange(port, [b"PROXY TCP4 1.2.3.4\r\n" + GET])
    exchange(port, [GET])
    exchange(both["stoep"]["untrusted"], [v2() + GET])
    exchange(both["stoep"]["tcp"], [v1("9.9.8.1") + b"xEND"])
    time.sleep(0.2)
    st = stoep.stats()
    assert series(st, "counters", "proxy_protocol_headers", entrypoint="trusted", outcome="used") >= 1
    assert series(st, "counters", "proxy_protocol_headers", entrypoint="trusted", outcome="malformed") >= 1
    assert series(st, "counters", "proxy_protocol_headers", entrypoint="trusted", outcome="absent") >= 1
    assert series(st, "counters", "proxy_protocol_headers", entrypoint="untrusted", outcome="ignored") >= 1
    assert series(st, "counters", "tcp_router_refused", router="guarded@file") >= 1


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_haproxy_send_proxy_v2_is_understood(both, tmp_path):
    """HAProxy in front, as in a real deployment: the client's address (127.0.0.5 here) reaches the backend."""
    for name, ports in both.items():
        front = free_port()
        cfg = tmp_path / f"haproxy-{name}.cfg"
        cfg.write_text(f"""global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend f
  bind 127.0.0.1:{front}
  default_backend b
backend b
  server s 127.0.0.1:{ports['trusted']} send-proxy-v2
""")
        proc = subprocess.Popen(["haproxy", "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 5
            answer = None
            while time.time() < deadline:
                try:
                    answer = exchange(front, [GET], source="127.0.0.5")
                    if answer:
                        break
                except OSError:
                    time.sleep(0.1)
            assert body(answer).endswith(b"xff=127.0.0.5;real=127.0.0.5"), (name, answer)
        finally:
            proc.terminate()
            proc.wait(5)


def test_random_headers_never_hurt_the_process(both, stoep):
    """Hostile input: 300 random v1 lines and v2 headers (random family, command, length, bytes), some cut
    short; each connection is answered or closed, the process serves on."""
    import random
    rng = random.Random(16)
    port = both["stoep"]["trusted"]
    for i in range(300):
        if i % 2:
            head = b"PROXY " + bytes(rng.choice(b"TCP46UNKOW .:0123456789abcdef\r\n") for _ in range(rng.randint(0, 120)))
        else:
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
            length = rng.choice([len(payload), rng.randint(0, 5000)])
            head = V2_SIG + bytes([rng.choice([0x20, 0x21, rng.getrandbits(8)]), rng.getrandbits(8)]) + struct.pack("!H", length) + payload
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(head[:rng.randint(1, len(head))] if i % 7 == 0 else head + GET)
            if i % 30 == 0:  # now and then wait for the verdict (an answer or the close)
                s.settimeout(0.1)
                try:
                    s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    pass
            s.close()
        except OSError:
            pass
    assert stoep.proc.poll() is None
    assert compare(both, "trusted", [v1() + GET]).endswith(b"xff=1.2.3.4;real=1.2.3.4")
    assert series(stoep.stats(), "counters", "proxy_protocol_headers", entrypoint="trusted", outcome="malformed") > 50
