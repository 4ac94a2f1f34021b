#!/usr/bin/env python3
"""10,000 idle keep-alive client connections on stoep's HTTP entry point: resident memory before and
after (goal <= 40 MB), then latency at a fixed request rate over a few of them.
Usage: bench/http-idle.py [--conns 10000]   (needs .build/release/stoep; starts its own nginx-free backend)"""
import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STOEP_BINARY", os.path.join(ROOT, ".build/release/stoep"))


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        # One write for head and body: Python's server would otherwise send them as two segments and
        # Nagle plus delayed ACKs would add 40 ms to every answer, whoever the proxy is.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=10000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    backend = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    w = tempfile.mkdtemp()
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    open(f"{w}/t.yml", "w").write(f'entryPoints: {{web: {{address: "127.0.0.1:{port}"}}}}\n'
                                  f'providers: {{file: {{filename: "{w}/d.yml"}}}}\n')
    open(f"{w}/d.yml", "w").write('http:\n  routers: {r: {rule: "Host(`idle.test`)", service: s}}\n'
                                  f'  services: {{s: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:{backend.server_address[1]}"}}]}}}}}}\n')
    p = subprocess.Popen([BIN, "run", "--traefik-config", f"{w}/t.yml", "--stats-socket", f"{w}/s.sock"],
                         cwd=w, stderr=subprocess.DEVNULL)
    time.sleep(1)
    before = rss_kib(p.pid)
    conns = []
    req = b"GET / HTTP/1.1\r\nHost: idle.test\r\n\r\n"
    for i in range(args.conns):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(req)  # one request each, so every connection has been through a full exchange
        got = b""
        while not got.endswith(b"ok"):
            got += c.recv(4096)
        conns.append(c)
    time.sleep(1)
    after = rss_kib(p.pid)
    # Latency at a fixed rate (500 req/s for 4 s) over 20 of the idle connections.
    lat = []
    t_end = time.time() + 4
    i = 0
    while time.time() < t_end:
        c = conns[i % 20]
        t0 = time.perf_counter()
        c.sendall(req)
        got = b""
        while not got.endswith(b"ok"):
            got += c.recv(4096)
        lat.append(time.perf_counter() - t0)
        i += 1
        time.sleep(max(0, 0.002 - (time.perf_counter() - t0)))
    lat.sort()
    print(f"idle connections: {args.conns}")
    print(f"stoep RSS before: {before / 1024:.1f} MiB, with {args.conns} idle keep-alive connections: {after / 1024:.1f} MiB "
          f"({(after - before) * 1024 / args.conns:.0f} bytes per connection)")
    print(f"latency at ~500 req/s: p50 {lat[len(lat) // 2] * 1e6:.0f} us, p99 {lat[int(len(lat) * 0.99)] * 1e6:.0f} us "
          f"({len(lat)} requests)")
    for c in conns:
        c.close()
    p.terminate()
    p.wait()


if __name__ == "__main__":
    sys.exit(main())
