"""Proxy policies: middlewares (headers, CORS, redirects, allow-lists, regex rewrites, body limit),
load balancing with active health checks, and timeouts."""
import http.client
import json
import socket
import time

from conftest import free_port
from test_proxy import backends, get, simple, start_proxy  # noqa: F401 (backends is a fixture)


def test_middlewares_headers_redirect_and_allow_list(stoep, backends):
    be = backends()
    port = start_proxy(stoep, f"""http:
  routers:
    app:
      rule: "Host(`app.test`)"
      service: app
      middlewares: [hdr, cors]
    secure:
      rule: "Host(`secure.test`)"
      service: app
      middlewares: [tohttps]
    lan:
      rule: "Host(`lan.test`)"
      service: app
      middlewares: [onlylan]
  middlewares:
    hdr:
      headers:
        customRequestHeaders: {{X-Forwarded-Proto: https, X-Drop: ""}}
        customResponseHeaders: {{X-Served-By: stoep, Server: ""}}
    cors:
      headers: {{accessControlAllowOriginList: ["*"]}}
    tohttps:
      redirectScheme: {{scheme: https, permanent: true}}
    onlylan:
      ipWhiteList: {{sourceRange: ["10.0.0.0/8"]}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    r, body = get(port, "/h", headers={"X-Drop": "x", "Origin": "http://radio.test"})
    h = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert h["x-forwarded-proto"] == "https" and "x-drop" not in h
    assert r.getheader("X-Served-By") == "stoep" and r.getheader("Server") is None
    assert r.getheader("Access-Control-Allow-Origin") == "*"
    r, _ = get(port, "/a?b=c", host="secure.test")
    assert r.status == 301 and r.getheader("Location") == "https://secure.test/a?b=c"
    r, _ = get(port, "/a", host="secure.test", method="POST", body=b"x")
    assert r.status == 308
    r, body = get(port, "/", host="lan.test")
    assert r.status == 403 and body == b"Forbidden"


def test_timeouts_read_head_and_response_header(stoep, backends):
    be = backends()
    port = free_port()
    dyn = stoep.workdir / "dynamic.yml"
    dyn.write_text(simple(be))
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""entryPoints:
  web:
    address: "127.0.0.1:{port}"
    transport: {{respondingTimeouts: {{readTimeout: 1s, idleTimeout: 3s}}}}
serversTransport: {{forwardingTimeouts: {{responseHeaderTimeout: 500ms}}}}
providers: {{file: {{filename: "{dyn}"}}}}
""")
    stoep.start("--traefik-config", str(static))
    # A client trickling its head one byte at a time is dropped after readTimeout.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.time()
    closed = False
    for b in b"GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: " + b"x" * 100:
        try:
            s.sendall(bytes([b]))
        except OSError:
            closed = True
            break
        time.sleep(0.1)
        if time.time() - t0 > 3:
            break
    try:
        closed = closed or s.recv(10) == b""
    except OSError:
        closed = True
    assert closed and 0.9 < time.time() - t0 < 2.5
    s.close()
    # A backend slower than responseHeaderTimeout gives 504 Gateway Timeout.
    t0 = time.time()
    r, body = get(port, "/slow/2")
    assert r.status == 504 and body == b"Gateway Timeout" and time.time() - t0 < 1.5


def test_weighted_round_robin_and_active_health_check(stoep, backends):
    a, b = backends(), backends()
    b.server.healthy = False
    port = start_proxy(stoep, f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app}}
  services:
    app:
      loadBalancer:
        servers: [{{url: "{a.url}", weight: 1}}, {{url: "{b.url}", weight: 3}}]
        healthCheck: {{path: /health, interval: 300ms, timeout: 1s}}
""")
    time.sleep(0.5)
    ports = [json.loads(get(port, "/")[1])["port"] for _ in range(8)]
    assert set(ports) == {a.port}  # b fails its health check: out of the rotation
    b.server.healthy = True
    time.sleep(0.8)
    ports = [json.loads(get(port, "/")[1])["port"] for _ in range(8)]
    assert ports.count(b.port) == 6 and ports.count(a.port) == 2  # weights 1:3, interleaved


def test_redirect_regex_and_strip_prefix_regex(stoep, backends):
    be = backends()
    port = start_proxy(stoep, f"""http:
  routers:
    old: {{rule: "Host(`old.test`)", service: app, middlewares: [moved]}}
    app: {{rule: "Host(`app.test`)", service: app, middlewares: [strip]}}
  middlewares:
    moved:
      redirectRegex: {{regex: "^http://old.test/(.*)", replacement: "http://new.test/$1", permanent: true}}
    strip:
      stripPrefixRegex: {{regex: ["/v[0-9]+"]}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    r, _ = get(port, "/a/b?c=d", host="old.test")
    assert r.status == 301 and r.getheader("Location") == "http://new.test/a/b?c=d"
    doc = json.loads(get(port, "/v2/users")[1])
    assert doc["path"] == "/users" and ["X-Forwarded-Prefix", "/v2"] in doc["headers"]


def test_body_limit_413(stoep, backends):
    be = backends()
    port = start_proxy(stoep, f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app, middlewares: [limit]}}
  middlewares:
    limit: {{buffering: {{maxRequestBodyBytes: 100000}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    r, _ = get(port, "/ok", method="POST", body=b"x" * 1000)
    assert r.status == 200
    r, body = get(port, "/big", method="POST", body=b"x" * 200000)
    assert r.status == 413 and be.requests == 1  # refused before anything went upstream

    def chunks():
        for _ in range(50):
            yield b"y" * 10000
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/chunked", body=chunks(), headers={"Host": "app.test"}, encode_chunked=True)
    assert c.getresponse().status == 413
    c.close()


def test_basic_auth_with_the_fixture_user(stoep, backends):
    be = backends()
    # The inethi fixture's `myauth` user (compose doubles the `$`; a file provider takes it as is).
    port = start_proxy(stoep, f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app, middlewares: [myauth]}}
  middlewares:
    myauth:
      basicAuth:
        users: ["inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv."]
        removeHeader: true
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
    import base64
    r, body = get(port, "/")
    assert r.status == 401 and body == b"401 Unauthorized\n"
    assert r.getheader("WWW-Authenticate") == 'Basic realm="traefik"'
    bad = base64.b64encode(b"inethi:wrong").decode()
    assert get(port, "/", headers={"Authorization": f"Basic {bad}"})[0].status == 401
    good = base64.b64encode(b"inethi:community").decode()
    r, body = get(port, "/", headers={"Authorization": f"Basic {good}"})
    assert r.status == 200
    assert "authorization" not in {k.lower() for k, _ in json.loads(body)["headers"]}  # removeHeader


def test_cors_preflight_add_prefix_allow_list_depth_and_entry_points(stoep, backends):
    be = backends()
    port2 = free_port()
    dyn = f"""http:
  routers:
    api:
      rule: "Host(`api.test`)"
      service: app
      middlewares: [cors, prefix]
    inner:
      rule: "Host(`inner.test`)"
      service: app
      entryPoints: [other]
      middlewares: [lanonly]
  middlewares:
    cors:
      headers:
        accessControlAllowOriginList: ["http://radio.test"]
        accessControlAllowMethods: [GET, POST]
        accessControlAllowHeaders: [X-Token]
        accessControlMaxAge: 600
    prefix: {{addPrefix: {{prefix: /v1}}}}
    lanonly:
      ipAllowList: {{sourceRange: ["10.0.0.0/8"], ipStrategy: {{depth: 1}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
"""
    port = free_port()
    (stoep.workdir / "dynamic.yml").write_text(dyn)
    (stoep.workdir / "traefik.yml").write_text(f"""entryPoints:
  web: {{address: "127.0.0.1:{port}"}}
  other: {{address: "127.0.0.1:{port2}", forwardedHeaders: {{insecure: true}}}}
providers: {{file: {{filename: "{stoep.workdir / 'dynamic.yml'}"}}}}
""")
    stoep.start("--traefik-config", str(stoep.workdir / "traefik.yml"))
    before = be.requests
    r, _ = get(port, "/x", host="api.test", method="OPTIONS",
               headers={"Origin": "http://radio.test", "Access-Control-Request-Method": "POST"})
    assert r.status == 200 and be.requests == before  # answered by stoep, never forwarded
    assert r.getheader("Access-Control-Allow-Origin") == "http://radio.test"
    assert r.getheader("Access-Control-Allow-Methods") == "GET,POST"
    assert r.getheader("Access-Control-Max-Age") == "600"
    assert json.loads(get(port, "/users", host="api.test")[1])["path"] == "/v1/users"
    # `inner` lists only the `other` entry point; `api` lists none, so it is on both.
    assert get(port, "/", host="inner.test")[0].status == 404
    assert get(port2, "/", host="api.test")[0].status == 200
    # depth 1: the right-most X-Forwarded-For entry decides.
    assert get(port2, "/", host="inner.test", headers={"X-Forwarded-For": "10.1.2.3"})[0].status == 200
    assert get(port2, "/", host="inner.test", headers={"X-Forwarded-For": "10.1.2.3, 8.8.8.8"})[0].status == 403


def test_backend_host_name_resolved_at_load_with_a_warning(stoep, backends):
    be = backends()
    port = start_proxy(stoep, f"""http:
  routers:
    app: {{rule: "Host(`app.test`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "http://localhost:{be.port}"}}]}}}}
""")
    r, body = get(port, "/")
    assert r.status == 200 and json.loads(body)["port"] == be.port
    problems = " ".join(e["message"] for e in stoep.stats("show config-errors")["errors"])
    assert "resolved once at load time" in problems
