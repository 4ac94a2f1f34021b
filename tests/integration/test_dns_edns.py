"""EDNS0: OPT in the answer, the client's UDP size honoured up to edns-packet-max (TC otherwise, full
answer over TCP), for local and for forwarded answers; the DO bit reaches the upstream."""
import socket

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import FakeUpstream, ask

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

BIG = [f"10.1.0.{i}" for i in range(1, 41)]     # 40 A records: about 700 bytes, more than 512
HUGE = [f"10.2.{i // 250}.{i % 250 + 1}" for i in range(100)]  # 100 A records: about 1.7 kB, more than 1232
FWD_BIG = [f"192.0.2.{i}" for i in range(1, 51)]
FWD_HUGE = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(200)]  # about 3.3 kB


@pytest.fixture
def up():
    u = FakeUpstream(records={"big.example": [("A", a) for a in FWD_BIG], "small.example": [("A", "192.0.2.1")],
                              "huge.example": [("A", a) for a in FWD_HUGE]})
    yield u
    u.close()


def conf(up, extra=""):
    lines = [f"address=/big.lan/{a}" for a in BIG] + [f"address=/huge.lan/{a}" for a in HUGE]
    return ("listen-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/s.lan/10.0.0.1\n"
            f"server={up.address}\n" + "\n".join(lines) + "\n" + extra)


def raw_udp(port, name, payload=None, edns=None):
    """(reply message, reply size in bytes) for one UDP query."""
    if edns is None:
        q = dns.message.make_query(name, "A", use_edns=False)
    else:
        q = dns.message.make_query(name, "A", use_edns=edns, payload=payload or 1232)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.connect(("127.0.0.1", port))
        s.send(q.to_wire())
        data = s.recv(65535)
    return dns.message.from_wire(data), len(data)


def test_opt_is_answered_only_when_asked(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    r = ask(port, "s.lan", edns=0, payload=4096)
    assert r.edns == 0 and r.payload == 1232  # we advertise edns-packet-max
    assert ask(port, "s.lan").edns == -1
    r = ask(port, "small.example", edns=0, payload=4096)
    assert r.edns == 0 and r.payload == 1232
    assert ask(port, "small.example").edns == -1


@pytest.mark.parametrize("name,count", [("big.lan", len(BIG)), ("big.example", len(FWD_BIG))])
def test_client_udp_size_is_honoured(dns_stoep, up, name, count):
    port = dns_stoep.start(conf(up))
    r, size = raw_udp(port, name)  # no EDNS: 512
    assert r.flags & dns.flags.TC and size <= 512
    r, size = raw_udp(port, name, edns=0, payload=512)
    assert r.flags & dns.flags.TC and size <= 512
    r, size = raw_udp(port, name, edns=0, payload=4096)
    assert not r.flags & dns.flags.TC
    assert sum(len(x) for x in r.answer) == count and 512 < size <= 1232
    r = ask(port, name, tcp=True)
    assert sum(len(x) for x in r.answer) == count


def test_answers_larger_than_edns_packet_max_are_truncated(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    r, size = raw_udp(port, "huge.lan", edns=0, payload=4096)
    assert r.flags & dns.flags.TC and size <= 1232
    r = ask(port, "huge.lan", tcp=True)
    assert sum(len(x) for x in r.answer) == len(HUGE)


def test_edns_packet_max_raises_the_limit(dns_stoep, up):
    port = dns_stoep.start(conf(up, "edns-packet-max=4096\n"))
    r, size = raw_udp(port, "huge.lan", edns=0, payload=4096)
    assert not r.flags & dns.flags.TC and size > 1232
    assert sum(len(x) for x in r.answer) == len(HUGE) and r.payload == 4096
    r, size = raw_udp(port, "huge.lan", edns=0, payload=1400)  # the client's smaller size still wins
    assert r.flags & dns.flags.TC and size <= 1400


def test_do_bit_is_passed_upstream(dns_stoep, up):
    port = dns_stoep.start(conf(up, "cache-size=0\n"))
    r = ask(port, "small.example", edns=0, want_dnssec=True)
    assert r.rcode() == dns.rcode.NOERROR
    ask(port, "small.example", edns=0)
    ask(port, "small.example")
    seen = up.queries("small.example")
    assert [q["do"] for q in seen] == [True, False, False]
    assert seen[0]["edns"] == 0


def test_forwarded_answer_larger_than_any_udp_limit(dns_stoep, up):
    """The upstream sends 3.3 kB over UDP: a UDP client gets TC (from the cache too), a TCP client all of it."""
    port = dns_stoep.start(conf(up))
    for _ in range(2):
        r, size = raw_udp(port, "huge.example", edns=0, payload=4096)
        assert r.flags & dns.flags.TC and size <= 1232
        r = ask(port, "huge.example", tcp=True)
        assert sum(len(x) for x in r.answer) == len(FWD_HUGE)
    assert len(up.queries("huge.example")) == 1


def test_cached_answer_is_shaped_for_each_client(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    r, size = raw_udp(port, "big.example", edns=0, payload=4096)  # fills the cache with the full answer
    assert not r.flags & dns.flags.TC and sum(len(x) for x in r.answer) == len(FWD_BIG)
    r, size = raw_udp(port, "big.example")  # from the cache, but this client takes 512 bytes
    assert r.flags & dns.flags.TC and size <= 512 and r.edns == -1
    assert len(up.queries("big.example")) == 1
