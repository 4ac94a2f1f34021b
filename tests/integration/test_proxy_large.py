"""A 4 GiB upload through the proxy, streamed and hashed on the backend, with stoep's memory checked
while it runs (constant memory: the body is spliced, never held). Runs once (not per backend)."""
import hashlib
import http.client
import json
import threading
import time

import pytest

from conftest import Stoep, free_port
from http_backend import Backend

GiB = 1 << 30


@pytest.mark.slow  # 4 GiB through the proxy (~30 s); bounded-memory uploads: test_http2, test_proxy
def test_four_gib_upload_in_constant_memory(tmp_path):
    be = Backend()
    s = Stoep(tmp_path, "auto")
    port = free_port()
    (tmp_path / "d.yml").write_text(f"""http:
  routers: {{app: {{rule: "Host(`app.test`)", service: app}}}}
  services: {{app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}}}
""")
    (tmp_path / "t.yml").write_text(f"""entryPoints: {{web: {{address: "127.0.0.1:{port}"}}}}
providers: {{file: {{filename: "{tmp_path / 'd.yml'}"}}}}
""")
    s.start("--traefik-config", str(tmp_path / "t.yml"))
    try:
        rss_samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    rss_samples.append(s.rss_kib())
                except OSError:
                    return
                time.sleep(0.2)
        threading.Thread(target=sample, daemon=True).start()
        block = hashlib.sha256(b"seed").digest() * (1 << 15)  # 1 MiB
        total = 4 * GiB
        h = hashlib.sha256()

        def body():
            for i in range(total // len(block)):
                chunk = block[i % 997:] + block[:i % 997]
                h.update(chunk)
                yield chunk
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.putrequest("POST", "/big", skip_host=True)
        c.putheader("Host", "app.test")
        c.putheader("Content-Length", str(total))
        c.endheaders()
        for chunk in body():
            c.send(chunk)
        doc = json.loads(c.getresponse().read())
        stop.set()
        assert doc["length"] == total and doc["sha256"] == h.hexdigest()
        assert max(rss_samples) < 32 * 1024, rss_samples  # KiB: constant, far from the body's size
    finally:
        s.stop()
        be.close()
