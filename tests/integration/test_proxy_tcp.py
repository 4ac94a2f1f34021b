"""TCP routers: HostSNI(`*`) relays raw TCP at once; `tls.passthrough` routers pick a TLS backend by the
SNI of the ClientHello without terminating TLS; plain HTTP on the same entry point still reaches the
HTTP routers."""
import http.client
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import free_port
from http_backend import Backend
from test_proxy import get, start_proxy


def tls_server(tmp_path, name):
    """A real TLS echo-ish server for `name` (self-signed); returns its port."""
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert), "-days", "1"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve():
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with ctx.wrap_socket(raw, server_side=True) as s:
                    data = s.recv(100)
                    s.sendall(b"tls " + name.encode() + b" got " + data)
            except (OSError, ssl.SSLError):
                pass
    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def tls_ask(port, sni):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            s.sendall(b"hello")
            return s.recv(100)


def test_passthrough_by_sni_and_http_fallback(stoep, tmp_path):
    a, b = tls_server(tmp_path, "a.test"), tls_server(tmp_path, "b.test")
    be = Backend()
    try:
        port = start_proxy(stoep, f"""tcp:
  routers:
    a: {{rule: "HostSNI(`a.test`)", service: a, tls: {{passthrough: true}}}}
    b: {{rule: "HostSNI(`b.test`)", service: b, tls: {{passthrough: true}}}}
  services:
    a: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{a}"}}]}}}}
    b: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{b}"}}]}}}}
http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
        assert tls_ask(port, "a.test") == b"tls a.test got hello"
        assert tls_ask(port, "B.test") == b"tls b.test got hello"
        with pytest.raises((ssl.SSLError, OSError)):
            tls_ask(port, "c.test")  # no router, and no TLS termination yet: closed
        r, _ = get(port, "/")  # plain HTTP on the same entry point
        assert r.status == 200
        keep = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # a keep-alive client, left open
        keep.request("GET", "/", headers={"Host": "app.test"})
        keep.getresponse().read()
        conns = stoep.stats("show conns")
        assert conns["count"] == len(conns["conns"]) == 1, conns
        assert conns["conns"][0]["kind"] == "http" and conns["conns"][0]["state"] == "idle"
        keep.close()
    finally:
        be.close()


def test_host_sni_star_relays_raw_tcp(stoep):
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(4)

    def serve():
        c, _ = echo.accept()
        c.sendall(b"banner\n")  # a server that speaks first (SMTP-like): no peek may wait for the client
        c.sendall(c.recv(100).upper())
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    port = start_proxy(stoep, f"""tcp:
  routers:
    raw: {{rule: "HostSNI(`*`)", service: raw}}
  services:
    raw: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{echo.getsockname()[1]}"}}]}}}}
""")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(100) == b"banner\n"
        s.sendall(b"quit")
        assert s.recv(100) == b"QUIT"
    echo.close()
