"""The SPARQL query page (SPEC §7) in a real Chromium against the app served on loopback, with
demo licences: Thai drawn by default, an example picked and run into a results table, the
download links answering files, an error shown, no sideways scrolling on a phone, the language
switch, and all of it without a console error, a failed request or a CSP violation (the page
has no script at all).

Screenshots go to /tmp/sparql-page-*.png (or $SPARQL_PAGE_SCREENSHOTS).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

from opendata.examples import example_by_id
from opendata.sparql import SparqlState
from ops.demoload import load_demo
from web.app import create_app
from web.messages import words
from web.state import state_of

from .support.browser import fits_width
from .support.stores import BASE
from .support.thaifonts import assert_thai_drawn, thai_fonts

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("SPARQL_PAGE_SCREENSHOTS", "/tmp"))
PHONE = {"width": 390, "height": 844}
EXAMPLE = "07-statuses"


def shot(name: str) -> str:
    return str(SCREENSHOTS / f"sparql-page-{name}.png")


@pytest.fixture(scope="module")
def app(module_repo):
    """The app over 120 demo licences, made once: the tests only read (tests/conftest.py);
    skipped while /sparql does not draw the query page."""
    load_demo(module_repo, BASE, 120)
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE},
                     repository=module_repo)
    answer = app.test_client().get("/sparql", headers={"Accept": "text/html"})
    if answer.status_code != 200 or b'name="query"' not in answer.data:
        pytest.skip("the /sparql endpoint (opendata/sparql.py) does not draw the query page "
                    f"yet (GET /sparql answered {answer.status_code})")
    yield app
    executor = state_of(app).part(SparqlState).executor
    if executor is not None:
        executor.close()


def test_thai_page_example_run_results_and_downloads(open_page, live_server):
    page = open_page()
    page.goto(live_server + "/sparql")
    assert page.get_attribute("html", "lang") == "th"
    assert page.locator('link[rel="stylesheet"]').count() == 2     # the site's and the page's
    assert page.locator("script").count() == 0
    covering = thai_fonts()
    assert_thai_drawn(page, "h1", words("th", "sparql")["title"], covering)
    example = example_by_id(EXAMPLE)
    link = f'nav.examples a[href$="example={EXAMPLE}&lang=th"]'    # not the cube version's
    assert_thai_drawn(page, link, example.title_th, covering)
    page.screenshot(path=shot("th"), full_page=True)

    # Pick an example: it opens in the editor; run it.
    page.locator(link).click()
    page.wait_for_url(f"**example={EXAMPLE}**")
    assert page.locator("textarea#query").input_value().strip() == example.text("th").strip()
    assert page.locator("table").count() == 0
    page.get_by_role("button", name=words("th", "sparql")["run"]).click()
    page.wait_for_selector("section.results table")
    headers = page.locator("section.results thead th").all_inner_texts()
    assert headers[1:] == ["status", "label_th", "label_en", "licences"]
    rows = page.locator("section.results tbody tr")
    assert rows.count() >= 2
    counted = page.locator("section.results tbody td.num .literal").all_inner_texts()
    counts = [int(text) for text in counted]
    assert sum(counts) == 120
    assert page.locator("textarea#query").input_value().strip() == example.text("th").strip()
    page.screenshot(path=shot("results-th"), full_page=True)

    # The download links answer the same results as files.
    with page.expect_download() as download_info:
        page.locator("nav.downloads a", has_text="CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = Path(download.path()).read_bytes()
    assert saved.startswith("\ufeff".encode())          # a BOM: Excel reads the Thai as UTF-8
    table = list(csv.reader(io.StringIO(saved.decode("utf-8-sig"))))
    assert table[0] == ["status", "label_th", "label_en", "licences"]
    assert sum(int(row[3]) for row in table[1:]) == 120
    href = page.locator("nav.downloads a", has_text="JSON").get_attribute("href")
    answer = page.request.get(live_server + href)
    assert answer.ok
    assert json.loads(answer.body())["head"]["vars"] == ["status", "label_th", "label_en",
                                                         "licences"]
    assert page.errors == []


def test_an_error_is_shown_on_the_page(open_page, live_server):
    address = live_server + "/sparql?" + urlencode({"query": "SELECT ?x WHERE {", "lang": "en"})
    page = open_page(refused_documents=[address])
    response = page.goto(address)
    assert response.status == 400
    alert = page.get_by_role("alert")
    assert alert.is_visible() and words("en", "sparql")["error"] in alert.inner_text()
    assert page.locator("textarea#query").input_value().strip() == "SELECT ?x WHERE {"
    assert page.locator("nav.downloads").count() == 0
    assert page.errors == []


@pytest.mark.parametrize("width", [390, 320])
def test_no_sideways_scrolling_on_a_phone(open_page, live_server, width):
    page = open_page(width=width, height=PHONE["height"])
    example = example_by_id("04-licences-per-agency-and-type")    # a wide table
    page.goto(live_server + "/sparql?" + urlencode({"query": example.query}))
    page.wait_for_selector("section.results table")
    assert fits_width(page)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")   # the table scrolls, not the page
    assert page.locator("textarea#query").bounding_box()["width"] <= width
    page.screenshot(path=shot(f"phone-{width}"), full_page=True)
    assert page.errors == []


def test_language_switch(open_page, live_server):
    page = open_page()
    page.goto(live_server + f"/sparql?example={EXAMPLE}")
    switch = page.locator("header a.lang")
    assert switch.inner_text() == "English"
    switch.click()
    page.wait_for_url("**lang=en**")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == words("en", "sparql")["title"]
    assert example_by_id(EXAMPLE).title_en in page.locator("form label").inner_text()
    page.get_by_role("button", name=words("en", "sparql")["run"]).click()
    page.wait_for_selector("section.results table")
    assert page.get_attribute("html", "lang") == "en"
    page.screenshot(path=shot("results-en"), full_page=True)
    assert page.errors == []
