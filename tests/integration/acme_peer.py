"""A real ACME server for the tests: Debian's pebble (RFC 8555) with pebble-challtestsrv as the DNS
server pebble asks, both on loopback. Every name resolves to 127.0.0.1, so pebble's HTTP-01 and
TLS-ALPN-01 validations reach stoep's entry points on the ports given (pebble's httpPort/tlsPort).
pebble's own HTTPS certificate comes from a CA the test makes; stoep trusts it through caCertificates."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port, stop_process
from tls_certs import CA


def have_pebble():
    return shutil.which("pebble") and shutil.which("pebble-challtestsrv")


class Pebble:
    def __init__(self, workdir, http_port, tls_port, nonce_reject=0, env=None, validity=None, host="127.0.0.1", netns_pid=None):
        """`host`: pebble's listening address; `netns_pid`: run pebble in that process's network namespace
        (a namespace of the test's own, test_swarm_certificates.py) instead of the test's."""
        self.dir = workdir / "pebble"
        self.dir.mkdir(exist_ok=True)
        self.http_port, self.tls_port = http_port, tls_port
        self.host, self.netns_pid = host, netns_pid
        self.port, self.mgmt_port = free_port(), free_port()
        self.dns_port, self.chall_mgmt = free_port(socket.SOCK_DGRAM), free_port()
        self.ca = CA("pebble test server CA")
        cert, key = self.ca.issue(["localhost"], ips=sorted({"127.0.0.1", host}))
        (self.dir / "cert.pem").write_bytes(cert)
        (self.dir / "key.pem").write_bytes(key)
        self.ca_file = self.dir / "server-ca.pem"
        self.ca_file.write_bytes(self.ca.pem)
        (self.dir / "config.json").write_text(json.dumps({"pebble": {
            "listenAddress": f"{host}:{self.port}", "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
            "certificate": str(self.dir / "cert.pem"), "privateKey": str(self.dir / "key.pem"),
            "httpPort": http_port, "tlsPort": tls_port, "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            **({"certificateValidityPeriod": validity} if validity else {})}}))
        self.nonce_reject = nonce_reject
        self.env = env or {}
        self.procs = []

    @property
    def directory(self):
        return f"https://{self.host}:{self.port}/dir"

    def _argv(self, argv):
        return ["nsenter", "-t", str(self.netns_pid), "-n", *argv] if self.netns_pid else argv

    def start(self):
        log = open(self.dir / "challtestsrv.log", "ab")
        self.procs.append(subprocess.Popen(self._argv(
            ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{self.chall_mgmt}"]), stdout=log, stderr=subprocess.STDOUT))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT=str(self.nonce_reject),
                   PEBBLE_AUTHZREUSE="0", **self.env)
        self.log = open(self.dir / "pebble.log", "ab")
        self.procs.append(subprocess.Popen(self._argv(
            ["pebble", "-config", str(self.dir / "config.json"), "-dnsserver", f"127.0.0.1:{self.dns_port}"]),
            stdout=self.log, stderr=subprocess.STDOUT, env=env))
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.netns_pid:
                r = subprocess.run(self._argv(["curl", "-s", "-o", "/dev/null", "--max-time", "1", "--cacert", str(self.ca_file),
                                               self.directory]), timeout=5)
                if r.returncode == 0:
                    return self
                time.sleep(0.1)
                continue
            try:
                urllib.request.urlopen(self.directory, context=ctx, timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pebble did not come up: " + self.log_text())

    def log_text(self):
        return (self.dir / "pebble.log").read_text(errors="replace")

    def challtest(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.chall_mgmt}{path}", data=json.dumps(body).encode())
        urllib.request.urlopen(req, timeout=5).read()

    def roots_pem(self):
        """The root of the certificates pebble issues (a new one each run)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        return urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt_port}/roots/0", context=ctx, timeout=5).read()

    def intermediate_pem(self):
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        return urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt_port}/intermediates/0", context=ctx, timeout=5).read()

    def stop(self):
        for p in reversed(self.procs):
            stop_process(p, 5)
        self.procs = []


@pytest.fixture
def pebble_factory(tmp_path):
    if not have_pebble():
        pytest.skip("pebble is not installed (make deps installs it)")
    made = []

    def make(http_port, tls_port, **kw):
        p = Pebble(tmp_path, http_port, tls_port, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.stop()
