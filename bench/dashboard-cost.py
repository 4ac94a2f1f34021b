#!/usr/bin/env python3
"""What the dashboard costs stoep (issue 20): idle RSS with nobody watching, with api.dashboard off and
on, for each binary given (before/after); and the CPU one watcher costs at the page's 1 s refresh — the
stoep process's on-CPU time (/proc/PID/schedstat, ns) over SECONDS of fetching /dashboard/live.json once a
second on one keep-alive connection, as the page does, minus the same span with nobody watching. Also the
document's size. Results: BENCHMARKS.md, "The dashboard".

usage: bench/dashboard-cost.py [--rounds 3] [--seconds 20] BIN [BIN...]
"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Origin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ns(pid):
    return int(open(f"/proc/{pid}/schedstat").read().split()[0])


def box(workdir, origin_port, dashboard=True):
    web, dash, dns = free_port(), free_port(), free_port()
    dyn = os.path.join(workdir, "dynamic.yml")
    routers = "".join(f'    r{i}: {{rule: "Host(`r{i}.test`)", entryPoints: [web], service: s{i}}}\n' for i in range(5))
    services = "".join(f'    s{i}: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:{origin_port}"}}]}}}}\n' for i in range(5))
    open(dyn, "w").write("http:\n  routers:\n" + routers + "  services:\n" + services)
    static = os.path.join(workdir, "traefik.yml")
    open(static, "w").write(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  traefik: {{address: "127.0.0.1:{dash}"}}
api: {{insecure: true, dashboard: {"true" if dashboard else "false"}}}
providers:
  file: {{filename: "{dyn}"}}
""")
    conf = os.path.join(workdir, "dnsmasq.conf")
    open(conf, "w").write(f"port={dns}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\naddress=/local.example/10.0.0.1\n")
    return web, dash, dns, static, conf


def one_round(binary, seconds, origin_port, dashboard=True):
    with tempfile.TemporaryDirectory() as w:
        web, dash, dns, static, conf = box(w, origin_port, dashboard)
        p = subprocess.Popen([binary, "run", "--stats-socket", os.path.join(w, "s.sock"), "--traefik-config", static,
                              "--dnsmasq-conf", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=w)
        try:
            time.sleep(2)
            # Page the answer paths in: a few routed requests and one API document, as idle-rss.sh does.
            for i in range(5):
                c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
                c.request("GET", "/", headers={"Host": f"r{i}.test"})
                c.getresponse().read()
                c.close()
            c = http.client.HTTPConnection("127.0.0.1", dash, timeout=5)
            c.request("GET", "/api/overview")
            c.getresponse().read()
            c.close()
            time.sleep(1)
            idle_rss = rss_kib(p.pid)
            if not dashboard:
                return idle_rss, idle_rss, 0, 0, 0
            a = cpu_ns(p.pid)
            time.sleep(seconds)
            idle_cpu = cpu_ns(p.pid) - a
            c = http.client.HTTPConnection("127.0.0.1", dash, timeout=5)
            size = 0
            a = cpu_ns(p.pid)
            t0 = time.monotonic()
            for n in range(seconds):
                c.request("GET", "/dashboard/live.json")
                size = len(c.getresponse().read())
                time.sleep(max(0.0, t0 + n + 1 - time.monotonic()))
            watch_cpu = cpu_ns(p.pid) - a
            c.close()
            watched_rss = rss_kib(p.pid)
            return idle_rss, watched_rss, idle_cpu / seconds, watch_cpu / seconds, size
        finally:
            p.terminate()
            p.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    origin = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    for binary in args.binaries:
        off = statistics.median(one_round(binary, 0, origin.server_address[1], dashboard=False)[0] for _ in range(args.rounds))
        print(f"{binary}: api.dashboard off: idle RSS {off:.0f} KiB")
        rounds = [one_round(binary, args.seconds, origin.server_address[1]) for _ in range(args.rounds)]
        med = [statistics.median(x) for x in zip(*rounds)]
        print(f"{binary}: api.dashboard on: idle RSS {med[0]:.0f} KiB, after {args.seconds} s watched {med[1]:.0f} KiB; "
              f"CPU idle {med[2] / 1e6:.3f} ms/s, watched at 1 s {med[3] / 1e6:.3f} ms/s "
              f"(one watcher: {(med[3] - med[2]) / 1e6:.3f} ms of CPU per second); live.json {med[4]:.0f} bytes "
              f"(medians of {args.rounds})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
