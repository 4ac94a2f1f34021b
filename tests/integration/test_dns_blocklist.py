"""Blocklists (`[dns] blocklists`, `allowlists`, `block-mode`, `block-ttl`): hosts-format and plain lines
block the exact name, `||d^` the name and its subdomains, the allowlist (and `@@||d^`) wins; blocked
names are answered as Pi-hole's FTL does (0.0.0.0 / :: with TTL 2 and AA, NODATA for other types, or
NXDOMAIN) and never forwarded; a changed list is read again (inotify) while the old one keeps serving.
One stoep per backend; a scripted upstream shows what was forwarded."""
import subprocess
import time

import dns.edns
import dns.flags
import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import BINARY, DnsStoep, FakeUpstream, ask, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

BLOCKLIST = """# a hosts-format list
127.0.0.1 localhost
0.0.0.0 ads.example
0.0.0.0 tracker.example metrics.example  # two names on one line
plain.example
||adnet.example^
||allowed-below.example^
@@||fine.adnet.example^
||modifier.example^$third-party
"""
ALLOWLIST = "ok.allowed-below.example\n"
UPSTREAM = {name: [("A", "192.0.2.1")] for name in
            ["sub.ads.example", "example", "ok.allowed-below.example", "fine.adnet.example", "x.fine.adnet.example",
             "modifier.example", "unlisted.example", "later.example"]}


def start(workdir, backend, up, extra_toml=""):
    (workdir / "block.list").write_text(BLOCKLIST)
    (workdir / "allow.list").write_text(ALLOWLIST)
    s = DnsStoep(workdir, backend)
    toml = s.write_config(f"""[dns]
blocklists = ["{workdir / 'block.list'}"]
allowlists = ["{workdir / 'allow.list'}"]
{extra_toml}""")
    s.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver={up.address}\nlog-queries\n",
            extra_args=("--config", str(toml)))
    assert wait_until(lambda: s.counter("dns_blocklist_loads") >= 1, timeout=10), s.log_text()
    return s


@pytest.fixture(scope="module")
def blocking(module_backend, tmp_path_factory):
    up = FakeUpstream(records=UPSTREAM)
    s = start(tmp_path_factory.mktemp(f"block-{module_backend}"), module_backend, up)
    yield s, up
    alive = s.alive()
    s.stop()
    up.close()
    assert alive, "stoep died: " + s.log_path.read_text(errors="replace")[-2000:]


def records(msg):
    return sorted((r.to_text(), rrset.ttl) for rrset in msg.answer for r in rrset)


@pytest.mark.parametrize("name", ["ads.example", "ADS.Example", "tracker.example", "metrics.example", "plain.example",
                                  "adnet.example", "a.b.adnet.example", "sub.allowed-below.example"])
@pytest.mark.parametrize("tcp", [False, True])
def test_blocked_names_get_the_unspecified_address(blocking, name, tcp):
    s, up = blocking
    before = len(up.seen)
    a = ask(s.port, name, "A", tcp=tcp)
    assert a.rcode() == dns.rcode.NOERROR and a.flags & dns.flags.AA and a.flags & dns.flags.RA
    assert records(a) == [("0.0.0.0", 2)]
    aaaa = ask(s.port, name, "AAAA", tcp=tcp)
    assert records(aaaa) == [("::", 2)] and aaaa.flags & dns.flags.AA
    assert len(up.seen) == before, "a blocked name must not be forwarded"


def test_other_types_nodata_and_any_both(blocking):
    s, _ = blocking
    mx = ask(s.port, "ads.example", "MX")
    assert mx.rcode() == dns.rcode.NOERROR and not mx.answer and not mx.flags & dns.flags.AA
    anything = ask(s.port, "ads.example", "ANY")
    assert records(anything) == [("0.0.0.0", 2), ("::", 2)]


def test_extended_error_blocked_with_edns(blocking):
    s, _ = blocking
    msg = ask(s.port, "ads.example", "A", edns=0)
    codes = [o.code for o in msg.options if isinstance(o, dns.edns.EDEOption)]
    assert codes == [dns.edns.EDECode.BLOCKED]


@pytest.mark.parametrize("name", ["sub.ads.example",           # hosts lines block the exact name only
                                  "example",                   # never a parent
                                  "ok.allowed-below.example",  # allowlist wins over ||d^
                                  "fine.adnet.example", "x.fine.adnet.example",  # @@||d^ exception
                                  "modifier.example",          # a line with modifiers is skipped, not guessed
                                  "unlisted.example"])
def test_not_blocked_names_are_forwarded(blocking, name):
    s, up = blocking
    msg = ask(s.port, name, "A")
    assert [r.to_text() for rrset in msg.answer for r in rrset] == ["192.0.2.1"], msg


def test_log_lines_and_counters(blocking):
    s, _ = blocking
    before = s.counter("dns_blocked")
    ask(s.port, "metrics.example", "A")
    assert s.counter("dns_blocked") == before + 1
    assert wait_until(lambda: "gravity blocked metrics.example is 0.0.0.0" in s.log_lines(), timeout=3)
    text = s.log_text()
    assert "block.list:9: AdGuard modifiers" in text, text[-3000:]
    assert s.stats()["gauges"]["dns_blocklist_names"][0]["value"] == 6  # 4 names, 2 domains


def test_changed_list_is_read_again_and_old_one_serves_meanwhile(blocking):
    s, up = blocking
    loads = s.counter("dns_blocklist_loads")
    assert ask(s.port, "later.example").answer[0][0].to_text() == "192.0.2.1"
    path = s.workdir / "block.list"
    tmp = s.workdir / "block.list.new"
    tmp.write_text(BLOCKLIST + "later.example\n")
    tmp.rename(path)  # the way list updaters replace a file
    assert wait_until(lambda: s.counter("dns_blocklist_loads") > loads, timeout=5), s.log_text()[-2000:]
    assert records(ask(s.port, "later.example")) == [("0.0.0.0", 2)]
    assert records(ask(s.port, "ads.example")) == [("0.0.0.0", 2)]
    path.write_text(BLOCKLIST)
    assert wait_until(lambda: s.counter("dns_blocklist_loads") > loads + 1, timeout=5)
    assert ask(s.port, "later.example").answer[0][0].to_text() == "192.0.2.1"


def test_nxdomain_mode_and_ttl(module_backend, tmp_path):
    up = FakeUpstream(records=UPSTREAM)
    s = start(tmp_path, module_backend, up, 'block-mode = "nxdomain"\nblock-ttl = 60\n')
    try:
        for qtype in ["A", "AAAA", "MX"]:
            msg = ask(s.port, "a.adnet.example", qtype)
            assert msg.rcode() == dns.rcode.NXDOMAIN and not msg.answer and not msg.flags & dns.flags.AA
    finally:
        s.stop()
        up.close()


def test_stoep_keys_refused_in_dnsmasq_conf_and_missing_file(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("port=0\nblocklists=/etc/hosts\n")
    out = subprocess.run([str(BINARY), "check", "--dnsmasq-conf", str(conf)], capture_output=True, text=True)
    assert out.returncode != 0
    assert f"{conf}:2" in out.stdout + out.stderr and "stoep's own key" in out.stdout + out.stderr
    toml = tmp_path / "stoep.toml"
    toml.write_text(f'[dns]\nport = 0\nblocklists = ["{tmp_path / "missing.list"}"]\nblock-mode = "refused"\n')
    out = subprocess.run([str(BINARY), "check", "--config", str(toml)], capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "missing.list" in text and "cannot read" in text and "block-mode" in text, text
