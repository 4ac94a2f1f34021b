"""Every field of a DNS reply, for the side-by-side tests against dnsmasq 2.90: the whole header (QR, opcode,
AA, TC, RD, RA, Z, AD, CD, rcode with its EDNS upper bits), the four section counts as sent, each section's
records (owner, type, class, TTL, data) and the EDNS record (version, UDP payload size, flags, options).

Queries are built with dnspython in the variants the tests send (with and without EDNS, RD set and clear,
DO+CD, AD); replies are fetched as raw bytes over UDP, over TCP one query per connection, and pipelined: a
batch written at once on one TCP connection, replies matched to queries by ID (RFC 7766 allows any order).
Everything is loopback and every wait is bounded.

`run_all` sends a list of cases in every variant over every transport; `compare` turns dnsmasq's reply into
the reply stoep must give (the deliberate differences that hold for every configuration are applied here,
the test's own through its `override` function) and lists what differs."""
import itertools
import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

# name: (EDNS payload or None, RD, DO, CD, AD)
VARIANTS = {
    "plain": (None, True, False, False, False),
    "edns": (1232, True, False, False, False),
    "no-rd": (None, False, False, False, False),
    "do-cd": (4096, True, True, True, False),
    "ad": (600, True, False, False, True),
}


def make_query(name, rdtype, variant, qid):
    """The wire bytes of one query; `rdtype` is a mnemonic or a number (meta-types have no dnspython class)."""
    payload, rd, do, cd, ad = VARIANTS[variant]
    q = dns.message.make_query(name, dns.rdatatype.RdataType.make(rdtype), use_edns=False if payload is None else 0,
                               payload=payload or 1232, want_dnssec=do)
    q.id = qid
    q.flags = (q.flags & ~dns.flags.RD) | (dns.flags.RD if rd else 0) | (dns.flags.CD if cd else 0) \
        | (dns.flags.AD if ad else 0)
    return q.to_wire()


def query_has_edns(variant):
    return VARIANTS[variant][0] is not None


def exchange_udp(port, wire, timeout=2.0):
    """One datagram from a connected socket; the reply bytes, or None after `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.send(wire)
        try:
            return s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None


def exchange_tcp(port, wires, timeout=3.0):
    """Writes every query of `wires` at once on one connection (pipelining when there are several) and reads
    until each has a reply or `timeout` passes; returns the replies in query order (None where none came),
    matched by message ID, which the caller keeps unique within the batch."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"".join(struct.pack(">H", len(w)) + w for w in wires))
        by_id, buf = {}, b""
        s.settimeout(timeout)
        while len(by_id) < len(wires):
            try:
                chunk = s.recv(65535)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                reply, buf = buf[2:2 + n], buf[2 + n:]
                by_id[struct.unpack(">H", reply[:2])[0]] = reply
    return [by_id.get(struct.unpack(">H", w[:2])[0]) for w in wires]


def _records(section):
    """(owner, type, class, TTL, sorted data) per RRset, in the order the RRsets appear."""
    return [(r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype), dns.rdataclass.to_text(r.rdclass), r.ttl,
             tuple(sorted(x.to_text() for x in r))) for r in section]


def fields(wire):
    """A dict of every field of the reply `wire` (None stays None)."""
    if wire is None:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", wire[:12])
    m = dns.message.from_wire(wire, ignore_trailing=False)
    edns = None
    if m.edns >= 0:
        edns = {"version": m.edns, "payload": m.payload, "do": bool(m.ednsflags & dns.flags.DO),
                "flags": m.ednsflags & 0xFFFF, "options": [o.to_text() for o in m.options]}
    return {
        "id": qid, "qr": bool(flags & 0x8000), "opcode": dns.opcode.to_text((flags >> 11) & 0xF),
        "aa": bool(flags & 0x0400), "tc": bool(flags & 0x0200), "rd": bool(flags & 0x0100),
        "ra": bool(flags & 0x0080), "z": bool(flags & 0x0040), "ad": bool(flags & 0x0020),
        "cd": bool(flags & 0x0010), "rcode": dns.rcode.to_text(m.rcode()),
        "qd": qd, "an": an, "ns": ns, "ar": ar,
        # The question exactly as echoed, letter case included.
        "question": [(q.name.to_text(), dns.rdatatype.to_text(q.rdtype), dns.rdataclass.to_text(q.rdclass))
                     for q in m.question],
        "answer": _records(m.answer), "authority": _records(m.authority), "additional": _records(m.additional),
        "edns": edns,
    }


def without_ttls(f):
    """`f` with the TTLs blanked (forwarded and cached answers count down; the tests compare those separately)."""
    if f is None:
        return None
    out = dict(f)
    for section in ("answer", "authority", "additional"):
        out[section] = [(n, t, c, None, d) for n, t, c, _, d in f[section]]
    return out


def ttls(f):
    return [r[3] for section in ("answer", "authority", "additional") for r in f[section]]


def differences(want, got):
    """The fields that differ, as readable lines ([] when equal)."""
    if want is None or got is None:
        return [] if want is got else [f"reply: want {'none' if want is None else 'one'}, got "
                                       f"{'none' if got is None else 'one'}"]
    return [f"{k}: want {want[k]!r}, got {got.get(k)!r}" for k in want if want[k] != got.get(k)]


TRANSPORTS = ("udp", "tcp", "pipelined")
PIPELINE_DEPTH = 15  # queries per pipelined connection (dnsmasq closes a connection after 100)


def queries(cases):
    """(transport, case, variant, wire) for every case in every variant over every transport, in the order
    both servers get them. A case is (name, type, kind); IDs are unique within the run."""
    qid = itertools.count(1)
    return [(transport, case, variant, make_query(case[0], case[1], variant, next(qid) & 0xFFFF))
            for transport in TRANSPORTS for case in cases for variant in VARIANTS]


def run_all(port, cases):
    """Sends every query of `queries(cases)` to 127.0.0.1:port. Returns {"sent", "replies" (bytes or None),
    "earlier" (per query: whether an earlier query on its pipelined connection had EDNS)}."""
    sent = queries(cases)
    replies, earlier = [None] * len(sent), [False] * len(sent)
    pipelined = [i for i, q in enumerate(sent) if q[0] == "pipelined"]
    for i, (transport, _, _, wire) in enumerate(sent):
        if transport == "udp":
            replies[i] = exchange_udp(port, wire)
        elif transport == "tcp":
            replies[i] = exchange_tcp(port, [wire])[0]
    for start in range(0, len(pipelined), PIPELINE_DEPTH):
        batch = pipelined[start:start + PIPELINE_DEPTH]
        for i, reply in zip(batch, exchange_tcp(port, [sent[i][3] for i in batch])):
            replies[i] = reply
        seen_edns = False
        for i in batch:
            earlier[i] = seen_edns
            seen_edns = seen_edns or query_has_edns(sent[i][2])
    return {"sent": sent, "replies": replies, "earlier": earlier}


def our_opt(variant):
    """The OPT record stoep puts in its answer to a query of `variant` (which had OPT)."""
    do = VARIANTS[variant][2]
    return {"version": 0, "payload": 1232, "do": do, "flags": 0x8000 if do else 0, "options": []}


def expected(case, variant, transport, reference, earlier_edns, override):
    """What stoep must answer, from dnsmasq's reply `reference`, and the names of the deliberate differences
    applied (docs/dns.md, "Deliberate differences from dnsmasq 2.90"). `override(case, variant, reference)`
    gives the test's own: (fields to replace, rule name) or ({}, None)."""
    name, qtype, _ = case
    want = dict(reference)
    changes, rule = override(case, variant, reference)
    want.update(changes)
    rules = {rule} if rule else set()
    if transport == "pipelined" and not query_has_edns(variant) and earlier_edns and want["edns"] is not None:
        # dnsmasq remembers that an earlier query on the connection had EDNS (tcp_request's have_pseudoheader
        # is never reset) and adds an OPT record to later answers whose query had none; stoep answers each
        # query by its own OPT.
        want["edns"] = None
        want["ar"] -= 1
        rules.add("no OPT unasked on a TCP connection")
    if query_has_edns(variant) and want["edns"] is None and (qtype == "TKEY" or reference["tc"]):
        # dnsmasq sends no OPT record with answers to TKEY questions (it takes them for GSS-TSIG signed and
        # leaves them alone, edns0.c find_pseudoheader) nor with a truncated forwarded answer (process_reply
        # drops it with the records); stoep answers every query that had OPT with its own (RFC 6891 7).
        want["edns"] = our_opt(variant)
        want["ar"] += 1
        rules.add("OPT in every answer to a query with OPT")
    if transport == "udp" and reference["tc"] and reference["an"]:
        # A UDP answer that does not fit: dnsmasq sends the records that fit with TC=1, stoep only TC=1 (the
        # client retries over TCP and gets all of them; RFC 2181 9).
        want.update(an=0, ns=0, answer=[], authority=[], additional=[])
        want["ar"] = 1 if want["edns"] is not None else 0
        rules.add("TC answers without records")
    return want, rules


def compare(reference, run, transport, override, ttl_exact=lambda case: True):
    """(differences as lines, deliberate rules applied) for the queries sent over `transport`. TTLs are
    compared exactly where `ttl_exact(case)`, else within 5 s (forwarded and cached answers count down)."""
    problems, applied = [], set()
    for i, (tr, case, variant, _) in enumerate(reference["sent"]):
        if tr != transport:
            continue
        label = f"{transport} {case[0]} {case[1]} [{variant}]"
        ref, got = fields(reference["replies"][i]), fields(run["replies"][i])
        if ref is None:
            problems.append(f"{label}: dnsmasq did not answer")
            continue
        want, rules = expected(case, variant, transport, ref, reference["earlier"][i], override)
        applied |= rules
        if ttl_exact(case) or got is None:
            lines = differences(want, got)
        else:
            lines = differences(without_ttls(want), without_ttls(got))
            if not lines and any(abs(a - b) > 5 for a, b in zip(ttls(want), ttls(got))):
                lines = [f"TTLs: want {ttls(want)}, got {ttls(got)}"]
        problems += [f"{label}: {line}" for line in lines]
    return problems, applied
