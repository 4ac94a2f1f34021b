"""A real systemd as PID 1 for the unit tests (test_systemd_unit.py): `systemd-nspawn --volatile=yes --boot`
of this machine's own /usr. The container's root, /etc and /var are an empty tmpfs (systemd fills /etc with
its defaults at boot, the "first boot"), /usr is the host's, read-only; nothing on the host is changed and
no root filesystem has to be downloaded. PID 1 of the test machine itself is not systemd, so this is the
cheapest way to a systemd that allocates a DynamicUser, makes RuntimeDirectory= and StateDirectory=, applies
ProtectSystem= and the capability settings, and answers `systemctl`.

The container shares the host's network namespace (no --private-network): the tests reach the unit's ports
from the host, and the Docker provider's containers (podman, host networking) are reachable from stoep at
the same 127.0.0.1 as from the host. Without CAP_NET_ADMIN (nspawn drops it without a private network) the
container's systemd cannot change the host's interfaces. Commands run inside through nsenter into all of
PID 1's namespaces (no machined registration: nothing on the host runs systemd to register with).

Requires root, `systemd-nspawn` (package systemd-container) and the host's systemd in /usr/lib/systemd.
Recipe: docs/deploy.md, "The unit under a real systemd"."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SYSTEMD = Path("/usr/lib/systemd/systemd")
# The boot stops at sysinit.target: the host's /usr carries services (nginx, haproxy, unbound, containerd,
# podman.socket, docker.socket...) that the first boot's presets enable in multi-user.target and sockets.target,
# and in the host's network namespace they would take the host's ports. The unit under test pulls in only
# what it names. Masked: what sysinit.target would still start that has no use here or would touch the host.
TARGET = "sysinit.target"
MASKED = ["systemd-firstboot.service", "systemd-networkd.service", "systemd-networkd.socket", "systemd-resolved.service",
          "systemd-timesyncd.service", "systemd-networkd-wait-online.service", "nftables.service"]


def unavailable():
    """Why a systemd container cannot run here (None when it can)."""
    if os.getuid() != 0:
        return "needs root (systemd-nspawn)"
    if not shutil.which("systemd-nspawn"):
        return "systemd-nspawn missing (apt-get install systemd-container)"
    if not SYSTEMD.exists():
        return f"{SYSTEMD} missing: no systemd in this machine's /usr to boot"
    if not shutil.which("nsenter"):
        return "nsenter missing (util-linux)"
    return None


class SystemdMachine:
    """One booted container. `binds`: (host path, container path, read_only) mounted before boot."""

    def __init__(self, name, log_path, binds=()):
        self.name = name
        self.log_path = Path(log_path)
        self.binds = list(binds)
        self.proc = None
        self.leader = None

    def boot(self, timeout=120):
        """Starts nspawn and waits until systemd finished booting (`is-system-running` is running or
        degraded). Raises with the console log when it does not within `timeout` seconds."""
        args = ["systemd-nspawn", "--quiet", "-D", "/", "--volatile=yes", "--boot", "--register=no", "--keep-unit",
                "--console=pipe", "-M", self.name]
        for host, inside, ro in self.binds:
            args.append(f"--bind{'-ro' if ro else ''}={host}:{inside}")
        args += [f"systemd.unit={TARGET}", "systemd.firstboot=off"] + [f"systemd.mask={u}" for u in MASKED]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=open(self.log_path, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline and self.leader is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited with {self.proc.returncode}: {self.console()}")
            self.leader = self._find_leader()
            time.sleep(0.1)
        state = ""
        while time.time() < deadline:
            r = self.run("systemctl", "is-system-running", check=False, timeout=max(1, deadline - time.time()))
            state = r.stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.5)
        raise RuntimeError(f"systemd did not finish booting in {timeout} s (state {state!r}): {self.console()}")

    def _find_leader(self):
        """The container's PID 1 seen from the host: the descendant of nspawn whose innermost pid is 1."""
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            nspid = next((l.split()[1:] for l in status.splitlines() if l.startswith("NSpid:")), [])
            if len(nspid) > 1 and nspid[-1] == "1":
                return pid
            todo += [int(c) for c in children]
        return None

    def run(self, *cmd, check=True, timeout=60, input=None):
        """Runs `cmd` inside the container (all of PID 1's namespaces, so its /proc, /run and pid numbers)."""
        r = subprocess.run(["nsenter", "-t", str(self.leader), "-a", "--", *cmd], capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def systemctl(self, *args, check=True, timeout=60):
        return self.run("systemctl", *args, check=check, timeout=timeout)

    def show(self, unit, *props):
        """`systemctl show` properties of `unit` as a dict."""
        out = self.systemctl("show", unit, *[f"--property={p}" for p in props]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit, lines=200):
        return self.run("journalctl", "--no-pager", "-o", "cat", "-n", str(lines), "-u", unit, check=False).stdout

    def path(self, inside):
        """A path inside the container as the host reaches it (through PID 1's root)."""
        return Path(f"/proc/{self.leader}/root") / str(inside).lstrip("/")

    def console(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, timeout=30):
        """SIGTERM makes nspawn ask systemd to halt; SIGKILL to the session if that takes too long."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
