"""Shared fixtures: real stores (embedded pyoxigraph and a real `oxigraph serve`), app, client,
runner."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ops.demo import demo_rows
from publishing.keys import issue_key
from publishing.pipeline import commit
from registry import identifiers
from registry.bootstrap import init_store, load_catalogue
from registry.store.embedded import EmbeddedRepository
from registry.store.remote import RemoteRepository
from registry.validation import ValidationContext, check_batch
from web.app import create_app

BASE = "http://127.0.0.1:8000"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        pytest.fail("The `oxigraph` server is not installed: pip install oxigraph")
    return found


def _serve_oxigraph(location: Path, *extra: str, low_priority: bool = False,
                    memory_limit_mb: int | None = None):
    """Start a real `oxigraph serve` on loopback (`extra` arguments); its URL and process.
    As docs/sparql.md advises for the SPARQL replica: `low_priority` runs it at nice 19;
    `memory_limit_mb` caps its memory, starts it again whenever it stops and keeps it on one CPU
    (tests/supervise.py; oxigraph's timeout stops neither a growing sort nor a counted cross
    product: the cap ends the first, the one CPU bounds what the second can take)."""
    port = _free_port()
    command = [_oxigraph_binary(), "serve", "--location", str(location),
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
                pytest.fail(f"oxigraph serve exited: {process.stderr.read().decode()}")
            time.sleep(0.1)
    process.kill()
    pytest.fail("oxigraph serve did not start within 30 s")


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory):
    """Two real `oxigraph serve` for the whole session, the main store and the private one
    (PRIVATE_STORE_URL); tests empty them before use."""
    started = [_serve_oxigraph(tmp_path_factory.mktemp(name))
               for name in ("oxigraph", "oxigraph-private")]
    yield tuple(url for url, _ in started)
    for _, process in started:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_servers):
    """The main store's URL."""
    return oxigraph_servers[0]


@pytest.fixture(scope="session")
def private_oxigraph_server(oxigraph_servers):
    """The private store's URL."""
    return oxigraph_servers[1]


def empty_remote_store(url: str) -> None:
    requests.post(url + "/update", data="DROP SILENT ALL",
                  headers={"Content-Type": "application/sparql-update"}, timeout=30
                  ).raise_for_status()


def _remote(url: str, private_url: str) -> RemoteRepository:
    """The main remote repository with its private one, both emptied."""
    for store in (url, private_url):
        empty_remote_store(store)
    return RemoteRepository.at(url, 120, private=RemoteRepository.at(private_url, 120,
                                                                     holds_private=True))


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.remote)])
def empty_repo(request, tmp_path):
    """An empty store of each kind: the same tests run against both."""
    if request.param == "embedded":
        repo = EmbeddedRepository(tmp_path / "store", create=True)
    else:
        repo = _remote(request.getfixturevalue("oxigraph_server"),
                       request.getfixturevalue("private_oxigraph_server"))
    yield repo
    repo.close()


@pytest.fixture
def repo(empty_repo):
    """A store of each kind holding the vocabulary, shapes and catalogue."""
    init_store(empty_repo, BASE)
    return empty_repo


@pytest.fixture
def embedded_repo(tmp_path):
    repo = EmbeddedRepository(tmp_path / "store", create=True)
    init_store(repo, BASE)
    yield repo
    repo.close()


@pytest.fixture(scope="session")
def catalogue():
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR

    return read_catalogue(CATALOGUE_DIR)


@pytest.fixture
def app(embedded_repo):
    return create_app({"STORE": str(embedded_repo.path), "BASE_IRI": BASE},
                      repository=embedded_repo)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def diw_key(embedded_repo):
    """An API key of the agency `diw` in embedded_repo."""
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return key


@pytest.fixture
def licences(embedded_repo):
    """(Shared by the resolver tests; modules with a `licences` of their own override it.)

    A public-document licence, a restricted one, a revoked one, one without a document,
    one with a Thai number, and two sharing a number."""
    catalogue = load_catalogue(embedded_repo)
    rows = list(demo_rows(catalogue, 400, agency="diw"))

    def pick(wanted):
        return next(r for r in rows if wanted(r))

    public = pick(lambda r: r["document_access"] == "public" and r["document_url"]
                  and r["status"] == "active" and "/" in r["licence_number"])
    restricted = pick(lambda r: r["document_access"] == "restricted")
    revoked = dict(pick(lambda r: r is not public and r is not restricted and r["document_url"]),
                   status="revoked", status_reason="ฝ่าฝืนเงื่อนไขใบอนุญาต")
    bare = dict(pick(lambda r: r not in (public, restricted)
                     and r["licence_number"] != revoked["licence_number"]),
                document_url="", document_sha256="", document_media_type="",
                document_access="", document_login_url="")
    thai_type = catalogue.types["factory-operation"]
    thai = dict(public, licence_type="factory-operation", licence_number="จ3-106-12/2560",
                issuer="diw")
    assert thai_type.pattern.fullmatch("จ3-106-12/2560")
    number = identifiers.canonical_number(public["licence_number"])
    twin_type = next(t.code for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                     if t.code != public["licence_type"] and public["issuer"] in t.authorities
                     and t.pattern.fullmatch(number))
    twin = dict(public, licence_type=twin_type)       # the same number on another licence type
    batch = [public, restricted, revoked, bare, thai, twin]
    records, problems = check_batch(enumerate(batch, start=2), ValidationContext(catalogue))
    assert len(records) == len(batch), problems
    commit(embedded_repo, records, base=BASE, catalogue=catalogue, agency="diw")
    names = ["public", "restricted", "revoked", "bare", "thai", "twin"]
    keys = {name: r.key for name, r in zip(names, records, strict=True)}
    return keys, {"public": public, "restricted": restricted, "revoked": revoked, "twin": twin}


@pytest.fixture
def runner(tmp_path):
    """Runs the CLI in-process against a store in tmp_path."""
    from click.testing import CliRunner

    from ops.cli import main

    store = tmp_path / "cli-store"

    class Runner:
        def __init__(self):
            self.cli = CliRunner()
            self.store = store

        def invoke(self, *args, store_args=True):
            full = ["--store", str(store), *args] if store_args else list(args)
            return self.cli.invoke(main, full, catch_exceptions=False)

    return Runner()


def loaded_catalogue(repo):
    return load_catalogue(repo)
