"""Reading the main store from another process: `read_replica()` and `open_reader()`.

The child processes are spawned (not forked), as a server's children would be, so they share
nothing with the store the test process holds open read-write.
"""

from __future__ import annotations

import multiprocessing

import pyoxigraph as ox
import pytest

from registry.settings import load_settings
from registry.store import ChangeSet, StoreError
from registry.store.embedded import EmbeddedRepository
from registry.store.opening import open_reader
from registry.store.shared import SharedEmbeddedRepository, prepare

G1 = "http://127.0.0.1:8000/graph/licence/a/b/1"
G2 = "http://127.0.0.1:8000/graph/licence/a/b/2"
P = ox.NamedNode("http://example.org/p")


def _change(graph: str, value: str) -> ChangeSet:
    return ChangeSet.from_quads([ox.Quad(ox.NamedNode("http://x/1"), P, ox.Literal(value),
                                         ox.NamedNode(graph))], replace=[graph])


def _graphs_in_checkpoint(path: str, answer) -> None:
    store = ox.Store.read_only(path)
    answer.put(sorted(g.value for g in store.named_graphs()))


def _graphs_through_reader(store_dir: str, answer) -> None:
    reader = open_reader(load_settings({"STORE": store_dir}, environ={}))
    graphs = [row["g"].value for row in
              reader.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")]
    try:
        reader.apply(_change(G2, "from the child"))
        refused = ""
    except StoreError as exc:
        refused = str(exc)
    answer.put((graphs, refused))


def _in_child(target, *args):
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    process = context.Process(target=target, args=(*args, answer))
    process.start()
    try:
        return answer.get(timeout=60)
    finally:
        process.join(30)
        assert process.exitcode == 0


@pytest.fixture
def store(tmp_path):
    repo = EmbeddedRepository(tmp_path / "store", create=True)
    repo.apply(_change(G1, "one"))
    yield repo
    repo.close()


def test_a_child_process_opens_the_replica_and_sees_later_commits(store):
    first = store.read_replica()
    assert first is not None and first.is_dir()
    assert _in_child(_graphs_in_checkpoint, str(first)) == [G1]
    store.apply(_change(G2, "two"))        # made after the first call
    second = store.read_replica()
    assert second != first
    assert _in_child(_graphs_in_checkpoint, str(second)) == [G1, G2]


def test_the_replica_is_current_without_asking_again(store):
    store.read_replica()
    store.apply(_change(G2, "two"))
    replica = ox.Store.read_only(str(store.read_replica()))
    assert replica.contains_named_graph(ox.NamedNode(G2))


def test_open_reader_in_a_child_reads_and_refuses_writes(store):
    store.read_replica()
    graphs, refused = _in_child(_graphs_through_reader, str(store.path))
    assert graphs == [G1]
    assert "read-only" in refused
    assert not store.existing_graphs([G2])


def test_open_reader_follows_new_checkpoints(store):
    store.read_replica()
    reader = open_reader(load_settings({"STORE": str(store.path)}, environ={}))
    assert reader.existing_graphs([G1, G2]) == {G1}
    store.apply(_change(G2, "two"))
    reader.reader.refresh()                 # instead of waiting for its next look at CURRENT
    assert reader.existing_graphs([G1, G2]) == {G1, G2}
    dataset = store.path / "dataset.nq"
    dataset.write_bytes(store.export_bytes())
    with pytest.raises(StoreError, match="read-only"):
        reader.replace_all(dataset)


def test_open_reader_needs_a_published_checkpoint(store):
    with pytest.raises(StoreError, match="No read-only checkpoint"):
        open_reader(load_settings({"STORE": str(store.path)}, environ={}))


def test_the_shared_repository_offers_the_checkpoint_it_reads(tmp_path):
    path = tmp_path / "store"
    prepare(path)
    shared = SharedEmbeddedRepository(path)
    before = shared.read_replica()
    shared.apply(_change(G1, "one"))
    after = shared.read_replica()
    assert after != before
    assert ox.Store.read_only(str(after)).contains_named_graph(ox.NamedNode(G1))
    access = shared.query_access()          # the public's queries read the same checkpoint
    assert access.endpoint is None and access.checkpoint is not None
    assert access.checkpoint() == after


@pytest.mark.remote
@pytest.mark.parametrize("engine, query_path", [("oxigraph", "/query"), ("virtuoso", "/sparql")])
def test_a_remote_store_has_no_replica_and_its_reader_queries_it(request, engine, query_path):
    from .support.stores import engine_repository, engine_settings

    servers = request.getfixturevalue(f"{engine}_servers")
    main = engine_repository(engine, servers)
    main.apply(_change(G1, "one"))
    assert main.read_replica() is None
    access = main.query_access()
    assert (access.endpoint, access.engine) == (servers[0] + query_path, engine)
    assert access.checkpoint is None
    reader = open_reader(load_settings(engine_settings(engine, servers), environ={}))
    assert reader.existing_graphs([G1, G2]) == {G1}
    with pytest.raises(StoreError, match="without its private store"):
        _ = reader.private      # a reader sees public data only
