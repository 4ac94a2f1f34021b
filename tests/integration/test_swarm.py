"""The Swarm provider on a real single-node Docker Swarm (issue 21), stoep beside Traefik 3.7 on the same
services: both run in the network namespace of a container attached to the stack's overlay network, read
the same Engine API (providers.swarm, refreshSeconds 2) and must route the same — status, body and the
headers a client sees — for routers from deploy labels, the default rule on the normalised service name,
and the services Traefik skips (no port label; labels on the container rather than the service). Then
scale up and down, a rolling update and a removal are followed within one refresh with no failed request
(tasks being stopped keep serving for 6 s after SIGTERM, longer than a refresh: a request may only fail
for a task that is gone, and none is). lbswarm is checked on the route it builds (the virtual IP): IPVS is
not in this kernel, so a VIP never answers here. The module takes about a minute (a swarm per reactor
backend: dockerd, swarm init, stack deploy, waiting on refreshes): `slow`, run by `make test-swarm`."""
import http.client
import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import BACKENDS, BINARY, stats_query
from swarm_fixture import EdgeProcesses, Swarm, available
from traefik_peer import traefik_binary

pytestmark = pytest.mark.slow

REFRESH = 2
STOEP_PORT, TRAEFIK_PORT, STOEP_API, TRAEFIK_API = 8001, 8002, 8101, 8102

# A task serves its container's hostname (its id) and keeps serving 6 s after SIGTERM, as an application
# finishing its requests would, so that "still running" is observable.
SERVE = ("hostname > /www/index.html; echo \"$V\" > /www/v.txt; httpd -f -p 8080 -h /www & P=$!; "
         "trap 'sleep 6; kill $P; exit 0' TERM; wait $P")

STACK = f"""version: "3.8"
networks:
  comm:
    driver: overlay
    attachable: true
  other:
    driver: overlay
x-serve: &serve
  image: stoep-busybox:1
  command: ["sh", "-c", {json.dumps(SERVE.replace("$", "$$"))}]  # $$: compose interpolates $
  stop_grace_period: 20s
services:
  web:
    <<: *serve
    networks: [other, comm]
    environment: {{V: "1"}}
    deploy:
      replicas: 2
      update_config: {{order: start-first, parallelism: 1, delay: 1s}}
      labels:
        traefik.http.routers.web.rule: "Host(`web.test`)"
        traefik.http.services.web.loadbalancer.server.port: "8080"
        traefik.swarm.network: stk_comm
  auto:
    <<: *serve
    networks: [comm]
    deploy:
      labels:
        traefik.http.services.auto.loadbalancer.server.port: "8080"
  noport:
    <<: *serve
    networks: [comm]
    deploy:
      labels:
        traefik.http.routers.noport.rule: "Host(`noport.test`)"
  sneaky:
    <<: *serve
    networks: [comm]
    labels:
      traefik.http.routers.sneaky.rule: "Host(`sneaky.test`)"
      traefik.http.services.sneaky.loadbalancer.server.port: "8080"
  vip:
    <<: *serve
    networks: [comm]
    deploy:
      labels:
        traefik.http.routers.vip.rule: "Host(`vip.test`)"
        traefik.http.services.vip.loadbalancer.server.port: "8080"
        traefik.swarm.lbswarm: "true"
        traefik.swarm.network: stk_comm
"""


def static_config(web, api, endpoint):
    return f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  traefik: {{address: "127.0.0.1:{api}"}}
api: {{insecure: true}}
providers:
  swarm:
    endpoint: "{endpoint}"
    refreshSeconds: {REFRESH}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def swarm(request, tmp_path_factory):
    """A fresh swarm and stack per reactor backend (the scale test changes the stack)."""
    why = available()
    if why:
        pytest.skip(why)
    if not traefik_binary():
        pytest.skip("Traefik not installed (make deps)")
    s = Swarm(tmp_path_factory.mktemp("swarm-" + request.param))
    s.backend = request.param
    try:
        s.start()
        s.deploy("stk", STACK)
        s.attach_edge("stk_comm")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if len(s.running_tasks("stk_web")) == 2 and all(s.running_tasks(f"stk_{n}") for n in ("auto", "noport", "sneaky", "vip")):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("stack did not converge within 90 s")
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def proxies(swarm, tmp_path_factory):
    """stoep (on the swarm's reactor backend) and Traefik in the edge container's network namespace."""
    backend = swarm.backend
    d = tmp_path_factory.mktemp("proxies-" + backend)
    procs = EdgeProcesses()
    try:
        stoep_cfg = d / "stoep.yml"
        stoep_cfg.write_text(static_config(STOEP_PORT, STOEP_API, swarm.endpoint))
        traefik_cfg = d / "traefik.yml"
        traefik_cfg.write_text(static_config(TRAEFIK_PORT, TRAEFIK_API, swarm.endpoint))
        sock = d / "stoep.sock"
        procs.start(swarm, [str(BINARY), "run", "--backend", backend, "--stats-socket", str(sock),
                            "--traefik-config", str(stoep_cfg)], d, "stoep")
        procs.start(swarm, [traefik_binary(), "--configfile", str(traefik_cfg)], d, "traefik")
        pool = swarm.client_pool()
        p = Proxies(pool, d, sock)
        # Both have read the services once the web router answers on each.
        p.wait(lambda: all(s == 200 for s, _, _ in (p.get(port, "web.test") for port in (STOEP_PORT, TRAEFIK_PORT))), 30)
        yield p
        pool.shutdown()
    finally:
        procs.stop()
        text = (d / "stoep.log").read_text(errors="replace")
        assert "fatal" not in text.lower(), text


class Proxies:
    def __init__(self, pool, workdir, sock):
        self.pool = pool
        self.dir = workdir
        self.sock = sock

    def get(self, port, host, path="/"):
        """(status, body, headers without Date) of one GET, from inside the overlay."""
        def one():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                c.request("GET", path, headers={"Host": host})
                r = c.getresponse()
                body = r.read().decode(errors="replace")
                headers = sorted((k.lower(), v) for k, v in r.getheaders() if k.lower() != "date")
                return r.status, body, headers
            except OSError as e:
                return 0, str(e), []
            finally:
                c.close()
        return self.pool.submit(one).result(10)

    def api(self, port, path):
        def one():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                return json.loads(r.read())
        return self.pool.submit(one).result(10)

    def views(self, host, rounds=6, path="/"):
        """Per proxy: {body: (status, headers)} over `rounds` requests (round robin over the tasks)."""
        out = []
        for port in (STOEP_PORT, TRAEFIK_PORT):
            seen = {}
            for _ in range(rounds):
                status, body, headers = self.get(port, host, path)
                seen[body] = (status, headers)
            out.append(seen)
        return out

    def bodies(self, port, host, rounds=8, path="/"):
        return {self.get(port, host, path)[1] for _ in range(rounds)}

    @staticmethod
    def wait(check, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return time.monotonic() - (deadline - timeout)
            time.sleep(0.1)
        raise AssertionError(f"not within {timeout} s")

    def problems(self):
        return stats_query(self.sock, "show config-errors")


def task_hosts(swarm, service):
    """The hostnames (container id prefixes) of a service's running tasks: what each one serves."""
    return {t["Status"]["ContainerStatus"]["ContainerID"][:12] + "\n" for t in swarm.running_tasks(service)}


def test_both_route_the_same(swarm, proxies):
    web = task_hosts(swarm, "stk_web")
    assert len(web) == 2
    for host in ("web.test", "stk-auto", "noport.test", "sneaky.test", "nothing.test"):
        stoep, traefik = proxies.views(host)
        assert stoep == traefik, host
    stoep, _ = proxies.views("web.test")
    assert set(stoep) == web and all(s == 200 for s, _ in stoep.values())
    assert set(proxies.views("stk-auto")[0]) == task_hosts(swarm, "stk_auto")
    # Only deploy labels count; a service without a port label is skipped, and said so.
    assert [s for s, _ in proxies.views("sneaky.test")[0].values()] == [404]
    assert [s for s, _ in proxies.views("noport.test")[0].values()] == [404]
    text = json.dumps(proxies.problems())
    assert "swarm service stk_noport" in text and "port is missing" in text


def test_lbswarm_routes_to_the_virtual_ip(swarm, proxies):
    service = swarm.api("/services/stk_vip")
    comm = swarm.api("/networks/stk_comm")["Id"]
    vip = next(v["Addr"].split("/")[0] for v in service["Endpoint"]["VirtualIPs"] if v["NetworkID"] == comm)
    for port in (STOEP_API, TRAEFIK_API):
        lb = proxies.api(port, "/api/http/services/vip@swarm")["loadBalancer"]
        assert [s["url"] for s in lb["servers"]] == [f"http://{vip}:8080"], port


class Load:
    """Requests to web.test on both proxies, back to back, from two client threads, until stopped."""

    def __init__(self, proxies):
        self.proxies = proxies
        self.failures = {STOEP_PORT: [], TRAEFIK_PORT: []}
        self.count = {STOEP_PORT: 0, TRAEFIK_PORT: 0}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(port,)) for port in (STOEP_PORT, TRAEFIK_PORT)]

    def run(self, port):
        while not self.stop.is_set():
            status, body, _ = self.proxies.get(port, "web.test")
            self.count[port] += 1
            if status != 200:
                self.failures[port].append((status, body))
            time.sleep(0.02)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(15)


def test_scale_update_and_remove_within_one_refresh(swarm, proxies):
    within = REFRESH + 2.5  # one refresh, plus the API's and the client's own delays on this busy VM
    with Load(proxies) as load:
        swarm.docker("service", "scale", "-d", "stk_web=3")
        proxies.wait(lambda: len(task_hosts(swarm, "stk_web")) == 3, 60)
        hosts = task_hosts(swarm, "stk_web")
        for port in (STOEP_PORT, TRAEFIK_PORT):
            proxies.wait(lambda: proxies.bodies(port, "web.test", 9) == hosts, within)
        swarm.docker("service", "scale", "-d", "stk_web=1")
        proxies.wait(lambda: len(task_hosts(swarm, "stk_web")) == 1, 60)
        hosts = task_hosts(swarm, "stk_web")
        for port in (STOEP_PORT, TRAEFIK_PORT):
            proxies.wait(lambda: proxies.bodies(port, "web.test", 6) == hosts, within)
        # Rolling update (start-first): the new task serves v.txt "2".
        swarm.docker("service", "update", "-d", "--env-add", "V=2", "stk_web")
        proxies.wait(lambda: {t["Spec"]["ContainerSpec"]["Env"][0] for t in swarm.running_tasks("stk_web")} == {"V=2"}
                     and len(task_hosts(swarm, "stk_web")) == 1, 60)
        for port in (STOEP_PORT, TRAEFIK_PORT):
            proxies.wait(lambda: proxies.bodies(port, "web.test", 4, "/v.txt") == {"2\n"}, within)
    assert load.count[STOEP_PORT] > 20 and load.count[TRAEFIK_PORT] > 20
    assert load.failures == {STOEP_PORT: [], TRAEFIK_PORT: []}
    # Removal: the router goes within one refresh, on both.
    swarm.docker("service", "rm", "stk_auto")
    for port in (STOEP_PORT, TRAEFIK_PORT):
        proxies.wait(lambda: proxies.get(port, "stk-auto")[0] == 404, within)
    stoep, traefik = proxies.views("stk-auto", 2)
    assert stoep == traefik


def test_the_stack_file_deploys(swarm, proxies):
    """deploy/swarm/stack.yml is a stack Swarm accepts: a global stoep with host-mode ports and the socket
    proxy on managers. (Its tasks cannot start here: neither image is on this node and nothing is pulled.)"""
    from conftest import ROOT
    swarm.docker("network", "create", "-d", "overlay", "--attachable", "community")
    ca = subprocess.run([str(BINARY), "cluster-ca"], capture_output=True, check=True, timeout=10).stdout.decode()
    swarm.docker("secret", "create", "stoep-cluster-ca", "-", input=ca)
    try:
        swarm.docker("stack", "deploy", "--resolve-image", "never", "-c", str(ROOT / "deploy/swarm/stack.yml"), "edge", timeout=120)
        stoep = swarm.api("/services/edge_stoep")["Spec"]
        assert "Global" in stoep["Mode"]
        container = stoep["TaskTemplate"]["ContainerSpec"]
        assert [s["SecretName"] for s in container["Secrets"]] == ["stoep-cluster-ca"]
        assert container["Secrets"][0]["File"]["Name"] == "stoep-cluster-ca"
        assert "STOEP_CLUSTER_SERVICE={{.Service.Name}}" in container["Env"]
        assert container["Hostname"] == "{{.Node.Hostname}}"
        assert {(p["TargetPort"], p["Protocol"], p["PublishMode"]) for p in stoep["EndpointSpec"]["Ports"]} == {
            (53, "udp", "host"), (53, "tcp", "host"), (80, "tcp", "host"), (443, "tcp", "host")}
        proxy = swarm.api("/services/edge_socket-proxy")["Spec"]
        assert proxy["TaskTemplate"]["Placement"]["Constraints"] == ["node.role == manager"]
        assert "POST=0" in proxy["TaskTemplate"]["ContainerSpec"]["Env"]
    finally:
        swarm.docker("stack", "rm", "edge", check=False)
        for _ in range(50):  # the stack's networks go once its services are gone
            if swarm.docker("network", "rm", "community", check=False) == "community":
                break
            time.sleep(0.2)
        for _ in range(50):
            if swarm.docker("secret", "rm", "stoep-cluster-ca", check=False) == "stoep-cluster-ca":
                break
            time.sleep(0.2)
