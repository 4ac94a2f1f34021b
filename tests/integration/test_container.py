"""deploy/container: build the image with podman for real and run it with host networking on unprivileged
ports; dig, HTTP clients (status page, a proxied route, HTTPS with the static OpenSSL) and `stoep stats`
through a mounted runtime directory.

Skipped when podman is not installed or cannot run a container on this machine. Bounded: the image build
(a static release link, ~1 min) has 15 minutes, every container start 30 s, every client call 10 s.
"""
import http.client
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, free_port, stats_query
from http_backend import Backend

TAG = "localhost/stoep-test:latest"
BUILD = ROOT / "deploy" / "container" / "build.sh"
COMPOSE = ROOT / "deploy" / "container" / "compose.yml"

# Tried in order until one runs a container. The last two are for hosts like this workplace's: no
# CAP_SYS_RESOURCE (podman's default rlimits cannot be set) and hybrid cgroups (crun refuses them).
RUN_OPTION_SETS = [
    [],
    ["--runtime", "runc"],
    ["--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"],
]


def podman(*args, timeout=60, check=True):
    r = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: {r.stderr}")
    return r


@pytest.fixture(scope="module")
def image():
    """The image built by deploy/container/build.sh, and the podman options that run it here."""
    if shutil.which("podman") is None:
        pytest.skip("podman not installed")
    r = subprocess.run([str(BUILD), TAG], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    for options in RUN_OPTION_SETS:
        probe = podman("run", "--rm", *options, "--network", "host", "--entrypoint", "/usr/local/bin/stoep",
                       TAG, "check", "/etc/stoep/stoep.toml", check=False)
        if probe.returncode == 0:
            yield {"options": options, "build_output": r.stdout}
            podman("rmi", "-f", TAG, check=False)
            return
    pytest.skip(f"podman cannot run a container here: {probe.stderr.strip()}")


class Container:
    """One detached stoep container on the host network, removed at the end."""

    def __init__(self, image, name, args, mounts, extra=()):
        self.name = name
        volumes = [a for src, dst in mounts for a in ("-v", f"{src}:{dst}")]
        podman("rm", "-f", name, check=False)
        podman("run", "-d", "--name", name, *image["options"], *extra, "--network", "host", *volumes, TAG, *args)

    def logs(self):
        r = podman("logs", self.name, check=False)
        return r.stdout + r.stderr

    def wait_for_log(self, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.logs():
                return
            time.sleep(0.2)
        raise AssertionError(f"no {text!r} in the container log:\n{self.logs()}")

    def remove(self):
        podman("rm", "-f", "-t", "5", self.name, check=False)


def dig(port, name):
    r = subprocess.run(["dig", "+short", "+time=2", "+tries=3", "-p", str(port), "@127.0.0.1", name],
                       capture_output=True, text=True, timeout=10)
    return r.stdout.strip()


def get(port, host, path="/"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Host": host})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


@pytest.mark.slow  # the image: a static release build (minutes from a fresh clone); make container-test
def test_image_is_static_scratch_and_small(image):
    assert "static" in image["build_output"], image["build_output"]
    size = int(podman("image", "inspect", TAG, "--format", "{{.Size}}").stdout)
    assert size < 24 * 1024 * 1024, size  # 15.8 MB with OpenSSL (docs/deploy.md)
    assert podman("image", "inspect", TAG, "--format", "{{.Labels}}").stdout.count("org.stoep.linking:static") == 1


@pytest.mark.slow  # needs the image
def test_container_serves_dns_http_and_stats_through_a_mounted_runtime_dir(image, tmp_path):
    dns_port, web_port, secure_port = free_port(), free_port(), free_port()
    backend = Backend()
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o777)
    run_dir.chmod(0o777)
    (tmp_path / "dnsmasq.conf").write_text(f"port={dns_port}\naddress=/inethilocal.net/192.168.1.2\nno-resolv\n")
    (tmp_path / "dynamic.toml").write_text(f"""
[http.routers.app]
rule = "Host(`app.inethilocal.net`)"
service = "app"
[http.services.app.loadBalancer]
servers = [{{url = "{backend.url}"}}]
""")
    (tmp_path / "traefik.toml").write_text(f"""
[entryPoints.web]
address = "127.0.0.1:{web_port}"
[entryPoints.websecure]
address = "127.0.0.1:{secure_port}"
[entryPoints.websecure.http.tls]
[providers.file]
filename = "/etc/traefik/dynamic.toml"
""")
    c = Container(image, "stoep-itest", ["--traefik-config", "/etc/traefik/traefik.toml",
                                         "--dnsmasq-conf", "/etc/dnsmasq.conf"],
                  [(tmp_path / "traefik.toml", "/etc/traefik/traefik.toml:ro"),
                   (tmp_path / "dynamic.toml", "/etc/traefik/dynamic.toml:ro"),
                   (tmp_path / "dnsmasq.conf", "/etc/dnsmasq.conf:ro"), (run_dir, "/run/stoep")])
    try:
        c.wait_for_log("running on")
        assert dig(dns_port, "nextcloud.inethilocal.net") == "192.168.1.2"
        status, body = get(web_port, "app.inethilocal.net", "/hello")
        assert status == 200 and b'"/hello"' in body and backend.requests == 1
        status, _ = get(web_port, "other.test")
        assert status == 404
        # TLS termination with the static OpenSSL (the generated default certificate).
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        c_tls = http.client.HTTPSConnection("127.0.0.1", secure_port, timeout=10, context=context)
        c_tls.request("GET", "/tls", headers={"Host": "app.inethilocal.net"})
        r = c_tls.getresponse()
        assert r.status == 200 and b'"/tls"' in r.read() and backend.requests == 2
        c_tls.close()
        # The host's stoep client reads the container's stats socket in the mounted directory.
        sock = run_dir / "stoep.sock"
        info = stats_query(sock, "show info")
        assert info["threads"] == 1 and info["pid"] == 1
        r = subprocess.run([str(BINARY), "stats", "--stats-socket", str(sock), "show", "info"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0 and "backend" in r.stdout, r.stderr
        # The default seccomp profile leaves io_uring out: `auto` says so once and runs on epoll.
        logs = c.logs()
        assert info["backend"] == "epoll" and "falling back to epoll" in logs, logs
    finally:
        c.remove()
        backend.close()


@pytest.mark.slow  # needs the image
def test_default_config_and_status_page_with_the_io_uring_seccomp_profile(image, tmp_path):
    """The image's own configuration, moved to unprivileged ports; the profile from seccomp-io_uring.py
    lets `auto` choose io_uring."""
    default = Path("/usr/share/containers/seccomp.json")
    if not default.exists():
        pytest.skip("podman's default seccomp profile not found")
    profile = tmp_path / "seccomp.json"
    with open(profile, "w") as out:
        subprocess.run([str(ROOT / "deploy/container/seccomp-io_uring.py"), str(default)], stdout=out, check=True)
    dns_port, web_port = free_port(), free_port()
    conf = (ROOT / "deploy/container/stoep.toml").read_text()
    conf = conf.replace("port = 53", f"port = {dns_port}").replace('":80"', f'"127.0.0.1:{web_port}"')
    (tmp_path / "stoep.toml").write_text(conf)
    c = Container(image, "stoep-itest-uring", [], [(tmp_path / "stoep.toml", "/etc/stoep/stoep.toml:ro")],
                  extra=["--security-opt", f"seccomp={profile}"])
    try:
        c.wait_for_log("running on")
        assert "running on io_uring" in c.logs(), c.logs()
        assert dig(dns_port, "box.stoep.lan") == "127.0.0.1"
        status, body = get(web_port, "127.0.0.1", "/")
        assert status == 200 and b"stoep" in body
        # user = "stoep" in the image's configuration: privileges dropped after binding.
        top = podman("top", c.name, "user", check=False).stdout
        assert "stoep" in top or "65532" in top, top
    finally:
        c.remove()


def test_compose_service_keeps_the_old_traefik_labels():
    fixture = Path("/work/shared/fixtures/inethi/docker-compose.yml")
    for base in (ROOT.parent / "shared", Path("/work/shared")):
        if (base / "fixtures/inethi/docker-compose.yml").exists():
            fixture = base / "fixtures/inethi/docker-compose.yml"
            break
    else:
        pytest.skip("shared/fixtures not found")
    old = service_labels(fixture.read_text(), "traefik")
    new_text = COMPOSE.read_text()
    new = service_labels(new_text, "stoep")
    assert old and set(old) <= set(new), set(old) - set(new)
    assert any("middlewares.myauth.basicauth.users" in label for label in new)
    assert "\n  traefik:" not in new_text and "\n  dnsmasq:" not in new_text


def service_labels(compose_text, service):
    """The `- "label"` items under `labels:` of one service in a compose file written in list style."""
    labels, in_service, in_labels = [], False, False
    for line in compose_text.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            in_service, in_labels = line.strip() == f"{service}:", False
        elif in_service and line.strip() == "labels:":
            in_labels = True
        elif in_service and in_labels and line.strip().startswith("- "):
            labels.append(line.strip()[2:].strip().strip('"'))
        elif in_labels and line.strip() and not line.strip().startswith("#"):
            in_labels = False
    return labels
