"""Every type of page the site shows a person, in one table (not a test module): what the axe,
width and screenshot tests go through, each page type in Thai and in English.

A page type's path is a template filled from the demo site (tests/support/site.py):
`{licence_active}` and the like are licence pages, `{siam}` the juristic holder with several
licences, `{person}` a natural person (who has no page), `{upload}` the upload that changed two
licences, `{sha256}` the active licence's document. `owner` says whose page it is (issue 12's
helpers; "-" for pages that came before), so a failure says where to look.
"""

from __future__ import annotations

from dataclasses import dataclass

from .site import AGENCY, DOCUMENT_SHA256, PERSON, SHARED_NUMBER, SIAM, Site

LANGUAGES = ("th", "en")
STATUSES = ("active", "suspended", "revoked", "surrendered", "replaced", "expired")


@dataclass(frozen=True)
class PageType:
    name: str
    path: str                  # a template (str.format) over Site values, see path_on
    status: int = 200          # what the page answers
    owner: str = "-"
    screenshot: bool = False   # one of the pages tests/test_site_screenshots.py keeps

    def path_on(self, site: Site) -> str:
        values = {f"licence_{name}": site.licence(name) for name in site.keys}
        values.update(siam=SIAM, person=PERSON, upload=site.uploads[1], sha256=DOCUMENT_SHA256,
                      number=SHARED_NUMBER, agency=AGENCY)
        return self.path.format(**values)

    def url(self, site: Site, lang: str) -> str:
        return site.page(self.path_on(site), lang)


PAGE_TYPES: tuple[PageType, ...] = (
    PageType("home", "/", owner="H6", screenshot=True),
    PageType("search", "/search?q=สยาม", owner="H1"),
    PageType("search-nothing-found", "/search?q=ไม่มีบริษัทนี้", owner="H1"),
    *(PageType(f"licence-{status}", f"{{licence_{status}}}", owner="H4", screenshot=True)
      for status in STATUSES),
    PageType("licence-old-version", "{licence_active}?version=1", owner="H4"),
    PageType("licence-natural-person", "{licence_natural}", owner="H4"),
    PageType("choices", "/resolve?number={number}", status=300, owner="H4"),
    PageType("licence-not-found", "/doc/licence/diw/factory-operation/3-999-1/2560",
             status=404, owner="H3", screenshot=True),
    PageType("holder", "/doc/juristic-person/{siam}", owner="H2", screenshot=True),
    PageType("holder-natural-person", "/doc/juristic-person/{person}", status=404,
             owner="H2"),
    PageType("upload-activity", "/doc/upload/{upload}", owner="H2"),
    PageType("agency", "/doc/agency/{agency}", owner="H5", screenshot=True),
    PageType("licence-type", "/doc/licence-type/hazardous-substance-possession", owner="H5"),
    PageType("catalogue", "/catalogue/", owner="H5"),
    PageType("agencies", "/agencies/", owner="H5"),
    PageType("agency-quality", "/agencies/{agency}/quality", owner="H5 (issue 13)"),
    PageType("dumps", "/dumps/", owner="H4"),
    PageType("stats", "/stats", owner="H35 (issue 17)", screenshot=True),
    PageType("stats-filtered", "/stats?agency={agency}", owner="H35 (issue 17)"),
    PageType("sparql", "/sparql", owner="H4"),
    PageType("feeds", "/feeds/", owner="H6"),
    PageType("verify", "/verify", owner="H3", screenshot=True),
    PageType("verify-result", "/verify?sha256={sha256}", owner="H3", screenshot=True),
    PageType("verify-no-match", "/verify?sha256=" + "0" * 64, status=404, owner="H3"),
    PageType("upload-page", "/upload", owner="H4"),
    PageType("error-not-found", "/no-such-page", status=404, owner="H3", screenshot=True),
    PageType("error-bad-request", "{licence_active}?at=not-a-date", status=400, owner="H3"),
)

SCREENSHOT_TYPES = tuple(page for page in PAGE_TYPES if page.screenshot)


def in_each_language(pages=PAGE_TYPES) -> list[tuple[PageType, str]]:
    """(page type, language) pairs, the parameters of a test over every page type."""
    return [(page, lang) for page in pages for lang in LANGUAGES]


def pair_id(pair: tuple[PageType, str]) -> str:
    page, lang = pair
    return f"{page.name}-{lang}"
