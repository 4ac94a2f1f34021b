"""Traefik 3.7 and stoep on one file-provider configuration in front of the same named backends
(http_backend.Backend, which answers with its port), for the service tests (weighted, sticky): a request
through either proxy says which backend answered, so the tests compare the servers picked."""
import http.client
import json
import subprocess
import time

from conftest import Stoep, free_port
from http_backend import Backend
from traefik_peer import traefik_binary


class ServicePeers:
    """`dynamic`: YAML with "{a}", "{b}"… for the URLs of backends named by `names`; `ready_host`: a
    Host that answers 200 once Traefik has loaded the file."""

    def __init__(self, workdir, reactor, dynamic, names, ready_host, static_extra=""):
        self.backends = {name: Backend() for name in names}
        self.names = {b.port: name for name, b in self.backends.items()}
        self.ports = {"traefik": free_port(), "stoep": free_port()}
        path = workdir / "dynamic.yml"
        path.write_text(dynamic.format(**{n: b.url for n, b in self.backends.items()}))
        self.log = open(workdir / "traefik.log", "wb")
        for name in self.ports:
            (workdir / f"{name}.yml").write_text(
                "global: {checkNewVersion: false, sendAnonymousUsage: false}\n"
                f"entryPoints: {{web: {{address: \"127.0.0.1:{self.ports[name]}\"}}"
                # api (static_extra) would otherwise open Traefik's default `traefik` entry point on :8080 in both.
                + (f", traefik: {{address: \"127.0.0.1:{free_port()}\"}}" if "api" in static_extra else "") + "}\n"
                f"providers: {{file: {{filename: \"{path}\"}}}}\n" + static_extra)
        self.traefik = subprocess.Popen([traefik_binary(), f"--configfile={workdir / 'traefik.yml'}"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        (workdir / "stoep").mkdir()
        self.stoep = Stoep(workdir / "stoep", reactor)
        self.stoep.start("--traefik-config", str(workdir / "stoep.yml"))
        deadline = time.time() + 20
        while time.time() < deadline and self.get("traefik", ready_host)[0] != 200:
            time.sleep(0.2)

    def get(self, proxy, host, cookie=None):
        """(status, backend name or None, [Set-Cookie values]) for one GET through `proxy`."""
        headers = {"Host": host}
        if cookie:
            headers["Cookie"] = cookie
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.ports[proxy], timeout=5)
            c.request("GET", "/", headers=headers)
            r = c.getresponse()
            body = r.read()
            cookies = r.msg.get_all("Set-Cookie") or []
            c.close()
        except OSError:
            return 0, None, []
        name = self.names.get(json.loads(body)["port"]) if r.status == 200 else None
        return r.status, name, cookies

    def api(self, proxy, path, host="api.test"):
        """A JSON document of api@internal through `proxy` (a router for `host` to api@internal, and
        `static_extra` "api: {}")."""
        c = http.client.HTTPConnection("127.0.0.1", self.ports[proxy], timeout=5)
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, json.loads(body) if r.status == 200 else body

    def run(self, proxy, host, n):
        """(status, backend name) for `n` GETs in a row."""
        return [self.get(proxy, host)[:2] for _ in range(n)]

    def close(self):
        self.stoep.stop()
        self.traefik.terminate()
        self.traefik.wait(10)
        self.log.close()
        for b in self.backends.values():
            b.close()
