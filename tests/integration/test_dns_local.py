"""Local data, as dnsmasq answers it: address= (wildcards, several domains per line, NXDOMAIN, `#`),
host-record (+PTR), cname, addn-hosts / no-hosts, local=, domain-needed, bogus-priv, local-ttl, and
NODATA (never forwarded) for other types under an address= line. One stoep per backend serves every test
here; a scripted upstream behind it shows what was (not) forwarded."""
import ipaddress
import subprocess

import dns.flags
import dns.rcode
import dns.reversename
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import DnsStoep, FakeUpstream, ask, rrsets

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

HOSTS = "10.0.0.20 hosted.lan hostalias\nfd00::20 hosted.lan\n# comment\n"


@pytest.fixture(scope="module")
def local(module_backend, tmp_path_factory):
    """(stoep, upstream): stoep with the local data below, forwarding the rest to a scripted upstream."""
    up = FakeUpstream(records={"forwarded.example": [("A", "192.0.2.80")],
                               "plain": [("TXT", '"plain txt"')],
                               "8.8.8.8.in-addr.arpa": [("PTR", "dns.google.")]})
    w = tmp_path_factory.mktemp(f"local-{module_backend}")
    (w / "extra.hosts").write_text(HOSTS)
    conf = f"""listen-address=127.0.0.1
no-resolv
server={up.address}
no-hosts
domain-needed
bogus-priv
addn-hosts={w / 'extra.hosts'}
address=/wild.lan/alt.lan/10.0.0.1
address=/nx.lan/
address=/zero.lan/#
address=/v4only.lan/10.0.0.4
address=/dual.lan/10.0.0.5
address=/dual.lan/fd00::5
address=/deep.wild.lan/10.0.0.2
host-record=host.lan,alias2.lan,10.0.0.10,fd00::10
host-record=ttl.lan,10.0.0.11,600
cname=web.lan,host.lan
local=/localonly.lan/
"""
    s = DnsStoep(w, module_backend)
    s.start(conf)
    yield s, up
    alive = s.alive()
    s.stop()
    up.close()
    assert alive, "stoep died: " + s.log_path.read_text(errors="replace")[-2000:]


def a_records(msg):
    return sorted(r.to_text() for rrset in msg.answer for r in rrset if rrset.rdtype in (1, 28))


def assert_local(msg, rcode=dns.rcode.NOERROR, aa=True):
    """A local answer: `rcode`, RA and QR, AA as dnsmasq sets it (test_dns_header_compare.py compares them)."""
    assert msg.rcode() == rcode, msg
    assert bool(msg.flags & dns.flags.AA) == aa and msg.flags & dns.flags.RA and msg.flags & dns.flags.QR, msg
    assert msg.flags & dns.flags.RD  # copied from the query


@pytest.mark.parametrize("name,expected", [
    ("wild.lan", ["10.0.0.1"]),
    ("a.wild.lan", ["10.0.0.1"]),
    ("x.y.z.wild.lan", ["10.0.0.1"]),
    ("alt.lan", ["10.0.0.1"]),            # second domain on the same line
    ("www.alt.lan", ["10.0.0.1"]),
    ("WiLd.LaN", ["10.0.0.1"]),           # case-insensitive
    ("deep.wild.lan", ["10.0.0.2"]),       # the more specific domain wins
    ("x.deep.wild.lan", ["10.0.0.2"]),
    ("zero.lan", ["0.0.0.0"]),             # `#`
    ("dual.lan", ["10.0.0.5"]),
    ("host.lan", ["10.0.0.10"]),
    ("alias2.lan", ["10.0.0.10"]),         # host-record with several names
    ("hosted.lan", ["10.0.0.20"]),         # addn-hosts
    ("hostalias", ["10.0.0.20"]),          # dotless but known locally: answered despite domain-needed
])
def test_address_a(local, name, expected):
    s, up = local
    r = ask(s.port, name)
    assert_local(r)
    assert a_records(r) == expected
    assert all(rrset.ttl == 0 for rrset in r.answer), "local-ttl defaults to 0"
    assert r.question[0].name.to_text() == name + "."  # question echoed in the client's case
    assert not up.queries(name)


@pytest.mark.parametrize("name,expected", [
    ("zero.lan", ["::"]),
    ("dual.lan", ["fd00::5"]),
    ("host.lan", ["fd00::10"]),
    ("hosted.lan", ["fd00::20"]),
])
def test_address_aaaa(local, name, expected):
    s, up = local
    r = ask(s.port, name, "AAAA")
    assert_local(r)
    assert a_records(r) == expected


@pytest.mark.parametrize("name,rdtype", [
    ("v4only.lan", "AAAA"), ("x.v4only.lan", "AAAA"), ("v4only.lan", "MX"), ("v4only.lan", "TXT"),
    ("ttl.lan", "AAAA"), ("wild.lan", "SRV"),
])
def test_other_type_under_address_is_nodata_and_not_forwarded(local, name, rdtype):
    s, up = local
    r = ask(s.port, name, rdtype)
    assert_local(r)
    assert r.answer == []
    assert not up.queries(name), "dnsmasq >= 2.86 forwards this; stoep must not (docs/dns.md)"


@pytest.mark.parametrize("name", ["nx.lan", "a.nx.lan", "localonly.lan", "x.localonly.lan"])
def test_empty_address_and_local_are_nxdomain_not_forwarded(local, name):
    s, up = local
    for rdtype in ("A", "AAAA", "TXT"):
        r = ask(s.port, name, rdtype)
        assert_local(r, dns.rcode.NXDOMAIN, aa=False)  # dnsmasq's own NXDOMAIN carries no AA
        assert r.answer == []
    assert not up.queries(name)


def test_address_match_is_label_aligned(local):
    s, up = local
    r = ask(s.port, "xwild.lan")  # not under wild.lan: goes upstream, which says NXDOMAIN
    assert not (r.rcode() == dns.rcode.NOERROR and a_records(r) == ["10.0.0.1"])
    assert r.rcode() != dns.rcode.NOERROR or not r.answer


def test_host_record_ttl_and_exact_names_only(local):
    s, up = local
    r = ask(s.port, "ttl.lan")
    assert a_records(r) == ["10.0.0.11"] and r.answer[0].ttl == 600
    r = ask(s.port, "sub.host.lan")  # host-record covers no subdomains: forwarded
    assert up.queries("sub.host.lan")
    assert a_records(r) != ["10.0.0.10"]


@pytest.mark.parametrize("address,name", [
    ("10.0.0.10", "host.lan."), ("fd00::10", "host.lan."), ("10.0.0.20", "hosted.lan."),
])
def test_ptr_for_host_records(local, address, name):
    s, up = local
    r = ask(s.port, dns.reversename.from_address(address), "PTR")
    assert_local(r)
    assert [x.to_text() for rrset in r.answer for x in rrset] == [name]


def test_cname_to_host_record(local):
    s, up = local
    r = ask(s.port, "web.lan")
    assert_local(r)
    assert rrsets(r) == [("host.lan.", "A", ("10.0.0.10",)), ("web.lan.", "CNAME", ("host.lan.",))]
    assert r.answer[0].rdtype == 5  # the CNAME comes first
    r = ask(s.port, "web.lan", "CNAME")
    assert rrsets(r) == [("web.lan.", "CNAME", ("host.lan.",))]


def test_domain_needed(local):
    s, up = local
    for rdtype in ("A", "AAAA"):
        r = ask(s.port, "plain", rdtype)
        assert r.rcode() == dns.rcode.NXDOMAIN
    assert not up.queries("plain")
    r = ask(s.port, "plain", "TXT")  # dnsmasq holds back only A and AAAA
    assert up.queries("plain") and r.rcode() == dns.rcode.NOERROR


def test_bogus_priv(local):
    s, up = local
    for address in ("192.168.1.5", "10.9.9.9", "172.20.0.1", "fd12::1"):
        name = dns.reversename.from_address(address)
        r = ask(s.port, name, "PTR")
        assert r.rcode() == dns.rcode.NXDOMAIN, (address, r)
        assert not up.queries(name.to_text())
    r = ask(s.port, dns.reversename.from_address("8.8.8.8"), "PTR")  # public: forwarded
    assert up.queries("8.8.8.8.in-addr.arpa")
    assert [x.to_text() for rrset in r.answer for x in rrset] == ["dns.google."]


def test_no_hosts_hides_etc_hosts(local, tmp_path):
    s, up = local
    assert ask(s.port, "localhost").rcode() == dns.rcode.NXDOMAIN  # no-hosts + domain-needed
    other = DnsStoep(tmp_path, s.backend)
    try:
        other.start("listen-address=127.0.0.1\nno-resolv\n")  # reads /etc/hosts
        r = ask(other.port, "localhost")
        assert a_records(r) == ["127.0.0.1"] and r.flags & dns.flags.AA
    finally:
        other.stop()


@pytest.mark.parametrize("args,expect", [
    (["a.wild.lan", "A"], "10.0.0.1"),
    (["zero.lan", "AAAA"], "::"),
    (["-x", "10.0.0.10"], "host.lan."),
    (["web.lan", "A"], "host.lan.\n10.0.0.10"),
])
def test_dig(local, args, expect):
    s, up = local
    out = subprocess.run(["dig", "+short", "+tries=1", "+time=2", "@127.0.0.1", "-p", str(s.port), *args],
                         capture_output=True, text=True, timeout=10).stdout.strip()
    assert out == expect
    full = subprocess.run(["dig", "+tries=1", "+time=2", "@127.0.0.1", "-p", str(s.port), "v4only.lan", "AAAA"],
                          capture_output=True, text=True, timeout=10).stdout
    assert "status: NOERROR" in full and "ANSWER: 0" in full and "flags: qr aa rd ra" in full
