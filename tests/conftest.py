"""Shared fixtures: real stores (embedded pyoxigraph and a real `oxigraph serve`), app, client,
runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from publishing.keys import issue_key
from registry.bootstrap import init_store, load_catalogue
from registry.store.embedded import EmbeddedRepository
from web.app import create_app

from .support import serial
from .support.memorytemp import stores_in_memory
from .support.publish import Publisher, dumps_made
from .support.sharedstores import copy_of_store, resolver_licences
from .support.stores import (
    BASE,
    EVERY_ENGINE,
    engine_repository,
    initialised_store,
    serve_oxigraph,
    serve_virtuoso,
)


# Test stores in tmpfs (tests/support/memorytemp.py); `serial` tests in one worker, first, the
# CPU theirs (tests/support/serial.py).
def pytest_configure(config: pytest.Config) -> None:
    stores_in_memory(config)
    config.addinivalue_line("markers", serial.MARKER_HELP)
    serial.share_a_folder(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    serial.forget_the_folder(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    serial.tell_the_worker(node.config, node.workerinput)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    return serial.scheduler(config, log) if config.getvalue("dist") == "loadfile" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    serial.serial_first(items)
    serial.say_which_are_serial(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    with serial.taking_turns(item):
        return (yield)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if serial.is_serial(item):
        serial.yield_the_cpu_to_this_worker(item.config)


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory):
    """Two real `oxigraph serve` for the whole session, the main store and the private one
    (PRIVATE_STORE_URL); tests empty them before use."""
    started = [serve_oxigraph(tmp_path_factory.mktemp(name))
               for name in ("oxigraph", "oxigraph-private")]
    yield tuple(url for url, _ in started)
    for _, process in started:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def virtuoso_servers(tmp_path_factory):
    """Two real Virtuoso open source servers for the whole session (main and private), for the
    tests whose store kind is "virtuoso"; tests empty them before use."""
    from concurrent.futures import ThreadPoolExecutor

    folders = [tmp_path_factory.mktemp(name) for name in ("virtuoso", "virtuoso-private")]
    with ThreadPoolExecutor(2) as starting:       # each takes seconds to make its database
        started = list(starting.map(serve_virtuoso, folders))
    yield tuple(url for url, _ in started)
    for _, process in started:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_servers):
    """The main store's URL."""
    return oxigraph_servers[0]


@pytest.fixture(scope="session")
def private_oxigraph_server(oxigraph_servers):
    """The private store's URL."""
    return oxigraph_servers[1]


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.remote)])
def store_kind(request) -> str:
    """Each kind of store: the tests that take empty_repo or repo run against both. A module
    that must also run on Virtuoso (tests/test_store.py) overrides it with REMOTE_ENGINES too:
    "virtuoso" is the remote store on Virtuoso open source."""
    return request.param


def _remote_repo(request, kind: str):
    """The emptied remote repository of kind "remote" (oxigraph serve) or "virtuoso"."""
    engine = "virtuoso" if kind == "virtuoso" else "oxigraph"
    servers = request.getfixturevalue(f"{engine}_servers")
    return engine_repository(engine, servers)


@pytest.fixture
def empty_repo(request, store_kind, tmp_path):
    """An empty store of each kind."""
    if store_kind == "embedded":
        repo = EmbeddedRepository(tmp_path / "store", create=True)
    else:
        repo = _remote_repo(request, store_kind)
    yield repo
    repo.close()


@pytest.fixture
def repo(request, store_kind, tmp_path, initialised_template):
    """A store of each kind holding the vocabulary, shapes and catalogue."""
    repo = _initialised_repo(request, store_kind, initialised_template, tmp_path / "store")
    yield repo
    repo.close()


def _initialised_repo(request, kind: str, template: Path, path: Path):
    """An initialised store of `kind`: embedded, a copy of the template at `path`; remote, the
    session's oxigraph servers, initialised."""
    if kind == "embedded":
        return copy_of_store(template, path)
    repo = _remote_repo(request, kind)
    init_store(repo, BASE)
    return repo


@pytest.fixture(scope="session")
def initialised_template(tmp_path_factory) -> Path:
    """An initialised embedded store, closed, that store fixtures copy (copy_of_store)."""
    path = tmp_path_factory.mktemp("initialised-template") / "store"
    initialised_store(path).close()
    return path


@pytest.fixture
def embedded_repo(tmp_path, initialised_template):
    repo = copy_of_store(initialised_template, tmp_path / "store")
    yield repo
    repo.close()


@pytest.fixture(scope="session")
def catalogue():
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR

    return read_catalogue(CATALOGUE_DIR)


@pytest.fixture
def app(embedded_repo):
    app = create_app({"STORE": str(embedded_repo.path), "BASE_IRI": BASE},
                     repository=embedded_repo)
    yield app
    dumps_made(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def diw_key(embedded_repo):
    """An API key of the agency `diw` in embedded_repo."""
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return key


@pytest.fixture(scope="session")
def publish(tmp_path_factory):
    """Publish licence rows as an agency does, through the publish service:
    `publish(repo, rows, agency="diw")` checks them in the agency's scope, commits them all (a
    refusal fails the test) and gives back a tests.support.publish.PublishedRows (records,
    warnings, commit counts). Session-scoped, so module-scoped fixtures can publish too."""
    return Publisher(tmp_path_factory.mktemp("remote-store-dumps"))


@pytest.fixture
def licences(embedded_repo, publish):
    """(Shared by the resolver tests; modules with a `licences` of their own override it.)

    A public-document licence, a restricted one, a revoked one, one without a document,
    one with a Thai number, and two sharing a number (tests.support.sharedstores)."""
    return resolver_licences(embedded_repo, publish)


# Modules whose tests only read take these instead (overriding embedded_repo, app, client or
# licences with a module-scoped fixture that returns them): made once for the module, not once
# a test.
@pytest.fixture(scope="module")
def module_repo(tmp_path_factory, initialised_template):
    """An initialised store shared by one module's tests."""
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("module") / "store")
    yield repo
    repo.close()


@pytest.fixture(scope="module", params=EVERY_ENGINE)
def module_repo_of_each_kind(request, tmp_path_factory, initialised_template):
    """An initialised store of each kind shared by one module's tests (see `repo`), the remote
    one on both engines: made once a module, so Virtuoso costs little here."""
    repo = _initialised_repo(request, request.param, initialised_template,
                             tmp_path_factory.mktemp("module") / "store")
    yield repo
    repo.close()


@pytest.fixture(scope="module")
def module_app(module_repo):
    """The app over module_repo."""
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE}, repository=module_repo)
    yield app
    dumps_made(app)


@pytest.fixture(scope="module")
def module_licences(module_repo, publish):
    """The resolver tests' licences (see `licences`), published once in module_repo."""
    return resolver_licences(module_repo, publish)


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
