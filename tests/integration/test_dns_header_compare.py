"""Issue 12: every field of every answer as dnsmasq 2.90 sets it. The same dnsmasq.conf text (address=,
local=, domain-needed, bogus-priv, host-record, cname, a hosts file, an empty non-terminal under local=, the
meta-types) runs in real dnsmasq and in stoep, each forwarding to its own real dnsmasq upstream with the same
data; the same queries (with and without EDNS, RD set and clear, DO+CD, AD) go to both over UDP, over TCP one
per connection, and pipelined several to a connection. Every field of every reply is compared (dns_fields.py):
header bits, opcode, rcode, section counts, records with TTLs, EDNS version, size, flags and options.

Where stoep differs on purpose, the difference is asserted as such (and listed in docs/dns.md, "Deliberate
differences from dnsmasq 2.90"): each case says what dnsmasq does and what stoep does instead."""
import itertools

import dns.rdatatype
import pytest

pytest.register_assert_rewrite("dns_upstream", "dns_fields")
from dns_fields import (TRANSPORTS, compare, differences, exchange_tcp, exchange_udp, fields, make_query,
                        run_all, without_ttls)
from dns_upstream import DnsmasqUpstream, DnsStoep, FakeUpstream, ReferenceDnsmasq, free_port

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

BIG = [f"10.1.0.{i}" for i in range(1, 41)]  # 40 A records: more than 512 bytes, less than 1232
UPSTREAM_DATA = ["--local=/#/",  # every name it does not know: NXDOMAIN, as the root says for .lan
                 "--address=/fwd.example/192.0.2.80", "--address=/fwd.example/2001:db8::80",
                 "--mx-host=fwd.example,mx.fwd.example,10", "--txt-record=fwd.example,fwd"] \
    + [f"--address=/big.example/{a}" for a in BIG]
HOSTS = "10.0.0.20 hosted.lan hostalias\nfd00::20 hosted.lan\n10.0.1.9 tv.home.test\n"


def conf(upstream, hosts_file):
    return "\n".join([
        "listen-address=127.0.0.1", "no-resolv", f"server=127.0.0.1#{upstream.port}", "no-hosts",
        f"addn-hosts={hosts_file}", "domain-needed", "bogus-priv",
        "address=/wild.lan/alt.lan/10.0.0.1", "address=/nx.lan/", "address=/zero.lan/#",
        "address=/v4only.lan/10.0.0.4", "address=/dual.lan/10.0.0.5", "address=/dual.lan/fd00::5",
        "address=/both.lan/10.0.0.6", "local=/both.lan/",
        "host-record=host.lan,alias2.lan,10.0.0.10,fd00::10", "host-record=ttl.lan,10.0.0.11,600",
        "cname=web.lan,host.lan", "local=/localonly.lan/",
        "local=/home.test/", "host-record=nas.home.test,10.0.1.2", "address=/printer.home.test/10.0.1.3",
    ] + [f"address=/big.lan/{a}" for a in BIG]) + "\n"


# What each case is, and so what stoep must answer given dnsmasq's reply:
SAME = "same"              # answered locally by both: every field equal, TTLs too
FORWARDED = "forwarded"    # both ask the upstream: every field equal but AA (stoep: 0) and TTLs (counted down)
KEPT = "kept"              # dnsmasq forwards it, stoep answers itself (never leaks a local name): see override()
LOCAL_DIFF = "local-diff"  # both answer locally, stoep differently on purpose: see override()
PASSED_ON = "passed-on"    # both forward; dnsmasq turns the upstream's NXDOMAIN for a name it knows into NODATA

META = ["TKEY", "TSIG", "IXFR", "AXFR", "MAILB", "MAILA", "OPT", "ANY"]

CASES = [
    # address=, wildcards, several domains on a line, #, the client's letter case
    ("wild.lan", "A", SAME), ("a.b.wild.lan", "A", SAME), ("WiLd.LaN", "A", SAME), ("alt.lan", "A", SAME),
    ("zero.lan", "A", SAME), ("zero.lan", "AAAA", SAME), ("dual.lan", "A", SAME), ("dual.lan", "AAAA", SAME),
    ("both.lan", "A", SAME), ("both.lan", "AAAA", SAME), ("both.lan", "MX", SAME),  # address= + local=
    ("big.lan", "A", SAME),
    # ANY under address=: one family, as dnsmasq answers it (IPv6 when there is one; both for #)
    ("dual.lan", "ANY", SAME), ("zero.lan", "ANY", SAME), ("v4only.lan", "ANY", SAME), ("both.lan", "ANY", SAME),
    # address=/d/ and local=: NXDOMAIN without AA
    ("nx.lan", "A", SAME), ("a.nx.lan", "AAAA", SAME), ("nx.lan", "MX", SAME),
    ("localonly.lan", "A", SAME), ("x.localonly.lan", "MX", SAME),
    # the apex of local=/home.test/ with records below it, its other names
    ("home.test", "MX", SAME), ("home.test", "A", SAME), ("home.test", "AAAA", SAME), ("x.home.test", "A", SAME),
    ("nas.home.test", "A", SAME), ("nas.home.test", "MX", SAME), ("nas.home.test", "AAAA", SAME),
    ("tv.home.test", "AAAA", SAME), ("printer.home.test", "A", SAME),
    # host-record, cname, hosts file, PTR
    ("host.lan", "A", SAME), ("host.lan", "AAAA", SAME), ("alias2.lan", "AAAA", SAME), ("ttl.lan", "A", SAME),
    ("web.lan", "A", SAME), ("web.lan", "CNAME", SAME), ("web.lan", "MX", SAME), ("hosted.lan", "A", SAME),
    ("hosted.lan", "AAAA", SAME), ("hostalias", "A", SAME),
    ("10.0.0.10.in-addr.arpa", "PTR", SAME), ("20.0.0.10.in-addr.arpa", "PTR", SAME),
    ("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", "PTR", SAME),
    # domain-needed (dotless A/AAAA): NXDOMAIN, or NODATA for a name that exists locally; never AA
    ("plain", "A", SAME), ("plain", "AAAA", SAME), ("hostalias", "AAAA", SAME), ("lan", "A", SAME),
    # bogus-priv
    ("5.1.168.192.in-addr.arpa", "PTR", SAME), ("5.1.168.192.in-addr.arpa", "ANY", SAME),
    # forwarded
    ("fwd.example", "A", FORWARDED), ("fwd.example", "AAAA", FORWARDED), ("fwd.example", "MX", FORWARDED),
    ("fwd.example", "TXT", FORWARDED), ("nx.example", "A", FORWARDED), ("plain", "TXT", FORWARDED),
    ("big.example", "A", FORWARDED), ("8.8.8.8.in-addr.arpa", "PTR", FORWARDED),
    # other types of local names: dnsmasq >= 2.86 forwards them, stoep answers NODATA
    ("wild.lan", "AAAA", KEPT), ("wild.lan", "TXT", KEPT), ("v4only.lan", "AAAA", KEPT), ("v4only.lan", "MX", KEPT),
    ("host.lan", "MX", KEPT), ("ttl.lan", "AAAA", KEPT), ("hosted.lan", "TXT", KEPT), ("hostalias", "MX", KEPT),
    ("10.0.0.10.in-addr.arpa", "A", KEPT), ("5.1.168.192.in-addr.arpa", "TXT", KEPT),
    # both local, stoep differently
    ("printer.home.test", "AAAA", LOCAL_DIFF),
    # the known difference: an empty non-terminal outside local=, asked upstream by both
    ("lan", "MX", PASSED_ON),
]
# ANY and the meta-types, for a name under address=, a host-record, an alias, a name in a local-only domain,
# an empty non-terminal under local=, and a forwarded name.
for _name, _qtype in itertools.product(["wild.lan", "host.lan", "web.lan", "nx.lan", "home.test", "fwd.example"],
                                       META):
    if _qtype == "MAILB" or _name == "nx.lan":
        CASES.append((_name, _qtype, SAME))          # dnsmasq answers itself: MAILB always, NXDOMAIN for nx.lan
    elif _name == "fwd.example":
        CASES.append((_name, _qtype, FORWARDED))
    elif _qtype == "ANY":
        CASES.append((_name, _qtype, SAME))          # local data (one family under address=), or F_NOERR
    elif _name == "home.test" or _name == "web.lan":
        CASES.append((_name, _qtype, LOCAL_DIFF))    # dnsmasq: NOERROR itself (F_NOERR; the CNAME); stoep an error
    else:
        CASES.append((_name, _qtype, KEPT))          # dnsmasq forwards; stoep an error

META_RCODE = {"AXFR": "REFUSED", "IXFR": "REFUSED", "TKEY": "FORMERR", "TSIG": "FORMERR", "MAILA": "FORMERR",
              "OPT": "FORMERR"}


def override(case, variant, reference):
    """How stoep's answer differs from dnsmasq's `reference` on purpose: (fields, rule) — docs/dns.md."""
    name, qtype, kind = case
    if qtype in META_RCODE and kind in (KEPT, LOCAL_DIFF):
        # dnsmasq forwards a meta-type question for a local name, or for an empty non-terminal or an alias
        # answers NOERROR itself; stoep gives the error a recursive server gives (unbound: REFUSED for zone
        # transfers, FORMERR for the rest), never NOERROR.
        if kind == LOCAL_DIFF:
            assert reference["rcode"] == "NOERROR" and bool(reference["answer"]) == (name == "web.lan"), \
                "premise: dnsmasq answers NOERROR itself (the CNAME for an alias)"
        return {"rcode": META_RCODE[qtype], "aa": False, "an": 0, "ns": 0, "answer": [], "authority": []}, \
            "meta-type questions for local names: REFUSED / FORMERR"
    if kind == LOCAL_DIFF:  # printer.home.test AAAA
        assert reference["rcode"] == "NXDOMAIN", "premise: dnsmasq's NXDOMAIN for a name with an A record"
        return {"rcode": "NOERROR"}, "NODATA, not NXDOMAIN, for a name under address= in a local= domain"
    if kind == KEPT and name == "10.0.0.10.in-addr.arpa":
        # The upstream says NXDOMAIN for a reverse name that has a local PTR; dnsmasq passes that on (it knows
        # only forward names); stoep answers NODATA as for any other type of a local name.
        return {"rcode": "NOERROR", "aa": True}, "other types of local names: NODATA, never forwarded"
    if kind == KEPT and name.endswith(".168.192.in-addr.arpa"):
        # bogus-priv: dnsmasq answers only PTR and ANY itself and forwards the rest; the upstream's NXDOMAIN
        # is what stoep answers without asking.
        return {}, "bogus-priv: every type stays local"
    if kind == KEPT:
        # dnsmasq forwards; the upstream says NXDOMAIN; dnsmasq makes that NOERROR with AA for a name it knows.
        # stoep gives the same answer without asking (test_kept_questions_reach_dnsmasqs_upstream_never_stoeps).
        return {}, "other types of local names: NODATA, never forwarded"
    if kind == FORWARDED:
        # stoep is no authority for what it forwards; dnsmasq passes an authoritative upstream's AA on (not
        # from its cache).
        return {"aa": False}, "forwarded answers without AA"
    if kind == PASSED_ON:
        # dnsmasq turns the upstream's NXDOMAIN into NOERROR with AA for a name it knows locally (here an
        # empty non-terminal, "lan" of host.lan); stoep passes the upstream's answer on.
        assert (reference["rcode"], reference["aa"]) == ("NOERROR", True), "premise changed"
        return {"rcode": "NXDOMAIN", "aa": False}, "upstream NXDOMAIN passed on for a locally known name"
    return {}, None


DELIBERATE_RULES = {
    "meta-type questions for local names: REFUSED / FORMERR",
    "NODATA, not NXDOMAIN, for a name under address= in a local= domain",
    "other types of local names: NODATA, never forwarded",
    "forwarded answers without AA",
    "upstream NXDOMAIN passed on for a locally known name",
    "no OPT unasked on a TCP connection",
    "OPT in every answer to a query with OPT",
    "TC answers without records",
    "bogus-priv: every type stays local",
}


def start_dnsmasq(workdir, text):
    """dnsmasq on `text`, on a port of its own and 127.0.0.1 alone; returns (ReferenceDnsmasq, port)."""
    port = free_port()
    return ReferenceDnsmasq(workdir, f"port={port}\n{text}bind-interfaces\n"), port


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """dnsmasq's replies to every query, and the questions that reached its upstream."""
    w = tmp_path_factory.mktemp("header-dnsmasq")
    (w / "hosts").write_text(HOSTS)
    upstream = DnsmasqUpstream(w / "up", UPSTREAM_DATA)
    dnsmasq, port = start_dnsmasq(w, conf(upstream, w / "hosts"))
    try:
        result = run_all(port, CASES)
        result["forwarded"] = upstream.queries()
    finally:
        dnsmasq.close()
        upstream.close()
    return result


@pytest.fixture(scope="module")
def stoep_run(module_backend, tmp_path_factory, reference):
    """stoep's replies to the same queries in the same order, on the same configuration text."""
    w = tmp_path_factory.mktemp(f"header-stoep-{module_backend}")
    (w / "hosts").write_text(HOSTS)
    upstream = DnsmasqUpstream(w / "up", UPSTREAM_DATA)
    s = DnsStoep(w / "stoep", module_backend)
    try:
        s.start(conf(upstream, w / "hosts"))
        result = run_all(s.port, CASES)
        assert s.alive(), "stoep died: " + s.log_text()[-2000:]
        result["forwarded"] = upstream.queries()
        result["backend"] = module_backend
    finally:
        s.stop()
        upstream.close()
    return result


def local_ttls(case):
    return case[2] not in (FORWARDED, PASSED_ON)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_field_as_dnsmasq(reference, stoep_run, transport):
    problems, _ = compare(reference, stoep_run, transport, override, local_ttls)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:80])


def test_every_deliberate_difference_is_exercised(reference, stoep_run):
    """Each deliberate difference shows up in this run: when dnsmasq changes, the premise is seen to go."""
    applied = set()
    for transport in TRANSPORTS:
        applied |= compare(reference, stoep_run, transport, override, local_ttls)[1]
    assert applied == DELIBERATE_RULES


def type_text(qtype):
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(qtype))


def test_kept_questions_reach_dnsmasqs_upstream_never_stoeps(reference, stoep_run):
    """The premise of every KEPT case (dnsmasq forwards it) and stoep's side of it (it does not)."""
    for name, qtype, kind in CASES:
        wanted = f"query[{type_text(qtype)}] {name} from"
        asked_by_dnsmasq = [q for q in reference["forwarded"] if wanted in q]
        asked_by_stoep = [q for q in stoep_run["forwarded"] if wanted in q]
        if kind == KEPT:
            assert asked_by_dnsmasq, f"dnsmasq did not forward {name} {qtype}: the premise changed"
            assert not asked_by_stoep, f"stoep forwarded {name} {qtype}"
        elif kind in (SAME, LOCAL_DIFF):
            assert not asked_by_stoep, f"stoep forwarded {name} {qtype}, which dnsmasq answers itself"
        elif kind in (FORWARDED, PASSED_ON) and qtype != "MAILB":
            assert asked_by_stoep, f"stoep did not forward {name} {qtype}"


def test_meta_questions_are_never_answered_noerror_from_local_data(reference, stoep_run):
    for i, (transport, (name, qtype, kind), variant, _) in enumerate(stoep_run["sent"]):
        if qtype in META_RCODE and kind != FORWARDED:
            got = fields(stoep_run["replies"][i])
            assert got["rcode"] != "NOERROR", (transport, name, qtype, variant)


@pytest.fixture
def ad_upstream():
    """An upstream that sets AD on its answers, which a dnsmasq upstream cannot do without validating."""
    up = FakeUpstream(records={"signed.example": [("A", "192.0.2.7")]}, ad=True)
    yield up
    up.close()


def test_ad_from_upstream_is_cleared_as_dnsmasq_does(dns_stoep, ad_upstream, tmp_path):
    text = f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={ad_upstream.address}\n"
    dnsmasq, dm_port = start_dnsmasq(tmp_path, text)
    try:
        port = dns_stoep.start(text)
        for variant in ("edns", "ad", "do-cd"):
            for transport in ("udp", "tcp"):
                wire = make_query("signed.example", "A", variant, 99)
                ask = exchange_udp if transport == "udp" else (lambda p, w: exchange_tcp(p, [w])[0])
                want, got = fields(ask(dm_port, wire)), fields(ask(port, wire))
                assert want["ad"] is False and want["answer"], "premise: dnsmasq clears the upstream's AD"
                assert differences(without_ttls(dict(want, aa=False)), without_ttls(got)) == [], (variant, transport)
    finally:
        dnsmasq.close()


def test_no_query_limit_per_tcp_connection(stoep_run, tmp_path):
    """dnsmasq answers at most 100 queries on one TCP connection (TCP_MAX_QUERIES) and closes it; stoep
    answers all of them."""
    wires = [make_query("wild.lan", "A", "plain", i) for i in range(1, 121)]
    (tmp_path / "hosts").write_text(HOSTS)
    upstream = DnsmasqUpstream(tmp_path / "up", UPSTREAM_DATA)
    s = DnsStoep(tmp_path / "stoep", stoep_run["backend"])
    dnsmasq, dm_port = start_dnsmasq(tmp_path, conf(upstream, tmp_path / "hosts"))
    try:
        answered = [r for r in exchange_tcp(dm_port, wires) if r is not None]
        assert len(answered) == 100, "premise: dnsmasq's 100 queries per connection"
        s.start(conf(upstream, tmp_path / "hosts"))
        replies = exchange_tcp(s.port, wires)
        assert None not in replies and all(fields(r)["answer"] for r in replies)
    finally:
        dnsmasq.close()
        s.stop()
        upstream.close()
