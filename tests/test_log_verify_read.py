"""`log verify`'s store read (registry/logverifyread.py): every licence version graph's record
hash, recomputed from the store, equal to registry/logleaf.py's on every kind of record (awkward
text included), for current graphs and kept versions, and changed by any change to a content
triple."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry import identifiers, logleaf, logverifyread, rdfmap
from registry.records import LicenceRecord
from registry.store import ChangeSet
from registry.store.embedded import EmbeddedRepository
from tests.support.builders import awkward_demo_records, stored_version_lines
from tests.support.stores import BASE, initialised_store

TIME = "2026-11-01T03:00:00Z"
UPLOAD_IRI = identifiers.upload_iri(BASE, "u1")
DESCRIPTION = "<http://purl.org/dc/terms/description>"


def _graph_lines(record: LicenceRecord, version: int, graph: str) -> list[str]:
    """A version graph as the register writes it: content, version metadata (an amendment's
    change activity too), a status counter; moved to `graph`; a kept version is marked."""
    lines = stored_version_lines(record, BASE, version=version, time=TIME,
                                 upload_iri=UPLOAD_IRI)
    own = identifiers.licence_graph_iri(BASE, record.key)
    iri = identifiers.licence_iri(BASE, record.key)
    lines = [line[:-len(f" <{own}> .")] + f" <{graph}> ." for line in lines]
    if graph != own:
        lines.append(rdfmap.superseded_line(iri, version + 1, graph))
    return lines


@pytest.fixture(scope="module")
def store(tmp_path_factory, catalogue):
    """Every awkward record's current graph (odd ones amended: version 2, with version 1 kept
    in `…/version/1`) beside the catalogue's own graphs."""
    repo = initialised_store(tmp_path_factory.mktemp("logverify") / "store")
    lines: list[str] = []
    # The awkward records reuse demo records' keys: one record per licence, awkward text wins.
    records = {record.key: record for record in awkward_demo_records(catalogue)}
    for n, record in enumerate(records.values()):
        own = identifiers.licence_graph_iri(BASE, record.key)
        if n % 2:
            lines += _graph_lines(record, 2, own)
            lines += _graph_lines(record, 1, identifiers.licence_version_graph_iri(
                BASE, record.key, 1))
        else:
            lines += _graph_lines(record, 1, own)
    quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))
    repo.apply(ChangeSet.from_quads(quads, {q.graph_name.value for q in quads}))
    yield repo
    repo.close()


def _logleaf_hashes(repo: EmbeddedRepository) -> dict[str, tuple[str, int, str]]:
    """What registry/logleaf.py makes of each licence version graph."""
    prefix = identifiers.licence_graph_prefix(BASE)
    out = {}
    for graph in repo.store.named_graphs():
        if not graph.value.startswith(prefix):
            continue
        licence = logverifyread.licence_of_graph(BASE, graph.value)
        leaf = logleaf.version_leaf(repo.graph_triples(graph.value), licence, 0)
        out[graph.value] = (licence, leaf.version or 0, leaf.sha256)
    return out


def _found(hashes) -> dict[str, tuple[str, int, str]]:
    found = {}
    for h in hashes:
        assert h.problem is None, h
        found[h.graph] = (h.licence, h.version, h.sha256)
    return found


def test_equal_to_logleaf_on_every_record_current_and_kept(store):
    expected = _logleaf_hashes(store)
    assert any("/version/1" in g for g in expected)
    assert sum("/version/" not in g for g in expected) == len(expected) - sum(
        "/version/" in g for g in expected) > 20
    seen = []
    found = _found(logverifyread.version_hashes(
        store, BASE, processes=1, progress=lambda done, total: seen.append((done, total))))
    assert found == expected
    assert seen[0] == (0, len(expected)) and seen[-1] == (len(expected), len(expected))
    # A kept version hashes as its current graph did when it was current (graph names dropped).
    for graph, (_licence, version, sha) in expected.items():
        if graph.endswith("/version/1"):
            assert version == 1 and sha == expected[graph[:-len("/version/1")]][2]


def test_worker_processes_and_sparql_give_the_same(store, monkeypatch):
    expected = _logleaf_hashes(store)
    monkeypatch.setattr(logverifyread, "CHUNK", 7)
    assert _found(logverifyread.version_hashes(store, BASE, processes=2)) == expected
    assert _found(logverifyread.sparql_hashes(store, BASE, chunk=11)) == expected


def _changed(repo, graph: str, change) -> dict[str, tuple[str, int, str]]:
    lines = [f"{t} <{graph}> ." for t in repo.graph_triples(graph)]
    quads = list(ox.parse("\n".join(change(lines)).encode(), format=ox.RdfFormat.N_QUADS))
    repo.apply(ChangeSet.from_quads(quads, [graph]))
    return _found(logverifyread.version_hashes(repo, BASE, processes=1))


@pytest.mark.parametrize("kind", ["current", "kept"])
def test_a_changed_added_or_removed_content_triple_changes_that_graph_only(
        tmp_path, catalogue, kind):
    repo = initialised_store(tmp_path / "store")
    records = awkward_demo_records(catalogue)[:4]
    lines: list[str] = []
    for record in records:
        lines += _graph_lines(record, 2, identifiers.licence_graph_iri(BASE, record.key))
        lines += _graph_lines(record, 1, identifiers.licence_version_graph_iri(
            BASE, record.key, 1))
    quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))
    repo.apply(ChangeSet.from_quads(quads, {q.graph_name.value for q in quads}))
    try:
        before = _found(logverifyread.version_hashes(repo, BASE, processes=1))
        record = records[1]
        graph = (identifiers.licence_graph_iri(BASE, record.key) if kind == "current" else
                 identifiers.licence_version_graph_iri(BASE, record.key, 1))
        licence = f"<{identifiers.licence_iri(BASE, record.key)}>"
        name = record.holder_name
        original = [line for line in lines if line.endswith(f" <{graph}> .")]
        changes = {
            "changed literal": lambda ls: [line.replace(name, name + "x") for line in ls],
            "added triple": lambda ls: [*ls, f'{licence} {DESCRIPTION} "added" <{graph}> .'],
            "removed triple": lambda ls: [line for line in ls if name not in line],
        }
        for what, change in changes.items():
            after = _changed(repo, graph, change)
            assert after[graph][2] != before[graph][2], what
            assert {g: v for g, v in after.items() if g != graph} == {
                g: v for g, v in before.items() if g != graph}, what
            assert after[graph] == _logleaf_hashes(repo)[graph], what
            assert _changed(repo, graph, lambda _ls: original) == before
    finally:
        repo.close()


def test_a_record_that_cannot_be_hashed_is_named_not_skipped(tmp_path, catalogue):
    repo = initialised_store(tmp_path / "store")
    try:
        record = awkward_demo_records(catalogue)[0]
        graph = identifiers.licence_graph_iri(BASE, record.key)
        licence = f"<{identifiers.licence_iri(BASE, record.key)}>"
        lines = [*_graph_lines(record, 1, graph), f"{licence} {DESCRIPTION} _:b <{graph}> ."]
        quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))
        repo.apply(ChangeSet.from_quads(quads, [graph]))
        (found,) = logverifyread.version_hashes(repo, BASE, processes=1)
        assert found.graph == graph and found.sha256 == "" and "blank node" in str(found.problem)
        lines = [line for line in lines if "#version>" not in line]
        quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))
        repo.apply(ChangeSet.from_quads(quads, [graph]))
        (found,) = logverifyread.version_hashes(repo, BASE, processes=1)
        assert found.problem == f"0 clc:version of {licence}"
    finally:
        repo.close()
