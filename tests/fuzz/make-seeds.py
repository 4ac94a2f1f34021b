#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/<target>/), except dns's, which are kept as they
were found. Run with the test venv (h2, dnspython, cryptography): .build/pyenv/bin/python tests/fuzz/make-seeds.py
Seeds are small valid inputs plus the edge cases each parser must refuse; libFuzzer grows the rest."""
import base64, datetime, json, os, ssl, sys
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

def write(target, name, data):
    d = os.path.join(HERE, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    with open(os.path.join(d, name), "wb") as f: f.write(data)

# HTTP request heads: ordinary, and what request smuggling is made of.
reqs = {
 "get": "GET /index.html?a=1&b=%20 HTTP/1.1\r\nHost: fuzz.lan\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
 "post-length": "POST /upload HTTP/1.1\r\nHost: fuzz.lan:8080\r\nContent-Length: 5\r\n\r\nhello",
 "post-chunked": "POST /upload HTTP/1.1\r\nHost: fuzz.lan\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
 "te-and-cl": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
 "two-cl": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
 "two-hosts": "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
 "absolute": "GET http://fuzz.lan:80/a/../b%2f?q HTTP/1.1\r\nHost: other\r\n\r\n",
 "connect": "CONNECT fuzz.lan:443 HTTP/1.1\r\nHost: fuzz.lan:443\r\n\r\n",
 "options-star": "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
 "http10": "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
 "upgrade": "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
 "expect": "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
 "bare-lf": "GET / HTTP/1.1\nHost: a\n\n",
 "obs-fold": "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
 "space-before-colon": "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
 "pipelined": "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
 "leading-crlf": "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
 "te-list": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
}
for k, v in reqs.items(): write("http-request", k, v)

resps = {
 "ok-length": "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nhi",
 "chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
 "no-reason": "HTTP/1.1 204\r\n\r\n",
 "until-close": "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody",
 "not-modified": "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
 "switching": "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
 "continue": "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
 "two-cl": "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
 "docker": "HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nTransfer-Encoding: chunked\r\n\r\n",
}
for k, v in resps.items(): write("http-response", k, v)

# chunked: first byte is the piece size of the split (see ChunkedDecoderFuzz.swift).
chunks = {
 "simple": b"\x03" + b"5\r\nhello\r\n0\r\n\r\n",
 "two": b"\x00" + b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n",
 "trailers": b"\x07" + b"1\r\nx\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
 "hex-upper": b"\x02" + b"A\r\n0123456789\r\n0\r\n\r\n",
 "overflow": b"\x01" + b"ffffffffffffffffff\r\n",
 "bare-lf": b"\x05" + b"1\nx\n0\n\n",
 "missing-crlf": b"\x04" + b"1\r\nxy0\r\n\r\n",
 "leading-zeros": b"\x0f" + b"0001\r\nz\r\n000\r\n\r\n",
}
for k, v in chunks.items(): write("chunked", k, v)

# ClientHellos from Python's own TLS client (SNI, ALPN), whole and split over two records; PROXY headers.
def client_hello(sni, alpn):
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    if alpn: ctx.set_alpn_protocols(alpn)
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_hostname=sni)
    try: s.do_handshake()
    except ssl.SSLWantReadError: pass
    return o.read()
ch = client_hello("fuzz.lan", ["h2", "http/1.1"])
write("client-hello", "sni-alpn", ch)
write("client-hello", "no-alpn", client_hello("www.example.org", None))
body = ch[5:]; half = len(body) // 2
write("client-hello", "two-records", ch[:3] + half.to_bytes(2, "big") + body[:half] + ch[:3] + (len(body) - half).to_bytes(2, "big") + body[half:])
write("client-hello", "truncated", ch[:40])
write("client-hello", "plain-http", "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
write("client-hello", "proxy-v1", "PROXY TCP4 10.0.0.1 10.0.0.2 1234 443\r\n")
write("client-hello", "proxy-v2", bytes.fromhex("0d0a0d0a000d0a515549540a" "21" "11" "000c" "0a000001" "0a000002" "04d2" "01bb") + ch)

rules = {
 "host": "Host(`fuzz.lan`)\nGET /x fuzz.lan",
 "and-or": "(Host(`a.lan`) || HostRegexp(`^.+\\.lan$`)) && PathPrefix(`/api`) && !Method(`POST`)\nGET /api/v1 b.lan\nX-A: 1",
 "headers": "Header(`X-A`, `1`) && HeaderRegexp(`X-B`, `^[0-9]+$`) && Query(`q`, `v`)\nGET /?q=v a.lan\nX-A: 1;X-B: 22",
 "clientip": "ClientIP(`10.0.0.0/8`, `fd00::/8`) || QueryRegexp(`a`, `b.*`)\nGET /?a=bb x",
 "v2": "Host(`a.lan`, `b.lan`) && Path(`/{id:[0-9]+}`)\nGET /12 a.lan",
 "tcp": "HostSNI(`fuzz.lan`) || HostSNIRegexp(`^.*$`) && ALPN(`h2`)\n",
 "constraint": "Label(`traefik.enable`, `true`) && !LabelRegex(`a`, `b.+`)\n",
 "pathregexp": "PathRegexp(`^/a/(b|c)+$`) && Method(`GET`)\nGET /a/bcb x",
 "unbalanced": "Host(`a`) && (Path(`/`)\n",
}
for k, v in rules.items(): write("rule", k, v)

labels = {
 "router": "traefik.enable=true\ntraefik.http.routers.app.rule=Host(`app.lan`)\ntraefik.http.routers.app.entrypoints=web\ntraefik.http.services.app.loadbalancer.server.port=8080\n",
 "middlewares": "traefik.http.routers.r.rule=PathPrefix(`/a`)\ntraefik.http.routers.r.middlewares=strip,auth\ntraefik.http.middlewares.strip.stripprefix.prefixes=/a,/b\ntraefik.http.middlewares.auth.basicauth.users=u:$$apr1$$x$$y\n",
 "tls": "traefik.http.routers.s.rule=Host(`s.lan`)\ntraefik.http.routers.s.tls=true\ntraefik.http.routers.s.tls.certresolver=le\ntraefik.http.routers.s.tls.domains[0].main=s.lan\ntraefik.http.routers.s.tls.domains[0].sans=a.s.lan,b.s.lan\n",
 "tcp-udp": "traefik.tcp.routers.t.rule=HostSNI(`*`)\ntraefik.tcp.services.t.loadbalancer.server.port=5432\ntraefik.udp.routers.u.entrypoints=dns\ntraefik.udp.services.u.loadbalancer.server.port=53\n",
 "conflict": "traefik.http.routers.same.rule=Host(`x.lan`)\n---\ntraefik.http.routers.same.rule=Host(`y.lan`)\n",
 "weighted": "traefik.http.services.w.weighted.services[0].name=a\ntraefik.http.services.w.weighted.services[0].weight=3\ntraefik.http.services.app.loadbalancer.sticky.cookie.name=c\ntraefik.http.services.app.loadbalancer.healthcheck.path=/h\n",
 "default-rule": "traefik.enable=true\ntraefik.docker.network=bridge\n",
 "case": "Traefik.HTTP.Routers.A.Rule=Host(`a`)\ntraefik.http.routers.a.priority=-1\ntraefik.http.routers.a.service=\n",
}
for k, v in labels.items(): write("docker-labels", k, v)

inspect = {"Id": "c0ffee" * 10 + "abcd", "Name": "/web", "State": {"Running": True, "Health": {"Status": "healthy"}},
  "Config": {"Labels": {"traefik.http.routers.web.rule": "Host(`web.lan`)"}, "ExposedPorts": {"80/tcp": {}, "53/udp": {}}},
  "HostConfig": {"NetworkMode": "bridge", "PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}},
  "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2"}}, "Ports": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}}
write("docker-api", "inspect", json.dumps(inspect))
write("docker-api", "list", json.dumps([{"Id": "abc123", "Names": ["/a"]}, {"Id": "../x"}, {"Id": 5}]))
write("docker-api", "events", '{"Type":"container","Action":"start","Actor":{"ID":"abc123","Attributes":{"name":"a"}}}\n'
      '{"status":"health_status: healthy","id":"def456"}\n{"Type":"network","Action":"connect"}\nnot json\n')
write("docker-api", "podman-event", '{"Type":"container","Action":"died","Actor":{"ID":"0123456789abcdef"}}\n')

jsons = {
 "object": '{"a": [1, 2.5e-3, -0, true, false, null], "b": {"c": "\\u00e9\\ud83d\\ude00\\n"}}',
 "deep": "[" * 100 + "]" * 100,
 "numbers": "[1e400, -1e-400, 123456789012345678901234567890, 0.1, -9223372036854775808]",
 "bad-surrogate": '["\\ud800", "\\udc00x"]',
 "trailing": '{"a":1} x',
 "string-escapes": '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
}
for k, v in jsons.items(): write("json", k, v)

write("toml", "inethi-traefik", open(os.path.join(ROOT, "tests/fixtures/inethi-traefik.toml"), "rb").read())
for name in ["deploy/container/stoep.toml", "deploy/image/stoep.toml"]:
    p = os.path.join(ROOT, name)
    if os.path.exists(p): write("toml", name.replace("/", "-"), open(p, "rb").read())
tomls = {
 "dynamic": '[http.routers.r]\nrule = "Host(`a`)"\nservice = "s"\nmiddlewares = ["m"]\n[http.services.s.loadBalancer]\n[[http.services.s.loadBalancer.servers]]\nurl = "http://127.0.0.1:8080"\n[http.middlewares.m.headers.customRequestHeaders]\nX-A = "1"\n',
 "types": 'a = 1_000\nb = 0x_ff\nc = 1979-05-27T07:32:00Z\nd = """multi\nline"""\ne = \'lit\'\nf = [1, [2, "x"], {g = inf}]\n"h.i" = nan\nj.k.l = true\n[[arr]]\n[[arr]]\nm = -0.0e1\n',
 "stoep": '[dns]\nlisten = ["127.0.0.1:5353"]\n[http]\nlisten = ["127.0.0.1:8080"]\n[stats]\nsocket = "/tmp/s.sock"\n',
 "dup": 'a = 1\na = 2\n[t]\n[t]\n',
}
for k, v in tomls.items(): write("toml", k, v)

yamls = {
 "static": "entryPoints:\n  web:\n    address: \":80\"\n    http:\n      redirections:\n        entryPoint: {to: websecure, scheme: https}\nproviders:\n  file: {directory: /etc/traefik/dynamic, watch: true}\n  docker: {exposedByDefault: false}\ncertificatesResolvers:\n  le:\n    acme: {email: a@b.c, storage: acme.json, httpChallenge: {entryPoint: web}}\n",
 "dynamic": "http:\n  routers:\n    r: {rule: \"Host(`a`)\", service: s, tls: {certResolver: le}}\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:8080\n  middlewares:\n    m: {rateLimit: {average: 10, burst: 5}}\ntcp:\n  routers: {t: {rule: \"HostSNI(`*`)\", service: t}}\n",
 "anchors": "base: &b {x: 1, y: [1, 2]}\nderived:\n  <<: *b\n  z: !!str 3\nlist: [*b, *b]\nblock: |\n  text\n  more\nfolded: >-\n  a\n  b\n",
 "alias-loop": "a: &a [*a]\n",
 "documents": "---\na: 1\n...\n---\nb: 2\n",
}
for k, v in yamls.items(): write("yaml", k, v)

confs = {
 "basic": "port=5353\nlisten-address=127.0.0.1\nno-resolv\nserver=1.1.1.1\nserver=/corp.lan/10.0.0.53#5353\naddress=/fuzz.lan/10.0.0.1\naddress=/v6.lan/fd00::1\nlocal=/lan/\ndomain=lan\nexpand-hosts\n",
 "records": "host-record=h.lan,10.0.0.2,fd00::2,3600\ncname=alias.lan,h.lan\nmx-host=lan,mail.lan,10\nsrv-host=_http._tcp.lan,h.lan,80,0,5\ntxt-record=lan,\"v=spf1 -all\"\nptr-record=2.0.0.10.in-addr.arpa,h.lan\n",
 "cache": "cache-size=1000\nneg-ttl=60\nlocal-ttl=5\nmin-cache-ttl=10\nedns-packet-max=1232\nbogus-priv\ndomain-needed\nstrict-order\n",
 "errors": "address=/x/999.1.1.1\nunknown-option=1\nport=99999\nserver=/a/\n#comment\n  spaced = 1\n",
 "resolv": "nameserver 10.0.0.1\nnameserver fd00::53\nsearch lan\n127.0.0.1 localhost\n::1 localhost ip6-localhost\n",
 "includes": "conf-file=fuzz.conf\nconf-file=/etc/dnsmasq.conf\nconf-dir=/etc/dnsmasq.d,*.conf,.bak\nservers-file=servers\nserver=10.0.0.1\nrev-server=10.1.0.0/23,10.0.0.53#5353\nrev-server=fd00::/62\n",
 "domains": "expand-hosts\ndomain=lan\ndomain=wifi.lan,10.0.1.0/24,local\ndomain=guest.lan,10.0.2.10,10.0.2.99\ndomain=v6.lan,fd00::/64\ndomain=#\n10.0.1.5 nas printer.lan\nfd00::5 nas6\n",
}
for k, v in confs.items(): write("dnsmasq-conf", k, v)

# PEM: a real certificate and key (EC and RSA), and the acme.json that holds them.
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
def cert_and_key(key, name):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName("*." + name)]), False)
            .sign(key, hashes.SHA256()))
    cpem = cert.public_bytes(serialization.Encoding.PEM)
    kpem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return cpem, kpem
ec_c, ec_k = cert_and_key(ec.generate_private_key(ec.SECP256R1()), "fuzz.lan")
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
rsa_c, rsa_k = cert_and_key(rsa_key, "rsa.lan")
split = b"\n--split--\n"
write("pem", "ec", ec_c + split + ec_k)
write("pem", "rsa", rsa_c + split + rsa_k)
write("pem", "chain-mismatch", ec_c + rsa_c + split + rsa_k)
write("pem", "pkcs8", ec_c + split + ec.generate_private_key(ec.SECP384R1()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
write("pem", "truncated", ec_c[:200] + split + ec_k[:100])
b64 = lambda b: base64.b64encode(b).decode()
acct_der = rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
acme = {"le": {"Account": {"Email": "a@fuzz.lan", "Registration": {"body": {"status": "valid"}, "uri": "https://ca/acct/1"},
                            "PrivateKey": b64(acct_der), "KeyType": "4096"},
               "Certificates": [{"domain": {"main": "fuzz.lan", "sans": ["*.fuzz.lan"]}, "certificate": b64(ec_c), "key": b64(ec_k), "Store": "default"}]},
        "other": {"Account": None, "Certificates": None}}
write("acme-json", "traefik", json.dumps(acme, indent=2))
write("acme-json", "empty", "")
write("acme-json", "bad-base64", json.dumps({"le": {"Certificates": [{"domain": {"main": "x"}, "certificate": "!!", "key": "??"}]}}))
write("acme-json", "not-object", "[1,2]")

# HTTP/2: what a client sends after the preface (h2's client state machine writes real frames).
import h2.connection, h2.config, h2.events
def h2_bytes(streams, extra=b""):
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    for i, (headers, body) in enumerate(streams):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, headers, end_stream=body is None)
        if body is not None: c.send_data(sid, body, end_stream=True)
    return c.data_to_send()[24:] + extra  # the target puts the preface in front
base = [(":method", "GET"), (":scheme", "https"), (":authority", "fuzz.lan"), (":path", "/x?y=1")]
write("h2-frames", "get", h2_bytes([(base + [("cookie", "a=1"), ("cookie", "b=2"), ("user-agent", "h2")], None)]))
write("h2-frames", "post", h2_bytes([([(":method", "POST"), (":scheme", "https"), (":authority", "fuzz.lan"), (":path", "/up")], b"hello")]))
write("h2-frames", "many", h2_bytes([(base, None)] * 5 + [([(":method", "PUT"), (":scheme", "http"), (":authority", "a"), (":path", "/"), ("content-length", "2")], b"ab")]))
write("h2-frames", "connect", h2_bytes([([(":method", "CONNECT"), (":authority", "fuzz.lan:443")], None)]))
write("h2-frames", "ping-rst", h2_bytes([(base, None)], bytes.fromhex("000008060000000000" "0102030405060708" "000004030000000001" "00000008")))

# DNS: a few valid queries beside the malformed corpus already there.
import dns.message, dns.flags
for name, q in {"valid-a-edns": dns.message.make_query("fuzz.lan", "A", use_edns=0, payload=1232),
                "valid-aaaa": dns.message.make_query("v6.fuzz.lan", "AAAA"),
                "valid-cname-do": dns.message.make_query("alias.lan", "A", want_dnssec=True),
                "valid-ptr": dns.message.make_query("2.0.0.10.in-addr.arpa", "PTR"),
                "valid-any-local": dns.message.make_query("x.local.lan", "ANY")}.items():
    write("dns", name + ".bin", q.to_wire())
print("seeds written")
