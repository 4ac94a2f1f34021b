"""Process-level behaviour of `stoep run`: backend fallback, file limit, privilege drop."""
import os
from pathlib import Path

import pytest

from conftest import Stoep, free_port

SYSCTL = Path("/proc/sys/kernel/io_uring_disabled")


def test_auto_falls_back_to_epoll_with_one_log_line(tmp_path):
    if not SYSCTL.exists() or not os.access(SYSCTL, os.W_OK):
        pytest.skip("kernel.io_uring_disabled not writable here")
    old = SYSCTL.read_text().strip()
    s = Stoep(tmp_path, "auto")
    cfg = s.write_config(f'[[forward]]\nlisten = "127.0.0.1:{free_port()}"\nupstream = "127.0.0.1:9"\n')
    try:
        SYSCTL.write_text("2")  # io_uring_setup now fails with EPERM, as under Docker's seccomp profile
        info = s.start(config=cfg)
        assert info["backend"] == "epoll"
        lines = [l for l in s.log_text().splitlines() if "falling back to epoll" in l]
        assert len(lines) == 1 and "io_uring_setup" in lines[0], s.log_text()
    finally:
        SYSCTL.write_text(old)
        s.stop()


def test_explicit_io_uring_is_used_when_available(tmp_path):
    s = Stoep(tmp_path, "auto")
    cfg = s.write_config(f'[[forward]]\nlisten = "127.0.0.1:{free_port()}"\nupstream = "127.0.0.1:9"\n')
    try:
        info = s.start(config=cfg)
        assert info["backend"] == "io_uring"
        assert "defer_taskrun" in info["backend_features"] or "coop_taskrun" in info["backend_features"]
    finally:
        s.stop()


def test_file_limit_raised_and_privileges_dropped(tmp_path, backend):
    if os.getuid() != 0:
        pytest.skip("needs root to drop privileges")
    os.chmod(tmp_path, 0o777)
    s = Stoep(tmp_path, backend)
    port = free_port()
    cfg = s.write_config(f'user = "nobody"\n[[forward]]\nlisten = "127.0.0.1:{port}"\nupstream = "127.0.0.1:9"\n')
    try:
        s.start(config=cfg)
        status = Path(f"/proc/{s.pid}/status").read_text()
        uid_line = next(l for l in status.splitlines() if l.startswith("Uid:"))
        assert uid_line.split()[1:] == ["65534"] * 4, uid_line
        limits = Path(f"/proc/{s.pid}/limits").read_text()
        soft, hard = next(l for l in limits.splitlines() if l.startswith("Max open files")).split()[3:5]
        assert soft == hard
    finally:
        s.stop()
