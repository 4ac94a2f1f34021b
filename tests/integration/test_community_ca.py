"""The community CA (issue 14, "For networks with no uplink"), from the outside.

`stoep ca export` reads the root from the localCA resolver's storage (stoep's own TOML), from --storage,
or from /var/lib/stoep/ca, and says plainly when there is no CA yet. The CA's certificates themselves
are checked by the unit tests (Tests/PKITests/CommunityCATests, Tests/ProxyTests/CommunityCAStoreTests:
`openssl verify -x509_strict` and a Python ssl handshake on the PEMs they write).

The end-to-end test: stoep run issues a certificate for a router naming the resolver; Python's ssl,
trusting only the exported root, completes a handshake to stoep; `openssl verify` accepts the chain
stoep presents.
"""
import hashlib
import json
import http.client
import socket
import ssl
import subprocess
import time

import pytest

from conftest import BINARY, free_port
from test_proxy import backends  # noqa: F401 (fixture)


def export(*args, cwd=None):
    return subprocess.run([str(BINARY), "ca", "export", *map(str, args)], capture_output=True, cwd=cwd, timeout=30)


def make_root(directory, name="stoep community CA (test)"):
    """A root certificate as the store keeps it (root.pem, root.key), made by the openssl command line."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "3650", "-subj", f"/CN={name}", "-keyout", directory / "root.key", "-out", directory / "root.pem"],
                   check=True, capture_output=True)
    return (directory / "root.pem").read_bytes()


def local_ca_config(tmp_path, resolvers):
    path = tmp_path / "stoep.toml"
    path.write_text("".join(f'[certificatesResolvers.{name}.localCA]\nstorage = "{storage}"\n\n'
                            for name, storage in resolvers.items()))
    return path


def test_export_says_when_there_is_no_ca(tmp_path):
    r = export("--storage", tmp_path / "ca")
    assert r.returncode == 1
    assert r.stdout == b""
    assert f"{tmp_path / 'ca'}: no community CA yet".encode() in r.stderr, r.stderr

    config = tmp_path / "plain.toml"
    config.write_text('[entryPoints.web]\naddress = "127.0.0.1:8081"\n')
    r = export("--config", config)
    assert r.returncode == 1
    assert b"declares no community CA ([certificatesResolvers.NAME.localCA])" in r.stderr, r.stderr

    r = export("list")
    assert r.returncode == 2 and b"unexpected list" in r.stderr, r.stderr
    r = subprocess.run([str(BINARY), "ca"], capture_output=True, timeout=30)
    assert r.returncode == 2 and b"stoep ca export" in r.stderr


def test_export_prints_the_root_of_the_configured_storage(tmp_path):
    root = make_root(tmp_path / "ca")
    config = local_ca_config(tmp_path, {"community": tmp_path / "ca"})
    r = export("--config", config)
    assert r.returncode == 0, r.stderr
    assert r.stdout == root

    der = subprocess.run(["openssl", "x509", "-in", tmp_path / "ca" / "root.pem", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    r = export("--config", config, "--der")
    assert r.returncode == 0 and r.stdout == der

    assert export("--storage", tmp_path / "ca").stdout == root

    # Two resolvers keeping their CAs apart: one is named with --resolver.
    other = make_root(tmp_path / "other", "stoep community CA (other)")
    config = local_ca_config(tmp_path, {"community": tmp_path / "ca", "lab": tmp_path / "other"})
    r = export("--config", config)
    assert r.returncode == 1 and b"name one with --resolver" in r.stderr, r.stderr
    assert export("--config", config, "--resolver", "lab").stdout == other
    r = export("--config", config, "--resolver", "nope")
    assert r.returncode == 1 and b"no localCA resolver named nope" in r.stderr, r.stderr

    (tmp_path / "ca" / "root.pem").write_text("garbage")
    r = export("--storage", tmp_path / "ca")
    assert r.returncode == 1 and b"root.pem: not a PEM certificate" in r.stderr, r.stderr


def test_status_page_offers_the_root_once_it_exists(stoep, tmp_path):
    port = free_port()
    storage = tmp_path / "ca"
    config = stoep.write_config(f"""
[entryPoints.web]
address = "127.0.0.1:{port}"

[certificatesResolvers.community.localCA]
storage = "{storage}"
""")
    stoep.start(config=config)

    def get(path, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request(method, path)
        r = c.getresponse()
        return r, r.read()

    r, body = get("/stoep-ca.crt")
    assert r.status == 404, "no CA yet"
    assert b"Secure connections" not in get("/")[1]

    root = make_root(storage)   # as the resolver's first issue would leave it
    der = subprocess.run(["openssl", "x509", "-in", storage / "root.pem", "-outform", "DER"], capture_output=True, check=True).stdout
    r, body = get("/stoep-ca.crt")
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/x-x509-ca-cert"
    assert r.getheader("Content-Disposition") == 'attachment; filename="stoep-ca.crt"'
    assert body == der
    r, body = get("/stoep-ca.pem")
    assert r.status == 200 and r.getheader("Content-Type") == "application/x-pem-file" and body == root
    r, body = get("/stoep-ca.pem", "HEAD")
    assert r.status == 200 and body == b"" and r.getheader("Content-Length") == str(len(root))
    page = get("/")[1].decode()
    assert "Secure connections on this network" in page
    assert 'href="/stoep-ca.crt"' in page and 'href="/stoep-ca.pem"' in page
    fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert fingerprint in page
    assert "stoep community CA (test)" in page


def test_issued_certificate_verifies_against_the_exported_root(stoep, backends, tmp_path):
    be = backends()
    port = free_port()
    storage = tmp_path / "state" / "ca"
    config = stoep.write_config(f"""
[entryPoints.websecure]
address = "127.0.0.1:{port}"

[certificatesResolvers.community.localCA]
storage = "{storage}"

[http.routers.wiki]
rule = "Host(`wiki.inethilocal.net`)"
service = "wiki"
entryPoints = ["websecure"]
[http.routers.wiki.tls]
certResolver = "community"

[http.services.wiki.loadBalancer]
servers = [{{url = "{be.url}"}}]
""")
    stoep.start(config=config)
    deadline = time.time() + 10
    while not (storage / "root.pem").exists() and time.time() < deadline:
        time.sleep(0.1)
    r = export("--config", config)
    assert r.returncode == 0, r.stderr
    root = tmp_path / "exported-root.pem"
    root.write_bytes(r.stdout)
    assert oct((storage / "root.key").stat().st_mode & 0o777) == "0o600"
    assert oct(storage.stat().st_mode & 0o777) == "0o700"

    ctx = ssl.create_default_context(cafile=str(root))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    chain = None
    while True:
        try:
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                                 server_hostname="wiki.inethilocal.net") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: wiki.inethilocal.net\r\nConnection: close\r\n\r\n")
                assert s.recv(64).startswith(b"HTTP/1.1 200")
                chain = s.getpeercert()
            break
        except ssl.SSLCertVerificationError:
            if time.time() > deadline:   # the generated default certificate until the first issue
                raise
            time.sleep(0.2)
    assert ("DNS", "wiki.inethilocal.net") in chain["subjectAltName"]

    # openssl verify on what stoep presents: the leaf, with the intermediate it sends as untrusted.
    shown = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "wiki.inethilocal.net",
                            "-showcerts"], input=b"", capture_output=True, timeout=10).stdout.decode()
    blocks = [b + "-----END CERTIFICATE-----\n" for b in shown.split("-----END CERTIFICATE-----")[:-1]]
    blocks = [b[b.index("-----BEGIN CERTIFICATE-----"):] for b in blocks]
    assert len(blocks) == 2, shown
    (tmp_path / "leaf.pem").write_text(blocks[0])
    (tmp_path / "intermediate.pem").write_text(blocks[1])
    v = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", root,
                        "-untrusted", tmp_path / "intermediate.pem", tmp_path / "leaf.pem"], capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr

    # show info: the resolver, its certificate, renewal at two thirds of the 7-day lifetime.
    info = stoep.stats("show info")["acme"]["community"]
    assert info["kind"] == "community CA"
    cert = info["certificates"][0]
    assert cert["names"] == ["wiki.inethilocal.net"]
    life = 7 * 24 * 3600
    assert abs((cert["not_after"] - cert["renew_at"]) - life // 3) <= 1
    # A restart serves the kept certificate: no new one is cut.
    stoep.stop()
    stoep.start(config=config)
    again = stoep.stats("show info")["acme"]["community"]["certificates"][0]
    assert again["not_after"] == cert["not_after"]
    assert stoep.log_text().count("community CA community: ordering a certificate") == 1


def test_root_download_beside_routers_and_on_the_dashboard(stoep, backends, tmp_path):
    """With routers (no status page), every entry point still offers the root, over plain HTTP too (a phone
    fetches it before it trusts anything over TLS); the dashboard has the install section."""
    be = backends()
    web, secure, dash = free_port(), free_port(), free_port()
    storage = tmp_path / "ca"
    config = stoep.write_config(f"""
[certificatesResolvers.community.localCA]
storage = "{storage}"
""")
    (stoep.workdir / "dynamic.yml").write_text(f"""http:
  routers:
    all: {{rule: "PathPrefix(`/`)", service: app, entryPoints: [websecure], tls: {{certResolver: community}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  websecure: {{address: "127.0.0.1:{secure}"}}
  traefik: {{address: "127.0.0.1:{dash}"}}
api: {{dashboard: true, insecure: true}}
providers:
  file: {{filename: "{stoep.workdir / 'dynamic.yml'}"}}
""")
    stoep.start("--traefik-config", str(static), config=config)
    exported = export("--config", config).stdout
    for port in (web, dash):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/stoep-ca.pem")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("Content-Type") == "application/x-pem-file"
        assert r.read() == exported
    c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
    c.request("GET", "/other")
    assert c.getresponse().status == 404, "everything else is routed as before"
    ctx = ssl._create_unverified_context()
    c = http.client.HTTPSConnection("127.0.0.1", secure, timeout=5, context=ctx)
    c.request("GET", "/stoep-ca.crt")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "application/x-x509-ca-cert"
    assert r.read() == ssl.PEM_cert_to_DER_cert(exported.decode())
    c = http.client.HTTPConnection("127.0.0.1", dash, timeout=5)
    c.request("GET", "/dashboard/")
    page = c.getresponse().read().decode()
    assert "Secure connections on this network" in page and 'href="/stoep-ca.crt"' in page
    c = http.client.HTTPConnection("127.0.0.1", dash, timeout=5)
    c.request("GET", "/dashboard/live.json")
    certificates = json.loads(c.getresponse().read())["certificates"]
    assert certificates and all(x["issuer"] and x["not_after_s"] > time.time() for x in certificates), certificates
