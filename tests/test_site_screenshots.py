"""Screenshots of the pages a person meets first (issue 12): home, the licence page in each
status, the holder, the agency, verify (form and result) and the not-found pages; Thai on a
390 px phone, English on a 1280 px screen; each compared with its baseline in tests/screenshots/
(tolerance and regeneration: tests/support/screenshots.py), and each drawn with a clean console.
The demo site is fixed, today included (tests/support/site.py), so nothing on these pages
changes between runs. (No sideways scrolling at 390 px: tests/test_phone_layout.py.)"""

from __future__ import annotations

import pytest

from .support.browser import STATUS_LOG, watched_page
from .support.screenshots import assert_matches_baseline, updating
from .support.sitepages import SCREENSHOT_TYPES, pair_id

pytest_plugins = ["tests.support.browser", "tests.support.site"]   # chromium; site

pytestmark = pytest.mark.browser

SCREENS = {"th": ("th-TH", 390, 844), "en": ("en-US", 1280, 900)}


@pytest.fixture(scope="module")
def screens(chromium):
    """One page per language at its screen's size; closed after the module."""
    pages = {lang: watched_page(chromium, locale=locale, width=width, height=height)
             for lang, (locale, width, height) in SCREENS.items()}
    yield pages
    for page in pages.values():
        page.context.close()


def picture(page, url: str) -> bytes:
    del page.errors[:]
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    png = page.screenshot(full_page=True, animations="disabled", caret="hide")
    # Drawn as the page's CSP allows: no refused style or script, no missing stylesheet. (A
    # page answering 4xx on purpose makes Chromium log its status: that line is no error.)
    errors = [error for error in page.errors if STATUS_LOG not in error]
    assert not errors, f"{url}: {errors}"
    return png


@pytest.mark.parametrize("pair", [(page, lang) for page in SCREENSHOT_TYPES for lang in SCREENS],
                         ids=pair_id)
def test_page_looks_as_kept(screens, site, tmp_path, pair):
    page_type, lang = pair
    page = screens[lang]
    url = page_type.url(site, lang)
    png = picture(page, url)
    if updating():        # a baseline must be the same picture twice: nothing left to chance
        assert picture(page, url) == png, f"{page_type.name} {lang} draws differently twice"
    width = SCREENS[lang][1]
    assert_matches_baseline(png, f"{page_type.name}-{lang}-{width}", tmp_path)
