"""Audit (SPEC §10, issue 12 item 5): every error a browser gets, on every route family, is an
HTML page in the visitor's language with a way forward; API clients keep the one JSON shape.

Table-driven: each row is one bad or unknown request on one route family and the status it has
always answered. Asked with a browser's Accept and Accept-Language th, then en, it must answer
that status as text/html, `<html lang>` the visitor's language, with a search form to /search
(the SPARQL page draws its own error page: HTML in the language, its own way forward — the
query form). Asked with `Accept: application/json`, the same request answers the same status
in the one JSON shape of registry/errors.py `error_body`. The error page draws with the store
down, too.
"""

from __future__ import annotations

import io

import pytest

from registry.store.remote import RemoteRepository
from web.app import create_app
from web.messages import words

from .support.htmltree import parse
from .support.stores import BASE, free_port, initialised_store

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LIMIT = 4096                              # MAX_UPLOAD_BYTES of this module's app
UNKNOWN_LICENCE = "diw/no-such-type/1-2565"


def _too_big():
    return {"data": {"file": (io.BytesIO(b"x" * (LIMIT * 2)), "big.pdf")}}


# (name, method, path, request keywords (a function: bodies are made per request), status,
#  whether the page is the SPARQL page's own)
ERRORS = [
    ("licence id unknown", "get", f"/id/licence/{UNKNOWN_LICENCE}", dict, 404, False),
    ("licence id malformed", "get", "/id/licence/x", dict, 404, False),
    ("licence doc unknown", "get", f"/doc/licence/{UNKNOWN_LICENCE}", dict, 404, False),
    ("licence doc bad date", "get", f"/doc/licence/{UNKNOWN_LICENCE}?at=bad", dict, 400, False),
    ("licence doc bad format", "get", f"/doc/licence/{UNKNOWN_LICENCE}?format=nope", dict, 400,
     False),
    ("licence file unknown", "get", f"/file/licence/{UNKNOWN_LICENCE}", dict, 404, False),
    ("licence qr unknown", "get", f"/qr/licence/{UNKNOWN_LICENCE}", dict, 404, False),
    ("credential unknown", "get", f"/credential/licence/{UNKNOWN_LICENCE}", dict, 404, False),
    ("status list unknown", "get", "/status/nope/0", dict, 404, False),
    ("agency unknown", "get", "/doc/agency/nope", dict, 404, False),
    ("licence type unknown", "get", "/doc/licence-type/nope", dict, 404, False),
    ("juristic person unknown", "get", "/doc/juristic-person/0000000000000", dict, 404, False),
    ("juristic person malformed", "get", "/id/juristic-person/nope", dict, 404, False),
    ("upload unknown", "get", "/doc/upload/nope", dict, 404, False),
    ("resolve unknown", "get", "/resolve?number=nope", dict, 404, False),
    ("resolve bad", "get", "/resolve?number=12%233", dict, 400, False),
    ("resolve empty", "get", "/resolve?number=", dict, 400, False),
    ("verify bad checksum", "get", "/verify?sha256=bad", dict, 400, False),
    ("verify no file", "post", "/verify", lambda: {"data": {"lang": "th"}}, 400, False),
    ("feed without params", "get", "/feeds/expiring", dict, 400, False),
    ("feed bad days", "get", "/feeds/expiring?days=x", dict, 400, False),
    ("dump unknown", "get", "/dumps/nope", dict, 404, False),
    ("dumps bad format", "get", "/dumps/?format=xml", dict, 400, False),
    ("sparql syntax error", "get", "/sparql?query=SELEC", dict, 400, True),
    ("upload api without key", "get", "/api/v1/uploads/x", dict, 401, False),
    ("uploads api without key", "get", "/api/v1/uploads", dict, 401, False),
    ("upload page unknown", "get", "/upload/x", dict, 404, False),
    ("no such page", "get", "/nope", dict, 404, False),
    ("405 health", "post", "/health", dict, 405, False),
    ("405 licence", "delete", f"/doc/licence/{UNKNOWN_LICENCE}", dict, 405, False),
    ("405 resolve", "post", "/resolve", dict, 405, False),
    ("413 verify", "post", "/verify", _too_big, 413, False),
    ("413 upload", "post", "/upload", _too_big, 413, False),
    ("catalogue bad filter", "get", "/catalogue/?agency=nope", dict, 400, False),
    ("agencies bad filter", "get", "/agencies/?level=nope", dict, 400, False),
]
IDS = [row[0] for row in ERRORS]
# What an API client asking for JSON gets instead, where that differs: the feeds offer Atom and
# iCalendar only, so JSON is refused before the parameters are read (in the JSON shape).
API_STATUS = {"feed without params": 406, "feed bad days": 406}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    repo = initialised_store(tmp_path_factory.mktemp("browser-errors") / "store")
    yield create_app({"STORE": str(repo.path), "BASE_IRI": BASE, "MAX_UPLOAD_BYTES": LIMIT},
                     repository=repo)
    repo.close()


def _ask(app, method, path, keywords, accept, lang=None):
    headers = {"Accept": accept}
    if lang:
        headers["Accept-Language"] = f"{lang},{'en' if lang == 'th' else 'th'};q=0.5"
    return getattr(app.test_client(), method)(path, headers=headers, **keywords())


def assert_error_page(response, status, lang, own_page=False):
    """The page every error gives a browser: the status, HTML in the language, a way forward."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    tree = parse(html)
    assert tree.find("html").attrs["lang"] == lang
    assert len(tree.find_all("h1")) == 1 and tree.find("title").text.strip()
    assert "<script" not in html
    if own_page:                                     # the SPARQL page: its query form
        assert any(f.attrs.get("action", "").startswith("/sparql") or "action" not in f.attrs
                   for f in tree.find_all("form"))
        return tree
    search = [f for f in tree.find_all("form") if f.attrs.get("action") == "/search"]
    assert len(search) == 1 and search[0].attrs.get("method", "get") == "get"
    assert [i.attrs.get("name") for i in search[0].find_all("input")][0] == "q"
    assert tree.find("a", "home").attrs["href"] == "/"
    assert tree.find("a", "catalogue").attrs["href"].startswith("/catalogue/")
    assert words(lang, "forward")["search_label"] in tree.text
    return tree


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("name, method, path, keywords, status, own_page", ERRORS, ids=IDS)
def test_a_browser_gets_a_page_in_its_language_with_a_way_forward(
        app, name, method, path, keywords, status, own_page, lang):
    response = _ask(app, method, path, keywords, BROWSER, lang)
    assert_error_page(response, status, lang, own_page)


@pytest.mark.parametrize("name, method, path, keywords, status, own_page", ERRORS, ids=IDS)
def test_an_api_client_gets_the_one_json_shape(app, name, method, path, keywords, status,
                                               own_page):
    status = API_STATUS.get(name, status)
    response = _ask(app, method, path, keywords, "application/json", "en")
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert {"status", "code", "title", "detail"} <= set(body["error"])
    assert body["error"]["status"] == status


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("path", ["/id/agency/nope", "/id/licence-type/nope"])
def test_an_unknown_term_iri_leads_a_browser_to_the_page_that_says_so(app, path, lang):
    """/id/ answers 303 to /doc/ before it knows (SPEC §10); the /doc/ page is the error page."""
    response = app.test_client().get(path, headers={"Accept": BROWSER, "Accept-Language": lang},
                                     follow_redirects=True)
    assert_error_page(response, 404, lang)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_an_unknown_licence_page_offers_its_close_matches_and_its_number(app, lang):
    tree = assert_error_page(
        app.test_client().get(f"/doc/licence/{UNKNOWN_LICENCE}?lang={lang}",
                              headers={"Accept": BROWSER}), 404, lang)
    assert tree.find("h1").text == words(lang, "licence")["not_found"]
    assert tree.find("input", None) is not None
    box = next(i for i in tree.find_all("input") if i.attrs.get("name") == "q")
    assert box.attrs["value"] == "1-2565"                     # the number asked for


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_thai_visitor_is_never_left_with_english_alone(app, lang):
    """An error whose detail exists only in English (for API clients) shows the status's own
    explanation in the visitor's language; the English detail is folded away, marked English."""
    tree = assert_error_page(
        app.test_client().get("/catalogue/?agency=nope",
                              headers={"Accept": BROWSER, "Accept-Language": lang}), 400, lang)
    assert tree.find("p", "error-explain").text == words(lang, "error")["explain"][400]
    detail = tree.find("p", "error-detail")
    assert detail.attrs.get("lang", lang) == "en"
    assert (tree.find("details", "error-technical") is not None) == (lang == "th")


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("path, status", [("/nope", 404), (f"/doc/licence/{UNKNOWN_LICENCE}", 503),
                                          ("/verify?sha256=" + "0" * 64, 503)])
def test_the_error_page_draws_when_the_store_is_down(tmp_path, path, status, lang):
    dead = RemoteRepository.at(f"http://127.0.0.1:{free_port()}", 2)
    app = create_app({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, repository=dead)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(path, headers={"Accept": BROWSER, "Accept-Language": lang})
    assert_error_page(response, status, lang)
