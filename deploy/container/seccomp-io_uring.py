#!/usr/bin/env python3
"""Prints a seccomp profile that is the given default profile plus io_uring_setup/enter/register.

Docker's and podman's default profiles leave io_uring out (Docker answers EPERM, podman ENOSYS), so
stoep's `auto` backend falls back to epoll in a container. With this profile it runs on io_uring:

    deploy/container/seccomp-io_uring.py /usr/share/containers/seccomp.json > seccomp-io_uring.json
    podman run --security-opt seccomp=seccomp-io_uring.json ...
    docker run --security-opt seccomp=seccomp-io_uring.json ...   (Docker's default.json from moby)

Only the three io_uring calls are added; everything else the default profile decides stays as it is.
"""
import json
import sys

IO_URING = ["io_uring_setup", "io_uring_enter", "io_uring_register"]


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: seccomp-io_uring.py DEFAULT_PROFILE.json > PROFILE.json")
    with open(argv[1]) as f:
        profile = json.load(f)
    rules = profile.get("syscalls")
    if not isinstance(rules, list):
        sys.exit(f"{argv[1]}: no \"syscalls\" list; not a Docker/OCI seccomp profile")
    rules.append({"names": IO_URING, "action": "SCMP_ACT_ALLOW", "args": [], "comment": "stoep: io_uring"})
    json.dump(profile, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
