"""The Merkle log in the store (registry/logstore.py, SPEC §12): appended in the commit, read back
as the in-memory reference tree (registry/merkle.py MemoryTree) would give it, on the embedded
store and a real `oxigraph serve`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from ops.demoload import load_demo
from publishing.pipeline import commit
from registry import logleaf, logstore, merkle
from registry.bootstrap import load_catalogue
from registry.namespaces import sparql_prefixes

from .support.builders import checked_demo_records
from .support.stores import BASE

_VERSIONS = sparql_prefixes("clc") + """
SELECT ?g ?licence ?version ?index WHERE {
  GRAPH ?g { ?licence clc:version ?version ; clc:logIndex ?index }
}"""


def _reference(entries: list[bytes]) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for leaf in entries:
        tree.append(merkle.leaf_hash(leaf))
    return tree


@pytest.fixture
def demo_repo(repo):
    load_demo(repo, BASE, 300)
    return repo


def test_every_version_and_upload_is_one_entry_and_names_it(demo_repo):
    reader = logstore.LogReader(demo_repo, BASE)
    size = reader.size()
    entries = reader.entries(0, size)
    assert len(entries) == size
    leaves = [logleaf.parse_leaf(data) for data in entries]
    assert [leaf.index for leaf in leaves] == list(range(size))
    versions = demo_repo.select(_VERSIONS)
    uploads = [leaf for leaf in leaves if leaf.kind == logleaf.UPLOAD]
    assert len(versions) == 300 and len(uploads) >= 2
    assert size == len(versions) + len(uploads)
    for row in versions:
        leaf = leaves[int(row["index"].value)]
        assert (leaf.kind, leaf.licence, leaf.version) == (
            logleaf.LICENCE_VERSION, row["licence"].value, int(row["version"].value))
        # The leaf's hash is the record's, as `log verify` recomputes it from the store.
        again = logleaf.version_leaf(demo_repo.graph_triples(row["g"].value),
                                     row["licence"].value, leaf.index)
        assert again == leaf


def test_roots_and_proofs_are_the_reference_tree_s(demo_repo):
    reader = logstore.LogReader(demo_repo, BASE)
    size = reader.size()
    tree = _reference(reader.entries(0, size))
    assert reader.root() == tree.root()
    for older in (1, 2, 255, 256, 257, size - 1):
        assert reader.root(older) == tree.root(older)
        assert reader.consistency_proof(older, size) == tree.consistency_proof(older, size)
        merkle.verify_consistency(older, size, tree.root(older), reader.root(),
                                  reader.consistency_proof(older, size))
    for index in (0, 1, 255, 256, size - 1):
        proof = reader.inclusion_proof(index, size)
        assert proof == tree.inclusion_proof(index, size)
        merkle.verify_inclusion(tree.hash_at(0, index), index, size, proof, reader.root())
    with pytest.raises(merkle.ProofError):
        reader.inclusion_proof(0, size + 1)


def test_an_amendment_appends_and_the_old_tree_is_a_prefix(demo_repo, catalogue):
    reader = logstore.LogReader(demo_repo, BASE)
    before, old_root = reader.size(), reader.root()
    old_entries = reader.entries(0, before)
    rows = demo_repo.select(_VERSIONS)
    licence = sorted(row["licence"].value for row in rows)[0]
    records = [r for r in checked_demo_records(catalogue, 300)
               if licence.endswith(r.key.path)]
    assert records
    changed = [dataclasses.replace(records[0], conditions="เงื่อนไขใหม่ new condition")]
    now = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)
    result = commit(demo_repo, changed, base=BASE, catalogue=load_catalogue(demo_repo),
                    agency=changed[0].key.issuer, now=now)
    assert result.updated == 1
    reader = logstore.LogReader(demo_repo, BASE)
    assert reader.size() == before + 2          # the new version, then the upload
    assert reader.entries(0, before) == old_entries
    merkle.verify_consistency(before, reader.size(), old_root, reader.root(),
                              reader.consistency_proof(before, reader.size()))
    new = [logleaf.parse_leaf(data) for data in reader.entries(before, before + 2)]
    assert (new[0].licence, new[0].version, new[1].kind) == (licence, 2, logleaf.UPLOAD)
    assert new[1].time == new[0].time == "2026-12-03T05:00:00Z"
    # The replaced version keeps its own index; the current one names the new entry.
    indices = {int(r["version"].value): int(r["index"].value)
               for r in demo_repo.select(_VERSIONS) if r["licence"].value == licence}
    assert indices[2] == before and indices[1] < before
    # An unchanged re-upload logs only its upload.
    again = commit(demo_repo, changed, base=BASE, catalogue=load_catalogue(demo_repo),
                   agency=changed[0].key.issuer, now=now)
    assert again.unchanged == 1
    assert logstore.LogReader(demo_repo, BASE).size() == before + 3


@pytest.mark.parametrize("batches", [
    [1, 1, 1],
    [255, 1, 1],
    [256, 256],
    [300, 9000, 1],
    [65535, 2, 600],                   # a level-1 tile fills: its root starts level 2
])
def test_appends_in_any_batches_give_the_reference_tree(embedded_repo, batches):
    entries: list[bytes] = []
    reference = merkle.MemoryTree()
    for count in batches:
        def make(first: int, count: int = count) -> list[bytes]:
            return [json.dumps({"n": first + i}).encode() for i in range(count)]
        made = logstore.append_leaves(embedded_repo, BASE, make)
        assert made == list(range(len(entries), len(entries) + count))
        for leaf in make(len(entries)):
            entries.append(leaf)
            reference.append(merkle.leaf_hash(leaf))
        reader = logstore.LogReader(embedded_repo, BASE)
        assert reader.size() == len(entries)
        assert reader.root() == reference.root()
    size = len(entries)
    assert reader.entries(size - 3, size + 5) == entries[-3:]
    for index in (0, size // 2, size - 1):
        assert reader.inclusion_proof(index, size) == reference.inclusion_proof(index, size)
    first = batches[0]
    assert reader.consistency_proof(first, size) == reference.consistency_proof(first, size)
    assert reader.root(first) == reference.root(first)


def test_the_head_is_size_and_root_in_one_read(demo_repo):
    reader = logstore.LogReader(demo_repo, BASE)
    assert reader.head() == (reader.size(), reader.root()) and reader.size() > 300
    elsewhere = logstore.LogReader(demo_repo, "https://another.example")     # no log there
    assert elsewhere.head() == (0, merkle.EMPTY_ROOT) and elsewhere.size() == 0
