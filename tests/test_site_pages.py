"""The site's frame and tools (issue 12, items 1 and 8): the home page in the visitor's language
with its search form, figures and ways in (and drawn when the store is down), the site
stylesheet on every page, /robots.txt, /sitemap.xml and its chunks (sitemaps.org protocol), the
/feeds/ page, and the UTF-8 byte-order mark on CSV downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from lxml import etree

from opendata import sitemap
from opendata.feeds import DEFAULT_DAYS, MAX_DAYS
from ops.demo import demo_rows, rows_to_csv
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.licenceindex import Figures, LicenceIndex
from registry.store.remote import RemoteRepository
from registry.thaiid import with_check_digit
from web.app import create_app
from web.messages import words
from web.state import state_of

from .support.builders import agency_key, post_upload
from .support.stores import BASE, free_port

TODAY = dt.date(2026, 11, 16)
LICENCES = 5
BOM = "\ufeff".encode()


@pytest.fixture(scope="module")
def published(module_repo):
    """An app over a store holding LICENCES licences of diw, sent through the upload API (so
    there is an upload report); the upload's answer and diw's key."""
    catalogue = load_catalogue(module_repo)
    rows = list(demo_rows(catalogue, 40, agency="diw"))[:LICENCES]
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE}, repository=module_repo,
                     clock=lambda: TODAY)
    key = agency_key(module_repo, "diw")
    answer = post_upload(app.test_client(), rows_to_csv(rows), key).get_json()
    assert answer.get("created") == LICENCES, answer
    return app, answer, key, rows


@pytest.fixture
def client(published):
    return published[0].test_client()


class Page(HTMLParser):
    """What the tests read of a page: its <html lang>, <h1> texts, links, stylesheets, forms
    (action, method and field names) and the figures (a data-figure's <dd> text)."""

    def __init__(self, html: str):
        super().__init__()
        self.lang, self.h1, self.links, self.stylesheets = None, [], [], []
        self.forms: list[dict] = []
        self.figures: dict[str, str] = {}
        self._in_h1 = self._in_dd = False
        self._figure: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "a":
            self.links.append(a)
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a["href"])
        elif tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"),
                               "fields": []})
        elif tag in ("input", "select") and self.forms:
            self.forms[-1]["fields"].append(a.get("name"))
        elif tag == "div" and "data-figure" in a:
            self._figure = a["data-figure"]
            self.figures[self._figure] = ""
        elif tag == "dd" and self._figure:
            self._in_dd = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        elif tag == "div":
            self._figure = None
        elif tag == "dd":
            self._in_dd = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data
        if self._figure and self._in_dd:
            self.figures[self._figure] += data


def text(response) -> str:
    """The page's HTML with its character references resolved (`'` is written `&#39;`)."""
    return unescape(response.get_data(as_text=True))


def page(client, path: str, **headers) -> Page:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return Page(response.get_data(as_text=True))


# --- the home page -------------------------------------------------------------------------------

@pytest.mark.parametrize("ask, lang", [
    ({"path": "/?lang=th"}, "th"), ({"path": "/?lang=en"}, "en"),
    ({"path": "/", "Accept-Language": "en-GB,en;q=0.9"}, "en"),
    ({"path": "/", "Accept-Language": "th-TH"}, "th"), ({"path": "/"}, "th"),
])
def test_the_home_page_is_in_the_visitors_language_with_a_switch(client, ask, lang):
    ask = dict(ask)
    home = page(client, ask.pop("path"), **ask)
    t = words(lang, "home")
    assert home.lang == lang and home.h1 == [t["site"]]
    other = "en" if lang == "th" else "th"
    switch = [a for a in home.links if a.get("class") == "lang"]
    assert len(switch) == 1 and switch[0]["href"] == f"?lang={other}"
    assert switch[0]["hreflang"] == other


def test_the_home_page_says_what_the_register_and_a_licence_iri_are(client):
    html = text(client.get("/?lang=en"))
    t = words("en", "home")
    assert t["intro"] in html and t["iri_about"] in html
    assert f"{BASE}/id/licence/{{issuer}}/{{type}}/{{number}}" in html


def test_the_home_page_searches_by_number_id_or_name(client):
    home = page(client, "/?lang=th")
    search = [f for f in home.forms if f["action"] == "/search"]
    assert len(search) == 1 and search[0]["method"] == "get"
    assert search[0]["fields"] == ["q", "lang"]
    assert words("th", "home")["search_help"] in text(client.get("/?lang=th"))


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_home_page_links_every_way_in(client, lang):
    hrefs = {a["href"] for a in page(client, f"/?lang={lang}").links}
    for path in ("/verify", "/catalogue/", "/agencies/", "/sparql", "/dumps/", "/feeds/",
                 "/upload", "/search", "/"):
        assert f"{path}?lang={lang}" in hrefs, path


def test_the_home_page_shows_todays_figures_from_the_side_index(client, published):
    app = published[0]
    with app.test_request_context("/"):
        from web.searchindex import current_index
        expected = current_index().figures(TODAY)
    figures = page(client, "/?lang=en").figures
    assert set(figures) == {"licences", "active", "agencies", "types"}
    shown = {name: int(re.sub(r"\D", "", text)) for name, text in figures.items()}
    assert shown == {"licences": expected.licences, "active": expected.active,
                     "agencies": expected.agencies, "types": expected.types}
    rows = published[3]
    assert shown["licences"] == LICENCES
    assert shown["agencies"] == len({row["issuer"] for row in rows})
    assert shown["types"] == len({row["licence_type"] for row in rows})


def test_the_figures_are_written_with_thousands_separators(client, monkeypatch):
    monkeypatch.setattr(LicenceIndex, "figures",
                        lambda self, today: Figures(1_234_567, 1_234, 12, 345, 99))
    assert page(client, "/?lang=th").figures == {
        "licences": "1,234,567", "active": "1,234", "agencies": "12", "types": "345"}


def test_the_home_page_draws_when_the_store_is_down(tmp_path):
    dead = RemoteRepository.at(f"http://127.0.0.1:{free_port()}", 2)
    app = create_app({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, repository=dead)
    for lang in ("th", "en"):
        response = app.test_client().get(f"/?lang={lang}")
        assert response.status_code == 200
        html = text(response)
        assert words(lang, "home")["figures_missing"] in html
        assert 'class="figures"' not in html and 'action="/search"' in html


# --- the site's stylesheet and nav on every page -------------------------------------------------

@pytest.mark.parametrize("path, status", [
    ("/", 200), ("/?lang=en", 200), ("/feeds/", 200), ("/catalogue/", 200), ("/agencies/", 200),
    ("/dumps/", 200), ("/sparql", 200), ("/upload", 200), ("/no-such-page", 404),
])
def test_every_page_links_the_site_stylesheet_first(client, path, status):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status
    stylesheets = Page(response.get_data(as_text=True)).stylesheets
    assert stylesheets and stylesheets[0] == "/static/site.css", (path, stylesheets)


def test_the_site_stylesheet_is_served(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "overflow-wrap: anywhere" in css and "Loma" in css and ":focus-visible" in css


def test_the_site_nav_is_on_the_pages_with_the_site_header(client):
    hrefs = {a["href"] for a in page(client, "/feeds/?lang=en").links}
    assert {f"{path}?lang=en" for path in ("/", "/search", "/verify", "/catalogue/",
                                           "/agencies/", "/sparql", "/dumps/", "/feeds/",
                                           "/upload")} <= hrefs


# --- robots.txt ----------------------------------------------------------------------------------

def test_robots_allows_pages_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and f"Sitemap: {BASE}/sitemap.xml" in lines
    allowed = ["/", "/doc/licence/diw/factory-operation/1-2560", "/id/agency/diw", "/catalogue/",
               "/sparql", "/verify", "/feeds/", "/dumps/", "/static/site.css", "/sitemap.xml"]
    refused = ["/sparql?query=ASK%7B%7D", "/api/v1/uploads", "/search?q=x", "/verify?sha256=00",
               "/feeds/expiring?issuer=diw", "/dumps/licences.nt.gz", "/qr/licence/diw/x/1",
               "/credential/licence/diw/x/1", "/status/revocation/0", "/log/checkpoint",
               "/log/entries?start=0&end=1"]
    for path in allowed:
        assert may_crawl(lines, path), path
    for path in refused:
        assert not may_crawl(lines, path), path


def may_crawl(lines: list[str], path: str) -> bool:
    """RFC 9309 §2.2.2 for the group `*` (the only one): the longest matching Allow or Disallow
    path wins, Allow on a tie; no match allows. (Python's robotparser takes the first match and
    drops a trailing `?`, unlike the RFC and the big crawlers.)"""
    rules = []
    for line in lines:
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field in ("allow", "disallow") and value and path.startswith(value):
            rules.append((len(value), field == "allow"))
    return max(rules, default=(0, True))[1]


# --- the sitemaps (https://www.sitemaps.org/protocol.html) -------------------------------------

# The protocol's schemas (sitemaps.org/schemas/sitemap/0.9/sitemap.xsd and siteindex.xsd), the
# parts the register writes: <loc> is required, an absolute URI of at most 2,048 characters.
_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:element name="urlset"><xsd:complexType><xsd:sequence>
    <xsd:element name="url" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
      <xsd:element name="loc" type="tLoc"/>
      <xsd:element name="lastmod" type="xsd:string" minOccurs="0"/>
      <xsd:element name="changefreq" type="xsd:string" minOccurs="0"/>
      <xsd:element name="priority" type="xsd:decimal" minOccurs="0"/>
    </xsd:sequence></xsd:complexType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="sitemapindex"><xsd:complexType><xsd:sequence>
    <xsd:element name="sitemap" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
      <xsd:element name="loc" type="tLoc"/>
      <xsd:element name="lastmod" type="xsd:string" minOccurs="0"/>
    </xsd:sequence></xsd:complexType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:simpleType name="tLoc"><xsd:restriction base="xsd:anyURI">
    <xsd:minLength value="12"/><xsd:maxLength value="2048"/>
  </xsd:restriction></xsd:simpleType>
</xsd:schema>"""
SCHEMA = etree.XMLSchema(etree.fromstring(_XSD.encode()))
NS = {"s": sitemap.SITEMAP_NS}


def sitemap_locs(client, path: str, root: str) -> list[str]:
    """The <loc>s of the sitemap at `path`, checked against the protocol: well-formed UTF-8,
    the schema, the root element, at most 50,000 URLs and 50 MB, every URL absolute, ASCII,
    under the base IRI."""
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml", path
    body = response.data
    assert len(body) <= 50 * 1024 * 1024
    tree = etree.fromstring(body)
    SCHEMA.assertValid(tree)
    assert tree.tag == f"{{{sitemap.SITEMAP_NS}}}{root}"
    locs = [loc.text for loc in tree.iterfind("s:*/s:loc", NS)]
    assert len(locs) <= 50_000
    assert all(loc.isascii() and loc.startswith(BASE + "/") for loc in locs), locs
    return locs


def current_doc_pages(app) -> set[str]:
    with app.test_request_context("/"):
        from web.searchindex import current_index
        index = current_index()
        return {sitemap.absolute_url(BASE, sitemap.doc_page(BASE, iri))
                for iri in index.iris(0, index.count())}


def test_the_sitemap_index_lists_the_static_sitemap_and_one_licence_sitemap(client, published):
    locs = sitemap_locs(client, "/sitemap.xml", "sitemapindex")
    assert locs == [f"{BASE}/sitemap/static.xml", f"{BASE}/sitemap/licences-1.xml"]
    pages = sitemap_locs(client, "/sitemap/licences-1.xml", "urlset")
    assert len(pages) == LICENCES and set(pages) == current_doc_pages(published[0])
    assert all(p.startswith(f"{BASE}/doc/licence/") for p in pages)
    assert client.get("/sitemap/licences-2.xml").status_code == 404
    assert client.get("/sitemap/licences-0.xml").status_code == 404


@pytest.mark.parametrize("per_file", [1, 2, 3, LICENCES, LICENCES + 1])
def test_licence_sitemaps_come_in_chunks_that_cover_every_licence_once(published, per_file):
    app = published[0]
    app.config[sitemap.URLS_PER_FILE_SETTING] = per_file
    try:
        client = app.test_client()
        files = math.ceil(LICENCES / per_file)
        locs = sitemap_locs(client, "/sitemap.xml", "sitemapindex")
        assert locs[1:] == [f"{BASE}/sitemap/licences-{n}.xml" for n in range(1, files + 1)]
        seen: list[str] = []
        for n in range(1, files + 1):
            chunk = sitemap_locs(client, f"/sitemap/licences-{n}.xml", "urlset")
            assert 1 <= len(chunk) <= per_file
            seen += chunk
        assert len(seen) == len(set(seen)) == LICENCES
        assert set(seen) == current_doc_pages(app)
        assert client.get(f"/sitemap/licences-{files + 1}.xml").status_code == 404
    finally:
        del app.config[sitemap.URLS_PER_FILE_SETTING]


def test_no_licence_sitemap_holds_more_than_the_protocol_allows(published):
    app = published[0]
    with app.test_request_context("/"):
        assert sitemap.urls_per_file() == sitemap.MAX_URLS == 50_000
        app.config[sitemap.URLS_PER_FILE_SETTING] = 10**9
        assert sitemap.urls_per_file() == 50_000
        del app.config[sitemap.URLS_PER_FILE_SETTING]


def test_the_static_sitemap_lists_the_pages_agencies_and_licence_types(client, published):
    locs = sitemap_locs(client, "/sitemap/static.xml", "urlset")
    catalogue = load_catalogue(state_of(published[0]).repository)
    expected = {BASE + path for path in ("/", "/catalogue/", "/agencies/", "/verify", "/dumps/",
                                         "/sparql", "/feeds/", "/stats")}
    expected |= {f"{BASE}/doc/agency/{code}" for code in catalogue.agencies}
    expected |= {f"{BASE}/doc/licence-type/{code}" for code in catalogue.types}
    assert set(locs) == expected and len(locs) == len(expected)
    for path in ("/", "/doc/agency/diw", "/doc/licence-type/factory-operation"):
        assert client.get(path).status_code == 200, path


def test_a_thai_licence_number_is_percent_encoded_in_the_sitemap():
    iri = identifiers.licence_iri(BASE, identifiers.licence_key("diw", "factory-operation",
                                                                "ก.1/2567"))
    url = sitemap.absolute_url(BASE, sitemap.doc_page(BASE, iri))
    assert url.isascii() and url.startswith(f"{BASE}/doc/licence/diw/factory-operation/")
    assert sitemap.absolute_url(BASE, url) == url           # already encoded: left alone
    written = ElementTree.tostring(sitemap.urlset([f"{BASE}/?a=1&b=<2>"]))
    assert b"a=1&amp;b=&lt;2&gt;" in written                # escaped by the serialiser


# --- the expiry feeds' page ----------------------------------------------------------------------

def test_the_feeds_page_explains_and_builds_a_holders_feed(client):
    holder = with_check_digit("010555800123")
    response = client.get("/feeds/", query_string={"lang": "en", "holder": holder, "days": "30"})
    assert response.status_code == 200
    built = [a["href"] for a in Page(response.get_data(as_text=True)).links
             if a.get("data-format")]
    assert [urlsplit(url).path for url in built] == ["/feeds/expiring"] * 2
    assert all(url.startswith(BASE) for url in built)
    assert [parse_qs(urlsplit(url).query) for url in built] == [
        {"holder": [holder], "days": ["30"], "format": [name]} for name in ("atom", "ics")]


def test_the_feeds_page_builds_an_agencys_feed_that_answers(client):
    response = client.get("/feeds/", query_string={"lang": "th", "issuer": "diw",
                                                   "type": "factory-operation"})
    assert response.status_code == 200
    atom = next(a["href"] for a in Page(response.get_data(as_text=True)).links
                if a.get("data-format") == "atom")
    answer = client.get(atom.removeprefix(BASE))
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"


JURISTIC = with_check_digit("010555800123")
WRONG_CHECK_DIGIT = JURISTIC[:-1] + str((int(JURISTIC[-1]) + 1) % 10)


@pytest.mark.parametrize("query, problem", [
    ({"holder": "123"}, "holder_digits"),
    ({"holder": with_check_digit("310010045678")}, "holder_natural"),
    ({"holder": WRONG_CHECK_DIGIT}, "holder_check"),
    ({"issuer": "no-such-agency"}, "issuer"),
    ({"issuer": "diw", "type": "no-such-type"}, "type"),
    ({"issuer": "diw", "days": "400"}, "days"),
    ({"issuer": "diw", "days": "x"}, "days"),
    ({"issuer": "diw", "holder": with_check_digit("010555800123")}, "one_of"),
])
@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_feeds_page_says_what_is_wrong_in_the_visitors_language(client, query, problem,
                                                                     lang):
    response = client.get("/feeds/", query_string={"lang": lang, **query})
    assert response.status_code == 400
    assert words(lang, "feedspage")["problem"][problem] in text(response)


def test_the_feeds_page_words_state_the_feeds_limits():
    for lang in ("th", "en"):
        how = " ".join(words(lang, "feedspage")["how"])
        assert str(DEFAULT_DAYS) in how and str(MAX_DAYS) in how


# --- CSV downloads carry a UTF-8 byte-order mark, for Excel ---------------------------------------

def test_the_csv_template_starts_with_a_bom(client):
    response = client.get("/upload/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(BOM) and not response.data.startswith(BOM + BOM)
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:3] == ["licence_number", "licence_type", "issuer"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    again = client.get("/upload/template.csv", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_upload_report_csv_starts_with_a_bom(client, published):
    _, answer, key, _ = published
    response = client.get(f"/api/v1/uploads/{answer['upload_id']}/report.csv",
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.data.startswith(BOM)
    assert response.data.decode("utf-8-sig").startswith("row,field,rule,severity")


SELECT = ("SELECT ?label WHERE { GRAPH ?g { ?a a <http://www.w3.org/ns/org#Organization> ; "
          "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label FILTER(lang(?label) = 'th') } }"
          " LIMIT 3")


def test_a_sparql_csv_download_starts_with_a_bom(client):
    response = client.get("/sparql", query_string={"query": SELECT, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(BOM)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["label"]


def test_sparql_csv_asked_for_by_a_program_has_no_bom(client):
    response = client.get("/sparql", query_string={"query": SELECT},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Disposition" not in response.headers
    assert response.data.startswith(b"label\r\n")
    tsv = client.get("/sparql", query_string={"query": SELECT, "format": "tsv"})
    assert tsv.data.startswith(b"?label")
