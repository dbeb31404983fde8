"""`GET /search` (resolver/search.py): a page in the visitor's language for a browser (effective
status words, Buddhist-Era dates on Thai pages, links to the licence and its holder), "nothing
found" as a page with the search box and ways forward, JSON for API clients, one licence by its
number straight to its page, and the index following uploads made through the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ops.demo import rows_to_csv
from registry.dates import display_date
from tests.support import htmltree
from tests.support.builders import key_of, licence_path, post_upload, rows_of
from tests.support.stores import BASE
from web.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def published(module_repo, publish, catalogue):
    """Juristic licences (one named to be found), and a natural person on a register that is
    not public."""
    pool = rows_of(catalogue, "diw", 120, seed=23)
    juristic = [r for r in pool if r["holder_type"] == "juristic" and r["valid_until"]
                and r["status"] == "active"][:8]
    natural = next(r for r in pool if r["holder_type"] == "natural"
                   and r["licence_type"] == "hazardous-substance-possession")
    juristic[0].update(holder_name="บริษัท เรือใบทองคำ จำกัด", holder_name_en="Golden Sail Co., Ltd.")
    natural.update(holder_name="นางสาวกุหลาบ ซ่อนกลิ่น", holder_name_en="Kulab Sonklin")
    records = publish(module_repo, [*juristic, natural]).records
    return {"sail": juristic[0], "natural": natural, "records": records}


def _clock(day: dt.date):
    return lambda: day


@pytest.fixture(scope="module")
def sail_day(published):
    """A day the Golden Sail licence is valid."""
    for record in published["records"]:
        if record.key == key_of(published["sail"]):
            return record, record.valid_until - dt.timedelta(days=1)
    raise AssertionError("not published")


@pytest.fixture(scope="module")
def client(module_repo, published, sail_day):
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE}, repository=module_repo,
                     clock=_clock(sail_day[1]))
    return app.test_client()


@pytest.mark.parametrize("lang, status_word, until_word", [
    ("th", "ใช้ได้", "ใช้ได้ถึง"), ("en", "Valid", "Valid until")])
def test_results_page_in_the_visitors_language(client, published, sail_day, lang, status_word,
                                               until_word):
    record, _ = sail_day
    page = client.get(f"/search?q=ใบทอง&lang={lang}", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    tree = htmltree.parse(html)
    assert tree.find("html").attrs["lang"] == lang
    assert len(tree.find_all("h1")) == 1 and tree.find("title").text
    (item,) = tree.find_all("li", "result")
    text = item.text
    assert status_word in text and until_word in text
    assert display_date(record.valid_until, lang) in text
    if lang == "th":
        assert str(record.valid_until.year + 543) in text
    links = [a.attrs["href"] for a in item.find_all("a")]
    assert f"{licence_path('doc', record.key)}?lang={lang}" in links
    assert f"/id/juristic-person/{record.holder_id}?lang={lang}" in links


@pytest.mark.parametrize("lang", ["th", "en"])
def test_nothing_found_is_a_page_with_the_box_and_ways_forward(client, lang):
    page = client.get(f"/search?q=ไม่มีบริษัทนี้&lang={lang}", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    tree = htmltree.parse(page.get_data(as_text=True))
    (box,) = [f for f in tree.find_all("form") if f.attrs.get("action") == "/search"]
    assert any(i.attrs.get("value") == "ไม่มีบริษัทนี้" for i in box.find_all("input"))
    hrefs = {a.attrs["href"].split("?")[0] for a in tree.find_all("a")}
    assert {"/agencies/", "/catalogue/", "/verify", "/"} <= hrefs
    assert tree.find_all("li", "result") == []
    headings = [h.tag for h in tree.walk() if isinstance(h, htmltree.Node)
                and h.tag in ("h1", "h2", "h3")]
    assert headings[0] == "h1" and headings.count("h1") == 1


@pytest.mark.parametrize("headers", [API, {}, {"Accept": "*/*"}])
def test_api_clients_get_json(client, published, headers):
    answer = client.get("/search?q=Golden+Sail", headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["q"] == "Golden Sail"
    (found,) = body["results"]
    row = published["sail"]
    assert found["iri"] == f"{BASE}/id/licence/{key_of(row).path}"
    assert found["holder"]["id"] == row["holder_id"]
    assert found["holder_name"] == {"th": "บริษัท เรือใบทองคำ จำกัด", "en": "Golden Sail Co., Ltd."}
    assert found["effective_status"] == "active" and found["valid_until"]
    assert client.get("/search?q=Golden+Sail&format=json", headers=BROWSER).is_json


def test_one_licence_by_its_number_goes_to_its_page(client, published):
    row = published["sail"]
    thai_digits = row["licence_number"].translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    for typed in (row["licence_number"], thai_digits, f"  {row['licence_number'].lower()} "):
        answer = client.get("/search", query_string={"q": typed, "lang": "en"}, headers=BROWSER)
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"{licence_path('doc', key_of(row))}?lang=en"
    as_json = client.get("/search", query_string={"q": row["licence_number"]}, headers=API)
    assert [r["number"] for r in as_json.get_json()["results"]] == [key_of(row).number]


def test_a_juristic_id_lists_its_licences_with_the_holders_page(client, published):
    row = published["sail"]
    page = client.get(f"/search?q={row['holder_id']}&lang=en", headers=BROWSER)
    assert page.status_code == 200
    tree = htmltree.parse(page.get_data(as_text=True))
    hrefs = [a.attrs["href"] for a in tree.find_all("a")]
    assert f"/id/juristic-person/{row['holder_id']}?lang=en" in hrefs
    assert len(tree.find_all("li", "result")) >= 1


def test_a_natural_persons_id_and_private_name_find_nothing(client, published):
    person = published["natural"]
    for typed in (person["holder_id"], "กุหลาบ", "Kulab Sonklin"):
        body = client.get("/search", query_string={"q": typed}, headers=API).get_json()
        assert body["results"] == []
        page = client.get("/search", query_string={"q": typed}, headers=BROWSER)
        assert page.status_code == 200
    # Found by its number, the licence shows no ID and no name of its holder.
    listed = client.get("/search", query_string={"q": person["licence_number"]}, headers=API)
    for found in listed.get_json()["results"]:
        assert found["holder"] is None
        assert found["holder_name"] == {"th": "", "en": ""}
        assert person["holder_id"] not in json.dumps(found)


@pytest.mark.parametrize("typed", ['"', "*", "NEAR(", "a OR b", '"Golden" OR "x"', "Sail*",
                                   "holder_name_en:Golden", "^G", "-", "()", "\\", "%", "_",
                                   "x" * 50_000, "", " ", "\u200b\u200b\u200b"])
def test_any_text_is_a_search_not_an_error(client, typed):
    for headers in (BROWSER, API):
        answer = client.get("/search", query_string={"q": typed}, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    body = client.get("/search", query_string={"q": typed}, headers=API).get_json()
    assert isinstance(body["results"], list) and len(body["q"]) <= 200


def test_a_bad_limit_is_a_bad_request_in_the_askers_shape(client):
    assert client.get("/search?q=Sail&limit=5", headers=API).status_code == 200
    as_json = client.get("/search?q=Sail&limit=0", headers=API)
    assert as_json.status_code == 400 and as_json.is_json
    as_page = client.get("/search?q=Sail&limit=x", headers=BROWSER)
    assert as_page.status_code == 400 and as_page.mimetype == "text/html"


def test_an_upload_through_the_api_is_found_at_once(embedded_repo, diw_key, catalogue):
    app = create_app({"STORE": str(embedded_repo.path), "BASE_IRI": BASE},
                     repository=embedded_repo)
    client = app.test_client()
    assert client.get("/search?q=Lighthouse", headers=API).get_json()["results"] == []
    row = next(r for r in rows_of(catalogue, "diw", 20, seed=77) if r["holder_type"] == "juristic")
    row.update(holder_name="บริษัท ประภาคารใหม่ จำกัด", holder_name_en="New Lighthouse Co., Ltd.")
    assert post_upload(client, rows_to_csv([row]), diw_key).status_code == 200
    (found,) = client.get("/search?q=Lighthouse", headers=API).get_json()["results"]
    assert found["number"] == key_of(row).number
    (found,) = client.get("/search?q=ประภาคาร", headers=API).get_json()["results"]
    assert found["holder"]["id"] == row["holder_id"]
