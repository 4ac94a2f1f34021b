#!/usr/bin/env python3
"""Applies a board profile (hardware/NAME.toml) to an image's root directory:

    [sysctl]    -> ROOT/etc/sysctl.d/60-stoep-NAME.conf          (systemd-sysctl at boot)
    [journald]  -> ROOT/etc/systemd/journald.conf.d/60-stoep.conf
    [stoep]     -> ROOT/etc/systemd/system/stoep.service.d/profile.conf  (`stoep run --profile NAME`)
    [cpu]       -> printed kernel arguments (cpufreq.default_governor=...), for the boot configuration

Each file keeps the profile's one-line reasons as comments. Usage: profile.py PROFILE.toml ROOT
"""
import os
import sys
import tomllib


def reasons(path):
    """key -> the comment after it on its line in the profile (the one-line reason)."""
    out = {}
    for line in open(path):
        if "=" in line and "#" in line:
            key = line.split("=", 1)[0].strip().strip('"')
            out[key] = line.split("#", 1)[1].strip()
    return out


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main(profile_path, root):
    with open(profile_path, "rb") as f:
        profile = tomllib.load(f)
    name = profile.get("name") or os.path.basename(profile_path).removesuffix(".toml")
    why = reasons(profile_path)
    header = f"# From stoep's board profile {name} (hardware/{name}.toml).\n"

    lines = [header]
    for key, value in profile.get("sysctl", {}).items():
        lines.append(f"# {why.get(key, '')}\n{key} = {value}\n")
    write(f"{root}/etc/sysctl.d/60-stoep-{name}.conf", "".join(lines))

    journald = profile.get("journald", {})
    if journald:
        body = "".join(f"# {why.get(k, '')}\n{k}={v}\n" for k, v in journald.items())
        write(f"{root}/etc/systemd/journald.conf.d/60-stoep.conf", header + "[Journal]\n" + body)
        if journald.get("Storage") == "persistent":
            os.makedirs(f"{root}/var/log/journal", exist_ok=True)

    if profile.get("stoep"):
        write(f"{root}/etc/systemd/system/stoep.service.d/profile.conf", header +
              "# Pipe sizes and the DNS cache size: what the process applies itself.\n[Service]\nExecStart=\n"
              f"ExecStart=/usr/local/bin/stoep run --config /etc/stoep/stoep.toml --profile {name}\n")

    args = []
    governor = profile.get("cpu", {}).get("governor")
    if governor:
        args.append(f"cpufreq.default_governor={governor}")
    print(" ".join(args))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: profile.py PROFILE.toml ROOT")
    main(sys.argv[1], sys.argv[2])
