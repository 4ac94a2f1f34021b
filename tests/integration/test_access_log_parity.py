"""The access log's `fields`, `filters` and `addInternals` side by side with Traefik 3.7: both proxies write
their log on the same requests and the deterministic part of every line is compared (timings, ports and the
request counter aside). Traefik's pkg/middlewares/accesslog/logger.go is the reference."""
import json
import re
import time

import pytest

from traefik_peer import Peers, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="traefik binary not installed (make deps)")

DYNAMIC = """http:
  routers:
    app:
      rule: "Host(`app.test`)"
      service: app
  services:
    app:
      loadBalancer:
        servers: [{url: "{backend}"}]
"""

# Fields: everything dropped but a few, headers dropped but a few (one redacted), the query left out;
# filters: 404 and 200-299 only (a 500 is left out). ping on the web entry point, with addInternals, is logged too.
FIELDS_AND_FILTERS = """entryPoints:
  web: {address: "{web}"}
ping: {entryPoint: web}
accessLog:
  filePath: "{dir}/access.log"
  format: json
  addInternals: true
  bufferingSize: 10
  filters:
    statusCodes: ["404", "200-299"]
  fields:
    defaultMode: drop
    names:
      RequestPath: keep
      requestmethod: keep
      DownstreamStatus: keep
      RouterName: keep
      ServiceName: keep
      RequestHost: keep
      RetryAttempts: keep
      entryPointName: keep
      RequestProtocol: keep
      OriginStatus: keep
    headers:
      defaultMode: drop
      names:
        User-Agent: keep
        authorization: redact
        X-Custom: keep
        Content-Type: keep
    queryParameters:
      defaultMode: drop
"""

# The defaults (every field, no header) in CLF, and internal services left out.
COMMON_DEFAULTS = """entryPoints:
  web: {address: "{web}"}
ping: {entryPoint: web}
accessLog:
  filePath: "{dir}/access.log"
"""


def respond(request):
    """201 for /created, 404 for /missing, 500 for /fail, else 200."""
    path = request.start.split(b" ")[1] if isinstance(request.start, bytes) else request.start.split(" ")[1]
    path = path.decode() if isinstance(path, bytes) else path
    status = {"/created": b"201 Created", "/missing": b"404 Not Found", "/fail": b"500 Internal Server Error"}.get(path.split("?")[0], b"200 OK")
    return b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\nX-From: backend\r\nContent-Length: 2\r\n\r\nok"


def peers_fixture(prefix, static):
    @pytest.fixture(scope="module", params=["io_uring", "epoll"])
    def peers(request, tmp_path_factory):
        p = Peers(tmp_path_factory.mktemp(f"{prefix}-{request.param}"), request.param, static, DYNAMIC, respond)
        yield p
        p.close()
    return peers


fields_peers = peers_fixture("accesslog-fields", FIELDS_AND_FILTERS)
common_peers = peers_fixture("accesslog-common", COMMON_DEFAULTS)

REQUESTS = [
    b"GET /ok?secret=1 HTTP/1.1\r\nHost: app.test\r\nUser-Agent: ua/1\r\nConnection: close\r\n\r\n",
    b"GET /created?token=abc HTTP/1.1\r\nHost: app.test\r\nUser-Agent: ua/2\r\nAuthorization: Basic eDp5\r\n"
    b"X-Custom: one\r\nX-Custom: two\r\nX-Other: no\r\nReferer: http://r.test/\r\nConnection: close\r\n\r\n",
    b"GET /missing HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    b"GET /fail HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    b"GET /nowhere HTTP/1.1\r\nHost: nobody.test\r\nUser-Agent: ua/3\r\nConnection: close\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
]


def log_lines(peers, name, count, timeout=5):
    path = peers.workdir / name / "access.log"
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            break
        time.sleep(0.05)
    return lines


def drive(peers):
    for raw in REQUESTS:
        peers.exchange(raw)


def test_fields_filters_and_internals_as_traefik(fields_peers):
    drive(fields_peers)
    views = {}
    for name in ("traefik", "stoep"):
        # /fail (500) is filtered out; /ok, /created, /missing (404 from the backend), /nowhere (no router)
        # and /ping (an internal service, written with addInternals) are kept.
        lines = log_lines(fields_peers, name, 5)
        time.sleep(0.3)
        lines = log_lines(fields_peers, name, 5)
        docs = [json.loads(line) for line in lines]
        for d in docs:
            d.pop("time")  # logrus' own stamp
        views[name] = docs
    assert views["stoep"] == views["traefik"]
    assert [d["RequestPath"] for d in views["traefik"]] == ["/ok", "/created", "/missing", "/nowhere", "/ping"]
    created = views["traefik"][1]
    assert created["RequestPath"] == "/created" and created["request_Authorization"] == "REDACTED"
    assert created["request_X-Custom"] == "one,two" and "request_X-Other" not in created


CLF = re.compile(r'^(\S+) - (\S+) \[[^\]]+\] "([^"]*)" (\S+) (\S+) ("[^"]*"|-) ("[^"]*"|-) (\d+|-) ("[^"]*"|-) ("[^"]*"|-) \d+ms$')


def test_common_format_defaults_as_traefik(common_peers):
    drive(common_peers)
    views = {}
    for name in ("traefik", "stoep"):
        lines = log_lines(common_peers, name, 5)
        time.sleep(0.3)
        lines = log_lines(common_peers, name, 5)
        parsed = []
        for line in lines:
            m = CLF.match(line)
            assert m, line
            fields = list(m.groups())
            fields[9] = "URL" if fields[9] != '"-"' else fields[9]  # each proxy's own backend port
            fields[7] = "N"  # the request counter
            parsed.append(fields)
        views[name] = parsed
    # Headers are dropped by default: Referer and User-Agent are "-"; /ping is internal: not logged.
    assert views["stoep"] == views["traefik"]
    assert len(views["traefik"]) == 5 and views["traefik"][0][5:7] == ['"-"', '"-"']
