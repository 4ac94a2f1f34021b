"""A real HTTP/1.1 backend for proxy tests: keep-alive, echo of the request head as JSON, fixed-length
and chunked bodies, upload hashing, slow answers, and a raw upgrade (101 then echo)."""
import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline()
                if not line.strip():  # the proxy cut the body off (a body limit): nothing more comes
                    break
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    b = self.rfile.read(min(left, 1 << 20))
                    h.update(b)
                    n += len(b)
                    left -= len(b)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, 1 << 20))
                if not b:
                    break
                h.update(b)
                n += len(b)
                left -= len(b)
        return h.hexdigest(), n

    def do_GET(self):
        self.server.requests += 1
        path = self.path
        if path != "/health":
            self.server.seen.append((self.command, path, 0, self.headers.get("Host")))
            if self.server.delay:
                time.sleep(self.server.delay)
        if path.startswith("/bytes/"):
            n = int(path.split("/")[2])
            body = (b"0123456789abcdef" * (n // 16 + 1))[:n]
            return self._send(200, body, "application/octet-stream")
        if path.startswith("/chunked/"):
            parts = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(parts):
                chunk = (b"chunk-%d;" % i) * (i + 1)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/health":
            return self._send(200 if self.server.healthy else 503, b"health")
        if path.startswith("/slow/"):
            time.sleep(float(path.split("/")[2].split("?")[0]))
        if path == "/upgrade":
            self.send_response(101)
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "echo")
            self.end_headers()
            self.wfile.flush()
            conn = self.connection
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                conn.sendall(b)
            self.close_connection = True
            return
        doc = {"method": self.command, "path": path, "headers": [[k, v] for k, v in self.headers.items()],
               "port": self.server.server_address[1], "peer_port": self.client_address[1]}
        self._send(200, json.dumps(doc).encode())

    do_HEAD = do_GET
    do_DELETE = do_GET

    def do_POST(self):
        self.server.requests += 1
        digest, n = self._read_body()
        self.server.seen.append((self.command, self.path, n, digest))
        doc = {"sha256": digest, "length": n, "path": self.path}
        if self.path == "/with-headers":  # and the fields as they arrived (hop-by-hop tests)
            doc["headers"] = [[k, v] for k, v in self.headers.items()]
        self._send(200, json.dumps(doc).encode())

    do_PUT = do_POST


class Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: the streams of one HTTP/2 connection (or many clients) connect at
    # once, and connections past the accept queue were reset mid-request.
    request_queue_size = 128


class Backend:
    """`tls`: an ssl.SSLContext (server side) to serve HTTPS; the server names clients sent (SNI) are
    kept in `server_names`."""

    def __init__(self, tls=None):
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.requests = 0
        self.server.healthy = True
        # What came in besides health probes: (method, path, body length, Host or body sha256).
        self.server.seen = []
        # Seconds every GET but /health waits before answering.
        self.server.delay = 0
        self.port = self.server.server_address[1]
        self.server_names = []
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self):
        return self.server.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()
