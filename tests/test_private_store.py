"""Private data lives in a store of its own: the main store, which the public SPARQL endpoint
reads whole, never holds a private graph. Run against the embedded store and two real
`oxigraph serve` processes (main and private)."""

from __future__ import annotations

import gzip
import threading

import pyoxigraph as ox
import pytest

from ops.demo import demo_rows
from publishing.keys import agency_for_key, issue_key, list_keys, revoke_key
from publishing.uploads import upload_report
from registry.bootstrap import init_store, is_public_graph, load_catalogue
from registry.settings import SettingsError, load_settings
from registry.store import ChangeSet, StoreError
from registry.store.embedded import EmbeddedRepository
from registry.store.privacy import is_private_graph
from registry.store.shared import SharedEmbeddedRepository, prepare

from .support.stores import BASE, EVERY_ENGINE, engine_repository, register_graphs

PUBLIC = f"{BASE}/graph/licence/diw/x/1"
KEYS = f"{BASE}/graph/private"
P = ox.NamedNode("http://example.org/p")


def quad(graph: str, value: str = "v") -> ox.Quad:
    return ox.Quad(ox.NamedNode("http://x/s"), P, ox.Literal(value), ox.NamedNode(graph))


def upload_with_warnings(publish, repo, agency: str = "diw"):
    """Publish three licences whose Buddhist-Era dates are accepted with a warning each; the
    commit's counts."""
    catalogue = load_catalogue(repo)
    rows = [dict(r, issued="01/02/2566", valid_until="")
            for r in demo_rows(catalogue, 3, agency=agency)]
    published = publish(repo, rows, agency)
    assert published.problems and all(p.severity == "Warning" for p in published.problems)
    return published.result


@pytest.mark.parametrize("store_kind", EVERY_ENGINE)    # Virtuoso too
def test_keys_and_reports_never_reach_the_main_store(repo, publish):
    key, _ = issue_key(repo, BASE, "diw")
    _, dot = issue_key(repo, BASE, "dot")
    assert revoke_key(repo, BASE, "dot", dot.id) is not None
    result = upload_with_warnings(publish, repo)

    main = register_graphs(repo)
    assert f"{BASE}/graph/upload/{result.upload_id}" in main         # the public activity
    assert not [g for g in main if is_private_graph(g)], main
    private = register_graphs(repo.private)
    assert {KEYS, f"{BASE}/graph/private/upload/{result.upload_id}"} <= private
    assert not [g for g in private if not is_private_graph(g)], private
    # And they still work, read from the private store.
    assert agency_for_key(repo, BASE, key) == "diw"
    assert {k.agency: k.revoked for k in list_keys(repo, BASE)} == {"diw": False, "dot": True}
    report = upload_report(repo, BASE, "diw", result.upload_id)
    assert {p["rule"] for p in report["problems"]} == {"date-buddhist-era"}
    assert upload_report(repo, BASE, "dot", result.upload_id) is None       # not theirs


@pytest.mark.parametrize("store_kind", EVERY_ENGINE)    # Virtuoso too
def test_an_orphan_report_is_never_shown(repo):
    """A crash between the report (private store) and the upload (main) leaves a report with
    no activity: nobody can read it."""
    orphan = "20260101T000000Z-0badf00d"
    repo.private.apply(ChangeSet.from_quads(
        [ox.Quad(ox.NamedNode(f"{BASE}/id/upload/{orphan}"),
                 ox.NamedNode("https://w3id.org/clc/def#report"), ox.Literal('{"problems": []}'),
                 ox.NamedNode(f"{BASE}/graph/private/upload/{orphan}"))],
        replace=[f"{BASE}/graph/private/upload/{orphan}"]))
    assert upload_report(repo, BASE, "diw", orphan) is None


@pytest.mark.parametrize("change", [
    ChangeSet.from_quads([quad(KEYS)], replace=[KEYS]),
    ChangeSet.from_quads([], replace=[f"{BASE}/graph/private/upload/1"]),     # names only
    ChangeSet.from_quads([quad("urn:x-licence-registry:lock")]),              # writes only
    # The payload writes a graph it does not name, spelled with an escape.
    ChangeSet(replace=[PUBLIC], payload=b'<http://x/s> <http://example.org/p> "v" '
              b'<http://127.0.0.1:8000/graph/priv\\u0061te> .\n'),
], ids=["key graph", "report graph named", "lease written", "escaped IRI in payload"])
def test_the_main_repository_refuses_private_graphs(repo, change):
    repo.apply(ChangeSet.from_quads([quad(PUBLIC, "before")], replace=[PUBLIC]))
    before = repo.export_bytes()
    with pytest.raises(StoreError, match="private graph"):
        repo.apply(change)
    assert repo.export_bytes() == before
    repo.private.apply(change)              # where it belongs: accepted
    assert repo.export_bytes() == before


def test_a_payload_file_with_a_private_graph_is_refused(repo, tmp_path):
    payload = tmp_path / "payload.nq"
    payload.write_bytes(ox.serialize([quad(PUBLIC, "อาคาร /graph/private ในข้อความ"),
                                      quad(KEYS)], format=ox.RdfFormat.N_QUADS))
    with pytest.raises(StoreError, match="private graph"):
        repo.apply(ChangeSet(replace=[PUBLIC, KEYS], payload=[payload]))
    with pytest.raises(StoreError, match="private graph"):
        repo.replace_all(payload)
    assert not repo.existing_graphs([PUBLIC, KEYS])
    # Text that merely mentions /graph/private in a public graph is fine.
    payload.write_bytes(ox.serialize([quad(PUBLIC, "อาคาร /graph/private ในข้อความ")],
                                     format=ox.RdfFormat.N_QUADS))
    repo.apply(ChangeSet(replace=[PUBLIC], payload=payload))
    assert repo.existing_graphs([PUBLIC]) == {PUBLIC}


@pytest.mark.parametrize("iri, private", [
    (f"{BASE}/graph/private", True),
    (f"{BASE}/graph/private/upload/20260101T000000Z-0badf00d", True),
    ("urn:x-licence-registry:lock", True),
    ("https://licence.example.go.th/clc/graph/private", True),       # a base with a path
    (f"{BASE}/graph/privateer", False),
    (f"{BASE}/graph/licence/graph/private/1", False),                 # issuer graph, type private
    (f"{BASE}/graph/catalogue", False),
    (f"{BASE}/graph/upload/20260101T000000Z-0badf00d", False),
])
def test_one_rule_decides_what_is_private(iri, private):
    assert is_private_graph(iri) is private
    assert is_public_graph(BASE, iri) is not private


@pytest.mark.remote
@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_the_remote_write_lease_is_kept_in_the_private_store(request, engine):
    repo = engine_repository(engine, request.getfixturevalue(f"{engine}_servers"))
    lease = "ASK { GRAPH <urn:x-licence-registry:lock> { ?s ?p ?o } }"
    with repo.writing():
        assert repo.private.ask(lease) and not repo.ask(lease)
        with repo.private.writing():         # the same lease, taken again by its holder
            issue_key(repo, BASE, "diw")
    assert not repo.private.ask(lease)


def test_backup_and_restore_put_private_quads_back_in_the_private_store(runner, tmp_path):
    assert runner.invoke("init").exit_code == 0
    key = runner.invoke("agency-key", "diw").output.splitlines()[0]
    backup = tmp_path / "backup"
    assert runner.invoke("backup", str(backup)).exit_code == 0
    assert b"keyHash" in gzip.decompress((backup / "dataset.nq.gz").read_bytes())  # one file
    runner.invoke("agency-key", "dot")
    restored = runner.invoke("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    repo = EmbeddedRepository(runner.store)
    try:
        assert not [g for g in register_graphs(repo) if is_private_graph(g)]
        # The keys, and the base the store was minted under (registry/baseiri.py).
        assert register_graphs(repo.private) == {KEYS, "urn:x-licence-registry:base-iri"}
        assert [k.agency for k in list_keys(repo, BASE)] == ["diw"]     # as backed up
        assert agency_for_key(repo, BASE, key) == "diw"
    finally:
        repo.close()


def test_restore_migrates_a_store_that_kept_private_graphs_in_the_main_store(runner, tmp_path):
    assert runner.invoke("init").exit_code == 0
    key = runner.invoke("agency-key", "diw").output.splitlines()[0]
    # Make it look like a store of the old layout: the key graph in the main store.
    repo = EmbeddedRepository(runner.store)
    keys = list(repo.private.store.quads_for_pattern(None, None, None, ox.NamedNode(KEYS)))
    repo.close()
    old = ox.Store(str(runner.store / "data"))
    old.extend(keys)
    old.flush()
    del old
    backup = tmp_path / "backup"
    assert runner.invoke("backup", str(backup)).exit_code == 0
    assert runner.invoke("restore", str(backup)).exit_code == 0
    repo = EmbeddedRepository(runner.store)
    try:
        assert KEYS not in register_graphs(repo)
        assert KEYS in register_graphs(repo.private)
        assert agency_for_key(repo, BASE, key) == "diw"
    finally:
        repo.close()


def test_a_remote_main_store_needs_its_own_private_store(runner):
    with pytest.raises(SettingsError, match="public SPARQL endpoint reads the whole main store"):
        load_settings({"STORE_URL": "http://127.0.0.1:7878"}, environ={})
    with pytest.raises(SettingsError, match="store of its own"):
        load_settings({"STORE_URL": "http://127.0.0.1:7878",
                       "PRIVATE_STORE_URL": "http://127.0.0.1:7878"}, environ={})
    result = runner.invoke("--store-url", "http://127.0.0.1:7878", "init", store_args=False)
    assert result.exit_code == 2 and "PRIVATE_STORE_URL" in result.output


def test_web_workers_write_keys_and_reports_to_the_private_store(tmp_path, publish):
    """The shared repository: a commit holds the main store's lock and takes the private
    one's for the report; keys take the private one's only. Both at once must not deadlock."""
    path = tmp_path / "store"
    first = EmbeddedRepository(path, create=True)
    init_store(first, BASE)
    first.close()
    prepare(path)
    shared = SharedEmbeddedRepository(path)
    failures = []

    def keys():
        try:
            for _ in range(5):
                issue_key(shared, BASE, "dot")
        except Exception as exc:           # reported below: a thread cannot fail the test
            failures.append(exc)

    thread = threading.Thread(target=keys)
    thread.start()
    result = upload_with_warnings(publish, shared)
    thread.join(60)
    assert not thread.is_alive() and not failures
    assert not [g for g in register_graphs(shared) if is_private_graph(g)]
    assert len(list_keys(shared, BASE)) == 5
    assert upload_report(shared, BASE, "diw", result.upload_id)["problems"]
    replica = ox.Store.read_only(str(shared.read_replica()))
    assert not [g for g in replica.named_graphs() if is_private_graph(g.value)]
