"""DNS test helpers: a wrapper that runs the stoep binary with a dnsmasq.conf, real dnsmasq processes as
upstream resolvers, and a small scripted upstream (FakeUpstream) for behaviours dnsmasq cannot produce
(silence, SERVFAIL/REFUSED, truncation over UDP, wrong-ID and wrong-question replies).

Everything listens on loopback; every wait is bounded. The binary is $STOEP_BINARY, or .build/release/stoep.
"""
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from conftest import BACKENDS, Stoep, free_port, series, stats_query, stop_process

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("STOEP_BINARY", str(ROOT / ".build" / "release" / "stoep")))

# Test modules load this file as a plugin (`pytest_plugins = ["dns_upstream"]`) so that its fixtures
# exist once for the whole session, and import its classes and functions by name.


def wait_until(predicate, timeout=5.0, step=0.02):
    """Polls `predicate` until it is truthy or `timeout` seconds pass; returns its last value."""
    deadline = time.time() + timeout
    value = predicate()
    while not value and time.time() < deadline:
        time.sleep(step)
        value = predicate()
    return value


def ask(port, name, rdtype="A", host="127.0.0.1", tcp=False, timeout=3.0, edns=None, payload=None,
        want_dnssec=False, rd=True):
    """One query to host:port; returns the dns.message reply. `edns`: None = no OPT, else the version (0)."""
    if edns is None and not want_dnssec:
        q = dns.message.make_query(name, rdtype, use_edns=False)
    else:
        q = dns.message.make_query(name, rdtype, use_edns=edns or 0, payload=payload or 1232,
                                   want_dnssec=want_dnssec)
    if not rd:
        q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, host, port=port, timeout=timeout)
    return dns.query.udp(q, host, port=port, timeout=timeout, ignore_trailing=False)


def ask_raw_udp(port, wire, host="127.0.0.1", timeout=1.0):
    """Sends `wire` from a connected UDP socket; returns the reply bytes or None after `timeout`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(wire)
        try:
            return s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None


def rrsets(msg, section="answer"):
    """A comparable form of a section: sorted (name, type, sorted rdata texts), TTLs left out."""
    out = []
    for rrset in getattr(msg, section):
        out.append((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                    tuple(sorted(r.to_text() for r in rrset))))
    return sorted(out)


def histogram(stats, name, **labels):
    """One histogram series of a `show stats` document (None when absent)."""
    for entry in stats.get("histograms", {}).get(name, []):
        if all(entry.get("labels", {}).get(k) == v for k, v in labels.items()):
            return entry
    return None


def upstream_label_matches(label, ip, port):
    """stoep labels an upstream `IP` (port 53) or `IP#port` / `IP:port`; accept any of these spellings."""
    if port == 53 and label == ip:
        return True
    return label in (f"{ip}#{port}", f"{ip}:{port}", f"[{ip}]:{port}")


def upstream_series(stats, kind, name, ip, port):
    """The value (counters, gauges) or entry (histograms) of a per-upstream series; 0 / None when absent."""
    for entry in stats.get(kind, {}).get(name, []):
        if upstream_label_matches(entry.get("labels", {}).get("upstream", ""), ip, port):
            return entry if kind == "histograms" else entry["value"]
    return None if kind == "histograms" else 0


class DnsStoep(Stoep):
    """A running stoep with a dnsmasq.conf, in its own directory (the suite's Stoep, started from a
    dnsmasq.conf text). Its log (stdout+stderr) is a file."""

    def __init__(self, workdir, backend, binary=None):
        Path(workdir).mkdir(parents=True, exist_ok=True)
        super().__init__(workdir, backend)
        self.binary = Path(binary or BINARY)
        self.conf_path = self.workdir / "dnsmasq.conf"
        self.port = None

    def start(self, conf, port=None, extra_args=()):
        """Writes `conf` (text; `port=` is added unless present) and starts stoep; returns the DNS port."""
        if "port=" not in conf:
            port = port or free_port()
            conf = f"port={port}\n" + conf
        else:
            port = int([l for l in conf.splitlines() if l.startswith("port=")][0].split("=", 1)[1])
        self.port = port
        self.conf_path.write_text(conf)
        super().start("--dnsmasq-conf", str(self.conf_path), *extra_args, binary=self.binary)
        return port

    def log_lines(self):
        """Log lines without the timestamp prefix."""
        out = []
        for line in self.log_text().splitlines():
            head, _, rest = line.partition(" ")
            out.append(rest if head[:2] == "20" and head.endswith("Z") else line)
        return out

    def counter(self, name, **labels):
        return series(self.stats(), "counters", name, **labels)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class DnsmasqUpstream:
    """A real dnsmasq on 127.0.0.1:port answering its own local data (`options`: extra --flags).

    It logs queries to a file, so tests can see what reached it. `local-ttl` is 300 so answers can be
    cached downstream; `local=/up.test/` (when `local_domain` is given) makes unknown names NXDOMAIN.
    """

    def __init__(self, workdir, options=(), local_ttl=300, port=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log_path = self.workdir / f"dnsmasq-{self.port}.log"
        cmd = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--port={self.port}",
               "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root",
               f"--pid-file={self.workdir / f'dnsmasq-{self.port}.pid'}", f"--local-ttl={local_ttl}",
               "--log-queries", f"--log-facility={self.log_path}", *options]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ok = wait_until(self._answers, timeout=5, step=0.05)
        if not ok:
            self.close()
            raise RuntimeError("dnsmasq upstream did not come up: " + self.proc.stderr.read().decode(errors="replace"))

    def _answers(self):
        if self.proc.poll() is not None:
            return True
        try:
            ask(self.port, "probe.invalid", timeout=0.3)
            return True
        except Exception:
            return False

    def queries(self, name=None):
        """`query[...]` lines it logged (optionally only those for `name`)."""
        if not self.log_path.exists():
            return []
        lines = [l for l in self.log_path.read_text(errors="replace").splitlines() if " query[" in l]
        lines = [l for l in lines if "probe.invalid" not in l]
        if name:
            lines = [l for l in lines if f" {name} from " in l]
        return lines

    def close(self):
        stop_process(self.proc, 5)


class ReferenceDnsmasq:
    """dnsmasq 2.90 itself, the reference the compare tests hold stoep to, on a whole configuration text
    (`text` names its own port=), written to workdir/dnsmasq.conf, logging to workdir/dnsmasq.log. Returns
    once dnsmasq has logged its start line; `close()` (or leaving a `with` block) stops it."""

    def __init__(self, workdir, text):
        workdir = Path(workdir)
        conf = workdir / "dnsmasq.conf"
        conf.write_text(text)
        self.log_path = workdir / "dnsmasq.log"
        self.proc = subprocess.Popen(["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", "--user=root",
                                      f"--pid-file={workdir / 'dm.pid'}", f"--log-facility={self.log_path}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started = wait_until(lambda: self.log_path.exists() and "started, version 2.90" in self.log_path.read_text(),
                             timeout=5)
        if not started:
            self.close()
            raise AssertionError("dnsmasq 2.90 did not start: " + self.proc.stderr.read().decode(errors="replace"))

    def close(self):
        stop_process(self.proc, 5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeUpstream:
    """A scripted DNS server on 127.0.0.1:port, UDP and TCP, each in a daemon thread.

    behaviour:
      "answer"   — names in `records` ({name: [(type, rdata), ...]}) get those records (TTL `ttl`); other
                   names NXDOMAIN with an SOA in the authority section (minimum `neg_ttl`).
      "silent"   — never answers (still records what it received).
      "servfail" / "refused" — that rcode.
      "truncate" — over UDP a reply with TC=1 and no records; over TCP the full answer.
      "confuse"  — over UDP first a reply with another ID, then one with the right ID but another
                   question (both carrying 6.6.6.6), then the right answer.
    `delay`: seconds to wait before answering (UDP only).
    `ad`: set AD on full answers and copy the query's DO bit (a validating resolver's answer).
    Every query received is appended to `seen` as a dict (transport, id, sport, name, type, do, payload, t).
    """

    def __init__(self, behaviour="answer", records=None, ttl=300, neg_ttl=60, delay=0.0, host="127.0.0.1",
                 port=0, neg_soa=True, ad=False):
        self.behaviour = behaviour
        self.ad = ad
        self.records = {dns.name.from_text(k).canonicalize(): v for k, v in (records or {}).items()}
        self.ttl = ttl
        self.neg_ttl = neg_ttl
        self.delay = delay
        self.host = host
        self.neg_soa = neg_soa
        self.seen = []
        self.running = True
        for _ in range(50):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self.udp = socket.socket(family, socket.SOCK_DGRAM)
            self.udp.bind((host, port))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(family, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind((host, self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
                if port:
                    raise
        self.tcp.listen(64)
        self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
                        threading.Thread(target=self._tcp_loop, daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def address(self):
        return f"{self.host}#{self.port}"

    def _record(self, q, transport, sport):
        opt_do = bool(q.ednsflags & dns.flags.DO) if q.edns >= 0 else False
        self.seen.append({"transport": transport, "id": q.id, "sport": sport,
                          "name": q.question[0].name.to_text().lower() if q.question else "",
                          "type": dns.rdatatype.to_text(q.question[0].rdtype) if q.question else "",
                          "do": opt_do, "edns": q.edns, "payload": q.payload if q.edns >= 0 else None,
                          "t": time.time()})

    def _full_answer(self, q):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA | dns.flags.RA
        if self.ad:
            r.flags |= dns.flags.AD
            if q.edns >= 0 and q.ednsflags & dns.flags.DO:
                r.ednsflags |= dns.flags.DO
        name = q.question[0].name
        rdtype = q.question[0].rdtype
        data = self.records.get(name.canonicalize())
        if data is None:
            r.set_rcode(dns.rcode.NXDOMAIN)
            if not self.neg_soa:
                return r
            r.authority.append(dns.rrset.from_text(
                name.parent() if len(name) > 1 else name, self.neg_ttl, "IN", "SOA",
                f"ns.fake. host.fake. 1 3600 600 86400 {self.neg_ttl}"))
            return r
        wanted = [rd for (t, rd) in data if dns.rdatatype.from_text(t) == rdtype]
        if wanted:
            r.answer.append(dns.rrset.from_text(name, self.ttl, "IN", rdtype, *wanted))
        elif self.neg_soa:
            r.authority.append(dns.rrset.from_text(
                name, self.neg_ttl, "IN", "SOA", f"ns.fake. host.fake. 1 3600 600 86400 {self.neg_ttl}"))
        return r

    def _replies(self, q, transport):
        """The wire replies to send, in order."""
        b = self.behaviour
        if b == "silent":
            return []
        if b in ("servfail", "refused"):
            r = dns.message.make_response(q)
            r.set_rcode(dns.rcode.SERVFAIL if b == "servfail" else dns.rcode.REFUSED)
            return [r.to_wire()]
        full = self._full_answer(q)
        if b == "truncate" and transport == "udp":
            r = dns.message.make_response(q)
            r.flags |= dns.flags.TC
            return [r.to_wire()]
        if b == "confuse" and transport == "udp":
            bad_id = dns.message.make_response(q)
            bad_id.id = (q.id + 1) & 0xFFFF
            bad_id.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", "A", "6.6.6.6"))
            other = dns.message.make_query("other.confuse.test.", "A")
            other.id = q.id
            other_r = dns.message.make_response(other)
            other_r.answer.append(dns.rrset.from_text("other.confuse.test.", 300, "IN", "A", "6.6.6.6"))
            return [bad_id.to_wire(), other_r.to_wire(), full.to_wire()]
        return [full.to_wire(max_size=65535)]

    def _udp_loop(self):
        while self.running:
            try:
                r, _, _ = select.select([self.udp], [], [], 0.05)
            except (OSError, ValueError):  # closed (close(), or a test that closes one side)
                return
            if not r:
                continue
            try:
                data, addr = self.udp.recvfrom(65535)
            except OSError:
                return
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            self._record(q, "udp", addr[1])
            replies = self._replies(q, "udp")
            if self.delay:
                threading.Timer(self.delay, self._send_all, args=(replies, addr)).start()
            else:
                self._send_all(replies, addr)

    def _send_all(self, replies, addr):
        for wire in replies:
            try:
                self.udp.sendto(wire, addr)
            except OSError:
                pass

    def _tcp_loop(self):
        while self.running:
            try:
                r, _, _ = select.select([self.tcp], [], [], 0.05)
            except (OSError, ValueError):  # closed (close(), or a test that closes one side)
                return
            if not r:
                continue
            try:
                conn, addr = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn, addr), daemon=True).start()

    def _tcp_conn(self, conn, addr):
        conn.settimeout(5)
        buf = b""
        try:
            while self.running:
                chunk = conn.recv(65535)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
                    n = int.from_bytes(buf[:2], "big")
                    data, buf = buf[2:2 + n], buf[2 + n:]
                    q = dns.message.from_wire(data)
                    self._record(q, "tcp", addr[1])
                    for wire in self._replies(q, "tcp"):
                        conn.sendall(len(wire).to_bytes(2, "big") + wire)
        except (OSError, dns.exception.DNSException):
            return
        finally:
            conn.close()

    def queries(self, name=None, transport=None):
        return [s for s in self.seen if (name is None or s["name"] == name.lower().rstrip(".") + ".")
                and (transport is None or s["transport"] == transport)]

    def close(self):
        self.running = False
        for t in self.threads:
            t.join(1)
        self.udp.close()
        self.tcp.close()


# --- fixtures (import them into a test module to use them) ---------------------------------------------

@pytest.fixture
def dns_stoep(tmp_path, backend):
    """A DnsStoep for this test (not started); stopped afterwards; it must not have died meanwhile."""
    s = DnsStoep(tmp_path / "stoep", backend)
    yield s
    died = s.proc is not None and s.proc.poll() is not None
    s.stop()
    log = s.log_path.read_text(errors="replace") if s.log_path.exists() else ""
    assert not died, "stoep died during the test: " + log[-2000:]
    assert "fatal" not in log.lower(), log[-2000:]


@pytest.fixture
def fakes():
    """Creates FakeUpstreams on demand and closes them all after the test."""
    made = []

    def make(*args, **kw):
        u = FakeUpstream(*args, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request):
    return request.param


class IdleProbe:
    """An idle TCP connection to a stoep DNS port, and when it was closed by the server."""

    def __init__(self, port):
        self.opened = time.time()
        self.closed_at = None
        self.conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.conn.settimeout(20)
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        try:
            data = self.conn.recv(10)
            self.closed_at = time.time() if data == b"" else -1.0
        except ConnectionResetError:
            self.closed_at = time.time()
        except OSError:
            self.closed_at = -1.0


@pytest.fixture(scope="session")
def idle_probes(tmp_path_factory):
    """One stoep per backend with one idle TCP connection each, opened as early as the session allows, so
    the idle-timeout test (10 s) waits in parallel with the rest of the suite."""
    started = {}
    probes = {}
    for b in BACKENDS:
        s = DnsStoep(tmp_path_factory.mktemp(f"idle-{b}"), b)
        s.start("listen-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/idle.lan/10.9.9.9\n")
        started[b] = s
        probes[b] = IdleProbe(s.port)
    yield probes
    for s in started.values():
        s.stop()
