"""An agency's page (SPEC §10, issue 12): words not codes, its licence types, its licences paged
and filtered by type and status today, privacy of natural persons, its feed, its contact; bad
parameters are a 400 page for a browser and the JSON error for a client; its RDF stays valid.

One store for the module: 120 licences of diw (three pages of 50), none of any other agency;
the app's clock is fixed, so which licences are expired does not depend on the day the tests run.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

from registry.bootstrap import load_catalogue
from registry.model import CatalogueError, read_catalogue
from registry.paths import CATALOGUE_DIR
from registry.status import effective_status
from resolver.agency import PAGE_SIZE, STATUSES
from web.app import create_app
from web.messages import words

from .support.builders import rows_of
from .support.stores import BASE

TODAY = dt.date(2026, 11, 1)           # the demo rows' own "today": some have expired by then
CV = rdflib.Namespace("http://data.europa.eu/m8g/")
CLC = rdflib.Namespace("https://w3id.org/clc/def#")
DIW_LICENCES = 120
RDF_FORMATS = [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
               ("nt", "application/n-triples", "nt"), ("rdf", "application/rdf+xml", "xml")]
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def diw_rows(module_repo, catalogue, publish):
    rows = rows_of(catalogue, "diw", DIW_LICENCES)
    published = publish(module_repo, rows, "diw")
    return list(zip(rows, published.records, strict=True))


@pytest.fixture(scope="module")
def client(module_repo, diw_rows):
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE},
                     repository=module_repo, clock=lambda: TODAY)
    return app.test_client()


def page(client, url: str, lang: str = "en") -> str:
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}lang={lang}", headers=BROWSER)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def main_text(body: str) -> str:
    """What a reader sees in <main>: the text, tags and attributes left out."""
    inside = body.split("<main>", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", inside))


def row_numbers(body: str) -> list[str]:
    return [html.unescape(n) for n in
            re.findall(r'<td data-label="[^"]+"><a href="/id/licence/[^"]+"><code><bdi>([^<]+)',
                       body)]


def row_statuses(body: str) -> list[str]:
    return re.findall(r'<tr data-status="([a-z]+)">', body)


def total(body: str) -> int:
    found = re.search(r'data-total="(\d+)"', body)
    return int(found[1]) if found else 0


# Words, not codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("code", ["diw", "chiangmai-industry", "bma-bangrak", "rachathewa-sao"])
def test_level_and_tier_are_words_in_the_page_language(client, catalogue, code, lang):
    agency = catalogue.agencies[code]
    t = words(lang, "lists")
    body = page(client, f"/doc/agency/{code}", lang)
    assert f'<html lang="{lang}">' in body
    assert re.search(rf'data-level="{agency.level}">([^<]*)<', body)[1] == t["levels"][agency.level]
    assert re.search(rf'data-tier="{agency.tier}">([^<]*)<', body)[1] == t["tiers"][agency.tier]
    text = main_text(body)
    assert f"ระดับ {agency.level}" not in text and f"Level {agency.level}" not in text
    assert body.count("<h1>") == 1
    if agency.parent:                              # the parent organisation, linked, by name
        parent = catalogue.agencies[agency.parent]
        assert f'href="/id/agency/{parent.code}?lang={lang}"' in body
        assert (parent.label_th if lang == "th" else parent.label_en) in text


@pytest.mark.parametrize("lang", ["th", "en"])
def test_licence_type_page_says_phase_eservice_and_theme_in_words(client, catalogue, lang):
    t = words(lang, "lists", "term")
    for licence_type in catalogue.types.values():
        body = page(client, f"/doc/licence-type/{licence_type.code}", lang)
        assert re.search(r'data-phase="\d">([^<]*)<', body)[1] == t["phases"][licence_type.phase]
        assert re.search(r'data-eservice="L\d">([^<]*)<', body)[1] == \
            t["eservices"][licence_type.eservice_level]
        if licence_type.bcg_theme:
            assert t["themes"][licence_type.bcg_theme] in body
        for code in licence_type.authorities:
            assert f'href="/id/agency/{code}?lang={lang}"' in body


def test_the_agency_lists_its_licence_types_and_offices(client, catalogue):
    body = page(client, "/doc/agency/diw")
    issued = {t.code for t in catalogue.types.values() if "diw" in t.authorities}
    assert set(re.findall(r'<li data-type="([a-z0-9-]+)"><a href="/id/licence-type/\1\?lang=en">',
                          body)) == issued
    assert 'href="/id/agency/chiangmai-industry?lang=en"' in body      # an office under it
    assert "This agency is not the competent authority" in page(client, "/doc/agency/dla")


@pytest.mark.parametrize("code, shown, absent", [
    ("fda", ['href="tel:1556"', 'href="https://www.fda.moph.go.th"', "2101700000"], ["mailto:"]),
    ("diw", ['href="https://www.diw.go.th"', "2200400000"], ["tel:", "mailto:"]),
    ("kkn-city", ["4500101"], ["tel:", "mailto:", 'rel="noopener noreferrer"']),
])
def test_contact_and_website_when_known(client, code, shown, absent):
    body = page(client, f"/doc/agency/{code}")
    assert all(part in body for part in shown)
    assert not any(part in body for part in absent)


# Licences: paging ------------------------------------------------------------------------------

def test_pages_of_fifty_cover_every_licence_once_in_number_order(client, diw_rows):
    pages = [page(client, f"/doc/agency/diw?page={n}") for n in (1, 2, 3)]
    numbers = [row_numbers(body) for body in pages]
    assert [len(n) for n in numbers] == [PAGE_SIZE, PAGE_SIZE, DIW_LICENCES - 2 * PAGE_SIZE]
    assert numbers[0] != numbers[1]
    every = [n for on_page in numbers for n in on_page]
    assert sorted(every) == sorted(record.printed_number for _, record in diw_rows)
    assert len(set(every)) == DIW_LICENCES
    assert all(total(body) == DIW_LICENCES for body in pages)
    assert 'rel="next"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'rel="next"' in pages[1] and 'rel="prev"' in pages[1]
    assert 'rel="next"' not in pages[2] and 'rel="prev"' in pages[2]
    assert "Page 3 of 3" in pages[2]
    assert page(client, "/doc/agency/diw?page=1") == pages[0] == page(client, "/doc/agency/diw")


@pytest.mark.parametrize("url", ["/doc/agency/diw?page=4", "/doc/agency/diw?page=999999999",
                                 "/doc/agency/fda?page=2",
                                 "/doc/agency/diw?status=replaced&page=2"])
def test_a_page_past_the_last_is_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    thai = client.get(url, headers=BROWSER)
    assert thai.status_code == 404 and thai.mimetype == "text/html"
    assert "ไม่มีหน้า" in thai.get_data(as_text=True)


def test_an_agency_without_licences_has_an_empty_first_page(client):
    for lang, text in (("th", "ยังไม่ได้เผยแพร่ใบอนุญาต"), ("en", "not published any licences")):
        body = page(client, "/doc/agency/fda", lang)
        assert text in body and not row_numbers(body)


# Licences: filters -----------------------------------------------------------------------------

def _expected(diw_rows, licence_type=None, status=None) -> set[str]:
    return {record.printed_number for _, record in diw_rows
            if (licence_type is None or record.key.type == licence_type)
            and (status is None
                 or effective_status(record.status, record.valid_until, TODAY) == status)}


def _all_pages(client, query: str) -> tuple[str, list[str]]:
    first = page(client, f"/doc/agency/diw?{query}")
    bodies = [first] + [page(client, f"/doc/agency/diw?{query}&page={n}")
                        for n in range(2, -(-total(first) // PAGE_SIZE) + 1)]
    return first, bodies


FILTER_CASES = [("type", "factory-operation"), ("type", "industrial-waste-removal"),
                ("status", "active"), ("status", "expired"), ("status", "suspended"),
                ("status", "revoked"), ("both", ("factory-operation", "expired")),
                ("both", ("hazardous-substance-possession", "active"))]


@pytest.mark.parametrize("kind, value", FILTER_CASES)
def test_filters_by_type_and_status_today(client, diw_rows, kind, value):
    licence_type, status = (value if kind == "both" else
                            (value, None) if kind == "type" else (None, value))
    expected = _expected(diw_rows, licence_type, status)
    query = "&".join(f"{k}={v}" for k, v in (("type", licence_type), ("status", status)) if v)
    first, bodies = _all_pages(client, query)
    assert total(first) == len(expected)
    shown = [n for body in bodies for n in row_numbers(body)]
    assert set(shown) == expected and len(shown) == len(expected)
    if status:
        assert {s for body in bodies for s in row_statuses(body)} <= {status}
        assert re.search(rf'<option value="{status}" selected>', first)
    if not expected:
        assert "No licence matches these filters" in first


def test_every_status_filter_adds_up_to_the_whole(client, diw_rows):
    by_status = Counter(effective_status(r.status, r.valid_until, TODAY) for _, r in diw_rows)
    assert by_status["expired"] and by_status["active"]        # the clock makes both happen
    for status in STATUSES:
        assert total(page(client, f"/doc/agency/diw?status={status}")) == by_status[status]


def test_pager_and_language_switch_keep_the_filters(client):
    body = page(client, "/doc/agency/diw?type=factory-operation&status=active")
    assert 'href="?type=factory-operation&amp;status=active&amp;lang=th"' in body   # the switch
    body = page(client, "/doc/agency/diw?page=2")
    assert 'href="?lang=en#licences"' in body                              # back to page 1
    assert 'href="?page=3&amp;lang=en#licences"' in body
    assert 'href="?page=2&amp;lang=th"' in body                            # the other language


@pytest.mark.parametrize("query, parameter", [
    ("type=tour-guide", "type"),                    # another agency's type
    ("type=no-such-type", "type"),
    ("type=FACTORY-OPERATION", "type"),
    ("status=valid", "status"),
    ("status=EXPIRED", "status"),
    ("status=active&status=expired", "status"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=two", "page"),
    ("page=%E0%B9%92", "page"),                     # a Thai digit 2
    ("page=1" + "0" * 30, "page"),
    ("page=1&page=2", "page"),
])
def test_bad_parameters_are_400_naming_them(client, query, parameter):
    url = f"/doc/agency/diw?{query}"
    for response in (client.get(url), client.get(url, headers={"Accept": "application/json"})):
        assert response.status_code == 400 and response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert (error["code"], error["parameter"]) == ("bad-request", parameter)
    for lang in ("th", "en"):
        browser = client.get(f"{url}&lang={lang}", headers=BROWSER)
        assert browser.status_code == 400 and browser.mimetype == "text/html"
        body = browser.get_data(as_text=True)
        assert f'<html lang="{lang}">' in body
        detail = re.search(r'class="error-detail"><bdi>([^<]+)', body)
        assert detail, body
        thai = any("\u0e00" <= ch <= "\u0e7f" for ch in detail[1].replace("๒", ""))
        assert thai == (lang == "th")
    turtle = client.get(f"{url}&format=ttl")                  # every format checks them alike
    assert turtle.status_code == 400


# Privacy ---------------------------------------------------------------------------------------

def test_natural_persons_named_only_on_public_registers_and_no_ids(client, catalogue, diw_rows):
    text = "".join(main_text(body) for lang in ("th", "en")
                   for body in _all_pages_in(client, lang))
    hidden = named = 0
    for row, record in diw_rows:
        assert row["holder_id"] not in text                 # no holder's ID, of either kind
        if record.holder_type != "natural":
            continue
        if catalogue.types[record.key.type].public_register:
            named += 1
            assert row["holder_name"] in text and row["holder_name_en"] in text
        else:
            hidden += 1
            assert row["holder_name"] not in text and row["holder_name_en"] not in text
    assert hidden and named, "the data must have both kinds of natural person"


def _all_pages_in(client, lang: str) -> list[str]:
    return [page(client, f"/doc/agency/diw?page={n}", lang) for n in (1, 2, 3)]


def test_juristic_holders_link_to_their_holder_page(client, diw_rows):
    body = "".join(_all_pages_in(client, "en"))
    for row, record in diw_rows:
        if record.holder_type == "juristic":
            assert f'href="/id/juristic-person/{record.holder_id}"' in body
            assert html.escape(row["holder_name_en"]) in body


# Dates and status words ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["th", "en"])
def test_rows_show_status_words_and_dates_as_the_page_language_writes_them(client, diw_rows,
                                                                           lang):
    statuses = words(lang, "licence")["status"]
    body = page(client, "/doc/agency/diw?type=factory-expansion", lang)
    cells = re.findall(r'<tr data-status="([a-z]+)">.*?data-label="[^"]+">([^<]*)</td>\s*'
                       r'<td data-label="[^"]+">([^<]*)</td>\s*</tr>', body, re.S)
    assert cells
    for status, word, until in cells:
        assert word == statuses[status]
        assert not re.fullmatch(r"\d{4}-\d{2}-\d{2}", until)
        if lang == "th" and re.search(r"\d{4}", until):
            assert int(re.search(r"\d{4}", until)[0]) > 2500               # Buddhist Era


# Feed and RDF ----------------------------------------------------------------------------------

def test_feed_links_are_there_and_answer(client):
    body = page(client, "/doc/agency/diw")
    for key, media_type in (("atom", "application/atom+xml"), ("ics", "text/calendar")):
        href = f"/feeds/expiring?issuer=diw&amp;format={key}"
        assert f'<a href="{href}" type="{media_type}">' in body
        assert f'<link rel="alternate" type="{media_type}" href="{href}"' in body
        feed = client.get(html.unescape(href))
        assert feed.status_code == 200 and feed.mimetype == media_type


@pytest.mark.parametrize("key, media_type, rdflib_format", RDF_FORMATS)
def test_agency_rdf_stays_valid_with_its_contact(client, key, media_type, rdflib_format):
    for url in (f"/doc/agency/fda?format={key}", f"/doc/agency/fda?page=1&status=active&"
                                                 f"format={key}"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == media_type
        graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
        fda = rdflib.URIRef(f"{BASE}/id/agency/fda")
        assert (fda, RDF.type, CV.PublicOrganisation) in graph
        assert str(graph.value(fda, DCTERMS.identifier)) == "fda"
        assert {label.language for label in graph.objects(fda, SKOS.prefLabel)} == {"th", "en"}
        contact = graph.value(fda, CV.contactPoint)
        assert str(graph.value(contact, CV.telephone)) == "1556"


def test_the_store_gives_back_every_agency_field(module_repo, catalogue):
    """What the pages read (the store's catalogue) is what agencies.csv says."""
    assert load_catalogue(module_repo).agencies == catalogue.agencies


@pytest.mark.parametrize("column, value", [("email", "not an address"), ("phone", "call us"),
                                           ("homepage", "http://www.diw.go.th")])
def test_contact_fields_are_checked(tmp_path, column, value):
    for name in ("agencies.csv", "licence-types.csv"):
        (tmp_path / name).write_bytes((CATALOGUE_DIR / name).read_bytes())
    source = (tmp_path / "agencies.csv").read_text(encoding="utf-8").splitlines()
    header = source[0].split(",")
    cells = source[1].split(",")
    cells[header.index(column)] = value
    source[1] = ",".join(cells)
    (tmp_path / "agencies.csv").write_text("\n".join(source) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=f"agencies.csv row 2: .*{column}"):
        read_catalogue(tmp_path)
