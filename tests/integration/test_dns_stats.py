"""DNS counters on the stats socket (`show stats`): queries by transport and type, answers by rcode,
local / cached / forwarded, cache hits / misses / evictions / size, and per upstream: queries, answers,
failures, timeouts and a latency histogram. Every series must exist and move with the traffic."""
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import FakeUpstream, ask, series, upstream_series

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")


def by_type(stats, rdtype):
    """Answers (or queries) counted by question type; stoep calls the family dns_answers_by_type."""
    return max(series(stats, "counters", "dns_answers_by_type", type=rdtype),
               series(stats, "counters", "dns_queries_by_type", type=rdtype))


def test_stats_move_with_traffic(dns_stoep):
    good = FakeUpstream(records={f"c{i}.example": [("A", f"192.0.2.{i}")] for i in range(1, 5)})
    bad = FakeUpstream("servfail")
    silent = FakeUpstream("silent")
    try:
        port = dns_stoep.start(f"""listen-address=127.0.0.1
no-resolv
no-hosts
cache-size=2
fast-dns-retry=200
address=/s.lan/10.0.0.1
server={good.address}
server=/bad.example/{bad.address}
server=/slow.example/{silent.address}
""")
        before = dns_stoep.stats()
        for name in ("dns_forwarded", "dns_answered_from_cache", "dns_cache_hits", "dns_servfail"):
            assert name in before["counters"], name
            assert series(before, "counters", name) == 0

        ask(port, "s.lan")
        ask(port, "s.lan", tcp=True)
        ask(port, "s.lan", "AAAA")                      # NODATA, local
        for i in range(1, 5):
            assert ask(port, f"c{i}.example").rcode() == dns.rcode.NOERROR  # 4 forwarded; cache of 2 evicts 2
        ask(port, "c4.example")                          # cache hit
        assert ask(port, "nx.example").rcode() == dns.rcode.NXDOMAIN
        assert ask(port, "x.bad.example").rcode() == dns.rcode.SERVFAIL
        assert ask(port, "x.slow.example", timeout=3).rcode() == dns.rcode.SERVFAIL
        s = dns_stoep.stats()

        c = lambda name, **kw: series(s, "counters", name, **kw)
        assert c("dns_queries", transport="udp") == 10
        assert c("dns_queries", transport="tcp") == 1
        assert by_type(s, "A") == 10 and by_type(s, "AAAA") == 1
        assert c("dns_answers_by_rcode", rcode="NOERROR") == 8
        assert c("dns_answers_by_rcode", rcode="NXDOMAIN") == 1
        assert c("dns_answers_by_rcode", rcode="SERVFAIL") == 2
        assert c("dns_answered_local") == 3
        assert c("dns_answered_from_cache") == 1
        assert c("dns_forwarded") == 7
        assert c("dns_servfail") == 2
        assert c("dns_cache_hits") == 1
        assert c("dns_cache_misses") >= 7
        assert c("dns_cache_evictions") >= 2
        assert series(s, "gauges", "dns_cache_size") == 2

        ip = "127.0.0.1"
        assert upstream_series(s, "counters", "dns_upstream_queries", ip, good.port) == 5
        assert upstream_series(s, "counters", "dns_upstream_answers", ip, good.port) == 5
        assert upstream_series(s, "counters", "dns_upstream_failures", ip, bad.port) == 1
        assert upstream_series(s, "counters", "dns_upstream_timeouts", ip, silent.port) == 1
        h = upstream_series(s, "histograms", "dns_upstream_latency_us", ip, good.port)
        assert h is not None and h["count"] == 5 and 0 < h["p50_us"] < 200_000 and h["buckets"]
        assert upstream_series(s, "histograms", "dns_upstream_latency_us", ip, silent.port)["count"] == 0
    finally:
        for u in (good, bad, silent):
            u.close()
