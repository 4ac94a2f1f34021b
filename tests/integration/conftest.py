"""Fixtures that start the real stoep binary and talk to it with real clients over loopback."""
import json
import os
import resource
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / ".build" / "release" / "stoep"
BACKENDS = ["io_uring", "epoll"]


def free_port(kind=socket.SOCK_STREAM):
    """A port that is free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, other) as s:
                s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def stats_query(path, command, timeout=5.0):
    """One stats-socket exchange: send a command line, read the JSON document to EOF."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return json.loads(b"".join(chunks))


def series(stats, kind, name, **labels):
    """The value of one registry series from a `show stats` document (0 when absent)."""
    for entry in stats.get(kind, {}).get(name, []):
        if all(entry.get("labels", {}).get(k) == v for k, v in labels.items()):
            return entry["value"]
    return 0


def poll_until(predicate, timeout, what, step=0.1):
    """Calls `predicate` every `step` seconds until it returns something truthy, and returns that; raises
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s: {what}")


def stop_process(proc, timeout):
    """SIGTERM to `proc` (nothing if it has exited), then SIGKILL if it has not exited within `timeout`
    seconds; returns once it has been reaped."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class Stoep:
    """A running stoep process in its own directory, with its own stats socket."""

    def __init__(self, workdir, backend):
        self.workdir = Path(workdir)
        self.backend = backend
        self.sock = self.workdir / "stoep.sock"
        self.proc = None
        self.log_path = self.workdir / "stoep.log"

    def write_config(self, text, name="stoep.toml"):
        path = self.workdir / name
        path.write_text(text)
        return path

    def start(self, *args, config=None, wait_for=None, binary=None, nofile=None):
        """`nofile`: RLIMIT_NOFILE of the new process (`ulimit -n` before it starts)."""
        cmd = [str(binary or BINARY), "run", "--backend", self.backend, "--stats-socket", str(self.sock)]
        if config is not None:
            cmd += ["--config", str(config)]
        cmd += list(args)
        self.log = open(self.log_path, "ab")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stoep exited with {self.proc.returncode}: {self.log_text()}")
            try:
                info = stats_query(self.sock, "show info", timeout=1)
                if wait_for is None or wait_for():
                    return info
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError("stoep did not come up: " + self.log_text())

    def log_text(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stats(self, command="show stats"):
        return stats_query(self.sock, command)

    @property
    def pid(self):
        return self.proc.pid

    def threads(self):
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def rss_kib(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc:
            stop_process(self.proc, timeout)
            self.log.close()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def stoep(tmp_path, backend):
    s = Stoep(tmp_path, backend)
    yield s
    s.stop()
    log = s.log_path.read_text(errors="replace") if s.log_path.exists() else ""
    assert "fatal" not in log.lower(), log


def pytest_configure(config):
    assert BINARY.exists(), f"{BINARY} missing: run `make build` first"
    # `make test` runs -m "not slow" (the budget: ~9 min of integration on 2 cores); `make test-slow` runs -m slow.
    # Every feature keeps a fast test in `make test`; what is slow is the long form (the container image build, a
    # real renewal, 4 GiB and soak-like runs, an extra Traefik start) or the second backend's run of a heavy test.
    config.addinivalue_line("markers", "slow: runs in `make test-slow` only (minutes of waiting or bulk bytes)")
    config.addinivalue_line("markers", "heavy: a backend-sensitive but heavy test: its io_uring run is in `make test`, "
                            "its epoll run is marked slow")


def pytest_collection_modifyitems(config, items):
    """`heavy` tests: the runs on backends other than the first (io_uring) are `slow`."""
    for item in items:
        spec = getattr(item, "callspec", None)
        if not item.get_closest_marker("heavy") or spec is None:
            continue
        # The backend comes from the `backend` fixture or a module fixture parametrised by backend (`peers`).
        backend = next((v for v in spec.params.values() if isinstance(v, str) and v in BACKENDS), BACKENDS[0])
        if backend != BACKENDS[0]:
            item.add_marker(pytest.mark.slow)
