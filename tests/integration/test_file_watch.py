"""The file provider watched with inotify: files added, edited, broken and removed in providers.file's
directory (or a single file replaced by rename) are applied within 0.5 s while requests flow, without
closing a connection; a broken file is reported with file:line and its last good version keeps serving."""
import http.client
import os
import subprocess
import threading
import time

import pytest

from conftest import BINARY, free_port
from http_backend import Backend
from test_proxy import get


@pytest.fixture
def origin():
    b = Backend()
    yield b
    b.close()


def router_file(path, name, host, service_url):
    path.write_text(f"""http:
  routers:
    {name}: {{rule: "Host(`{host}`)", service: {name}}}
  services:
    {name}: {{loadBalancer: {{servers: [{{url: "{service_url}"}}]}}}}
""")


def start(stoep, provider, watch=True):
    web = free_port()
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
providers:
  file: {{{provider}, watch: {"true" if watch else "false"}}}
""")
    stoep.start("--traefik-config", str(static))
    return web


def status(port, host):
    try:
        return get(port, "/", host=host)[0].status
    except OSError:
        return None


def wait_status(port, host, want, limit=2.0):
    """Seconds until `host` answers `want` (polling every 10 ms), or None after `limit`."""
    t0 = time.time()
    while time.time() - t0 < limit:
        if status(port, host) == want:
            return time.time() - t0
        time.sleep(0.01)
    return None


class KeepAliveClient:
    """Requests on one keep-alive connection in a loop; counts statuses and whether it ever reconnected."""

    def __init__(self, port, host):
        self.port, self.host = port, host
        self.statuses, self.errors, self.connections = {}, [], 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn = None
        while self.running:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                self.connections += 1
            try:
                conn.request("GET", "/x", headers={"Host": self.host})
                r = conn.getresponse()
                r.read()
                self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(repr(e))
                conn.close()
                conn = None
            time.sleep(0.002)

    def stop(self):
        self.running = False
        self.thread.join(10)


def test_directory_changes_apply_while_requests_flow(stoep, origin):
    d = stoep.workdir / "dynamic"
    d.mkdir()
    router_file(d / "app.yml", "app", "app.test", origin.url)
    web = start(stoep, f'directory: "{d}"')
    assert status(web, "app.test") == 200
    client = KeepAliveClient(web, "app.test")
    slow = {}
    in_flight = threading.Thread(target=lambda: slow.update(r=get(web, "/slow/1.0", host="app.test")[0].status))
    in_flight.start()
    time.sleep(0.1)
    try:
        # A new file: its route appears within 0.5 s.
        router_file(d / "new.yml", "new", "new.test", origin.url)
        took = wait_status(web, "new.test", 200)
        assert took is not None and took < 0.5, took
        # Edited in place: the old host goes, the new one comes.
        router_file(d / "new.yml", "new", "renamed.test", origin.url)
        took = wait_status(web, "renamed.test", 200)
        assert took is not None and took < 0.5, took
        assert status(web, "new.test") == 404
        # A broken file is reported with file:line; everything else keeps serving.
        (d / "broken.yml").write_text("http:\n  routers:\n    x: {rule: \"Host(`x.test`)\"\n   bad: [\n")
        deadline = time.time() + 2
        errors = []
        while time.time() < deadline:
            errors = stoep.stats("show config-errors").get("errors", [])
            if any("broken.yml:" in str(e) for e in errors):
                break
            time.sleep(0.02)
        where = [f"{e.get('source')}:{e.get('line')}" for e in errors] + [e.get("message", "") for e in errors]
        assert any(f"{d}/broken.yml:{n}" in w for w in where for n in (3, 4)), errors
        assert status(web, "renamed.test") == 200 and status(web, "app.test") == 200
        # A good file broken by an edit keeps its last good version.
        (d / "new.yml").write_text("http: [\n")
        time.sleep(0.4)
        assert status(web, "renamed.test") == 200
        # Removed: its routes go.
        (d / "new.yml").unlink()
        took = wait_status(web, "renamed.test", 404)
        assert took is not None and took < 0.5, took
    finally:
        client.stop()
        in_flight.join(10)
    assert slow.get("r") == 200, "a request in flight across the changes completed"
    assert client.errors == [] and client.connections == 1, (client.errors, client.connections)
    assert set(client.statuses) == {200} and client.statuses[200] > 20, client.statuses
    assert "changed;" in stoep.log_text()


def test_single_file_replaced_by_rename(stoep, origin):
    f = stoep.workdir / "dynamic.yml"
    router_file(f, "app", "app.test", origin.url)
    web = start(stoep, f'filename: "{f}"')
    assert status(web, "app.test") == 200
    # Atomic replacement, as deploy tools and editors do it: write a temporary file, rename it over.
    tmp = stoep.workdir / ".dynamic.yml.tmp"
    router_file(tmp, "app", "other.test", origin.url)
    os.replace(tmp, f)
    took = wait_status(web, "other.test", 200)
    assert took is not None and took < 0.5, took
    assert status(web, "app.test") == 404
    # Another file in the same directory does not trigger anything (nor break anything).
    (stoep.workdir / "unrelated.yml").write_text("junk: [\n")
    time.sleep(0.3)
    assert status(web, "other.test") == 200


def test_stoep_toml_names_the_file_provider_as_traefiks_static_file_does(stoep, origin):
    """stoep.toml's own [providers.file] (the systemd unit's /etc/stoep/stoep.toml): read and watched as
    Traefik's static file's providers.file, not skipped; a provider stoep does not have is refused."""
    f = stoep.workdir / "dynamic.yml"
    router_file(f, "app", "app.test", origin.url)
    web = free_port()
    cfg = stoep.write_config(f'[entryPoints.web]\naddress = "127.0.0.1:{web}"\n[providers.file]\nfilename = "{f}"\n')
    stoep.start(config=cfg)
    assert status(web, "app.test") == 200
    tmp = stoep.workdir / ".dynamic.yml.tmp"
    router_file(tmp, "app", "other.test", origin.url)
    os.replace(tmp, f)
    assert wait_status(web, "other.test", 200) is not None
    bad = stoep.workdir / "consul.toml"
    bad.write_text('[providers.consul]\nendpoints = ["127.0.0.1:8500"]\n')
    r = subprocess.run([str(BINARY), "check", "--config", str(bad)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "providers.consul" in r.stdout + r.stderr, r.stdout + r.stderr


def test_watch_false_waits_for_sighup(stoep, origin):
    import signal
    d = stoep.workdir / "dynamic"
    d.mkdir()
    router_file(d / "app.yml", "app", "app.test", origin.url)
    web = start(stoep, f'directory: "{d}"', watch=False)
    router_file(d / "new.yml", "new", "new.test", origin.url)
    time.sleep(0.5)
    assert status(web, "new.test") == 404
    stoep.signal(signal.SIGHUP)
    assert wait_status(web, "new.test", 200) is not None


def test_subdirectories_are_read_as_traefik_reads_them(stoep, origin):
    d = stoep.workdir / "dynamic"
    (d / "services" / "media").mkdir(parents=True)
    (d / ".hidden").mkdir()
    router_file(d / "app.yml", "app", "app.test", origin.url)
    router_file(d / "services" / "media" / "radio.toml.yml", "radio", "radio.test", origin.url)
    router_file(d / ".hidden" / "ghost.yml", "ghost", "ghost.test", origin.url)
    web = start(stoep, f'directory: "{d}"')
    assert status(web, "app.test") == 200
    assert status(web, "radio.test") == 200
    assert status(web, "ghost.test") == 404


def test_unchanged_servers_keep_their_pooled_connections_across_changes(stoep, origin):
    import json
    d = stoep.workdir / "dynamic"
    d.mkdir()
    router_file(d / "app.yml", "app", "app.test", origin.url)
    web = start(stoep, f'directory: "{d}"')

    def upstream_port():
        r, body = get(web, "/", host="app.test")
        assert r.status == 200
        return json.loads(body)["peer_port"]

    first = upstream_port()
    for i in range(5):
        router_file(d / f"other{i}.yml", f"other{i}", f"other{i}.test", origin.url)
        assert wait_status(web, f"other{i}.test", 200) is not None
        # The same pooled connection to the unchanged server, after every new route table.
        assert upstream_port() == first


def test_file_change_republishes_auto_dns_names(stoep, origin, tmp_path):
    """A router added or removed by a watched file publishes or withdraws its local name in DNS, as a
    Docker change does (docs/discovery.md, Auto-DNS)."""
    import dns.message
    import dns.query
    import dns.rcode
    dns_port, web = free_port(), free_port()
    d = tmp_path / "dyn"
    d.mkdir()
    router_file(d / "a.yml", "a", "a.test.lan", origin.url)
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
providers:
  file: {{directory: "{d}", watch: true}}
""")
    config = stoep.write_config(f"""[dns]
port = {dns_port}
listen-address = ["127.0.0.1"]
no-resolv = true
local = ["/test.lan/"]

[autoDNS]
address = "10.9.8.7"
""")
    stoep.start("--traefik-config", str(static), config=config)

    def answer(name):
        r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=dns_port, timeout=2)
        return r.rcode(), [str(x) for rr in r.answer for x in rr]

    assert answer("a.test.lan") == (dns.rcode.NOERROR, ["10.9.8.7"])
    assert answer("b.test.lan")[0] == dns.rcode.NXDOMAIN
    router_file(d / "b.yml", "b", "b.test.lan", origin.url)
    (d / "a.yml").unlink()
    deadline = time.time() + 5
    while time.time() < deadline and answer("b.test.lan")[1] != ["10.9.8.7"]:
        time.sleep(0.05)
    assert answer("b.test.lan") == (dns.rcode.NOERROR, ["10.9.8.7"])
    assert answer("a.test.lan")[0] == dns.rcode.NXDOMAIN
