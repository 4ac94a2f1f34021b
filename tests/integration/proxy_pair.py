"""Traefik 3.7 and stoep on the same static and dynamic configuration, each with its own entry-point
ports, for tests that compare what raw TCP and UDP clients see through both. Traefik is started once per
module (`TraefikRun`); stoep per test and reactor backend (`start_stoep`). In the YAML texts `{NAME}`
stands for entry point NAME's port, which differs between the two proxies."""
import re
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import free_port, stop_process
from traefik_peer import traefik_binary, wait_for_traefik, with_debug_log


def render(text, ports):
    return re.sub(r"\{([a-z0-9_]+)\}", lambda m: str(ports[m.group(1)]) if m.group(1) in ports else m.group(0), text)


def allocate(names_udp):
    """Ports for each entry point name; {name: udp?}."""
    return {n: free_port(socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) for n, udp in names_udp.items()}


class TraefikRun:
    def __init__(self, workdir, static, dynamic, ports, ready_port):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports = ports
        (self.workdir / "dynamic.yml").write_text(render(dynamic, ports))
        (self.workdir / "static.yml").write_text(with_debug_log(
            "global: {checkNewVersion: false, sendAnonymousUsage: false}\n" + render(static, ports)
            + f"providers:\n  file: {{filename: \"{self.workdir / 'dynamic.yml'}\"}}\n"))
        self.log_path = self.workdir / "log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([traefik_binary(), f"--configfile={self.workdir / 'static.yml'}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_traefik(self.proc, self.log_path, ready_port)

    def close(self):
        stop_process(self.proc, 10)
        self.log.close()


def start_stoep(stoep, static, dynamic, ports):
    (stoep.workdir / "dynamic.yml").write_text(render(dynamic, ports))
    static_path = stoep.workdir / "static.yml"
    static_path.write_text("global: {checkNewVersion: false, sendAnonymousUsage: false}\n" + render(static, ports)
                           + f"providers:\n  file: {{filename: \"{stoep.workdir / 'dynamic.yml'}\"}}\n")
    stoep.start("--traefik-config", str(static_path))


def needs_traefik():
    if traefik_binary() is None:
        pytest.skip("Traefik is not installed (make deps)")


def beside(peers, stoep, static, dynamic, entry_points, own=None):
    """stoep on the module's configuration next to its Traefik (`peers`: (TraefikRun, the backends' ports));
    returns {"traefik": ports, "stoep": ports} for `compare`-style tests. `own`: placeholders whose value
    is stoep's own (a log file's path)."""
    traefik, extra = peers
    ports = {**allocate(entry_points), **extra, **(own or {})}
    start_stoep(stoep, static, dynamic, ports)
    return {"traefik": traefik.ports, "stoep": ports}
