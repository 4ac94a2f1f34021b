"""log-queries lines in dnsmasq's format. The same configuration and the same queries go to a real dnsmasq
and to stoep; their query/forwarded/reply/cached/config lines must be the same (addresses within one
answer may come in any order), except where stoep deliberately answers locally (docs/dns.md)."""
import re
import time

import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import FakeUpstream, ReferenceDnsmasq, ask, free_port, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

LOG_LINE = re.compile(r"^(query\[|forwarded |reply |cached |config |/)")

# (name, type) in order; each becomes one block of log lines.
QUERIES = [("a.t.lan", "A"), ("fwd.example", "A"), ("fwd.example", "A"), ("gone.example", "A"),
           ("gone.example", "A"), ("nx.lan", "A"), ("8.0.0.10.in-addr.arpa", "PTR"), ("al.lan", "A"),
           ("multi.example", "A"), ("multi.example", "A"), ("fwd.example", "AAAA"), ("hosted.lan", "A")]
# stoep answers these locally (NODATA) where dnsmasq forwards them: compared separately.
DELIBERATE = [("t.lan", "AAAA")]

CONF = """listen-address=127.0.0.1
no-resolv
no-hosts
log-queries
server={upstream}
address=/t.lan/10.0.0.7
address=/nx.lan/
host-record=h.lan,10.0.0.8
cname=al.lan,h.lan
addn-hosts={hosts}
"""


def blocks(lines):
    """Log lines grouped per query (each group sorted: the order of addresses is not significant)."""
    out = []
    for line in lines:
        if line.startswith("query["):
            out.append([line])
        elif out:
            out[-1].append(line)
    return [[b[0]] + sorted(b[1:]) for b in out]


def dnsmasq_lines(path):
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = [l.split("]: ", 1)[1] for l in text.splitlines() if "]: " in l]
    return [l for l in lines if LOG_LINE.match(l)]


@pytest.fixture
def upstream():
    u = FakeUpstream(records={"fwd.example": [("A", "192.0.2.9")],
                              "multi.example": [("A", f"192.0.2.{i}") for i in (1, 2, 3)]})
    yield u
    u.close()


def test_log_lines_match_dnsmasq(dns_stoep, upstream, tmp_path):
    hosts = tmp_path / "extra.hosts"
    hosts.write_text("10.0.0.30 hosted.lan\n")
    conf = CONF.format(upstream=upstream.address, hosts=hosts)

    # The reference: dnsmasq with the same file.
    dm_port = free_port()
    with ReferenceDnsmasq(tmp_path, f"port={dm_port}\nbind-interfaces\n" + conf) as dm:
        for name, rdtype in QUERIES + DELIBERATE:
            ask(dm_port, name, rdtype)
        time.sleep(0.1)
    expected = dnsmasq_lines(dm.log_path)

    port = dns_stoep.start(conf)
    for name, rdtype in QUERIES + DELIBERATE:
        ask(port, name, rdtype)
    assert wait_until(lambda: sum(l.startswith("query[") for l in dns_stoep.log_lines()) >= len(QUERIES) + 1)
    time.sleep(0.1)
    got = [l for l in dns_stoep.log_lines() if LOG_LINE.match(l)]

    n = len(QUERIES)
    ours, theirs = blocks(got), blocks(expected)
    assert len(ours) == len(theirs) == n + len(DELIBERATE)
    diffs = [(q, a, b) for q, a, b in zip(QUERIES, ours[:n], theirs[:n]) if a != b]
    assert diffs == [], "\n".join(f"{q}: stoep {a} / dnsmasq {b}" for q, a, b in diffs)
    # Deliberate: stoep says NODATA from its configuration; dnsmasq >= 2.86 forwarded the query.
    assert blocks(got)[n] == ["query[AAAA] t.lan from 127.0.0.1", "config t.lan is NODATA-IPv6"]
    assert blocks(expected)[n][1].startswith("forwarded t.lan to ")


def test_log_lines_have_the_expected_shapes(dns_stoep, upstream):
    port = dns_stoep.start(CONF.format(upstream=upstream.address, hosts="/dev/null"))
    for name, rdtype in [("a.t.lan", "A"), ("fwd.example", "A"), ("fwd.example", "A"), ("nx.lan", "A"),
                         ("t.lan", "AAAA"), ("al.lan", "A")]:
        ask(port, name, rdtype)
    wait_until(lambda: "config h.lan is 10.0.0.8" in dns_stoep.log_lines())
    lines = dns_stoep.log_lines()
    for want in ["query[A] a.t.lan from 127.0.0.1", "config a.t.lan is 10.0.0.7",
                 "query[A] fwd.example from 127.0.0.1", "reply fwd.example is 192.0.2.9",
                 "cached fwd.example is 192.0.2.9", "config nx.lan is NXDOMAIN",
                 "config t.lan is NODATA-IPv6", "config al.lan is <CNAME>", "config h.lan is 10.0.0.8"]:
        assert want in lines, (want, lines)
    fwd = [l for l in lines if l.startswith("forwarded fwd.example to 127.0.0.1")]
    assert len(fwd) == 1, lines


def test_log_facility_file_receives_query_lines(dns_stoep, tmp_path):
    # dnsmasq's `log-facility=/path`: query lines go to that file instead of stderr.
    logfile = tmp_path / "queries.log"
    port = dns_stoep.start(f"no-resolv\nno-hosts\nlisten-address=127.0.0.1\naddress=/f.lan/10.0.0.3\n"
                           f"log-queries\nlog-facility={logfile}\n")
    ask(port, "a.f.lan", "A")
    wait_until(lambda: logfile.exists() and "config a.f.lan is 10.0.0.3" in logfile.read_text())
    text = logfile.read_text()
    assert "query[A] a.f.lan from 127.0.0.1" in text
    assert "query[A] a.f.lan" not in dns_stoep.log_text()
