"""Upload pages (SPEC §10): /id/upload/{id} → 303 → /doc/upload/{id}, negotiated as HTML and
every RDF format: the upload's public activity — agency, time, counts — and the licence versions
it made (paged). Never its private report (problems, warnings), nor anything of a key.

Real stores of each kind, uploads through the real publish service, real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pyoxigraph as ox
import pytest

from publishing.keys import issue_key
from publishing.pipeline import REPORT
from registry import identifiers
from registry import recordterms as terms
from registry.bootstrap import load_catalogue
from registry.namespaces import CLC, PROV, XSD
from resolver.pagedoc import PAGE_SIZE
from web.app import create_app

from .support.builders import key_of, licence_path, rows_of
from .support.docpages import BROWSER, RDF_FORMATS, check_outline, triples_of
from .support.htmltree import parse
from .support.stores import BASE

FIRST_SIZE = PAGE_SIZE + 3             # the first upload's licences: two pages of them
WARNED_DATE = "01/02/2566"             # a Buddhist-Era date: a warning in the private report


@dataclass
class Uploads:
    client: object
    first: str                          # upload ids
    second: str
    rows: list[dict[str, str]]          # the first upload's rows
    amended: dict[str, str]             # the row the second upload changed
    added: dict[str, str]               # the row the second upload added
    report: dict                        # the first upload's private report, as stored
    key: str                            # an agency key's secret


@pytest.fixture(scope="module")
def uploads(module_repo_of_each_kind, publish) -> Uploads:
    repo = module_repo_of_each_kind
    pool = rows_of(load_catalogue(repo), "diw", FIRST_SIZE + 1, seed=11)
    rows, spare = pool[:FIRST_SIZE], pool[FIRST_SIZE]
    rows[0] = {**rows[0], "issued": WARNED_DATE, "valid_until": ""}
    first = publish(repo, rows)
    assert first.problems, "the first upload must carry a warning in its report"
    amended = {**rows[1], "status": "revoked", "status_reason": "ฝ่าฝืนเงื่อนไขใบอนุญาต"}
    second = publish(repo, [amended, rows[2], spare])
    key, _ = issue_key(repo, BASE, "diw")
    upload = identifiers.upload_iri(BASE, first.result.upload_id)
    stored = repo.private.objects(
        upload, REPORT, identifiers.upload_report_graph_iri(BASE, first.result.upload_id))
    client = create_app({"BASE_IRI": BASE}, repository=repo,
                        clock=lambda: dt.date(2026, 6, 15)).test_client()
    return Uploads(client, first.result.upload_id, second.result.upload_id, rows, amended,
                   spare, json.loads(stored[0].value), key)


def test_id_answers_303_to_doc_keeping_the_query(uploads):
    for query in ("", "?lang=en&page=2"):
        response = uploads.client.get(f"/id/upload/{uploads.first}{query}",
                                      headers={"Accept": BROWSER})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/doc/upload/{uploads.first}{query}"
        assert "Accept" in response.headers["Vary"]


COUNTS = {"first": {"created": FIRST_SIZE, "updated": 0, "unchanged": 0},
          "second": {"created": 1, "updated": 1, "unchanged": 1}}


@pytest.mark.parametrize("which", COUNTS)
@pytest.mark.parametrize("lang", ["th", "en"])
def test_html_shows_agency_time_counts_and_changed_licences(uploads, which, lang):
    upload_id = getattr(uploads, which)
    response = uploads.client.get(f"/doc/upload/{upload_id}?lang={lang}",
                                  headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    check_outline(html, lang)
    tree = parse(html)
    assert f'href="/id/agency/diw?lang={lang}"' in html
    moment = tree.find("time").attrs["datetime"]
    assert moment == f"{upload_id[:4]}-{upload_id[4:6]}-{upload_id[6:8]}T" \
                     f"{upload_id[9:11]}:{upload_id[11:13]}:{upload_id[13:15]}Z"
    shown_year = int(upload_id[:4]) + (543 if lang == "th" else 0)
    assert str(shown_year) in tree.find("time").text
    counts = {dd.attrs["data-count"]: int(dd.text) for dd in tree.find_all("dd")
              if "data-count" in dd.attrs}
    assert counts == COUNTS[which]
    links = [a.attrs["href"] for a in tree.find("section", "changed-licences").find_all("a")
             if "/doc/licence/" in a.attrs["href"]]
    if which == "second":
        assert sorted(links) == sorted([
            licence_path("doc", key_of(uploads.amended)) + f"?version=2&lang={lang}",
            licence_path("doc", key_of(uploads.added)) + f"?version=1&lang={lang}"])
    else:
        assert len(links) == PAGE_SIZE and all("version=1" in link for link in links)


def test_changed_licences_are_paged(uploads):
    client = uploads.client
    first = client.get(f"/doc/upload/{uploads.first}", headers={"Accept": BROWSER})
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(f"/doc/upload/{uploads.first}?page=2", headers={"Accept": BROWSER})
    tree = parse(second.get_data(as_text=True))
    links = {a.attrs["href"].split("?")[0]
             for a in tree.find("section", "changed-licences").find_all("a")
             if "/doc/licence/" in a.attrs["href"]}
    assert len(links) == FIRST_SIZE - PAGE_SIZE
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    everything = set()
    for page in (1, 2):
        triples = triples_of(client.get(f"/doc/upload/{uploads.first}?format=nt&page={page}"),
                             ox.RdfFormat.N_TRIPLES)
        everything |= {t.subject.value for t in triples if t.predicate == terms.WAS_GENERATED_BY}
    assert everything == {identifiers.licence_iri(BASE, key_of(row)) for row in uploads.rows}
    assert client.get(f"/doc/upload/{uploads.first}?page=0").status_code == 400


@pytest.mark.parametrize("fmt, media_type, parser", RDF_FORMATS)
def test_rdf_is_the_public_activity_as_stored(uploads, fmt, media_type, parser):
    upload = ox.NamedNode(identifiers.upload_iri(BASE, uploads.second))
    for response in (uploads.client.get(f"/doc/upload/{uploads.second}?format={fmt}"),
                     uploads.client.get(f"/doc/upload/{uploads.second}",
                                        headers={"Accept": media_type})):
        assert response.mimetype == media_type and response.headers["ETag"]
        triples = triples_of(response, parser)

        def integer(n: int) -> ox.Literal:
            return ox.Literal(str(n), datatype=XSD.integer)

        own = {t for t in triples if t.subject == upload}
        assert {(t.predicate, t.object) for t in own} >= {
            (terms.TYPE, PROV.Activity),
            (PROV.wasAssociatedWith, ox.NamedNode(identifiers.agency_iri(BASE, "diw"))),
            (terms.DCT_IDENTIFIER, ox.Literal(uploads.second)),
            (CLC.created, integer(1)), (CLC.updated, integer(1)), (CLC.unchanged, integer(0 + 1)),
        }
        assert {t.predicate for t in own} == {terms.TYPE, PROV.wasAssociatedWith,
                                             PROV.endedAtTime, terms.DCT_IDENTIFIER,
                                             CLC.created, CLC.updated, CLC.unchanged}
        added = ox.NamedNode(identifiers.licence_iri(BASE, key_of(uploads.added)))
        amended = identifiers.licence_iri(BASE, key_of(uploads.amended))
        change = ox.NamedNode(identifiers.licence_part_iri(amended, "change-2"))
        assert triples - own == {
            ox.Triple(added, terms.WAS_GENERATED_BY, upload),
            ox.Triple(change, terms.IS_PART_OF, upload),
            ox.Triple(ox.NamedNode(amended), terms.WAS_GENERATED_BY, change)}


def _private_texts(uploads: Uploads) -> list[str]:
    """What the private side holds that no public answer may show."""
    problems = uploads.report["problems"]
    assert problems
    texts = [WARNED_DATE, uploads.key, "/id/key/", "graph/private", REPORT, "clc:report"]
    for problem in problems:
        texts += [problem["rule"], problem["message"]["th"], problem["message"]["en"]]
    return texts


@pytest.mark.parametrize("form", ["html-th", "html-en", "ttl", "jsonld", "nt", "rdf"])
def test_the_private_report_is_in_no_format(uploads, form):
    if form.startswith("html"):
        response = uploads.client.get(f"/doc/upload/{uploads.first}?lang={form[5:]}",
                                      headers={"Accept": BROWSER})
    else:
        response = uploads.client.get(f"/doc/upload/{uploads.first}?format={form}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for text in _private_texts(uploads):
        assert text not in body, text


UNKNOWN = {
    "well-formed, unknown": "20200101T000000Z-00000000",
    "not an upload id": "..",
    "a licence graph's tail": "licence",
    "odd characters": "abc$def",
}


@pytest.mark.parametrize("what", UNKNOWN)
@pytest.mark.parametrize("kind", ["id", "doc"])
def test_unknown_upload_is_404_a_page_for_browsers_json_for_clients(uploads, what, kind):
    path = f"/{kind}/upload/{UNKNOWN[what]}"
    page = uploads.client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.mimetype == "text/html"
    data = uploads.client.get(path, headers={"Accept": "application/json"})
    assert data.status_code == 404
    assert data.json["error"]["code"] in ("upload-activity-not-found", "not-found")


def test_conditional_get_406_and_cors(uploads):
    path = f"/doc/upload/{uploads.second}?format=jsonld"
    first = uploads.client.get(path, headers={"Origin": "https://example.org"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert uploads.client.get(path, headers={"If-None-Match": first.headers["ETag"]}
                              ).status_code == 304
    assert uploads.client.get(f"/doc/upload/{uploads.second}",
                              headers={"Accept": "application/pdf"}).status_code == 406
