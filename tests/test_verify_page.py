"""/verify (resolver/verify.py): the API answers as it always did; a browser gets a page — the
form, the answer with each matching licence's effective status on the app's day, bad input
explained in its language (400) — and the server keeps nothing: an upload is hashed as it
streams in, never spooled to a temporary file, and MAX_CONTENT_LENGTH holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile

import pytest
import werkzeug.formparser
from flask import Flask, request

from registry.dates import display_date
from web.app import create_app
from web.messages import words

from .support.browser import fits_width
from .support.htmltree import parse
from .support.sharedstores import resolver_licences
from .support.stores import BASE

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TODAY = dt.date(2025, 6, 1)
LIMIT = 3 * 1024 * 1024                 # MAX_UPLOAD_BYTES of this module's app


@pytest.fixture(scope="module")
def published(module_repo, publish):
    return resolver_licences(module_repo, publish)


@pytest.fixture(scope="module")
def app(module_repo, published):
    return create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE,
                       "MAX_UPLOAD_BYTES": LIMIT}, repository=module_repo, clock=lambda: TODAY)


@pytest.fixture
def client(app):
    return app.test_client()


def _content(published) -> bytes:
    """The demo document of the public licence (the thai and twin licences share it)."""
    keys, rows = published
    key = keys["public"]
    content = f"{key.issuer}/{key.type}/{rows['public']['licence_number']}".encode()
    assert hashlib.sha256(content).hexdigest() == rows["public"]["document_sha256"]
    return content


def _page(response, status, lang):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "<script" not in response.get_data(as_text=True)
    tree = parse(response.get_data(as_text=True))
    assert tree.find("html").attrs["lang"] == lang
    assert len(tree.find_all("h1")) == 1
    return tree


# --- The API: as before -------------------------------------------------------------------------

@pytest.mark.parametrize("name, keywords", [
    ("urlencoded", {"data": b"abc", "content_type": "application/x-www-form-urlencoded"}),
    ("empty body", {"data": b"", "content_type": "application/pdf"}),
    ("empty file", {"data": {"file": (io.BytesIO(b""), "x.pdf")}}),
    ("other field", {"data": {"other": (io.BytesIO(b"abc"), "x.pdf")}}),
    ("file as text", {"data": {"file": "abc"}}),
])
def test_the_api_refuses_what_carries_no_document_as_before(client, name, keywords):
    body = client.post("/verify", **keywords).get_json()
    assert body["error"]["status"] == 400
    assert body["error"]["detail"] == "Send the document as the body or as the form field `file`."


@pytest.mark.parametrize("query", ["", "?sha256=", "?sha256=xyz", "?sha256=" + "g" * 64,
                                   "?sha256=%20" + "0" * 64])
def test_the_api_refuses_a_checksum_that_is_not_one_as_before(client, query):
    body = client.get("/verify" + query, headers={"Accept": "application/json"}).get_json()
    assert (body["error"]["status"], body["error"]["detail"]) == (
        400, "sha256 must be 64 hexadecimal characters.")


def test_the_api_hashes_a_raw_body_and_a_file_alike(client, published):
    content = _content(published)
    sha = hashlib.sha256(content).hexdigest()
    raw = client.post("/verify", data=content, content_type="application/pdf").get_json()
    upload = client.post("/verify", data={"file": (io.BytesIO(content), "l.pdf")}).get_json()
    asked = client.get(f"/verify?sha256={sha.upper()}").get_json()
    assert raw == upload == asked
    # The same URL is a page for a browser: shared caches must keep the answers apart.
    vary = client.get(f"/verify?sha256={sha}").headers["Vary"]
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in vary.split(",")}
    assert raw["sha256"] == sha and raw["checked"] == TODAY.isoformat()
    assert len(raw["matches"]) == 3                            # public, thai and twin
    assert set(raw["matches"][0]) == {"licence", "effective_status", "valid_until", "record"}


# --- The page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_form_offers_a_file_a_checksum_and_a_credential(client, lang):
    response = client.get("/verify", headers={"Accept": BROWSER, "Accept-Language": lang})
    assert "Accept" in response.headers["Vary"]
    tree = _page(response, 200, lang)
    t = words(lang, "verify")
    assert tree.find("h1").text == t["title"]
    upload, paste, credential = tree.find_all("form")
    assert (upload.attrs["method"], upload.attrs["enctype"]) == ("post", "multipart/form-data")
    assert upload.attrs["action"] == f"/verify?lang={lang}"
    assert [i.attrs["name"] for i in upload.find_all("input")] == ["file"]
    assert (paste.attrs["action"], paste.attrs["method"]) == ("/verify", "get")
    assert {i.attrs["name"] for i in paste.find_all("input")} == {"lang", "sha256"}
    assert (credential.attrs["action"], credential.attrs["method"]) == (f"/verify?lang={lang}",
                                                                        "post")
    assert credential.find("fieldset") is None                     # enabled (issue 14)
    assert credential.find("textarea").attrs["name"] == "credential"
    assert words(lang, "verifycredential")["vc_form_note"] in tree.text
    assert tree.find("p", "verify-problem") is None


def _licence_facts(article):
    return [dd.text.split("\n")[0].strip() for dd in article.find_all("dd")]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("how", ["checksum", "upload"])
def test_a_match_shows_each_licence_its_status_today_and_what_it_means(
        client, app, published, module_repo, lang, how):
    from resolver.licence import load_licence
    from web.state import state_of

    keys, _ = published
    content = _content(published)
    headers = {"Accept": BROWSER}
    if how == "checksum":
        response = client.get("/verify", headers=headers, query_string={
            "sha256": f"  {hashlib.sha256(content).hexdigest().upper()} ", "lang": lang})
    else:
        response = client.post(f"/verify?lang={lang}", headers=headers,
                               data={"file": (io.BytesIO(content), "licence.pdf")})
        assert response.headers["Cache-Control"] == "no-store"
    tree = _page(response, 200, lang)
    t = words(lang, "licence", "verify")
    assert t["matched"] in tree.text and t["meaning_match"].split(":")[0] in tree.text
    assert (t["not_kept"] in tree.text) == (how == "upload")
    articles = tree.find_all("article", "verified-licence")
    links = [a.find("a", "open-licence").attrs["href"] for a in articles]
    wanted = sorted((keys["public"], keys["thai"], keys["twin"]), key=lambda k: k.path)
    assert len(links) == 3
    catalogue = state_of(app).catalogue
    for article, key in zip(articles, wanted, strict=True):
        licence = load_licence(module_repo, BASE, key)
        effective = licence.effective_status(TODAY)
        banner = article.find("section", "banner")
        assert banner.attrs["data-status"] == effective
        assert t["status"][effective] in banner.text
        assert display_date(TODAY, lang) in banner.text
        ltype, agency = catalogue.types[key.type], catalogue.agencies[key.issuer]
        holder, kind, issuer, until = _licence_facts(article)
        names = licence.holder_names
        assert holder == (names.get(lang) or next(iter(names.values())))
        assert kind == (ltype.title_th if lang == "th" else ltype.title_en)
        assert issuer == (agency.label_th if lang == "th" else agency.label_en)
        assert until == (display_date(licence.valid_until, lang) if licence.valid_until
                         else t["no_end"])
    assert all(link.startswith("/doc/licence/") and link.endswith(f"?lang={lang}")
               for link in links)
    for link in links:
        assert client.get(link, headers=headers).status_code == 200


@pytest.mark.parametrize("lang", ["th", "en"])
def test_no_match_says_this_file_is_not_registered_and_leads_on(client, lang):
    tree = _page(client.get(f"/verify?sha256={'0' * 64}&lang={lang}", headers={"Accept": BROWSER}),
                 404, lang)
    t = words(lang, "verify")
    assert t["not_matched"] in tree.text and t["meaning_no_match"] in tree.text
    assert tree.find("article") is None
    search = tree.find("form", "search-box")
    assert (search.attrs["action"], search.attrs["method"]) == ("/search", "get")


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("name, method, keywords, problem", [      # (files made per test)
    ("not hex", "get", lambda: {"query_string": {"sha256": "xyz"}}, "not_a_sha256"),
    ("empty checksum", "get", lambda: {"query_string": {"sha256": ""}}, "not_a_sha256"),
    ("empty file", "post", lambda: {"data": {"file": (io.BytesIO(b""), "licence.pdf")}},
     "empty_file"),
    ("no file chosen", "post", lambda: {"data": {"file": (io.BytesIO(b""), "")}}, "no_file"),
    ("no file field", "post", lambda: {"data": {"lang": "th"}}, "no_file"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_input_is_the_form_again_with_the_problem_in_the_visitors_language(
        client, lang, name, method, keywords, problem):
    response = getattr(client, method)("/verify", headers={
        "Accept": BROWSER, "Accept-Language": f"{lang},en;q=0.1"}, **keywords())
    tree = _page(response, 400, lang)
    t = words(lang, "verify")
    assert t["problem"][problem] in tree.find("section", "verify-problem").text
    assert tree.find("form", "search-box").attrs["action"] == "/search"
    assert any(f.attrs.get("enctype") == "multipart/form-data" for f in tree.find_all("form"))


# --- The server keeps nothing -----------------------------------------------------------------

class _NoTemporaryFile(AssertionError):
    pass


@pytest.fixture
def no_temporary_files(monkeypatch):
    """Werkzeug's multipart parser spools a file part over 500 KiB to a temporary file through
    its SpooledTemporaryFile (TemporaryFile where that is missing): make any temporary file,
    through those names or the tempfile module's, fail the request."""
    def refuse(*args, **kwargs):
        raise _NoTemporaryFile("a temporary file was made")
    for name in ("SpooledTemporaryFile", "TemporaryFile"):
        monkeypatch.setattr(werkzeug.formparser, name, refuse, raising=False)
    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)


def test_the_guard_would_see_werkzeugs_own_spooling(no_temporary_files):
    """The control: an ordinary view reading request.files does trip the guard."""
    plain = Flask(__name__)
    plain.testing = True                               # the view's exception reaches the test

    @plain.post("/")
    def read_files():
        return str(len(request.files["file"].read()))

    with pytest.raises(_NoTemporaryFile):
        plain.test_client().post("/", data={"file": (io.BytesIO(b"x" * 600_000), "a.pdf")})


@pytest.mark.parametrize("accept", [BROWSER, "application/json"])
def test_a_large_upload_is_hashed_as_it_streams_without_a_temporary_file(
        app, no_temporary_files, monkeypatch, accept):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", True)   # a temporary file fails
    content = bytes(range(256)) * 8192                 # 2 MiB, 4x Werkzeug's spooling threshold
    response = app.test_client().post(
        "/verify?lang=en", headers={"Accept": accept},
        data={"lang": "en", "file": (io.BytesIO(content), "big.pdf")})
    assert response.status_code == 404                  # hashed, and no licence has it
    assert hashlib.sha256(content).hexdigest() in response.get_data(as_text=True)


@pytest.mark.parametrize("accept, mimetype", [(BROWSER, "text/html"),
                                              ("application/json", "application/json")])
@pytest.mark.parametrize("how", ["file", "body"])
def test_more_than_max_content_length_is_refused(client, accept, mimetype, how):
    too_big = b"x" * (LIMIT + 1)
    keywords = ({"data": {"file": (io.BytesIO(too_big), "big.pdf")}} if how == "file"
                else {"data": too_big, "content_type": "application/pdf"})
    response = client.post("/verify", headers={"Accept": accept}, **keywords)
    assert response.status_code == 413
    assert response.mimetype == mimetype


# --- In Chromium, on a phone --------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("locale, lang", [("th-TH", "th"), ("en-GB", "en")])
def test_a_phone_uploads_a_pdf_and_reads_the_answer(open_page, live_server, published, tmp_path,
                                                    locale, lang):
    """No script: the file goes in a plain form; the answer names each licence and its status,
    in the browser's language, and neither page scrolls sideways at 390 px."""
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(_content(published))
    page = open_page(locale=locale, width=390, height=844)
    assert page.goto(live_server + "/verify").status == 200
    assert page.get_attribute("html", "lang") == lang
    assert fits_width(page)
    assert page.is_enabled("#verify-credential")                  # credentials (issue 14)
    page.set_input_files("#verify-file", str(pdf))
    with page.expect_navigation():
        page.click(".verify-upload button[type=submit]")
    assert page.url == live_server + f"/verify?lang={lang}"
    assert page.inner_text("h1") == words(lang, "verify")["result_title"]
    assert page.locator("article.verified-licence").count() == 3
    assert fits_width(page)
    assert page.errors == []
