"""ACME certificates shared across a real three-node swarm (issue 21; docs/cluster.md "Certificates across
nodes"): three dockerds joined as managers (swarm_fixture.Cluster), a stoep on every node in an overlay
container's network namespace, each reading its own node's manager API and knowing its node id
(STOEP_NODE_ID), joined by the cluster channel. pebble (Debian's) is the CA, in the test's own hub
namespace on 192.168.77.254; the stoeps reach it through their node's gateway bridge (NAT to the node's
address), so pebble's side tells which node called. pebble's validation cannot reach the stoeps (they
listen inside overlay containers, not on the nodes' addresses): PEBBLE_VA_ALWAYS_VALID=1.

Checked: the leader's stoep alone orders (no packet from the other nodes' addresses reaches pebble,
counted by iptables in the hub namespace); every node serves the same certificate (SHA-256 fingerprints
of `openssl s_client`) without a restart; the leader demoted, the new leader's stoep orders a new name and
every node serves it. io_uring only, as test_swarm_nodes.py. `slow`, run by `make test-swarm`."""
import os
import re
import subprocess

import pytest

from acme_peer import have_pebble, Pebble
from conftest import BINARY, poll_until, stats_query
from swarm_fixture import Cluster, EdgeProcesses, available

pytestmark = pytest.mark.slow

REFRESH = 2
WEB, WEBSECURE = 8001, 8443
HUB = "192.168.77.254"

STACK = """version: "3.8"
networks:
  comm:
    driver: overlay
    attachable: true
services:
  web:
    image: stoep-busybox:1
    command: ["sh", "-c", "hostname > /www/index.html; exec httpd -f -p 8080 -h /www"]
    networks: [comm]
    deploy:
      replicas: 1
      labels:
        traefik.http.routers.a.rule: "Host(`a.test`)"
        traefik.http.routers.a.tls.certresolver: le
        traefik.http.services.web.loadbalancer.server.port: "8080"
  # The stoeps' containers: one task per node (as the stack's global stoep service), so the cluster
  # channel finds its peers as the running tasks of this service. The stoeps run in their namespaces.
  edge:
    image: stoep-busybox:1
    command: ["sleep", "3600"]
    networks: [comm]
    deploy:
      mode: global
"""
CLUSTER_PORT = 9443


def static_config(node, pebble, storage):
    return f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: ":{WEB}"}}
  websecure: {{address: ":{WEBSECURE}", http: {{tls: {{}}}}}}
providers:
  swarm:
    endpoint: "{node.endpoint}"
    refreshSeconds: {REFRESH}
certificatesResolvers:
  le:
    acme:
      email: admin@inethilocal.net
      storage: "{storage}"
      caServer: "{pebble.directory}"
      caCertificates: ["{pebble.ca_file}"]
      keyType: EC256
      httpChallenge: {{entryPoint: web}}
"""


def stoep_toml(ca):
    return f"""[cluster]
address = ":{CLUSTER_PORT}"
ca = "{ca}"
service = "stk_edge"
network = "stk_comm"
timeout = 2
"""


def in_hub(cluster, argv, **kw):
    return subprocess.run(["nsenter", "-t", str(cluster.hub.pid), "-n", *argv], capture_output=True, text=True, timeout=20, **kw)


def pebble_packets(cluster, port):
    """Packets that reached pebble's port, by node address (iptables counters in the hub namespace)."""
    out = in_hub(cluster, ["iptables", "-v", "-S", "INPUT"]).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"-A INPUT -s (\S+)/32 -p tcp -m tcp --dport (\d+) -c (\d+) \d+", line)
        if m and int(m.group(2)) == port:
            counts[m.group(1)] = int(m.group(3))
    return counts


def fingerprint(node, host):
    """SHA-256 fingerprint of the certificate node's stoep presents for `host` (openssl s_client, run in
    the node's overlay container namespace)."""
    s = subprocess.run(node.in_edge(["openssl", "s_client", "-connect", f"127.0.0.1:{WEBSECURE}", "-servername", host]),
                       input="", capture_output=True, text=True, timeout=15)
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", s.stdout, re.S)
    if not pem:
        return None
    x = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem.group(0), capture_output=True,
                       text=True, timeout=10)
    return x.stdout.strip().split("=", 1)[-1]


def wait(predicate, timeout, what):
    return poll_until(predicate, timeout, what, step=0.3)  # every check runs docker or openssl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = available()
    if why:
        pytest.skip(why)
    if not have_pebble():
        pytest.skip("pebble is not installed (make deps)")
    c = Cluster(tmp_path_factory.mktemp("certcluster"))
    procs = EdgeProcesses()
    c.pebble = None
    try:
        c.start()
        # pebble in the hub namespace, on the bridge the nodes' eth0 hang on.
        in_hub(c, ["ip", "addr", "add", f"{HUB}/24", "dev", "br0"], check=True)
        c.pebble = Pebble(c.dir, 5002, 5001, host=HUB, netns_pid=c.hub.pid, env={"PEBBLE_VA_ALWAYS_VALID": "1"}).start()
        for i, node in enumerate(c.nodes, 1):
            in_hub(c, ["iptables", "-A", "INPUT", "-s", node.address, "-p", "tcp", "--dport", str(c.pebble.port), "-j", "ACCEPT"],
                   check=True)
        first = c.nodes[0]
        first.deploy("stk", STACK)
        ca = c.dir / "cluster-ca.pem"
        ca.write_bytes(subprocess.run([str(BINARY), "cluster-ca"], capture_output=True, check=True, timeout=30).stdout)
        c.procs = []
        for i, node in enumerate(c.nodes):
            node.use_task_as_edge("stk_edge", timeout=90)
            node.id = node.docker("info", "-f", "{{.Swarm.NodeID}}")
            d = node.dir / "proxy"
            d.mkdir()
            cfg = d / "stoep.yml"
            cfg.write_text(static_config(node, c.pebble, d / "acme.json"))
            (d / "stoep.toml").write_text(stoep_toml(ca))
            node.stoep_sock = d / "stoep.sock"
            node.proxy_dir = d
            env = dict(os.environ, STOEP_NODE_ID=node.id)
            argv = [str(BINARY), "run", "--backend", "io_uring", "--stats-socket", str(node.stoep_sock), "--config", str(d / "stoep.toml"),
                    "--traefik-config", str(cfg)]
            c.procs.append(procs.start(node, argv, d, "stoep", env=env))
        yield c
    finally:
        procs.stop()
        if c.pebble:
            c.pebble.stop()
        c.stop()


def info(node):
    return stats_query(node.stoep_sock, "show info")


def leader_id(cluster):
    """The Swarm leader's node id, as any manager that answers says (None: none answers)."""
    for node in cluster.nodes:
        try:
            out = node.docker("node", "ls", "--format", "{{.ID}} {{.ManagerStatus}}", timeout=20)
        except (RuntimeError, subprocess.TimeoutExpired):
            continue
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == "Leader":
                return parts[0]
    return None


def test_the_leader_alone_orders_and_every_node_serves_its_certificate(cluster):
    first_leader = wait(lambda: leader_id(cluster), 30, "a leader")
    leader = next(n for n in cluster.nodes if n.id == first_leader)
    followers = [n for n in cluster.nodes if n is not leader]
    wait(lambda: info(leader).get("swarm_certificates", {}).get("issuer") is True, 30, "the leader's stoep sees itself issuer")
    for f in followers:
        wait(lambda: info(f).get("swarm_certificates", {}).get("leadership", "").startswith("follower"), 30, "followers")
    wanted = wait(lambda: fingerprint(leader, "a.test") if any(
        "not_after" in c for c in info(leader)["acme"]["le"]["certificates"]) else None, 90, "the leader's certificate")
    for f in followers:
        wait(lambda: fingerprint(f, "a.test") == wanted, 3 * REFRESH + 10, f"node {f.address} serving the leader's certificate")
        assert info(f)["acme"]["le"]["issuing"] is False
        assert info(f)["tls"]["certificate_reloads"] >= 1
    assert all(p.poll() is None for p in cluster.procs), "no stoep restarted"
    packets = pebble_packets(cluster, cluster.pebble.port)
    assert packets.get(leader.address, 0) > 0, packets
    for f in followers:
        assert packets.get(f.address, 0) == 0, (f.address, packets)
    for f in followers:
        assert "ordering a certificate" not in (f.proxy_dir / "stoep.log").read_text(errors="replace")


def test_a_new_leader_orders_and_every_node_gets_it(cluster):
    old = next(n for n in cluster.nodes if n.id == leader_id(cluster))
    others = [n for n in cluster.nodes if n is not old]
    others[0].docker("node", "demote", old.id)
    new_id = wait(lambda: (lambda l: l if l and l != old.id else None)(leader_id(cluster)), 60, "a new leader")
    new = next(n for n in cluster.nodes if n.id == new_id)
    wait(lambda: info(new).get("swarm_certificates", {}).get("issuer") is True, 30, "the new leader's stoep sees itself issuer")
    wait(lambda: info(old).get("swarm_certificates", {}).get("issuer") is False, 30, "the old leader's stoep stops issuing")
    before = pebble_packets(cluster, cluster.pebble.port)
    others[0].docker("service", "update", "-d", "--label-add", "traefik.http.routers.b.rule=Host(`b.test`)",
                     "--label-add", "traefik.http.routers.b.tls.certresolver=le", "stk_web")
    wanted = wait(lambda: fingerprint(new, "b.test") if any(
        c.get("names") == ["b.test"] and "not_after" in c for c in info(new)["acme"]["le"]["certificates"]) else None,
        90, "the new leader's certificate for b.test")
    for node in cluster.nodes:
        wait(lambda: fingerprint(node, "b.test") == wanted, 3 * REFRESH + 10, f"node {node.address} serving b.test")
    after = pebble_packets(cluster, cluster.pebble.port)
    assert after.get(new.address, 0) > before.get(new.address, 0), (before, after)
    for node in cluster.nodes:
        if node is not new:
            assert after.get(node.address, 0) == before.get(node.address, 0), (node.address, before, after)
    assert all(p.poll() is None for p in cluster.procs), "no stoep restarted"
