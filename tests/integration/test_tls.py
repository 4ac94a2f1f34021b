"""TLS termination with Traefik's configuration: certificates from PEM files and acme.json chosen by
SNI (wildcards, the default and the generated certificate), TLS 1.2/1.3, ALPN, resumption, the
web→websecure redirection, HTTPS backends, TLS passthrough beside termination, bad input and stats.
Real clients: Python's ssl module, curl --resolve and openssl s_client, on both reactor backends."""
import http.client
import json
import socket
import ssl
import subprocess
import time

import pytest

from conftest import free_port, series
from http_backend import Backend
from test_proxy import backends  # noqa: F401 (fixture)
from tls_certs import CA, acme_json, other_key, san_names, subject_cn


@pytest.fixture
def ca():
    return CA()


def start_tls(stoep, dynamic, static_extra="", web_extra="", websecure_extra=""):
    """stoep with `web` (redirecting to websecure) and `websecure` (http.tls) entry points."""
    web, secure = free_port(), free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(dynamic)
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web:
    address: "127.0.0.1:{web}"
    http:
      redirections:
        entryPoint: {{to: websecure, scheme: https}}
{web_extra}  websecure:
    address: "127.0.0.1:{secure}"
    http:
      tls: {{}}
{websecure_extra}providers:
  file: {{filename: "{dyn}"}}
{static_extra}""")
    stoep.start("--traefik-config", str(static))
    return web, secure


def routes(backend_url, certs=(), extra=""):
    tls = ""
    if certs:
        tls = "tls:\n  certificates:\n" + "".join(f"    - {{certFile: \"{c}\", keyFile: \"{k}\"}}\n" for c, k in certs)
    return f"""http:
  routers:
    app:
      rule: "Host(`app.test`) || HostRegexp(`^.+\\\\.wild\\\\.test$`)"
      service: app
{extra}  services:
    app: {{loadBalancer: {{servers: [{{url: "{backend_url}"}}]}}}}
{tls}"""


def client_context(ca=None, version=None):
    ctx = ssl.create_default_context(cafile=None)
    if ca is not None:
        ctx.load_verify_locations(cadata=ca.pem.decode())
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def handshake(port, name, ctx, session=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(s, server_hostname=name, session=session)


def https_get(port, name, ctx, path="/", method="GET"):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    # http.client sends SNI from the connection host; connect by hand to send `name`.
    c.sock = handshake(port, name, ctx)
    c.request(method, path, headers={"Host": name})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def test_certificates_chosen_by_sni_and_default_generated(stoep, backends, ca):
    be = backends()
    certs = [ca.write(stoep.workdir, "app", ["app.test"]), ca.write(stoep.workdir, "wild", ["*.wild.test"])]
    web, port = start_tls(stoep, routes(be.url, certs))
    ctx = client_context(ca)
    with handshake(port, "app.test", ctx) as s:
        assert san_names(s.getpeercert(binary_form=True)) == ["app.test"]
        assert s.selected_alpn_protocol() is None
    r, body = https_get(port, "x.wild.test", ctx, "/p")
    assert r.status == 200 and json.loads(body)["path"] == "/p"
    # The backend sees https as the forwarded protocol.
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert h["x-forwarded-proto"] == "https" and h["x-forwarded-port"] == "443"
    # A name without a certificate gets Traefik's generated default, with a warning at start.
    with handshake(port, "other.test", client_context()) as s:
        assert subject_cn(s.getpeercert(binary_form=True)) == "TRAEFIK DEFAULT CERT"
    assert "generated self-signed" in stoep.log_text()
    # curl with --resolve verifies the chain against the test CA.
    cafile = stoep.workdir / "ca.pem"
    cafile.write_bytes(ca.pem)
    out = subprocess.run(["curl", "-s", "--cacert", str(cafile), "--resolve", f"app.test:{port}:127.0.0.1",
                          "-o", "/dev/null", "-w", "%{http_code} %{http_version}", f"https://app.test:{port}/"],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout == "200 2", out  # curl offers h2 and http/1.1: h2 is preferred, as Traefik prefers it


def test_configured_default_certificate_and_alpn(stoep, backends, ca):
    be = backends()
    dc, dk = ca.write(stoep.workdir, "default", ["default.test"])
    dyn = routes(be.url) + f"""tls:
  stores:
    default:
      defaultCertificate: {{certFile: "{dc}", keyFile: "{dk}"}}
"""
    _, port = start_tls(stoep, dyn)
    ctx = client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with handshake(port, "nothing.test", ctx) as s:
        assert san_names(s.getpeercert(binary_form=True)) == ["default.test"]
        assert s.selected_alpn_protocol() == "h2"
    ctx = client_context()
    ctx.set_alpn_protocols(["http/1.1"])
    with handshake(port, "nothing.test", ctx) as s:
        assert s.selected_alpn_protocol() == "http/1.1"
    assert "generated self-signed" not in stoep.log_text()


def test_tls_versions_and_session_resumption(stoep, backends, ca):
    be = backends()
    _, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]))
    for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
        ctx = client_context(ca, version)
        with handshake(port, "app.test", ctx) as s:
            assert s.version() == name
            s.sendall(b"GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")
            session = s.session
        with handshake(port, "app.test", ctx, session=session) as s:
            assert s.session_reused, name
    # TLS 1.1 is refused (minimum 1.2, as Traefik's default options).
    old = client_context(ca)
    old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    old.maximum_version = ssl.TLSVersion.TLSv1_1  # noqa: deprecated on purpose
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(port, "app.test", old)
    info = stoep.stats("show info")["tls"]
    assert info["enabled"] and info["handshakes"] >= 4 and info["resumed"] >= 2
    assert info["versions"]["TLSv1.2"] >= 2 and info["versions"]["TLSv1.3"] >= 2
    assert info["kernel_tls"] in ("loaded", "module", "absent")


def test_one_session_ticket_per_tls13_handshake_as_go(stoep, backends, ca):
    # Go's server (Traefik) sends one NewSessionTicket after a TLS 1.3 handshake; OpenSSL's default is two.
    # A client resumes with one; each more costs the handshake a sealed ticket and a record (tls-bench.sh).
    be = backends()
    _, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]))
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "app.test",
                          "-tls1_3", "-ign_eof"], input=b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
                         capture_output=True, timeout=20)
    text = out.stdout.decode(errors="replace")
    assert "HTTP/1.1 200" in text
    assert text.count("Post-Handshake New Session Ticket arrived") == 1


def test_default_options_min_version_and_sni_strict(stoep, backends, ca):
    """tls.options.default as Traefik reads it: minVersion names a protocol version, sniStrict refuses a
    hello whose name matches no certificate (and one without SNI) instead of presenting the default."""
    be = backends()
    dyn = routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]) + """  options:
    default:
      minVersion: VersionTLS13
      sniStrict: true
"""
    _, port = start_tls(stoep, dyn)
    with handshake(port, "app.test", client_context(ca)) as s:
        assert s.version() == "TLSv1.3"
        assert san_names(s.getpeercert(binary_form=True)) == ["app.test"]
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(port, "app.test", client_context(ca, ssl.TLSVersion.TLSv1_2))
    for name in ("other.test", None):
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            handshake(port, name, client_context())
    failures = stoep.stats("show info")["tls"]["failures"]
    assert failures.get("no certificate for the server name (sniStrict)", 0) >= 2, failures


def test_entry_point_redirection_like_traefik3(stoep, backends, ca):
    be = backends()
    web, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]))

    def ask(method, path, host="app.test"):
        c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
        c.request(method, path, headers={"Host": host})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, r.getheader("Location")

    assert ask("GET", "/a/b?x=1&y=2") == (301, f"https://app.test:{port}/a/b?x=1&y=2")
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        assert ask(method, "/p?q") == (308, f"https://app.test:{port}/p?q"), method
    # The Host's port is replaced by the target entry point's.
    assert ask("GET", "/", host=f"app.test:{web}") == (301, f"https://app.test:{port}/")


def test_redirection_to_443_omits_the_port(stoep, backends):
    be = backends()
    web = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(routes(be.url))
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  web:
    address: "127.0.0.1:{web}"
    http: {{redirections: {{entryPoint: {{to: ":443", scheme: https}}}}}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))
    c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
    c.request("GET", "/x", headers={"Host": "app.test"})
    r = c.getresponse()
    assert r.status == 301 and r.getheader("Location") == "https://app.test/x"


def test_routers_split_by_tls_and_passthrough_beside_termination(stoep, backends, ca):
    plain, secure_be = backends(), backends()
    # A TLS server behind a passthrough router: it presents its own certificate.
    pc, pk = ca.write(stoep.workdir, "pass", ["pass.test"])
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(pc, pk)
    passed = Backend(tls=tls)
    port = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    c, k = ca.write(stoep.workdir, "app", ["app.test", "plain.test"])
    dyn.write_text(f"""http:
  routers:
    secure:
      rule: "Host(`app.test`)"
      service: secure
      tls: {{}}
    plain:
      rule: "Host(`plain.test`)"
      service: plain
  services:
    secure: {{loadBalancer: {{servers: [{{url: "{secure_be.url}"}}]}}}}
    plain: {{loadBalancer: {{servers: [{{url: "{plain.url}"}}]}}}}
tcp:
  routers:
    pass:
      rule: "HostSNI(`pass.test`)"
      service: pass
      tls: {{passthrough: true}}
  services:
    pass: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{passed.port}"}}]}}}}
tls:
  certificates: [{{certFile: "{c}", keyFile: "{k}"}}]
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  both: {{address: "127.0.0.1:{port}"}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))
    ctx = client_context(ca)
    r, body = https_get(port, "app.test", ctx)
    assert r.status == 200 and json.loads(body)["port"] == secure_be.port
    # The TLS router does not serve plain HTTP on the same port, the plain one serves it.
    c1 = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c1.request("GET", "/", headers={"Host": "app.test"})
    r = c1.getresponse()
    assert r.status == 404 and r.read() == b"404 page not found\n"
    c1.request("GET", "/", headers={"Host": "plain.test"})
    r = c1.getresponse()
    assert r.status == 200 and json.loads(r.read())["port"] == plain.port
    # Over TLS, the plain router is not used.
    r, _ = https_get(port, "plain.test", ctx)
    assert r.status == 404
    # Passthrough: the backend's own certificate, end to end.
    with handshake(port, "pass.test", ctx) as s:
        assert san_names(s.getpeercert(binary_form=True)) == ["pass.test"]
        s.sendall(b"GET / HTTP/1.1\r\nHost: pass.test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and passed.server_names == ["pass.test"]
    passed.close()


def test_https_backends_verify_skip_and_sni(stoep, backends, ca):
    bc, bk = ca.write(stoep.workdir, "backend", ["backend.test"], ips=["127.0.0.1"])
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(bc, bk)
    be = Backend(tls=tls)
    cafile = stoep.workdir / "ca.pem"
    cafile.write_bytes(ca.pem)
    port = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(f"""http:
  routers:
    skip: {{rule: "Host(`skip.test`)", service: skip}}
    strict: {{rule: "Host(`strict.test`)", service: strict}}
    rooted: {{rule: "Host(`rooted.test`)", service: rooted}}
  services:
    skip: {{loadBalancer: {{servers: [{{url: "https://127.0.0.1:{be.port}"}}], serversTransport: unifi}}}}
    strict: {{loadBalancer: {{servers: [{{url: "https://127.0.0.1:{be.port}"}}]}}}}
    rooted: {{loadBalancer: {{servers: [{{url: "https://127.0.0.1:{be.port}"}}], serversTransport: ours}}}}
  serversTransports:
    unifi: {{insecureSkipVerify: true}}
    ours: {{rootCAs: ["{cafile}"], serverName: backend.test}}
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{port}"}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))

    def ask(host):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/x", headers={"Host": host})
        r = c.getresponse()
        return r.status, r.read()

    status, body = ask("skip.test")
    assert status == 200 and json.loads(body)["path"] == "/x"
    # The system roots do not know the test CA: Traefik answers 500 for a certificate that fails.
    assert ask("strict.test")[0] == 500
    status, body = ask("rooted.test")
    assert status == 200
    assert "backend.test" in be.server_names
    # Keep-alive to the HTTPS backend: a second request reuses the connection.
    for _ in range(3):
        assert ask("skip.test")[0] == 200
    info = stoep.stats("show info")["tls"]
    assert any("certificate verify failed" in k for k in info["backend_failures"])
    be.close()


def test_acme_json_certificates(stoep, backends, ca):
    be = backends()
    cert, key = ca.issue(["inethilocal.net", "*.inethilocal.net"])
    acme = stoep.workdir / "acme.json"
    acme.write_text(acme_json("letsencrypt", [("inethilocal.net", ["*.inethilocal.net"], cert, key)]))
    _, port = start_tls(stoep, routes(be.url).replace("Host(`app.test`)", "Host(`radio.inethilocal.net`)"),
                        static_extra=f"""certificatesResolvers:
  letsencrypt:
    acme:
      email: admin@inethilocal.net
      storage: "{acme}"
      dnsChallenge: {{provider: route53}}
""", websecure_extra="")
    ctx = client_context(ca)
    r, _ = https_get(port, "radio.inethilocal.net", ctx)
    assert r.status == 200
    with handshake(port, "inethilocal.net", ctx) as s:
        assert "*.inethilocal.net" in san_names(s.getpeercert(binary_form=True))


def test_bad_certificates_are_reported_and_skipped(stoep, backends, ca):
    be = backends()
    good = ca.write(stoep.workdir, "good", ["app.test"])
    expired = ca.write(stoep.workdir, "expired", ["old.test"], expired=True)
    mc, _ = ca.write(stoep.workdir, "mismatch", ["mis.test"])
    mk = stoep.workdir / "other.key"
    mk.write_bytes(other_key())
    missing = (stoep.workdir / "missing.crt", stoep.workdir / "missing.key")
    _, port = start_tls(stoep, routes(be.url, [expired, (mc, mk), missing, good]))
    log = stoep.log_text()
    assert "expired.crt: the certificate expired" in log
    assert "mismatch.crt: the private key does not match the certificate" in log
    assert "missing.crt: cannot read" in log
    errors = stoep.stats("show config-errors")
    assert "expired.crt" in json.dumps(errors)
    r, _ = https_get(port, "app.test", client_context(ca))
    assert r.status == 200
    with handshake(port, "old.test", client_context()) as s:
        assert subject_cn(s.getpeercert(binary_form=True)) == "TRAEFIK DEFAULT CERT"


def test_garbage_and_stalled_handshakes_are_dropped(stoep, backends, ca):
    be = backends()
    _, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]),
                        websecure_extra="    transport: {respondingTimeouts: {readTimeout: 1s}}\n")
    ctx = client_context(ca)
    # An established TLS keep-alive connection, used across the bad ones.
    good = handshake(port, "app.test", ctx)
    # Garbage that looks like a TLS record, then garbage that does not.
    for junk in (b"\x16\x03\x01\x00\x05hello-garbage" * 3, b"\x16\x03\x01\xff\xff" + b"\x00" * 600):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(junk)
            try:
                while s.recv(4096):
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
    # A client that starts a handshake and stalls: dropped by the deadline (readTimeout 1 s here).
    stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
    stalled.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    t0 = time.time()
    try:
        while stalled.recv(100):
            pass
    except ConnectionResetError:
        pass
    assert time.time() - t0 < 4
    good.sendall(b"GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
    assert good.recv(100).startswith(b"HTTP/1.1 200")
    good.close()
    failures = stoep.stats("show info")["tls"]["failures"]
    assert "handshake timeout" in failures and sum(failures.values()) >= 3
    assert stoep.proc.poll() is None


def test_openssl_s_client_and_large_body_over_tls(stoep, backends, ca):
    be = backends()
    _, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]))
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "app.test",
                          "-alpn", "http/1.1", "-brief"], input=b"", capture_output=True, timeout=20)
    text = (out.stdout + out.stderr).decode(errors="replace")
    assert "Protocol version: TLSv1.3" in text and "app.test" in text
    # 20 MB down and up through the TLS transport (not spliced: user-space records).
    r, body = https_get(port, "app.test", client_context(ca), f"/bytes/{20 << 20}")
    assert r.status == 200 and len(body) == 20 << 20
    c = http.client.HTTPSConnection("127.0.0.1", port, context=client_context(ca), timeout=20)
    c.sock = handshake(port, "app.test", client_context(ca))
    data = b"x" * (8 << 20)
    c.request("POST", "/up", body=data, headers={"Host": "app.test"})
    r = c.getresponse()
    import hashlib
    assert json.loads(r.read())["sha256"] == hashlib.sha256(data).hexdigest()
    s = stoep.stats()
    assert series(s, "counters", "http_requests", entrypoint="websecure") >= 2
    # Body bytes through TLS records are counted as copied, never as spliced (unless kTLS took the socket).
    if not stoep.stats("show info")["tls"]["kernel_offloaded"]:
        assert series(s, "counters", "http_bytes_copied", entrypoint="websecure") >= (20 << 20) + (8 << 20) - (1 << 20)
        assert series(s, "counters", "http_bytes_spliced", entrypoint="websecure") == 0


def test_certificate_expiry_metric(stoep, backends, ca):
    be = backends()
    port, mport = free_port(), free_port()
    c, k = ca.write(stoep.workdir, "app", ["app.test", "www.app.test"])
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(routes(be.url, [(c, k)]))
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  websecure: {{address: "127.0.0.1:{port}", http: {{tls: {{}}}}}}
  metrics: {{address: "127.0.0.1:{mport}"}}
metrics: {{prometheus: {{entryPoint: metrics}}}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))
    text = subprocess.run(["curl", "-s", f"http://127.0.0.1:{mport}/metrics"], capture_output=True, text=True,
                          timeout=10).stdout
    lines = [line for line in text.splitlines() if line.startswith("traefik_tls_certs_not_after{")]
    assert any('cn="app.test"' in line and 'sans="app.test,www.app.test"' in line for line in lines), lines
    assert any('cn="TRAEFIK DEFAULT CERT"' in line for line in lines), lines
    value = float([line for line in lines if 'cn="app.test"' in line][0].split()[-1])
    assert abs(value - (time.time() + 30 * 86400)) < 2 * 86400


def test_tcp_router_terminating_tls(stoep, backends, ca):
    from upstreams import EchoServer
    be = backends()
    echo = EchoServer()
    port = free_port()
    c, k = ca.write(stoep.workdir, "db", ["db.test", "app.test"])
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app, tls: {{}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
tcp:
  routers:
    db: {{rule: "HostSNI(`db.test`)", service: db, tls: {{}}}}
  services:
    db: {{loadBalancer: {{servers: [{{address: "127.0.0.1:{echo.port}"}}]}}}}
tls:
  certificates: [{{certFile: "{c}", keyFile: "{k}"}}]
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  websecure: {{address: "127.0.0.1:{port}"}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))
    ctx = client_context(ca)
    # The TCP router gets the decrypted stream; the HTTPS router still serves its host on the same port.
    with handshake(port, "db.test", ctx) as s:
        payload = b"select 1;\n" * 5000
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            got += s.recv(65536)
        assert got == payload
    r, _ = https_get(port, "app.test", ctx)
    assert r.status == 200
    assert "TCP router" not in json.dumps(stoep.stats("show config-errors"))
    echo.close()


def test_renewed_acme_json_is_picked_up_live(stoep, backends, ca):
    be = backends()
    acme = stoep.workdir / "acme.json"
    first, key1 = ca.issue(["*.inethilocal.net"])
    acme.write_text(acme_json("letsencrypt", [("*.inethilocal.net", [], first, key1)]))
    _, port = start_tls(stoep, routes(be.url).replace("Host(`app.test`)", "Host(`radio.inethilocal.net`)"),
                        static_extra=f"""certificatesResolvers:
  letsencrypt: {{acme: {{storage: "{acme}", dnsChallenge: {{provider: route53}}}}}}
""")
    ctx = client_context(ca)
    kept = handshake(port, "radio.inethilocal.net", ctx)
    old_der = kept.getpeercert(binary_form=True)
    pid = stoep.pid
    # The renewal job writes a new file next to it and renames it over (as lego/traefik-certs-dumper do).
    second, key2 = ca.issue(["*.inethilocal.net", "inethilocal.net"])
    tmp = stoep.workdir / "acme.json.tmp"
    tmp.write_text(acme_json("letsencrypt", [("*.inethilocal.net", ["inethilocal.net"], second, key2)]))
    tmp.rename(acme)
    deadline = time.time() + 3
    while time.time() < deadline:
        with handshake(port, "radio.inethilocal.net", ctx) as s:
            if s.getpeercert(binary_form=True) != old_der:
                break
        time.sleep(0.05)
    with handshake(port, "inethilocal.net", ctx) as s:
        assert "inethilocal.net" in san_names(s.getpeercert(binary_form=True))
    # The connection made before the renewal still works; no restart happened.
    kept.sendall(b"GET / HTTP/1.1\r\nHost: radio.inethilocal.net\r\n\r\n")
    assert kept.recv(100).startswith(b"HTTP/1.1 200")
    kept.close()
    assert stoep.pid == pid and stoep.proc.poll() is None
    assert stoep.stats("show info")["tls"]["certificate_reloads"] >= 1
    # A broken renewal is reported; the certificates already loaded keep serving.
    acme.write_text("{ not json")
    time.sleep(0.6)
    assert "not valid JSON" in stoep.log_text()
    r, _ = https_get(port, "radio.inethilocal.net", ctx)
    assert r.status == 200


def test_upgrade_over_tls_relays_bytes_sent_right_behind_the_request(stoep, backends, ca):
    be = backends()
    _, port = start_tls(stoep, routes(be.url, [ca.write(stoep.workdir, "app", ["app.test"])]))
    with handshake(port, "app.test", client_context(ca)) as s:
        # The upgrade request and the first tunnelled bytes in separate TLS records, sent together:
        # stoep's read-ahead takes both, and the relay must still deliver the second.
        s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        s.sendall(b"ping-after-upgrade")
        data = b""
        deadline = time.time() + 5
        while b"ping-after-upgrade" not in data and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 101") and b"ping-after-upgrade" in data, data
        s.sendall(b"second")
        got = b""
        while b"second" not in got and time.time() < deadline:
            got += s.recv(65536)
        assert b"second" in got
