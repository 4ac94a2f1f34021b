"""Forwarding to real upstreams on loopback: dnsmasq processes answering their own data, and scripted
servers (dns_upstream.FakeUpstream) for silence, SERVFAIL/REFUSED, truncation and confusing replies.
Covers server=ip#port, server=/domain/ip#port, no-resolv, resolv-file, strict-order and failover on a
timeout, all-servers, SERVFAIL when every server fails, dns-forward-max, TCP retry, random ID and port."""
import socket
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import DnsmasqUpstream, ask, series, upstream_series, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")


def a_of(reply):
    return sorted(r.to_text() for rrset in reply.answer for r in rrset if rrset.rdtype in (1, 28))


@pytest.fixture(scope="module")
def dnsmasq_pair(tmp_path_factory):
    """Two real dnsmasq resolvers: `main` answers up.test (unknown names there NXDOMAIN), `corp` corp.test."""
    w = tmp_path_factory.mktemp("dnsmasq-up")
    main = DnsmasqUpstream(w, ["--address=/up.test/192.0.2.1", "--local=/up.test/",
                               "--txt-record=txt.up.test,hello from main",
                               "--mx-host=up.test,mail.up.test,10", "--address=/corp.test/192.0.2.66",
                               "--local=/nx.test/"])
    corp = DnsmasqUpstream(w, ["--address=/corp.test/192.0.2.2"])
    yield main, corp
    main.close()
    corp.close()


def test_server_ip_port_and_domain_routing(dns_stoep, dnsmasq_pair):
    main, corp = dnsmasq_pair
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
server=127.0.0.1#{main.port}
server=/corp.test/127.0.0.1#{corp.port}
""")
    assert a_of(ask(port, "www.up.test")) == ["192.0.2.1"]
    assert a_of(ask(port, "db.corp.test")) == ["192.0.2.2"]  # not main's 192.0.2.66
    assert a_of(ask(port, "corp.test", tcp=True)) == ["192.0.2.2"]
    r = ask(port, "missing.nx.test")
    assert r.rcode() == dns.rcode.NXDOMAIN
    r = ask(port, "txt.up.test", "TXT")
    assert [x.to_text() for rr in r.answer for x in rr] == ['"hello from main"']
    r = ask(port, "up.test", "MX")
    assert [x.to_text() for rr in r.answer for x in rr] == ["10 mail.up.test."]
    assert main.queries("www.up.test") and not corp.queries("www.up.test")
    assert corp.queries("db.corp.test") and not main.queries("db.corp.test")
    assert not (r.flags & dns.flags.AA)  # forwarded answers carry no AA (docs/dns.md, deliberate differences)
    assert dns_stoep.counter("dns_forwarded") >= 5


@pytest.fixture
def resolv_nameserver(fakes):
    """A FakeUpstream answering r.example on 127.0.0.9:53, where a resolv-file's `nameserver 127.0.0.9`
    sends queries (resolv-file names no port); skips the test where that address cannot be bound."""
    try:
        return fakes(records={"r.example": [("A", "192.0.2.3")]}, host="127.0.0.9", port=53)
    except OSError as e:
        pytest.skip(f"cannot bind 127.0.0.9:53 for a resolv-file nameserver: {e}")


def test_no_resolv_without_servers_is_refused(dns_stoep, tmp_path, resolv_nameserver):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.9\n")
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-hosts\nno-resolv\nresolv-file={resolv}\n")
    r = ask(port, "r.example", edns=0)
    assert r.rcode() == dns.rcode.REFUSED
    assert not resolv_nameserver.seen


def test_resolv_file_servers_are_used(dns_stoep, tmp_path, resolv_nameserver):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("# test\nsearch example\nnameserver 127.0.0.9\n")
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-hosts\nresolv-file={resolv}\n")
    assert a_of(ask(port, "r.example")) == ["192.0.2.3"]
    assert resolv_nameserver.queries("r.example")


def test_strict_order_uses_the_first_server_and_fails_over_on_timeout(dns_stoep, fakes):
    silent = fakes("silent")
    first = fakes(records={f"s{i}.example": [("A", "192.0.2.10")] for i in range(5)})
    second = fakes(records={f"s{i}.example": [("A", "192.0.2.20")] for i in range(5)})
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
strict-order
server={first.address}
server={second.address}
""")
    for i in range(3):
        assert a_of(ask(port, f"s{i}.example")) == ["192.0.2.10"]
    assert not second.seen, "strict-order: the second server is not asked while the first answers"
    dns_stoep.stop()

    # Now the first server never answers: the default deadline (1000 ms) moves the query on at once.
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
strict-order
server={silent.address}
server={second.address}
""")
    t0 = time.time()
    r = ask(port, "s4.example", timeout=5)  # one client try, no client retry needed
    took = time.time() - t0
    assert a_of(r) == ["192.0.2.20"]
    assert 0.9 <= took <= 1.5, took
    assert silent.queries("s4.example") and second.queries("s4.example")
    assert silent.seen[0]["t"] < second.seen[0]["t"]
    stats = dns_stoep.stats()
    assert upstream_series(stats, "counters", "dns_upstream_timeouts", "127.0.0.1", silent.port) == 1


@pytest.mark.parametrize("bad", ["servfail", "refused"])
def test_servfail_and_refused_fail_over_to_the_next_server(dns_stoep, fakes, bad):
    broken = fakes(bad)
    good = fakes(records={"f.example": [("A", "192.0.2.30")]})
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
strict-order
server={broken.address}
server={good.address}
""")
    t0 = time.time()
    assert a_of(ask(port, "f.example")) == ["192.0.2.30"]
    assert time.time() - t0 < 0.5  # no waiting for a deadline
    assert broken.queries("f.example") and good.queries("f.example")
    stats = dns_stoep.stats()
    assert upstream_series(stats, "counters", "dns_upstream_failures", "127.0.0.1", broken.port) == 1


def test_default_order_also_fails_over(dns_stoep, fakes):
    silent = fakes("silent")
    good = fakes(records={"d.example": [("A", "192.0.2.31")]})
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
fast-dns-retry=250
server={silent.address}
server={good.address}
""")
    t0 = time.time()
    assert a_of(ask(port, "d.example")) == ["192.0.2.31"]
    assert time.time() - t0 < 1.0


def test_all_servers_asks_every_server_and_takes_the_first_answer(dns_stoep, fakes):
    silent = fakes("silent")
    slow = fakes(records={"all.example": [("A", "192.0.2.41")]}, delay=0.6)
    fast = fakes(records={"all.example": [("A", "192.0.2.42")]})
    port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
all-servers
server={silent.address}
server={slow.address}
server={fast.address}
""")
    t0 = time.time()
    r = ask(port, "all.example")
    # The fast server's answer (the slow one answers after 0.6 s): the first good answer wins. The time
    # bound is loose because the suite shares two cores with builds.
    assert a_of(r) == ["192.0.2.42"]
    assert time.time() - t0 < 1.0
    # Every server was asked once; a fake's thread may record its query a moment after the answer
    # came back (two busy cores), so wait for it, boundedly.
    deadline = time.time() + 2
    while time.time() < deadline and any(len(u.queries("all.example")) < 1 for u in (silent, slow, fast)):
        time.sleep(0.02)
    for u in (silent, slow, fast):
        assert len(u.queries("all.example")) == 1


@pytest.mark.parametrize("kinds", [("servfail", "refused"), ("silent", "silent"), ("servfail", "silent")])
def test_servfail_to_the_client_when_every_server_fails(dns_stoep, fakes, kinds):
    servers = [fakes(k) for k in kinds]
    port = dns_stoep.start("listen-address=127.0.0.1\nno-resolv\nno-hosts\nfast-dns-retry=200\n"
                           + "".join(f"server={u.address}\n" for u in servers))
    t0 = time.time()
    r = ask(port, "dead.example", timeout=5)
    took = time.time() - t0
    assert r.rcode() == dns.rcode.SERVFAIL
    assert took < 0.2 * kinds.count("silent") + 0.5, took
    assert all(u.queries("dead.example") for u in servers)
    assert dns_stoep.counter("dns_servfail") == 1


def test_dns_forward_max_refuses_past_the_limit(dns_stoep, fakes):
    silent = fakes("silent")
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\ndns-forward-max=2\n"
                           f"fast-dns-retry=700\nserver={silent.address}\n")
    socks = []
    for i in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("127.0.0.1", port))
        s.send(dns.message.make_query(f"hold{i}.example", "A").to_wire())
        socks.append(s)
    assert wait_until(lambda: len(silent.seen) == 2, timeout=2)
    t0 = time.time()
    r = ask(port, "third.example", timeout=2)
    assert r.rcode() == dns.rcode.REFUSED and time.time() - t0 < 0.5
    assert not silent.queries("third.example")
    stats = dns_stoep.stats()
    assert series(stats, "counters", "dns_refused_busy") == 1
    assert series(stats, "gauges", "dns_forward_pending") == 2
    # When the held queries give up (SERVFAIL after the deadline), there is room again.
    for s in socks:
        s.settimeout(2)
        assert dns.message.from_wire(s.recv(4096)).rcode() == dns.rcode.SERVFAIL
        s.close()
    assert series(dns_stoep.stats(), "gauges", "dns_forward_pending") == 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.send(dns.message.make_query("fourth.example", "A").to_wire())
    assert wait_until(lambda: silent.queries("fourth.example"), timeout=1)
    s.close()


def test_truncated_udp_answer_is_retried_over_tcp(dns_stoep, fakes):
    addrs = [f"192.0.2.{i}" for i in range(1, 9)]
    up = fakes("truncate", records={"tc.example": [("A", a) for a in addrs]})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    r = ask(port, "tc.example", edns=0, payload=1232)
    assert not (r.flags & dns.flags.TC)
    assert a_of(r) == sorted(addrs)
    assert [q["transport"] for q in up.queries("tc.example")] == ["udp", "tcp"]


def test_replies_with_wrong_id_or_question_are_ignored(dns_stoep, fakes):
    up = fakes("confuse", records={"c.example": [("A", "192.0.2.50")]})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    r = ask(port, "c.example")
    assert a_of(r) == ["192.0.2.50"]
    assert dns_stoep.counter("dns_upstream_mismatched") >= 2


def test_query_id_and_source_port_are_random_per_query(dns_stoep, fakes):
    names = [f"rnd{i}.example" for i in range(16)]
    up = fakes(records={n: [("A", "192.0.2.60")] for n in names})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    for n in names:
        q = dns.message.make_query(n, "A")
        q.id = 4242  # the client uses one ID for all; stoep must not pass it on
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.connect(("127.0.0.1", port))
            s.send(q.to_wire())
            r = dns.message.from_wire(s.recv(4096))
        assert r.id == 4242 and a_of(r) == ["192.0.2.60"]
    ids = [q["id"] for q in up.seen]
    ports = [q["sport"] for q in up.seen]
    assert len(ids) == len(names)
    assert len(set(ids)) >= len(names) - 1 and 4242 not in ids
    assert len(set(ports)) >= len(names) - 2, ports
    assert port not in ports  # not sent from the listening socket


def test_burst_of_forwarded_queries_is_answered(dns_stoep, fakes):
    names = [f"b{i}.example" for i in range(300)]
    up = fakes(records={n: [("A", "192.0.2.70")] for n in names})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect(("127.0.0.1", port))
        for i, n in enumerate(names):
            q = dns.message.make_query(n, "A")
            q.id = i
            s.send(q.to_wire())
        got = {}
        s.settimeout(3)
        try:
            while len(got) < len(names):
                r = dns.message.from_wire(s.recv(4096))
                assert r.question[0].name.to_text() == names[r.id] + "."
                got[r.id] = r.rcode()
        except socket.timeout:
            pass
    assert len(got) == len(names), f"{len(names) - len(got)} of {len(names)} unanswered"
    # Past dns-forward-max (150 in flight) the rest is REFUSED at once, as dnsmasq does; none is lost.
    refused = sum(1 for rc in got.values() if rc == dns.rcode.REFUSED)
    assert sum(1 for rc in got.values() if rc == dns.rcode.NOERROR) + refused == len(names)
    assert refused == dns_stoep.counter("dns_refused_busy")
    assert len(up.seen) == len(names) - refused


def test_client_gone_before_the_answer_comes(dns_stoep, fakes):
    """A TCP client that closes while its query is upstream, and a UDP client whose socket is gone: the
    late answer goes nowhere and the server carries on."""
    slow = fakes(records={"late.example": [("A", "192.0.2.71")]}, delay=0.3)
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={slow.address}\n")
    w = dns.message.make_query("late.example", "A").to_wire()
    for _ in range(3):
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(len(w).to_bytes(2, "big") + w)
        c.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect(("127.0.0.1", port))
        u.send(w)
        u.close()
    time.sleep(0.6)
    assert dns_stoep.alive()
    assert a_of(ask(port, "late.example", tcp=True)) == ["192.0.2.71"]


def test_ipv6_upstream(dns_stoep, fakes):
    up = fakes(records={"six.example": [("AAAA", "2001:db8::6")]}, host="::1")
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver=::1#{up.port}\n")
    assert a_of(ask(port, "six.example", "AAAA")) == ["2001:db8::6"]
    assert a_of(ask(port, "six.example", "AAAA", tcp=True)) == ["2001:db8::6"]
    assert len(up.queries("six.example")) == 1  # the second answer came from the cache


def test_unreachable_server_fails_over_at_once(dns_stoep, fakes):
    """Nothing listens on the first server's port: the ICMP port-unreachable moves the query on without
    waiting for the deadline."""
    from dns_upstream import free_port
    good = fakes(records={"u.example": [("A", "192.0.2.72")]})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nstrict-order\n"
                           f"server=127.0.0.1#{free_port()}\nserver={good.address}\n")
    t0 = time.time()
    assert a_of(ask(port, "u.example")) == ["192.0.2.72"]
    assert time.time() - t0 < 0.5


def test_truncated_answer_from_a_server_without_tcp(dns_stoep, fakes):
    """TC over UDP and no TCP listener: the next server is asked; with none left the client gets SERVFAIL."""
    tc = fakes("truncate", records={"t.example": [("A", "192.0.2.73")]})
    tc.tcp.close()
    good = fakes(records={"t.example": [("A", "192.0.2.74")]})
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nstrict-order\n"
                           f"server={tc.address}\nserver={good.address}\n")
    t0 = time.time()
    assert a_of(ask(port, "t.example")) == ["192.0.2.74"]
    assert time.time() - t0 < 0.5
    dns_stoep.stop()
    port = dns_stoep.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={tc.address}\n")
    assert ask(port, "t2.example").rcode() == dns.rcode.SERVFAIL
