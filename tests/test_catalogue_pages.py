"""/catalogue/ and /agencies/ (SPEC §7): filters, licence counts, HTML and RDF variants."""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

from .support.builders import rows_of
from .support.stores import BASE

CV = rdflib.Namespace("http://data.europa.eu/m8g/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
RDF_FORMATS = [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
               ("nt", "application/n-triples", "nt"), ("rdf", "application/rdf+xml", "xml")]


# Most tests here only read a store with no licences: they share one app (tests/conftest.py).
# The two that publish licences take the function-scoped `app` over a store of their own.
@pytest.fixture(scope="module")
def client(module_app):
    return module_app.test_client()


@pytest.fixture
def two_agencies(embedded_repo, catalogue, publish):
    """5 licences of diw (one of them amended: two versions) and 3 of fda."""
    diw = rows_of(catalogue, "diw", 5)
    publish(embedded_repo, diw, "diw")
    publish(embedded_repo, [dict(diw[0], conditions="แก้ไขเงื่อนไข")], "diw")
    publish(embedded_repo, rows_of(catalogue, "fda", 3), "fda")
    return {"diw": 5, "fda": 3}


def codes(html: str) -> set[str]:
    return set(re.findall(r'<tr data-code="([a-z0-9-]+)">', html))


def counts(html: str) -> dict[str, int]:
    rows = re.findall(r'<tr data-code="([a-z0-9-]+)">.*?data-licences="(\d+)"', html, re.S)
    return {code: int(n) for code, n in rows}


# Filters, table-driven: query → which items must be listed.
TYPE_CASES = [
    ("", lambda t: True),
    ("bcg=bio", lambda t: t.bcg_theme == "bio"),
    ("bcg=circular", lambda t: t.bcg_theme == "circular"),
    ("bcg=bio&bcg=green", lambda t: t.bcg_theme in ("bio", "green")),
    ("phase=1", lambda t: t.phase == 1),
    ("phase=3", lambda t: t.phase == 3),
    ("eservice=L3", lambda t: t.eservice_level == "L3"),
    ("eservice=L0&eservice=L1", lambda t: t.eservice_level in ("L0", "L1")),
    ("agency=diw", lambda t: "diw" in t.authorities),
    ("agency=chiangmai-livestock", lambda t: "chiangmai-livestock" in t.authorities),
    ("agency=diw&eservice=L3&phase=1",
     lambda t: "diw" in t.authorities and t.eservice_level == "L3" and t.phase == 1),
    ("bcg=&phase=", lambda t: True),            # a form's "any"
]
AGENCY_CASES = [
    ("", lambda a: True),
    ("tier=1", lambda a: a.tier == 1),
    ("tier=3", lambda a: a.tier == 3),
    ("level=regional", lambda a: a.level == "regional"),
    ("level=local&tier=2", lambda a: a.level == "local" and a.tier == 2),
    ("level=central&level=local", lambda a: a.level in ("central", "local")),
]


LISTS = {"/catalogue/": (lambda c: c.types, CV.EvidenceType),
         "/agencies/": (lambda c: c.agencies, CV.PublicOrganisation)}


@pytest.mark.parametrize("path, query, keep", [("/catalogue/", q, k) for q, k in TYPE_CASES]
                         + [("/agencies/", q, k) for q, k in AGENCY_CASES])
def test_filters(client, catalogue, path, query, keep):
    items, rdf_type = LISTS[path]
    expected = {code for code, item in items(catalogue).items() if keep(item)}
    assert expected, "the case must select something"
    if query.replace("bcg=&phase=", ""):
        assert expected != set(items(catalogue)), "the case must leave something out"
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert codes(response.get_data(as_text=True)) == expected
    for key, _, rdflib_format in RDF_FORMATS[::2]:
        graph = rdflib.Graph().parse(data=client.get(f"{path}?{query}&format={key}").data,
                                     format=rdflib_format)
        assert {str(s).rsplit("/", 1)[1] for s in graph.subjects(RDF.type, rdf_type)} == expected


@pytest.mark.parametrize("url, parameter, allowed", [
    ("/catalogue/?bcg=blue", "bcg", ["bio", "circular", "green"]),
    ("/catalogue/?phase=4", "phase", ["1", "2", "3"]),
    ("/catalogue/?phase=1&phase=0", "phase", ["1", "2", "3"]),
    ("/catalogue/?eservice=l3", "eservice", ["L0", "L1", "L2", "L3"]),
    ("/catalogue/?agency=no-such-agency", "agency", None),
    ("/catalogue/?agency=DIW", "agency", None),
    ("/agencies/?tier=0", "tier", ["1", "2", "3"]),
    ("/agencies/?tier=one", "tier", ["1", "2", "3"]),
    ("/agencies/?level=national", "level", ["central", "regional", "local"]),
])
def test_bad_filters_are_400_naming_the_parameter(client, catalogue, url, parameter, allowed):
    response = client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["status"], error["code"], error["parameter"]) == (400, "bad-request", parameter)
    assert error["allowed"] == (allowed or sorted(catalogue.agencies))
    assert parameter in error["detail"]
    page = client.get(url, headers={"Accept": "text/html"})      # a browser: the error page
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert error["detail"] in page.get_data(as_text=True).replace("&#39;", "'")


def test_unknown_format_is_400(client):
    response = client.get("/catalogue/?format=xls")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad-request"


@pytest.mark.parametrize("path", ["/catalogue/", "/agencies/"])
@pytest.mark.parametrize("key, media_type, rdflib_format", RDF_FORMATS)
def test_rdf_variants_parse(client, catalogue, path, key, media_type, rdflib_format):
    by_param = client.get(f"{path}?format={key}")
    by_accept = client.get(path, headers={"Accept": media_type})
    for response in (by_param, by_accept):
        assert response.status_code == 200
        assert response.mimetype == media_type
        assert "Accept" in response.headers["Vary"]
        graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
        if path == "/catalogue/":
            term = rdflib.URIRef(f"{BASE}/id/licence-type/factory-operation")
            assert len(set(graph.subjects(RDF.type, CV.EvidenceType))) == len(catalogue.types)
            titles = {t.language for t in graph.objects(term, DCTERMS.title)}
            assert titles == {"th", "en"}
        else:
            term = rdflib.URIRef(f"{BASE}/id/agency/diw")
            assert len(set(graph.subjects(RDF.type, CV.PublicOrganisation))) \
                == len(catalogue.agencies)
            assert {t.language for t in graph.objects(term, SKOS.prefLabel)} == {"th", "en"}


def test_licence_counts_per_agency(app, catalogue, two_agencies):
    client = app.test_client()
    html = client.get("/agencies/").get_data(as_text=True)
    shown = counts(html)
    assert shown == {code: two_agencies.get(code, 0) for code in catalogue.agencies}
    assert 'data-licences="8"' in html                          # the total row
    graph = rdflib.Graph().parse(data=client.get("/agencies/?format=ttl").data, format="turtle")
    in_rdf = {str(graph.value(d, DCTERMS.publisher)).rsplit("/", 1)[1]: int(n)
              for d, n in graph.subject_objects(VOID.entities)}
    assert in_rdf["diw"] == 5 and in_rdf["fda"] == 3 and in_rdf["dopa"] == 0
    only_regional = counts(client.get("/agencies/?level=regional").get_data(as_text=True))
    assert set(only_regional.values()) == {0} and "diw" not in only_regional


def test_counts_are_cached_until_an_upload_changes_them(app, embedded_repo, catalogue,
                                                       two_agencies, publish):
    client = app.test_client()
    ran = []
    select = embedded_repo.select

    def watching(query, bindings=None):
        if "schema:issuedBy ?issuer" in query:
            ran.append(query)
        return select(query, bindings)

    embedded_repo.select = watching
    try:
        for _ in range(3):
            assert counts(client.get("/agencies/").get_data(as_text=True))["fda"] == 3
        assert len(ran) == 1
        publish(embedded_repo, rows_of(catalogue, "fda", 5, seed=9)[3:], "fda")
        assert counts(client.get("/agencies/").get_data(as_text=True))["fda"] == 5
        assert len(ran) == 2
    finally:
        del embedded_repo.select


@pytest.mark.parametrize("path", ["/catalogue/", "/agencies/"])
def test_pages_are_bilingual_and_script_free(client, path):
    thai = client.get(path)
    english = client.get(path + "?lang=en")
    assert thai.status_code == english.status_code == 200
    assert '<html lang="th">' in thai.get_data(as_text=True)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert ("<h1>ประเภทใบอนุญาต</h1>" if path == "/catalogue/" else "<h1>หน่วยงาน</h1>") in \
        thai.get_data(as_text=True)
    assert ("<h1>Licence types</h1>" if path == "/catalogue/" else "<h1>Agencies</h1>") in \
        english.get_data(as_text=True)
    for response, other in ((thai, "en"), (english, "th")):
        page = response.get_data(as_text=True)
        assert "script-src 'none'" in response.headers["Content-Security-Policy"]
        assert "<script" not in page and "http://" not in page.split("<main>", 1)[1].replace(
            BASE, "")                                           # every asset from this server
        assert f'hreflang="{other}"' in page             # the switch to the other language
        assert client.get(re.search(r'href="(/static/catalogue/[^"]+)"', page)[1]).status_code \
            == 200


def test_pages_link_each_term_iri(client, catalogue):
    types = client.get("/catalogue/?agency=fda").get_data(as_text=True)
    for code in (t.code for t in catalogue.types.values() if "fda" in t.authorities):
        assert f'href="/id/licence-type/{code}?lang=th"' in types      # the page's language kept
    assert 'href="/id/agency/fda?lang=th"' in types
    agencies = client.get("/agencies/?level=regional").get_data(as_text=True)
    assert 'href="/id/agency/chiangmai-industry?lang=th"' in agencies
    assert 'href="/id/agency/diw?lang=th"' in agencies          # chiangmai-industry's parent
    assert client.get("/id/agency/chiangmai-industry").status_code == 303


def test_format_links_keep_the_filters(client):
    page = client.get("/catalogue/?bcg=green&phase=1").get_data(as_text=True)
    link = re.search(r'href="(/catalogue/\?[^"]*format=ttl)"', page)[1].replace("&amp;", "&")
    assert "bcg=green" in link and "phase=1" in link
    graph = rdflib.Graph().parse(data=client.get(link).data, format="turtle")
    assert len(set(graph.subjects(RDF.type, CV.EvidenceType))) == len(codes(page))


# Each column of a code shown as words: (list, data attribute, item field, words table).
WORD_COLUMNS = [("/agencies/", "level", lambda a: a.level, "levels"),
                ("/agencies/", "tier", lambda a: a.tier, "tiers"),
                ("/catalogue/", "phase", lambda t: t.phase, "phases"),
                ("/catalogue/", "eservice", lambda t: t.eservice_level, "eservices")]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("path, attribute, value_of, table", WORD_COLUMNS)
def test_lists_show_codes_as_words_in_the_page_language(client, catalogue, lang, path,
                                                        attribute, value_of, table):
    from web.messages import words

    items, _ = LISTS[path]
    page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
    shown = dict(re.findall(rf'<tr data-code="([a-z0-9-]+)">.*?data-{attribute}="[^"]+">([^<]*)<',
                            page, re.S))
    expected = words(lang, "lists")[table]
    assert shown == {code: expected[value_of(item)] for code, item in items(catalogue).items()}
    options = re.search(rf'<select name="{attribute}">(.*?)</select>', page, re.S)[1]
    assert set(re.findall(r'<option value="[^"]+"[^>]*>([^<]+)<', options)) == \
        {expected[v] for v in expected}


@pytest.mark.parametrize("path", ["/catalogue/", "/agencies/"])
def test_lists_stack_into_labelled_cards_on_a_phone(client, path):
    page = client.get(path).get_data(as_text=True)
    assert '<table class="catalogue stack">' in page
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    first_row = re.search(r'<tr data-code="[^"]+">(.*?)</tr>', page, re.S)[1]
    assert re.findall(r'<td data-label="([^"]+)"', first_row) == headings
