"""Hostile and malformed packets over the wire, UDP and TCP: the process stays up, answers FORMERR /
NOTIMP / BADVERS or drops, and never replies with more than the query + 11 bytes (no amplification).
The corpus is Tests/DNSTests/MalformedPacketCorpus.swift's, as hex; the same packets are the fuzzer's seed
files in tests/fuzz/dns/ (test_seed_files_match_the_corpus keeps the two in step)."""
import re
import socket
import struct
import time
from pathlib import Path

import dns.rcode
import pytest

pytest.register_assert_rewrite("dns_upstream")
from dns_upstream import DnsStoep, FakeUpstream, ask

pytest_plugins = ["dns_upstream"]
pytestmark = pytest.mark.usefixtures("idle_probes")

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fuzz" / "dns"
SWIFT_CORPUS = ROOT / "Tests" / "DNSTests" / "MalformedPacketCorpus.swift"

HEADER = "beef 0100 0001 0000 0000 0000"
HEADER_OPT = "beef 0100 0001 0000 0000 0001"
Q = "01 61 04 74657374 00 0001 0001"
OPT = "00 0029 04d0 00000000 0000"
DROP = None
FORMERR, NOTIMP, BADVERS = 1, 4, 16

# (seed file name, hex, expected rcode or DROP)
CORPUS = [
    ("empty-packet", "", DROP),
    ("11-byte-header", "beef 0100 0001 0000 0000 00", DROP),
    ("response-qr1", "beef 8180 0001 0000 0000 0000" + Q, DROP),
    ("response-error-rcode", "beef 8183 0001 0000 0000 0000" + Q, DROP),
    ("opcode-2-status", "beef 1100 0001 0000 0000 0000" + Q, NOTIMP),
    ("opcode-5-update", "beef 2800 0001 0000 0000 0000" + Q, NOTIMP),
    ("qdcount-0", "beef 0100 0000 0000 0000 0000", FORMERR),
    ("qdcount-2", "beef 0100 0002 0000 0000 0000" + Q + Q, FORMERR),
    ("pointer-to-itself", HEADER + "c00c 0001 0001", FORMERR),
    ("forward-pointer", HEADER + "c00e 01 61 00 0001 0001", FORMERR),
    ("pointer-into-header", HEADER + "c002 0001 0001", FORMERR),
    ("label-length-64", HEADER + "40" + "61" * 64 + "00 0001 0001", FORMERR),
    ("reserved-label-type-0x80", HEADER + "81 61 00 0001 0001", FORMERR),
    ("name-longer-than-255", HEADER + ("3f" + "62" * 63) * 5 + "00 0001 0001", FORMERR),
    ("name-without-root-label", HEADER + "01 61 04 74657374", FORMERR),
    ("question-without-type-class", HEADER + "01 61 04 74657374 00 00", FORMERR),
    ("trailing-garbage", HEADER + Q + "dead", FORMERR),
    ("arcount-1-without-record", HEADER_OPT + Q, FORMERR),
    ("truncated-opt-fixed-part", HEADER_OPT + Q + "00 0029 04d0 00", FORMERR),
    ("opt-rdlength-past-end", HEADER_OPT + Q + "00 0029 04d0 00000000 0008 000a 0004", FORMERR),
    ("opt-option-overruns-rdata", HEADER_OPT + Q + "00 0029 04d0 00000000 0004 000a 0008", FORMERR),
    ("two-opt-records", "beef 0100 0001 0000 0000 0002" + Q + OPT + OPT, FORMERR),
    ("opt-not-owned-by-root", HEADER_OPT + Q + "01 61 00 0029 04d0 00000000 0000", FORMERR),
    ("garbage-after-opt", HEADER_OPT + Q + OPT + "00", FORMERR),
    ("edns-version-1", HEADER_OPT + Q + "00 0029 04d0 00 01 0000 0000", BADVERS),
    ("truncated-answer-record", "beef 0100 0001 0001 0000 0000" + Q + "c00c 0001", FORMERR),
    ("answer-rdlength-past-end", "beef 0100 0001 0001 0000 0000" + Q + "c00c 0001 0001 00000000 0010 0a000001",
     FORMERR),
]

# Not in the Swift corpus: hostile shapes a fuzzer and an amplification attacker would try.
EXTRA = [
    ("ptr-loop-in-answer", "beef 0100 0001 0001 0000 0000" + Q + "c01d 0001 0001 00000000 0000", FORMERR),
    ("max-udp-garbage", "ff" * 4096, "any"),
]


def packet(hex_text):
    return bytes.fromhex(hex_text.replace(" ", ""))


def rcode_of(reply):
    rc = reply[3] & 0x0F
    # BADVERS needs the OPT's extended rcode; read it from the last 11 bytes when ARCOUNT > 0.
    if len(reply) >= 23 and (reply[10] << 8 | reply[11]) >= 1 and reply[-11] == 0 and reply[-10:-8] == b"\x00\x29":
        rc |= reply[-6] << 4
    return rc


@pytest.fixture(scope="module")
def server(module_backend, tmp_path_factory):
    """stoep with local data and a forwarding upstream, so every path a packet could take exists. One per
    backend for the whole module; it must survive every packet."""
    up = FakeUpstream(records={"a.test": [("A", "192.0.2.1")]})
    s = DnsStoep(tmp_path_factory.mktemp(f"malformed-{module_backend}"), module_backend)
    port = s.start(f"listen-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/local.lan/10.0.0.1\n"
                   f"server={up.address}\n")
    yield s, port
    alive = s.alive()
    s.stop()
    up.close()
    assert alive, s.log_path.read_text(errors="replace")[-2000:]


def udp_exchange(port, wire, timeout=0.2):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.send(wire)
        replies = []
        try:
            while True:
                replies.append(s.recv(65535))
                s.settimeout(0.05)
        except (socket.timeout, ConnectionRefusedError):
            pass
        return replies


def tcp_exchange(port, wire, timeout=1.0):
    """One framed message on a fresh connection; returns (replies, closed_by_server)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        buf = b""
        closed = False
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                s.settimeout(max(0.01, min(0.3, deadline - time.time())))
                chunk = s.recv(65535)
            except socket.timeout:
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
            if len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
                break  # one whole reply: that is all a single query may get
        replies = []
        while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
            n = int.from_bytes(buf[:2], "big")
            replies.append(buf[2:2 + n])
            buf = buf[2 + n:]
        return replies, closed


@pytest.mark.parametrize("name,hex_text,expected", CORPUS + EXTRA, ids=[c[0] for c in CORPUS + EXTRA])
def test_malformed_over_udp(server, name, hex_text, expected):
    s, port = server
    wire = packet(hex_text)
    replies = udp_exchange(port, wire)
    assert len(replies) <= 1
    for reply in replies:
        assert len(reply) <= len(wire) + 11, f"amplification: {len(wire)} -> {len(reply)} bytes"
        assert reply[:2] == wire[:2]  # the query's ID
    if expected is DROP:
        assert replies == []
    elif expected == "any":
        pass
    elif isinstance(expected, int):
        assert replies and rcode_of(replies[0]) == expected, replies
    assert s.alive()


@pytest.mark.parametrize("name,hex_text,expected", CORPUS + EXTRA, ids=[c[0] for c in CORPUS + EXTRA])
def test_malformed_over_tcp(server, name, hex_text, expected):
    s, port = server
    wire = packet(hex_text)
    replies, _ = tcp_exchange(port, wire)
    assert len(replies) <= 1
    for reply in replies:
        assert len(reply) <= len(wire) + 11, f"amplification: {len(wire)} -> {len(reply)} bytes"
    if expected is DROP:
        assert replies == []
    elif isinstance(expected, int):
        assert replies and rcode_of(replies[0]) == expected, replies
    assert s.alive()


def test_still_serving_after_the_whole_corpus(server):
    s, port = server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:  # the corpus three times, back to back
        u.connect(("127.0.0.1", port))
        for _ in range(3):
            for _, hex_text, _ in CORPUS + EXTRA:
                u.send(packet(hex_text))
    with socket.create_connection(("127.0.0.1", port), timeout=2) as c:  # everything on one TCP stream
        c.sendall(b"".join(struct.pack("!H", len(packet(h))) + packet(h) for _, h, _ in CORPUS))
        time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as c:  # a length prefix that never completes
        c.sendall(b"\xff\xff" + b"x" * 100)
    assert s.alive()
    assert [r.to_text() for rr in ask(port, "x.local.lan").answer for r in rr] == ["10.0.0.1"]
    assert [r.to_text() for rr in ask(port, "a.test", tcp=True).answer for r in rr] == ["192.0.2.1"]


def test_seed_files_match_the_corpus():
    """tests/fuzz/dns/ holds one seed per corpus packet, and the Swift corpus has no case we lack."""
    for name, hex_text, _ in CORPUS + EXTRA:
        assert (SEEDS / f"malformed-{name}.bin").read_bytes() == packet(hex_text), name
    if SWIFT_CORPUS.exists():
        swift_cases = re.findall(r'Case\(name: "', SWIFT_CORPUS.read_text())
        assert len(swift_cases) == len(CORPUS)


def write_seed_files():
    """Regenerates the seed files: python test_dns_malformed.py (pytest and dnspython importable)."""
    SEEDS.mkdir(parents=True, exist_ok=True)
    for name, hex_text, _ in CORPUS + EXTRA:
        (SEEDS / f"malformed-{name}.bin").write_bytes(packet(hex_text))


if __name__ == "__main__":
    write_seed_files()
