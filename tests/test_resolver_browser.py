"""The licence page (SPEC §6) in a real Chromium (Playwright) against the app served on loopback:
Thai text drawn with a Thai font, the revoked banner in the first screen of a phone, a clean
console under the page's CSP, a QR code that a real decoder reads back as the licence's URI, no
sideways scrolling on a phone, and the language switch.

Screenshots go to /tmp/licence-page-*.png (or $LICENCE_PAGE_SCREENSHOTS).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from registry import identifiers
from web.messages import words

from .support.browser import fits_width
from .support.builders import licence_path
from .support.stores import BASE
from .support.thaifonts import assert_thai_drawn, has_ink, thai_fonts

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("LICENCE_PAGE_SCREENSHOTS", "/tmp"))
PHONE = {"width": 390, "height": 844}
REVOKED_RED = "rgb(161, 22, 27)"                # --bad in resolver.css


def shot(name: str) -> str:
    return str(SCREENSHOTS / f"licence-page-{name}.png")


def url(live_server: str, key, query: str = "") -> str:
    return live_server + licence_path("doc", key) + query


# The tests here only read: one app and set of licences for the module (tests/conftest.py).
@pytest.fixture(scope="module")
def app(module_app):
    return module_app


@pytest.fixture(scope="module")
def licences(module_licences):
    return module_licences


# --- 1. Thai text renders ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["thai", "public"])
def test_thai_page_renders_thai_text(open_page, live_server, licences, catalogue, which):
    keys, rows = licences
    key = keys[which]
    holder = rows["public"]["holder_name"]         # the Thai-number licence is a copy of it
    title = catalogue.types[key.type].title_th
    page = open_page()
    page.goto(url(live_server, key, "?lang=th"))
    assert page.get_attribute("html", "lang") == "th"

    banner = page.locator("section.banner")
    status = banner.get_attribute("data-status")
    assert banner.locator(".status-word").inner_text() == words("th", "licence")["status"][status]
    covering = thai_fonts()
    assert_thai_drawn(page, "section.banner .status-word", words("th", "licence")["status"][status],
                      covering)
    assert_thai_drawn(page, "h1 .kind", title, covering)
    facts = page.locator("dl.facts")
    holder_dd = facts.locator("dt", has_text=words("th", "licence")["holder"]).locator("+ dd")
    assert holder_dd.inner_text().startswith(holder)
    type_dd = facts.locator("dt", has_text=words("th", "licence")["type"]).locator("+ dd")
    assert type_dd.inner_text() == title
    number = "จ3-106-12/2560" if which == "thai" else rows["public"]["licence_number"]
    assert page.locator("h1 .number").inner_text() == number
    assert identifiers.licence_iri(BASE, key) == page.locator("code.iri").inner_text()

    page.screenshot(path=shot(f"{which}-th"), full_page=True)
    assert has_ink(page.screenshot())
    assert page.errors == []


# --- 2. The revoked banner, first screen of a phone, both languages ------------------------------


@pytest.mark.parametrize("lang, word", [("th", "ถูกเพิกถอน"), ("en", "Revoked")])
def test_revoked_banner_is_prominent_on_a_phone(open_page, live_server, licences, lang, word):
    keys, rows = licences
    page = open_page(**PHONE)
    page.goto(url(live_server, keys["revoked"], f"?lang={lang}"))
    banner = page.locator('[data-status="revoked"]')
    assert banner.count() == 1 and banner.is_visible()
    assert banner.locator(".status-word").inner_text() == word
    assert rows["revoked"]["status_reason"] in banner.inner_text()
    box = banner.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box  # no scrolling
    assert box["width"] >= PHONE["width"] * 0.8, box                           # full width
    assert box["y"] < page.locator("h1").bounding_box()["y"]                   # before the rest
    style = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    assert style == REVOKED_RED
    size = banner.locator(".status-word").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24
    page.screenshot(path=shot(f"revoked-phone-{lang}"))
    assert page.errors == []


# --- 3. A clean console under the page's CSP ----------------------------------------------------


def test_no_console_errors_failed_requests_or_csp_violations(open_page, live_server, licences):
    keys, _ = licences
    missing = live_server + identifiers.iri_to_uri("/doc/licence/diw/factory-operation/"
                                                   "จ3-106-13/2560")     # did you mean …12/2560
    page = open_page(refused_documents=[missing + "?lang=th", missing + "?lang=en"])
    visited = []
    for name in ("public", "restricted", "revoked", "bare", "thai", "twin"):
        for lang in ("th", "en"):
            visited.append(url(live_server, keys[name], f"?lang={lang}"))
    visited.append(url(live_server, keys["revoked"], "?version=1&lang=th"))
    for address in visited:
        response = page.goto(address)
        assert response.status == 200, address
        assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.locator('link[rel="stylesheet"]').count() == 2     # the site's and the page's
        assert page.locator("section.banner").evaluate(
            "e => getComputedStyle(e).borderRadius") != "0px"          # the stylesheet applied
    for lang in ("th", "en"):
        assert page.goto(f"{missing}?lang={lang}").status == 404
    assert page.errors == []


def test_the_error_watch_sees_a_csp_violation(open_page, live_server, licences):
    """The recorder is not blind: an image from elsewhere is refused by the page's CSP and
    reported (so an empty `page.errors` above means something)."""
    keys, _ = licences
    page = open_page()
    page.goto(url(live_server, keys["public"]))
    page.evaluate("""() => { const img = document.createElement('img');
                             img.src = 'https://elsewhere.invalid/pixel.png';
                             document.body.append(img); }""")
    page.wait_for_timeout(300)
    assert any("CSP violation: img-src" in e for e in page.errors), page.errors


# --- 4. The QR code decodes to the licence's URI -----------------------------------------------


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("which", ["thai", "public"])
def test_qr_on_the_page_decodes_to_the_licence_uri(open_page, live_server, licences, which,
                                                   screen):
    """As drawn on the page: 200 CSS px on a desktop (1 device px each) or a phone (3)."""
    import zxingcpp
    from PIL import Image

    keys, _ = licences
    key = keys[which]
    page = open_page(**PHONE, scale=3) if screen == "phone" else open_page()
    page.goto(url(live_server, key, "?lang=th"))
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    qr.scroll_into_view_if_needed()
    png = qr.screenshot(path=shot(f"qr-{which}-{screen}"))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    uri = identifiers.iri_to_uri(identifiers.licence_iri(BASE, key))
    assert decoded == [uri]
    assert uri.isascii() and identifiers.uri_to_iri(uri) == identifiers.licence_iri(BASE, key)
    assert page.errors == []


# --- 5. No sideways scrolling on a phone ------------------------------------------------------


@pytest.mark.parametrize("width", [390, 320])
def test_no_horizontal_scroll_on_a_phone(open_page, live_server, licences, width):
    keys, _ = licences
    page = open_page(width=width, height=844)
    for name in ("public", "restricted", "revoked", "bare", "thai"):
        for lang in ("th", "en"):
            page.goto(url(live_server, keys[name], f"?lang={lang}"))
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (name, lang, widths)
            assert fits_width(page)
            assert page.locator("code.sha, code.iri").first.is_visible()
    page.goto(url(live_server, keys["thai"], "?lang=th"))
    page.screenshot(path=shot(f"thai-phone-{width}"), full_page=True)
    assert page.errors == []


# --- 6. The language switch --------------------------------------------------------------------


def test_language_switch_goes_to_the_other_language(open_page, live_server, licences):
    keys, rows = licences
    page = open_page()
    page.goto(url(live_server, keys["revoked"], "?lang=th"))
    switch = page.locator("header a.lang")
    assert switch.inner_text() == "English" and switch.get_attribute("hreflang") == "en"
    switch.click()
    page.wait_for_url("**?lang=en")
    assert page.url == url(live_server, keys["revoked"], "?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator('[data-status="revoked"] .status-word').inner_text() == "Revoked"
    assert "Reason: " + rows["revoked"]["status_reason"] in page.locator(".banner").inner_text()
    page.screenshot(path=shot("revoked-en"), full_page=True)

    back = page.locator("header a.lang")
    assert back.inner_text() == "ภาษาไทย" and back.get_attribute("hreflang") == "th"
    back.click()
    page.wait_for_url("**?lang=th")
    assert page.get_attribute("html", "lang") == "th"
    assert page.locator('[data-status="revoked"] .status-word').inner_text() == "ถูกเพิกถอน"

    page.goto(url(live_server, keys["revoked"], "?version=1&lang=th"))   # an old version
    page.locator("header a.lang").click()
    page.wait_for_url("**lang=en**")
    assert "version=1" in page.url and page.get_attribute("html", "lang") == "en"
    assert page.errors == []
