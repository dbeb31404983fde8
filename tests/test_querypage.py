"""The SPARQL query page as drawn by `opendata.querypage.render_page` (the endpoint,
opendata/sparql.py, runs the query and passes the parsed SPARQL JSON results).

The HTML is read back with the standard library's parser into a small tree, so that the checks
are about elements and attributes, not about how the template spaces them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from opendata import querypage
from opendata.examples import load_examples
from registry import identifiers
from web.messages import message

from .support.htmltree import Node, parse
from .support.stores import BASE

XSD = "http://www.w3.org/2001/XMLSchema#"
LICENCE = f"{BASE}/id/licence/diw/factory-operation/จ3-106-12/2560"
HOSTILE = '<script>alert("x")</script>'


def uri(value: str) -> dict:
    return {"type": "uri", "value": value}


def literal(value: str, **extra) -> dict:
    return {"type": "literal", "value": value, **extra}


def select(names: list[str], *rows: dict) -> dict:
    return {"head": {"vars": names}, "results": {"bindings": list(rows)}}


@pytest.fixture(scope="module")
def app(module_app):
    """The tests here only render pages: one app for the module (tests/conftest.py)."""
    return module_app


@pytest.fixture
def render(app):
    """render(path=…, **render_page arguments) → (html, tree), inside a request to `path`."""
    def rendered(path: str = "/sparql", **given):
        arguments = {"query": "SELECT * WHERE { ?s ?p ?o }", "results": None, "error": None,
                     "truncated": False, "result_limit": 50_000, "time_limit_s": 20.0,
                     "elapsed_ms": None, "lang": "th", **given}
        with app.test_request_context(path):
            html = querypage.render_page(**arguments)
        return html, parse(html)
    return rendered


def cells(tree: Node) -> list[list[Node]]:
    return [row.find_all("td") for row in tree.find("tbody").find_all("tr")]


# --- The results table -------------------------------------------------------------------------


def test_a_results_table_with_headers_links_and_discreet_literals(render):
    results = select(
        ["licence", "status", "name", "count", "note", "graph", "homepage", "blank"],
        {"licence": uri(LICENCE), "status": uri("https://w3id.org/clc/status/active"),
         "name": literal("บริษัท สยามฟู้ด จำกัด", **{"xml:lang": "th"}),
         "count": literal("42", datatype=XSD + "integer"),
         "note": literal("plain", datatype=XSD + "string"),
         "graph": uri(f"{BASE}/graph/licence/diw/factory-operation/จ3-106-12/2560/version/2"),
         "homepage": uri("https://www.diw.go.th/"), "blank": {"type": "bnode", "value": "b0"}},
        {"licence": uri(f"{BASE}/id/agency/diw")})                  # the rest unbound
    html, tree = render(results=results, elapsed_ms=12.3)
    headers = [th.text for th in tree.find("thead").find_all("th")]
    assert headers == ["ลำดับ", "licence", "status", "name", "count", "note", "graph",
                       "homepage", "blank"]
    assert all(th.attrs["scope"] == "col" for th in tree.find("thead").find_all("th"))
    assert [th.attrs["scope"] for th in tree.find("tbody").find_all("th")] == ["row", "row"]
    first, second = cells(tree)
    link = first[0].find("a")
    assert link.text == LICENCE                          # the IRI as it is, Thai included
    assert link.attrs["href"] == identifiers.iri_to_uri(LICENCE[len(BASE):])   # the resolver
    assert "rel" not in link.attrs
    status = first[1].find("a")
    assert status.text == "clcstatus:active"
    assert status.attrs["title"] == "https://w3id.org/clc/status/active"
    assert "nofollow" in status.attrs["rel"].split()      # outside the register
    assert first[2].find("span", "literal").attrs["lang"] == "th"
    assert first[2].find("span", "tag").text == "@th"
    assert first[3].attrs["class"] == "num" and first[3].find("span", "tag").text == "xsd:integer"
    assert first[4].find("span", "tag") is None           # xsd:string goes unsaid
    assert first[5].find("a").attrs["href"] == identifiers.iri_to_uri(
        "/doc/licence/diw/factory-operation/จ3-106-12/2560") + "?version=2"
    homepage = first[6].find("a")
    assert homepage.attrs["href"] == "https://www.diw.go.th/"
    assert set(homepage.attrs["rel"].split()) >= {"nofollow", "noopener"}
    assert first[7].text.strip() == "_:b0"
    assert second[0].find("a").attrs["href"] == "/id/agency/diw"
    assert [td.text.strip() for td in second[1:]] == [""] * 7
    summary = tree.find("p", "summary").text
    assert "2 แถว" in summary and "12 มิลลิวินาที" in summary


def test_iris_under_the_base_that_nothing_serves_are_plain_text(render):
    holder = f"{BASE}/id/juristic-person/0105536000011"
    _, tree = render(results=select(["h", "u"], {"h": uri(holder),
                                                 "u": uri(f"{BASE}/graph/catalogue")}))
    row = cells(tree)[0]
    assert row[0].find("a") is None and row[0].find("span", "iri").text == holder
    assert row[1].find("a") is None


def test_hostile_values_are_escaped_and_never_links(render):
    results = select(
        ["text", "iri", "quote", "typed"],
        {"text": literal(HOSTILE, **{"xml:lang": "th"}), "iri": uri("javascript:alert(1)"),
         "quote": uri('https://example.org/"><script>alert(1)</script>'),
         "typed": literal("1", datatype='http://x/"><script>alert(2)</script>')})
    html, tree = render(results=results, query=HOSTILE, error=None)
    assert "<script" not in html.lower()
    row = cells(tree)[0]
    assert row[0].find("span", "literal").text == HOSTILE           # shown as text
    assert row[1].find("a") is None                                  # not a link
    assert row[1].text.strip() == "javascript:alert(1)"
    quoted = row[2].find("a")
    assert '"' not in quoted.attrs["href"] and "<" not in quoted.attrs["href"]
    assert row[3].find("span", "tag").text == 'http://x/"><script>alert(2)</script>'
    assert tree.find("textarea").text.strip() == HOSTILE


def test_the_truncation_notice_states_the_cap(render):
    rows = [{"n": literal(str(i), datatype=XSD + "integer")} for i in range(3)]
    _, tree = render(results=select(["n"], *rows), truncated=True, result_limit=3)
    notice = tree.find("p", "truncated")
    assert notice is not None and "3 แถว" in notice.text
    _, tree = render(results=select(["n"], *rows), truncated=True, result_limit=50_000,
                     lang="en")
    assert "cap of 50,000 rows" in tree.find("p", "truncated").text
    _, tree = render(results=select(["n"], *rows), truncated=False)
    assert tree.find("p", "truncated") is None


def test_the_page_draws_at_most_its_own_row_limit_and_says_so(render, monkeypatch):
    monkeypatch.setattr(querypage, "PAGE_ROWS", 5)
    rows = [{"n": literal(str(i))} for i in range(12)]
    _, tree = render(results=select(["n"], *rows), lang="en")
    assert len(cells(tree)) == 5
    assert "first 5 of 12 rows" in tree.find("p", "shown-only").text
    assert "12 rows" in tree.find("p", "summary").text


def test_no_rows_and_ask(render):
    _, tree = render(results=select(["a"]), lang="en")
    assert tree.find("table") is None and "0 rows" in tree.find("p", "empty").text
    _, tree = render(query="ASK { ?s ?p ?o }", results={"head": {}, "boolean": True})
    assert tree.find("p", "boolean").attrs["data-value"] == "true"
    assert "ใช่" in tree.find("p", "boolean").text
    _, tree = render(query="ASK { ?s ?p ?o }", results={"head": {}, "boolean": False}, lang="en")
    assert "No (false)" in tree.find("p", "boolean").text


def test_an_error_is_shown_escaped_without_results_or_downloads(render):
    html, tree = render(error=f"stopped after 20 s {HOSTILE}", error_code="query-time-limit")
    alert = tree.find("section", "error")
    assert alert.attrs["role"] == "alert"
    assert HOSTILE in alert.find("pre").text and "<script" not in html.lower()
    assert tree.find("table") is None and tree.find("nav", "downloads") is None


@pytest.mark.parametrize("code, lang, said", [
    ("invalid-query", "th", "ไม่ใช่ SPARQL 1.1 ที่ถูกต้อง"),
    ("invalid-query", "en", "not a valid SPARQL 1.1 query"),
    ("query-time-limit", "th", "ใช้เวลาเกินกำหนด"),
    ("query-time-limit", "en", "ran past the time limit"),
    ("read-only", "th", "อ่านได้อย่างเดียว"),
    ("service-not-allowed", "en", "SERVICE"),
    ("query-busy", "th", "ลองใหม่"),
    ("no-such-code", "th", "คำค้นนี้ทำงานไม่สำเร็จ ดูรายละเอียดด้านล่าง"),
    (None, "en", "could not be answered"),
])
def test_errors_say_why_in_the_pages_language(render, code, lang, said):
    _, tree = render(error="Parser error at line 1", error_code=code, lang=lang)
    alert = tree.find("section", "error")
    assert said in alert.find("p", "reason").text
    detail = alert.find("pre")
    assert detail.text == "Parser error at line 1" and detail.attrs["lang"] == "en"


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_failed_query_through_the_endpoint_says_why_in_the_visitors_language(app, lang):
    page = app.test_client().get("/sparql", query_string={"query": "SELECT ?x WHERE {",
                                                         "lang": lang},
                                 headers={"Accept": "text/html"})
    assert page.status_code == 400
    reason = parse(page.get_data(as_text=True)).find("section", "error").find("p", "reason")
    assert reason.attrs["data-code"] == "invalid-query"
    assert ("ไม่ใช่ SPARQL" if lang == "th" else "not a valid SPARQL") in reason.text
    refused = app.test_client().get("/sparql", query_string={
        "query": "INSERT DATA { <a:b> <a:c> <a:d> }", "lang": lang},
        headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert ("อ่านได้อย่างเดียว" if lang == "th" else "read-only") in refused.get_data(as_text=True)


@pytest.mark.parametrize("lang, iri, word", [
    ("th", "https://w3id.org/clc/status/expired", "หมดอายุ"),
    ("en", "https://w3id.org/clc/status/expired", "Expired"),
    ("th", "https://w3id.org/clc/status/revoked", "ถูกเพิกถอน"),
    # the lists' own words for levels and themes (web/messages.toml [lists])
    ("th", "https://w3id.org/clc/level/central", message("lists.levels", "th")["central"]),
    ("en", "https://w3id.org/clc/level/local", message("lists.levels", "en")["local"]),
    ("th", "https://w3id.org/clc/bcg/green", message("lists.themes", "th")["green"]),
])
def test_status_and_level_codes_are_shown_with_their_words(render, lang, iri, word):
    _, tree = render(results=select(["s"], {"s": uri(iri)}), lang=lang)
    cell, = cells(tree)[0]
    assert cell.find("a", "iri").text == querypage.compact(iri)      # a link to the IRI
    assert cell.find("span", "word").text == f"({word})"


def test_other_iris_have_no_word(render):
    _, tree = render(results=select(["s"], {"s": uri("https://schema.org/GovernmentPermit")}))
    assert cells(tree)[0][0].find("span", "word") is None


# --- Downloads, examples, limits, languages ---------------------------------------------------


def _download_links(tree: Node) -> dict[str, dict[str, list[str]]]:
    return {a.text: parse_qs(urlsplit(a.attrs["href"]).query)
            for a in tree.find("nav", "downloads").find_all("a")}


def test_download_links_for_select_and_for_graphs(render):
    query = 'SELECT ?s WHERE { ?s ?p "ไทย & <more>" }'
    _, tree = render(query=query, results=select(["s"]))
    links = _download_links(tree)
    assert list(links) == ["JSON", "XML", "CSV", "TSV"]
    assert [q["format"] for q in links.values()] == [["json"], ["xml"], ["csv"], ["tsv"]]
    assert all(q["query"] == [query] for q in links.values())
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
    triples = select(["subject", "predicate", "object"])
    links = _download_links(render(query=construct, results=triples)[1])
    assert list(links) == ["Turtle", "JSON-LD", "N-Triples", "RDF/XML"]
    assert [q["format"] for q in links.values()] == [["ttl"], ["jsonld"], ["nt"], ["rdf"]]
    assert render(query="DESCRIBE <https://example.org/x>", results=triples)[1] \
        .find("nav", "downloads").find("a").text == "Turtle"
    assert render(query="this is not sparql")[1].find("nav", "downloads") is None
    assert render(query="")[1].find("nav", "downloads") is None


def test_examples_are_listed_and_the_opened_one_is_named(render):
    examples = load_examples()
    example = examples[4]
    _, tree = render(path=f"/sparql?example={example.id}", query=example.text("en"), lang="en")
    links = tree.find("nav", "examples").find_all("a")
    assert [a.text for a in links] == [e.title_en for e in examples]
    assert [parse_qs(urlsplit(a.attrs["href"]).query) for a in links] == \
        [{"example": [e.id], "lang": ["en"]} for e in examples]
    assert [a.attrs.get("aria-current") for a in links].count("page") == 1
    assert example.title_en in tree.find("label").text
    assert tree.find("textarea").text.strip() == example.text("en").strip()
    assert querypage.example_by_id(example.id) == example


@pytest.mark.parametrize("lang", ["th", "en"])
def test_an_example_opens_with_its_note_in_the_pages_language(app, lang):
    """Through the endpoint: /sparql?example=… opens the query, its comments in the visitor's
    language (and the page names the example as the one opened)."""
    example = load_examples()[6]
    page = app.test_client().get(f"/sparql?example={example.id}&lang={lang}",
                                 headers={"Accept": "text/html"})
    tree = parse(page.get_data(as_text=True))
    editor = tree.find("textarea").text.strip()
    assert editor == example.text(lang).strip()
    assert example.note(lang).splitlines()[0] in editor
    assert example.note("en" if lang == "th" else "th").splitlines()[0] not in editor
    assert example.title(lang) in tree.find("label").text
    assert querypage.example_by_id("no-such-example") is None


def test_the_form_limits_and_both_languages(render):
    html, tree = render(result_limit=50_000, time_limit_s=20.0)
    assert tree.find("html").attrs["lang"] == "th"
    form = tree.find("form")
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/sparql"
    textarea = form.find("textarea")
    assert textarea.attrs["name"] == "query"
    assert form.find("label").attrs["for"] == textarea.attrs["id"]
    assert form.find("button").attrs["type"] == "submit"
    limits = tree.find("section", "limits").text
    for said in ("50,000", "20 วินาที", "SPARQL Update", "SERVICE"):
        assert said in limits
    switch = tree.find("a", "lang")
    assert switch.text == "English" and switch.attrs["hreflang"] == "en"
    assert parse_qs(urlsplit(switch.attrs["href"]).query)["lang"] == ["en"]
    _, english = render(lang="en", time_limit_s=7.5)
    assert english.find("html").attrs["lang"] == "en"
    assert "7.5 seconds" in english.find("section", "limits").text
    assert english.find("a", "lang").text == "ภาษาไทย"
    assert "<script" not in html.lower()


def test_the_language_switch_keeps_the_query_or_the_example(render):
    example = load_examples()[0]
    _, tree = render(path=f"/sparql?example={example.id}", query=example.text("th"))
    assert parse_qs(urlsplit(tree.find("a", "lang").attrs["href"]).query) == \
        {"example": [example.id], "lang": ["en"]}
    _, tree = render(query="ASK {}", results={"head": {}, "boolean": True}, lang="en")
    assert parse_qs(urlsplit(tree.find("a", "lang").attrs["href"]).query) == \
        {"query": ["ASK {}"], "lang": ["th"]}


def test_the_stylesheet_and_icon_are_served(client, render):
    _, tree = render()
    for href in (tree.find("link", None).attrs["href"],
                 *[link.attrs["href"] for link in tree.find_all("link")]):
        response = client.get(href)
        assert response.status_code == 200, href
    css = [link.attrs["href"] for link in tree.find_all("link")
           if link.attrs.get("rel") == "stylesheet"]
    assert css and client.get(css[0]).mimetype == "text/css"
