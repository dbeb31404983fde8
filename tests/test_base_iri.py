"""A store remembers the base IRI it was minted under (SPEC §9): every command, `serve`,
create_app and /health refuse a store minted under another, naming both; `migrate-base`
re-mints it. Real stores: embedded pyoxigraph and two real `oxigraph serve` processes."""

from __future__ import annotations

import copy as copy_module
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from ops.cli import main
from ops.demo import demo_rows, rows_to_csv
from ops.rebase import migrate
from registry import identifiers
from registry.baseiri import RECORD_GRAPH, BaseIriMismatch
from registry.logstore import LogReader
from registry.settings import Settings, load_settings
from registry.statuslist import PURPOSES, StatusList
from registry.statusstore import (
    counter_graph_iri,
    list_graph_iri,
    next_counter,
    status_list,
    status_position,
)
from registry.store import ChangeSet
from registry.store.embedded import EmbeddedRepository
from registry.store.opening import open_repository
from web.app import create_app

from .support.clicommands import AGENCY, COMMANDS, ELSEWHERE
from .support.stores import BASE, empty_remote_store, free_port

OLD = BASE
NEW = "https://licences.example.go.th/register"
ROWS = 25


class Register:
    """A register made through the CLI under OLD: catalogue, one upload with a replaced
    record (so a version graph), an agency key. `run` invokes the CLI on it."""

    def __init__(self, tmp_path: Path, store_args: list[str], env: dict[str, str], catalogue):
        self.tmp = tmp_path
        self.store_args = store_args
        self.cli = CliRunner(env=env)
        self.rows = list(demo_rows(catalogue, ROWS, agency=AGENCY))
        self.csv = tmp_path / "licences.csv"
        self.csv.write_text(rows_to_csv(self.rows), encoding="utf-8")
        changed = [dict(self.rows[0], conditions="เงื่อนไขใหม่")]
        self.amended = tmp_path / "amended.csv"
        self.amended.write_text(rows_to_csv(changed), encoding="utf-8")
        for args in (["init"], ["load", "--agency", AGENCY, str(self.csv)],
                     ["load", "--agency", AGENCY, str(self.amended)]):
            assert self.run(OLD, *args).exit_code == 0
        made = self.run(OLD, "agency-key", AGENCY)
        assert made.exit_code == 0, made.output
        self.key = made.stdout.strip()

    def run(self, base: str, *args: str, after: bool = False):
        """The command `args` under `base`; the global options before the command name, or
        `after` it (SPEC §9)."""
        options = [*self.store_args, "--base-iri", base]
        return self.cli.invoke(main, [*args, *options] if after else [*options, *args],
                               catch_exceptions=False)

    def open(self):
        if self.store_args[0] == "--store-url":
            return open_repository(_remote_settings(self.store_args[1], self.cli.env))
        return open_repository(load_settings({"STORE": self.store_args[-1]}, environ={}))

    def licence_path(self, row: dict) -> str:
        key = identifiers.licence_key(row["issuer"], row["licence_type"], row["licence_number"])
        return identifiers.iri_to_uri(key.path)


def _remote_settings(url: str, env: dict[str, str]) -> Settings:
    return load_settings({"STORE_URL": url,
                          "PRIVATE_STORE_URL": env["LICENCE_REGISTRY_PRIVATE_STORE_URL"]})


@pytest.fixture(scope="module")
def embedded_template(tmp_path_factory, catalogue) -> Register:
    folder = tmp_path_factory.mktemp("register")
    return Register(folder, ["--store", str(folder / "store")], {}, catalogue)


@pytest.fixture
def embedded(embedded_template, tmp_path) -> Register:
    """A copy of the embedded register (made once: a closed store is a folder of files), with
    the signing key file `init` made beside the store."""
    copy = copy_module.copy(embedded_template)
    for name in ("store", "keys", "licences.csv", "amended.csv"):
        source = embedded_template.tmp / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    copy.tmp, copy.store_args = tmp_path, ["--store", str(tmp_path / "store")]
    copy.csv, copy.amended = tmp_path / "licences.csv", tmp_path / "amended.csv"
    return copy


@pytest.fixture
def remote(tmp_path, catalogue, oxigraph_server, private_oxigraph_server) -> Register:
    for url in (oxigraph_server, private_oxigraph_server):
        empty_remote_store(url)
    return Register(tmp_path, ["--store-url", oxigraph_server],
                    {"LICENCE_REGISTRY_PRIVATE_STORE_URL": private_oxigraph_server,
                     "LICENCE_REGISTRY_SIGNING_KEYS": str(tmp_path / "keys" / "signing-keys.json")},
                    catalogue)


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.remote)])
def register(request) -> Register:
    return request.getfixturevalue(request.param)


def _quads(store) -> set[ox.Quad]:
    return set(ox.parse(store.export_bytes(), format=ox.RdfFormat.N_QUADS))


def _everything(register: Register) -> tuple[set, set]:
    repo = register.open()
    try:
        return _quads(repo), _quads(repo.private)
    finally:
        repo.close()


def _named(quads, base: str) -> list[ox.Quad]:
    def names(term) -> bool:
        if isinstance(term, ox.NamedNode):
            return term.value.startswith(base)
        if isinstance(term, ox.Literal):
            return term.datatype.value.startswith(base)
        return False
    return [q for q in quads if any(names(t) for t in (q.subject, q.predicate, q.object,
                                                        q.graph_name))]


def _refused_naming_both(result) -> None:
    assert result.exit_code == 1, result.output
    assert OLD in result.output and NEW in result.output, result.output
    assert f"migrate-base --from {OLD} --to {NEW}" in result.output, result.output


# --- Every command refuses a store minted under another base --------------------------------

# Each command with arguments that would succeed on the register under OLD. {tmp} is a fresh
# folder, {csv} a good CSV for AGENCY, {backup} a backup of the register made under OLD.


def test_the_table_covers_every_command():
    """A new command must refuse a mismatched store too: add its row to COMMANDS."""
    assert set(main.commands) == {c.split()[0] for c in COMMANDS} | ELSEWHERE


def _arguments(name: str, register: Register, tmp: Path) -> list[str]:
    row = register.rows[1]
    values = {"csv": str(register.csv), "tmp": str(tmp), "backup": str(register.tmp / "old-backup"),
              "issuer": row["issuer"], "type": row["licence_type"], "number": row["licence_number"]}
    return [arg.format(**values) for arg in COMMANDS[name]]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_refuses_a_store_minted_under_another_base(embedded, name, tmp_path):
    assert embedded.run(OLD, "backup", str(tmp_path / "old-backup")).exit_code == 0
    before = _everything(embedded)
    out = tmp_path / "out"
    out.mkdir()
    result = embedded.run(NEW, *_arguments(name, embedded, out))
    _refused_naming_both(result)
    # The same with --store and --base-iri after the command name: both reach the settings.
    _refused_naming_both(embedded.run(NEW, *_arguments(name, embedded, out), after=True))
    assert _everything(embedded) == before                     # nothing written
    assert not list(out.iterdir())                             # nothing made
    # Under its own base the same command is accepted (the row is right, not just refused).
    # (Not check-links: it would send requests to the demo rows' document hosts.)
    if name not in ("sync-replica", "restore", "init", "load", "check-links"):
        accepted = embedded.run(OLD, *_arguments(name, embedded, out), after=True)
        assert accepted.exit_code == 0, accepted.output


def test_dumps_of_a_served_store_refuses_too(embedded, tmp_path):
    """Served, `dumps` reads the newest checkpoint of the main store (no private store)."""
    repo = embedded.open()
    repo.read_replica()                   # what `serve` does: checkpoints from now on
    repo.close()
    _refused_naming_both(embedded.run(NEW, "dumps", "--dumps-dir", str(tmp_path / "d")))
    assert not (tmp_path / "d").exists()


@pytest.mark.remote
@pytest.mark.parametrize("name", ["init", "load", "agency-key", "dump", "backup"])
def test_commands_refuse_a_remote_store_minted_under_another_base(remote, name, tmp_path):
    before = _everything(remote)
    _refused_naming_both(remote.run(NEW, *_arguments(name, remote, tmp_path)))
    _refused_naming_both(remote.run(NEW, *_arguments(name, remote, tmp_path), after=True))
    assert _everything(remote) == before


def test_a_store_from_before_bases_were_recorded_is_checked_and_recorded(embedded):
    """No record (made by an older version): the catalogue graph's name says the base; the
    first command under that base records it, one under another is refused."""
    repo = embedded.open()
    repo.private.apply(ChangeSet(replace=[RECORD_GRAPH]))        # drop the record
    repo.close()
    _refused_naming_both(embedded.run(NEW, "dump", str(embedded.tmp / "x.nq")))
    assert embedded.run(OLD, "agency-key", "--list", AGENCY).exit_code == 0
    repo = embedded.open()
    try:
        assert repo.private.objects("urn:x-licence-registry:store",
                                    "urn:x-licence-registry:minted-under", RECORD_GRAPH
                                    ) == [ox.Literal(OLD)]
    finally:
        repo.close()


def test_restore_refuses_a_backup_minted_under_another_base(embedded, tmp_path):
    assert embedded.run(OLD, "backup", str(tmp_path / "b")).exit_code == 0
    fresh = CliRunner().invoke(main, ["--store", str(tmp_path / "new"), "--base-iri", NEW,
                                      "restore", str(tmp_path / "b")])
    _refused_naming_both(fresh)
    assert "Nothing was changed" in fresh.output
    # Restored under its own base, then re-minted: the way the message gives.
    ok = CliRunner().invoke(main, ["--store", str(tmp_path / "new"), "--base-iri", OLD,
                                   "restore", str(tmp_path / "b")])
    assert ok.exit_code == 0, ok.output


def test_restore_of_a_backup_from_before_bases_were_recorded(embedded, tmp_path):
    """Its catalogue graph says its base; restored under it, the base is recorded."""
    assert embedded.run(OLD, "backup", str(tmp_path / "b")).exit_code == 0
    data = tmp_path / "b" / "dataset.nq.gz"
    lines = [line for line in gzip.decompress(data.read_bytes()).splitlines()
             if RECORD_GRAPH.encode() not in line]
    data.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    manifest["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest))
    target = ["--store", str(tmp_path / "again")]
    _refused_naming_both(CliRunner().invoke(main, [*target, "--base-iri", NEW, "restore",
                                                   str(tmp_path / "b")]))
    assert CliRunner().invoke(main, [*target, "--base-iri", OLD, "restore",
                                     str(tmp_path / "b")]).exit_code == 0
    _refused_naming_both(CliRunner().invoke(main, [*target, "--base-iri", NEW, "dump",
                                                   str(tmp_path / "x.nq")]))


class _client:
    """A test client whose requests name the base's host (the app answers no other)."""

    def __init__(self, app, base: str):
        parts = urlsplit(base)
        self.test_client = app.test_client()
        self.base_url = f"{parts.scheme}://{parts.netloc}"

    def get(self, path: str, **kwargs):
        return self.test_client.get(path, base_url=self.base_url, **kwargs)


# --- serve, create_app, /health ---------------------------------------------------------------

def test_serve_refuses_before_it_starts(embedded):
    """The web service never starts on a mismatched store: exit 1 naming both, and nothing
    ever answers on the port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", *embedded.store_args, "--base-iri", NEW, "serve",
         "--port", str(port), "--workers", "1", "--no-access-log"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            except requests.ConnectionError:      # nothing listens: as it must be
                time.sleep(0.2)
                continue
            except requests.Timeout:              # listening, a worker still booting
                pass
            pytest.fail("the service started on a store minted under another base")
        assert process.poll() == 1
        stderr = process.stderr.read().decode()
        assert OLD in stderr and NEW in stderr and "migrate-base" in stderr, stderr
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_create_app_refuses_a_store_minted_under_another_base(embedded):
    repo = embedded.open()
    try:
        with pytest.raises(BaseIriMismatch) as refused:
            create_app({"STORE": embedded.store_args[1], "BASE_IRI": NEW}, repository=repo)
        assert OLD in str(refused.value) and NEW in str(refused.value)
    finally:
        repo.close()
    # Opening the store itself, it closes it again when it refuses.
    with pytest.raises(BaseIriMismatch):
        create_app({"STORE": embedded.store_args[1], "BASE_IRI": NEW})
    EmbeddedRepository(Path(embedded.store_args[1]), wait=5).close()


def test_health_is_not_ok_once_the_store_is_minted_under_another_base(embedded):
    repo = embedded.open()
    try:
        client = create_app({"STORE": embedded.store_args[1], "BASE_IRI": OLD},
                            repository=repo).test_client()
        assert client.get("/health").json["status"] == "ok"
        migrate(repo, OLD, NEW)                 # re-minted while this service runs
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json["status"] == "base-iri-mismatch"
        assert health.json["minted_under"] == [NEW] and health.json["base_iri"] == OLD
        assert embedded.store_args[1] not in health.get_data(as_text=True)   # no path shown
        fresh = _client(create_app({"STORE": embedded.store_args[1], "BASE_IRI": NEW},
                                   repository=repo), NEW)
        assert fresh.get("/health").json["status"] == "ok"
    finally:
        repo.close()


# --- migrate-base ----------------------------------------------------------------------------

def _rewritten(quad: ox.Quad) -> ox.Quad:
    def term(t):
        if isinstance(t, ox.NamedNode) and t.value.startswith(OLD):
            return ox.NamedNode(NEW + t.value[len(OLD):])
        return t
    return ox.Quad(term(quad.subject), term(quad.predicate), term(quad.object),
                   term(quad.graph_name))


def _without(quads, predicate: str, graph: str = RECORD_GRAPH) -> set[ox.Quad]:
    """The quads but those with `predicate` or in `graph`, blank nodes canonically named (a
    store names them afresh when it loads a dataset)."""
    dataset = ox.Dataset(q for q in quads if q.predicate.value != predicate and not (
        isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


DIGEST = "https://w3id.org/clc/def#recordDigest"


def _without_log(quads, base: str) -> set[ox.Quad]:
    """The quads but the log's: its graphs and each version's index in it."""
    log = f"{base}/graph/log"
    return {q for q in quads if q.predicate.value != "https://w3id.org/clc/def#logIndex"
            and not (q.graph_name.value == log or q.graph_name.value.startswith(log + "/"))}


def test_migrate_base_re_mints_everything(register):
    main_before, private_before = _everything(register)
    repo = register.open()
    try:
        logged = LogReader(repo, OLD).size()
    finally:
        repo.close()
    result = register.run(NEW, "migrate-base", "--from", OLD, "--to", NEW)
    assert result.exit_code == 0, result.output
    main_after, private_after = _everything(register)
    # No quad left naming the old base, in either store; the same number of quads.
    assert _named(main_after, OLD) == [] and _named(private_after, OLD) == []
    assert (len(main_after), len(private_after)) == (len(main_before), len(private_before))
    # Exactly the old quads with their IRIs re-minted (fingerprints are recomputed), but the
    # public log: its leaves name the IRIs, so a new log is built under the new base (another
    # origin), with as many entries, which `log verify` finds in agreement with the store.
    main_before, main_after = _without_log(main_before, OLD), _without_log(main_after, NEW)
    for before, after in ((main_before, main_after), (private_before, private_after)):
        assert _without(after, DIGEST) == _without(map(_rewritten, before), DIGEST)
    assert logged > ROWS
    assert f"A new public log was built under {NEW}: {logged} entries" in result.output
    verified = register.run(NEW, "log", "verify")
    assert verified.exit_code == 0 and f"Log verified: {logged} entries" in verified.output
    assert {q.object for q in main_after if q.predicate.value == DIGEST}.isdisjoint(
        {q.object for q in main_before if q.predicate.value == DIGEST})

    repo = register.open()
    try:
        client = _client(create_app({"BASE_IRI": NEW}, repository=repo), NEW)
        assert client.get("/health").json["status"] == "ok"
        path = register.licence_path(register.rows[0])
        assert client.get(f"/id/licence/{path}").status_code == 303
        doc = client.get(f"/doc/licence/{path}", headers={"Accept": "application/n-triples"})
        assert doc.status_code == 200
        assert f"<{NEW}/id/licence/" in doc.get_data(as_text=True)
        assert OLD not in doc.get_data(as_text=True)
        assert client.get(f"/doc/licence/{path}", query_string={"version": "1"}).status_code == 200
        # The agency key still works, and finds the agency's uploads and their reports.
        uploads = client.get("/api/v1/uploads", headers={"Authorization": f"Bearer {register.key}"})
        assert uploads.status_code == 200 and uploads.json["agency"] == AGENCY
        assert len(uploads.json["uploads"]) == 2
        upload_id = uploads.json["uploads"][0]["upload_id"]
        report = client.get(f"/api/v1/uploads/{upload_id}",
                            headers={"Authorization": f"Bearer {register.key}"})
        assert report.status_code == 200
        with pytest.raises(BaseIriMismatch):
            create_app({"BASE_IRI": OLD}, repository=repo)
    finally:
        repo.close()

    # Unchanged rows uploaded again are still unchanged (fingerprints follow the new base).
    again = register.run(NEW, "load", "--agency", AGENCY, str(register.csv))
    assert again.exit_code == 0 and f"0 created, 1 updated, {ROWS - 1} unchanged" in again.output
    _refused_naming_back = register.run(OLD, "dump", str(register.tmp / "x.nq"))
    assert _refused_naming_back.exit_code == 1
    assert OLD in _refused_naming_back.output and NEW in _refused_naming_back.output


def test_migrate_base_moves_the_status_lists_with_their_bits(register):
    keys = [identifiers.licence_key(r["issuer"], r["licence_type"], r["licence_number"])
            for r in register.rows]

    def lists(base: str):
        repo = register.open()
        try:
            return ({p: status_list(repo, base, p, 0) for p in PURPOSES}, next_counter(repo, base),
                    [status_position(repo, base, key) for key in keys],
                    repo.existing_graphs([counter_graph_iri(base),
                                          *(list_graph_iri(base, p, 0) for p in PURPOSES)]))
        finally:
            repo.close()

    bits, counter, positions, graphs = lists(OLD)
    assert counter == ROWS and None not in positions and len(graphs) == 3
    assert register.run(NEW, "migrate-base", "--from", OLD, "--to", NEW).exit_code == 0
    assert lists(NEW) == (bits, counter, positions, {g.replace(OLD, NEW) for g in graphs})
    repo = register.open()
    try:
        keys = str(register.tmp / "keys" / "signing-keys.json")
        app = create_app({"BASE_IRI": NEW, "SIGNING_KEYS": keys}, repository=repo)
        for purpose in PURPOSES:         # served under the new base, with the same bits
            served = json.loads(_client(app, NEW).get(f"/status/{purpose}/0").data)
            assert served["id"] == f"{NEW}/status/{purpose}/0"
            assert StatusList.decode(served["credentialSubject"]["encodedList"]) == bits[purpose]
    finally:
        repo.close()


def test_an_interrupted_migration_is_named_and_finished_by_running_it_again(embedded):
    """Killed between the main store and the private one: the record still says OLD while
    the catalogue is under NEW. Every command refuses naming both; running it again ends it."""
    repo = embedded.open()
    try:
        migrate(repo, OLD, NEW)
        from registry.baseiri import record_base
        record_base(repo, OLD)              # the private store's change never happened
    finally:
        repo.close()
    for base in (OLD, NEW):
        refused = embedded.run(base, "agency-key", "--list", AGENCY)
        assert refused.exit_code == 1
        assert OLD in refused.output and NEW in refused.output
        assert f"migrate-base --from {OLD} --to {NEW}" in refused.output
    assert embedded.run(NEW, "migrate-base", "--from", OLD, "--to", NEW).exit_code == 0
    assert embedded.run(NEW, "agency-key", "--list", AGENCY).exit_code == 0


def test_migrate_base_refuses_a_base_the_store_was_not_minted_under(embedded):
    elsewhere = "https://elsewhere.example"
    result = embedded.run(OLD, "migrate-base", "--from", elsewhere, "--to", NEW)
    assert result.exit_code == 1 and elsewhere in result.output and OLD in result.output
    assert embedded.run(OLD, "migrate-base", "--from", OLD, "--to", "ftp://x").exit_code == 2
    assert embedded.run(OLD, "migrate-base", "--from", OLD, "--to", OLD).exit_code == 2


def test_migrate_base_help_says_what_it_does(embedded):
    text = " ".join(embedded.run(OLD, "migrate-base", "--help").output.split())
    for words in ("--from", "--to", "private", "atomic", "/health", "agency keys"):
        assert words.lower() in text.lower(), words


def test_a_store_given_a_second_catalogue_by_an_init_under_another_base(embedded):
    """Before this check, `init` under another base added a second catalogue. Every command
    refuses such a store naming both bases; migrating the stray one onto the right one mends
    it (the two catalogues become one)."""
    repo = embedded.open()
    try:
        repo.private.apply(ChangeSet(replace=[RECORD_GRAPH]))          # an older store
        catalogue = ox.NamedNode(f"{OLD}/graph/catalogue")
        triples = repo.graph_triples(catalogue.value)
        repo.apply(ChangeSet.from_quads(        # the same catalogue, minted under NEW
            [_rewritten(ox.Quad(t.subject, t.predicate, t.object, catalogue)) for t in triples],
            replace=[f"{NEW}/graph/catalogue"]))
    finally:
        repo.close()
    refused = embedded.run(OLD, "agency-key", "--list", AGENCY)
    assert refused.exit_code == 1 and OLD in refused.output and NEW in refused.output
    assert f"migrate-base --from {NEW} --to {OLD}" in refused.output
    assert embedded.run(OLD, "migrate-base", "--from", NEW, "--to", OLD).exit_code == 0
    assert embedded.run(OLD, "agency-key", "--list", AGENCY).exit_code == 0
    repo = embedded.open()
    try:
        assert len(repo.graph_triples(f"{OLD}/graph/catalogue")) == len(triples)
        assert not repo.existing_graphs([f"{NEW}/graph/catalogue"])
    finally:
        repo.close()
