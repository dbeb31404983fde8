"""The public log over HTTP (SPEC §12, issue 15 items 2 and 3; opendata/logviews.py), checked as
an outside monitor would: from what the server serves and nothing else (the checkpoint opened
with the key /log/key gives, leaves from /log/entries, proofs from /log/proof/…, verified with
registry/merkle.py), on the embedded store and a real `oxigraph serve`; then the answers'
refusals, caching, CORS and a key rotation."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

from ops.demoload import load_demo
from publishing.pipeline import commit
from registry import logleaf, logstore, merkle
from registry.bootstrap import load_catalogue
from registry.checkpoint import log_origin, parse_checkpoint
from registry.logsigning import LOG_CREATE_COMMAND, log_signing_keys
from registry.signednote import NoteError, open_note
from web.app import create_app

from .support.builders import checked_demo_records
from .support.publish import dumps_made
from .support.stores import BASE

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
ORIGIN = "https://a-monitor.example"
LICENCES = 200
LOG_INDEX = "https://w3id.org/clc/def#logIndex"


def _app(repo, folder, *, with_key: bool = True):
    """The web app over `repo`, its log key file in `folder` (made when `with_key`)."""
    key_file = folder / "keys" / "log-keys.json"
    if with_key:
        key_file.parent.mkdir(mode=0o700, exist_ok=True)
        log_signing_keys(key_file).ensure(NOW)
    return create_app({"STORE": str(folder / "store"), "BASE_IRI": BASE,
                       "LOG_KEYS": str(key_file)}, repository=repo)


@pytest.fixture
def site(repo, tmp_path):
    """(app, client) over `repo` (each kind of store) holding LICENCES demo licences."""
    load_demo(repo, BASE, LICENCES)
    app = _app(repo, tmp_path)
    yield app, app.test_client()
    dumps_made(app)


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def checkpoint_of(client):
    """The log's checkpoint as a monitor reads it: opened with the served key, parsed."""
    key = client.get("/log/key")
    assert key.status_code == 200 and key.mimetype == "text/plain"
    note = client.get("/log/checkpoint")
    assert note.status_code == 200
    assert note.headers["Content-Type"] == "text/plain; charset=utf-8"
    opened = open_note(note.get_data(), [key.get_data(as_text=True).strip()])
    return parse_checkpoint(opened.text)


def all_entries(client, size: int) -> list[bytes]:
    leaves: list[bytes] = []
    start = 0
    while start < size:
        body = client.get(f"/log/entries?start={start}&end={size}").get_json()
        assert [e["index"] for e in body["entries"]] == list(range(start, start + len(
            body["entries"])))
        leaves.extend(_b64(e["leaf"]) for e in body["entries"])
        start = body.get("next", size)
    return leaves


# --- what a monitor checks ---------------------------------------------------------------------

def test_the_checkpoint_is_signed_and_names_the_stored_log(site, repo):
    app, client = site
    checkpoint = checkpoint_of(client)
    reader = logstore.LogReader(repo, BASE)
    assert checkpoint.origin == log_origin(BASE)
    assert (checkpoint.size, checkpoint.root_hash) == (reader.size(), reader.root())
    assert checkpoint.size == LICENCES + len([
        leaf for leaf in map(logleaf.parse_leaf, reader.entries(0, reader.size()))
        if leaf.kind == logleaf.UPLOAD])
    assert client.get("/log/key").get_data(as_text=True).startswith(log_origin(BASE) + "+")


def test_inclusion_proofs_verify_against_the_checkpoint_root(site):
    _, client = site
    checkpoint = checkpoint_of(client)
    leaves = all_entries(client, checkpoint.size)
    assert len(leaves) == checkpoint.size
    for index in [*range(0, checkpoint.size, 50), checkpoint.size - 1]:
        body = client.get(f"/log/proof/inclusion?index={index}&size={checkpoint.size}"
                          ).get_json()
        assert (body["index"], body["size"]) == (index, checkpoint.size)
        merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, checkpoint.size,
                                [_b64(h) for h in body["hashes"]], checkpoint.root_hash)
    # Without `size`: the log now, said in the answer.
    body = client.get("/log/proof/inclusion?index=7").get_json()
    assert body["size"] == checkpoint.size
    # A proof against the wrong root, or for another leaf, does not verify.
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(merkle.leaf_hash(leaves[8]), 7, checkpoint.size,
                                [_b64(h) for h in body["hashes"]], checkpoint.root_hash)


def test_consistency_between_the_checkpoints_before_and_after_an_upload(site, repo, catalogue):
    _, client = site
    before = checkpoint_of(client)
    record = next(iter(checked_demo_records(catalogue, LICENCES)))
    changed = [dataclasses.replace(record, conditions="เงื่อนไขใหม่ new condition")]
    result = commit(repo, changed, base=BASE, catalogue=load_catalogue(repo),
                    agency=record.key.issuer, now=NOW)
    assert result.updated == 1
    after = checkpoint_of(client)
    assert after.size == before.size + 2            # the new version, then its upload
    for second in (f"&second={after.size}", ""):
        body = client.get(f"/log/proof/consistency?first={before.size}{second}").get_json()
        assert (body["first"], body["second"]) == (before.size, after.size)
        merkle.verify_consistency(before.size, after.size, before.root_hash, after.root_hash,
                                  [_b64(h) for h in body["hashes"]])
    with pytest.raises(merkle.ProofError):          # a rewritten past is caught
        merkle.verify_consistency(before.size, after.size, after.root_hash, after.root_hash,
                                  [_b64(h) for h in body["hashes"]])
    same = client.get(f"/log/proof/consistency?first={after.size}&second={after.size}")
    assert same.get_json()["hashes"] == []


def test_each_licence_s_log_index_names_its_entry(site, repo):
    _, client = site
    checkpoint = checkpoint_of(client)
    leaves = [logleaf.parse_leaf(leaf) for leaf in all_entries(client, checkpoint.size)]
    licences = sorted({row["l"].value for row in repo.select(
        "SELECT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/GovernmentPermit> } }")})
    assert len(licences) == LICENCES
    for iri in licences[::37]:
        path = urlsplit(iri).path.replace("/id/", "/doc/", 1)
        for media_type, fmt in (("text/turtle", "text/turtle"),
                                ("application/n-triples", "application/n-triples")):
            response = client.get(path, headers={"Accept": media_type})
            assert response.status_code == 200, (path, media_type)
            graph = ox.Store()
            graph.load(response.get_data(), format=ox.RdfFormat.from_media_type(fmt),
                       base_iri=iri)
            found = [q.object.value for q in graph.quads_for_pattern(
                ox.NamedNode(iri), ox.NamedNode(LOG_INDEX), None)]
            assert len(found) == 1, (iri, media_type, found)
            leaf = leaves[int(found[0])]
            assert (leaf.kind, leaf.licence, leaf.index) == (
                logleaf.LICENCE_VERSION, iri, int(found[0]))


# --- entries -----------------------------------------------------------------------------------

def test_entries_come_a_thousand_at_most_with_the_next_start(embedded_repo, tmp_path):
    load_demo(embedded_repo, BASE, 5)
    size = logstore.LogReader(embedded_repo, BASE).size()
    # Leaves as the log stores them (the routes do not read them): enough for two pages.
    logstore.append_leaves(embedded_repo, BASE, lambda first: [
        f'{{"index":{first + n},"kind":"test"}}'.encode() for n in range(2100)])
    total = size + 2100
    client = _app(embedded_repo, tmp_path).test_client()
    body = client.get(f"/log/entries?start=0&end={total}").get_json()
    assert len(body["entries"]) == 1000 and body["next"] == 1000
    body = client.get(f"/log/entries?start=1000&end={total}").get_json()
    assert len(body["entries"]) == 1000 and body["next"] == 2000
    body = client.get(f"/log/entries?start=2000&end={total}").get_json()
    assert len(body["entries"]) == total - 2000 and "next" not in body
    assert _b64(body["entries"][-1]["leaf"]) == f'{{"index":{total - 1},"kind":"test"}}'.encode()
    body = client.get("/log/entries?start=255&end=257").get_json()
    assert [e["index"] for e in body["entries"]] == [255, 256]
    assert len(all_entries(client, total)) == total


# --- refusals ----------------------------------------------------------------------------------

BAD = [
    ("/log/entries?end=3", "start", "Give start"),
    ("/log/entries?start=0", "end", "Give end"),
    ("/log/entries?start=x&end=3", "start", "whole number"),
    ("/log/entries?start=-1&end=3", "start", "whole number"),
    ("/log/entries?start=1.5&end=3", "start", "whole number"),
    ("/log/entries?start=0&start=1&end=3", "start", "once"),
    ("/log/entries?start=3&end=3", "end", "less than end"),
    ("/log/entries?start=4&end=3", "end", "less than end"),
    ("/log/entries?start=0&end={beyond}", "end", "beyond the log"),
    ("/log/entries?start=0&end=" + "9" * 30, "end", "whole number"),
    ("/log/proof/inclusion", "index", "Give index"),
    ("/log/proof/inclusion?index=", "index", "Give index"),
    ("/log/proof/inclusion?index=x", "index", "whole number"),
    ("/log/proof/inclusion?index={size}", "index", "no entry"),
    ("/log/proof/inclusion?index=5&size=5", "index", "no entry"),
    ("/log/proof/inclusion?index=0&size=0", "index", "no entry"),
    ("/log/proof/inclusion?index=0&size={beyond}", "size", "beyond the log"),
    ("/log/proof/inclusion?index=0&size=-2", "size", "whole number"),
    ("/log/proof/consistency", "first", "Give first"),
    ("/log/proof/consistency?first=0", "first", "at least 1"),
    ("/log/proof/consistency?first=0&second=3", "first", "at least 1"),
    ("/log/proof/consistency?first=4&second=3", "first", "greater than second"),
    ("/log/proof/consistency?first={beyond}", "first", "greater than second"),
    ("/log/proof/consistency?first=1&second={beyond}", "second", "beyond the log"),
    ("/log/proof/consistency?first=1&second=๓", "second", "whole number"),
]


@pytest.fixture(scope="module")
def small_site(tmp_path_factory, initialised_template):
    from .support.sharedstores import copy_of_store

    folder = tmp_path_factory.mktemp("log-routes")
    repo = copy_of_store(initialised_template, folder / "store")
    load_demo(repo, BASE, 10)
    app = _app(repo, folder)
    yield app, repo
    repo.close()


@pytest.mark.parametrize(("path", "parameter", "says"), BAD)
def test_bad_parameters_are_refused_by_name(small_site, path, parameter, says):
    app, repo = small_site
    size = logstore.LogReader(repo, BASE).size()
    response = app.test_client().get(path.format(size=size, beyond=size + 1),
                                     headers={"Origin": ORIGIN})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["code"], error["parameter"]) == ("bad-request", parameter)
    assert says in error["detail"], error["detail"]
    assert error["message"]["th"] and error["message"]["en"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_browser_gets_the_refusal_as_a_page_in_its_language(small_site):
    app, _ = small_site
    response = app.test_client().get("/log/proof/consistency?first=0&lang=th",
                                     headers={"Accept": "text/html", "Accept-Language": "th"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "การพิสูจน์ความสอดคล้อง" in response.get_data(as_text=True)


# --- caching and CORS --------------------------------------------------------------------------

def test_answers_carry_validators_and_say_how_long_they_hold(small_site):
    app, repo = small_site
    client = app.test_client()
    size = logstore.LogReader(repo, BASE).size()
    for path, max_age in [("/log/checkpoint", 10), ("/log/key", 60),
                          (f"/log/entries?start=0&end={size}", 86400),
                          (f"/log/proof/inclusion?index=1&size={size}", 86400),
                          ("/log/proof/inclusion?index=1", 10),
                          (f"/log/proof/consistency?first=1&second={size}", 86400),
                          ("/log/proof/consistency?first=1", 10)]:
        response = client.get(path, headers={"Origin": ORIGIN})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == f"public, max-age={max_age}", path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        etag = response.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag, path
        assert client.head(path).status_code == 200, path


# --- the key -----------------------------------------------------------------------------------

def test_after_a_key_rotation_the_next_checkpoint_is_signed_by_the_new_key(small_site):
    app, _ = small_site
    client = app.test_client()
    old_key = client.get("/log/key").get_data(as_text=True).strip()
    before = client.get("/log/checkpoint").get_data()
    open_note(before, [old_key])
    log_signing_keys(_key_file(app)).rotate(LATER)         # as `log rotate-key` does
    new_key = client.get("/log/key").get_data(as_text=True).strip()
    assert new_key != old_key and new_key.startswith(log_origin(BASE) + "+")
    after = client.get("/log/checkpoint").get_data()
    assert parse_checkpoint(open_note(after, [new_key]).text) == \
        parse_checkpoint(open_note(before, [old_key]).text)
    with pytest.raises(NoteError):
        open_note(after, [old_key])


def _key_file(app):
    from registry.signingkeys import log_keys_path
    from web.state import state_of

    return log_keys_path(state_of(app).settings)


def test_without_a_log_key_file_the_checkpoint_is_503_naming_the_command(embedded_repo,
                                                                         tmp_path):
    load_demo(embedded_repo, BASE, 3)
    client = _app(embedded_repo, tmp_path, with_key=False).test_client()
    for path in ("/log/checkpoint", "/log/key"):
        response = client.get(path)
        assert response.status_code == 503, path
        error = response.get_json()["error"]
        assert error["code"] == "log-key-unavailable"
        assert LOG_CREATE_COMMAND in error["detail"]
        assert str(tmp_path) not in response.get_data(as_text=True)
    # The entries and proofs need no key.
    assert client.get("/log/entries?start=0&end=1").status_code == 200
