"""Per-client statistics (`show dns-clients`), the per-client rate limit (`rate-limit`, Pi-hole's 1000/60
default: REFUSED past it, FTL's log line, the box itself never limited) and local-service (on unless
listen-address/interface are given: the box's own subnets answered). Clients are the box's own addresses:
loopback and its first global address (the test is skipped without one)."""
import json
import subprocess

import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import BINARY, DnsStoep, FakeUpstream, ask, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")


def global_address():
    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        return line.split()[3].split("/")[0]
    return None


def stats(s, command):
    out = subprocess.run([str(BINARY), "stats", "--stats-socket", str(s.sock), "--json", command],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture
def open_box(backend, tmp_path):
    """stoep without listen-address (wildcard bind, local-service on), rate limit 5 per 60 s."""
    up = FakeUpstream(records={"fwd.example": [("A", "192.0.2.80")]})
    s = DnsStoep(tmp_path, backend)
    (tmp_path / "block.list").write_text("ads.example\n")
    toml = s.write_config(f'[dns]\nrate-limit = "5/60"\nblocklists = ["{tmp_path / "block.list"}"]\n')
    s.start(f"no-resolv\nno-hosts\nserver={up.address}\naddress=/local.example/10.0.0.1\n", extra_args=("--config", str(toml)))
    yield s
    s.stop()
    up.close()


def test_rate_limit_refuses_past_the_count_and_not_the_box_itself(open_box):
    s = open_box
    here = global_address()
    if not here:
        pytest.skip("no global IPv4 address on this box")
    rcodes = [ask(s.port, "local.example", host=here).rcode() for _ in range(7)]
    assert rcodes == [dns.rcode.NOERROR] * 5 + [dns.rcode.REFUSED] * 2
    refused = ask(s.port, "local.example", host=here, edns=0)
    assert refused.rcode() == dns.rcode.REFUSED and not refused.answer
    assert wait_until(lambda: any(f"Rate-limiting {here} for at least " in l for l in s.log_lines()), timeout=3)
    assert sum(f"Rate-limiting {here}" in l for l in s.log_lines()) == 1, "logged once per window"
    for _ in range(10):  # loopback: the box itself
        assert ask(s.port, "local.example").rcode() == dns.rcode.NOERROR
    assert s.counter("dns_rate_limited") == 3
    doc = stats(s, "show dns-clients")
    mine = [c for c in doc["clients"] if c["address"] == here][0]
    assert mine["limited"] == 3 and mine["local"] == 5 and mine["queries"] == 8


def test_dns_clients_counts_outcomes_and_top_names(open_box):
    s = open_box
    for _ in range(3):
        ask(s.port, "ads.example")
    ask(s.port, "fwd.example")
    ask(s.port, "fwd.example")  # from the cache
    ask(s.port, "local.example", tcp=True)
    doc = stats(s, "show dns-clients")
    lo = [c for c in doc["clients"] if c["address"] == "127.0.0.1"][0]
    assert (lo["blocked"], lo["forwarded"], lo["cached"], lo["local"]) == (3, 1, 1, 1), lo
    assert doc["top_names"][0] == {"name": "ads.example", "queries": 3, "error": 0}
    assert doc["top_blocked"] == [{"name": "ads.example", "queries": 3, "error": 0}]
    assert doc["clients_capacity"] == 1024
    text = subprocess.run([str(BINARY), "stats", "--stats-socket", str(s.sock), "show", "dns-clients"],
                          capture_output=True, text=True, check=True).stdout
    assert "CLIENT" in text and "127.0.0.1" in text and "BLOCKED NAME" in text and "ads.example" in text


def test_local_service_answers_own_subnets_and_listen_address_turns_it_off(open_box, backend, tmp_path):
    s = open_box
    here = global_address()
    if here:
        assert ask(s.port, "local.example", host=here).rcode() == dns.rcode.NOERROR
    assert ask(s.port, "local.example", host="::1").rcode() == dns.rcode.NOERROR
    assert s.counter("dns_ignored_non_local") == 0
    assert "non-local" not in s.log_text()


def test_local_service_host_listens_on_loopback_only(backend, tmp_path):
    s = DnsStoep(tmp_path, backend)
    s.start("no-resolv\nno-hosts\nlocal-service=host\naddress=/local.example/10.0.0.1\n")
    try:
        assert ask(s.port, "local.example").rcode() == dns.rcode.NOERROR
        here = global_address()
        if here:
            with pytest.raises(Exception):
                ask(s.port, "local.example", host=here, timeout=0.5)
    finally:
        s.stop()


def test_bad_rate_limit_and_stoep_key_in_dnsmasq_conf(tmp_path):
    toml = tmp_path / "stoep.toml"
    toml.write_text('[dns]\nport = 0\nrate-limit = "1000"\n')
    out = subprocess.run([str(BINARY), "check", "--config", str(toml)], capture_output=True, text=True)
    assert out.returncode != 0 and "rate-limit" in out.stdout + out.stderr and "COUNT/SECONDS" in out.stdout + out.stderr
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("port=0\nrate-limit=10/1\n")
    out = subprocess.run([str(BINARY), "check", "--dnsmasq-conf", str(conf)], capture_output=True, text=True)
    assert out.returncode != 0 and "stoep's own key" in out.stdout + out.stderr


@pytest.fixture
def far_client(tmp_path):
    """A network namespace joined to the box by a veth pair: the box has 10.254.N.1/30, the namespace
    10.254.N.2/30 (a local subnet) and 10.253.N.7/32 (not on any of the box's subnets; routed back through
    the namespace). Yields (box address, local source, far source, run-in-namespace); skipped when the
    namespace cannot be made (not root, no `ip netns`)."""
    import os
    n = os.getpid() % 250
    ns, host_if, ns_if = f"stoep-ls{os.getpid()}", f"vh{os.getpid()}", f"vn{os.getpid()}"
    box, near, far = f"10.254.{n}.1", f"10.254.{n}.2", f"10.253.{n}.7"
    steps = [["ip", "netns", "add", ns],
             ["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
             ["ip", "link", "set", ns_if, "netns", ns],
             ["ip", "addr", "add", f"{box}/30", "dev", host_if], ["ip", "link", "set", host_if, "up"],
             ["ip", "-n", ns, "addr", "add", f"{near}/30", "dev", ns_if], ["ip", "-n", ns, "link", "set", ns_if, "up"],
             ["ip", "-n", ns, "link", "set", "lo", "up"], ["ip", "-n", ns, "addr", "add", f"{far}/32", "dev", "lo"],
             ["ip", "-n", ns, "route", "add", "default", "via", box],
             ["ip", "route", "add", f"{far}/32", "via", near]]
    try:
        for step in steps:
            if subprocess.run(step, capture_output=True).returncode != 0:
                pytest.skip(f"cannot build the test namespace ({' '.join(step)})")

        def run(*cmd):
            return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=10)
        yield box, near, far, run
    finally:
        subprocess.run(["ip", "route", "del", f"{far}/32"], capture_output=True)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_local_service_ignores_clients_outside_the_boxs_subnets(far_client, backend, tmp_path):
    box, near, far, run = far_client
    s = DnsStoep(tmp_path, backend)
    s.start("no-resolv\nno-hosts\naddress=/local.example/10.0.0.1\n")  # no listen-address: local-service
    try:
        def dig(source):
            return run("dig", "+short", "+tries=1", "+time=1", "-b", source, "-p", str(s.port), f"@{box}", "local.example")
        assert dig(near).stdout.strip() == "10.0.0.1", "a client on the veth subnet is local"
        out = dig(far)
        assert "10.0.0.1" not in out.stdout and "timed out" in out.stdout + out.stderr, out
        assert s.counter("dns_ignored_non_local") == 1
        assert wait_until(lambda: any(f"ignoring query from non-local network {far}" in l for l in s.log_lines()), timeout=3)
        dig(far)
        assert sum("ignoring query from non-local" in l for l in s.log_lines()) == 1, "warned once"
    finally:
        s.stop()
    s2 = DnsStoep(tmp_path / "open", backend)
    s2.start("no-resolv\nno-hosts\nlisten-address=0.0.0.0\naddress=/local.example/10.0.0.1\n")
    try:
        out = run("dig", "+short", "+tries=1", "+time=1", "-b", far, "-p", str(s2.port), f"@{box}", "local.example")
        assert out.stdout.strip() == "10.0.0.1", "listen-address turns local-service off, as in dnsmasq"
    finally:
        s2.stop()
