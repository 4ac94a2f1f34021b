"""Issue 4's Done-when: the iNethi dnsmasq.conf (/work/shared/fixtures/inethi/dnsmasq.conf) run by real
dnsmasq and by stoep, its server= lines pointed at two local dnsmasq resolvers, answers the same queries
with the same rcode and answer RRsets. The deliberate difference (other types under address= get NODATA
from stoep; dnsmasq >= 2.86 forwards them) is asserted as such.

Issue 12: the same queries in every variant (EDNS or not, RD clear, DO+CD, AD) over UDP, TCP and pipelined
TCP, every field of every reply compared (dns_fields.py; test_dns_header_compare.py does the same for every
kind of local data)."""
import re
from pathlib import Path

import dns.flags
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream", "dns_fields")
from dns_fields import TRANSPORTS, compare, run_all
from dns_upstream import DnsmasqUpstream, ReferenceDnsmasq, ask, free_port, rrsets

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

# ../shared beside the checkout (CI's layout), else the work area's copy.
FIXTURE = next((p for p in (Path(__file__).resolve().parents[3] / "shared/fixtures/inethi/dnsmasq.conf",
                            Path("/work/shared/fixtures/inethi/dnsmasq.conf")) if p.exists()),
               Path("/work/shared/fixtures/inethi/dnsmasq.conf"))
UPSTREAM_DATA = ["--address=/www.example.org/192.0.2.80", "--address=/cdn.example.org/192.0.2.81",
                 "--address=/cdn.example.org/2001:db8::81", "--local=/example.org/",
                 "--host-record=v4.example.org,192.0.2.82",
                 "--mx-host=example.org,mail.example.org,10", "--txt-record=example.org,v=spf1 -all",
                 # What the upstream would say about the local domain, were it asked:
                 "--address=/inethilocal.net/2001:db8::99", "--mx-host=inethilocal.net,mx.elsewhere.org,5",
                 "--txt-record=radio.inethilocal.net,leaked"]

SAME = [  # (name, type, answered locally)
    ("inethilocal.net", "A", True), ("www.inethilocal.net", "A", True), ("a.b.c.inethilocal.net", "A", True),
    ("MoOdLe.InethiLocal.NET", "A", True), ("vm", "A", True),  # /etc/hosts (the file has no no-hosts)
    ("www.example.org", "A", False), ("cdn.example.org", "A", False), ("cdn.example.org", "AAAA", False),
    ("v4.example.org", "AAAA", False), ("example.org", "MX", False), ("example.org", "TXT", False),
    ("nx.example.org", "A", False), ("nx.example.org", "AAAA", False), ("www.example.org", "A", False),
]
DELIBERATE = [("inethilocal.net", "AAAA"), ("inethilocal.net", "MX"), ("radio.inethilocal.net", "TXT")]
# The upstream dnsmasq says NXDOMAIN for AAAA of an address=/www.example.org/ IPv4 name under local=/example.org/.
# dnsmasq in front turns that NXDOMAIN into NODATA because it has the name's A record cached; stoep passes
# the upstream's answer on unchanged (docs/dns.md, "Differences found by the integration tests").
QUIRK = ("www.example.org", "AAAA")


def rewrite(text, resolvers, port):
    """Points the first and second server= lines at the local resolvers and listens on 127.0.0.1:port."""
    out, n = [], 0
    for line in text.splitlines():
        if re.match(r"\s*server=\d", line):
            line = f"server=127.0.0.1#{resolvers[min(n, len(resolvers) - 1)].port}"
            n += 1
        out.append(line)
    assert n == 2, "the fixture has two server= lines"
    return f"port={port}\nlisten-address=127.0.0.1\n" + "\n".join(out) + "\n"


def inethi_conf(resolvers, port):
    """The fixture as dnsmasq runs it: rewritten, and bound to 127.0.0.1 alone beside other tests' servers."""
    return rewrite(FIXTURE.read_text(), resolvers, port) + "bind-interfaces\n"


@pytest.fixture(scope="module")
def resolvers(tmp_path_factory):
    w = tmp_path_factory.mktemp("inethi-upstreams")
    ups = [DnsmasqUpstream(w, UPSTREAM_DATA), DnsmasqUpstream(w, UPSTREAM_DATA)]
    yield ups
    for u in ups:
        u.close()


@pytest.fixture(scope="module")
def dnsmasq_answers(resolvers, tmp_path_factory):
    """The reference answers, from dnsmasq itself, and what reached the resolvers because of them."""
    if not FIXTURE.exists():
        pytest.skip(f"{FIXTURE} missing")
    port = free_port()
    with ReferenceDnsmasq(tmp_path_factory.mktemp("inethi-dnsmasq"), inethi_conf(resolvers, port)):
        before = [len(r.queries()) for r in resolvers]
        answers = {(n, t): ask(port, n, t) for n, t, _ in SAME + [(n, t, False) for n, t in DELIBERATE + [QUIRK]]}
        forwarded = {(n, t): bool([q for q in resolvers[0].queries(n) if f"query[{t}]" in q]) for n, t in DELIBERATE}
    return answers, forwarded, [len(r.queries()) - b for r, b in zip(resolvers, before)]


@pytest.fixture
def stoep_inethi(dns_stoep, resolvers, dnsmasq_answers):
    port = free_port()
    dns_stoep.start(rewrite(FIXTURE.read_text(), resolvers, port))
    return dns_stoep


def test_same_rcode_and_answers_as_dnsmasq(stoep_inethi, dnsmasq_answers, resolvers):
    reference, _, _ = dnsmasq_answers
    before = [len(r.queries()) for r in resolvers]
    for name, rdtype, local in SAME:
        want = reference[(name, rdtype)]
        got = ask(stoep_inethi.port, name, rdtype)
        label = f"{name} {rdtype}"
        assert dns.rcode.to_text(got.rcode()) == dns.rcode.to_text(want.rcode()), label
        assert rrsets(got) == rrsets(want), label
        if local:
            assert [rr.ttl for rr in got.answer] == [rr.ttl for rr in want.answer] == [0], label
            assert got.flags & dns.flags.AA and want.flags & dns.flags.AA, label
    # strict-order: everything went to the first resolver, as with dnsmasq.
    sent = [len(r.queries()) - b for r, b in zip(resolvers, before)]
    assert sent[1] == 0 and sent[0] >= 1, sent


def test_other_types_under_address_are_nodata_where_dnsmasq_forwards(stoep_inethi, dnsmasq_answers, resolvers):
    reference, forwarded, _ = dnsmasq_answers
    for name, rdtype in DELIBERATE:
        before = len(resolvers[0].queries(name)) + len(resolvers[1].queries(name))
        got = ask(stoep_inethi.port, name, rdtype)
        assert got.rcode() == dns.rcode.NOERROR and got.answer == [], (name, rdtype)
        assert got.flags & dns.flags.AA
        assert len(resolvers[0].queries(name)) + len(resolvers[1].queries(name)) == before, "stoep forwarded it"
        assert forwarded[(name, rdtype)], f"dnsmasq did not forward {name} {rdtype}: the premise changed"
    # What dnsmasq's clients get instead: the upstream's view of the local domain.
    assert rrsets(reference[("inethilocal.net", "AAAA")]) == [("inethilocal.net.", "AAAA", ("2001:db8::99",))]
    assert rrsets(reference[("inethilocal.net", "MX")]) == [("inethilocal.net.", "MX", ("5 mx.elsewhere.org.",))]
    assert rrsets(reference[("radio.inethilocal.net", "TXT")]) == [("radio.inethilocal.net.", "TXT", ('"leaked"',))]


def test_upstream_nxdomain_for_a_cached_name_is_passed_on(stoep_inethi, dnsmasq_answers, resolvers):
    reference, _, _ = dnsmasq_answers
    direct = ask(resolvers[0].port, *QUIRK)
    assert direct.rcode() == dns.rcode.NXDOMAIN, "the upstream's quirk changed"
    assert reference[QUIRK].rcode() == dns.rcode.NOERROR and not reference[QUIRK].answer
    assert ask(stoep_inethi.port, "www.example.org", "A").answer  # the A record is cached first, as for dnsmasq
    got = ask(stoep_inethi.port, *QUIRK)
    assert got.rcode() == dns.rcode.NXDOMAIN and not got.answer
    # The negative answer is for AAAA only: the cached A record still answers.
    assert [r.to_text() for rr in ask(stoep_inethi.port, "www.example.org", "A").answer for r in rr] == ["192.0.2.80"]


# Every field: the cases above as (name, type, kind) for dns_fields.run_all.
FIELD_CASES = [(n, t, "local" if local else "forwarded") for n, t, local in SAME] \
    + [(n, t, "kept") for n, t in DELIBERATE] + [(*QUIRK, "quirk")]


def field_override(case, variant, reference):
    """The deliberate differences for these cases (docs/dns.md, "Deliberate differences from dnsmasq 2.90")."""
    _, _, kind = case
    if kind == "forwarded":
        return {"aa": False}, "forwarded answers without AA"
    if kind == "kept":  # dnsmasq forwards and passes on the upstream's records; stoep answers NODATA with AA
        return {"rcode": "NOERROR", "aa": True, "an": 0, "ns": 0, "answer": [], "authority": [], "additional": [],
                "ar": 0 if reference["edns"] is None else 1}, "other types of local names: NODATA, never forwarded"
    if kind == "quirk":
        return {"rcode": "NXDOMAIN", "aa": False}, "upstream NXDOMAIN passed on for a locally known name"
    return {}, None


@pytest.fixture(scope="module")
def dnsmasq_fields(resolvers, tmp_path_factory, dnsmasq_answers):
    """dnsmasq's raw replies to FIELD_CASES in every variant and transport (after dnsmasq_answers' run, so
    that the resolvers' query logs that fixture counts are complete)."""
    port = free_port()
    with ReferenceDnsmasq(tmp_path_factory.mktemp("inethi-dnsmasq-fields"), inethi_conf(resolvers, port)):
        return run_all(port, FIELD_CASES)


def test_every_field_as_dnsmasq(stoep_inethi, dnsmasq_fields):
    got = run_all(stoep_inethi.port, FIELD_CASES)
    problems = []
    for transport in TRANSPORTS:
        problems += compare(dnsmasq_fields, got, transport, field_override, lambda case: case[2] == "local")[0]
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:80])
