"""Where and how stoep's DNS listens: port= and listen-address=, UDP and TCP on one port, pipelined TCP,
the TCP idle timeout, IPv4 and IPv6, and replies from the address a query was sent to on a wildcard bind."""
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import FakeUpstream, ask, ask_raw_udp, free_port, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

ZONE = "no-resolv\nno-hosts\naddress=/t.lan/10.0.0.7\naddress=/t.lan/fd00::7\n"


def query_wire(name="a.t.lan", rdtype="A", qid=None):
    q = dns.message.make_query(name, rdtype)
    if qid is not None:
        q.id = qid
    return q


def a_of(reply):
    return sorted(r.to_text() for rrset in reply.answer for r in rrset)


def tcp_refused(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return True
    return False


def test_listen_address_decides_where_it_listens(dns_stoep):
    port = dns_stoep.start("listen-address=127.0.0.2\n" + ZONE)
    for tcp in (False, True):
        assert a_of(ask(port, "a.t.lan", host="127.0.0.2", tcp=tcp)) == ["10.0.0.7"]
    # Not on 127.0.0.1, neither UDP nor TCP.
    assert ask_raw_udp(port, query_wire().to_wire(), host="127.0.0.1", timeout=0.5) is None
    assert tcp_refused("127.0.0.1", port)


def test_port_option_is_used_for_udp_and_tcp(dns_stoep):
    port = free_port()
    dns_stoep.start(f"port={port}\nlisten-address=127.0.0.1\n" + ZONE)
    udp = ask(port, "x.t.lan")
    tcp = ask(port, "x.t.lan", tcp=True)
    assert a_of(udp) == a_of(tcp) == ["10.0.0.7"]
    assert dns_stoep.counter("dns_queries", transport="udp") >= 1
    assert dns_stoep.counter("dns_queries", transport="tcp") >= 1


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_tcp_message(s):
    (n,) = struct.unpack("!H", recv_exact(s, 2))
    return dns.message.from_wire(recv_exact(s, n))


def test_pipelined_tcp_queries_on_one_connection(dns_stoep):
    up = FakeUpstream(records={"fwd.example": [("A", "192.0.2.9")]})
    try:
        port = dns_stoep.start(f"listen-address=127.0.0.1\nserver={up.address}\n" + ZONE)
        names = [("a.t.lan", "A"), ("b.t.lan", "AAAA"), ("fwd.example", "A"), ("c.t.lan", "A"), ("t.lan", "MX")]
        wires = []
        for i, (n, t) in enumerate(names):
            w = query_wire(n, t, qid=1000 + i).to_wire()
            wires.append(struct.pack("!H", len(w)) + w)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"".join(wires))  # all at once, without waiting
            replies = {m.id: m for m in (read_tcp_message(s) for _ in names)}
            # And a query sent one byte at a time on the same connection.
            w = query_wire("slow.t.lan", qid=2000).to_wire()
            for b in struct.pack("!H", len(w)) + w:
                s.send(bytes([b]))
                time.sleep(0.002)
            slow = read_tcp_message(s)
        assert sorted(replies) == [1000 + i for i in range(len(names))]
        assert a_of(replies[1000]) == ["10.0.0.7"] and a_of(replies[1001]) == ["fd00::7"]
        assert a_of(replies[1002]) == ["192.0.2.9"], replies[1002]
        assert replies[1004].rcode() == dns.rcode.NOERROR and not replies[1004].answer
        assert slow.id == 2000 and a_of(slow) == ["10.0.0.7"]
    finally:
        up.close()


def test_ipv4_and_ipv6_listeners(dns_stoep):
    port = dns_stoep.start("listen-address=127.0.0.1,::1\n" + ZONE)
    for host in ("127.0.0.1", "::1"):
        for tcp in (False, True):
            assert a_of(ask(port, "v6.t.lan", "AAAA", host=host, tcp=tcp)) == ["fd00::7"]


def test_wildcard_bind_replies_from_the_address_asked(dns_stoep):
    """No listen-address: stoep binds 0.0.0.0 and ::. A connected UDP socket only accepts a reply from the
    address it sent to, so an answer from the wrong source address would be lost."""
    port = dns_stoep.start(ZONE)
    for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.connect((host, port))
            q = query_wire("w.t.lan")
            s.send(q.to_wire())
            data, source = s.recvfrom(4096)  # times out if the reply came from another address
            assert source[0] == host
            assert a_of(dns.message.from_wire(data)) == ["10.0.0.7"]
        assert a_of(ask(port, "w.t.lan", host=host, tcp=True)) == ["10.0.0.7"]


def test_idle_tcp_connection_is_closed_after_the_idle_timeout(idle_probes, backend):
    """The probe connection was opened at the start of the session and never used."""
    probe = idle_probes[backend]
    assert wait_until(lambda: probe.closed_at is not None, timeout=max(0.0, probe.opened + 13 - time.time()) + 0.1)
    assert probe.closed_at > 0, "connection ended with an error, not a close"
    took = probe.closed_at - probe.opened
    assert 9.0 <= took <= 12.0, took


def test_active_tcp_connection_is_kept_open(dns_stoep):
    port = dns_stoep.start("listen-address=127.0.0.1\n" + ZONE)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        for i in range(3):
            w = query_wire(f"k{i}.t.lan", qid=i).to_wire()
            s.sendall(struct.pack("!H", len(w)) + w)
            assert read_tcp_message(s).id == i
            time.sleep(0.3)
