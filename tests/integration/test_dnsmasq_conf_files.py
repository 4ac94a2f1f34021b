"""Issue 19: configuration spread over files as dnsmasq 2.90 reads it — conf-file (nested, a loop back to the
top file, a bare `conf-file`), conf-dir (strcmp order, `*.conf` and exclusion suffixes, dotfiles and editor
backups skipped), servers-file (server= and rev-server= lines, read again on SIGHUP), hostsdir (watched: new,
rewritten and deleted files) and expand-hosts with every domain= form stoep takes.

The same file tree runs in real dnsmasq and in stoep (both backends), each forwarding to its own real dnsmasq
upstream with the same data, and every field of every answer is compared (dns_fields.py): header bits, rcode,
counts, records with TTLs, OPT; over UDP, TCP and pipelined TCP, in every query variant."""
import signal
import subprocess

import pytest

pytest.register_assert_rewrite("dns_upstream", "dns_fields")
from dns_fields import TRANSPORTS, compare, exchange_udp, fields, make_query, run_all, without_ttls
from dns_upstream import BINARY, DnsmasqUpstream, DnsStoep, ReferenceDnsmasq, free_port, wait_until

pytest_plugins = ["dns_upstream"]

UPSTREAM_DATA = ["--local=/#/", "--address=/fwd.example/192.0.2.80",
                 "--ptr-record=1.0.9.10.in-addr.arpa,rev.example"]
HOSTS = "10.0.0.5 nas nas.other\n10.0.1.7 tv\nfd00::5 nas6\n10.0.2.15 guest1\n10.0.0.9 dotted.\n"


def layout(root, upstream_port):
    """Writes the file tree under `root`; returns the top file's text (without port=)."""
    files = {
        "extra.conf": f"address=/extra.test/10.5.0.1\nconf-file={root}/dnsmasq.conf\nconf-file={root}/nested/deep.conf\n",
        "nested/deep.conf": "host-record=deep.test,10.5.0.2\nconf-file\n",
        # The first host-record of an address gives its PTR, so the PTR shows the order (strcmp).
        "conf.d/20-b.conf": "host-record=second.test,10.6.0.5\naddress=/conf-d.test/10.6.0.2\n",
        "conf.d/10-a.conf": "local-ttl=5\nhost-record=first.test,10.6.0.5\naddress=/conf-d.test/10.6.0.1\n",
        "conf.d/.hidden.conf": "address=/hidden.test/10.6.0.9\n",
        "conf.d/backup.conf~": "address=/hidden.test/10.6.0.9\n",
        "conf.d/#auto.conf#": "address=/hidden.test/10.6.0.9\n",
        "conf.d/notes.txt": "address=/hidden.test/10.6.0.9\n",
        "more.d/keep": "address=/more.test/10.7.0.1\n",
        "more.d/drop.bak": "address=/hidden.test/10.7.0.2\n",
        "servers": f"# the upstream\nserver=127.0.0.1#{upstream_port}\nrev-server=10.9.0.0/16,127.0.0.1#{upstream_port}\n",
        "hosts": HOSTS,
        "hosts.d/one": "10.0.3.1 indir\n",
        "hosts.d/.skip": "10.0.3.9 hiddenhost\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "conf.d" / "subdir.conf").mkdir(exist_ok=True)  # a directory: not a file to read
    return "\n".join([
        "listen-address=127.0.0.1", "no-resolv", "no-hosts", "bind-interfaces",
        f"conf-file={root}/extra.conf", "conf-file",
        f"conf-dir={root}/conf.d,*.conf", f"conf-dir={root}/more.d,.bak",
        f"servers-file={root}/servers", f"addn-hosts={root}/hosts", f"hostsdir={root}/hosts.d",
        "expand-hosts", "domain=lan", "domain=wifi.lan,10.0.1.0/24,local", "domain=guest.lan,10.0.2.10,10.0.2.20",
        "domain=six.lan,fd00::/64",
    ]) + "\n"


SAME, FORWARDED = "same", "forwarded"
CASES = [
    ("nas.lan", "A", SAME), ("nas", "A", SAME), ("nas.other", "A", SAME), ("nas.other.lan", "A", FORWARDED),
    ("tv.wifi.lan", "A", SAME), ("tv.lan", "A", FORWARDED), ("tv", "A", SAME), ("nope.wifi.lan", "A", SAME),
    ("nas6.six.lan", "AAAA", SAME), ("nas6.lan", "AAAA", FORWARDED), ("guest1.guest.lan", "A", SAME),
    ("dotted", "A", SAME), ("dotted.lan", "A", FORWARDED), ("indir.lan", "A", SAME), ("hiddenhost.lan", "A", FORWARDED),
    ("5.0.0.10.in-addr.arpa", "PTR", SAME), ("7.1.0.10.in-addr.arpa", "PTR", SAME),
    ("99.1.0.10.in-addr.arpa", "PTR", SAME), ("15.2.0.10.in-addr.arpa", "PTR", SAME),
    ("1.3.0.10.in-addr.arpa", "PTR", SAME),
    ("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", "PTR", SAME),
    ("5.0.6.10.in-addr.arpa", "PTR", SAME), ("extra.test", "A", SAME), ("deep.test", "A", SAME), ("conf-d.test", "A", SAME), ("more.test", "A", SAME),
    ("hidden.test", "A", FORWARDED), ("fwd.example", "A", FORWARDED), ("1.0.9.10.in-addr.arpa", "PTR", FORWARDED),
]


def override(case, variant, reference):
    if case[2] == FORWARDED:
        return {"aa": False}, "forwarded answers without AA"  # docs/dns.md, deliberate differences
    return {}, None


def start_dnsmasq(root, text):
    """dnsmasq on `text` as root/dnsmasq.conf (the file extra.conf names), on a port of its own; returns
    (ReferenceDnsmasq, port)."""
    port = free_port()
    return ReferenceDnsmasq(root, f"port={port}\n{text}"), port


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("conf-files-dnsmasq")
    upstream = DnsmasqUpstream(root / "up", UPSTREAM_DATA)
    dnsmasq, port = start_dnsmasq(root, layout(root, upstream.port))
    try:
        return run_all(port, CASES)
    finally:
        dnsmasq.close()
        upstream.close()


@pytest.fixture(scope="module")
def stoep_run(module_backend, tmp_path_factory, reference):
    root = tmp_path_factory.mktemp(f"conf-files-stoep-{module_backend}")
    upstream = DnsmasqUpstream(root / "up", UPSTREAM_DATA)
    s = DnsStoep(root, module_backend)
    try:
        s.start(layout(root, upstream.port))
        result = run_all(s.port, CASES)
        assert s.alive(), "stoep died: " + s.log_text()[-2000:]
        return result
    finally:
        s.stop()
        upstream.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_field_as_dnsmasq(reference, stoep_run, transport):
    problems, _ = compare(reference, stoep_run, transport, override, lambda case: case[2] == SAME)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:60])


def test_premises(reference):
    """What the comparison rests on, seen in dnsmasq's own answers."""
    by_name = {}
    for i, (transport, case, variant, _) in enumerate(reference["sent"]):
        if transport == "udp" and variant == "plain":
            by_name[case[0]] = fields(reference["replies"][i])
    assert by_name["nas.lan"]["answer"][0][3] == 5  # local-ttl of conf.d/10-a.conf
    assert by_name["5.0.6.10.in-addr.arpa"]["answer"][0][-1][0] == "first.test."  # 10-a.conf read before 20-b.conf
    assert by_name["5.0.0.10.in-addr.arpa"]["answer"][0][-1][0] == "nas.lan."  # PTR: the expanded name
    assert by_name["hidden.test"]["rcode"] == "NXDOMAIN" and by_name["nope.wifi.lan"]["rcode"] == "NXDOMAIN"
    assert by_name["1.0.9.10.in-addr.arpa"]["answer"][0][-1][0] == "rev.example."


def answer(port, name, rdtype="A"):
    return fields(exchange_udp(port, make_query(name, rdtype, "plain", 4242)))


def fields_of(port, name, rdtype="PTR"):
    return answer(port, name, rdtype)


def local_view(port, names):
    return {n: without_ttls(answer(port, n)) for n in names}


def test_hostsdir_new_changed_and_deleted_files_as_dnsmasq(dns_stoep, tmp_path):
    up_a, up_b = DnsmasqUpstream(tmp_path / "up-a", UPSTREAM_DATA), DnsmasqUpstream(tmp_path / "up-b", UPSTREAM_DATA)
    dm_root, st_root = tmp_path / "dm", dns_stoep.workdir
    dm_root.mkdir()
    dnsmasq, dm_port = start_dnsmasq(dm_root, layout(dm_root, up_a.port))
    try:
        st_port = dns_stoep.start(layout(st_root, up_b.port))
        names = ["indir.lan", "added.lan", "changed.lan", "hidden2.lan"]

        def step(write, settled):
            """Makes the change in both trees; waits until dnsmasq shows it (`settled`), then until stoep
            answers every name exactly as dnsmasq does (TTLs aside: forwarded answers count down)."""
            for root in (dm_root, st_root):
                write(root / "hosts.d")
            assert wait_until(lambda: settled(local_view(dm_port, names)), timeout=5), local_view(dm_port, names)
            want = local_view(dm_port, names)
            assert wait_until(lambda: local_view(st_port, names) == want, timeout=5), \
                f"stoep: {local_view(st_port, names)}\ndnsmasq: {want}"

        has = lambda view, name: bool(view[name]["answer"])
        step(lambda d: (d / "two").write_text("10.0.3.2 added\n"), lambda v: has(v, "added.lan") and has(v, "indir.lan"))
        step(lambda d: (d / "two").write_text("10.0.3.3 changed\n"), lambda v: has(v, "changed.lan") and not has(v, "added.lan"))
        step(lambda d: (d / "two").unlink(), lambda v: not has(v, "changed.lan") and has(v, "indir.lan"))
        step(lambda d: ((d / ".hidden").write_text("10.0.3.4 hidden2\n"), (d / "x~").write_text("10.0.3.4 hidden2\n"),
                        (d / "three").write_text("10.0.3.5 added\n")),
             lambda v: has(v, "added.lan") and not has(v, "hidden2.lan"))
        assert fields_of(st_port, "5.3.0.10.in-addr.arpa") == fields_of(dm_port, "5.3.0.10.in-addr.arpa")
    finally:
        dnsmasq.close()
        up_a.close()
        up_b.close()


def test_servers_file_is_read_again_on_sighup(dns_stoep, tmp_path):
    first = [DnsmasqUpstream(tmp_path / f"first-{i}", UPSTREAM_DATA) for i in range(2)]
    second = [DnsmasqUpstream(tmp_path / f"second-{i}", ["--local=/#/", "--address=/fwd.example/192.0.2.99"]) for i in range(2)]
    dm_root, st_root = tmp_path / "dm", dns_stoep.workdir
    dm_root.mkdir()
    dnsmasq, dm_port = start_dnsmasq(dm_root, layout(dm_root, first[0].port))
    try:
        st_port = dns_stoep.start(layout(st_root, first[1].port))
        for port in (dm_port, st_port):
            assert answer(port, "fwd.example")["answer"][0][-1][0] == "192.0.2.80"
        (dm_root / "servers").write_text(f"server=127.0.0.1#{second[0].port}\n")
        (st_root / "servers").write_text(f"server=127.0.0.1#{second[1].port}\n")
        dnsmasq.proc.send_signal(signal.SIGHUP)
        dns_stoep.signal(signal.SIGHUP)
        for port in (dm_port, st_port):
            assert wait_until(lambda: (answer(port, "fwd.example")["answer"] or [[(None,)]])[0][-1][0] == "192.0.2.99", timeout=5), port
    finally:
        dnsmasq.close()
        for u in first + second:
            u.close()


def dnsmasq_test(conf):
    out = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True, text=True)
    return out.returncode, out.stderr


def stoep_check(conf):
    out = subprocess.run([str(BINARY), "check", "--dnsmasq-conf", str(conf)], capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


@pytest.mark.parametrize("body,where,reason,dnsmasq_refuses", [
    ("conf-file={d}/missing.conf\n", 2, "cannot read {d}/missing.conf", True),
    ("conf-dir={d}/nodir\n", 2, "cannot access directory {d}/nodir", True),
    ("conf-dir={d}/dangling\n", 2, "cannot access {d}/dangling/x.conf", True),
    ("conf-file={d}/bad.conf\n", None, "{d}/bad.conf:2:0: port", True),
    ("servers-file={d}/servers\n", None, "{d}/servers:2:0: address: a servers-file holds only", False),
    ("hostsdir={d}/nodir\n", 2, "hostsdir: cannot read directory {d}/nodir", False),
    ("domain=lan,eth0\n", 2, "interface form", False),
    ("domain=lan,10.0.0.0/24,far\n", 2, "only `local` may follow", True),
    ("rev-server=10.0.0.0/40,10.0.0.1\n", 2, "bad IPv4 prefix length", True),
])
def test_errors_name_file_line_and_reason(tmp_path, body, where, reason, dnsmasq_refuses):
    d = tmp_path
    (d / "bad.conf").write_text("no-resolv\nport=notanumber\n")
    (d / "servers").write_text("server=10.0.0.1\naddress=/x/10.0.0.2\n")
    (d / "dangling").mkdir()
    (d / "dangling" / "x.conf").symlink_to(d / "gone.conf")
    conf = d / "dnsmasq.conf"
    conf.write_text("no-resolv\n" + body.format(d=d))
    code, text = stoep_check(conf)
    assert code != 0, text
    assert reason.format(d=d) in text, text
    if where:
        assert f"{conf}:{where}:" in text, text
    dm_code, dm_text = dnsmasq_test(conf)
    assert (dm_code != 0) == dnsmasq_refuses, dm_text
