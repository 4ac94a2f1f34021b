"""ACME issuance against a real ACME server (Debian's pebble): certificates ordered for the routers'
names, challenges answered by stoep itself (HTTP-01 on the web entry point before its redirect to
websecure, TLS-ALPN-01 on websecure), acme.json written in Traefik's layout and read back by Traefik 3.7,
the account kept across restarts, renewal without a restart, badNonce retried, a refused challenge
reported while other names keep serving, and pebble down at start. On both reactor backends."""
import base64
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from acme_peer import pebble_factory  # noqa: F401 (fixture)
from conftest import free_port
from http_backend import Backend
from test_proxy import backends  # noqa: F401 (fixture)
from tls_certs import san_names


def start(stoep, pebble, backend_url, hosts, challenge="httpChallenge: {entryPoint: web}", extra_resolver="",
          duration=None, web=None, secure=None, start_pebble=True, router_tls=None):
    """stoep with web (redirecting to websecure) and websecure, one resolver `le` at pebble, a router per host."""
    if start_pebble:
        pebble.start()
    acme = stoep.workdir / "acme.json"
    routers = "".join(f"""    r{i}:
      rule: "Host(`{h}`)"
      service: app
      tls: {router_tls or '{certResolver: le}'}
""" for i, h in enumerate(hosts))
    (stoep.workdir / "dynamic.yml").write_text(f"""http:
  routers:
{routers}  services:
    app: {{loadBalancer: {{servers: [{{url: "{backend_url}"}}]}}}}
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web:
    address: "127.0.0.1:{pebble.http_port}"
    http:
      redirections:
        entryPoint: {{to: websecure, scheme: https}}
  websecure:
    address: "127.0.0.1:{pebble.tls_port}"
    http:
      tls: {{}}
providers:
  file: {{filename: "{stoep.workdir / 'dynamic.yml'}"}}
certificatesResolvers:
  le:
    acme:
      email: admin@inethilocal.net
      storage: "{acme}"
      caServer: "{pebble.directory}"
      caCertificates: ["{pebble.ca_file}"]
      keyType: EC256
{f'      certificatesDuration: {duration}' if duration else ''}
      {challenge}
{extra_resolver}""")
    stoep.start("--traefik-config", str(static))
    return acme


def acme_info(stoep):
    return stoep.stats("show info").get("acme", {})


def wait_for_certificates(stoep, count, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        le = acme_info(stoep).get("le", {})
        issued = [c for c in le.get("certificates", []) if "not_after" in c]
        if len(issued) >= count:
            return le
        time.sleep(0.2)
    raise AssertionError(f"no certificates after {timeout} s: {acme_info(stoep)}\n{stoep.log_text()[-3000:]}")


def served_names(port, host, cafile=None):
    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    if cafile:
        ctx.check_hostname = True
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            return san_names(s.getpeercert(binary_form=True))


def pebble_roots(pebble, directory):
    path = directory / "pebble-roots.pem"
    path.write_bytes(pebble.roots_pem())
    return str(path)


@pytest.fixture
def ports():
    return free_port(), free_port()


def test_http01_issues_for_every_router_and_writes_traefiks_layout(stoep, backends, pebble_factory, ports):
    be = backends()
    pebble = pebble_factory(*ports)
    acme = start(stoep, pebble, be.url, ["app.test", "radio.test"])
    le = wait_for_certificates(stoep, 2)
    assert le["account"].startswith(f"https://127.0.0.1:{pebble.port}/")
    roots = pebble_roots(pebble, stoep.workdir)
    for host in ("app.test", "radio.test"):
        assert host in served_names(pebble.tls_port, host, cafile=roots)
    # acme.json: Traefik's layout, mode 0600.
    assert oct(os.stat(acme).st_mode & 0o777) == "0o600"
    doc = json.loads(acme.read_text())
    assert list(doc) == ["le"]
    account = doc["le"]["Account"]
    assert account["Email"] == "admin@inethilocal.net"
    assert account["Registration"]["uri"] == le["account"]
    assert account["Registration"]["body"]["status"] == "valid"
    assert base64.b64decode(account["PrivateKey"])[:2] == b"\x30\x82"  # PKCS#1 DER
    mains = sorted(c["domain"]["main"] for c in doc["le"]["Certificates"])
    assert mains == ["app.test", "radio.test"]
    for c in doc["le"]["Certificates"]:
        assert "sans" not in c["domain"]
        assert c["Store"] == "default"
        assert base64.b64decode(c["certificate"]).startswith(b"-----BEGIN CERTIFICATE-----")
        assert base64.b64decode(c["key"]).startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert "ordering a certificate for app.test" in stoep.log_text()


def test_redirect_leaves_the_challenge_path_alone(stoep, backends, pebble_factory, ports):
    be = backends()
    pebble = pebble_factory(*ports)
    start(stoep, pebble, be.url, ["app.test"])
    wait_for_certificates(stoep, 1)
    # Any other path on web is redirected; an unknown token is an empty 404, not a redirect.
    conn = socket.create_connection(("127.0.0.1", pebble.http_port), timeout=5)
    conn.sendall(b"GET /.well-known/acme-challenge/nope HTTP/1.1\r\nHost: app.test\r\n\r\n")
    head = conn.recv(4096).decode()
    assert head.startswith("HTTP/1.1 404 "), head
    conn.close()
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{pebble.http_port}/x",
                        "-H", "Host: app.test"], capture_output=True, text=True)
    assert r.stdout in ("301", "302", "308"), r.stdout
