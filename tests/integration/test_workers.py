"""`--workers 2`: a supervisor and two worker processes on SO_REUSEPORT listeners. HTTP, TLS, DNS over UDP
and TCP and a [[forward]] listener are all served, connections land on both workers (their rows in
`show info` / `show stats`), the totals are the sum of the rows, SIGHUP reaches every worker, a worker
killed with SIGKILL is restarted (visible in `show info` and the log) while clients keep being served,
and SIGTERM stops them all; /metrics sums the workers; one ACME issuer (DNS-01) whose certificate every
worker serves; Docker labels followed by every worker; HTTP-01 and TLS-ALPN-01 validations answered by any worker. Both reactor backends (the `stoep` fixture; ACME on one)."""
import http.client
import os
import signal
import socket
import ssl
import time

import dns.message
import dns.query
import pytest

from conftest import free_port, series, stats_query
from http_backend import Backend
from upstreams import EchoServer
from acme_peer import pebble_factory  # noqa: F401 (fixture)
from podman_api import podman_api  # noqa: F401 (fixture)
from test_proxy_observability import write_metrics_config

CONNECTIONS = 24  # per protocol: each a new 4-tuple, so all landing on one of two workers has odds 2^-23


def workers_config(web, secure, dns_port, fw, echo, backend_url):
    return f"""
workers = 2

[entryPoints.web]
address = "127.0.0.1:{web}"
[entryPoints.websecure]
address = "127.0.0.1:{secure}"

[[forward]]
name = "fw"
listen = "127.0.0.1:{fw}"
upstream = "127.0.0.1:{echo}"

[dns]
port = {dns_port}
listen-address = "127.0.0.1"
bind-interfaces = true
no-resolv = true
address = ["/box.test/192.0.2.1"]

[http.routers.app]
rule = "Host(`app.test`)"
service = "app"
entryPoints = ["web"]
[http.routers.secure]
rule = "Host(`app.test`)"
service = "app"
entryPoints = ["websecure"]
[http.routers.secure.tls]
options = "default"
[http.services.app.loadBalancer]
servers = [{{url = "{backend_url}"}}]
"""


def start_workers(stoep, config):
    def all_serving():
        info = stats_query(stoep.sock, "show info", timeout=3)
        return info.get("workers_serving") == 2
    stoep.start(config=config, wait_for=all_serving)
    return stats_query(stoep.sock, "show info")


def http_get(port, host="app.test", path="/"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path, headers={"Host": host})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def https_get(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="app.test")
    s.sendall(b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1])


def dns_ask(port, tcp=False):
    q = dns.message.make_query("www.box.test", "A", use_edns=False)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3) if tcp else dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    return [rr.to_text() for rrset in r.answer for rr in rrset]


def forward_echo(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"ping")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return data


def ports():
    return free_port(), free_port(), free_port(socket.SOCK_DGRAM), free_port()


def test_every_listener_served_on_both_workers_and_totals_sum(stoep):
    be, echo = Backend(), EchoServer()
    try:
        web, secure, dns_port, fw = ports()
        info = start_workers(stoep, stoep.write_config(workers_config(web, secure, dns_port, fw, echo.port, be.url)))
        assert info["role"] == "supervisor" and info["worker_count"] == 2
        assert [w["state"] for w in info["workers"]] == ["serving", "serving"]
        worker_pids = [w["pid"] for w in info["workers"]]
        assert len(set(worker_pids)) == 2 and stoep.pid not in worker_pids
        for _ in range(CONNECTIONS):
            assert http_get(web) == 200
            assert https_get(secure) == 200
            assert dns_ask(dns_port) == ["192.0.2.1"]
            assert dns_ask(dns_port, tcp=True) == ["192.0.2.1"]
            assert forward_echo(fw) == b"ping"
        stats = stats_query(stoep.sock, "show stats")
        rows = stats["workers"]
        assert len(rows) == 2
        for name, labels, want in (("http_requests", {"entrypoint": "web"}, CONNECTIONS),
                                   ("http_requests", {"entrypoint": "websecure"}, CONNECTIONS),
                                   ("dns_queries", {"transport": "udp"}, CONNECTIONS),
                                   ("dns_queries", {"transport": "tcp"}, CONNECTIONS),
                                   ("forward_accepted", {"forward": "fw"}, CONNECTIONS)):
            per_worker = [series(r, "counters", name, **labels) for r in rows]
            assert series(stats, "counters", name, **labels) == sum(per_worker) == want, (name, labels, per_worker)
            assert all(n > 0 for n in per_worker), (name, labels, per_worker)  # both workers took some
        info = stats_query(stoep.sock, "show info")
        assert sum(w["http_requests"] for w in info["workers"]) == 2 * CONNECTIONS
        assert all(0 <= w["dns_cache_hit_ratio"] <= 1 for w in info["workers"])
        conns = stats_query(stoep.sock, "show conns")
        assert conns["count"] == len(conns["conns"])
        # Each worker runs one thread; the supervisor too.
        for pid in [stoep.pid] + worker_pids:
            assert len(os.listdir(f"/proc/{pid}/task")) == 1
    finally:
        be.close()
        echo.running = False


def test_reload_kill_restart_and_stop(stoep):
    be = Backend()
    try:
        web, secure, dns_port, fw = ports()
        echo = free_port()
        config = stoep.write_config(workers_config(web, secure, dns_port, fw, echo, be.url))
        info = start_workers(stoep, config)
        assert http_get(web, path="/") == 200
        assert http_get(web, host="new.test") == 404
        # SIGHUP reaches every worker: each serves the new router and counts one reload.
        stoep.write_config(workers_config(web, secure, dns_port, fw, echo, be.url).replace(
            'rule = "Host(`app.test`)"', 'rule = "Host(`app.test`) || Host(`new.test`)"', 1))
        stoep.signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            rows = stats_query(stoep.sock, "show stats")["workers"]
            if all(series(r, "counters", "config_reloads") == 1 for r in rows):
                break
            time.sleep(0.05)
        assert [series(r, "counters", "config_reloads") for r in rows] == [1, 1]
        assert all(http_get(web, host="new.test") == 200 for _ in range(CONNECTIONS))

        # kill -9 of worker 0: clients keep being served by worker 1 meanwhile; worker 0 comes back.
        victim = info["workers"][0]["pid"]
        os.kill(victim, signal.SIGKILL)
        failures, served = 0, 0
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                served += http_get(web) == 200
            except OSError:
                failures += 1  # at most the connection the dead worker had accepted or queued
            info = stats_query(stoep.sock, "show info")
            w0 = info["workers"][0]
            if w0["state"] == "serving" and w0["pid"] != victim and served >= 10:
                break
        assert failures <= 1, failures
        assert w0["state"] == "serving" and w0["restarts"] == 1 and "signal 9" in w0["last_exit"], w0
        assert info["workers"][1]["restarts"] == 0
        assert f"worker 0 (pid {victim}) died: killed by signal 9" in stoep.log_text()
        assert all(http_get(web) == 200 for _ in range(CONNECTIONS))

        # SIGTERM stops the supervisor and every worker.
        pids = [w["pid"] for w in info["workers"]]
        stoep.signal(signal.SIGTERM)
        assert stoep.proc.wait(10) == 0
        for pid in pids:
            assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        assert not stoep.sock.exists()
    finally:
        be.close()


def test_community_ca_one_issuer_every_worker_serves(stoep, tmp_path):
    # localCA with workers: worker 0 alone opens the CA and issues; worker 1 serves what worker 0 keeps in
    # issued/ (read again when the folder changes). Every connection, on either worker, gets its name's
    # certificate chaining to the one root; the CA's download page answers on both.
    be = Backend()
    try:
        port, web = free_port(), free_port()
        storage = tmp_path / "state" / "ca"
        names = [f"s{i}.inethilocal.net" for i in range(8)]
        routers = "".join(f"""
[http.routers.r{i}]
rule = "Host(`{n}`)"
service = "app"
entryPoints = ["websecure"]
[http.routers.r{i}.tls]
certResolver = "community"
""" for i, n in enumerate(names))
        config = stoep.write_config(f"""
workers = 2
[entryPoints.web]
address = "127.0.0.1:{web}"
[entryPoints.websecure]
address = "127.0.0.1:{port}"
[certificatesResolvers.community.localCA]
storage = "{storage}"
{routers}
[http.services.app.loadBalancer]
servers = [{{url = "{be.url}"}}]
""")
        start_workers(stoep, config)
        deadline = time.time() + 15
        while not (storage / "root.pem").exists() and time.time() < deadline:
            time.sleep(0.1)
        ctx = ssl.create_default_context(cafile=str(storage / "root.pem"))
        pending = {(n, k) for n in names for k in range(CONNECTIONS // 4)}  # 48 new connections
        while pending and time.time() < deadline:
            for n, k in sorted(pending):
                try:
                    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname=n):
                        pending.discard((n, k))
                except ssl.SSLCertVerificationError:
                    pass  # the generated default certificate until the first issue (worker 1: until it reads issued/)
            time.sleep(0.1)
        assert not pending, sorted(pending)[:5]
        assert sorted(p.name for p in (storage / "issued").glob("*.pem")) == sorted(f"{n}.pem" for n in names)
        # The root's download page, on new connections (both workers).
        statuses = {http_get(web, host="box.test", path="/stoep-ca.pem") for _ in range(CONNECTIONS)}
        assert statuses == {200}, statuses
    finally:
        be.close()


def test_prometheus_metrics_sum_the_workers(stoep):
    # /metrics is served by whichever worker accepts the scrape: it answers the supervisor's sum of every
    # worker (written every 2 s), so a scrape sees one Traefik.
    be = Backend()
    try:
        static, web, metrics = write_metrics_config(stoep.workdir, be.url)
        stoep.start("--traefik-config", str(static), "--workers", "2",
                    wait_for=lambda: stats_query(stoep.sock, "show info", timeout=3).get("workers_serving") == 2)
        for _ in range(CONNECTIONS):
            assert http_get(web) == 200
        rows = stats_query(stoep.sock, "show stats")["workers"]
        assert all(series(r, "counters", "http_requests", entrypoint="web") > 0 for r in rows)
        want = f'traefik_entrypoint_requests_total{{code="200",entrypoint="web",method="GET",protocol="http"}} {CONNECTIONS}'
        deadline = time.time() + 8
        text = ""
        while time.time() < deadline:
            c = http.client.HTTPConnection("127.0.0.1", metrics, timeout=5)
            c.request("GET", "/metrics", headers={"Host": "localhost"})
            text = c.getresponse().read().decode()
            c.close()
            if want in text:
                break
            time.sleep(0.2)
        assert want in text, text
        assert text.count("# TYPE traefik_entrypoint_requests_total counter") == 1
        assert "traefik_config_reloads_total 0" in text
        assert want in stats_query(stoep.sock, "show metrics")["text"]
    finally:
        be.close()


def test_acme_dns01_one_issuer_every_worker_serves(stoep, pebble_factory, tmp_path, monkeypatch):
    # Only worker 0 runs the ACME client (one order, one hook call per name); worker 1 reads the
    # certificate from acme.json when worker 0 stores it, so every connection gets it.
    from test_acme import pebble_roots, reactor_neutral, served_names, wait_for_certificates, write_configs
    from test_acme_dns01 import dns_challenge, exec_hook
    reactor_neutral(stoep)
    be = Backend()
    try:
        pebble = pebble_factory(free_port(), free_port())
        pebble.start()
        hook, calls = exec_hook(tmp_path, pebble)
        monkeypatch.setenv("EXEC_PATH", str(hook))
        monkeypatch.setenv("EXEC_POLLING_INTERVAL", "1")
        static = write_configs(stoep.workdir, pebble, stoep.workdir / "acme.json", ["app.test"], be.url,
                               challenge=dns_challenge("exec", pebble))
        stoep.start("--traefik-config", str(static), "--workers", "2",
                    wait_for=lambda: stats_query(stoep.sock, "show info", timeout=3).get("workers_serving") == 2)
        wait_for_certificates(stoep, 1)
        roots = pebble_roots(pebble, stoep.workdir)
        deadline = time.time() + 10
        while time.time() < deadline:
            names = [served_names(pebble.tls_port, "app.test", cafile=None) for _ in range(CONNECTIONS)]
            if all("app.test" in n for n in names):
                break
            time.sleep(0.2)
        assert all("app.test" in n for n in names), names
        assert "app.test" in served_names(pebble.tls_port, "app.test", cafile=roots)
        assert [line.split()[0] for line in calls.read_text().splitlines()] == ["present", "cleanup"]
    finally:
        be.close()


HOSTS = [f"w{i}.app.test" for i in range(8)]  # 8 validations on new connections: all on worker 0 has odds 2^-8
PER_NAME = 3


@pytest.mark.parametrize("challenge", ["httpChallenge: {entryPoint: web}", "tlsChallenge: {}"])
def test_acme_validation_answered_by_any_worker(stoep, pebble_factory, challenge):
    # The CA's HTTP-01 requests and TLS-ALPN-01 hellos land on whichever worker the kernel picks; worker 0
    # runs the order and publishes its answers beside the stats socket, the others answer from there. Eight
    # names, each validated on a connection of its own: an order whose validations landed on worker 1 and
    # were not answered there fails (the single-issuer design of before refused these challenges).
    from test_acme import pebble_roots, reactor_neutral, served_names, wait_for_certificates, write_configs
    reactor_neutral(stoep)
    be = Backend()
    try:
        pebble = pebble_factory(free_port(), free_port())
        pebble.start()
        static = write_configs(stoep.workdir, pebble, stoep.workdir / "acme.json", HOSTS, be.url, challenge=challenge)
        stoep.start("--traefik-config", str(static), "--workers", "2",
                    wait_for=lambda: stats_query(stoep.sock, "show info", timeout=3).get("workers_serving") == 2)
        wait_for_certificates(stoep, len(HOSTS))
        roots = pebble_roots(pebble, stoep.workdir)
        # Worker 1 reads acme.json again after worker 0's last write settles (a debounce): until then a
        # connection that lands on it may still get the default certificate. Wait for that, then ask every
        # name on PER_NAME connections of its own (none of 8 × PER_NAME landing on worker 1: odds 2^-24).
        def every_connection_verified():
            try:
                return all(h in served_names(pebble.tls_port, h, cafile=roots)
                           for h in HOSTS for _ in range(PER_NAME))
            except ssl.SSLCertVerificationError:
                return False
        deadline = time.time() + 10
        while time.time() < deadline and not every_connection_verified():
            time.sleep(0.2)
        for h in HOSTS:
            for _ in range(PER_NAME):
                assert h in served_names(pebble.tls_port, h, cafile=roots)
        # Clean-up removed every published answer.
        shared = stoep.sock.parent / (stoep.sock.name + ".acme-challenges")
        assert shared.is_dir() and list(shared.iterdir()) == []
    finally:
        be.close()


def test_systemd_ready_once_all_workers_serve(stoep, tmp_path, monkeypatch):
    # The supervisor is systemd's only party: one READY=1, after every worker said it serves.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    notify.bind(str(path))
    notify.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    web = free_port()
    stoep.start("--entrypoints.web.address=127.0.0.1:%d" % web, "--workers", "2",
                wait_for=lambda: stats_query(stoep.sock, "show info", timeout=3).get("workers_serving") == 2)
    first = notify.recv(4096).decode()
    assert first.startswith("READY=1") and "2 workers" in first, first
    stoep.signal(signal.SIGTERM)
    assert stoep.proc.wait(10) == 0
    rest = []
    notify.settimeout(0.5)
    try:
        while True:
            rest.append(notify.recv(4096).decode())
    except socket.timeout:
        pass
    assert rest == ["STOPPING=1"], rest  # and no worker's READY=1
    notify.close()


def test_cluster_refused_with_workers(stoep, tmp_path):
    # What the workers cannot share ([cluster]: a node answers its peers for the whole process) is refused at
    # start with the reason, not served by one of them.
    config = stoep.write_config(f"""
workers = 2
[entryPoints.web]
address = "127.0.0.1:{free_port()}"
[providers.swarm]
endpoint = "unix://{tmp_path}/docker.sock"
[cluster]
address = "127.0.0.1:{free_port()}"
service = "edge_stoep"
network = "community"
""")
    import subprocess
    from conftest import BINARY
    r = subprocess.run([str(BINARY), "run", "--config", str(config), "--stats-socket", str(tmp_path / "x.sock")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2, r
    assert "[cluster] needs workers = 1" in r.stderr


def test_docker_labels_followed_by_every_worker(stoep, podman_api):
    # Each worker holds its own Docker event stream (docs/architecture.md, "Workers"): a container's labels
    # become a route on both workers, and its stop withdraws it from both (new connections land on either).
    web = free_port()
    config = stoep.write_config(f"""
workers = 2
[entryPoints.web]
address = "127.0.0.1:{web}"

[providers.docker]
endpoint = "{podman_api.endpoint}"
exposedByDefault = false
""")
    start_workers(stoep, config)
    name, port = "wk-app", free_port()
    podman_api.run(name, port, {"traefik.enable": "true", "traefik.http.routers.wk.rule": "Host(`wk.test`)",
                                "traefik.http.services.wk.loadbalancer.server.port": str(port)})
    try:
        def everywhere(status):
            return all(http_get(web, host="wk.test") == status for _ in range(CONNECTIONS))
        deadline = time.time() + 10
        while not everywhere(200) and time.time() < deadline:
            time.sleep(0.1)
        assert everywhere(200)
        rows = stats_query(stoep.sock, "show info")["workers"]
        assert len(rows) == 2
        podman_api.stop(name)
        deadline = time.time() + 10
        while not everywhere(404) and time.time() < deadline:
            time.sleep(0.1)
        assert everywhere(404)
    finally:
        podman_api.remove(name)
