"""busybox httpd with shell CGI scripts: the kind of backend embedded devices and small containers run.

busybox httpd closes the connection after every response and sends its CGI answers as
"HTTP/1.1 200 OK\\r\\n" followed by whatever the script printed: header lines ending in bare LF or CRLF as
the script wrote them, and no Content-Length unless the script sends one (the body then runs until close).
A script's "Status: 404 Not Found" line becomes the status line, still ending as the script ended it.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path

from conftest import stop_process

BUSYBOX = shutil.which("busybox")

# name -> shell script body. printf keeps line ends exact; '\n' alone is the bare LF busybox passes on.
SCRIPTS = {
    "lf.sh": r"""printf 'Content-Type: text/plain\n\nhello from cgi\n'""",
    "crlf.sh": r"""printf 'Content-Type: text/plain\r\n\r\nhello from cgi\n'""",
    "lf_cl.sh": r"""printf 'Content-Type: text/plain\nContent-Length: 15\n\nhello from cgi\n'""",
    "crlf_cl.sh": r"""printf 'Content-Type: text/plain\r\nContent-Length: 15\r\n\r\nhello from cgi\n'""",
    "mixed.sh": r"""printf 'Content-Type: text/plain\r\nX-One: 1\nX-Two:  two words \r\nCache-Control: no-store\n\r\nmixed\n'""",
    "status.sh": r"""printf 'Status: 404 Not Found\nContent-Type: text/plain\n\nnot here\n'""",
    "redirect.sh": r"""printf 'Status: 302 Found\nLocation: /cgi-bin/lf.sh\nContent-Type: text/plain\n\n'""",
    "empty.sh": r"""printf 'Content-Type: text/plain\nX-Empty: yes\n\n'""",
    "cookies.sh": r"""printf 'Content-Type: text/plain\nSet-Cookie: a=1; Path=/\nSet-Cookie: b=2; HttpOnly\n\ncookies\n'""",
    "env.sh": r"""printf 'Content-Type: text/plain\n\n'
echo "method=$REQUEST_METHOD"
echo "query=$QUERY_STRING"
echo "host=$HTTP_HOST"
""",
    "post.sh": r"""printf 'Content-Type: application/octet-stream\n\n'
head -c "${CONTENT_LENGTH:-0}"
""",
    "big.sh": r"""printf 'Content-Type: application/octet-stream\n\n'
i=0
while [ $i -lt 1024 ]; do printf '%01023d\n' $i; i=$((i+1)); done
""",
    "slow.sh": r"""printf 'Content-Type: text/plain\n\n'
echo one
sleep 0.3
echo two
""",
}

STATIC = {"index.html": "<h1>static</h1>\n", "plain.txt": "plain text file\n"}


class BusyboxCGI:
    """busybox httpd on a loopback port, serving `root` with the scripts above under cgi-bin/."""

    def __init__(self, root):
        if BUSYBOX is None:
            raise RuntimeError("busybox is not installed (apt-get install busybox-static)")
        self.root = Path(root)
        (self.root / "cgi-bin").mkdir(parents=True, exist_ok=True)
        for name, body in SCRIPTS.items():
            path = self.root / "cgi-bin" / name
            path.write_text("#!/bin/sh\n" + body + "\n")
            path.chmod(0o755)
        for name, text in STATIC.items():
            (self.root / name).write_text(text)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{self.port}", "-h", str(self.root)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.close()
        raise RuntimeError("busybox httpd did not come up")

    def close(self):
        stop_process(self.proc, 5)


def big_body():
    """What big.sh prints: 1024 lines of 1023 zero-padded digits and a newline (1 MiB)."""
    return b"".join(b"%01023d\n" % i for i in range(1024))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
