"""One error handler (web/errors.py), table-driven: a browser gets a page in its language with the
status unchanged and a way forward; every other client gets exactly the one JSON shape.

The 500 and 503 come from routes this module adds to its own app (no production route raises on
purpose); the 404, 400, 405 and 413 from the app's own routes."""

from __future__ import annotations

import pytest

from registry.errors import StoreUnavailable
from web.conneg import prefers_html
from web.messages import words
from web.security import PAGE_CSP

from .support.browser import fits_width
from .support.htmltree import parse
from .support.stores import BASE, initialised_store

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

CHROME = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
          "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LIMIT = 2048                                   # MAX_UPLOAD_BYTES of this module's app

# (name, method, path, request keywords, status, code)
ERRORS = [
    ("404", "get", "/no/such/page", {}, 404, "not-found"),
    ("400", "get", "/resolve?number=", {}, 400, "bad-request"),
    ("405", "post", "/health", {}, 405, "method-not-allowed"),
    ("413", "post", "/upload", {"data": {"key": "k", "file": "x" * (LIMIT * 2)}}, 413,
     "request-entity-too-large"),
    ("500", "get", "/test/bug", {}, 500, "internal-server-error"),
    ("503", "get", "/test/unavailable", {}, 503, "store-unavailable"),
    ("host", "get", "/", {"headers": {"Host": "evil.example"}}, 400, "unknown-host"),
]
API_CLIENTS = {"no Accept": None, "any": "*/*", "json": "application/json",
               "turtle": "text/turtle", "json-ld": "application/ld+json",
               "rdf, html last": "text/turtle, text/html;q=0.5, */*;q=0.9",
               "json and html alike": "application/json, text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from web.app import create_app

    repo = initialised_store(tmp_path_factory.mktemp("errors") / "store")
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE, "MAX_UPLOAD_BYTES": LIMIT},
                     repository=repo)
    app.config["PROPAGATE_EXCEPTIONS"] = False       # a bug answers 500, as in production

    @app.get("/test/bug")
    def bug():
        raise ZeroDivisionError("a bug")

    @app.get("/test/unavailable")
    def unavailable():
        raise StoreUnavailable("The store did not answer.", headers={"Retry-After": "5"})

    yield app
    repo.close()


def _ask(app, method, path, keywords, accept=None, language=None):
    headers = dict(keywords.get("headers", {}))
    if accept is not None:
        headers["Accept"] = accept
    if language is not None:
        headers["Accept-Language"] = language
    return getattr(app.test_client(), method)(path, **{**keywords, "headers": headers})


@pytest.mark.parametrize("lang, accept_language", [("th", "th-TH,th;q=0.9,en;q=0.5"),
                                                   ("en", "en-GB,en;q=0.9"), ("th", None)])
@pytest.mark.parametrize("accept", [CHROME, FIREFOX, "text/html"],
                         ids=["chrome", "firefox", "html"])
@pytest.mark.parametrize("name, method, path, keywords, status, code", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_a_browser_gets_a_page_in_its_language(app, name, method, path, keywords, status, code,
                                               accept, lang, accept_language):
    response = _ask(app, method, path, keywords, accept, accept_language)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == PAGE_CSP
    assert {"Accept", "Accept-Language"} <= set(response.vary)
    tree = parse(response.get_data(as_text=True))
    assert tree.find("html").attrs["lang"] == lang
    t = words(lang, "error")
    assert tree.find("h1").text == t["heading"][status]
    assert code in tree.find("p", "error-status").text
    form = tree.find("form")                                  # a way forward: search
    assert (form.attrs["action"], form.attrs["method"]) == ("/search", "get")
    assert tree.find("input").attrs["name"] == "q"
    assert tree.find("a", "home").attrs["href"] == "/"
    assert tree.find("a", "catalogue").attrs["href"] == f"/catalogue/?lang={lang}"
    assert t["explain"][status] in tree.find("p", "error-explain").text
    assert (t["try_later"] in response.get_data(as_text=True)) == (status >= 500)
    assert "<script" not in response.get_data(as_text=True)


@pytest.mark.parametrize("client", API_CLIENTS.values(), ids=API_CLIENTS.keys())
@pytest.mark.parametrize("name, method, path, keywords, status, code", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_every_other_client_gets_the_one_json_shape(app, name, method, path, keywords, status,
                                                    code, client):
    response = _ask(app, method, path, keywords, client, "en")
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert {"status", "code", "title", "detail"} <= set(error)
    assert (error["status"], error["code"]) == (status, code)
    assert isinstance(error["title"], str) and error["title"]
    assert {"Accept", "Accept-Language"} <= set(response.vary)


@pytest.mark.parametrize("accept", [CHROME, None])
def test_headers_that_say_what_to_do_next_are_kept(app, accept):
    client = app.test_client()
    headers = {"Accept": accept} if accept else {}
    allowed = client.post("/health", headers=headers).headers["Allow"]
    assert set(allowed.split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.get("/test/unavailable", headers=headers).headers["Retry-After"] == "5"


@pytest.mark.parametrize("lang, other", [("th", "en"), ("en", "th")])
def test_the_page_gives_the_detail_in_the_visitors_language_and_a_switch(app, lang, other):
    """An error with words in both languages shows the visitor's; `?lang=` wins over the
    header; the switch keeps the rest of the query."""
    response = app.test_client().get(f"/resolve?number=&lang={lang}",
                                     headers={"Accept": CHROME, "Accept-Language": other})
    assert response.status_code == 400
    tree = parse(response.get_data(as_text=True))
    assert tree.find("html").attrs["lang"] == lang
    detail = tree.find("p", "error-detail").text
    api = app.test_client().get("/resolve?number=").get_json()["error"]
    assert detail.strip() == api["message"][lang]
    switch = tree.find("a", "lang")
    assert switch.attrs["hreflang"] == other
    assert switch.attrs["href"] == f"?number=&lang={other}"


def test_a_page_that_draws_its_own_error_keeps_it(app):
    """The resolver's "not found" page (with close matches) is not replaced by the generic one."""
    response = app.test_client().get("/doc/licence/diw/no-such-type/1-2565",
                                     headers={"Accept": CHROME})
    assert response.status_code == 404 and response.mimetype == "text/html"
    tree = parse(response.get_data(as_text=True))
    assert tree.find("p", "error-status") is None
    assert tree.find("section", "banner") is not None


def test_a_bug_still_propagates_where_exceptions_do(tmp_path):
    """Tests that set PROPAGATE_EXCEPTIONS see the traceback, browser or not."""
    from web.app import create_app

    repo = initialised_store(tmp_path / "store")
    try:
        app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo)
        app.config["PROPAGATE_EXCEPTIONS"] = True

        @app.get("/test/bug")
        def bug():
            raise ZeroDivisionError("a bug")

        for accept in (CHROME, None):
            with pytest.raises(ZeroDivisionError):
                app.test_client().get("/test/bug", headers={"Accept": accept} if accept else {})
    finally:
        repo.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale, lang", [("th-TH", "th"), ("en-GB", "en")])
def test_the_page_in_a_real_browser_leads_somewhere(open_page, live_server, locale, lang):
    """Chromium, on a phone: the page in the browser's language, drawn under the one policy
    without a console error or a CSP violation, no sideways scrolling; its search box leads to
    /search."""
    missing = live_server + "/no/such/page"
    searched = live_server + f"/search?q=9999%2F9999&lang={lang}"     # finds nothing
    page = open_page(locale=locale, width=390, height=844, refused_documents=[missing, searched])
    answer = page.goto(missing)
    assert answer.status == 404
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("h1") == words(lang, "error")["heading"][404]
    assert fits_width(page)
    page.fill("input[name=q]", "9999/9999")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert page.url == searched
    assert page.get_attribute("html", "lang") == lang
    assert page.errors == []


@pytest.mark.parametrize("accept, browser", [
    (CHROME, True), (FIREFOX, True), ("text/html", True), ("application/xhtml+xml", True),
    ("text/html;q=0.9, application/json;q=0.8", True), ("text/*", True),
    (None, False), ("", False), ("*/*", False), ("application/json", False),
    ("text/html, application/json", False),                 # a tie is not a preference
    ("application/json, text/html;q=0.9", False), ("text/html;q=0", False),
    ("text/turtle", False), ("application/ld+json", False), ("text/csv", False),
    ("image/png", False), ("*/*;q=0.8, text/html;q=0.1", False), ("garbage", False),
    ("texthtml", False),                        # not a substring test: no parsed text/html
])
def test_who_is_a_browser(accept, browser):
    assert prefers_html(accept) is browser
