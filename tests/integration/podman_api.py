"""A real Docker Engine API for the Docker-provider tests: podman's API service on a temporary socket,
with its own storage (nothing shared with the machine's podman), a busybox image imported from
busybox-static, and containers on host networking that each serve `busybox httpd` on their own port.
Recipe: ../shared/DESIGN.md "Real Docker API in tests"."""
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import stop_process

BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if Path(p).exists()), None)


def available():
    return shutil.which("podman") and shutil.which("runc") and BUSYBOX


class PodmanAPI:
    """podman system service on `<dir>/api.sock`; `run`/`stop` drive containers through the same storage."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.sock = self.dir / "api.sock"
        self.endpoint = f"unix://{self.sock}"
        self.flags = ["--root", str(self.dir / "root"), "--runroot", str(self.dir / "run"), "--tmpdir", str(self.dir / "tmp"),
                      "--events-backend", "file", "--cgroup-manager", "cgroupfs", "--storage-driver", "vfs"]
        self.service = None
        self.names = set()

    def podman(self, *args, check=True, timeout=60):
        return subprocess.run(["podman", *self.flags, *args], capture_output=True, text=True, check=check, timeout=timeout)

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.service = subprocess.Popen(["podman", *self.flags, "system", "service", "--time=0", self.endpoint],
                                        stdout=subprocess.DEVNULL, stderr=open(self.dir / "service.log", "ab"))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.get("/_ping") is not None:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("podman API service did not come up: " + (self.dir / "service.log").read_text())

    def stop_service(self):
        if self.service:
            stop_process(self.service, 10)
        self.service = None
        self.sock.unlink(missing_ok=True)

    def get(self, path):
        """One GET on the API (to check what the daemon says); the body as text."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.sock))
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: d\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return data.split(b"\r\n\r\n", 1)[1].decode()

    def import_image(self):
        root = self.dir / "rootfs"
        (root / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy(BUSYBOX, root / "bin" / "busybox")
        for cmd in ("sh", "httpd"):
            link = root / "bin" / cmd
            if not link.exists():
                link.symlink_to("busybox")
        tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True).stdout
        subprocess.run(["podman", *self.flags, "import", "-", "localhost/bb:latest"], input=tar, capture_output=True, check=True)

    def run(self, name, port, labels, body=None, extra=()):
        """A container `name` serving `body` (default: its name) on 127.0.0.1:`port` (host networking);
        `extra`: more `podman run` options."""
        www = self.dir / "www" / name
        www.mkdir(parents=True, exist_ok=True)
        (www / "index.html").write_text((body or name) + "\n")
        args = ["--runtime", "runc", "run", "-d", "--name", name, "--network", "host",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "-v", f"{www}:/www"]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        args += list(extra)
        args += ["localhost/bb", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"]
        self.names.add(name)
        return self.podman(*args).stdout.strip()

    def stop(self, name):
        self.podman("stop", "-t", "0", name)

    def start_container(self, name):
        self.podman("--runtime", "runc", "start", name)

    def healthcheck(self, name):
        """Runs the container's health check once (podman: emits a health_status event)."""
        return self.podman("--runtime", "runc", "healthcheck", "run", name, check=False).returncode

    def www(self, name):
        return self.dir / "www" / name

    def remove(self, name):
        self.podman("rm", "-f", "-t", "0", name, check=False)
        self.names.discard(name)

    def cleanup(self):
        for name in list(self.names):
            self.remove(name)


@pytest.fixture(scope="module")
def podman_api(tmp_path_factory):
    if not available():
        pytest.skip("podman, runc or busybox-static missing (make deps installs them)")
    api = PodmanAPI(tmp_path_factory.mktemp("podman"))
    api.start()
    api.import_image()
    yield api
    api.cleanup()
    api.stop_service()
