"""Idle RSS with and without a compress middleware, and RSS per concurrent compressed response (stalled
clients, so every encoder holds its state). Usage: python bench/compress-memory.py (needs a release build)."""
import socket, sys, time, random
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests/integration"))
from conftest import Stoep, free_port
from upstreams import Upstream


def serve(c):
    """Streams hex text chunked until the client goes."""
    d = b""
    while b"\r\n\r\n" not in d:
        d += c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    rnd = random.Random(1)
    while True:
        p = rnd.randbytes(32768).hex().encode()
        c.sendall(b"%x\r\n%s\r\n" % (len(p), p))


def run(tmp, compress, coding=None, n=0):
    tmp.mkdir(parents=True, exist_ok=True)
    be = Upstream(serve); be.url = f"http://127.0.0.1:{be.port}"; port = free_port()
    mw = "middlewares: [c]" if compress else ""
    (tmp / "d.yml").write_text(f"""http:
  routers: {{app: {{rule: "Host(`app.test`)", service: app, {mw}}}}}
  middlewares: {{c: {{compress: {{}}}}}}
  services: {{app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}}}
""")
    (tmp / "t.yml").write_text(f"""entryPoints: {{web: {{address: "127.0.0.1:{port}"}}}}
providers: {{file: {{filename: "{tmp / 'd.yml'}"}}}}
""")
    s = Stoep(tmp, "io_uring"); s.start("--traefik-config", str(tmp / "t.yml"))
    time.sleep(1); idle = s.rss_kib()
    # one request to warm up paths
    conns = []
    for i in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sendall(f"GET / HTTP/1.1\r\nHost: app.test\r\nAccept-Encoding: {coding}\r\n\r\n".encode())
        conns.append(c)
    time.sleep(3)
    busy = s.rss_kib()
    s.stop()
    return idle, busy

base = Path("/tmp/stoep-compress-memory")
print("idle without compress", run(base / "a", False)[0])
print("idle with compress", run(base / "b", True)[0])
for coding in ["gzip", "br", "zstd", "identity"]:
    for n in [1, 20]:
        idle, busy = run(base / f"{coding}{n}", True, coding, n)
        print(coding, n, idle, busy, (busy - idle) / n)
