"""Prometheus metrics with Traefik's names at /metrics, and the access log (CLF and JSON, reopened on
SIGUSR1), driven through the real proxy."""
import json
import os
import signal
import time

import pytest

from conftest import free_port
from http_backend import Backend
from test_proxy import get


@pytest.fixture
def origin():
    b = Backend()
    yield b
    b.close()


def write_metrics_config(workdir, origin_url, prometheus_options="", tail=""):
    """Traefik static and dynamic files in `workdir`: app.test to `origin_url` on a "web" entry point,
    Prometheus on a "metrics" one (`prometheus_options` go into its map, `tail` after it). Returns (static
    file, web port, metrics port). test_workers.py uses it too."""
    web, metrics = free_port(), free_port()
    dyn = workdir / "dynamic.yml"
    dyn.write_text(f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{origin_url}"}}]}}}}
""")
    static = workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  metrics: {{address: "127.0.0.1:{metrics}"}}
providers:
  file: {{filename: "{dyn}"}}
metrics:
  prometheus: {{entryPoint: metrics{prometheus_options}}}
""" + tail)
    return static, web, metrics


def start(stoep, origin, log_format="common"):
    log = stoep.workdir / "access.log"
    static, web, metrics = write_metrics_config(stoep.workdir, origin.url, ", buckets: [0.1, 0.3, 1.2, 5.0]",
                                                f"accessLog: {{filePath: \"{log}\", format: {log_format}}}\n")
    dns_port = free_port()
    (stoep.workdir / "dnsmasq.conf").write_text(f"port={dns_port}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\n"
                                                "address=/lan.test/10.0.0.9\n")
    stoep.start("--traefik-config", str(static), "--dnsmasq-conf", str(stoep.workdir / "dnsmasq.conf"))
    stoep.dns_port = dns_port
    return web, metrics, log


def test_prometheus_metrics_with_traefik_names(stoep, origin):
    web, metrics, _ = start(stoep, origin)
    for _ in range(3):
        assert get(web, "/x")[0].status == 200
    assert get(web, "/", host="nobody.test")[0].status == 404
    r, body = get(metrics, "/metrics", host="localhost")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert 'traefik_entrypoint_requests_total{code="200",entrypoint="web",method="GET",protocol="http"} 3' in text
    assert 'traefik_entrypoint_requests_total{code="404",entrypoint="web",method="GET",protocol="http"} 1' in text
    assert 'traefik_service_requests_total{code="200",method="GET",protocol="http",service="app@file"} 3' in text
    assert 'traefik_entrypoint_request_duration_seconds_bucket{code="200",entrypoint="web",method="GET",protocol="http",le="+Inf"} 3' in text
    assert 'le="0.3"' in text and "traefik_router_requests_total" not in text  # routers off by default
    assert "traefik_open_connections{" in text and "traefik_config_reloads_total" in text
    assert "# TYPE traefik_entrypoint_request_duration_seconds histogram" in text
    assert 'stoep_dns_queries_total{transport="udp"}' in text  # DNS counters beside Traefik's


@pytest.mark.parametrize("fmt", ["common", "json"])
def test_access_log_lines_and_reopen(stoep, origin, fmt):
    web, _, log = start(stoep, origin, log_format=fmt)
    get(web, "/first", headers={"User-Agent": "test-agent"})
    deadline = time.time() + 5
    while (not log.exists() or "/first" not in log.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    line = log.read_text().splitlines()[-1]
    if fmt == "common":
        assert line.startswith("127.0.0.1 - - [") and '"GET /first HTTP/1.1" 200' in line
        assert '"app@file"' in line and line.endswith("ms")
    else:
        doc = json.loads(line)
        assert doc["RequestPath"] == "/first" and doc["DownstreamStatus"] == 200
        assert doc["RouterName"] == "app@file" and doc["entryPointName"] == "web"
    # logrotate: rename, SIGUSR1, the next line lands in a new file at the same path.
    os.rename(log, str(log) + ".1")
    stoep.signal(signal.SIGUSR1)
    time.sleep(0.2)
    get(web, "/second")
    deadline = time.time() + 5
    while (not log.exists() or "/second" not in log.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    assert "/second" in log.read_text() and "/second" not in open(str(log) + ".1").read()
