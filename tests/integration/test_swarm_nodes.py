"""The Swarm provider on a real three-node swarm (issue 21): three dockerds, each in its own network
namespace on a bridge of the test's own, joined as managers (swarm_fixture.Cluster). A stack's service has
one task per node; a stoep runs on every node (in the network namespace of a container on the overlay,
reading its own node's manager API, as deploy/swarm/stack.yml lays it out) and every one of them routes to
the tasks on all three nodes, across the overlay (VXLAN between the namespaces). Traefik 3.7 runs beside
node 1's stoep and must route the same. A scale-up is followed on every node within one refresh. io_uring
only: a second cluster for epoll would double the module's minute; the single-node module runs both
backends. `slow`, run by `make test-swarm`."""
import json
import subprocess
import time

import pytest

from conftest import BINARY, stats_query
from swarm_fixture import Cluster, available
from traefik_peer import traefik_binary
from test_swarm import REFRESH, Proxies, SERVE, static_config

pytestmark = pytest.mark.slow

STOEP_PORT, TRAEFIK_PORT = 8001, 8002

STACK = f"""version: "3.8"
networks:
  comm:
    driver: overlay
    attachable: true
services:
  web:
    image: stoep-busybox:1
    command: ["sh", "-c", {json.dumps(SERVE.replace("$", "$$"))}]
    networks: [comm]
    deploy:
      replicas: 3
      placement: {{max_replicas_per_node: 1}}
      labels:
        traefik.http.routers.web.rule: "Host(`web.test`)"
        traefik.http.services.web.loadbalancer.server.port: "8080"
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = available()
    if why:
        pytest.skip(why)
    if not traefik_binary():
        pytest.skip("Traefik not installed (make deps)")
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    procs, logs = [], []
    try:
        c.start()
        first = c.nodes[0]
        first.deploy("stk", STACK)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            tasks = first.running_tasks("stk_web")
            if len({t["NodeID"] for t in tasks}) == 3:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the service did not get a task on every node within 120 s")
        c.proxies = []
        for i, node in enumerate(c.nodes):
            # `docker run` on each node: its edge container is on that node.
            node.docker("run", "-d", "--name", "edge", "--network", "stk_comm", "stoep-busybox:1", "sleep", "3600")
            node.edge_pid = int(node.docker("inspect", "-f", "{{.State.Pid}}", "edge"))
            d = node.dir / "proxy"
            d.mkdir()
            cfg = d / "stoep.yml"
            cfg.write_text(static_config(STOEP_PORT, 8101, node.endpoint))
            sock = d / "stoep.sock"
            argvs = [("stoep", [str(BINARY), "run", "--backend", "io_uring", "--stats-socket", str(sock), "--traefik-config", str(cfg)])]
            if i == 0:
                tcfg = d / "traefik.yml"
                tcfg.write_text(static_config(TRAEFIK_PORT, 8102, node.endpoint))
                argvs.append(("traefik", [traefik_binary(), "--configfile", str(tcfg)]))
            for name, argv in argvs:
                log = open(d / f"{name}.log", "ab")
                logs.append(log)
                procs.append(subprocess.Popen(node.in_edge(argv), stdout=log, stderr=subprocess.STDOUT, cwd=d))
            c.proxies.append(Proxies(node.client_pool(2), d, sock))
        yield c
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
        for p in getattr(c, "proxies", []):
            p.pool.shutdown()
        c.stop()


def hosts(node):
    return {t["Status"]["ContainerStatus"]["ContainerID"][:12] + "\n" for t in node.running_tasks("stk_web")}


def test_every_node_routes_to_every_nodes_tasks(cluster):
    expected = hosts(cluster.nodes[0])
    assert len(expected) == 3
    for i, p in enumerate(cluster.proxies):
        Proxies.wait(lambda: p.bodies(STOEP_PORT, "web.test", 9) == expected, 30)
        assert stats_query(p.sock, "show info")["swarm"]["synchronised"] is True, i
    node1 = cluster.proxies[0]
    Proxies.wait(lambda: node1.bodies(TRAEFIK_PORT, "web.test", 9) == expected, 30)
    for host in ("web.test", "nothing.test"):
        stoep, traefik = node1.views(host)
        assert stoep == traefik, host


def test_scale_up_is_seen_on_every_node_within_one_refresh(cluster):
    first = cluster.nodes[0]
    first.docker("service", "update", "-d", "--replicas-max-per-node", "2", "--replicas", "5", "stk_web")
    Proxies.wait(lambda: len(hosts(first)) == 5, 90)
    expected = hosts(first)
    for p in cluster.proxies:
        Proxies.wait(lambda: p.bodies(STOEP_PORT, "web.test", 15) == expected, REFRESH + 2.5)
    Proxies.wait(lambda: cluster.proxies[0].bodies(TRAEFIK_PORT, "web.test", 15) == expected, REFRESH + 2.5)
