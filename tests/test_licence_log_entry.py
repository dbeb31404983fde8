"""A licence version's entry in the public log (SPEC §12, issue 15): its page says, in Thai and
English, which entry records it and links that entry's inclusion proof; its RDF carries
`clc:logIndex`; a version from before `log init` says nothing about the log; and the log index,
the register's bookkeeping, stays out of the record digest and the credential."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re

import pyoxigraph as ox
import pytest

from ops.demoload import load_demo
from publishing.pipeline import commit
from registry import credential, credentialrdf, identifiers, logleaf, logstore, merkle, rdfmap
from registry import recordterms as terms
from registry.bootstrap import load_catalogue
from registry.history import record_triples, versions
from registry.signingkeys import SigningKeys, signing_keys_path
from registry.store import ChangeSet
from web.state import state_of

from .support.builders import app_over, checked_demo_records, licence_path
from .support.publish import dumps_made
from .support.sharedstores import copy_of_store
from .support.stores import BASE

COUNT = 6
NOW = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)
LOG_INDEX = terms.LOG_INDEX.value
ENTRY = re.compile(r'<p class="log-entry" data-log-index="(\d+)">(.*?)</p>', re.S)
WORDS = {"th": "ฉบับนี้บันทึกไว้ในบันทึกสาธารณะเป็นรายการที่ {n}",
         "en": "This version is recorded in the public log as entry {n}."}


@pytest.fixture(scope="module")
def site(tmp_path_factory, initialised_template, catalogue):
    """Demo licences, the first amended once (two versions): (app, repo, its key)."""
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("log-entry") / "store")
    load_demo(repo, BASE, COUNT)
    record = checked_demo_records(catalogue, COUNT)[0]
    changed = dataclasses.replace(record, conditions="เงื่อนไขใหม่ new condition")
    result = commit(repo, [changed], base=BASE, catalogue=load_catalogue(repo),
                    agency=record.key.issuer, now=NOW)
    assert result.updated == 1
    app = app_over(repo)
    SigningKeys(signing_keys_path(state_of(app).settings)).ensure(NOW)
    yield app, repo, record.key
    dumps_made(app)
    repo.close()


def _stored_indices(repo, key: identifiers.LicenceKey) -> dict[int, int]:
    """Each version's clc:logIndex as its graph holds it."""
    iri = identifiers.licence_iri(BASE, key)
    found = {}
    for version in versions(repo, BASE, key):
        values = repo.objects(iri, LOG_INDEX, version.graph)
        assert len(values) == 1, version
        found[version.number] = int(values[0].value)
    return found


def _entry(html: str) -> tuple[int, str]:
    entries = ENTRY.findall(html)
    assert len(entries) == 1, entries
    return int(entries[0][0]), entries[0][1]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("version", [None, 1, 2])
def test_the_page_names_the_version_s_own_entry_and_links_its_proof(site, lang, version):
    app, repo, key = site
    stored = _stored_indices(repo, key)
    assert set(stored) == {1, 2} and stored[1] < stored[2]
    query = {"lang": lang} | ({"version": str(version)} if version else {})
    response = app.test_client().get(licence_path("doc", key), query_string=query,
                                     headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    index, text = _entry(html)
    assert index == stored[version or 2]
    assert WORDS[lang].format(n=index) in text
    assert f'<a href="/log/proof/inclusion?index={index}" type="application/json">' in text
    other = "en" if lang == "th" else "th"
    assert WORDS[other].format(n=index) not in html


@pytest.mark.parametrize(("fmt", "media_type"), [
    ("ttl", "text/turtle"), ("nt", "application/n-triples"), ("jsonld", "application/ld+json"),
    ("rdf", "application/rdf+xml")])
@pytest.mark.parametrize("version", [1, 2])
def test_the_rdf_of_each_version_carries_its_log_index(site, fmt, media_type, version):
    app, repo, key = site
    response = app.test_client().get(licence_path("doc", key),
                                     query_string={"format": fmt, "version": str(version)})
    assert response.status_code == 200
    triples = list(ox.parse(response.data, format=ox.RdfFormat.from_media_type(media_type)))
    iri = identifiers.licence_iri(BASE, key)
    said = [t.object for t in triples
            if t.subject == ox.NamedNode(iri) and t.predicate.value == LOG_INDEX]
    assert said == [ox.Literal(str(_stored_indices(repo, key)[version]),
                               datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))]


def test_the_project_context_names_the_log_index():
    from registry.jsonldcontexts import credential_context, project_context

    assert project_context()["logIndex"] == {"@id": "clc:logIndex", "@type": "xsd:integer"}
    # The credential context is versioned and never changed: the log index is not signed.
    assert "logIndex" not in json.dumps(credential_context())


def _fast_path(statements: list, iri: str) -> list[str] | str:
    """The credential subject's canonical lines the fast way, or why it signs the general way
    (an amended version's graph holds its change activity, which the fast path leaves alone)."""
    try:
        return credentialrdf.content_lines(statements, iri)
    except credentialrdf.NotFastPath as declined:
        return str(declined)


@pytest.mark.parametrize("version", [1, 2])
def test_the_log_index_is_outside_the_credential_and_the_digest(site, catalogue, version):
    app, repo, key = site
    iri = identifiers.licence_iri(BASE, key)
    chosen = next(v for v in versions(repo, BASE, key) if v.number == version)
    graph = chosen.graph
    triples = record_triples(repo, chosen)          # what the credential is made from
    without = [t for t in triples if t.predicate.value != LOG_INDEX]
    assert len(without) == len(triples) - 1
    # The subject, both ways it is written, is the same with or without the log index.
    assert credential.credential_subject(triples, iri) == \
        credential.credential_subject(without, iri)
    assert _fast_path(triples, iri) == _fast_path(without, iri)
    # The version's fingerprint (what an unchanged re-upload is told by) is its log entry's
    # record hash, of the record's content alone; it keeps no digest of its own.
    record = checked_demo_records(catalogue, COUNT)[0]
    if version == 2:
        record = dataclasses.replace(record, conditions="เงื่อนไขใหม่ new condition")
    public = catalogue.types[key.type].public_register
    assert not repo.objects(iri, terms.RECORD_DIGEST.value, graph)
    index = int(repo.objects(iri, LOG_INDEX, graph)[0].value)
    assert logstore.LogReader(repo, BASE).record_hashes({index: iri}) == {
        index: logleaf.record_hash(rdfmap.content_lines(record, BASE, public),
                                   identifiers.licence_graph_iri(BASE, key))}
    # And the credential the register serves for the version says nothing of the log.
    query = "" if version == 2 else "?version=1"
    response = app.test_client().get(licence_path("credential", key) + query,
                                     headers={"Accept": "application/vc"})
    assert response.status_code == 200, response.get_data(as_text=True)
    served = json.loads(response.data)
    assert served["id"] == identifiers.licence_credential_iri(BASE, key, version)
    assert "logIndex" not in served["credentialSubject"]
    assert "logIndex" not in response.get_data(as_text=True)
    assert LOG_INDEX not in response.get_data(as_text=True)


def test_a_version_logged_before_log_init_says_nothing_about_the_log(embedded_repo, app):
    load_demo(embedded_repo, BASE, 2)
    key = checked_demo_records(load_catalogue(embedded_repo), 2)[0].key
    graph = versions(embedded_repo, BASE, key)[-1].graph
    kept = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
            for t in embedded_repo.graph_triples(graph) if t.predicate.value != LOG_INDEX]
    embedded_repo.apply(ChangeSet.from_quads(kept, replace=[graph]))
    for lang in ("th", "en"):
        response = app.test_client().get(licence_path("doc", key), query_string={"lang": lang},
                                         headers={"Accept": "text/html"})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "log-entry" not in html and "/log/" not in html
        assert WORDS[lang].split("{n}")[0].strip() not in html


def test_the_linked_proof_shows_the_version_is_in_the_log(site):
    """Following the page's link as a reader would: the proof (at the log's size now) takes the
    entry's leaf to the log's root, and the leaf names this licence and version."""
    app, repo, key = site
    client = app.test_client()
    for version in (1, 2):
        html = client.get(licence_path("doc", key), query_string={"version": str(version)},
                          headers={"Accept": "text/html"}).get_data(as_text=True)
        index, text = _entry(html)
        href = re.search(r'href="([^"]+)"', text).group(1).replace("&amp;", "&")
        response = client.get(href)
        assert response.status_code == 200, response.get_data(as_text=True)
        proof = response.get_json()
        reader = logstore.LogReader(repo, BASE)
        assert (proof["index"], proof["size"]) == (index, reader.size())
        leaf = reader.entries(index, index + 1)[0]
        assert (logleaf.parse_leaf(leaf).licence, logleaf.parse_leaf(leaf).version) == (
            identifiers.licence_iri(BASE, key), version)
        merkle.verify_inclusion(merkle.leaf_hash(leaf), index, proof["size"],
                                [base64.b64decode(h) for h in proof["hashes"]], reader.root())
