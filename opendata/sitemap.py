"""`/robots.txt` and `/sitemap.xml` (SPEC §10): what crawlers may fetch, and every page worth
finding, in the sitemaps.org protocol (https://www.sitemaps.org/protocol.html).

`/sitemap.xml` is a sitemap index: one static sitemap (the home page, the lists, each agency's
and licence type's /doc/ page, the tools) and the licence sitemaps, `/sitemap/licences-{n}.xml`
(n from 1), each the /doc/ pages of at most URLS_PER_FILE current licences in the side index's
stable order (web.searchindex: `count()`, `iris(offset, limit)`). Every URL is absolute, under
the base IRI, percent-encoded (a Thai licence number) and XML-escaped by the serialiser.

The number of URLs per licence sitemap is the protocol's limit, 50,000 (at ~110 bytes a URL,
a file stays far under its 50 MB); `app.config["SITEMAP_URLS_PER_FILE"]` lowers it (tests).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app

from registry.model import Catalogue
from web.page import page_context
from web.searchindex import current_index
from web.state import current_state

bp = Blueprint("sitemap", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000                        # the protocol's limit of URLs in one sitemap
URLS_PER_FILE_SETTING = "SITEMAP_URLS_PER_FILE"
XML = "application/xml"
MAX_AGE = 3600                           # seconds: licences come and go through the day
# The pages of the static sitemap besides each agency's and licence type's.
STATIC_PAGES = ("/", "/catalogue/", "/agencies/", "/verify", "/dumps/", "/sparql", "/feeds/",
                "/stats")
# Characters left as they are in a URL's path and query (RFC 3986 reserved and unreserved, and
# `%` so that an IRI already percent-encoded is not encoded twice); the rest is encoded as UTF-8.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"

# What crawlers are asked to leave alone, and why (RFC 9309; more specific rules win, and the
# Disallow lines come first for the parsers that take the first match):
#   /sparql?   queries: each one costs CPU; the query page itself (/sparql) stays open
#   /api/      the upload API (keyed) and the machine API: not pages
#   /search?   search results: endless combinations; every licence is in the sitemap
#   /verify?   a hash lookup per request; /verify itself stays open
#   /resolve?  number lookups that redirect to pages the sitemap lists
#   /feeds/expiring  a feed per holder or agency: readers subscribe, crawlers need not
#   /stats?    filtered statistics: endless combinations; /stats itself stays open
#   /qr/ /file/      QR images and licence documents: no text worth indexing, and documents
#                    may name natural persons
#   /dumps/licences.  the whole register, gigabytes: the /dumps/ page lists them
#   /credential/ /status/  signed credentials and status lists: for wallets and verifiers; the
#                    first request of each is a signature, and the pages say the same in text
#   /log/      the public log's checkpoint, entries and proofs: for monitors, not readers; every
#                    (start, end) and (index, size) is another URL, and the pages say the entry
ROBOTS_DISALLOW = ("/sparql?", "/api/", "/search?", "/verify?", "/resolve?", "/feeds/expiring",
                   "/qr/", "/file/", "/dumps/licences.", "/credential/", "/status/", "/log/",
                   "/stats?")


def urls_per_file() -> int:
    """URLs per licence sitemap: the app's SITEMAP_URLS_PER_FILE, at most MAX_URLS."""
    asked = current_app.config.get(URLS_PER_FILE_SETTING, MAX_URLS)
    return max(1, min(int(asked), MAX_URLS))


def _base() -> str:
    return current_state().settings.base_iri.rstrip("/")


def absolute_url(base: str, path_or_iri: str) -> str:
    """A URL for a sitemap: absolute (a path is put under `base`) and all ASCII."""
    url = path_or_iri if "://" in path_or_iri else base + path_or_iri
    return quote(url, safe=_URL_SAFE)


def doc_page(base: str, iri: str) -> str:
    """The page of a licence IRI: `{base}/id/…` → `{base}/doc/…`."""
    prefix = base + "/id/"
    return base + "/doc/" + iri[len(prefix):] if iri.startswith(prefix) else iri


def _xml(root: ET.Element) -> Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, content_type=f"{XML}; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def urlset(urls: Iterable[str]) -> ET.Element:
    """A sitemap: <urlset> with one <url><loc> per URL."""
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for url in urls:
        ET.SubElement(ET.SubElement(root, "url"), "loc").text = url
    return root


def sitemap_index(urls: Iterable[str]) -> ET.Element:
    """A sitemap index: <sitemapindex> with one <sitemap><loc> per sitemap."""
    root = ET.Element("sitemapindex", xmlns=SITEMAP_NS)
    for url in urls:
        ET.SubElement(ET.SubElement(root, "sitemap"), "loc").text = url
    return root


def licence_files(count: int, per_file: int) -> int:
    """How many licence sitemaps `count` licences take."""
    return math.ceil(count / per_file)


def static_pages(catalogue: Catalogue) -> list[str]:
    """The paths of the static sitemap: STATIC_PAGES, then each agency's and licence type's."""
    return [*STATIC_PAGES,
            *(f"/doc/agency/{code}" for code in sorted(catalogue.agencies)),
            *(f"/doc/licence-type/{code}" for code in sorted(catalogue.types))]


@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["# Central Licence Catalogue: every page may be crawled; the sitemap lists them all.",
             "User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /", "",
             f"Sitemap: {absolute_url(_base(), '/sitemap.xml')}", ""]
    response = Response("\n".join(lines), content_type="text/plain; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/sitemap.xml")
def index() -> Response:
    base = _base()
    files = licence_files(current_index().count(), urls_per_file())
    paths = ["/sitemap/static.xml", *(f"/sitemap/licences-{n}.xml" for n in range(1, files + 1))]
    return _xml(sitemap_index(absolute_url(base, path) for path in paths))


@bp.get("/sitemap/static.xml")
def static_sitemap() -> Response:
    base = _base()
    catalogue: Catalogue = page_context("th")["catalogue"]
    return _xml(urlset(absolute_url(base, path) for path in static_pages(catalogue)))


@bp.get("/sitemap/licences-<int:number>.xml")
def licences(number: int) -> Response:
    per_file = urls_per_file()
    index = current_index()
    if not 1 <= number <= licence_files(index.count(), per_file):
        abort(404)
    base = _base()
    iris = index.iris((number - 1) * per_file, per_file)
    return _xml(urlset(absolute_url(base, doc_page(base, iri)) for iri in iris))
