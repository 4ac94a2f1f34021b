"""Go templates in file-provider files, side by side with Traefik 3.7 (which expands them with
text/template and sprig before parsing): routers, middlewares and services made by `range`, `env`,
variables and `if`; a template stoep cannot expand is refused by `stoep check` with file and line."""
import os
import subprocess

import pytest

from conftest import BINARY
from traefik_peer import Peers, traefik_binary

DYNAMIC = """\
{{- $domain := env "STOEP_TPL_DOMAIN" | default "fallback.test" }}
http:
  routers:
{{- range $i, $e := until 3 }}
    app{{ $i }}:
      rule: Host(`app{{ $e }}.{{ $domain }}`)
      middlewares: [tag{{ $i }}]
      service: backend
{{- end }}
{{- if eq (env "STOEP_TPL_EXTRA") "yes" }}
    extra:
      rule: Host(`extra.{{ $domain }}`)
      service: backend
{{- end }}
  middlewares:
{{- range $i := until 3 }}
    tag{{ $i }}:
      headers:
        customResponseHeaders:
          X-App: {{ printf "app-%02d" $i | quote }}
{{- end }}
  services:
    backend:
      loadBalancer:
        servers:
          - url: "{backend}"
"""

STATIC = "entryPoints:\n  web:\n    address: \"{web}\"\n"


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    if not traefik_binary():
        pytest.skip("traefik not installed (make deps)")
    os.environ["STOEP_TPL_DOMAIN"] = "tpl.test"
    os.environ["STOEP_TPL_EXTRA"] = "yes"
    p = Peers(tmp_path_factory.mktemp("tpl"), "epoll", STATIC, DYNAMIC)
    yield p
    p.close()


@pytest.mark.parametrize("host", ["app0.tpl.test", "app1.tpl.test", "app2.tpl.test", "app3.tpl.test", "extra.tpl.test",
                                  "app0.fallback.test"])
def test_expanded_like_traefik(peers, host):
    out = peers.exchange(f"GET /x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    (t_resp, t_reqs), (s_resp, s_reqs) = out["traefik"], out["stoep"]
    assert [r.status for r in s_resp] == [r.status for r in t_resp], (t_resp, s_resp)
    assert [r.header("X-App") for r in s_resp] == [r.header("X-App") for r in t_resp]
    assert len(s_reqs) == len(t_reqs)


def test_check_refuses_unsupported_template(tmp_path):
    path = tmp_path / "dyn.yml"
    path.write_text("http:\n  routers:\n    r:\n      rule: Host(`{{ toYaml \"x\" }}`)\n      service: s\n")
    r = subprocess.run([str(BINARY), "check", str(path)], capture_output=True, text=True, timeout=10)
    out = r.stdout + r.stderr
    # As any file-provider file that cannot be read: listed, and skipped (run serves the other files).
    assert f"{path}:4" in out and "function \"toYaml\" is not supported" in out, out


def test_check_expands_supported_template(tmp_path):
    path = tmp_path / "dyn.yml"
    path.write_text(DYNAMIC.replace("{backend}", "http://127.0.0.1:9"))
    r = subprocess.run([str(BINARY), "check", str(path)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
