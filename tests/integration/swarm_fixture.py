"""A single-node Docker Swarm of the test's own (issue 21), and a way into one of its overlay networks.

- dockerd (Debian's docker.io) runs in a fresh network and mount namespace (`unshare -n -m`, only `lo`
  up, /run a private tmpfs), with its own data root, exec root, pidfile and socket under the test's
  directory: its bridges, iptables rules, containers and containerd stay private to it.
- `docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377` inside that namespace; the
  image is `docker import` of a busybox-static root filesystem (no registry: services run with
  `--resolve-image never`).
- IPVS is not in this kernel, so service virtual IPs never answer: tests use task addresses.
- A process outside the overlay cannot reach task addresses: `Swarm.edge` is a container attached to the
  stack's overlay network; proxies run in its network namespace (`nsenter -t PID -n` with the host's
  binaries) and the test's client threads enter it with setns(2) (`Swarm.client_pool`).
- `Cluster`: three such dockerds, each in its own namespace with an `eth0` on a bridge in a namespace of
  the test's own (192.168.77.N/24), joined as managers with tokens: overlay traffic crosses nodes (VXLAN).
Everything is bounded in time and torn down: services and containers removed, the swarm left, dockerd
stopped (its namespace and mounts go with it), the shim processes it left killed by pid.
"""
import concurrent.futures
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import stop_process

DOCKER = "/usr/bin/docker"  # Debian's CLI: another `docker` may come first in PATH
DOCKERD = "/usr/sbin/dockerd"
BUSYBOX = "/bin/busybox"
CLONE_NEWNET = 0x40000000


def available():
    """Why a real swarm cannot run here, or None."""
    for path in (DOCKER, DOCKERD, BUSYBOX, shutil.which("unshare"), shutil.which("nsenter")):
        if not path or not os.access(path, os.X_OK):
            return f"{path or 'unshare/nsenter'} missing (make deps installs docker.io and busybox-static)"
    if os.geteuid() != 0:
        return "needs root (network namespaces, dockerd)"
    return None


class Swarm:
    def __init__(self, workdir, address=None):
        """`address`: the node's address on the test's bridge (Cluster); None: a lone node on 127.0.0.1."""
        self.dir = Path(workdir)
        self.sock = self.dir / "docker.sock"
        self.proc = None
        self.edge_pid = None
        self.address = address

    @property
    def endpoint(self):
        return f"unix://{self.sock}"

    def docker(self, *args, check=True, timeout=60, input=None):
        r = subprocess.run([DOCKER, "-H", self.endpoint, *args], capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def api(self, path):
        r = subprocess.run(["curl", "-s", "--max-time", "5", "--unix-socket", str(self.sock), "http://docker" + path],
                           capture_output=True, timeout=10)
        return json.loads(r.stdout)

    def start(self):
        self.launch()
        self.started()

    def launch(self):
        for d in ("data", "exec"):
            (self.dir / d).mkdir(parents=True, exist_ok=True)
        wait_link = ""
        if self.address:
            # eth0 is moved in by Cluster once this namespace exists (bounded wait: 30 s).
            wait_link = (f"i=0; while ! ip link show eth0 >/dev/null 2>&1; do sleep 0.1; i=$((i+1)); [ $i -gt 300 ] && exit 1; done; "
                         f"ip addr add {self.address}/24 dev eth0 && ip link set eth0 up && ")
        script = (f"ip link set lo up && mount -t tmpfs tmpfs /run && {wait_link}exec {DOCKERD} --data-root {self.dir}/data "
                  f"--exec-root {self.dir}/exec --pidfile {self.dir}/dockerd.pid -H {self.endpoint} --log-level warn")
        self.log = open(self.dir / "dockerd.log", "ab")
        self.proc = subprocess.Popen(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c", script],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def started(self, init=True):
        """Waits for dockerd, initialises the swarm (`init`) and imports the image."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited: " + (self.dir / "dockerd.log").read_text(errors="replace")[-2000:])
            r = subprocess.run([DOCKER, "-H", self.endpoint, "version", "--format", "{{.Server.Version}}"],
                               capture_output=True, text=True, timeout=10)
            if r.returncode == 0 and r.stdout.strip():
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("dockerd did not answer within 60 s")
        if init:
            address = self.address or "127.0.0.1"
            self.docker("swarm", "init", "--advertise-addr", address, "--listen-addr", f"{address}:2377")
        root = self.dir / "rootfs"
        for d in ("bin", "www", "tmp", "etc"):
            (root / d).mkdir(parents=True, exist_ok=True)
        shutil.copy(BUSYBOX, root / "bin/busybox")
        for applet in ("sh", "httpd", "hostname", "sleep", "kill", "echo", "cat"):
            link = root / "bin" / applet
            if not link.exists():
                link.symlink_to("busybox")
        tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True, timeout=30).stdout
        r = subprocess.run([DOCKER, "-H", self.endpoint, "import", "-", "stoep-busybox:1"], input=tar, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("docker import: " + r.stderr.decode(errors="replace"))

    def deploy(self, stack, compose_yaml):
        path = self.dir / f"{stack}.yml"
        path.write_text(compose_yaml)
        self.docker("stack", "deploy", "--resolve-image", "never", "-c", str(path), stack, timeout=120)

    def attach_edge(self, network):
        """A container on `network` whose network namespace the proxies share."""
        self.docker("run", "-d", "--name", "edge", "--network", network, "stoep-busybox:1", "sleep", "3600")
        self.edge_pid = int(self.docker("inspect", "-f", "{{.State.Pid}}", "edge"))
        return self.edge_pid

    def use_task_as_edge(self, service, timeout=90):
        """Makes this node's running task of `service` (a global service's) the edge whose network namespace
        the proxies share; waits (bounded) for the task to run."""
        deadline = time.monotonic() + timeout
        while not (task := self.docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}")):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {service} task on node {self.address} within {timeout} s")
            time.sleep(0.3)
        self.edge_pid = int(self.docker("inspect", "-f", "{{.State.Pid}}", task.split()[0]))
        return self.edge_pid

    def in_edge(self, argv):
        """argv run in the edge container's network namespace (host binaries, host files)."""
        return ["nsenter", "-t", str(self.edge_pid), "-n", *argv]

    def client_pool(self, workers=4):
        """Threads whose sockets live in the edge container's network namespace."""
        netns = f"/proc/{self.edge_pid}/ns/net"

        def enter():
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(netns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
        return concurrent.futures.ThreadPoolExecutor(max_workers=workers, initializer=enter)

    def running_tasks(self, service):
        return [t for t in self.api(f"/tasks?filters=%7B%22service%22%3A%5B%22{service}%22%5D%7D")
                if t.get("Status", {}).get("State") == "running" and t.get("DesiredState") == "running"]

    def stop(self):
        """Bounded teardown: services and containers, the swarm, then dockerd and whatever it left."""
        if self.proc is None:
            return
        shims = []
        try:
            for sid in self.docker("service", "ls", "-q", check=False, timeout=20).split():
                self.docker("service", "rm", sid, check=False, timeout=20)
            ids = self.docker("ps", "-aq", check=False, timeout=20).split()
            if ids:
                self.docker("rm", "-f", *ids, check=False, timeout=60)
            self.docker("swarm", "leave", "--force", check=False, timeout=30)
        except (subprocess.TimeoutExpired, RuntimeError):
            pass
        pid_file = self.dir / "dockerd.pid"
        dockerd = int(pid_file.read_text()) if pid_file.exists() else None
        if dockerd:
            shims = self.descendants(dockerd)
            os.kill(dockerd, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        for pid in shims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()
        self.proc = None

    @staticmethod
    def descendants(pid):
        """Every process below `pid` (containerd, shims), by /proc, to kill by pid if dockerd leaves them."""
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [pid]
        while todo:
            for c in children.get(todo.pop(), []):
                out.append(c)
                todo.append(c)
        return out


class EdgeProcesses:
    """The proxies a swarm test runs in edge namespaces, each logging to its own file; `stop()` ends them
    all, bounded (SIGCONT first: a test may have left one stopped), and closes their logs."""

    def __init__(self):
        self.procs, self.logs = [], []

    def start(self, node, argv, workdir, name, env=None):
        """`argv` in `node`'s edge namespace, in `workdir`, output to workdir/NAME.log; returns the Popen."""
        log = open(Path(workdir) / f"{name}.log", "ab")
        self.logs.append(log)
        proc = subprocess.Popen(node.in_edge(argv), stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
            stop_process(proc, 15)
        for log in self.logs:
            log.close()


class Cluster:
    """Three dockerds, each a Swarm node in its own network namespace, on a bridge in a namespace of the
    test's own, joined as managers (three managers: Raft keeps a quorum with one down)."""

    def __init__(self, workdir, count=3):
        self.dir = Path(workdir)
        self.nodes = [Swarm(self.dir / f"node{i}", address=f"192.168.77.{i}") for i in range(1, count + 1)]
        self.hub = None

    def start(self):
        self.hub = subprocess.Popen(["unshare", "-n", "sh", "-c", "ip link set lo up && ip link add br0 type bridge && ip link set br0 up "
                                     "&& exec sleep 3600"], start_new_session=True)
        self.own_namespace(self.hub.pid)
        time.sleep(0.3)
        for i, node in enumerate(self.nodes, 1):
            node.launch()
            # Under load `unshare` may not have made the node's namespace yet: a veth end moved to its pid
            # before then would land in the test's own namespace ("File exists" for eth0).
            self.own_namespace(node.proc.pid)
            # The node's eth0: one end of a veth pair, its other end on the hub's bridge.
            for argv in (["ip", "link", "add", f"v{i}", "type", "veth", "peer", "name", "eth0", "netns", str(node.proc.pid)],
                         ["ip", "link", "set", f"v{i}", "master", "br0", "up"]):
                subprocess.run(["nsenter", "-t", str(self.hub.pid), "-n", *argv], check=True, timeout=10)
        first = self.nodes[0]
        first.started(init=True)
        token = first.docker("swarm", "join-token", "-q", "manager")
        for node in self.nodes[1:]:
            node.started(init=False)
            node.docker("swarm", "join", "--token", token, "--advertise-addr", node.address,
                        "--listen-addr", f"{node.address}:2377", f"{first.address}:2377", timeout=60)

    @staticmethod
    def own_namespace(pid, timeout=10):
        """Waits (bounded) until process `pid` is in a network namespace other than the test's."""
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.readlink(f"/proc/{pid}/ns/net") != mine:
                return
            time.sleep(0.02)
        raise RuntimeError(f"process {pid} did not enter a network namespace of its own within {timeout} s")

    def stop(self):
        for node in reversed(self.nodes):
            node.stop()
        if self.hub:
            self.hub.kill()
            self.hub.wait(10)
            self.hub = None
