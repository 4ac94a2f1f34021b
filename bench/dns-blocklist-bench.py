#!/usr/bin/env python3
"""A blocklist of 10^6 generated names (hosts format, `0.0.0.0 name`), in stoep (`[dns] blocklists`) and in
dnsmasq 2.90 (`addn-hosts`), on loopback, in one table:
  - load time: stoep's own log line (the list read, sorted and encoded between loop turns); dnsmasq from its
    start to its first answer for a listed name (it reads the file before it answers anything);
  - resident memory (VmRSS) with and without the list, and the difference;
  - dnsperf throughput and CPU per query (the process's utime+stime over the run) for cached forwarded names
    (1,000 names asked once first, then from the cache: every query passes the blocklist check) with and
    without the list, and for listed names (answered blocked by stoep, from the hosts data by dnsmasq).
Medians of --rounds runs (default 3); figures from one run only compare with each other (busy VM).
Usage: bench/dns-blocklist-bench.py [--rounds 3] [--dnsmasq-rounds 1] [--duration 5] [--names 1000000]
       [--backend io_uring]
(binary: $STOEP_BINARY or .build/release/stoep)"""
import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("STOEP_BINARY", ROOT / ".build" / "release" / "stoep"))
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            pass
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def answers(port, name, timeout=0.5):
    out = subprocess.run(["dig", "+short", "+tries=1", f"+time={max(1, int(timeout))}", "@127.0.0.1", "-p", str(port), name],
                         capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip() != ""


def wait_answer(port, name, limit=900):
    start = time.time()
    while time.time() - start < limit:
        if answers(port, name):
            return time.time() - start
        time.sleep(0.02)
    raise RuntimeError(f"no answer for {name} on {port}")


def generate(path, n, seed=19):
    """n distinct names of tracker-list shape (label digits, a second-level word, a TLD)."""
    rng = random.Random(seed)
    words = ["ads", "track", "metrics", "pixel", "telemetry", "analytics", "cdn", "beacon", "stats", "click",
             "banner", "promo", "adserver", "tag", "counter", "log", "events", "collect", "sync", "match"]
    tlds = ["com", "net", "org", "io", "info", "biz", "co", "de", "ru", "cn"]
    names = []
    with open(path, "w") as f:
        f.write("# generated blocklist\n127.0.0.1 localhost\n")
        for i in range(n):
            name = f"{rng.choice(words)}{i}.{rng.choice(words)}-{rng.randrange(100000)}.{rng.choice(tlds)}"
            names.append(name)
            f.write(f"0.0.0.0 {name}\n")
    return names


def dnsperf(port, queries, duration):
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries), "-l", str(duration),
                          "-c", "1", "-Q", "1000000"], capture_output=True, text=True).stdout
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    return qps, done


def measure_qps(pid, port, queries, duration):
    before = cpu_seconds(pid)
    qps, done = dnsperf(port, queries, duration)
    used = cpu_seconds(pid) - before
    return qps, (used / done * 1e6) if done else float("nan")


class Proc:
    def __init__(self, cmd, log):
        self.log = open(log, "wb")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--names", type=int, default=1_000_000)
    ap.add_argument("--backend", default="io_uring")
    ap.add_argument("--dnsmasq-rounds", type=int, default=1,
                    help="rounds for dnsmasq (its addn-hosts load of 10^6 names takes minutes)")
    a = ap.parse_args()
    for tool in ["dnsperf", "dnsmasq", "dig"]:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}")
    w = Path(tempfile.mkdtemp(prefix="blocklist-bench-"))
    os.chmod(w, 0o755)
    procs = []
    try:
        t = time.time()
        names = generate(w / "list.hosts", a.names)
        print(f"# generated {a.names} names ({(w / 'list.hosts').stat().st_size >> 20} MiB) in {time.time() - t:.1f} s",
              file=sys.stderr)
        rng = random.Random(7)
        (w / "blocked.txt").write_text("".join(f"{n} A\n" for n in rng.sample(names, 1000)))
        (w / "hot.txt").write_text("".join(f"n{i}.up.bench A\n" for i in range(1000)))
        probe = names[-1]
        up_port = free_port()
        up = Proc(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--port={up_port}",
                   "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root", f"--pid-file={w}/up.pid",
                   "--address=/up.bench/10.0.0.2", "--local-ttl=3600", "--cache-size=0"], w / "up.log")
        procs.append(up)
        wait_answer(up_port, "x.up.bench")
        results = {}

        def add(key, value):
            results.setdefault(key, []).append(value)
            print(f"# round {rnd + 1}: {key} = {value:.2f}", file=sys.stderr, flush=True)

        for rnd in range(a.rounds):
            for with_list in (False, True):
                port = free_port()
                conf = w / "stoep.conf"
                conf.write_text(f"port={port}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\ncache-size=10000\n"
                                f"server=127.0.0.1#{up_port}\n")
                toml = w / "stoep.toml"
                toml.write_text(f'[dns]\nblocklists = ["{w / "list.hosts"}"]\n' if with_list else "[dns]\n")
                log = w / f"stoep-{rnd}-{with_list}.log"
                s = Proc([str(BIN), "run", "--backend", a.backend, "--config", str(toml), "--dnsmasq-conf", str(conf),
                          "--stats-socket", str(w / "stoep.sock")], log)
                procs.append(s)
                wait_answer(port, "x.up.bench")
                tag = "with" if with_list else "without"
                if with_list:
                    start = time.time()
                    while "names blocked" not in log.read_text(errors="replace"):
                        if time.time() - start > 120:
                            raise RuntimeError("stoep did not load the list: " + log.read_text()[-2000:])
                        time.sleep(0.05)
                    add("stoep load CPU s", cpu_seconds(s.p.pid))
                    ms = int(re.search(r"in (\d+) ms", log.read_text()).group(1))
                    add("stoep load ms", ms)
                    set_kib = int(re.search(r"; (\d+) KiB", log.read_text()).group(1))
                    add("stoep set KiB", set_kib)
                    assert subprocess.run(["dig", "+short", "@127.0.0.1", "-p", str(port), probe],
                                          capture_output=True, text=True).stdout.strip() == "0.0.0.0"
                time.sleep(0.5)
                add(f"stoep RSS {tag}", rss_kib(s.p.pid))
                dnsperf(port, w / "hot.txt", 1)  # fill the cache
                qps, cpu = measure_qps(s.p.pid, port, w / "hot.txt", a.duration)
                add(f"stoep cached qps {tag}", qps)
                add(f"stoep cached us/q {tag}", cpu)
                if with_list:
                    qps, cpu = measure_qps(s.p.pid, port, w / "blocked.txt", a.duration)
                    add("stoep blocked qps", qps)
                    add("stoep blocked us/q", cpu)
                    add("stoep RSS after queries", rss_kib(s.p.pid))
                s.stop()
                procs.remove(s)
            for with_list in (False, True) if rnd < a.dnsmasq_rounds else ():
                port = free_port()
                extra = [f"--addn-hosts={w / 'list.hosts'}"] if with_list else []
                start = time.time()
                d = Proc(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--port={port}",
                          "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root", f"--pid-file={w}/d.pid",
                          "--cache-size=10000", f"--server=127.0.0.1#{up_port}", *extra], w / "dnsmasq.log")
                procs.append(d)
                took = wait_answer(port, probe if with_list else "x.up.bench")
                tag = "with" if with_list else "without"
                if with_list:
                    add("dnsmasq load ms", int(took * 1000))
                time.sleep(0.5)
                add(f"dnsmasq RSS {tag}", rss_kib(d.p.pid))
                dnsperf(port, w / "hot.txt", 1)
                qps, cpu = measure_qps(d.p.pid, port, w / "hot.txt", a.duration)
                add(f"dnsmasq cached qps {tag}", qps)
                add(f"dnsmasq cached us/q {tag}", cpu)
                if with_list:
                    qps, cpu = measure_qps(d.p.pid, port, w / "blocked.txt", a.duration)
                    add("dnsmasq listed-name qps", qps)
                    add("dnsmasq listed-name us/q", cpu)
                d.stop()
                procs.remove(d)
        print(f"{'measurement (median of %d rounds, %s)' % (a.rounds, a.backend):<44} {'value':>12}   all rounds")
        for key, values in results.items():
            med = statistics.median(values)
            shown = f"{med:.0f}" if med >= 100 else f"{med:.2f}"
            print(f"{key:<44} {shown:>12}   {', '.join(f'{v:.0f}' if v >= 100 else f'{v:.2f}' for v in values)}")
        for who in ("stoep", "dnsmasq"):
            if f"{who} RSS with" not in results:
                continue
            extra = statistics.median(results[f"{who} RSS with"]) - statistics.median(results[f"{who} RSS without"])
            print(f"{who + ' RSS added by the list (KiB)':<44} {extra:>12.0f}")
    finally:
        for p in procs:
            p.stop()
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
