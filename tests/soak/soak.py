#!/usr/bin/env python3
"""`make soak`: stoep under mixed traffic for SOAK_SECONDS (default 1800), sampled every 10 s.

Traffic, all at once and paced (this is a leak and creep check, not a throughput benchmark):
  - HTTP/1.1 keep-alive GETs through the proxy to a real backend (4 clients),
  - HTTPS: a new TLS connection per request (full handshake) to a router with a community-CA certificate,
  - DNS over UDP: local names and names forwarded to a dnsmasq upstream, plus one TCP query per loop,
  - a reload every 10 s, alternating SIGHUP and a file-provider change (a router added / removed).
Every 10 s it samples stoep's RSS, open descriptors and the p50/p99 latency of each kind of request in that
window, and writes them to a CSV (SOAK_CSV, default .build/soak/soak-<time>.csv).

It fails (exit 1) when, comparing the median of the last 3 samples with that of the 3 samples after the
warm-up (the first 60 s):
  - RSS grew by more than 10 % + 2 MiB,
  - open descriptors grew by more than 16,
  - any window's p99 exceeded 1 s (HTTP, DNS) or 2 s (a TLS handshake and request),
  - more than 0.01 % of requests or DNS queries failed.
"""
import csv
import http.client
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402

from conftest import Stoep, free_port, series  # noqa: E402
from dns_upstream import DnsmasqUpstream  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "1800"))
SAMPLE = 10.0
WARMUP = 60.0


class Load:
    """A paced client loop on its own thread: records latencies of the current window and failures."""

    def __init__(self, name, step, pause):
        self.name, self.step, self.pause = name, step, pause
        self.window, self.failures, self.done = [], [], 0
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        state = {}
        while self.running:
            t0 = time.perf_counter()
            try:
                self.step(state)
                with self.lock:
                    self.window.append(time.perf_counter() - t0)
                    self.done += 1
            except Exception as e:  # noqa: BLE001 — every failure is counted and reported
                with self.lock:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {e!r}")
                state.clear()
            time.sleep(self.pause)

    def take(self):
        with self.lock:
            w, self.window = self.window, []
        return w

    def stop(self):
        self.running = False
        self.thread.join(10)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def main():
    work = ROOT / ".build" / "soak" / time.strftime("run-%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    csv_path = Path(os.environ.get("SOAK_CSV", work.parent / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.csv"))
    # nginx as the backend (a real server that answers in one write; Python's http.server writes head and
    # body apart, and Nagle with delayed ACKs then adds 40 ms to every answer).
    backend_port = free_port()
    (work / "www").mkdir()
    (work / "www" / "2k").write_bytes(b"s" * 2048)
    (work / "www" / "512").write_bytes(b"t" * 512)
    (work / "nginx.conf").write_text(f"""daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; keepalive_requests 100000000; server {{ listen 127.0.0.1:{backend_port}; root {work}/www; }} }}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(work / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backend_url = f"http://127.0.0.1:{backend_port}"
    upstream = DnsmasqUpstream(work / "up", options=["--address=/up.test/192.0.2.99"])
    web, websecure, dns_port = free_port(), free_port(), free_port()
    (work / "dyn").mkdir()
    config = work / "stoep.toml"
    config.write_text(f"""
[entryPoints.web]
address = "127.0.0.1:{web}"
[entryPoints.websecure]
address = "127.0.0.1:{websecure}"

[dns]
port = {dns_port}
listen-address = "127.0.0.1"
bind-interfaces = true
no-resolv = true
address = ["/box.test/192.0.2.1"]
server = ["/up.test/127.0.0.1#{upstream.port}"]

[providers.file]
directory = "{work / 'dyn'}"
watch = true

[certificatesResolvers.community.localCA]
storage = "{work / 'ca'}"

[http.routers.app]
rule = "Host(`app.test`)"
service = "app"
entryPoints = ["web"]
[http.routers.wiki]
rule = "Host(`wiki.box.test`)"
service = "app"
entryPoints = ["websecure"]
[http.routers.wiki.tls]
certResolver = "community"

[http.services.app.loadBalancer]
servers = [{{url = "{backend_url}"}}]
""")
    stoep = Stoep(work, os.environ.get("SOAK_BACKEND", "io_uring"))
    stoep.start(config=config)
    deadline = time.time() + 15
    while not (work / "ca" / "root.pem").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    ctx = ssl.create_default_context(cafile=str(work / "ca" / "root.pem"))

    def http_step(state):
        c = state.get("c") or http.client.HTTPConnection("127.0.0.1", web, timeout=5)
        state["c"] = c
        c.request("GET", "/2k", headers={"Host": "app.test"})
        r = c.getresponse()
        body = r.read()
        if r.status != 200 or len(body) != 2048:
            raise RuntimeError(f"HTTP {r.status}, {len(body)} bytes")

    def tls_step(state):
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", websecure), timeout=5),
                             server_hostname="wiki.box.test") as s:
            s.sendall(b"GET /512 HTTP/1.1\r\nHost: wiki.box.test\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        if not data.startswith(b"HTTP/1.1 200") or len(data.partition(b"\r\n\r\n")[2]) != 512:
            raise RuntimeError(f"HTTPS: {data[:40]!r}")

    counter = [0]

    def dns_step(state):
        counter[0] += 1
        i = counter[0]
        name, want = (f"h{i % 100}.box.test", "192.0.2.1") if i % 2 else (f"n{i % 500}.up.test", "192.0.2.99")
        q = dns.message.make_query(name, "A")
        m = dns.query.tcp(q, "127.0.0.1", port=dns_port, timeout=3) if i % 20 == 0 else \
            dns.query.udp(q, "127.0.0.1", port=dns_port, timeout=3)
        got = [r.to_text() for rr in m.answer for r in rr]
        if got != [want]:
            raise RuntimeError(f"DNS {name}: {got}")

    reloads = [0]

    def reload_step(state):
        reloads[0] += 1
        n = reloads[0]
        if n % 2:
            stoep.signal(signal.SIGHUP)
        else:
            extra = work / "dyn" / "extra.yml"
            if n % 4 == 0:
                extra.write_text(f'http:\n  routers:\n    extra: {{rule: "Host(`e{n}.test`)", service: app@file}}\n')
            elif extra.exists():
                extra.unlink()

    loads = [Load("http", http_step, 0.004) for _ in range(4)] + [Load("tls", tls_step, 0.05)] + \
            [Load("dns", dns_step, 0.003) for _ in range(2)] + [Load("reload", reload_step, SAMPLE)]
    kinds = ["http", "tls", "dns"]
    rows = []
    started = time.time()
    fields = ["t_s", "rss_kib", "fds", "reloads"] + [f"{k}_{m}" for k in kinds for m in ("n", "p50_ms", "p99_ms")]
    with open(csv_path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(fields)
        next_at = started + SAMPLE
        while time.time() - started < SECONDS:
            time.sleep(max(0.0, next_at - time.time()))
            next_at += SAMPLE
            if stoep.proc.poll() is not None:
                print(f"stoep exited with {stoep.proc.returncode}", file=sys.stderr)
                return 1
            row = {"t_s": round(time.time() - started), "rss_kib": stoep.rss_kib(),
                   "fds": len(os.listdir(f"/proc/{stoep.pid}/fd")),
                   "reloads": series(stoep.stats(), "counters", "config_reloads")}
            for k in kinds:
                w = [x for l in loads if l.name == k for x in l.take()]
                row[f"{k}_n"] = len(w)
                row[f"{k}_p50_ms"] = round(pct(w, 0.5) * 1000, 2)
                row[f"{k}_p99_ms"] = round(pct(w, 0.99) * 1000, 2)
            rows.append(row)
            out.writerow([row[x] for x in fields])
            f.flush()
            print(" ".join(f"{k}={row[k]}" for k in fields), flush=True)
    for l in loads:
        l.stop()
    stats = stoep.stats()
    stoep.stop()
    nginx.terminate()
    nginx.wait(10)
    upstream.close()

    after = [r for r in rows if r["t_s"] > WARMUP] or rows
    first, last = after[:3], after[-3:]
    rss0, rss1 = statistics.median(r["rss_kib"] for r in first), statistics.median(r["rss_kib"] for r in last)
    fd0, fd1 = statistics.median(r["fds"] for r in first), statistics.median(r["fds"] for r in last)
    totals = {k: sum(l.done for l in loads if l.name == k) for k in kinds + ["reload"]}
    failures = {k: [x for l in loads if l.name == k for x in l.failures] for k in kinds + ["reload"]}
    worst = {k: max((r[f"{k}_p99_ms"] for r in rows), default=0) for k in kinds}
    summary = {
        "seconds": round(time.time() - started), "backend": stoep.backend, "samples": len(rows), "csv": str(csv_path),
        "rss_kib_after_warmup": rss0, "rss_kib_at_end": rss1, "rss_growth_pct": round((rss1 - rss0) * 100 / rss0, 2),
        "rss_kib_max": max(r["rss_kib"] for r in rows), "fds_after_warmup": fd0, "fds_at_end": fd1,
        "requests": totals, "failures": {k: len(v) for k, v in failures.items()},
        "worst_window_p99_ms": worst,
        "median_p99_ms": {k: statistics.median(r[f"{k}_p99_ms"] for r in rows) for k in kinds},
        "config_reloads": series(stats, "counters", "config_reloads"),
        "config_reload_failures": series(stats, "counters", "config_reload_failures"),
        "first_failures": {k: v[:3] for k, v in failures.items() if v},
    }
    print(json.dumps(summary, indent=2))
    problems = []
    if rss1 > rss0 * 1.10 + 2048:
        problems.append(f"RSS grew {rss0} -> {rss1} KiB (bound: 10 % + 2 MiB)")
    if fd1 > fd0 + 16:
        problems.append(f"descriptors grew {fd0} -> {fd1} (bound: +16)")
    for k, limit in (("http", 1000), ("dns", 1000), ("tls", 2000)):
        if worst[k] > limit:
            problems.append(f"{k} p99 reached {worst[k]} ms in a window (bound: {limit} ms)")
        if len(failures[k]) > totals[k] / 10000:
            problems.append(f"{k}: {len(failures[k])} failures of {totals[k]}: {failures[k][:3]}")
    if summary["config_reload_failures"]:
        problems.append(f"{summary['config_reload_failures']} reload failures")
    for p in problems:
        print("SOAK FAILED:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
