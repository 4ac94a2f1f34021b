"""docs/proxy.md's table of Traefik 3.7's static options held to the binary: for every row, the option given
as Traefik's flag (`--accesslog.fields.defaultmode=drop`) to `stoep check` must come out as the table says —
`works` passes without a word, `refused` fails naming the key, `ignored` passes with a warning naming it.
The table cannot drift from the code. `python3 test_option_table.py` prints what the binary says for every
option of Traefik's reference list (configuration-options.md), to write the table from."""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import BINARY, ROOT

DOC = ROOT / "docs" / "proxy.md"
# Traefik 3.7.9's docs/content/reference/install-configuration/configuration-options.md: [option, default].
REFERENCE = Path(__file__).with_name("traefik_static_options.json")

EMPTY_DIR = tempfile.mkdtemp(prefix="stoep-option-table-")
# A value for options whose reference default says nothing usable.
VALUES = {
    "accesslog.format": "json", "log.format": "json", "log.level": "DEBUG",
    "core.defaultrulesyntax": "v2", "accesslog.fields.defaultmode": "drop",
    "accesslog.fields.headers.defaultmode": "keep", "accesslog.fields.queryparameters.defaultmode": "drop",
    "accesslog.filters.statuscodes": "400-499", "accesslog.fields.names._name_": "drop",
    "accesslog.fields.headers.names._name_": "keep", "accesslog.filepath": "/tmp/stoep-check-access.log",
    "log.filepath": "/tmp/stoep-check.log",
    "entrypoints._name_.address": ":18081", "entrypoints._name_.http.redirections.entrypoint.to": "web",
    "entrypoints._name_.http.redirections.entrypoint.scheme": "https",
    "entrypoints._name_.forwardedheaders.trustedips": "10.0.0.0/8",
    "entrypoints._name_.proxyprotocol.trustedips": "10.0.0.0/8",
    "entrypoints._name_.http.tls.certresolver": "n",
    "entrypoints._name_.http.tls.domains[0].main": "example.com",
    "entrypoints._name_.http.tls.domains[0].sans": "www.example.com",
    "entrypoints._name_.http.underscoreheadersstrategy": "drop",
    "entrypoints._name_.http.middlewares": "m@file",
    "entrypoints._name_.http.tls.options": "default",
    "entrypoints._name_.observability.traceverbosity": "detailed",
    "entrypoints._name_.observability.accesslogs": "false", "entrypoints._name_.observability.metrics": "false",
    "entrypoints._name_.http.redirections.entrypoint.priority": "10",
    "entrypoints._name_.transport.lifecycle.gracetimeout": "3s",
    "ping.entrypoint": "web", "metrics.prometheus.entrypoint": "web",
    "providers.docker.endpoint": "tcp://127.0.0.1:2375",
    "providers.docker.constraints": "Label(`a`,`b`)", "providers.docker.defaultrule": "Host(`{{ .Name }}`)",
    "providers.docker.network": "net", "providers.file.filename": "/dev/null",
    "metrics.prometheus.buckets": "0.1,0.3", "providers.file.directory": EMPTY_DIR, "metrics.prometheus.headerlabels._name_": "X-Foo",
    "certificatesresolvers._name_.acme.keytype": "EC256", "certificatesresolvers._name_.acme.email": "a@b.test",
    "certificatesresolvers._name_.acme.storage": "/tmp/acme.json",
    "certificatesresolvers._name_.acme.httpchallenge.entrypoint": "web",
    "certificatesresolvers._name_.acme.dnschallenge.provider": "exec",
    "certificatesresolvers._name_.acme.caserver": "https://acme.test/dir",
    "certificatesresolvers._name_.acme.dnschallenge.resolvers": "1.1.1.1:53",
    "certificatesresolvers._name_.acme.eab.kid": "k", "certificatesresolvers._name_.acme.eab.hmacencoded": "eA",
    "serverstransport.rootcas": "/etc/ssl/certs/ca-certificates.crt",
    "tcpserverstransport.tls.rootcas": "/etc/ssl/certs/ca-certificates.crt",
    "api.basepath": "/dashboard", "api.dashboardname": "Mine",
    "providers.docker.tls.ca": "/etc/ssl/certs/ca-certificates.crt", "providers.docker.tls.cert": "/c.pem",
    "providers.docker.tls.key": "/k.pem", "providers.docker.username": "me", "providers.docker.password": "pw",
    "providers.precedence": "file",
}
# providers.swarm takes providers.docker's keys (and refreshSeconds, a duration): the same values.
VALUES.update({k.replace("providers.docker.", "providers.swarm."): v for k, v in list(VALUES.items()) if k.startswith("providers.docker.")})
VALUES["providers.swarm.refreshseconds"] = "5s"


def value(name, default=""):
    if name in VALUES:
        return VALUES[name]
    d = default.strip()
    if d in ("true", "false"):
        return "true"
    if re.fullmatch(r"\d+", d):
        return str(int(d) + 1)
    if re.fullmatch(r"[\d.]+(ns|us|ms|s|m|h)", d):
        return "7s"
    return "true" if d == "" else d


def flags(name, default=""):
    """Traefik flags setting `name` (the reference's spelling, `_name_` for a name), with what it needs."""
    flag = name.replace("._name_", ".web" if name.startswith("entrypoints") else ".n")
    args = [f"--{flag}={value(name, default)}"]
    if name != "entrypoints._name_.address":
        args.append("--entrypoints.web.address=:18080")
    if name.startswith("certificatesresolvers") and ".acme" in name:
        if not name.endswith(".storage"):
            args.append("--certificatesresolvers.n.acme.storage=/tmp/acme.json")
        if "challenge" not in name:
            args.append("--certificatesresolvers.n.acme.tlschallenge=true")
        if "dnschallenge." in name and not name.endswith("provider"):
            args.append("--certificatesresolvers.n.acme.dnschallenge.provider=exec")
        if "httpchallenge" in name and not name.endswith("entrypoint"):
            args.append("--certificatesresolvers.n.acme.httpchallenge.entrypoint=web")
        if name.endswith("eab.kid"):
            args.append("--certificatesresolvers.n.acme.eab.hmacencoded=eA")
        if name.endswith("eab.hmacencoded"):
            args.append("--certificatesresolvers.n.acme.eab.kid=k")
    if name.startswith("entrypoints._name_.http.tls.certresolver"):
        args += ["--certificatesresolvers.n.acme.storage=/tmp/acme.json", "--certificatesresolvers.n.acme.tlschallenge=true"]
    if name.startswith("entrypoints._name_.http.redirections.entrypoint.") and not name.endswith(".to"):
        args.append("--entrypoints.web.http.redirections.entrypoint.to=:443")
    if name == "entrypoints._name_.http.tls.domains[0].sans":
        args.append("--entrypoints.web.http.tls.domains[0].main=example.com")
    if name.startswith("providers.file.") and name not in ("providers.file.filename", "providers.file.directory"):
        args.append("--providers.file.filename=/dev/null")
    if name.startswith("providers.docker.tls"):
        args.append("--providers.docker.endpoint=tcp://127.0.0.1:2376")
    if name.startswith("providers.swarm.tls"):
        args.append("--providers.swarm.endpoint=tcp://127.0.0.1:2376")
    return args


def verdict(name, default=""):
    """("works" | "refused" | "ignored", the lines `stoep check` printed)."""
    r = subprocess.run([str(BINARY), "check", *flags(name, default)], capture_output=True, text=True, timeout=20)
    lines = [re.sub(r"^(warning: |error: )?flag --[^:]*: ", "", l) for l in (r.stdout + r.stderr).splitlines()
             if not re.fullmatch(r"\d+ errors?", l) and not l.startswith("Traefik flags: ok")]
    return ("refused" if r.returncode != 0 else "ignored" if lines else "works"), lines


def table_rows():
    """(option, verdict) of every row of the static table in docs/proxy.md."""
    text = DOC.read_text()
    if "<!-- static options table -->" not in text:
        return []  # test_every_reference_option_has_a_row fails then
    start = text.index("<!-- static options table -->")
    end = text.index("<!-- end of static options table -->")
    rows = []
    for line in text[start:end].splitlines():
        m = re.match(r"\| `([a-z0-9_.\[\]*]+)` \| (works|refused|ignored)", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


def reference():
    import json
    return dict(json.loads(REFERENCE.read_text()))


@pytest.mark.parametrize("option,expected", table_rows())
def test_static_option_as_the_table_says(option, expected):
    # A family row (`tracing.*`) is checked on its root option.
    option = option.removesuffix(".*")
    got, lines = verdict(option, reference().get(option, ""))
    assert got == expected, (option, flags(option), lines)


def test_every_reference_option_has_a_row():
    listed = {o for o, _ in table_rows()}
    families = [o[:-2] for o in listed if o.endswith(".*")]
    missing = [o for o in reference() if o not in listed and not any(o == f or o.startswith(f + ".") for f in families)]
    assert missing == []


if __name__ == "__main__":
    # Prints what the binary says about every option of the reference list, to write the table from.
    for name, default in reference().items():
        got, lines = verdict(name, default)
        print(f"{name}\t{got}\t{' | '.join(lines)[:300]}")
