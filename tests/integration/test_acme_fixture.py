"""Issue 14's "done when": a fresh box with the fixture's traefik.toml (iNethi's: websecure with
http.tls.certResolver = letsencrypt and the domains inethilocal.net + *.inethilocal.net, DNS challenge)
pointed at pebble gets its certificate without a restart, keeps it across restarts, renews it unattended,
and `show info` says so. What changes in the fixture: the addresses (loopback ports), the paths, the CA
(pebble, trusted through caCertificates) and the DNS provider (route53 cannot run here; lego's exec hook
sets the TXT record in pebble-challtestsrv). pebble issues certificates for 1205 s and the resolver says
certificatesDuration = 1 h (renew with 20 minutes left, checked every minute, Traefik's table), so the first
renewal falls due 5 s after issue and happens at the next check, a minute later. One backend: the other
ACME tests run on both, and this one waits for a real renewal."""
import re
import time

import pytest

from acme_peer import pebble_factory  # noqa: F401 (fixture)
from conftest import ROOT, free_port
from test_acme import acme_info, pebble_roots, served_names
from test_acme_dns01 import exec_hook
from test_proxy import backends  # noqa: F401 (fixture)

FIXTURE = ROOT.parent / "shared/fixtures/inethi/traefik.toml"


def fixture_text():
    if FIXTURE.exists():
        return FIXTURE.read_text()
    from pathlib import Path
    return (ROOT / "tests/fixtures/inethi-traefik.toml").read_text()


@pytest.mark.slow  # waits a real renewal (~90 s); test_acme renews fast
def test_fixture_box_gets_keeps_and_renews_its_certificate(stoep, backends, pebble_factory, monkeypatch, tmp_path):
    if stoep.backend != "epoll":
        pytest.skip("one backend is enough for a minute-long renewal; test_acme covers both")
    be = backends()
    http_port, tls_port = free_port(), free_port()
    pebble = pebble_factory(http_port, tls_port, validity=1205)
    pebble.start()
    hook, calls = exec_hook(tmp_path, pebble)
    monkeypatch.setenv("EXEC_PATH", str(hook))
    monkeypatch.setenv("EXEC_POLLING_INTERVAL", "1")
    dynamic = stoep.workdir / "dynamic"
    dynamic.mkdir()
    (dynamic / "services.toml").write_text(f"""
[http.routers.nextcloud]
  rule = "Host(`nextcloud.inethilocal.net`)"
  entryPoints = ["websecure"]
  service = "app"
[http.routers.radio]
  rule = "Host(`radio.inethilocal.net`)"
  entryPoints = ["websecure"]
  service = "app"
[http.services.app.loadBalancer]
  [[http.services.app.loadBalancer.servers]]
    url = "{be.url}"
""")
    text = fixture_text()
    text = text.replace('address = ":80"', f'address = "127.0.0.1:{http_port}"')
    text = text.replace('address = ":443"', f'address = "127.0.0.1:{tls_port}"')
    text = text.replace('"/var/log/traefik/access.log"', f'"{stoep.workdir / "access.log"}"')
    text = text.replace('"/etc/traefik/dynamic"', f'"{dynamic}"')
    text = text.replace('"/letsencrypt/acme.json"', f'"{stoep.workdir / "acme.json"}"')
    text = re.sub(r"\[providers\.docker\][^\[]*", "", text)  # no Docker engine in this test
    text = text.replace('storage =', f'caServer = "{pebble.directory}"\n  caCertificates = ["{pebble.ca_file}"]\n'
                                     '  certificatesDuration = 1\n  keyType = "EC256"\n  storage =')
    text = text.replace('provider = "route53"', f'provider = "exec"\n    resolvers = ["127.0.0.1:{pebble.dns_port}"]')
    static = stoep.workdir / "traefik.toml"
    static.write_text(text)
    stoep.start("--traefik-config", str(static))

    def issued_count():
        return stoep.log_text().count("letsencrypt: certificate for inethilocal.net, *.inethilocal.net obtained")

    deadline = time.time() + 90
    while issued_count() < 1 and time.time() < deadline:
        time.sleep(0.3)
    assert issued_count() >= 1, stoep.log_text()[-3000:]
    roots = pebble_roots(pebble, stoep.workdir)
    for host in ("nextcloud.inethilocal.net", "radio.inethilocal.net", "inethilocal.net"):
        names = served_names(tls_port, host, cafile=roots)
        assert "*.inethilocal.net" in names and "inethilocal.net" in names
    info = acme_info(stoep)["letsencrypt"]
    cert = info["certificates"][0]
    assert cert["names"] == ["inethilocal.net", "*.inethilocal.net"]
    assert cert["renew_at"] == cert["not_after"] - 20 * 60

    # Unattended renewal: due 5 s after issue, renewed at the next check (60 s), not again within the interval.
    deadline = time.time() + 100
    while issued_count() < 2 and time.time() < deadline:
        time.sleep(0.3)
    assert issued_count() == 2, stoep.log_text()[-3000:]
    assert "renewing a certificate for inethilocal.net, *.inethilocal.net" in stoep.log_text()
    renewed = acme_info(stoep)["letsencrypt"]["certificates"][0]
    assert renewed["not_after"] >= cert["not_after"]
    time.sleep(3)
    assert issued_count() == 2, "no renewal storm"

    # A restart keeps the account and the certificate: no new account, no new order for names it holds
    # (this short-lived certificate is inside its renewal window, so a renewal at start is right, as Traefik).
    orders = stoep.log_text().count("letsencrypt: ordering")
    stoep.stop()
    stoep.start("--traefik-config", str(static))
    time.sleep(1)
    again = acme_info(stoep)["letsencrypt"]
    assert again["account"] == info["account"]
    assert again["certificates"][0]["not_after"] >= renewed["not_after"]
    assert stoep.log_text().count("letsencrypt: ordering") == orders
    assert stoep.log_text().count("registered at") == 1
