"""The site crawled in Chromium from its home page, as a person clicking through it (issue 12,
SPEC §10): every link within the site, to depth 3, from `/?lang=th` and from `/?lang=en`.
0 broken links; 0 answers to a browser's navigation that are not HTML (RDF, feeds, CSV, dumps
and QR links are downloads, checked with a plain request for 200 and their type); every page
opened has a title, `<html lang>`, one h1, no skipped heading level and a clean console.
How the crawl is bounded: tests/support/crawler.py."""

from __future__ import annotations

import pytest

from .support.crawler import Shared, crawl

pytest_plugins = ["tests.support.browser", "tests.support.site"]   # chromium; site

pytestmark = pytest.mark.browser

# What the home page leads to within three links, at the least: a crawl that finds less has
# lost its way (a home page with no links is the dead end issue 12 starts from). The home
# page links the tools; agency pages list their licences (by /id/ or /doc/ IRI).
AT_LEAST_PAGES = 15
REACHED = ("/catalogue/", "/agencies/", "/dumps/", "/sparql", "/verify", "/upload", "/feeds/",
           "/licence/", "/agency/", "/licence-type/")


@pytest.fixture(scope="module")
def shared():
    """What the two crawls learn once (tests/support/crawler.py Shared)."""
    return Shared()


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_link_within_three_clicks_works(chromium, site, shared, lang):
    found = crawl(chromium, site, lang, depth=3, shared=shared)
    summary = (f"{lang}: {len(found.pages_opened)} pages opened in Chromium, "
               f"{len(found.links_checked)} links checked, {len(found.downloads)} downloads, "
               f"{len(found.elsewhere)} links elsewhere")
    print(summary)
    assert not found.problems, summary + "\n" + "\n".join(found.problems)
    assert len(found.pages_opened) >= AT_LEAST_PAGES, summary
    reached = " ".join(found.links_checked)
    missing = [path for path in REACHED if f"{site.url}{path}" not in reached
               and f"/doc{path}" not in reached and f"/id{path}" not in reached]
    assert not missing, f"not reached from the home page within three links: {missing}"
