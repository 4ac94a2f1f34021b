"""DNS over TLS upstreams (`[dns] server-tls`, `server-tls-ca`, docs/dns.md "DNS over TLS upstreams"),
against Debian's unbound serving DNS over TLS (`tls-port`) with a certificate from a CA the test makes:
answers come from unbound's local-data over TLS (stoep has no plaintext upstream at all); many queries at
once share one connection (stoep's stats and `ss` on unbound's side); a wrong TLS name or an untrusted CA
is SERVFAIL with the reason in the stats and the log, and the next DoT upstream answers instead; unbound
restarted → stoep reconnects; DoT answers are cached; bad values are refused with file, line and reason."""
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.rcode
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

pytest.register_assert_rewrite("dns_upstream")
from conftest import free_port, series, stop_process
from dns_upstream import BINARY, DnsStoep, ask, wait_until

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
UNBOUND_CONTROL = shutil.which("unbound-control") or "/usr/sbin/unbound-control"
RECORDS = {f"n{i}.dot.test": f"192.0.2.{i}" for i in range(1, 65)}


# --- a CA and server certificates -------------------------------------------------------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_server_cert(workdir, stem, ca, ca_key, dns_names, ips):
    """Writes stem.pem and stem.key: a server certificate for `dns_names` and `ips` signed by `ca`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    cert = (x509.CertificateBuilder().subject_name(_name(dns_names[0])).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem, keyfile = workdir / f"{stem}.pem", workdir / f"{stem}.key"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
    return pem, keyfile


def write_ca(path, ca):
    path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return path


# --- unbound serving DNS over TLS ---------------------------------------------------------------------

class UnboundDoT:
    """unbound on 127.0.0.1:port serving DNS over TLS only (tls-port), answering RECORDS from local-data
    (`answer` is the address every name gets, so two servers can be told apart)."""

    def __init__(self, workdir, stem, pem, key, answer_suffix=""):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.conf = self.workdir / f"{stem}.conf"
        self.log = self.workdir / f"{stem}.log"
        self.control = self.workdir / f"{stem}.ctl"
        data = "\n".join(f'  local-data: "{n}. 300 IN A {a}"' for n, a in RECORDS.items())
        data += f"\n  local-data: 'who.dot.test. 300 IN TXT \"{stem}\"'"
        self.conf.write_text(f"""server:
  interface: 127.0.0.1@{self.port}
  tls-port: {self.port}
  tls-service-key: {key}
  tls-service-pem: {pem}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: {self.workdir}
  pidfile: ""
  use-syslog: no
  logfile: {self.log}
  verbosity: 1
  log-queries: yes
  do-ip6: no
  num-threads: 1
  extended-statistics: yes
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "test." static
{data}
remote-control:
  control-enable: yes
  control-interface: {self.control}
  control-use-cert: no
""")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        assert wait_until(listening, timeout=10), "unbound did not start: " + self.log_text()

    def stop(self):
        if self.proc:
            stop_process(self.proc, 10)
        self.proc = None

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tls_queries(self):
        """Queries unbound received over TLS (`num.query.tls`, extended statistics)."""
        out = subprocess.run([UNBOUND_CONTROL, "-c", str(self.conf), "stats_noreset"], capture_output=True,
                             text=True, timeout=10)
        for line in out.stdout.splitlines():
            if line.startswith("num.query.tls="):
                return int(line.split("=", 1)[1])
        raise AssertionError("no num.query.tls in unbound-control stats: " + out.stdout + out.stderr)

    def connections(self):
        """TCP connections established to unbound's port, counted on unbound's side."""
        out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{self.port} )"],
                             capture_output=True, text=True, timeout=10)
        return len([l for l in out.stdout.splitlines() if l.strip()])


@pytest.fixture(scope="module")
def dot(tmp_path_factory):
    """`good`: unbound with a certificate for dot.test and 127.0.0.1 from the trusted CA (ca.pem);
    `rogue`: the same names from a CA stoep is not told about."""
    w = tmp_path_factory.mktemp("dot")
    ca, ca_key = make_ca("stoep test DoT CA")
    other, other_key = make_ca("untrusted CA")
    good = UnboundDoT(w, "good", *make_server_cert(w, "good", ca, ca_key, ["dot.test"], ["127.0.0.1"]))
    rogue = UnboundDoT(w, "rogue", *make_server_cert(w, "rogue", other, other_key, ["dot.test"], ["127.0.0.1"]))
    ns = type("DoT", (), {})()
    ns.workdir, ns.good, ns.rogue = w, good, rogue
    ns.ca = write_ca(w / "ca.pem", ca)
    ns.ca_obj, ns.ca_key = ca, ca_key
    yield ns
    good.stop()
    rogue.stop()


def start_stoep(dns_stoep, toml_dns, conf="listen-address=127.0.0.1\nno-resolv\nno-hosts\n", env=None):
    toml = dns_stoep.write_config("[dns]\n" + toml_dns)
    return dns_stoep.start(conf, extra_args=("--config", str(toml)))


def a_of(reply):
    return sorted(r.to_text() for rrset in reply.answer for r in rrset if rrset.rdtype == 1)


def txt_of(reply):
    return [r.to_text() for rrset in reply.answer for r in rrset if rrset.rdtype == 16]


def tls_series(s, name, upstream, **labels):
    return series(s.stats(), "gauges" if name.endswith("_open") else "counters", name, upstream=upstream, **labels) or 0


def tls_failures(s, upstream):
    """{reason: count} of dns_upstream_tls_failures for `upstream`."""
    out = {}
    for entry in s.stats().get("counters", {}).get("dns_upstream_tls_failures", []):
        if entry["labels"].get("upstream") == upstream:
            out[entry["labels"]["reason"]] = entry["value"]
    return out


# --- tests ----------------------------------------------------------------------------------------------

def test_answers_arrive_over_tls_only(dns_stoep, dot):
    """No plaintext upstream at all (no-resolv, no server=): unbound's answers can only have come over TLS."""
    up = f"127.0.0.1@{dot.good.port}#dot.test"
    port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\nserver-tls-ca = ["{dot.ca}"]\n')
    before = dot.good.tls_queries()
    r = ask(port, "n1.dot.test")
    assert r.rcode() == dns.rcode.NOERROR and a_of(r) == ["192.0.2.1"], r
    assert txt_of(ask(port, "who.dot.test", "TXT", tcp=True)) == ['"good"']
    assert dot.good.tls_queries() - before >= 2
    assert tls_series(dns_stoep, "dns_upstream_tls_connections", up) == 1
    assert tls_series(dns_stoep, "dns_upstream_tls_open", up) == 1
    assert series(dns_stoep.stats(), "counters", "dns_upstream_answers", upstream=up) == 2
    assert tls_failures(dns_stoep, up) == {}


def test_parallel_queries_share_one_pipelined_connection(dns_stoep, dot):
    up = f"127.0.0.1@{dot.good.port}#dot.test"
    port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\nserver-tls-ca = ["{dot.ca}"]\ncache-size = 0\n')
    names = list(RECORDS)
    with ThreadPoolExecutor(max_workers=32) as pool:
        replies = list(pool.map(lambda n: ask(port, n, timeout=5), names * 2))
    assert [a_of(r) for r in replies] == [[RECORDS[n]] for n in names * 2]
    assert tls_series(dns_stoep, "dns_upstream_tls_connections", up) == 1
    assert series(dns_stoep.stats(), "counters", "dns_upstream_queries", upstream=up) == 2 * len(names)
    # unbound's side: the one connection stoep keeps open (the other tests' stoeps are stopped by now)
    assert wait_until(lambda: dot.good.connections() == 1), dot.good.connections()


def test_wrong_name_and_untrusted_ca_are_servfail_with_the_reason(dns_stoep, dot):
    wrong = f"127.0.0.1@{dot.good.port}#other.test"
    rogue = f"127.0.0.1@{dot.rogue.port}#dot.test"
    port = start_stoep(dns_stoep, f'server-tls = ["{wrong}", "{rogue}"]\nserver-tls-ca = ["{dot.ca}"]\n')
    r = ask(port, "n2.dot.test")
    assert r.rcode() == dns.rcode.SERVFAIL and not r.answer
    assert tls_failures(dns_stoep, wrong) == {"certificate verify failed: hostname mismatch": 1}
    reasons = tls_failures(dns_stoep, rogue)
    assert list(reasons) and all(k.startswith("certificate verify failed: ") for k in reasons), reasons
    assert "issuer" in next(iter(reasons)) or "self" in next(iter(reasons)), reasons
    assert series(dns_stoep.stats(), "counters", "dns_upstream_failures", upstream=wrong) == 1
    assert tls_series(dns_stoep, "dns_upstream_tls_connections", wrong) == 0
    log = dns_stoep.log_text()
    assert f"server-tls {wrong}: certificate verify failed: hostname mismatch" in log, log
    # the next query tries again (no answer is cached, nothing is remembered as good)
    assert ask(port, "n2.dot.test").rcode() == dns.rcode.SERVFAIL
    assert tls_failures(dns_stoep, wrong)["certificate verify failed: hostname mismatch"] == 2


def test_ip_address_verified_without_name_and_failover_to_next_dot_upstream(dns_stoep, dot):
    """Without `#name` the certificate must carry the IP address (good's does); the rogue server fails
    verification and the query moves on to the next DoT upstream at once."""
    rogue = f"127.0.0.1@{dot.rogue.port}#dot.test"
    good = f"127.0.0.1@{dot.good.port}"
    port = start_stoep(dns_stoep, f'server-tls = ["{rogue}", "{good}"]\nserver-tls-ca = ["{dot.ca}"]\nstrict-order = true\n')
    r = ask(port, "who.dot.test", "TXT")
    assert txt_of(r) == ['"good"'], r
    assert tls_failures(dns_stoep, rogue) and tls_series(dns_stoep, "dns_upstream_tls_connections", good) == 1


def test_ssl_cert_file_is_honoured(dot, tmp_path, backend, monkeypatch):
    """OpenSSL's SSL_CERT_FILE replaces the system store's bundle: the test CA trusted without server-tls-ca."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dot.ca))
    s = DnsStoep(tmp_path / "stoep", backend)
    try:
        up = f"127.0.0.1@{dot.good.port}#dot.test"
        toml = s.write_config(f'[dns]\nserver-tls = ["{up}"]\n')
        port = s.start("listen-address=127.0.0.1\nno-resolv\nno-hosts\n", extra_args=("--config", str(toml)))
        assert a_of(ask(port, "n3.dot.test")) == ["192.0.2.3"]
    finally:
        s.stop()


def test_reconnects_after_unbound_restart_and_caches_dot_answers(dns_stoep, dot, tmp_path):
    w = tmp_path / "restart"
    w.mkdir()
    u = UnboundDoT(w, "r", *make_server_cert(w, "r", dot.ca_obj, dot.ca_key, ["dot.test"], ["127.0.0.1"]))
    try:
        up = f"127.0.0.1@{u.port}#dot.test"
        port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\nserver-tls-ca = ["{dot.ca}"]\n')
        assert a_of(ask(port, "n4.dot.test")) == ["192.0.2.4"]
        # cached: the second answer does not reach unbound
        sent = u.tls_queries()
        cached = dns_stoep.counter("dns_answered_from_cache")
        assert a_of(ask(port, "n4.dot.test")) == ["192.0.2.4"]
        assert dns_stoep.counter("dns_answered_from_cache") == cached + 1 and u.tls_queries() == sent
        # unbound restarted: its connection ends; the next query opens a new one
        u.stop()
        assert wait_until(lambda: tls_series(dns_stoep, "dns_upstream_tls_open", up) == 0, timeout=5)
        u.start()
        assert a_of(ask(port, "n5.dot.test")) == ["192.0.2.5"]
        assert tls_series(dns_stoep, "dns_upstream_tls_connections", up) == 2
        # unbound down: SERVFAIL (connection refused), then up again: answered
        u.stop()
        assert ask(port, "n6.dot.test").rcode() == dns.rcode.SERVFAIL
        assert any("refused" in k.lower() for k in tls_failures(dns_stoep, up)), tls_failures(dns_stoep, up)
        u.start()
        assert a_of(ask(port, "n6.dot.test")) == ["192.0.2.6"]
    finally:
        u.stop()


def test_reload_closes_the_old_connection(dns_stoep, dot):
    """SIGHUP builds a new forwarder: its upstream opens a new connection, the old forwarder's is closed."""
    up = f"127.0.0.1@{dot.good.port}#dot.test"
    port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\nserver-tls-ca = ["{dot.ca}"]\n')
    assert a_of(ask(port, "n8.dot.test")) == ["192.0.2.8"]
    assert wait_until(lambda: dot.good.connections() == 1), dot.good.connections()
    dns_stoep.signal(signal.SIGHUP)
    assert wait_until(lambda: tls_series(dns_stoep, "dns_upstream_tls_open", up) == 0)
    assert a_of(ask(port, "n9.dot.test")) == ["192.0.2.9"]
    assert wait_until(lambda: dot.good.connections() == 1), dot.good.connections()


def test_silent_server_times_out_and_its_connection_is_dropped(dns_stoep):
    """A server that accepts TCP but never answers the ClientHello: SERVFAIL after the deadline (twice
    fast-dns-retry), the connection counted as failed and closed, the next query tries a new one."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # never accepted: the kernel completes the TCP handshake, nobody speaks TLS
    try:
        up = f"127.0.0.1@{silent.getsockname()[1]}#dot.test"
        port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\n', conf="listen-address=127.0.0.1\nno-resolv\nno-hosts\nfast-dns-retry=150\n")
        for n in (1, 2):
            t = time.monotonic()
            assert ask(port, "n1.dot.test").rcode() == dns.rcode.SERVFAIL
            assert time.monotonic() - t < 2
            assert wait_until(lambda: tls_failures(dns_stoep, up).get("no TLS handshake in time") == n), tls_failures(dns_stoep, up)
        assert series(dns_stoep.stats(), "counters", "dns_upstream_timeouts", upstream=up) == 2
    finally:
        silent.close()


def test_domain_servers_stay_plain_beside_server_tls(dns_stoep, dot, tmp_path):
    """`server=/domain/ip` lines keep going where they say (plaintext); everything else goes over TLS."""
    from dns_upstream import FakeUpstream
    plain = FakeUpstream(records={"host.corp.test": [("A", "192.0.2.200")]})
    try:
        up = f"127.0.0.1@{dot.good.port}#dot.test"
        port = start_stoep(dns_stoep, f'server-tls = ["{up}"]\nserver-tls-ca = ["{dot.ca}"]\n',
                           conf=f"listen-address=127.0.0.1\nno-resolv\nno-hosts\nserver=/corp.test/{plain.address}\n")
        assert a_of(ask(port, "host.corp.test")) == ["192.0.2.200"]
        assert a_of(ask(port, "n7.dot.test")) == ["192.0.2.7"]
    finally:
        plain.close()


@pytest.mark.parametrize("dns_toml, conf, expect", [
    ('server-tls = ["9.9.9.9@0#dns.quad9.net"]', "", "'0' is not a port"),
    ('server-tls = ["dns.quad9.net@853"]', "", "is not an IP address"),
    ('server-tls = ["9.9.9.9#bad_name!"]', "", "is not a host name"),
    ('server-tls = ["9.9.9.9"]\nserver-tls-ca = ["/nonexistent/ca.pem"]', "", "/nonexistent/ca.pem"),
    ('server-tls = ["9.9.9.9"]', "server=192.0.2.1\n", "server: not used beside server-tls"),
    ('server-tls = ["9.9.9.9"]', "resolv-file=/etc/resolv.conf\n", "resolv-file: not used beside server-tls"),
])
def test_bad_values_refused_at_check(tmp_path, dns_toml, conf, expect):
    toml = tmp_path / "stoep.toml"
    toml.write_text("[dns]\n" + dns_toml + "\n")
    dconf = tmp_path / "dnsmasq.conf"
    dconf.write_text("port=0\n" + conf)
    out = subprocess.run([str(BINARY), "check", "--config", str(toml), "--dnsmasq-conf", str(dconf)],
                         capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and expect in text, text
    assert str(toml) in text or str(dconf) in text, text


def test_server_tls_refused_in_dnsmasq_conf(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("port=0\nserver-tls=9.9.9.9@853#dns.quad9.net\n")
    out = subprocess.run([str(BINARY), "check", "--dnsmasq-conf", str(conf)], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and f"{conf}:2" in text and "stoep's own key" in text, text
