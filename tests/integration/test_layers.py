"""Layers, one direction (docs/architecture.md): only the Reactor touches the C shims and the kernel's
file and socket calls. Every module above it (Config, Stats, DNS, Proxy, Discovery, the stoep executable,
the fuzz driver) goes through the Reactor's types — FileDescriptor, Errno, Transport, DatagramSocket,
readWholeFile, SocketAddress.resolving (getaddrinfo), NetworkInterface (getifaddrs) — so a kernel quirk is handled in one place and a new workload cannot grow its own copy.

This reads Sources/ (no binary needed): comments and string literals are ignored, and a call counts as
raw when its first argument is unlabelled (Swift methods of ours take labels or no arguments).
"""
import re
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parents[2] / "Sources"
# The Reactor and the C modules below it; everything else is above the Reactor.
BELOW = {"Reactor", "CStoep", "CStoepTLS", "CPCRE2", "CYAML", "CCrypt", "CNGHTTP2"}
SHIMS = ("CStoep", "CStoepTLS")
# The raw calls and how many arguments each takes at least (all of them unlabelled, unlike our methods).
RAW_CALLS = {
    "recv": 4, "recvfrom": 6, "recvmsg": 3, "recvmmsg": 5, "send": 4, "sendto": 6, "sendmsg": 3, "sendmmsg": 4,
    "read": 3, "write": 3, "readv": 3, "writev": 3, "pread": 4, "pwrite": 4, "open": 2, "openat": 3, "creat": 2,
    "close": 1, "fcntl": 2, "ioctl": 2, "socket": 3, "connect": 3, "bind": 3, "listen": 2, "accept": 3,
    "accept4": 4, "shutdown": 2, "setsockopt": 5, "getsockopt": 5, "getsockname": 3, "getpeername": 3,
    "splice": 6, "pipe": 1, "pipe2": 2, "dup": 1, "dup2": 2,
    # Name resolution and interface listing: SocketAddress.resolving and NetworkInterface.all are their homes.
    "getaddrinfo": 4, "freeaddrinfo": 1, "getifaddrs": 1, "freeifaddrs": 1,
}

# The pure modules beside the stack: bytes or values in, values out; no socket, no loop, no file. Each may
# import only what it computes with (Glibc for the C types; the raw-call check above still applies).
PURE = {
    "HTTP": set(),
    "JSON": set(),
    "Rules": {"HTTP", "CPCRE2"},
    "PKI": {"COpenSSL"},   # keys, signatures, certificates on libcrypto; files go through the Reactor above it
}
IMPORT = re.compile(r"^\s*(?:@testable\s+)?import\s+(\w+)", re.M)

IMPORT_SHIM = re.compile(r"^\s*(?:@testable\s+)?import\s+(%s)\b" % "|".join(SHIMS), re.M)
CALL = re.compile(r"(?<![\w.])(?:Glibc\s*\.\s*)?(%s)\s*\(" % "|".join(RAW_CALLS))
# errno read directly: not `error.errno` (SystemError's field) nor an `errno:` argument label.
ERRNO = re.compile(r"(?<![\w.])errno\b(?!\s*:)|\bGlibc\s*\.\s*errno\b")


def arguments(code, open_paren):
    """The top-level arguments of the call whose "(" is at `open_paren`, and whether any is labelled."""
    depth, start, args, labelled = 0, open_paren + 1, [], False
    for i in range(open_paren, len(code)):
        c = code[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                last = code[start:i].strip()
                if last:
                    args.append(last)
                return args, labelled
        elif depth == 1 and c == ",":
            args.append(code[start:i].strip())
            start = i + 1
        elif depth == 1 and c == ":" and not code.startswith("::", i):
            labelled = True
    return args, labelled


def raw_calls(code):
    """(offset, name) of each call shaped like the raw syscall: Glibc-qualified, or with at least as many
    arguments as the syscall takes and none labelled. A declaration (`func write(into…`) never is."""
    for m in CALL.finditer(code):
        name = m.group(1)
        before = code[max(0, m.start() - 6):m.start()]
        if re.search(r"\b(func|case)\s+$", before):
            continue
        args, labelled = arguments(code, m.end() - 1)
        if "Glibc" in m.group(0) or (not labelled and len(args) >= RAW_CALLS[name]):
            yield m.start(), name


def code_only(text):
    """`text` with comments and the literal parts of strings blanked out; string interpolations stay, they
    are code. Newlines are kept, so line numbers hold."""
    out, i, n = [], 0, len(text)

    def string(i, quote):
        """Skips the literal from its opening quote at `i`; returns where it ends, interpolations kept."""
        i += len(quote)
        while i < n and not text.startswith(quote, i):
            if text.startswith("\\(", i):
                depth, j = 1, i + 2
                while j < n and depth:
                    depth += {"(": 1, ")": -1}.get(text[j], 0)
                    j += 1
                out.append(" " + code_only(text[i + 2:j - 1]) + " ")
                i = j
            elif text[i] == "\\":
                i += 2
            else:
                if text[i] == "\n":
                    out.append("\n")
                i += 1
        out.append('""')
        return i + len(quote)

    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('"""', i):
            i = string(i, '"""')
        elif text[i] == '"':
            i = string(i, '"')
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def workload_files():
    for module in sorted(p for p in SOURCES.iterdir() if p.is_dir() and p.name not in BELOW):
        yield from sorted(module.rglob("*.swift"))


def findings():
    found = []
    for path in workload_files():
        text = path.read_text()
        for m in IMPORT_SHIM.finditer(text):
            found.append(f"{path.relative_to(SOURCES)}:{text.count(chr(10), 0, m.start()) + 1}: imports {m.group(1)}")
        code = code_only(text)
        for offset, name in raw_calls(code):
            found.append(f"{path.relative_to(SOURCES)}:{code.count(chr(10), 0, offset) + 1}: calls {name}()")
        for m in ERRNO.finditer(code):
            found.append(f"{path.relative_to(SOURCES)}:{code.count(chr(10), 0, m.start()) + 1}: reads errno")
    return found


def test_no_module_above_the_reactor_touches_the_kernel_or_the_shims():
    found = findings()
    assert not found, "raw syscalls above the Reactor (use its FileDescriptor/Transport/DatagramSocket API):\n" + "\n".join(found)


def test_pure_modules_import_only_what_they_compute_with():
    found = []
    for module, allowed in sorted(PURE.items()):
        for path in sorted((SOURCES / module).rglob("*.swift")):
            text = path.read_text()
            for m in IMPORT.finditer(code_only(text)):
                if m.group(1) not in allowed | {"Glibc"}:
                    found.append(f"{path.relative_to(SOURCES)}:{text.count(chr(10), 0, m.start()) + 1}: imports {m.group(1)}")
    assert not found, "a pure module imports a layer (it must stay bytes in, values out):\n" + "\n".join(found)


@pytest.mark.parametrize("snippet, caught", [
    ("let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK)) }", True),
    ("_ = Glibc.write(fd, p, n)", True),
    ("let fd = open(path, O_RDONLY | O_CLOEXEC)", True),
    ("defer { close(fd) }", True),
    ("_ = fcntl(1, F_SETFL, flags | O_NONBLOCK)", True),
    ("if errno == EINTR { continue }", True),
    ("import CStoep", True),
    ("guard getaddrinfo(host, nil, &hints, &res) == 0 else { return nil }", True),
    ("defer { freeaddrinfo(res) }", True),
    ("guard getifaddrs(&list) == 0 else { return [] }", True),
    ("defer { freeifaddrs(list) }", True),
    ("SocketAddress.resolving(host: host, port: port)", False),
    ("@testable import CStoepTLS", True),
    ("x.read(into: buffer)", False),
    ("close()", False),
    ("transport.write(bytes)", False),
    ("send(reply, to: peer, from: origin)", False),
    ("func write(into out: inout [UInt8]) {", False),
    ("case socket(Errno)", False),
    ("for item in items { write(item, &w) }", False),
    ("throw SystemError(\"send\", errno: e)", False),
    ("fail(.socket(error.errno))", False),
    ("// recv(fd, buf, 1, 0) in a comment", False),
    ("log(\"close(fd) in a string \\(x)\")", False),
    ("throw E(\"cannot: \\(String(cString: strerror(errno)))\")", True),
])
def test_the_check_itself(snippet, caught):
    """The patterns catch the raw forms and leave the Reactor's own API and our methods alone."""
    code = code_only(snippet)
    hit = bool(IMPORT_SHIM.search(snippet) or list(raw_calls(code)) or ERRNO.search(code))
    assert hit == caught, snippet
