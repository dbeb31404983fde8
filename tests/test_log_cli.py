"""`licence-registry log init | verify | key | rotate-key` on real embedded stores (SPEC §12,
issue 15 items 1, 2 and 4)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.demoload import load_demo
from publishing.pipeline import commit
from registry import identifiers, logleaf, logstore
from registry.bootstrap import load_catalogue
from registry.logsigning import check_key_leaf
from registry.namespaces import sparql_prefixes
from registry.store import ChangeSet
from registry.store.embedded import EmbeddedRepository

from .support.builders import checked_demo_records
from .support.sharedstores import copy_of_store
from .support.stores import BASE

COUNT = 40
_VERSIONS = sparql_prefixes("clc") + """
SELECT ?g ?licence ?version ?index WHERE {
  GRAPH ?g { ?licence clc:version ?version . OPTIONAL { ?licence clc:logIndex ?index } }
  FILTER(STRSTARTS(STR(?g), "%s"))
}"""


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory, initialised_template, catalogue):
    """A closed store: COUNT demo licences, then one of them amended (so a `…/version/1`)."""
    folder = tmp_path_factory.mktemp("logcli") / "store"
    repo = copy_of_store(initialised_template, folder)
    try:
        load_demo(repo, BASE, COUNT)
        record = checked_demo_records(catalogue, COUNT)[0]
        changed = dataclasses.replace(record, conditions="เงื่อนไขใหม่ new condition")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        result = commit(repo, [changed], base=BASE, catalogue=load_catalogue(repo),
                        agency=changed.key.issuer, now=later)
        assert result.updated == 1
    finally:
        repo.close()
    return folder


@pytest.fixture
def store(demo_template, tmp_path):
    """A copy of the demo store of its own (the log key file goes beside it)."""
    path = tmp_path / "store"
    copy_of_store(demo_template, path).close()
    return path


def _cli(store, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), "--base-iri", BASE, *args],
                              catch_exceptions=False)


def _versions(repo) -> list[dict]:
    return repo.select(_VERSIONS % identifiers.licence_graph_prefix(BASE))


def _change(store, make) -> None:
    repo = EmbeddedRepository(store)
    try:
        repo.apply(make(repo))
    finally:
        repo.close()


def _rewrite(graph: str, triples) -> ChangeSet:
    node = ox.NamedNode(graph)
    text = "".join(f"{ox.Quad(t.subject, t.predicate, t.object, node)} .\n" for t in triples)
    return ChangeSet(replace=[graph], payload=text.encode("utf-8"))


def test_verify_passes_on_a_demo_store(store):
    result = _cli(store, "log", "verify")
    assert result.exit_code == 0, result.output
    # COUNT versions + the amendment's, one upload per issuer + the amendment's.
    assert "Log verified: " in result.output
    assert f"({COUNT + 1} versions, " in result.output, result.output


@pytest.mark.parametrize("processes", [[], ["--processes", "1"], ["--processes", "3"]])
def test_a_changed_literal_is_reported_by_licence_and_version(store, processes):
    # However many processes read the versions (one per core by default), the one changed
    # record is found and named.
    picked: dict = {}

    def change(repo):
        row = sorted(_versions(repo), key=lambda r: r["g"].value)[0]
        graph, licence = row["g"].value, row["licence"].value
        picked.update(licence=licence, version=row["version"].value)
        triples = repo.graph_triples(graph)
        for n, triple in enumerate(triples):
            if (isinstance(triple.object, ox.Literal)
                    and triple.predicate.value not in logleaf.BOOKKEEPING
                    and str(triple.subject) == f"<{licence}>"):
                triples[n] = ox.Triple(triple.subject, triple.predicate,
                                       ox.Literal(triple.object.value + " (quietly changed)"))
                break
        else:
            raise AssertionError("no literal to change")
        return _rewrite(graph, triples)

    _change(store, change)
    result = _cli(store, "log", "verify", *processes)
    assert result.exit_code == 1, result.output
    assert f"{picked['licence']} version {picked['version']}" in result.output, result.output
    assert "the record changed since it was logged" in result.output
    assert "does NOT verify: 1 problem" in result.output


def test_a_deleted_entry_bundle_is_reported(store):
    _change(store, lambda repo: ChangeSet(replace=[logstore.bundle_graph_iri(BASE, 0)]))
    result = _cli(store, "log", "verify")
    assert result.exit_code == 1
    assert "entries are missing" in result.output, result.output


def test_a_changed_tile_is_a_root_mismatch(store):
    def change(repo):
        graph = logstore.tile_graph_iri(BASE, 0, 0)
        subject = logstore.tile_iri(BASE, 0, 0)
        held = base64.b64decode(repo.objects(subject, logstore.TILE_HASHES, graph)[0].value)
        tweaked = bytes([held[0] ^ 1]) + held[1:]
        line = (f"<{subject}> <{logstore.TILE_HASHES}> "
                f"{ox.Literal(logstore.b64(tweaked))} <{graph}> .\n")
        return ChangeSet(replace=[graph], payload=line.encode())

    _change(store, change)
    result = _cli(store, "log", "verify")
    assert result.exit_code == 1
    assert "log entry 0" in result.output and "tiles of level 0" in result.output, result.output


def test_a_log_index_naming_another_licence_s_entry_is_reported(store):
    picked: dict = {}

    def change(repo):
        rows = sorted(_versions(repo), key=lambda r: r["g"].value)
        mine, other = rows[0], rows[1]
        graph = mine["g"].value
        picked.update(licence=mine["licence"].value, other=other["licence"].value)
        triples = [t for t in repo.graph_triples(graph)
                   if t.predicate.value != logstore.LOG_INDEX]
        triples.append(ox.Triple(mine["licence"], ox.NamedNode(logstore.LOG_INDEX),
                                 other["index"]))
        return _rewrite(graph, triples)

    _change(store, change)
    result = _cli(store, "log", "verify")
    assert result.exit_code == 1
    assert f"{picked['licence']} version" in result.output, result.output
    assert f"which records {picked['other']}" in result.output, result.output


def _without_log(repo) -> ChangeSet:
    """Back to a store from before the log: no log graphs, no clc:logIndex lines."""
    log_graphs = [row["g"].value for row in repo.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{logstore.head_graph_iri(BASE)}")) }}')]
    replace, text = list(log_graphs), []
    for row in _versions(repo):
        graph = row["g"].value
        node = ox.NamedNode(graph)
        replace.append(graph)
        text += [f"{ox.Quad(t.subject, t.predicate, t.object, node)} .\n"
                 for t in repo.graph_triples(graph) if t.predicate.value != logstore.LOG_INDEX]
    return ChangeSet(replace=replace, payload="".join(text).encode("utf-8"))


def test_log_init_builds_a_log_that_verifies_in_time_order(store):
    _change(store, _without_log)
    assert _cli(store, "log", "verify").exit_code == 1        # versions, no log
    result = _cli(store, "log", "init")
    assert result.exit_code == 0, result.output
    assert f"({COUNT + 1} versions, " in result.output, result.output
    assert "Log key file made" in result.output
    verified = _cli(store, "log", "verify")
    assert verified.exit_code == 0, verified.output
    repo = EmbeddedRepository(store)
    try:
        reader = logstore.LogReader(repo, BASE)
        leaves = [logleaf.parse_leaf(e) for e in reader.entries(0, reader.size())]
        versions = _versions(repo)
    finally:
        repo.close()
    times = [leaf.time for leaf in leaves]
    assert times == sorted(times)
    assert leaves[-1].kind == logleaf.UPLOAD                  # each upload after its versions
    assert len({int(row["index"].value) for row in versions}) == COUNT + 1
    # A second run leaves it alone.
    again = _cli(store, "log", "init")
    assert again.exit_code == 0 and "already has a log" in again.output, again.output


def test_log_init_refuses_a_log_that_misses_versions(store):
    def drop_one_index(repo):
        row = _versions(repo)[0]
        graph = row["g"].value
        return _rewrite(graph, [t for t in repo.graph_triples(graph)
                                if t.predicate.value != logstore.LOG_INDEX])

    _change(store, drop_one_index)
    result = _cli(store, "log", "init")
    assert result.exit_code == 1
    assert "already has a log, but 1 version(s) are not in it" in result.output, result.output


def test_rotate_key_appends_a_verifiable_key_leaf(store):
    assert _cli(store, "log", "init").exit_code == 0          # makes the log key file
    old = _cli(store, "log", "key").output.strip()
    result = _cli(store, "log", "rotate-key")
    assert result.exit_code == 0, result.output
    new = _cli(store, "log", "key").output.strip()
    assert new != old and new in result.output
    assert _cli(store, "log", "key", "--all").output.split() == [old, new]
    repo = EmbeddedRepository(store)
    try:
        reader = logstore.LogReader(repo, BASE)
        leaf = logleaf.parse_leaf(reader.entries(reader.size() - 1, reader.size())[0])
    finally:
        repo.close()
    assert check_key_leaf(leaf, old) == new
    verified = _cli(store, "log", "verify")
    assert verified.exit_code == 0 and "1 key rotations" in verified.output, verified.output


def test_rotate_key_announces_a_rotation_the_log_lacks_instead_of_rotating(store):
    from registry.logsigning import log_signing_keys

    assert _cli(store, "log", "init").exit_code == 0
    keys = log_signing_keys(store.parent / "keys" / "log-keys.json")
    keys.rotate(dt.datetime.now(dt.UTC))                      # stopped before announcing
    result = _cli(store, "log", "rotate-key")
    assert result.exit_code == 0, result.output
    assert "not yet in the log" in result.output
    assert len(keys.all_keys()) == 2                          # no third key
    assert _cli(store, "log", "verify").exit_code == 0


def test_rotate_key_without_a_key_file_says_how_to_make_one(store):
    result = _cli(store, "log", "rotate-key")
    assert result.exit_code == 1
    assert "licence-registry log init" in result.output, result.output
