#!/usr/bin/env python3
"""Idle RSS/PSS/anonymous memory per process of `stoep run --workers N` (smaps_rollup, KiB), as in
docs/architecture.md "Workers". Usage: bench/worker-memory.py [BINARY] [N ...]   (default .build/release/stoep 1 2 4)"""
import json, socket, subprocess, sys, tempfile, time
from pathlib import Path

CONFIG = """
[entryPoints.web]
address = "127.0.0.1:18080"
[entryPoints.websecure]
address = "127.0.0.1:18443"
[[forward]]
name = "fw"
listen = "127.0.0.1:18022"
upstream = "127.0.0.1:9"
[dns]
port = 18053
listen-address = "127.0.0.1"
bind-interfaces = true
no-resolv = true
address = ["/box.test/192.0.2.1"]
[http.routers.app]
rule = "Host(`app.test`)"
service = "app"
entryPoints = ["web"]
[http.routers.secure]
rule = "Host(`app.test`)"
service = "app"
entryPoints = ["websecure"]
[http.routers.secure.tls]
options = "default"
[http.services.app.loadBalancer]
servers = [{url = "http://127.0.0.1:9"}]
"""


def ask(path, cmd):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(cmd.encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return json.loads(data)


def rollup(pid):
    fields = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        p = line.split()
        if p[0] in ("Rss:", "Pss:", "Anonymous:"):
            fields[p[0][:-1]] = int(p[1])
    return fields


binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/stoep"
with tempfile.TemporaryDirectory() as d:
    config = Path(d) / "stoep.toml"
    config.write_text(CONFIG)
    for n in sys.argv[2:] or ["1", "2", "4"]:
        sock = f"{d}/s{n}.sock"
        p = subprocess.Popen([binary, "run", "--config", str(config), "--stats-socket", sock, "--workers", n],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        info = ask(sock, "show info")
        pids = [("supervisor" if "worker_count" in info else "single", p.pid)]
        pids += [(f"worker {w['worker']}", w["pid"]) for w in info.get("workers", [])]
        time.sleep(2)
        total = {}
        for name, pid in pids:
            r = rollup(pid)
            print(f"workers={n} {name:10} {r}")
            for k, v in r.items():
                total[k] = total.get(k, 0) + v
        print(f"workers={n} {'total':10} {total}")
        p.terminate()
        p.wait()
