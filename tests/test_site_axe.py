"""axe-core in Chromium on every page type, in Thai and in English (issue 12, SPEC §10): no
violation of impact serious or critical. The page types are tests/support/sitepages.py's table;
the site is tests/support/site.py's demo set, served once for the session."""

from __future__ import annotations

import pytest

from .support.axe import axe_context, axe_source, blocking, describe, violations
from .support.sitepages import in_each_language, pair_id

pytest_plugins = ["tests.support.browser", "tests.support.site"]   # chromium; site

pytestmark = pytest.mark.browser

LOCALES = {"th": "th-TH", "en": "en-US"}


@pytest.fixture(scope="module")
def axe_pages(chromium):
    """One page per language, in a context that injects axe into every document (CSP set
    aside for axe only); closed after the module."""
    source = axe_source()
    contexts = {lang: axe_context(chromium, source, locale=locale)
                for lang, locale in LOCALES.items()}
    yield {lang: context.new_page() for lang, context in contexts.items()}
    for context in contexts.values():
        context.close()


def test_axe_finds_what_it_should(axe_pages):
    """The check is not vacuous: axe, as injected here, sees an image with no text and a field
    with no label."""
    page = axe_pages["en"]
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><h1>t</h1>'
                     '<img src="data:,"><input type="text"></main></html>')
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    rules = {violation["id"] for violation in blocking(violations(page))}
    assert {"image-alt", "label"} <= rules, rules


@pytest.mark.parametrize("pair", in_each_language(), ids=pair_id)
def test_no_serious_or_critical_violation(axe_pages, site, pair):
    page_type, lang = pair
    page = axe_pages[lang]
    url = page_type.url(site, lang)
    response = page.goto(url)
    assert response is not None and response.status == page_type.status, (
        f"{page_type.name} ({page_type.owner}) {url} answered "
        f"{response.status if response else None}, not {page_type.status}")
    found = blocking(violations(page))
    assert not found, (f"axe on {page_type.name} ({page_type.owner}) in {lang}, {url}:\n"
                       + describe(found))
