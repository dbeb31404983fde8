"""Kill the serving process with SIGKILL in the middle of an upload, then check the store.

Used by tests/test_crash_safety.py (small) and bench/crash.py (100,000 rows, 10 kills). The
state after reopening must be exactly the state before the upload or exactly the state after
it, once upload ids and timestamps (which differ run to run) are set aside.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from registry.store.embedded import EmbeddedRepository

from .stores import free_port

_UPLOAD_ID = re.compile(rb"/upload/\d{8}T\d{6}Z-[0-9a-f]{8}")
_DATETIME = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\^\^<http://www.w3.org/2001/XMLSchema#dateTime>')
_UPLOAD_ID_LITERAL = re.compile(rb'"\d{8}T\d{6}Z-[0-9a-f]{8}"')


def state(store: Path) -> frozenset[bytes]:
    """The store's content with upload ids and times made neutral (opening it recovers)."""
    repo = EmbeddedRepository(store)
    try:
        assert not any(repo.journal.iterdir()), "recovery left a journal entry"
        data = repo.export_bytes()
    finally:
        repo.close()
    data = _UPLOAD_ID.sub(b"/upload/X", data)
    data = _UPLOAD_ID_LITERAL.sub(b'"X"', data)
    data = _DATETIME.sub(b'"T"', data)
    return frozenset(line for line in data.splitlines() if b"_:" not in line)


class Server:
    """`licence-registry serve` on a store, in its own process group (so SIGKILL takes all)."""

    def __init__(self, store: Path, base: str, *, env: dict[str, str] | None = None,
                 workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "--store", str(store), "--base-iri", base,
             "serve", "--port", str(self.port), "--threads", "2", "--workers", str(workers),
             "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/health", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """SIGKILL the whole group (gunicorn's master and the worker that owns the store) and
        wait until every process in it is gone, so the store's lock is free."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not _group_running(self.process.pid):
                return
            time.sleep(0.02)
        raise RuntimeError("processes of the killed server are still running")


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs. A zombie has ended (its files, so the
    store's lock, are released): the workers orphaned by the kill stay zombies until the
    machine's init reaps them, which may take a second."""
    proc = Path("/proc")
    if not proc.is_dir():                             # no /proc: ask the kernel for the group
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue                                  # ended meanwhile
        # pid (comm) state ppid pgrp …: comm may hold spaces and brackets, so read after ")"
        state, _ppid, pgrp = text.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            return True
    return False


def upload_in_background(url: str, key: str, body: bytes) -> dict:
    outcome: dict = {}

    def send():
        try:
            response = requests.post(url + "/api/v1/uploads", data=body, timeout=600,
                                     headers={"Content-Type": "text/csv",
                                              "Authorization": f"Bearer {key}"})
            outcome["status"] = response.status_code
        except requests.RequestException as exc:
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def full_run(template: Path, work: Path, base: str, key: str, body: bytes
             ) -> tuple[frozenset[bytes], float]:
    """The state after an upload that was not interrupted, and how long the upload took."""
    store = work / "after"
    shutil.copytree(template, store)
    server = Server(store, base)
    try:
        start = time.monotonic()
        outcome = upload_in_background(server.url, key, body)
        outcome["thread"].join()
        seconds = time.monotonic() - start
        assert outcome.get("status") == 200, outcome
    finally:
        server.kill()
    return state(store), seconds


def killed_run(template: Path, work: Path, base: str, key: str, body: bytes,
               delay: float, name: str) -> tuple[frozenset[bytes], dict]:
    """Kill the server `delay` seconds into the upload; the reopened store's state."""
    store = work / name
    shutil.copytree(template, store)
    server = Server(store, base)
    outcome = upload_in_background(server.url, key, body)
    time.sleep(delay)
    server.kill()
    outcome["thread"].join(30)
    return state(store), outcome
