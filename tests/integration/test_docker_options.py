"""The Docker provider's options against a real Docker Engine API (podman's API service), side by side
with Traefik 3.7 on the same API where it shows: a tcp:// endpoint through a real TCP socket proxy (socat,
plain and TLS), `constraints`, `watch=false` (read once), `traefik.docker.allownonrunning`,
`httpClientTimeout`, and `stoep check` refusing what stoep cannot do the same way."""
import socket
import subprocess
import time

import pytest

from conftest import BINARY, free_port
from podman_api import podman_api  # noqa: F401 (fixture)
from test_docker import get, labels, wait_for
from traefik_peer import traefik_binary


@pytest.fixture(scope="module")
def socket_proxy(podman_api, tmp_path_factory):
    """A plain TCP socket proxy to the podman socket, and a TLS one (self-signed certificate for 127.0.0.1)."""
    d = tmp_path_factory.mktemp("proxy")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    plain, tls = free_port(), free_port()
    procs = [subprocess.Popen(["socat", f"TCP-LISTEN:{plain},bind=127.0.0.1,fork,reuseaddr", f"UNIX-CONNECT:{podman_api.sock}"]),
             subprocess.Popen(["socat", f"OPENSSL-LISTEN:{tls},bind=127.0.0.1,fork,reuseaddr,cert={d / 'cert.pem'},key={d / 'key.pem'},verify=0",
                               f"UNIX-CONNECT:{podman_api.sock}"])]
    time.sleep(0.2)
    yield {"plain": plain, "tls": tls, "ca": d / "cert.pem"}
    for p in procs:
        p.terminate()
        p.wait(5)


def start(stoep, endpoint, extra=""):
    web = free_port()
    config = stoep.write_config(f"""
[entryPoints.web]
address = "127.0.0.1:{web}"

[providers.docker]
endpoint = "{endpoint}"
exposedByDefault = false
{extra}""")
    stoep.start(config=config)
    return web


def loopback_name():
    """A host name (not "localhost", which stoep reads as 127.0.0.1 itself) that resolves to 127.0.0.1, so
    the endpoint goes through getaddrinfo; the address when the machine has none."""
    for name in (socket.gethostname(), "localhost.localdomain"):
        try:
            if socket.gethostbyname(name) == "127.0.0.1":
                return name
        except OSError:
            pass
    return "127.0.0.1"


def test_tcp_endpoint_with_constraints(stoep, podman_api, socket_proxy):
    tag = stoep.backend.replace("_", "")
    pub, lan = f"pub-{tag}", f"lan-{tag}"
    pp, lp = free_port(), free_port()
    podman_api.run(pub, pp, labels("pub" + tag, f"{pub}.test", pp, zone="public"))
    podman_api.run(lan, lp, labels("lan" + tag, f"{lan}.test", lp, zone="lan"))
    try:
        # A host name, as a compose file names its socket-proxy service: resolved when the provider starts.
        web = start(stoep, f"tcp://{loopback_name()}:{socket_proxy['plain']}", 'constraints = "Label(`zone`, `public`) && !LabelRegex(`zone`, `^lan`)"')
        wait_for(lambda: get(web, f"{pub}.test") == (200, pub + "\n"))
        assert get(web, f"{lan}.test")[0] == 404
    finally:
        podman_api.remove(pub)
        podman_api.remove(lan)


def test_tls_endpoint(stoep, podman_api, socket_proxy):
    name = f"tls-{stoep.backend.replace('_', '')}"
    port = free_port()
    podman_api.run(name, port, labels("tls" + name.replace("-", ""), f"{name}.test", port))
    try:
        web = start(stoep, f"tcp://127.0.0.1:{socket_proxy['tls']}", f'httpClientTimeout = "5s"\n[providers.docker.tls]\nca = "{socket_proxy["ca"]}"')
        wait_for(lambda: get(web, f"{name}.test") == (200, name + "\n"))
    finally:
        podman_api.remove(name)


def test_watch_false_reads_once(stoep, podman_api):
    tag = stoep.backend.replace("_", "")
    before, after = f"before-{tag}", f"after-{tag}"
    bp, ap = free_port(), free_port()
    podman_api.run(before, bp, labels("b" + tag, f"{before}.test", bp))
    try:
        web = start(stoep, podman_api.endpoint, "watch = false")
        wait_for(lambda: get(web, f"{before}.test")[0] == 200)
        podman_api.run(after, ap, labels("a" + tag, f"{after}.test", ap))
        time.sleep(0.5)  # a watching provider has the route within 0.5 s (test_docker.py)
        assert get(web, f"{after}.test")[0] == 404
    finally:
        podman_api.remove(before)
        podman_api.remove(after)


def test_allownonrunning_keeps_router_without_servers(stoep, podman_api):
    tag = stoep.backend.replace("_", "")
    keep, drop = f"keep-{tag}", f"drop-{tag}"
    kp, dp = free_port(), free_port()
    podman_api.run(keep, kp, labels("k" + tag, f"{keep}.test", kp, **{"traefik.docker.allownonrunning": "true"}))
    podman_api.run(drop, dp, labels("d" + tag, f"{drop}.test", dp))
    try:
        web = start(stoep, podman_api.endpoint)
        wait_for(lambda: get(web, f"{keep}.test")[0] == 200 and get(web, f"{drop}.test")[0] == 200)
        podman_api.stop(keep)
        podman_api.stop(drop)
        wait_for(lambda: get(web, f"{keep}.test")[0] == 503 and get(web, f"{drop}.test")[0] == 404)
    finally:
        podman_api.remove(keep)
        podman_api.remove(drop)


def test_same_answers_as_traefik(podman_api, tmp_path, stoep):
    """constraints and allownonrunning through Traefik and stoep on the same API: same statuses."""
    traefik = traefik_binary()
    if not traefik:
        pytest.skip("traefik not installed (make deps)")
    tag = stoep.backend.replace("_", "")
    names = {f"tp-{tag}": {"zone": "public"}, f"tl-{tag}": {"zone": "lan"},
             f"ts-{tag}": {"zone": "public", "traefik.docker.allownonrunning": "true"}}
    ports = {}
    for name, extra in names.items():
        ports[name] = free_port()
        lab = labels(name.replace("-", ""), f"{name}.test", ports[name], **extra)
        if name.startswith("ts-"):
            # Traefik keeps a `server.port` label's server, URL-less, for a container it does not run: 500
            # there (docs/discovery.md). Without it both answer an empty load balancer's 503.
            del lab[f"traefik.http.services.{name.replace('-', '')}.loadbalancer.server.port"]
        podman_api.run(name, ports[name], lab)
    podman_api.stop(f"ts-{tag}")
    constraint = "Label(`zone`, `public`)"
    tweb = free_port()
    proc = subprocess.Popen([traefik, f"--entrypoints.web.address=127.0.0.1:{tweb}", f"--providers.docker.endpoint={podman_api.endpoint}",
                             "--providers.docker.exposedbydefault=false", f"--providers.docker.constraints={constraint}", "--log.level=ERROR"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "traefik.log", "wb"))
    try:
        web = start(stoep, podman_api.endpoint, f'constraints = "{constraint}"')
        want = {f"tp-{tag}": 200, f"tl-{tag}": 404, f"ts-{tag}": 503}
        seen = {}

        def same(port):
            seen.update({n: get(port, f"{n}.test")[0] for n in names})
            return seen == want
        try:
            wait_for(lambda: same(tweb), timeout=10)
        except AssertionError:
            raise AssertionError(f"traefik answered {seen}, expected {want}: " + (tmp_path / "traefik.log").read_text()[-2000:])
        wait_for(lambda: same(web))
    finally:
        proc.terminate()
        proc.wait(10)
        for name in names:
            podman_api.remove(name)


def test_check_refuses_what_differs(tmp_path):
    cases = [("endpoint = \"ssh://me@socket-proxy\"", "unix:// and tcp://"),
             ("constraints = \"Label(`a`)\"", "takes 2 arguments"),
             ("username = \"me\"", "basic authentication"),
             ("endpoint = \"tcp://127.0.0.1:2376\"\n[providers.docker.tls]\ncert = \"/c.pem\"", "client certificates")]
    for body, message in cases:
        path = tmp_path / "traefik.toml"
        path.write_text(f"[providers.docker]\n{body}\n")
        r = subprocess.run([str(BINARY), "check", str(path)], capture_output=True, text=True, timeout=10)
        assert r.returncode != 0 and message in r.stdout + r.stderr, (body, r.stdout, r.stderr)
