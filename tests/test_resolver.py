"""Dereferencing licence IRIs (SPEC §6): status codes, headers and conneg, table-driven."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest
import rdflib
from rdflib.compare import isomorphic

from registry import identifiers
from web.state import state_of

from .support.builders import app_over, licence_path
from .support.sharedstores import copy_of_store, resolver_licences
from .support.stores import BASE

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


# The tests here only read (the one that changes a licence makes a store of its own): one
# store, app and set of licences for the module (tests/conftest.py).
@pytest.fixture(scope="module")
def embedded_repo(module_repo):
    return module_repo


@pytest.fixture(scope="module")
def app(module_app):
    return module_app


@pytest.fixture(scope="module")
def client(module_app):
    return module_app.test_client()


@pytest.fixture(scope="module")
def licences(module_licences):
    return module_licences


@pytest.mark.parametrize("which, accept, query, status, location", [
    ("public", CHROME, "", 303, "doc"),
    ("public", None, "", 303, "doc"),
    ("public", "text/turtle", "", 303, "doc"),
    ("public", "application/ld+json", "", 303, "doc"),
    ("public", "application/pdf", "", 303, "file"),
    ("public", "application/pdf;q=0.5, text/html", "", 303, "doc"),
    ("restricted", "application/pdf", "", 303, "login"),
    ("bare", "application/pdf", "", 406, None),
    ("public", CHROME, "?format=ttl", 303, "doc?format=ttl"),
    ("public", "image/png", "", 406, None),
])
def test_id_redirects(client, licences, which, accept, query, status, location):
    keys, rows = licences
    headers = {"Accept": accept} if accept else {}
    response = client.get(licence_path("id", keys[which]) + query, headers=headers)
    assert response.status_code == status
    if location == "file":
        assert response.location == rows["public"]["document_url"]
    elif location == "login":
        assert response.location == rows["restricted"]["document_login_url"]
    elif location:
        expected = licence_path("doc", keys[which]) + location[3:]
        assert response.location.endswith(expected)
    if status == 303:
        assert "Accept" in response.headers["Vary"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("variant, latin", [
    (lambda n: n.translate({ord(str(d)): chr(0x0E50 + d) for d in range(10)}), False),
    (lambda n: " " + n.replace("/", " / ") + " ", False),
    (lambda n: n.replace("-", "\u2013"), False),
    # Case: no licence type's numbers take Latin letters yet, so no stored licence has one to
    # lower; the 301 comes before any look-up (resolver/routes.py), so a number with letters
    # shows it.
    (lambda n: n.lower(), True),
])
def test_variant_numbers_move_permanently(client, licences, variant, latin):
    keys, _ = licences
    key = keys["thai"]
    if latin:
        key = identifiers.LicenceKey(key.issuer, key.type, "AB-" + key.number)
    typed = variant(key.number)
    assert typed != key.number                      # a variant, or the test would prove nothing
    response = client.get(f"/id/licence/{key.issuer}/{key.type}/{quote(typed)}?lang=en")
    assert response.status_code == 301
    assert response.location.endswith(licence_path("id", key) + "?lang=en")


def test_thai_iri_and_uri_forms_both_resolve(client, licences):
    keys, _ = licences
    key = keys["thai"]
    assert client.get(licence_path("doc", key)).status_code == 200         # percent-encoded
    assert client.get(f"/doc/licence/{key.path}").status_code == 200       # Unicode


def test_every_rdf_format_gives_the_same_graph(client, licences):
    keys, _ = licences
    graphs = []
    for fmt, parser in (("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        response = client.get(licence_path("doc", keys["public"]) + f"?format={fmt}")
        assert response.status_code == 200
        graphs.append(rdflib.Graph().parse(data=response.get_data(as_text=True), format=parser))
    assert len(graphs[0]) > 15
    for graph in graphs[1:]:
        assert isomorphic(graphs[0], graph)


@pytest.mark.parametrize("accept, fmt, status, media", [
    (CHROME, None, 200, "text/html"),
    ("text/turtle", None, 200, "text/turtle"),
    ("application/n-triples", None, 200, "application/n-triples"),
    ("application/rdf+xml", None, 200, "application/rdf+xml"),
    ("application/ld+json", None, 200, "application/ld+json"),
    ("image/png", None, 406, "application/json"),
    (None, "pdf", 400, "application/json"),
])
def test_doc_conneg(client, licences, accept, fmt, status, media):
    keys, _ = licences
    headers = {"Accept": accept} if accept else {}
    response = client.get(licence_path("doc", keys["public"]) + (f"?format={fmt}" if fmt else ""),
                          headers=headers)
    assert response.status_code == status
    assert response.mimetype == media


def test_validators_and_304(client, licences):
    keys, _ = licences
    first = client.get(licence_path("doc", keys["public"]), headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get(licence_path("doc", keys["public"]), headers={"Accept": "text/turtle",
                                                             "If-None-Match": etag})
    assert again.status_code == 304
    html = client.get(licence_path("doc", keys["public"]), headers={"Accept": "text/html",
                                                            "If-None-Match": etag})
    assert html.status_code == 200                     # another representation, another tag


def test_page_shows_status_holder_and_says_revoked(client, licences):
    keys, rows = licences
    page = client.get(licence_path("doc", keys["revoked"]) + "?lang=th").get_data(as_text=True)
    assert "ถูกเพิกถอน" in page and "ฝ่าฝืนเงื่อนไขใบอนุญาต" in page
    assert 'data-status="revoked"' in page
    english = client.get(licence_path("doc", keys["revoked"]), headers={"Accept-Language": "en"})
    assert "Revoked" in english.get_data(as_text=True)
    assert "script-src 'none'" in english.headers["Content-Security-Policy"]
    public = client.get(licence_path("doc", keys["public"])).get_data(as_text=True)
    assert rows["public"]["document_sha256"] in public
    assert identifiers.licence_iri(BASE, keys["public"]) in public


def test_unknown_licence_is_404_with_suggestions(client, licences):
    keys, _ = licences
    key = keys["public"]
    near = key.number[:-1] + ("1" if key.number[-1] != "1" else "2")
    html = client.get(f"/id/licence/{key.issuer}/{key.type}/{quote(near)}")
    assert html.status_code == 404 and "text/html" in html.content_type
    assert key.number in html.get_data(as_text=True)        # did you mean …
    data = client.get(f"/doc/licence/{key.issuer}/{key.type}/{quote(near)}",
                      headers={"Accept": "text/turtle"})
    assert data.status_code == 404
    assert data.get_json()["error"]["code"] == "licence-not-found"


@pytest.mark.parametrize("crafted", [
    "//evil.example", "%2F%2Fevil.example", "@evil.example", "javascript:alert(1)",
    "diw/factory-operation/..%2F..%2F..%2Fevil", "diw/factory-operation/x?next=https://evil",
    "/\\evil.example", "https:%2F%2Fevil.example",
])
@pytest.mark.parametrize("kind", ["id", "doc", "file", "qr"])
def test_never_an_open_redirect(client, licences, kind, crafted):
    from urllib.parse import urlsplit

    response = client.get(f"/{kind}/licence/{crafted}", headers={"Accept": "application/pdf"})
    location = response.headers.get("Location", "")
    target = urlsplit(location)
    # Any redirect stays on this host: same-origin paths (Werkzeug folds "//"), never elsewhere.
    assert target.scheme in ("", "http", "https") and target.netloc in ("", "localhost")
    assert not location.startswith(("//", "/\\"))


def test_a_stored_non_https_url_is_never_followed(tmp_path, initialised_template, publish):
    import pyoxigraph as ox

    from registry.store import ChangeSet

    own_repo = copy_of_store(initialised_template, tmp_path / "store")   # it changes a licence
    keys, _ = resolver_licences(own_repo, publish)
    client = app_over(own_repo).test_client()
    key = keys["public"]
    graph = identifiers.licence_graph_iri(BASE, key)
    triples = own_repo.graph_triples(graph)
    hacked = [ox.Quad(t.subject, t.predicate,
                      ox.NamedNode("http://evil.example/x.pdf")
                      if t.predicate.value == "https://schema.org/url" else t.object,
                      ox.NamedNode(graph)) for t in triples]
    own_repo.apply(ChangeSet.from_quads(hacked, replace=[graph]))
    response = client.get(licence_path("file", key))
    assert response.status_code == 404 and "evil" not in response.headers.get("Location", "")
    assert "evil" not in client.get(licence_path("id", key), headers={"Accept": "application/pdf"}
                                    ).headers.get("Location", "")
    own_repo.close()


def test_file_leads_to_the_document_or_explains(client, licences):
    keys, rows = licences
    assert (client.get(licence_path("file", keys["public"])).location
            == rows["public"]["document_url"])
    assert client.get(licence_path("file", keys["restricted"])).location == \
        rows["restricted"]["document_login_url"]
    bare = client.get(licence_path("file", keys["bare"]))
    assert bare.status_code == 404
    assert "has not published a file" in bare.get_json()["error"]["detail"]


def test_qr_code_decodes_to_the_licence_iri(client, licences):
    import zxingcpp
    from PIL import Image

    keys, _ = licences
    key = keys["thai"]
    png = client.get(licence_path("qr", key) + "?format=png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))]
    iri = identifiers.licence_iri(BASE, key)
    assert decoded == [identifiers.iri_to_uri(iri)]
    assert identifiers.uri_to_iri(decoded[0]) == iri
    svg = client.get(licence_path("qr", key))
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_resolve_by_number(client, licences):
    keys, rows = licences
    one = client.get("/resolve", query_string={"number": "จ๓-๑๐๖-๑๒/๒๕๖๐"})
    assert one.status_code == 303 and one.location.endswith(licence_path("id", keys["thai"]))
    assert client.get("/resolve", query_string={"number": "NO-SUCH-9/9"}).status_code == 404
    assert client.get("/resolve", query_string={"number": "12#3"}).status_code == 400
    several = client.get("/resolve", query_string={"number": rows["public"]["licence_number"]},
                         headers={"Accept": "application/json"})
    assert several.status_code == 300
    assert len(several.get_json()["candidates"]) == 2
    page = client.get("/resolve", query_string={"number": rows["public"]["licence_number"]})
    assert page.status_code == 300 and page.get_data(as_text=True).count("<li>") == 2


def test_verify_a_document(client, licences):
    keys, rows = licences
    key = keys["public"]
    content = f"{key.issuer}/{key.type}/{rows['public']['licence_number']}".encode()
    sha = hashlib.sha256(content).hexdigest()
    assert sha == rows["public"]["document_sha256"]        # the demo file's content
    by_hash = client.get("/verify", query_string={"sha256": sha}).get_json()
    assert by_hash["matches"][0]["licence"] == identifiers.licence_iri(BASE, key)
    assert by_hash["matches"][0]["effective_status"] in ("active", "expired")
    by_file = client.post("/verify", data={"file": (io.BytesIO(content), "licence.pdf")})
    assert by_file.get_json()["matches"] == by_hash["matches"]
    assert client.get("/verify", query_string={"sha256": "0" * 64}).status_code == 404
    assert client.get("/verify", query_string={"sha256": "xyz"}).status_code == 400


def test_versions_and_dates(client, embedded_repo, licences):
    keys, _ = licences
    old = client.get(licence_path("doc", keys["revoked"]) + "?version=1")
    assert old.status_code == 200
    assert client.get(licence_path("doc", keys["revoked"]) + "?version=9").status_code == 404
    assert client.get(licence_path("doc", keys["revoked"]) + "?at=1999-01-01").status_code == 404
    assert client.get(licence_path("doc", keys["revoked"]) + "?at=yesterday").status_code == 400


@pytest.mark.parametrize("kind, code, words", [
    ("licence-type", "factory-operation", ["ใบอนุญาตประกอบกิจการโรงงาน", "diw"]),
    ("agency", "bma-bangrak", ["สำนักงานเขตบางรัก", "licence-type/"]),
])
def test_licence_types_and_agencies_resolve(client, kind, code, words):
    response = client.get(f"/id/{kind}/{code}")
    assert response.status_code == 303 and response.location.endswith(f"/doc/{kind}/{code}")
    page = client.get(f"/doc/{kind}/{code}?lang=th")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(w in text for w in words)
    turtle = client.get(f"/doc/{kind}/{code}", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (rdflib.URIRef(f"{BASE}/id/{kind}/{code}"), None, None) in graph
    assert client.get(f"/doc/{kind}/no-such-code").status_code == 404
    assert client.get(f"/doc/{kind}/BAD_CODE").status_code == 404


@pytest.mark.parametrize("accept", [None, CHROME, "text/turtle", "application/pdf", "image/png",
                                    "application/pdf;q=0.5, text/html"])
@pytest.mark.parametrize("which", ["public", "restricted", "bare", "thai", "unknown", "variant"])
def test_fast_path_answers_exactly_as_the_flask_route(app, licences, which, accept):
    """The WSGI fast path (resolver/fastpath.py) and the full route give the same answer."""
    from resolver.fastpath import IdFastPath

    keys, _ = licences
    if which == "unknown":
        target = "/id/licence/diw/factory-operation/99999999999999"
    elif which == "variant":
        target = f"/id/licence/{keys['thai'].issuer}/{keys['thai'].type}/" + quote("จ๓-106-12/2560")
    else:
        target = licence_path("id", keys[which])
    headers = {"Accept": accept} if accept else {}
    fast = app.test_client().get(target, headers=headers)
    assert isinstance(app.wsgi_app, IdFastPath)
    full_app = app.wsgi_app.app
    app.wsgi_app = full_app
    try:
        full = app.test_client().get(target, headers=headers)
    finally:
        app.wsgi_app = IdFastPath(full_app, state_of(app).repository, BASE)
    assert fast.status_code == full.status_code
    assert fast.headers.get("Location") == full.headers.get("Location")
    if fast.status_code == 303:
        assert fast.headers["Vary"] == full.headers["Vary"]
        assert fast.headers["Access-Control-Allow-Origin"] == "*"
