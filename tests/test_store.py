"""The repository contract, run against the embedded store, a real `oxigraph serve` and a real
Virtuoso open source (the remote store on each engine it supports)."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.store import ChangeSet, StoreError, StoreNotInitialised
from registry.store.embedded import EmbeddedRepository

G1 = "http://127.0.0.1:8000/graph/licence/a/b/1"
G2 = "http://127.0.0.1:8000/graph/licence/a/b/2"
P = ox.NamedNode("http://example.org/p")


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.remote),
                        pytest.param("virtuoso", marks=pytest.mark.remote)])
def store_kind(request) -> str:
    """This module's contract holds on every store: embedded, and remote on both engines."""
    return request.param


def quad(s: str, o: str, g: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(s), P, ox.Literal(o), ox.NamedNode(g))


def values(repo, graph):
    return sorted(t.object.value for t in repo.graph_triples(graph))


def test_apply_adds_and_replaces_whole_graphs(empty_repo):
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "old", G1),
                                           quad("http://x/2", "two", G2)]))
    assert values(empty_repo, G1) == ["old"]
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "new", G1)], replace=[G1]))
    assert values(empty_repo, G1) == ["new"]
    assert values(empty_repo, G2) == ["two"]            # untouched
    assert empty_repo.existing_graphs([G1, G2, G1 + "x"]) == {G1, G2}
    assert empty_repo.quad_count() == 2


def test_applying_a_change_set_twice_equals_once(empty_repo):
    change = ChangeSet.from_quads([quad("http://x/1", "v", G1), quad("http://x/2", "w", G2)],
                                  replace=[G1])
    empty_repo.apply(change)
    first = empty_repo.export_bytes()
    empty_repo.apply(change)
    assert sorted(empty_repo.export_bytes().splitlines()) == sorted(first.splitlines())


def test_payload_from_a_file(empty_repo, tmp_path):
    path = tmp_path / "payload.nq"
    path.write_bytes(ox.serialize([quad("http://x/1", "ร้านอาหาร \"ครัวไทย\"\n", G1)],
                                  format=ox.RdfFormat.N_QUADS))
    empty_repo.apply(ChangeSet(replace=[G1], payload=path))
    assert values(empty_repo, G1) == ["ร้านอาหาร \"ครัวไทย\"\n"]


def test_bindings_are_values_not_query_text(empty_repo):
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "a", G1)]))
    query = "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }"  # bound variables are projected
    hostile = ox.Literal('a" } } ; DROP ALL ; SELECT * { { "')
    assert empty_repo.select(query, {"o": hostile}) == []
    assert [r["s"].value for r in empty_repo.select(query, {"o": ox.Literal("a")})] == ["http://x/1"]
    assert empty_repo.ask("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(G1)})
    assert not empty_repo.ask("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(G2)})
    assert empty_repo.quad_count() == 1


def test_bad_payload_changes_nothing(empty_repo):
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "keep", G1)]))
    before = empty_repo.export_bytes()
    bad = ox.serialize([quad("http://x/1", "new", G1)], format=ox.RdfFormat.N_QUADS) + b"<broken"
    with pytest.raises(StoreError):
        empty_repo.apply(ChangeSet(replace=[G1, G2], payload=bad))
    assert empty_repo.export_bytes() == before


def test_export_and_replace_all_round_trip(empty_repo, tmp_path):
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "a", G1),
                                           quad("http://x/2", "ข", G2)]))
    dump = tmp_path / "dump.nq"
    dump.write_bytes(empty_repo.export_bytes())
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/3", "extra", G2)]))
    empty_repo.replace_all(dump)
    assert empty_repo.quad_count() == 2
    assert values(empty_repo, G2) == ["ข"]


def test_construct_returns_triples(empty_repo):
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/1", "a", G1)]))
    # (A named graph, not GRAPH ?g: on Virtuoso that also meets Virtuoso's own graphs.)
    triples = empty_repo.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert [t.object.value for t in triples] == ["a"]


# Embedded only: the journal makes a killed process leave the state before or after.

def test_missing_store_is_reported(tmp_path):
    with pytest.raises(StoreNotInitialised, match="licence-registry init"):
        EmbeddedRepository(tmp_path / "nothing")


def _journal_entry(store: Path, name: str, replace, quads, committed: bool) -> None:
    entry = store / "journal" / name
    entry.mkdir(parents=True)
    (entry / "payload-0000.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    (entry / "manifest.json").write_text(json.dumps({"replace": replace}))
    (entry / "undo.nq").write_bytes(b"")
    if committed:
        (entry / "COMMITTED").touch()


def _closed_store_holding_old(tmp_path) -> Path:
    path = tmp_path / "store"
    repo = EmbeddedRepository(path, create=True)
    repo.apply(ChangeSet.from_quads([quad("http://x/1", "old", G1)]))
    repo.close()
    return path


def test_committed_journal_is_replayed_on_open(tmp_path):
    path = _closed_store_holding_old(tmp_path)
    # As if the process died after the commit point, having dropped G1 but loaded nothing.
    _journal_entry(path, "00000000000000000001", [G1], [quad("http://x/1", "new", G1)], True)
    store = ox.Store(str(path / "data"))
    store.remove_graph(ox.NamedNode(G1))
    del store
    repo = EmbeddedRepository(path)
    assert values(repo, G1) == ["new"]
    assert list((path / "journal").iterdir()) == []


def test_uncommitted_journal_is_discarded_on_open(tmp_path):
    path = _closed_store_holding_old(tmp_path)
    _journal_entry(path, "00000000000000000002.partial", [G1], [quad("http://x/1", "new", G1)],
                   False)
    _journal_entry(path, "00000000000000000003", [G1], [quad("http://x/1", "new", G1)], False)
    repo = EmbeddedRepository(path)
    assert values(repo, G1) == ["old"]
    assert list((path / "journal").iterdir()) == []


def test_writers_take_turns(empty_repo):
    """Read-modify-write under `writing()` from several threads loses no update."""
    import threading

    counter = "http://127.0.0.1:8000/graph/counter"
    empty_repo.apply(ChangeSet.from_quads([quad("http://x/c", "0", counter)]))

    def bump():
        for _ in range(5):
            with empty_repo.writing():
                value = int(values(empty_repo, counter)[0])
                empty_repo.apply(ChangeSet.from_quads([quad("http://x/c", str(value + 1), counter)],
                                                      replace=[counter]))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert values(empty_repo, counter) == ["20"]


@pytest.mark.remote
@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_remote_writers_in_separate_clients_take_turns(engine, request):
    """Three RemoteRepository objects (as three web workers, each with its own process lock)
    share the lease, which is kept in the private store."""
    import threading

    from registry.store.remote import RemoteRepository

    from .support.stores import engine_repository, virtuoso_auth

    main_url, private_url = request.getfixturevalue(f"{engine}_servers")
    auth = virtuoso_auth if engine == "virtuoso" else (lambda: None)
    counter = "http://127.0.0.1:8000/graph/counter"
    clients = [engine_repository(engine, (main_url, private_url))]
    clients += [RemoteRepository.at(main_url, 60, engine=engine, auth=auth(),
                                    private=RemoteRepository.at(private_url, 60, engine=engine,
                                                                auth=auth(), holds_private=True))
                for _ in range(2)]
    clients[0].apply(ChangeSet.from_quads([quad("http://x/c", "0", counter)], replace=[counter]))

    def bump(client):
        for _ in range(4):
            with client.writing():
                value = int(values(client, counter)[0])
                client.apply(ChangeSet.from_quads([quad("http://x/c", str(value + 1), counter)],
                                                  replace=[counter]))

    threads = [threading.Thread(target=bump, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert values(clients[0], counter) == ["12"]
    for store in (clients[0], clients[0].private):       # released, and never in the main store
        assert not store.ask("ASK { GRAPH <urn:x-licence-registry:lock> { ?s ?p ?o } }")


def test_a_half_deleted_finished_entry_is_discarded_on_open(tmp_path):
    """Killed while removing an applied entry (renamed to .done first): nothing to replay."""
    path = _closed_store_holding_old(tmp_path)
    _journal_entry(path, "00000000000000000004.done", [G1], [quad("http://x/1", "new", G1)], True)
    (path / "journal" / "00000000000000000004.done" / "manifest.json").unlink()
    repo = EmbeddedRepository(path)
    assert values(repo, G1) == ["old"]
    assert list((path / "journal").iterdir()) == []
