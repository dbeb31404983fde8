"""A crawler of the site as a person meets it (not a test module): from a start page, every
link within the site (`a[href]` as Chromium resolves it; a form's GET action is not a link),
breadth first, to a depth.

Each link is one of:
- a page: asked for as a browser asks (its Accept and language) with a plain request, which
  must answer 200 (or the 300 choices page) with HTML; LINKS_PER_KIND links of each kind (same
  first path segments and query names: 35 agency pages are one kind) are checked. The first
  PAGES_PER_KIND of a kind are opened in Chromium, and so is any other whose links lead to a
  kind not met yet (the one agency page that lists licences, say), where the
  document must have a <title>, `<html lang>` in the crawl's language (or the one its ?lang=
  asks for), exactly one h1 and no skipped heading level, and load with no console error, CSP
  violation or failed subresource; their links are followed while the depth allows;
- a download (RDF, feeds, CSV, dumps, QR codes: `?format=`, a file name's extension, the
  `download` or a non-HTML `type` attribute): one plain request, 200 and the media type the
  link promises (its `type`, or for a record's `?format=` the RDF type), never HTML; one link
  per kind of download and format;
- elsewhere (another site, or a redirect to one, as a licence's document is): not followed.

The register's IRIs are minted under the stores' BASE, which is not this server's address:
pages link them as they are, so links under BASE count as the site's own.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from .browser import watched_page
from .site import Site

BROWSER_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                  "image/webp,image/apng,*/*;q=0.8")
LOCALES = {"th": "th-TH", "en": "en-US"}
PAGES_PER_KIND = 3          # opened in Chromium, of each kind of page (and those leading on)
LINKS_PER_KIND = 40         # checked with a plain request, of each kind of page
MAX_PAGES = 90              # opened in Chromium, per crawl
MAX_LINKS = 500             # links checked at all, per crawl
PAGE_STATUSES = (200, 300)
# What a record's `?format=` promises (web/conneg.py FORMATS); the SPARQL endpoint's formats
# are its results' own types, told by the endpoint's tests.
FORMAT_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json",
                "nt": "application/n-triples", "rdf": "application/rdf+xml"}
PACKED = {".gz": "application/gzip", ".zip": "application/zip"}   # a dump file, packed
FILE_EXTENSIONS = (".ttl", ".jsonld", ".json", ".nt", ".nq", ".rdf", ".xml", ".csv", ".tsv",
                   ".gz", ".svg", ".png", ".ics", ".atom", ".txt", ".zip", ".pdf")
FILE_PATHS = ("/qr/", "/file/")      # a QR image; a licence's document (a redirect away)
HEADINGS = """() => ({
    lang: document.documentElement.getAttribute('lang') || '',
    title: document.title.trim(),
    h1: document.querySelectorAll('h1').length,
    levels: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]),
})"""
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => ({
    href: a.href, download: a.hasAttribute('download'), type: a.getAttribute('type') || ''}))"""


Answer = tuple[requests.Response, str]       # the last answer and its URL (after redirects)


@dataclass(frozen=True)
class Link:
    url: str                  # on this server, without its #fragment
    via: str                  # the page it was found on
    download: bool = False
    promised_type: str = ""   # the type attribute, or what ?format= promises


@dataclass
class Shared:
    """What the crawls of one site learn once: each link's plain answer (whether it works and
    its type do not depend on the language), and the links of each page opened whose URL says
    its language (`?lang=`: the same page whichever crawl opens it). Every page type is drawn
    in both languages by the axe and phone tests besides."""

    answers: dict[str, Answer] = field(default_factory=dict)       # url -> plain answer
    links: dict[str, list[dict]] = field(default_factory=dict)     # url -> its links


@dataclass
class Crawl:
    lang: str
    shared: Shared
    pages_opened: list[str] = field(default_factory=list)        # by this crawl or another
    links_checked: dict[str, int] = field(default_factory=dict)     # url -> status
    downloads: dict[str, str] = field(default_factory=dict)         # url -> media type
    elsewhere: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def crawl(chromium, site: Site, lang: str, depth: int = 3, shared: Shared | None = None
          ) -> Crawl:
    """Crawl from `/?lang={lang}` in a browser whose language is `lang`, to `depth` links,
    learning from and adding to `shared` (what another crawl of the site found)."""
    found = Crawl(lang, shared or Shared())
    page = watched_page(chromium, locale=LOCALES[lang])
    session = requests.Session()
    session.headers.update({"Accept": BROWSER_ACCEPT, "Accept-Language": LOCALES[lang]})
    start = Link(site.page("/", lang), "(start)")
    queue: deque[tuple[Link, int]] = deque([(start, 0)])
    seen: set[tuple] = set()
    known_kinds = {link_kind(start)}
    opened_by_kind: dict[tuple, int] = {}
    checked_by_kind: dict[tuple, int] = {}
    try:
        while queue and len(found.links_checked) < MAX_LINKS:
            link, level = queue.popleft()
            key = dedupe_key(link)
            if key in seen:
                continue
            seen.add(key)
            if link.download:
                check_download(session, site, link, found)
                continue
            kind = kind_of(link.url)
            if checked_by_kind.get(kind, 0) >= LINKS_PER_KIND:
                continue
            checked_by_kind[kind] = checked_by_kind.get(kind, 0) + 1
            answer = check_page_answer(session, site, link, found)
            if answer is None or len(found.pages_opened) >= MAX_PAGES:
                continue
            if opened_by_kind.get(kind, 0) >= PAGES_PER_KIND:
                at, html = answer
                links_here, _ = classify(site, links_in(html), at)
                if level >= depth or {link_kind(ln) for ln in links_here} <= known_kinds:
                    continue
            opened_by_kind[kind] = opened_by_kind.get(kind, 0) + 1
            links, elsewhere = classify(site, open_page(page, link, lang, found), link.url)
            found.elsewhere |= elsewhere
            if level < depth:
                known_kinds.update(link_kind(next_link) for next_link in links)
                queue.extend((next_link, level + 1) for next_link in links)
    finally:
        page.context.close()
        session.close()
    return found


def link_kind(link: Link) -> tuple:
    return ("download", *dedupe_key(link)[1:]) if link.download else ("page", kind_of(link.url))


class LinkParser(HTMLParser):
    """The links of a page's HTML, as the LINKS script gives them from a document."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append({"href": found["href"], "download": "download" in found,
                               "type": found.get("type") or ""})


def links_in(html: str) -> list[dict]:
    parser = LinkParser()
    parser.feed(html)
    return parser.links


def dedupe_key(link: Link) -> tuple:
    """A page by path and query; a download by its kind and format (one of each is enough)."""
    parts = urlsplit(link.url)
    if link.download:
        query = dict(parse_qsl(parts.query))
        return ("download", kind_of(link.url), query.get("format", ""),
                parts.path.rsplit(".", 1)[-1] if "." in parts.path.rsplit("/", 1)[-1] else "")
    return ("page", parts.path, parts.query)


def kind_of(url: str) -> tuple:
    """Pages of one kind: the first two path segments and the query's names (lang aside)."""
    parts = urlsplit(url)
    segments = tuple(parts.path.strip("/").split("/")[:2])
    names = tuple(sorted({name for name, _ in parse_qsl(parts.query) if name != "lang"}))
    return segments, names


def classify(site: Site, raw_links: list[dict], via: str) -> tuple[list[Link], set[str]]:
    """The links within the site (pages and downloads), and those elsewhere."""
    links, elsewhere = [], set()
    for raw in raw_links:
        href = urljoin(via, raw["href"]).split("#", 1)[0]
        if not href.startswith(("http://", "https://")):
            continue                                   # mailto:, tel:, data:
        local = site.local(href)
        if local is None:
            elsewhere.add(href)
            continue
        parts = urlsplit(local)
        format_name = dict(parse_qsl(parts.query)).get("format", "")
        promised = raw["type"] if raw["type"] and raw["type"] != "text/html" else ""
        if not promised and not parts.path.startswith("/sparql"):
            promised = FORMAT_TYPES.get(format_name, "")
        download = bool(raw["download"] or promised or (format_name and format_name != "html")
                        or parts.path.lower().endswith(FILE_EXTENSIONS)
                        or parts.path.startswith(FILE_PATHS))
        links.append(Link(local, via, download, promised))
    return links, elsewhere


def fetch(session: requests.Session, site: Site, url: str, answers: dict[str, Answer],
          body: bool = False) -> Answer:
    """GET `url` (once: `answers` keeps it), following redirects only within the site: the
    last answer and its URL. Only with `body` is an HTML body read (a download's status and
    headers are all a check needs)."""
    if url not in answers:
        answers[url] = fetch_now(session, site, url, body)
    return answers[url]


def fetch_now(session: requests.Session, site: Site, url: str, body: bool) -> Answer:
    for _ in range(5):
        response = session.get(url, allow_redirects=False, stream=True, timeout=30)
        if body and media_type(response) == "text/html":
            response.content                   # noqa: B018 — read it now, while it is open
        response.close()
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            return response, url
        target = site.local(urljoin(url, location))
        if target is None:
            return response, url               # a redirect away: not ours to follow
        url = target
    return response, url


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip()


def check_download(session: requests.Session, site: Site, link: Link, found: Crawl) -> None:
    response, _ = fetch(session, site, link.url, found.shared.answers)
    found.links_checked[link.url] = response.status_code
    if response.is_redirect:                     # to another site (a licence's document)
        found.elsewhere.add(response.headers["Location"])
        return
    answered = media_type(response)
    found.downloads[link.url] = answered
    if response.status_code != 200:
        found.problems.append(f"download {link.url} answered {response.status_code} "
                              f"(linked from {link.via})")
    elif answered == "text/html" or not promise_kept(link, answered):
        found.problems.append(f"download {link.url} answered {answered}, not "
                              f"{link.promised_type or 'a file'} (linked from {link.via})")


def promise_kept(link: Link, answered: str) -> bool:
    """The download is of the type its link says (a dump's file may be packed: `.nt.gz`)."""
    path = urlsplit(link.url).path
    packed = next((kind for ending, kind in PACKED.items() if path.endswith(ending)), None)
    return not link.promised_type or answered in (link.promised_type, packed)


def check_page_answer(session: requests.Session, site: Site, link: Link,
                      found: Crawl) -> tuple[str, str] | None:
    """The plain request's check of a page link: the page's URL (after redirects) and HTML,
    or None when it is broken, not HTML or elsewhere."""
    response, at = fetch(session, site, link.url, found.shared.answers, body=True)
    found.links_checked[link.url] = response.status_code
    if response.is_redirect:
        found.elsewhere.add(response.headers["Location"])
        return None
    answered = media_type(response)
    if response.status_code not in PAGE_STATUSES:
        found.problems.append(f"broken link: {link.url} answered {response.status_code} "
                              f"(linked from {link.via})")
        return None
    if answered != "text/html":
        found.problems.append(f"not HTML to a browser: {link.url} answered {answered} "
                              f"(linked from {link.via})")
        return None
    return at, response.text


def open_page(page, link: Link, lang: str, found: Crawl) -> list[dict]:
    """Open the page in Chromium, check its document, and return its links (a page whose URL
    says its language: once for all crawls)."""
    found.pages_opened.append(link.url)
    explicit = "lang" in dict(parse_qsl(urlsplit(link.url).query))
    if explicit and link.url in found.shared.links:
        return found.shared.links[link.url]
    links = open_now(page, link, lang, found)
    if explicit:
        found.shared.links[link.url] = links
    return links


def open_now(page, link: Link, lang: str, found: Crawl) -> list[dict]:
    del page.errors[:]
    page.goto(link.url)
    wanted = dict(parse_qsl(urlsplit(link.url).query)).get("lang", lang)
    for problem in document_problems(page.evaluate(HEADINGS), wanted):
        found.problems.append(f"{link.url}: {problem} (linked from {link.via})")
    # A subresource still loading when the crawl moves on is aborted by the crawl, not broken.
    found.problems.extend(f"{link.url}: {error}" for error in page.errors
                          if not error.endswith("net::ERR_ABORTED"))
    return page.evaluate(LINKS)


def document_problems(doc: dict, lang: str) -> list[str]:
    problems = []
    if not doc["title"]:
        problems.append("no <title>")
    if doc["lang"] != lang:
        problems.append(f"<html lang={doc['lang']!r}>, not {lang!r}")
    if doc["h1"] != 1:
        problems.append(f"{doc['h1']} h1 elements, not one")
    levels = doc["levels"]
    if levels and levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}, not h1")
    for before, after in zip(levels, levels[1:], strict=False):
        if after > before + 1:
            problems.append(f"h{before} then h{after} (headings {levels})")
            break
    return problems
