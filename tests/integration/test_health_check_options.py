"""Active health-check options side by side with Traefik 3.7 (pkg/healthcheck/healthcheck.go): `method`,
`status`, `port`, `headers` and `hostname` reach the probe as Traefik sends them, and a server whose probe
answers anything but the expected status leaves the rotation (503) in both until it answers it again."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port
from traefik_peer import Peers, traefik_binary


class HealthServer:
    """Answers every probe with `self.status`; keeps what each probe sent."""

    def __init__(self):
        self.status = 204
        self.seen = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                outer.seen.append((self.command, self.path, self.headers.get("Host"), self.headers.get("X-Probe")))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = do_POST = _answer

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not traefik_binary():
        pytest.skip("traefik not installed (make deps)")
    health = HealthServer()
    dynamic = f"""
http:
  routers:
    app:
      rule: Host(`app.test`)
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "{{backend}}"
        healthCheck:
          path: /healthz
          port: {health.port}
          method: HEAD
          status: 204
          hostname: probe.test
          interval: 200ms
          timeout: 1s
          headers:
            X-Probe: "yes"
"""
    peers = Peers(tmp_path_factory.mktemp("hc"), "epoll", "entryPoints:\n  web:\n    address: \"{web}\"\n", dynamic)
    yield peers, health
    peers.close()
    health.close()


def statuses(peers):
    out = peers.exchange(b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
    return {name: [r.status for r in responses] for name, (responses, _) in out.items()}


def wait_for_both(peers, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = statuses(peers)
        if seen == {"traefik": [status], "stoep": [status]}:
            return
        time.sleep(0.1)
    raise AssertionError(f"expected {status} from both, got {seen}")


def test_probe_as_traefik_sends_it(setup):
    peers, health = setup
    wait_for_both(peers, 200)
    # Both proxies probe the same server: every probe is HEAD /healthz with the Host and header set.
    assert health.seen
    assert set(health.seen) == {("HEAD", "/healthz", "probe.test", "yes")}, set(health.seen)


def test_unexpected_status_takes_the_server_out(setup):
    peers, health = setup
    health.status = 200   # a 2xx, but not the configured 204
    try:
        wait_for_both(peers, 503)
    finally:
        health.status = 204
    wait_for_both(peers, 200)
