"""A real `licence-registry serve` (gunicorn) on a loopback port, for tests that need the whole
stack: the working directory, the server's own parsing of a request, real sockets.

Not a test module: tests/test_dumps_safety.py and tests/test_hosts_redirects.py use it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from .stores import free_port

STARTUP_SECONDS = 120


class RealServer:
    """`licence-registry [global args] serve [serve args]` in `cwd`, in its own process group,
    waited for until /health answers; stop() ends the whole group."""

    def __init__(self, cwd: Path, global_args: list[str], serve_args: list[str], *,
                 env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(cwd) / f"server-{self.port}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("LICENCE_REGISTRY_")}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", *global_args, "serve", "--host",
                 "127.0.0.1", "--port", str(self.port), "--workers", "1", "--threads", "2",
                 "--no-access-log", *serve_args],
                cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**environ, "PYTHONPATH": str(Path(__file__).parents[2]), **(env or {})})
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.output()}")
            try:
                requests.get(self.url + "/health", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> RealServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def raw_request(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send bytes exactly as given to 127.0.0.1:`port`; everything the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)
