"""The answer cache in front of the upstreams: hits, TTLs counting down, negative answers cached by their
SOA, cache-size=0, and the flush on SIGHUP (as dnsmasq does)."""
import signal
import time

import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import FakeUpstream, ask, series, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

RECORDS = {f"c{i}.example": [("A", f"192.0.2.{i}")] for i in range(1, 6)}
RECORDS["nodata.example"] = [("A", "192.0.2.99")]


@pytest.fixture
def up():
    u = FakeUpstream(records=RECORDS, ttl=300, neg_ttl=60)
    yield u
    u.close()


def conf(up, extra=""):
    return f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\n{extra}"


def test_second_query_is_answered_from_cache_with_ttl_counting_down(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    first = ask(port, "c1.example")
    assert first.answer[0].ttl == 300
    time.sleep(2.1)
    second = ask(port, "C1.Example")  # same name, other case
    assert [r.to_text() for r in second.answer[0]] == ["192.0.2.1"]
    assert 296 <= second.answer[0].ttl <= 298, second.answer[0].ttl
    assert second.question[0].name.to_text() == "C1.Example."
    assert len(up.queries("c1.example")) == 1
    stats = dns_stoep.stats()
    assert series(stats, "counters", "dns_cache_hits") == 1
    assert series(stats, "counters", "dns_answered_from_cache") == 1
    assert series(stats, "counters", "dns_forwarded") == 1
    # A TCP client is answered from the same cache entry.
    assert ask(port, "c1.example", tcp=True).answer[0].ttl <= 298
    assert len(up.queries("c1.example")) == 1


def test_negative_answers_with_soa_are_cached(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    for _ in range(3):
        r = ask(port, "missing.example")
        assert r.rcode() == dns.rcode.NXDOMAIN
        r = ask(port, "nodata.example", "AAAA")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert len(up.queries("missing.example")) == 1
    assert len(up.queries("nodata.example")) == 1
    # The SOA goes back to the client with the negative answer.
    assert any(rr.rdtype == 6 for rr in ask(port, "missing.example").authority)


def test_negative_answers_without_soa_are_not_cached(dns_stoep):
    bare = FakeUpstream(records={}, neg_soa=False)
    try:
        port = dns_stoep.start(conf(bare))
        for _ in range(3):
            assert ask(port, "bare.example").rcode() == dns.rcode.NXDOMAIN
        assert len(bare.queries("bare.example")) == 3  # neg-ttl unset, as in dnsmasq
    finally:
        bare.close()


def test_cache_size_zero_disables_the_cache(dns_stoep, up):
    port = dns_stoep.start(conf(up, "cache-size=0\n"))
    for _ in range(4):
        assert ask(port, "c2.example").rcode() == dns.rcode.NOERROR
    assert len(up.queries("c2.example")) == 4
    assert series(dns_stoep.stats(), "counters", "dns_cache_hits") == 0


def test_cache_size_bounds_the_entries(dns_stoep, up):
    port = dns_stoep.start(conf(up, "cache-size=2\n"))
    for i in range(1, 6):
        ask(port, f"c{i}.example")
    stats = dns_stoep.stats()
    assert series(stats, "gauges", "dns_cache_size") == 2
    assert series(stats, "counters", "dns_cache_evictions") == 3
    ask(port, "c5.example")  # the newest stays
    assert len(up.queries("c5.example")) == 1
    ask(port, "c1.example")  # the oldest went
    assert len(up.queries("c1.example")) == 2


def test_sighup_flushes_the_cache(dns_stoep, up):
    port = dns_stoep.start(conf(up))
    ask(port, "c3.example")
    ask(port, "c3.example")
    assert len(up.queries("c3.example")) == 1
    dns_stoep.signal(signal.SIGHUP)
    assert wait_until(lambda: series(dns_stoep.stats(), "counters", "config_reloads") >= 1, timeout=5)
    ask(port, "c3.example")
    assert len(up.queries("c3.example")) == 2
    assert series(dns_stoep.stats(), "gauges", "dns_cache_size") == 1


def test_sighup_rereads_the_configuration_and_hosts_files(dns_stoep, up, tmp_path):
    """dnsmasq re-reads only hosts files on SIGHUP; stoep re-reads dnsmasq.conf too (docs/dns.md)."""
    hosts = tmp_path / "extra.hosts"
    hosts.write_text("10.0.0.40 h1.lan\n")
    port = dns_stoep.start(conf(up, f"addn-hosts={hosts}\naddress=/r.lan/10.0.0.41\n"))
    assert [r.to_text() for rr in ask(port, "h1.lan").answer for r in rr] == ["10.0.0.40"]
    hosts.write_text("10.0.0.42 h1.lan\n")
    dns_stoep.conf_path.write_text(dns_stoep.conf_path.read_text().replace("10.0.0.41", "10.0.0.43"))
    dns_stoep.signal(signal.SIGHUP)
    assert wait_until(lambda: series(dns_stoep.stats(), "counters", "config_reloads") >= 1, timeout=5)
    assert [r.to_text() for rr in ask(port, "h1.lan").answer for r in rr] == ["10.0.0.42"]
    assert [r.to_text() for rr in ask(port, "x.r.lan").answer for r in rr] == ["10.0.0.43"]


def test_zero_ttl_answers_are_not_cached(dns_stoep):
    zero = FakeUpstream(records={"z.example": [("A", "192.0.2.90")]}, ttl=0)
    try:
        port = dns_stoep.start(conf(zero))
        for _ in range(3):
            assert ask(port, "z.example").answer[0].ttl == 0
        assert len(zero.queries("z.example")) == 3
    finally:
        zero.close()
