"""Stores for the tests (not a test module): the base IRI every test store is made with, a store
made and initialised, real `oxigraph serve` and Virtuoso processes, emptying and counting a
store, its graphs without the engine's own, and the store kinds of a module run on Virtuoso
too (EVERY_ENGINE)."""

from __future__ import annotations

import os
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


# The store kinds of a module whose tests must also hold on Virtuoso: it overrides the
# `store_kind` fixture (tests/conftest.py) with these params. "remote" is `oxigraph serve`.
EVERY_ENGINE = ["embedded", pytest.param("remote", marks=pytest.mark.remote),
                pytest.param("virtuoso", marks=pytest.mark.remote)]


@pytest.fixture(params=EVERY_ENGINE)
def store_kind_on_every_engine(request) -> str:
    """`store_kind` for a module whose `repo` tests hold on Virtuoso too; the module imports it
    as `store_kind` (`from .support.stores import store_kind_on_every_engine as store_kind`)."""
    return request.param


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


def register_graphs(repo: Repository) -> set[str]:
    """The names of the store's graphs, without the engine's own (Virtuoso keeps its own in
    the same quad store: RemoteRepository.system_graphs)."""
    names = {row["g"].value for row in repo.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    return names - set(repo.system_graphs() if isinstance(repo, RemoteRepository) else ())


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


# Virtuoso open source (Debian's virtuoso-opensource): the second engine the remote store runs
# on. The default dba/dba account, on loopback only; the project passes it as settings.
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
MaxClientConnections = 20
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 20
MaxClientConnections = 20
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {time_limit}
MaxQueryCostEstimationTime = 0
"""


def virtuoso_binary() -> str:
    """virtuoso-t; when missing the test skips, except in CI, where it fails."""
    found = shutil.which("virtuoso-t")
    if found is None:
        message = ("Virtuoso open source is not installed (apt-get install "
                   "virtuoso-opensource): the Virtuoso remote-store tests need `virtuoso-t`.")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


# Idle, Virtuoso is online in a few seconds; on a machine loaded by other work its start-up
# (compiling its own procedures, then a checkpoint) took more than 60 s. A bound, not a wait.
VIRTUOSO_START_SECONDS = 180


def serve_virtuoso(location: Path, time_limit: int = 60) -> tuple[str, subprocess.Popen]:
    """Start a private Virtuoso on loopback from a generated virtuoso.ini in `location`, in the
    foreground (so the test stops it); its base URL and process. `time_limit`: seconds a query
    may run ([SPARQL] MaxQueryExecutionTime).

    It takes seconds to bind its ports, and a port free when chosen may be taken by then (by
    another test session's server): the server counts as ours once its own log says it is
    online at our port, and a server that could not bind is started again on other ports."""
    binary = virtuoso_binary()
    location.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        started = _start_virtuoso(binary, location, time_limit)
        if started is not None:
            return started
    pytest.fail(f"Virtuoso could not bind free ports three times: see {location}/console.log")


def _start_virtuoso(binary: str, location: Path, time_limit: int
                    ) -> tuple[str, subprocess.Popen] | None:
    http_port = sql_port = free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = location / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(dir=location, sql_port=sql_port, http_port=http_port,
                                        time_limit=time_limit))
    (location / "virtuoso.lck").unlink(missing_ok=True)     # left by an attempt that exited
    log = location / "console.log"
    # Its messages go to a file: a pipe nobody reads would stop the server once full.
    with log.open("wb") as console:
        process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)],
                                   cwd=location, stdout=console, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + VIRTUOSO_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")
            if "Failed HTTP listen" in said or "Failed to start listening" in said:
                return None                         # a port was taken: try other ones
            pytest.fail(f"virtuoso-t exited: {log.read_text(errors='replace')[-2000:]}")
        if f"Server online at 127.0.0.1:{sql_port}" in log.read_text(errors="replace"):
            try:
                if requests.get(url + "/sparql", params={"query": "ASK {}"}, timeout=5).ok:
                    return url, process
            except requests.RequestException:
                pass
        time.sleep(0.2)
    process.kill()
    process.wait(10)
    pytest.fail(f"Virtuoso did not start within {VIRTUOSO_START_SECONDS} s: see {log}")


def virtuoso_auth() -> requests.auth.HTTPDigestAuth:
    return requests.auth.HTTPDigestAuth(VIRTUOSO_USER, VIRTUOSO_PASSWORD)


def virtuoso_repository(url: str, private_url: str, timeout: float = 120
                        ) -> RemoteRepository:
    """The main remote repository on Virtuoso with its private one, both emptied of the
    register's graphs (never of Virtuoso's own)."""
    main, private = (RemoteRepository.at(u, timeout, engine="virtuoso", auth=virtuoso_auth(),
                                         holds_private=u == private_url)
                     for u in (url, private_url))
    for store in (main, private):
        drop = store._drop_all()
        if drop:
            store._post(store.update_url, drop, "application/sparql-update")
    main._private = private
    return main


def engine_settings(engine: str, urls: tuple[str, str]) -> dict[str, str]:
    """The settings (names without the LICENCE_REGISTRY_ prefix) of a register on the remote
    engine at (main, private) URLs, with Virtuoso's credentials when it is Virtuoso."""
    credentials = ({"STORE_USER": VIRTUOSO_USER, "STORE_PASSWORD": VIRTUOSO_PASSWORD}
                   if engine == "virtuoso" else {})
    return {"STORE_URL": urls[0], "PRIVATE_STORE_URL": urls[1], "STORE_ENGINE": engine,
            **credentials}


def engine_repository(engine: str, urls: tuple[str, str]) -> RemoteRepository:
    """remote_repository or virtuoso_repository, by engine, over (main, private) URLs."""
    if engine == "virtuoso":
        return virtuoso_repository(*urls)
    return remote_repository(*urls)
