"""A sample of docs/proxy.md's option table held to the binary: each option stoep refuses makes `stoep check`
fail with the key and the reason (from a static file, from Traefik's flags, from a file-provider file), and
options the table lists as working pass. Fast: `stoep check` only, nothing is bound."""
import subprocess

import pytest

from conftest import BINARY

ENTRY = "entryPoints:\n  web:\n    address: \":18080\"\n"

# (YAML added to the static file, the key as reported, a piece of the reason)
STATIC_REFUSED = [
    ("global:\n  notAppendXForwardedFor: true\n", "global.notAppendXForwardedFor", "always appends"),
    ("api:\n  debug: true\n", "api.debug", "pprof"),
    ("api:\n  basePath: /traefik\n", "api.basePath", "under / only"),
    ("api:\n  dashboardName: Mine\n", "api.dashboardName", "no configurable name"),
    ("metrics:\n  prometheus:\n    headerLabels:\n      useragent: User-Agent\n", "metrics.prometheus.headerLabels", "lack the configured labels"),
    ("tcpServersTransport:\n  dialTimeout: 5s\n", "tcpServersTransport", "tcp.serversTransports"),
    ("log:\n  otlp: {}\n", "log.otlp", "OpenTelemetry"),
    ("providers:\n  precedence: [file]\n", "providers.precedence", "no order"),
    ("accessLog:\n  otlp: {}\n", "accessLog.otlp", "OpenTelemetry"),
    ("accessLog:\n  filters:\n    statusCodes: [\"4xx\"]\n", "accessLog.filters.statusCodes", "range like"),
]
EP_REFUSED = [
    ("    forwardedHeaders:\n      connection: [X-Keep]\n", "entryPoints.web.forwardedHeaders.connection", "always removed"),
    ("    forwardedHeaders:\n      notAppendXForwardedFor: true\n", "entryPoints.web.forwardedHeaders.notAppendXForwardedFor", "always appends"),
    ("    observability:\n      accessLogs: false\n", "entryPoints.web.observability.accessLogs", "still be logged"),
    ("    http:\n      underscoreHeadersStrategy: reject\n", "entryPoints.web.http.underscoreHeadersStrategy", "only \"keep\""),
]
STATIC_WORKS = [
    "accessLog:\n  format: json\n  bufferingSize: 50\n  addInternals: true\n  filters:\n    statusCodes: [\"400-499\"]\n"
    "    retryAttempts: true\n    minDuration: 10ms\n  fields:\n    defaultMode: drop\n    names: {RequestPath: keep}\n"
    "    headers:\n      defaultMode: redact\n      names: {User-Agent: keep}\n    queryParameters: {defaultMode: drop}\n",
    "metrics:\n  addInternals: true\n  prometheus: {addRoutersLabels: true}\n",
    "api:\n  dashboard: true\n  disableDashboardAd: true\n",
    "providers:\n  docker:\n    endpoint: tcp://socket-proxy:2375\n    exposedByDefault: false\n",
]
# (YAML of a file-provider file, the key, a piece of the reason)
DYNAMIC_REFUSED = [
    ("http:\n  routers:\n    r: {rule: \"Host(`a`)\", service: s, observability: {metrics: false}}\n"
     "  services:\n    s: {loadBalancer: {servers: [{url: \"http://127.0.0.1:1\"}]}}\n",
     "http.routers.r.observability.metrics", "still be counted"),
    ("http:\n  services:\n    s: {loadBalancer: {servers: [{url: \"http://127.0.0.1:1\", preservePath: true}]}}\n",
     "preservePath", "server URL's path"),
    ("http:\n  services:\n    s: {loadBalancer: {servers: [{url: \"http://127.0.0.1:1\"}], passiveHealthCheck: {maxFailedAttempts: 3}}}\n",
     "http.services.s.loadBalancer.passiveHealthCheck", "fixed"),
    ("http:\n  serversTransports:\n    t: {minVersion: VersionTLS13}\n", "http.serversTransports.t.minVersion", "OpenSSL's default"),
    ("http:\n  serversTransports:\n    t: {peerCertURI: \"spiffe://x\"}\n", "http.serversTransports.t.peerCertURI", "not be checked"),
]


def check(*args, cwd=None):
    r = subprocess.run([str(BINARY), "check", *map(str, args)], capture_output=True, text=True, timeout=20, cwd=cwd)
    return r.returncode, r.stdout + r.stderr


# An entry point's keys continue ENTRY's `web` table.
@pytest.mark.parametrize("extra,key,reason", STATIC_REFUSED + EP_REFUSED)
def test_static_refusals_name_file_key_and_reason(tmp_path, extra, key, reason):
    path = tmp_path / "traefik.yml"
    path.write_text(ENTRY + extra)
    code, out = check(path)
    assert code == 1, out
    line = next((l for l in out.splitlines() if key in l), None)
    assert line is not None and reason in line and "traefik.yml:" in line, out


@pytest.mark.parametrize("extra,key,reason", STATIC_REFUSED[:4])
def test_static_refusals_from_flags(extra, key, reason):
    # The same key as a Traefik flag: `--global.notappendxforwardedfor=true`.
    lines = [l.strip() for l in extra.splitlines() if l.strip()]
    value = lines[-1].split(":", 1)[1].strip()
    flag = "--" + key.lower() + "=" + value
    code, out = check("--entrypoints.web.address=:18080", flag)
    assert code == 1 and reason in out, out


@pytest.mark.parametrize("extra", STATIC_WORKS)
def test_static_options_that_work_pass(tmp_path, extra):
    path = tmp_path / "traefik.yml"
    path.write_text(ENTRY + extra)
    code, out = check(path)
    assert code == 0 and "error" not in out, out


@pytest.mark.parametrize("text,key,reason", DYNAMIC_REFUSED)
def test_dynamic_refusals_name_file_key_and_reason(tmp_path, text, key, reason):
    path = tmp_path / "dynamic.yml"
    path.write_text(text)
    code, out = check(path)
    assert code == 1, out
    line = next((l for l in out.splitlines() if key in l and reason in l), None)
    assert line is not None and "dynamic.yml:" in line, out
