"""The claims of docs/security.md that are not about the privilege drop (test_privileges.py has those):
what a client on the Wi-Fi can do to the DNS forwarder, what a container's labels can do to another
container's host name, and what the stats socket lets a client do."""
import socket
import threading
import time

import dns.message
import dns.rrset
import pytest

from conftest import Stoep, free_port, stats_query
from dns_upstream import ask
from podman_api import podman_api  # noqa: F401 (fixture)
from traefik_peer import Peers, traefik_binary

pytest_plugins = ["dns_upstream"]


def a_of(r):
    return sorted(rd.address for rrset in r.answer if rrset.rdtype == 1 for rd in rrset)


# --- DNS: cache poisoning ---------------------------------------------------------------------------------

def test_forwarded_queries_spread_ids_and_source_ports(dns_stoep, fakes):
    """256 forwarded queries, sent in bursts of 64 with client IDs 0, 1, 2…: the upstream sees 256 different-enough
    query IDs (a birthday collision or two is chance) spread over the whole 16-bit space, and as many source
    ports, each from a fresh socket, spread over the ephemeral range (about 2^15 ports here): an off-path
    attacker must guess about 31 bits per query, not 16."""
    n = 256
    names = [f"spread{i}.example" for i in range(n)]
    up = fakes(records={name: [("A", "192.0.2.80")] for name in names})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect(("127.0.0.1", port))
        s.settimeout(5)
        answered = 0
        for batch in range(0, n, 64):  # below dnsmasq's dns-forward-max (150) queries in flight
            for i in range(batch, batch + 64):
                q = dns.message.make_query(names[i], "A")
                q.id = i  # the client counts; stoep's IDs must not follow
                s.send(q.to_wire())
            try:
                while answered < batch + 64:
                    r = dns.message.from_wire(s.recv(4096))
                    assert r.question[0].name.to_text() == names[r.id] + "." and a_of(r) == ["192.0.2.80"], r
                    answered += 1
            except socket.timeout:
                break
    assert answered == n
    ids = [q["id"] for q in up.seen if q["transport"] == "udp"]
    ports = [q["sport"] for q in up.seen if q["transport"] == "udp"]
    assert len(ids) == n
    assert len(set(ids)) >= n - 4
    assert sum(1 for q in up.seen if q["id"] == names.index(q["name"].rstrip("."))) <= 2  # not the client's
    assert min(ids) < 4096 and max(ids) > 61440  # the whole range, not a counter
    assert sum(1 for a, b in zip(ids, ids[1:]) if b == (a + 1) % 65536) <= 2  # not sequential
    assert len(set(ports)) >= n - 8, sorted(ports)
    assert max(ports) - min(ports) > 8000, (min(ports), max(ports))
    assert port not in ports


def test_spoofed_answer_from_another_source_is_not_taken(dns_stoep, fakes):
    """An attacker who learned the query ID and source port (here: read from the upstream's log) but
    sends from another address or port does not get its answer in: each forwarded query's socket is
    connected to the upstream, so the kernel drops every other sender's datagram before stoep reads it."""
    up = fakes(records={"bank.example": [("A", "192.0.2.90")]}, delay=0.5)
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    forged_sent = []

    def forge():
        deadline = time.time() + 3
        while time.time() < deadline and not up.seen:
            time.sleep(0.005)
        if not up.seen:
            return
        seen = up.seen[0]
        reply = dns.message.make_response(dns.message.make_query("bank.example", "A"))
        reply.id = seen["id"]
        reply.answer.append(dns.rrset.from_text("bank.example.", 300, "IN", "A", "6.6.6.6"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as f:
            for _ in range(20):
                f.sendto(reply.to_wire(), ("127.0.0.1", seen["sport"]))
        forged_sent.append(seen["sport"])

    t = threading.Thread(target=forge)
    t.start()
    r = ask(port, "bank.example", timeout=5)
    t.join()
    assert forged_sent, "the forger never saw the query"
    assert a_of(r) == ["192.0.2.90"]
    assert a_of(ask(port, "bank.example")) == ["192.0.2.90"]  # and the cache holds the real answer


def test_forwards_for_any_client_that_reaches_a_listening_address(dns_stoep, fakes):
    """Open-resolver exposure as it stands: a query from any source address that reaches a listening
    address is forwarded (dnsmasq without local-service does the same). Issue 19 adds local-service and
    answer rate limits; until then the listening addresses are the only fence."""
    up = fakes(records={"any.example": [("A", "192.0.2.91")]})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.2", 0))  # another client address
        s.settimeout(3)
        s.sendto(dns.message.make_query("any.example", "A").to_wire(), ("127.0.0.1", port))
        r = dns.message.from_wire(s.recv(4096))
    assert a_of(r) == ["192.0.2.91"]


# --- Container labels: host name takeover -----------------------------------------------------------------

HIJACK_DYNAMIC = """http:
  routers:
    victim:
      rule: "Host(`victim.test`)"
      service: app
      middlewares: [mark-victim]
    hostile:
      rule: "Host(`victim.test`)"
      priority: 1000
      service: app
      middlewares: [mark-hostile]
  middlewares:
    mark-victim: {headers: {customRequestHeaders: {X-Router: victim}}}
    mark-hostile: {headers: {customRequestHeaders: {X-Router: hostile}}}
  services:
    app: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""


def test_higher_priority_router_takes_the_host_as_in_traefik(tmp_path, backend):
    """Who wins a host name two routers claim: the higher priority, in Traefik 3.7 as in stoep (the same
    request reaches the same router on both)."""
    if not traefik_binary():
        pytest.skip("traefik binary missing")
    peers = Peers(tmp_path, backend, "entryPoints:\n  web:\n    address: \"{web}\"\n", HIJACK_DYNAMIC)
    try:
        out = peers.exchange(b"GET / HTTP/1.1\r\nHost: victim.test\r\n\r\n")
        for name in ("traefik", "stoep"):
            responses, requests = out[name]
            assert responses[0].status == 200, name
            assert requests[0].header("X-Router") == "hostile", name
    finally:
        peers.close()


def test_container_taking_another_containers_host_is_reported(stoep, podman_api):
    """A container whose labels claim another container's host name with a higher priority gets its
    requests (Traefik's rule, and Traefik says nothing); stoep also lists it in `show config-errors`
    under the container that takes the name, naming both routers and why one wins."""
    web = free_port()
    config = stoep.write_config(f'[entryPoints.web]\naddress = "127.0.0.1:{web}"\n'
                                f'[providers.docker]\nendpoint = "{podman_api.endpoint}"\nexposedByDefault = false\n')
    stoep.start(config=config)
    tag = str(int(time.time() * 1000) % 100000)
    victim, hostile = f"victim{tag}", f"hostile{tag}"
    vp, hp = free_port(), free_port()
    podman_api.run(victim, vp, {"traefik.enable": "true", "traefik.http.routers.site.rule": "Host(`victim.test`)",
                                "traefik.http.services.site.loadbalancer.server.port": str(vp)})
    podman_api.run(hostile, hp, {"traefik.enable": "true", "traefik.http.routers.grab.rule": "Host(`victim.test`)",
                                 "traefik.http.routers.grab.priority": "1000",
                                 "traefik.http.services.grab.loadbalancer.server.port": str(hp)})
    try:
        def lines():
            return [e for e in stoep.stats("show config-errors")["errors"] if "victim.test" in e["message"]]

        deadline = time.time() + 15
        while time.time() < deadline and not lines():
            time.sleep(0.1)
        found = lines()
        assert len(found) == 1, stoep.stats("show config-errors")
        assert found[0]["source"] == f"docker:{hostile}"
        assert "router grab@docker also routes host victim.test" in found[0]["message"]
        assert f"router site@docker of docker container {victim}" in found[0]["message"]
        assert "higher priority 1000" in found[0]["message"]
        with socket.create_connection(("127.0.0.1", web), timeout=3) as c:
            c.sendall(b"GET / HTTP/1.0\r\nHost: victim.test\r\n\r\n")
            body = b""
            while chunk := c.recv(65536):
                body += chunk
        assert body.endswith(f"{hostile}\n".encode()), body
        # Gone with the container that took the name.
        podman_api.remove(hostile)
        deadline = time.time() + 10
        while time.time() < deadline and lines():
            time.sleep(0.1)
        assert lines() == []
    finally:
        podman_api.remove(victim)
        podman_api.remove(hostile)


def test_one_sources_routers_sharing_a_host_are_not_reported(stoep):
    """Several routers of one file (or one container) for one host (by path) are how a site is written:
    no report. Two files of the file provider's directory are two sources: reported."""
    web = free_port()
    d = stoep.workdir / "dynamic"
    d.mkdir()
    (d / "site.yml").write_text("""http:
  routers:
    site: {rule: "Host(`shared.test`)", service: s}
    site-api: {rule: "Host(`shared.test`) && PathPrefix(`/api`)", service: s}
  services:
    s: {loadBalancer: {servers: [{url: "http://127.0.0.1:9"}]}}
""")
    static = stoep.workdir / "traefik.yml"
    static.write_text(f'entryPoints:\n  web:\n    address: "127.0.0.1:{web}"\nproviders:\n  file: {{directory: "{d}"}}\n')
    stoep.start("--traefik-config", str(static))
    assert not [e for e in stoep.stats("show config-errors")["errors"] if "shared.test" in e["message"]]
    (d / "other.yml").write_text("""http:
  routers:
    other: {rule: "Host(`shared.test`)", service: s2}
  services:
    s2: {loadBalancer: {servers: [{url: "http://127.0.0.1:9"}]}}
""")
    deadline = time.time() + 5
    found = []
    while time.time() < deadline and not found:
        found = [e for e in stoep.stats("show config-errors")["errors"] if "shared.test" in e["message"]]
        time.sleep(0.05)
    # site-api (longer rule) wins over other for /api; other (same priority, name first) over site.
    by_source = {e["source"].rsplit("/", 1)[-1]: e["message"] for e in found}
    assert len(found) == 2, found
    assert by_source["other.yml"].startswith("router other@file also routes host shared.test, which router site@file of "), found
    assert "same priority 19" in by_source["other.yml"]  # len("Host(`shared.test`)")
    assert "router site-api@file also routes host shared.test, which router other@file" in by_source["site.yml"]


# --- The stats socket -------------------------------------------------------------------------------------

def test_stats_socket_only_reads(stoep):
    """The stats socket has no command that changes anything: every other line gets an error document,
    and the process serves on unchanged."""
    port = free_port()
    stoep.start(config=stoep.write_config(f'[[forward]]\nlisten = "127.0.0.1:{port}"\nupstream = "127.0.0.1:9"\n'))
    for line in ("reload", "shutdown", "set timeout 1", "disable server x", "show config", "../../etc/passwd", "\x00"):
        doc = stats_query(stoep.sock, line)
        assert "unknown command" in doc.get("error", "") or "empty command" in doc.get("error", ""), (line, doc)
    assert stoep.proc.poll() is None
    assert stoep.stats("show config-errors")["errors"] == []
