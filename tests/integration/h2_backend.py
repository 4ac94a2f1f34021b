"""An HTTP/2 cleartext backend (prior knowledge) made with Python's `h2`, one thread per connection, that
records what it receives and answers by path — for what a real gRPC server does not show: the request
trailers a proxy forwards, how many connections and concurrent streams it opens, and how it maps the
backend's resets, GOAWAY and lost connections.

Paths: /slow (answers after 0.4 s), /slow-sink (reads the body at about 8 MB/s), /rst (RST_STREAM INTERNAL_ERROR, no answer), /rst-mid (head and 1000
bytes, then RST_STREAM), /goaway (answers, then GOAWAY and closes), /close (closes the socket at once),
/big/<n> (n bytes, as flow control allows), /trailers (body "ok" and trailers x-t: 1); anything else
answers 200 with the request body's length. Every request is recorded as (headers, body, trailers)."""
import select
import socket
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


class H2Backend:
    def __init__(self, max_streams=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"h2c://127.0.0.1:{self.port}"
        self.max_streams = max_streams
        self.requests = []
        self.connections = 0
        self.peak_streams = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, sock):
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        if self.max_streams:  # in the first SETTINGS, enforced at once
            conn.local_settings = h2.settings.Settings(
                client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.max_streams})
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams = {}    # id -> {"headers":…, "body":…, "trailers":…}
        sending = {}    # id -> [bytes left, trailers]
        due = []        # (time, id)
        open_streams = set()
        try:
            while True:
                timeout = 0.05 if (due or sending) else 1.0
                r, _, _ = select.select([sock], [], [], timeout)
                if r:
                    data = sock.recv(65536)
                    if not data:
                        return
                    for ev in conn.receive_data(data):
                        if isinstance(ev, h2.events.RequestReceived):
                            streams[ev.stream_id] = {"headers": dict(ev.headers), "body": b"", "trailers": None}
                            open_streams.add(ev.stream_id)
                            with self.lock:
                                self.peak_streams = max(self.peak_streams, len(open_streams))
                        elif isinstance(ev, h2.events.DataReceived):
                            streams[ev.stream_id]["body"] += ev.data
                            if streams[ev.stream_id]["headers"].get(":path") == "/slow-sink":
                                time.sleep(0.002)  # a backend reading about 8 MB/s
                            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                        elif isinstance(ev, h2.events.TrailersReceived):
                            streams[ev.stream_id]["trailers"] = dict(ev.headers)
                        elif isinstance(ev, h2.events.StreamEnded):
                            s = streams[ev.stream_id]
                            with self.lock:
                                self.requests.append((s["headers"], s["body"], s["trailers"]))
                            path = s["headers"].get(":path", "")
                            if path == "/slow":
                                due.append((time.time() + 0.4, ev.stream_id))
                            elif not self._answer(sock, conn, ev.stream_id, path, s, sending):
                                return
                            elif ev.stream_id not in sending:
                                open_streams.discard(ev.stream_id)
                        elif isinstance(ev, h2.events.StreamReset):
                            open_streams.discard(ev.stream_id)
                            sending.pop(ev.stream_id, None)
                        elif isinstance(ev, h2.events.ConnectionTerminated):
                            return
                now = time.time()
                for t, sid in [d for d in due if d[0] <= now]:
                    due.remove((t, sid))
                    self._respond(conn, sid, b"slow")
                    open_streams.discard(sid)
                for sid in list(sending):
                    left, trailers = sending[sid]
                    while left:
                        n = min(len(left), conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                        if n <= 0:
                            break
                        conn.send_data(sid, left[:n])
                        left = left[n:]
                    sending[sid][0] = left
                    if not left:
                        del sending[sid]
                        open_streams.discard(sid)
                        if trailers:
                            conn.send_headers(sid, trailers, end_stream=True)
                        else:
                            conn.end_stream(sid)
                out = conn.data_to_send()
                if out:
                    sock.sendall(out)
        except (OSError, h2.exceptions.ProtocolError):
            return
        finally:
            sock.close()

    def _respond(self, conn, sid, body, trailers=None):
        conn.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
        conn.send_data(sid, body, end_stream=not trailers)
        if trailers:
            conn.send_headers(sid, trailers, end_stream=True)

    def _answer(self, sock, conn, sid, path, s, sending):
        """Answers one request; False when the connection is to end here."""
        if path == "/rst":
            conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
        elif path == "/rst-mid":
            conn.send_headers(sid, [(":status", "200")])
            conn.send_data(sid, b"x" * 1000)
            sock.sendall(conn.data_to_send())
            time.sleep(0.1)
            conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
        elif path == "/goaway":
            self._respond(conn, sid, b"bye")
            conn.close_connection()
            sock.sendall(conn.data_to_send())
            time.sleep(0.1)
            return False
        elif path == "/close":
            return False
        elif path.startswith("/big/"):
            conn.send_headers(sid, [(":status", "200")])
            n = int(path[5:])
            sending[sid] = [bytes(range(256)) * (n // 256), None]
        elif path == "/trailers":
            self._respond(conn, sid, b"ok", trailers=[("x-t", "1"), ("grpc-status", "0")])
        else:
            self._respond(conn, sid, str(len(s["body"])).encode())
        return True

    def close(self):
        self.sock.close()
