"""A 50 MB response compressed on its way through stoep (compress middleware), streamed: the backend's body
flows through the encoder as it is sent, stoep's memory stays bounded, and a client that stops reading stops
the backend (back-pressure through the socket buffers). Once per reactor backend, one coding each."""
import hashlib
import random
import socket
import time
import zlib

import pytest

from conftest import Stoep, free_port
from upstreams import Upstream

brotli = pytest.importorskip("brotli")
zstandard = pytest.importorskip("zstandard")

TOTAL = 50 << 20


class StreamingBackend:
    """Answers every request with TOTAL bytes, chunked, and counts what it managed to send (upstreams.Upstream)."""

    def __init__(self):
        self.sent = 0
        self.sha = hashlib.sha256()
        self.upstream = Upstream(self._serve)
        self.url = f"http://127.0.0.1:{self.upstream.port}"

    def _serve(self, c):
        data = b""
        while b"\r\n\r\n" not in data:
            data += c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        # Hex of seeded random bytes: compresses to about half (no long-range repeats a window would find),
        # so the compressed stream is still 25 MB, far more than the socket buffers hold.
        rnd = random.Random(7)
        while self.sent < TOTAL:
            piece = rnd.randbytes(32768).hex().encode()[:TOTAL - self.sent]
            self.sha.update(piece)
            c.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.sent += len(piece)
        c.sendall(b"0\r\n\r\n")


def decoder(coding):
    if coding == "gzip":
        d = zlib.decompressobj(16 + 15)
        return d.decompress
    if coding == "br":
        return brotli.Decompressor().process
    return zstandard.ZstdDecompressor().decompressobj().decompress


@pytest.mark.parametrize("reactor,coding", [("io_uring", "br"), ("epoll", "gzip"), ("epoll", "zstd")])
def test_fifty_mb_compressed_stream_in_bounded_memory(tmp_path, reactor, coding):
    be = StreamingBackend()
    s = Stoep(tmp_path, reactor)
    port = free_port()
    (tmp_path / "d.yml").write_text(f"""http:
  routers: {{app: {{rule: "Host(`app.test`)", service: app, middlewares: [c]}}}}
  middlewares: {{c: {{compress: {{}}}}}}
  services: {{app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}}}
""")
    (tmp_path / "t.yml").write_text(f"""entryPoints: {{web: {{address: "127.0.0.1:{port}"}}}}
providers: {{file: {{filename: "{tmp_path / 'd.yml'}"}}}}
""")
    s.start("--traefik-config", str(tmp_path / "t.yml"))
    try:
        idle = s.rss_kib()
        c = socket.create_connection(("127.0.0.1", port), timeout=60)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        c.sendall(f"GET /big HTTP/1.1\r\nHost: app.test\r\nAccept-Encoding: {coding}\r\n\r\n".encode())
        # The client does not read for a while: the backend must stall far short of the whole body.
        time.sleep(1.5)
        stalled_at = be.sent
        assert stalled_at < TOTAL // 2, stalled_at
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += c.recv(65536)
        head, _, rest = raw.partition(b"\r\n\r\n")
        assert f"content-encoding: {coding}".encode() in head.lower() and b"transfer-encoding: chunked" in head.lower()
        # De-chunk and decode as it arrives.
        decode, h, plain, peak = decoder(coding), hashlib.sha256(), 0, 0
        buf, done, deadline = rest, False, time.time() + 120
        while not done and time.time() < deadline:
            while True:
                line_end = buf.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(buf[:line_end], 16)
                if len(buf) < line_end + 2 + size + 2:
                    break
                if size == 0:
                    done = True
                    break
                out = decode(buf[line_end + 2:line_end + 2 + size])
                h.update(out)
                plain += len(out)
                buf = buf[line_end + 2 + size + 2:]
            if done:
                break
            data = c.recv(1 << 20)
            assert data, "connection closed early"
            buf += data
            peak = max(peak, s.rss_kib())
        c.close()
        assert done and plain == TOTAL and h.hexdigest() == be.sha.hexdigest()
        # Bounded: the encoder's state and one read, far from the body's size.
        assert peak - idle < 24 * 1024, (idle, peak)
    finally:
        s.stop()
        be.upstream.close()
