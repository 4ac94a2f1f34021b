"""A single-valued dnsmasq option (ARG_ONE in dnsmasq 2.90's usage[] table, src/option.c) written twice: the
real dnsmasq 2.90 (`dnsmasq --test -C FILE`) and `stoep check` side by side — the same verdict, the same file
and line, the key. Options that may repeat (ARG_DUP: server, address, …) and flags (domain-needed twice) pass
both; a repeat across two conf-dir files is found in the second file. stoep's `[dns]` table stands for
dnsmasq's command line: a file overrides it once (compared with `dnsmasq --test --OPTION=… -C FILE`), twice in
`[dns]` is dnsmasq's "illegal repeated flag".

`stoep run` refuses to start on the same files: a configuration refusal comes before any socket or reactor,
so one backend (epoll) is enough for it."""
import re
import subprocess

import pytest

from dns_upstream import BINARY

DNSMASQ_REPEAT = re.compile(r"illegal repeated keyword at line (\d+) of (\S+)")


def dnsmasq_test(conf, *flags):
    out = subprocess.run(["dnsmasq", "--test", *flags, f"--conf-file={conf}"], capture_output=True, text=True, timeout=20)
    return out.returncode, out.stderr


def stoep_check(*args):
    out = subprocess.run([str(BINARY), "check", *args], capture_output=True, text=True, timeout=20)
    return out.returncode, out.stdout + out.stderr


def write(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def both_refuse_at(conf, key, *flags, stoep_args=()):
    """Both refuse `conf`; returns the (file, line) dnsmasq names, after checking stoep names the same with `key`."""
    dm_code, dm_text = dnsmasq_test(conf, *flags)
    assert dm_code != 0, dm_text
    found = DNSMASQ_REPEAT.search(dm_text)
    assert found, dm_text
    line, file = found.group(1), found.group(2)
    code, text = stoep_check(*stoep_args, "--dnsmasq-conf", str(conf))
    assert code != 0, text
    assert f"{file}:{line}:0: {key}: illegal repeated keyword" in text, text
    return file, int(line)


@pytest.mark.parametrize("first,second", [
    ("port=5353", "port=5354"),
    ("cache-size=100", "cache-size=200"),
    ("local-ttl=5", "local-ttl=6"),
    ("neg-ttl=60", "neg-ttl=60"),
    ("min-cache-ttl=5", "min-cache-ttl=5"),
    ("max-cache-ttl=300", "max-cache-ttl=600"),
    ("dns-forward-max=100", "dns-forward-max=100"),
    ("edns-packet-max=1232", "edns-packet-max=1400"),
    ("fast-dns-retry=500", "fast-dns-retry=800"),
    ("log-facility=/dev/null", "log-facility=/dev/null"),
    ("local-service", "local-service"),                # Pi-hole's duplicate
    ("local-service=net", "local-service=host"),
    ("port=5353", "port=notanumber"),                  # the repeat is found before the value is read
    ("dhcp-leasefile=/tmp/a.leases", "dhcp-lease=/tmp/b.leases"),  # two names, one option
    ("user=nobody", "user=nobody"),                    # taken out for the privilege drop, still checked
])
def test_single_valued_option_twice_is_refused_as_dnsmasq(tmp_path, first, second):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"no-resolv\n{first}\ndomain-needed\n{second}\n")
    key = second.split("=")[0]
    assert both_refuse_at(conf, key) == (str(conf), 4)


def test_options_that_may_repeat_pass_both(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("\n".join([
        "port=5353", "no-resolv", "no-resolv", "domain-needed", "domain-needed", "bogus-priv", "bogus-priv",
        "strict-order", "strict-order", "expand-hosts", "expand-hosts", "no-hosts", "no-hosts",
        "server=127.0.0.1#5399", "server=127.0.0.1#5399", "server=/lan/127.0.0.1#5398",
        "address=/a.test/10.0.0.1", "address=/a.test/10.0.0.2", "local=/corp/", "local=/corp/",
        "listen-address=127.0.0.1", "listen-address=127.0.0.1", "interface=lo", "interface=lo",
        "log-queries", "log-queries=extra", "domain=lan", "domain=lan2,10.0.0.0/24",
        "host-record=h.test,10.0.0.3", "host-record=h.test,10.0.0.4", "cname=c.test,h.test", "cname=d.test,h.test",
        f"addn-hosts={tmp_path}/hosts", f"addn-hosts={tmp_path}/hosts", "bind-interfaces", "bind-interfaces",
    ]) + "\n")
    (tmp_path / "hosts").write_text("10.0.0.9 nine\n")
    dm_code, dm_text = dnsmasq_test(conf)
    assert dm_code == 0, dm_text
    code, text = stoep_check("--dnsmasq-conf", str(conf))
    assert code == 0, text
    assert "repeated" not in text, text


def test_repeat_across_two_conf_dir_files(tmp_path):
    write(tmp_path, {
        "dnsmasq.conf": f"no-resolv\nconf-dir={tmp_path}/dnsmasq.d,*.conf\n",
        "dnsmasq.d/01-pihole.conf": "# as Pi-hole writes it\nlocal-service\ncache-size=10000\n",
        "dnsmasq.d/50-local.conf": "address=/nas.lan/10.0.0.5\n",
        "dnsmasq.d/99-mine.conf": "server=127.0.0.1#5399\n\nlocal-service\n",
    })
    file, line = both_refuse_at(tmp_path / "dnsmasq.conf", "local-service")
    assert (file, line) == (f"{tmp_path}/dnsmasq.d/99-mine.conf", 3)


def test_second_servers_file_is_refused(tmp_path):
    write(tmp_path, {
        "dnsmasq.conf": f"no-resolv\nservers-file={tmp_path}/a\nconf-file={tmp_path}/more.conf\n",
        "more.conf": f"servers-file={tmp_path}/b\n",
        "a": "server=127.0.0.1#5399\n", "b": "server=127.0.0.1#5398\n",
    })
    assert both_refuse_at(tmp_path / "dnsmasq.conf", "servers-file") == (f"{tmp_path}/more.conf", 1)


def test_dns_table_is_the_command_line_a_file_overrides_once(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("no-resolv\nlocal-ttl=9\n")
    toml = tmp_path / "stoep.toml"
    toml.write_text("[dns]\nport = 5353\nlocal-ttl = 7\n")
    dm_code, dm_text = dnsmasq_test(conf, "--port=5353", "--local-ttl=7")
    assert dm_code == 0, dm_text
    code, text = stoep_check("--config", str(toml), "--dnsmasq-conf", str(conf))
    assert code == 0, text
    assert f"{toml}:3: local-ttl: replaced by {conf}:2" in text, text
    # … once: a second file line is the file's repeat, as dnsmasq finds it.
    conf.write_text("no-resolv\nlocal-ttl=9\nlocal-ttl=10\n")
    assert both_refuse_at(conf, "local-ttl", "--port=5353", "--local-ttl=7", stoep_args=("--config", str(toml))) == (str(conf), 3)


def test_twice_in_the_dns_table_is_a_repeated_flag(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("no-resolv\n")
    dm_code, dm_text = dnsmasq_test(conf, "--cache-size=10", "--cache-size=20")
    assert dm_code != 0 and "illegal repeated flag" in dm_text, dm_text
    toml = tmp_path / "stoep.toml"
    toml.write_text('[dns]\nport = 5353\ncache-size = [10, 20]\nserver = ["127.0.0.1#5399", "127.0.0.1#5398"]\n')
    code, text = stoep_check("--config", str(toml), "--dnsmasq-conf", str(conf))
    assert code != 0, text
    assert f"{toml}:3:" in text and "cache-size: illegal repeated flag" in text, text
    assert "server:" not in text, text


def test_start_up_is_refused_too(tmp_path):
    write(tmp_path, {
        "dnsmasq.conf": f"port=5353\nno-resolv\nconf-dir={tmp_path}/d\n",
        "d/a.conf": "local-ttl=5\n", "d/b.conf": "local-ttl=6\n",
    })
    out = subprocess.run([str(BINARY), "run", "--backend", "epoll", "--stats-socket", str(tmp_path / "s"),
                          "--dnsmasq-conf", str(tmp_path / "dnsmasq.conf")], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0, out.stdout + out.stderr
    assert f"{tmp_path}/d/b.conf:1:0: local-ttl: illegal repeated keyword" in out.stdout + out.stderr
