"""Real upstream servers for the tests, each on a loopback port, run in a background thread."""
import hashlib
import selectors
import socket
import threading


class Upstream:
    """Accepts connections on 127.0.0.1:port and runs `handler(conn)` for each in its own thread."""

    def __init__(self, handler, port=0, backlog=1024):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.results = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.results.append(self.handler(conn))
        except OSError as e:
            self.results.append(e)
        finally:
            conn.close()

    def close(self):
        self.sock.close()


class EchoServer:
    """A single-threaded selectors echo server: holds thousands of connections cheaply."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ, None)
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.running:
            for key, _ in self.sel.select(0.1):
                if key.data is None:
                    try:
                        c, _ = self.sock.accept()
                    except BlockingIOError:
                        continue
                    c.setblocking(False)
                    self.sel.register(c, selectors.EVENT_READ, "c")
                    continue
                c = key.fileobj
                try:
                    data = c.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionError:
                    data = b""
                if not data:
                    self.sel.unregister(c)
                    c.close()
                    continue
                c.setblocking(True)
                try:
                    c.sendall(data)
                except OSError:
                    pass
                c.setblocking(False)

    def close(self):
        # Every accepted connection too: one left open keeps the proxy's side of it open, and a stopping
        # stoep then waits its whole grace period for it (10 s in a test's teardown).
        self.running = False
        self.thread.join(2)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()
        self.sock.close()


def pattern_stream(total, seed):
    """Yields `total` deterministic bytes in 1 MiB chunks whose content depends on the position."""
    base = hashlib.sha256(seed.encode()).digest() * (1 << 15)  # 1 MiB
    sent = 0
    i = 0
    while sent < total:
        shift = (i * 4099) % len(base)
        chunk = base[shift:] + base[:shift]
        chunk = chunk[: total - sent]
        sent += len(chunk)
        i += 1
        yield chunk
