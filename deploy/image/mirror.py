#!/usr/bin/env python3
"""Prints the Debian mirror apt uses on this machine (first `deb` source of the main archive), so the
image is built from the same place the host installs from. Reads sources.list and sources.list.d/*
in both formats (one-line and deb822). Exits 1 when none is found."""
import glob
import sys


def candidates():
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for path in files:
        try:
            text = open(path).read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.startswith("#"):
                        k, v = line.split(":", 1)
                        fields[k.strip().lower()] = v.split()
                if "deb" in fields.get("types", []):
                    for uri in fields.get("uris", []):
                        yield uri, fields.get("suites", [])
        else:
            for line in text.splitlines():
                words = line.split("#")[0].split()
                words = [w for w in words if not w.startswith("[")]
                if len(words) >= 3 and words[0] == "deb":
                    yield words[1], [words[2]]


for uri, suites in candidates():
    # The main archive: not the security archive, and carrying a plain release suite.
    if "security" not in uri and any("-" not in s for s in suites) and "/debian" in uri:
        print(uri.rstrip("/"))
        sys.exit(0)
sys.exit(1)
