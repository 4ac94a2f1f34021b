# Memory per idle HTTP/1.1 vs HTTP/2 client connection (docs/dependencies.md): python3 bench/h2-conn-memory.py BINARY h1|h2 N
# (needs the test venv: h2; run from the repository root).
import sys, time, subprocess, socket, ssl, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from http_backend import Backend
from conftest import free_port
binary = sys.argv[1]; mode = sys.argv[2]; N = int(sys.argv[3])
be = Backend()
web, secure = free_port(), free_port()
d = f"/tmp/stoep-h2mem-{os.getpid()}"; os.makedirs(d, exist_ok=True)
open(f"{d}/dyn.yml","w").write(f"""http:
  routers:
    app: {{rule: "PathPrefix(`/`)", service: app}}
    apps: {{rule: "PathPrefix(`/`)", service: app, tls: {{}}}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{be.url}"}}]}}}}
""")
open(f"{d}/t.yml","w").write(f"""entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  websecure: {{address: "127.0.0.1:{secure}"}}
providers:
  file: {{filename: "{d}/dyn.yml"}}
""")
p = subprocess.Popen([binary,"run","--backend","epoll","--traefik-config",f"{d}/t.yml","--stats-socket",f"{d}/s.sock"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
idle = rss()
# warm: one request each way so lazily made things exist
subprocess.run(["curl","-sk","-o","/dev/null","--http1.1",f"https://127.0.0.1:{secure}/"])
subprocess.run(["curl","-s","-o","/dev/null","--http1.1",f"http://127.0.0.1:{web}/"])
if mode.startswith("h2"):
    subprocess.run(["curl","-s","-o","/dev/null","--http2-prior-knowledge",f"http://127.0.0.1:{web}/"])
time.sleep(0.3)
base = rss()
socks = []
req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
import h2.connection, h2.config
for i in range(N):
    s = socket.create_connection(("127.0.0.1", web))
    if mode == "h1":
        s.sendall(req); s.recv(65536)
    else:
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        c.initiate_connection()
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, [(":method","GET"),(":path","/"),(":scheme","http"),(":authority","a")], end_stream=True)
        s.sendall(c.data_to_send())
        got = b""
        s.settimeout(2)
        while True:
            b = s.recv(65536)
            evs = c.receive_data(b)
            s.sendall(c.data_to_send())
            if any(type(e).__name__ == "StreamEnded" for e in evs): break
    socks.append(s)
time.sleep(1)
after = rss()
print(f"{mode} N={N} idle_start={idle} KiB after_warm={base} KiB with_conns={after} KiB per_conn={(after-base)/N*1024:.0f} B")
p.terminate(); p.wait()
