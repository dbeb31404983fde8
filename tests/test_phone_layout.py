"""No page scrolls sideways on a phone (issue 12, item 8): every page type of the site, in Thai
and in English, drawn by Chromium 390 CSS pixels wide (an iPhone 12-15), is no wider than the
viewport. The page types are tests/support/sitepages.py's table; the site is
tests/support/site.py's demo set. A failure names the elements that stick out, so the fix (wrap
the text, or put the table in a scrolling `.table-wrap`, web/static/site.css) is found at once.
Only width here: the crawler, axe and screenshot tests are tests/test_site_*.py."""

from __future__ import annotations

import pytest

from .support.sitepages import in_each_language, pair_id

pytest_plugins = ["tests.support.browser", "tests.support.site"]   # chromium; site

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LOCALES = {"th": "th-TH", "en": "en-US"}

# The document's width against the viewport's, and the elements whose right edge passes the
# viewport (outermost first, at most 8), unless an ancestor clips or scrolls them.
MEASURE = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 1 && !clipped(el) && !wide.some(w => w.el.contains(el)))
      wide.push({el, right: Math.round(box.right)});
    if (wide.length >= 8) break;
  }
  const classes = el => typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el);
  return {scrollWidth: root.scrollWidth, clientWidth: limit,
          wide: wide.map(w => `${name(w.el)} (right edge ${w.right}px)`)};
}"""


@pytest.fixture(scope="module")
def phones(chromium):
    """A phone-sized page per language (one context each), closed after the module."""
    contexts = {lang: chromium.new_context(locale=locale, viewport=PHONE, device_scale_factor=2,
                                           is_mobile=True, has_touch=True)
                for lang, locale in LOCALES.items()}
    yield {lang: context.new_page() for lang, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("pair", in_each_language(), ids=pair_id)
def test_no_page_scrolls_sideways_at_390_pixels(phones, site, pair):
    page_type, lang = pair
    page = phones[lang]
    url = page_type.url(site, lang)
    response = page.goto(url)
    assert response is not None and response.status == page_type.status, (
        f"{page_type.name} ({page_type.owner}) {url} answered "
        f"{response.status if response else None}, not {page_type.status}")
    page.wait_for_load_state("load")
    measured = page.evaluate(MEASURE)
    assert measured["clientWidth"] == PHONE["width"]
    assert measured["scrollWidth"] <= measured["clientWidth"], (
        f"{page_type.name} ({page_type.owner}, {lang}) is {measured['scrollWidth']}px wide at "
        f"{PHONE['width']}px; sticking out: {measured['wide']}")
