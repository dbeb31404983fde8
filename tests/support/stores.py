"""Stores for the tests (not a test module): the base IRI every test store is made with, a store
made and initialised, real `oxigraph serve` processes, and emptying and counting a store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from registry.bootstrap import init_store
from registry.store import Repository
from registry.store.embedded import EmbeddedRepository
from registry.store.remote import RemoteRepository

BASE = "http://127.0.0.1:8000"

LICENCE_COUNT = ("SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { GRAPH ?g { ?l a "
                 "<https://schema.org/GovernmentPermit> } }")


def free_port() -> int:
    """A TCP port on loopback that nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def initialised_store(path: Path, base: str = BASE) -> EmbeddedRepository:
    """A new embedded store at `path` holding the vocabulary, shapes and catalogue."""
    repo = EmbeddedRepository(path, create=True)
    init_store(repo, base)
    return repo


def licence_count(repo: Repository) -> int:
    """How many licences the store holds (every version of one counts once)."""
    rows = repo.select(LICENCE_COUNT)
    return int(rows[0]["n"].value)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        pytest.fail("The `oxigraph` server is not installed: pip install oxigraph")
    return found


def serve_oxigraph(location: Path, *extra: str, low_priority: bool = False,
                   memory_limit_mb: int | None = None) -> tuple[str, subprocess.Popen]:
    """Start a real `oxigraph serve` on loopback (`extra` arguments); its URL and process.
    As docs/sparql.md advises for the SPARQL replica: `low_priority` runs it at nice 19;
    `memory_limit_mb` caps its memory, starts it again whenever it stops and keeps it on one CPU
    (tests/support/supervise.py; oxigraph's timeout stops neither a growing sort nor a counted
    cross product: the cap ends the first, the one CPU bounds what the second can take)."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--location", str(location),
               "--bind", f"127.0.0.1:{port}", *extra]
    if memory_limit_mb:
        command = [sys.executable, str(Path(__file__).with_name("supervise.py")),
                   "--data-mb", str(memory_limit_mb), "--nice", "19" if low_priority else "0",
                   "--one-cpu", "--", *command]
    elif low_priority:
        command = ["nice", "-n", "19", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
            return url, process
        except requests.ConnectionError:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"oxigraph serve exited: {stderr}")
            time.sleep(0.1)
    process.kill()
    pytest.fail("oxigraph serve did not start within 30 s")


def empty_remote_store(url: str) -> None:
    requests.post(url + "/update", data="DROP SILENT ALL",
                  headers={"Content-Type": "application/sparql-update"}, timeout=30
                  ).raise_for_status()


def remote_repository(url: str, private_url: str) -> RemoteRepository:
    """The main remote repository with its private one, both emptied."""
    for store in (url, private_url):
        empty_remote_store(store)
    return RemoteRepository.at(url, 120, private=RemoteRepository.at(private_url, 120,
                                                                     holds_private=True))
