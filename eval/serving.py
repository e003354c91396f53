"""What the benchmark and the soak both need to drive a real ``python -m assistant serve``
subprocess: a free loopback port, waiting until it answers, and its memory from ``/proc``.
Imported by the scripts of this folder (``python eval/bench.py`` puts the folder on the path)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until ``url`` answers 200; stops the run with a message if the server exits first or
    does not answer within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"`assistant serve` exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"`assistant serve` did not answer on {url} within {timeout:.0f} s")


def vm_mb(pid: int | str = "self", field: str = "VmRSS:") -> float | None:
    """A memory figure of ``/proc/<pid>/status`` in MB (VmRSS: resident now; VmHWM: its
    peak); None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
