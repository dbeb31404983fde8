"""Status lists in the store (registry/statusstore.py): every licence takes a fixed position at
creation, and its revocation and suspension bits follow its uploads, written in the same change
set as the records — against both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.service import Upload
from publishing.service import publish as publish_service
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.errors import RegistryError
from registry.statuslist import LIST_SIZE, REVOCATION, SUSPENSION, ListPosition, position_for
from registry.statusstore import (
    StatusBook,
    assign_missing_positions,
    counter_graph_iri,
    next_counter,
    status_list,
    status_position,
)
from registry.store import ChangeSet, StoreError

from .support.builders import key_of
from .support.stores import BASE

NOW = dt.datetime(2026, 12, 3, 4, 5, 6, tzinfo=dt.UTC)
MODIFIED = "2026-12-03T04:05:06Z"


def rows(catalogue, count, seed=3):
    return list(demo_rows(catalogue, count, seed=seed, agency="diw"))[:count]


def as_status(row, status, reason="ตรวจพบการฝ่าฝืน"):
    changed = dict(row, status=status)
    changed["status_reason"] = reason if status in ("suspended", "revoked") else ""
    return changed


def bits(repo, row) -> tuple[bool, bool]:
    """(revocation, suspension) of the row's licence, as the stored lists say."""
    at = status_position(repo, BASE, key_of(row))
    assert at is not None
    lists = [status_list(repo, BASE, purpose, at.number) for purpose in (REVOCATION, SUSPENSION)]
    assert all(found is not None for found in lists)
    return lists[0].get(at.index), lists[1].get(at.index)  # type: ignore[union-attr]


def lists_text(repo) -> dict:
    """Every status graph's quads (counter and lists), to compare before and after."""
    rows_found = repo.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                             "FILTER(CONTAINS(STR(?g), '/graph/status-lists')) }")
    return {(r["g"].value, r["s"].value, r["p"].value, r["o"].value) for r in rows_found}


def test_positions_are_fixed_distinct_and_bits_follow_uploads(repo, catalogue, publish):
    first, second = rows(catalogue, 6), rows(catalogue, 10, seed=4)[:4]
    publish(repo, [as_status(r, "active") for r in first])
    positions = {key_of(r): status_position(repo, BASE, key_of(r)) for r in first}
    assert sorted(p.index for p in positions.values() if p) == list(range(6))
    assert {p.number for p in positions.values() if p} == {0}
    assert next_counter(repo, BASE) == 6
    assert all(bits(repo, r) == (False, False) for r in first)

    # A later upload: new licences take the next positions, earlier ones keep theirs.
    published = publish(repo, [as_status(r, "active") for r in second])
    assert published.result.created == 4
    assert sorted(status_position(repo, BASE, key_of(r)).index  # type: ignore[union-attr]
                  for r in second) == [6, 7, 8, 9]
    assert all(status_position(repo, BASE, k) == p for k, p in positions.items())

    target = first[0]
    publish(repo, [as_status(target, "suspended")])
    assert bits(repo, target) == (False, True)
    assert status_position(repo, BASE, key_of(target)) == positions[key_of(target)]
    publish(repo, [as_status(target, "active")])                          # reinstated
    assert bits(repo, target) == (False, False)
    publish(repo, [as_status(target, "revoked")])
    assert bits(repo, target) == (True, False)
    revoked_at = status_position(repo, BASE, key_of(target))
    publish(repo, [as_status(target, "active")])                          # a later correction
    # Revocation is final: the credentials issued while revoked stay revoked; the corrected
    # record takes a fresh position, whose bits are its own.
    assert bits(repo, target) == (False, False)
    moved = status_position(repo, BASE, key_of(target))
    assert moved is not None and revoked_at is not None and moved.index == 10
    assert status_list(repo, BASE, REVOCATION, 0).get(revoked_at.index)  # type: ignore[union-attr]
    for status in ("surrendered", "replaced"):
        other = first[["surrendered", "replaced"].index(status) + 1]
        publish(repo, [as_status(other, status)])
        assert bits(repo, other) == (True, False)
    assert all(bits(repo, r) == (False, False) for r in first[3:])
    # Every version of the target up to the correction carries its first position, the
    # corrected one the fresh position; the counter moved once, for the correction.
    graph = identifiers.licence_graph_iri(BASE, key_of(target))
    counters = repo.select(
        "SELECT DISTINCT ?c WHERE { GRAPH ?g { ?l <https://w3id.org/clc/def#statusCounter> ?c } "
        f"FILTER(STRSTARTS(STR(?g), \"{graph}\")) }}")
    assert sorted(int(r["c"].value) for r in counters) == [positions[key_of(target)].index, 10]
    assert next_counter(repo, BASE) == 11


def test_an_unchanged_upload_changes_no_list(repo, catalogue, publish):
    batch = [as_status(r, "suspended") for r in rows(catalogue, 5)]
    publish(repo, batch)
    before = lists_text(repo)
    assert publish(repo, batch).result.unchanged == 5
    assert lists_text(repo) == before


def test_a_refused_batch_changes_no_list(repo, catalogue, publish):
    good = rows(catalogue, 5)
    publish(repo, good[:2])
    before = lists_text(repo)
    bad = [as_status(good[0], "revoked"), dict(good[2], issued="not a date")]
    with pytest.raises(RegistryError):
        publish_rows(repo, bad, publish)
    assert lists_text(repo) == before
    assert bits(repo, good[0]) == (False, False)


def publish_rows(repo, batch, publisher):
    """Publish rows through the service, letting its refusal through (the `publish` fixture
    fails the test on one)."""
    upload = Upload("text/csv", rows_to_csv(batch).encode())
    return publish_service(repo, base=BASE, catalogue=lambda: load_catalogue(repo),
                           agency="diw", uploads=upload, sender=None,
                           settings=publisher.settings_of(repo))


def test_a_failed_apply_writes_neither_list_nor_record(repo, catalogue, publish, monkeypatch):
    batch = rows(catalogue, 4)
    publish(repo, batch[:2])
    before, counter = lists_text(repo), next_counter(repo, BASE)

    def refuse(change):
        raise StoreError("injected: the store refused the change")

    monkeypatch.setattr(repo, "apply", refuse)
    with pytest.raises(StoreError, match="injected"):
        publish_rows(repo, [as_status(batch[0], "revoked"), *batch[2:]], publish)
    monkeypatch.undo()
    assert lists_text(repo) == before and next_counter(repo, BASE) == counter
    assert status_position(repo, BASE, key_of(batch[2])) is None
    assert bits(repo, batch[0]) == (False, False)
    assert not repo.existing_graphs([identifiers.licence_graph_iri(BASE, key_of(batch[2]))])


def test_lists_agree_with_records_after_every_commit(repo, catalogue, publish):
    batch = rows(catalogue, 12, seed=7)
    statuses = ["active", "suspended", "revoked", "surrendered", "replaced", "active"] * 2
    publish(repo, [as_status(r, s) for r, s in zip(batch, statuses, strict=True)])
    expected = {"active": (False, False), "suspended": (False, True), "revoked": (True, False),
                "surrendered": (True, False), "replaced": (True, False)}
    for row, status in zip(batch, statuses, strict=True):
        assert bits(repo, row) == expected[status], (row["licence_number"], status)


def test_serving_reads_unknown_and_empty_lists(repo, catalogue, publish):
    assert status_list(repo, BASE, REVOCATION, 0) is None            # nothing allocated yet
    publish(repo, rows(catalogue, 2))
    listed = status_list(repo, BASE, SUSPENSION, 0)
    assert listed is not None and listed.size == LIST_SIZE and not listed.set_indices()
    assert status_list(repo, BASE, REVOCATION, 1) is None
    with pytest.raises(ValueError):
        status_list(repo, BASE, "expiry", 0)
    assert status_position(repo, BASE, identifiers.LicenceKey("diw", "x", "1")) is None


def test_a_store_made_before_status_lists_is_backfilled_once(repo, catalogue, publish):
    batch = rows(catalogue, 5, seed=9)
    publish(repo, [as_status(r, s) for r, s in zip(
        batch, ["active", "revoked", "suspended", "active", "active"], strict=True)])
    publish(repo, [as_status(batch[3], "suspended")])                 # a second version
    # Forget every position, as in a store made before this code: drop the counter line from
    # each licence graph, and the status graphs.
    strip_positions(repo)
    assert status_position(repo, BASE, key_of(batch[0])) is None
    assert assign_missing_positions(repo, BASE, NOW) == 5
    assert sorted(status_position(repo, BASE, key_of(r)).index  # type: ignore[union-attr]
                  for r in batch) == list(range(5))
    assert [bits(repo, r) for r in batch] == [(False, False), (True, False), (False, True),
                                              (False, True), (False, False)]
    before = lists_text(repo)
    assert assign_missing_positions(repo, BASE, NOW) == 0                   # a no-op now
    assert lists_text(repo) == before
    # The next commit goes on from the backfilled counter.
    publish(repo, rows(catalogue, 7, seed=9)[5:6] or rows(catalogue, 1, seed=10))
    assert next_counter(repo, BASE) == 6


def strip_positions(repo):
    found = repo.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                        "FILTER(CONTAINS(STR(?g), '/graph/licence/') "
                        "|| CONTAINS(STR(?g), '/graph/status-lists')) }")
    graphs = [r["g"].value for r in found]
    lines = []
    for graph in graphs:
        if "/graph/status-lists" in graph:
            continue
        for t in repo.graph_triples(graph):
            if not t.predicate.value.endswith("#statusCounter"):
                lines.append(f"{t.subject} {t.predicate} {t.object} <{graph}> .")
    repo.apply(ChangeSet(replace=graphs, payload="\n".join(lines).encode()))
    assert not repo.existing_graphs([counter_graph_iri(BASE)])


def test_a_book_keeps_revocation_once_set_and_writes_only_changed_lists(embedded_repo):
    book = StatusBook(embedded_repo, BASE, MODIFIED)
    first, second = book.allocate(), book.allocate()
    assert (first, second) == (0, 1)
    book.record(first, "revoked")
    book.record(first, "active")
    graphs, lines = book.change()
    assert len(graphs) == 3 and len(lines) == 5     # counter + both new lists, with their time
    embedded_repo.apply(ChangeSet(replace=graphs, payload="\n".join(lines).encode()))
    again = StatusBook(embedded_repo, BASE, MODIFIED)
    again.record(first, "suspended")
    graphs, _ = again.change()
    assert graphs == [identifiers.graph_iri(BASE, "status-lists/suspension/0")]
    assert status_list(embedded_repo, BASE, REVOCATION, 0).get(0)  # type: ignore[union-attr]
    assert status_position(embedded_repo, BASE, identifiers.LicenceKey("a", "b", "c")) is None
    assert position_for(second) == ListPosition(0, 1)
