"""The Swarm provider on a real three-node swarm (issue 21): three dockerds, each in its own network
namespace on a bridge of the test's own, joined as managers (swarm_fixture.Cluster). A stack's service has
one task per node; a stoep runs on every node (in the network namespace of a container on the overlay,
reading its own node's manager API, as deploy/swarm/stack.yml lays it out) and every one of them routes to
the tasks on all three nodes, across the overlay (VXLAN between the namespaces). Traefik 3.7 runs beside
node 1's stoep and must route the same. A scale-up is followed on every node within one refresh. io_uring
only: a second cluster for epoll would double the module's minute; the single-node module runs both
backends. `slow`, run by `make test-swarm`.

The cluster channel (docs/cluster.md): the "edge" containers are the tasks of a global service, so each
node's stoep finds the other two as the running tasks of that service on the overlay ([cluster] service,
network) and asks them over mutual TLS with a leaf it issued itself from the cluster CA (one file, made by
`stoep cluster-ca`, given to all three as the Swarm secret would be). `stoep stats --swarm` on one node
shows all three with their own counters and totals that add up; a stopped (SIGSTOP: accepts, never
answers) or killed stoep is a row marked down within the channel's timeout while the others answer; a
client without a certificate the cluster CA signed is refused by the handshake, one with such a
certificate is served."""
import datetime
import json
import signal
import subprocess
import time

import pytest

from conftest import BINARY, stats_query
from swarm_fixture import Cluster, EdgeProcesses, available
from traefik_peer import traefik_binary
from test_swarm import REFRESH, Proxies, SERVE, static_config

pytestmark = pytest.mark.slow

STOEP_PORT, TRAEFIK_PORT, STOEP_API = 8001, 8002, 8101
CLUSTER_PORT, CLUSTER_TIMEOUT = 8443, 1

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
  edge:
    # stoep's place on each node (as deploy/swarm/stack.yml's global stoep service): the proxies run in
    # its tasks' network namespaces, and the cluster channel finds its peers as this service's tasks.
    image: stoep-busybox:1
    command: ["sleep", "3600"]
    networks: [comm]
    deploy:
      mode: global
"""

NODE_TOML = f"""[cluster]
address = ":{CLUSTER_PORT}"
ca = "{{ca}}"
service = "stk_edge"
network = "stk_comm"
timeout = {CLUSTER_TIMEOUT}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = available()
    if why:
        pytest.skip(why)
    if not traefik_binary():
        pytest.skip("Traefik not installed (make deps)")
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    procs = EdgeProcesses()
    try:
        c.start()
        first = c.nodes[0]
        first.deploy("stk", STACK)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            tasks = first.running_tasks("stk_web")
            if len({t["NodeID"] for t in tasks}) == 3 and len({t["NodeID"] for t in first.running_tasks("stk_edge")}) == 3:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the service did not get a task on every node within 120 s")
        c.proxies, c.stoeps = [], []
        c.ca = c.dir / "stoep-cluster-ca.pem"
        c.ca.write_bytes(subprocess.run([str(BINARY), "cluster-ca"], capture_output=True, check=True, timeout=10).stdout)
        c.node_ids = [node.docker("info", "-f", "{{.Swarm.NodeID}}") for node in c.nodes]
        for i, node in enumerate(c.nodes):
            node.use_task_as_edge("stk_edge")
            d = node.dir / "proxy"
            d.mkdir()
            cfg = d / "stoep.yml"
            cfg.write_text(static_config(STOEP_PORT, STOEP_API, node.endpoint))
            toml = d / "node.toml"
            toml.write_text(NODE_TOML.format(ca=c.ca))
            sock = d / "stoep.sock"
            argvs = [("stoep", [str(BINARY), "run", "--backend", "io_uring", "--stats-socket", str(sock), "--traefik-config", str(cfg),
                                "--config", str(toml)])]
            if i == 0:
                tcfg = d / "traefik.yml"
                tcfg.write_text(static_config(TRAEFIK_PORT, 8102, node.endpoint))
                argvs.append(("traefik", [traefik_binary(), "--configfile", str(tcfg)]))
            for name, argv in argvs:
                proc = procs.start(node, argv, d, name)
                if name == "stoep":
                    c.stoeps.append(proc)
            c.proxies.append(Proxies(node.client_pool(2), d, sock))
        yield c
    finally:
        procs.stop()
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


def swarm_view(sock, text=False):
    """`stoep stats --swarm` (JSON, or the text table)."""
    r = subprocess.run([str(BINARY), "stats", "--stats-socket", str(sock), "--swarm"] + ([] if text else ["--json"]),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout if text else json.loads(r.stdout)


def own_requests(sock):
    return sum(s["value"] for s in stats_query(sock, "show stats")["counters"].get("http_requests", []))


def test_stats_swarm_shows_every_node_with_its_own_counters(cluster):
    # Distinct counts per node (the earlier tests sent a varying number): node k ends at top + 5k.
    counts = [own_requests(p.sock) for p in cluster.proxies]
    for k, p in enumerate(cluster.proxies, 1):
        for _ in range(max(counts) - counts[k - 1] + 5 * k):
            assert p.get(STOEP_PORT, "web.test")[0] == 200
    # The peers are known from the first Swarm listing (REFRESH s at most).
    Proxies.wait(lambda: swarm_view(cluster.proxies[0].sock)["nodes_up"] == 3, 15)
    view = swarm_view(cluster.proxies[0].sock)
    rows = {r["node_id"]: r for r in view["nodes"]}
    assert set(rows) == set(cluster.node_ids), view
    for node_id, p in zip(cluster.node_ids, cluster.proxies):
        assert rows[node_id]["state"] == "up", rows[node_id]
        assert rows[node_id]["http_requests"] == own_requests(p.sock), (node_id, rows[node_id])
    assert len({r["http_requests"] for r in view["nodes"]}) == 3, "each node's own counters"
    assert [rows[i]["self"] for i in cluster.node_ids] == [True, False, False]
    assert view["service"] == "stk_edge" and view["network"] == "stk_comm"
    for key in ("http_requests", "dns_queries", "open_connections", "rss_bytes", "certificates"):
        assert view["totals"][key] == sum(r[key] for r in view["nodes"]), key
    assert view["nodes_down"] == 0
    text = swarm_view(cluster.proxies[0].sock, text=True)
    assert "3 up, 0 down" in text and "total" in text, text
    for p in cluster.proxies[1:]:
        other = swarm_view(p.sock)
        assert other["nodes_up"] == 3 and sum(r["self"] for r in other["nodes"]) == 1
    # The dashboard's node view: the same rows in /dashboard/live.json (asked in the background, shown
    # from the next poll on).
    node1 = cluster.proxies[0]
    Proxies.wait(lambda: len(node1.api(STOEP_API, "/dashboard/live.json").get("swarm", {}).get("nodes", [])) == 3, 10)


def issue_client_certificate(ca_pem, workdir):
    """A leaf signed by the cluster CA (cryptography), for curl: the positive control of the refusal."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_pem, None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test client")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    crt, pem = workdir / "client.crt", workdir / "client.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return crt, pem


def test_a_client_without_a_cluster_certificate_is_refused_by_the_handshake(cluster, tmp_path):
    view = swarm_view(cluster.proxies[0].sock)
    peer = next(r["address"] for r in view["nodes"] if not r["self"])
    url = f"https://{peer}:{CLUSTER_PORT}/cluster/v1/stats"
    base = ["curl", "-s", "-k", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"]
    node1 = cluster.nodes[0]
    anonymous = subprocess.run(node1.in_edge(base + [url]), capture_output=True, text=True, timeout=15)
    assert anonymous.returncode != 0, anonymous.stdout
    assert not anonymous.stdout.strip().strip("0"), anonymous.stdout  # no HTTP status, no body
    crt, key = issue_client_certificate(cluster.ca.read_bytes(), tmp_path)
    member = subprocess.run(node1.in_edge(base + ["--cert", str(crt), "--key", str(key), url]), capture_output=True, text=True, timeout=15)
    assert member.returncode == 0 and member.stdout.endswith("\n200"), (member.returncode, member.stdout, member.stderr)
    assert json.loads(member.stdout.rsplit("\n", 1)[0])["version"]


def test_a_stopped_or_killed_node_is_down_within_the_bound_and_the_others_answer(cluster):
    victim_id, victim = cluster.node_ids[2], cluster.stoeps[2]
    bound = CLUSTER_TIMEOUT + 1.5  # the channel's timeout, and the CLI's own round trip on a loaded VM
    for how in ("stop", "kill"):
        victim.send_signal(signal.SIGSTOP if how == "stop" else signal.SIGKILL)
        if how == "kill":
            victim.wait(10)
        started = time.monotonic()
        view = swarm_view(cluster.proxies[0].sock)
        elapsed = time.monotonic() - started
        assert elapsed < bound, (how, elapsed)
        rows = {r["node_id"]: r for r in view["nodes"]}
        assert rows[victim_id]["state"] == "down", (how, rows[victim_id])
        assert rows[victim_id]["reason"], rows[victim_id]
        assert [rows[i]["state"] for i in cluster.node_ids[:2]] == ["up", "up"], (how, view)
        assert view["nodes_up"] == 2 and view["nodes_down"] == 1
        assert view["totals"]["http_requests"] == sum(rows[i]["http_requests"] for i in cluster.node_ids[:2])
        text = swarm_view(cluster.proxies[1].sock, text=True)
        assert "2 up, 1 down" in text and "down: " + victim_id[:12] in text, text
        if how == "stop":
            assert "no complete answer" in rows[victim_id]["reason"], rows[victim_id]
            victim.send_signal(signal.SIGCONT)
            Proxies.wait(lambda: swarm_view(cluster.proxies[0].sock)["nodes_up"] == 3, 10)
    assert cluster.proxies[0].get(STOEP_PORT, "web.test")[0] == 200
