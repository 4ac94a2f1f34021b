"""DNS-01 issuance against pebble through lego's two providers stoep runs (issue 14): an `exec` hook (a
shell script called `present|cleanup FQDN VALUE`) and an `httpreq` endpoint (POST /present and /cleanup
with {"fqdn", "value"} and Basic authentication). Both set the TXT record in pebble-challtestsrv through
its management API (/set-txt, /clear-txt), as a DNS provider's API would; pebble validates by asking
that same server, and so does stoep's propagation check (dnsChallenge.resolvers) before stoep asks pebble
to validate. The providers read their settings from the environment, as lego does. Both backends."""
import base64
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from acme_peer import pebble_factory  # noqa: F401 (fixture)
from conftest import free_port
from test_acme import reactor_neutral, acme_info, pebble_roots, served_names, start, wait_for_certificates
from test_proxy import backends  # noqa: F401 (fixture)


@pytest.fixture
def ports():
    return free_port(), free_port()


def dns_challenge(provider, pebble):
    return (f'dnsChallenge: {{provider: {provider}, resolvers: ["127.0.0.1:{pebble.dns_port}"], '
            f'propagation: {{delayBeforeChecks: 0}}}}')


def exec_hook(tmp_path, pebble, fail_for=None):
    """lego's exec convention; every call logged in calls.log."""
    calls = tmp_path / "calls.log"
    hook = tmp_path / "hook.sh"
    refuse = f'[ "$2" = "_acme-challenge.{fail_for}." ] && {{ echo "zone {fail_for} is not ours" >&2; exit 3; }}' if fail_for else ""
    hook.write_text(f"""#!/bin/sh
echo "$*" >> {calls}
{refuse}
case "$1" in
  present) curl -sf -d "{{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}}" http://127.0.0.1:{pebble.chall_mgmt}/set-txt ;;
  cleanup) curl -sf -d "{{\\"host\\":\\"$2\\"}}" http://127.0.0.1:{pebble.chall_mgmt}/clear-txt ;;
  *) exit 2 ;;
esac
""")
    hook.chmod(0o755)
    return hook, calls


@pytest.mark.heavy  # epoll run in make test-slow
def test_exec_hook_issues_a_name(stoep, backends, pebble_factory, ports, monkeypatch, tmp_path):
    be = backends()
    pebble = pebble_factory(*ports)
    hook, calls = exec_hook(tmp_path, pebble)
    monkeypatch.setenv("EXEC_PATH", str(hook))
    monkeypatch.setenv("EXEC_POLLING_INTERVAL", "1")
    start(stoep, pebble, be.url, ["app.test"], challenge=dns_challenge("exec", pebble))
    wait_for_certificates(stoep, 1)
    roots = pebble_roots(pebble, stoep.workdir)
    assert "app.test" in served_names(pebble.tls_port, "app.test", cafile=roots)
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("present _acme-challenge.app.test. ") and len(lines[0].split()[2]) == 43, lines
    assert lines[1] == "cleanup" + lines[0][len("present"):], lines
    log = stoep.log_text()
    assert "dns-01: provider exec, propagation checked at 127.0.0.1:" in log
    assert "dns-01: _acme-challenge.app.test. is visible" in log


def test_exec_hook_issues_a_name_and_its_wildcard(stoep, backends, pebble_factory, ports, monkeypatch, tmp_path):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    hook, calls = exec_hook(tmp_path, pebble)
    monkeypatch.setenv("EXEC_PATH", str(hook))
    monkeypatch.setenv("EXEC_POLLING_INTERVAL", "1")
    start(stoep, pebble, be.url, ["x.wild.test"], challenge=dns_challenge("exec", pebble),
          router_tls='{certResolver: le, domains: [{main: "wild.test", sans: ["*.wild.test"]}]}')
    wait_for_certificates(stoep, 1)
    roots = pebble_roots(pebble, stoep.workdir)
    assert {"wild.test", "*.wild.test"} <= set(served_names(pebble.tls_port, "x.wild.test", cafile=roots))
    # Both authorizations put their record at the same name, one after the other (present, validate, cleanup).
    actions = [line.split()[:2] for line in calls.read_text().splitlines()]
    assert actions == [["present", "_acme-challenge.wild.test."], ["cleanup", "_acme-challenge.wild.test."]] * 2, actions


class Endpoint(BaseHTTPRequestHandler):
    """lego's httpreq endpoint, translating to pebble-challtestsrv's API and keeping what it was sent."""
    requests = []
    mgmt = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Endpoint.requests.append((self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"), body))
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"lego:s3cret").decode():
            self.send_response(401)
            self.end_headers()
            return
        m = json.loads(body)
        api = "set-txt" if self.path.endswith("/present") else "clear-txt"
        req = urllib.request.Request(f"http://127.0.0.1:{Endpoint.mgmt}/{api}",
                                     data=json.dumps({"host": m["fqdn"], "value": m["value"]}).encode())
        urllib.request.urlopen(req, timeout=5).read()
        self.send_response(200)
        self.end_headers()


def test_httpreq_endpoint_issues(stoep, backends, pebble_factory, ports, monkeypatch):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    Endpoint.requests, Endpoint.mgmt = [], pebble.chall_mgmt
    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTPREQ_ENDPOINT", f"http://127.0.0.1:{server.server_port}/hook")
        monkeypatch.setenv("HTTPREQ_USERNAME", "lego")
        monkeypatch.setenv("HTTPREQ_PASSWORD", "s3cret")
        monkeypatch.setenv("HTTPREQ_POLLING_INTERVAL", "1")
        start(stoep, pebble, be.url, ["api.test"], challenge=dns_challenge("httpreq", pebble))
        wait_for_certificates(stoep, 1)
        roots = pebble_roots(pebble, stoep.workdir)
        assert "api.test" in served_names(pebble.tls_port, "api.test", cafile=roots)
        paths = [r[0] for r in Endpoint.requests]
        assert paths[:2] == ["/hook/present", "/hook/cleanup"], paths
        path, auth, ctype, body = Endpoint.requests[0]
        assert ctype == "application/json"
        doc = json.loads(body)
        assert list(doc) == ["fqdn", "value"] and doc["fqdn"] == "_acme-challenge.api.test." and len(doc["value"]) == 43
        assert body.endswith(b"\n")
    finally:
        server.shutdown()


def test_a_failing_hook_is_reported_and_other_names_are_issued(stoep, backends, pebble_factory, ports, monkeypatch, tmp_path):
    reactor_neutral(stoep)
    be = backends()
    pebble = pebble_factory(*ports)
    hook, calls = exec_hook(tmp_path, pebble, fail_for="bad.test")
    monkeypatch.setenv("EXEC_PATH", str(hook))
    monkeypatch.setenv("EXEC_POLLING_INTERVAL", "1")
    monkeypatch.setenv("EXEC_SEQUENCE_INTERVAL", "5")
    start(stoep, pebble, be.url, ["good.test", "bad.test"], challenge=dns_challenge("exec", pebble))
    le = wait_for_certificates(stoep, 1)
    assert [c["names"] for c in le["certificates"] if "not_after" in c] == [["good.test"]], le
    deadline = time.time() + 30
    while time.time() < deadline:
        bad = [c for c in acme_info(stoep)["le"]["certificates"] if c["names"] == ["bad.test"]]
        if bad and "last_error" in bad[0]:
            break
        time.sleep(0.2)
    assert "exit status 3: zone bad.test is not ours" in bad[0]["last_error"], bad
    log = stoep.log_text()
    assert "EXEC_SEQUENCE_INTERVAL is not supported" in log
    assert "exit status 3: zone bad.test is not ours" in log
