"""POST /api/v1/uploads in JSON, JSON-LD and Turtle (SPEC §2, §5; issue "Agency publishing").

The same licences sent as CSV, JSON, JSON-LD (context by URL or inline) and Turtle are stored
as the same licence graphs; an IRI named anywhere in an RDF upload (`@id`, subject, graph name,
a stray triple) is checked against the uploading agency's scope; nothing is ever fetched
(contexts, DTDs); JSON is checked against its published schema first.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.jsoninput import SCHEMA_PATH
from publishing.rdfinput import CONTEXT_PATH
from registry.records import COLUMNS

from .support.builders import (
    csv_upload_graphs,
    licence_graphs,
    post_upload,
    rows_of_both_holder_kinds,
)
from .support.rdfbodies import (
    CONTEXT_URL,
    INLINE_CONTEXT,
    PREFIXES,
    jsonld_body,
    jsonld_node,
    licence_iri,
    literal,
    turtle_body,
    turtle_record,
)
from .support.stores import BASE, licence_count

JSON, JSONLD, TURTLE = "application/json", "application/ld+json", "text/turtle"


# --- bodies of each format ---------------------------------------------------------------------

def bodies(rows) -> dict[str, tuple[str, str]]:
    return {
        "json": (JSON, json.dumps(rows, ensure_ascii=False)),
        "json-wrapped": (JSON, json.dumps({"licences": rows}, ensure_ascii=False)),
        "jsonld-context-url": (JSONLD, jsonld_body(rows)),
        "jsonld-inline-context-blank-nodes": (JSONLD, jsonld_body(rows, INLINE_CONTEXT,
                                                                  with_id=False)),
        "turtle": (TURTLE, turtle_body(rows)),
    }


def error_of(response) -> dict:
    return response.get_json()["error"]


def violations(response) -> set[tuple]:
    return {(p["row"], p["field"], p["rule"]) for p in error_of(response)["problems"]
            if p["severity"] == "Violation"}


@pytest.fixture(scope="module")
def five(catalogue):
    return rows_of_both_holder_kinds(catalogue, 5)


@pytest.fixture(scope="module")
def csv_graphs(tmp_path_factory, five):
    """The licence graphs the five licences make when uploaded as CSV to a fresh store."""
    return csv_upload_graphs(tmp_path_factory.mktemp("csv-store"), five)


# --- the same licences in every format ---------------------------------------------------------

@pytest.mark.parametrize("variant", ["json", "json-wrapped", "jsonld-context-url",
                                     "jsonld-inline-context-blank-nodes", "turtle"])
def test_every_format_stores_what_csv_stores(client, embedded_repo, diw_key, five, csv_graphs,
                                             variant):
    content_type, body = bodies(five)[variant]
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["created"], response.get_json()["rows"]) == (5, 5)
    stored = licence_graphs(embedded_repo)
    assert stored == csv_graphs
    assert {s[1:-1] for _g, s, p, _o in stored if p.endswith("/clc/def#version>")} == \
        {licence_iri(r) for r in five}
    # and sending it again in another format changes nothing
    again = post_upload(client, rows_to_csv(five), diw_key)
    assert again.get_json()["unchanged"] == 5


def _thai_digits(text: str) -> str:
    return text.translate({ord("0") + i: chr(ord("๐") + i) for i in range(10)})


@pytest.mark.parametrize("content_type", [JSON, JSONLD, TURTLE])
def test_number_variants_reach_the_same_licence(client, embedded_repo, diw_key, five,
                                                 content_type):
    """A number written otherwise (Thai digits, lower case, spaces) is the same licence: one
    IRI, so the upload is an amendment (the printed form changed), never a second licence."""
    row = next(r for r in five if any(c.isdigit() for c in r["licence_number"]))
    assert post_upload(client, rows_to_csv([row]), diw_key).get_json()["created"] == 1
    variant = dict(row, licence_number=" " + _thai_digits(row["licence_number"]).lower() + " ")
    assert variant["licence_number"] != row["licence_number"]
    body = {JSON: lambda: json.dumps([variant], ensure_ascii=False),
            JSONLD: lambda: jsonld_body([variant]),
            TURTLE: lambda: turtle_body([variant])}[content_type]()
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["created"], response.get_json()["updated"]) == (0, 1)
    assert licence_count(embedded_repo) == 1


def test_json_rows_are_numbered_from_one(client, diw_key, five):
    rows = [dict(r) for r in five]
    rows[2]["holder_id"] = "0105556012340"                  # wrong check digit
    response = post_upload(client, json.dumps(rows), diw_key, content_type=JSON)
    assert response.status_code == 422
    assert violations(response) == {(3, "holder_id", "holder-id-checksum")}


def test_rdf_rows_are_named_by_node(client, diw_key, five):
    rows = [dict(r) for r in five]
    rows[1]["valid_until"] = "1999-01-01"
    response = post_upload(client, turtle_body(rows), diw_key, content_type=TURTLE)
    assert response.status_code == 422
    assert violations(response) == {(licence_iri(rows[1]), "valid_until", "dates-order")}


def test_dry_run_of_rdf_writes_nothing(client, embedded_repo, diw_key, five):
    before = embedded_repo.export_bytes()
    response = post_upload(client, jsonld_body(five), diw_key, content_type=JSONLD,
                           query="?dry_run=true")
    assert response.status_code == 200 and response.get_json()["licences"] == 5
    assert embedded_repo.export_bytes() == before


def test_named_graph_of_the_licence_is_accepted(client, embedded_repo, diw_key, five):
    row = five[0]
    graph = f"{BASE}/graph/licence/" + licence_iri(row).split("/id/licence/", 1)[1]
    response = post_upload(client, jsonld_body([row], **{"@id": graph}), diw_key,
                           content_type=JSONLD)
    assert response.status_code == 200, response.get_json()
    assert licence_count(embedded_repo) == 1


def test_named_graph_must_be_the_records(client, embedded_repo, diw_key, five):
    """Graph named after another licence of the same agency: record-iri, nothing written."""
    before = embedded_repo.export_bytes()
    response = post_upload(client, jsonld_body([five[0]], **{"@id": licence_iri(five[2])}), diw_key,
                           content_type=JSONLD)
    assert response.status_code == 422
    assert {rule for _r, _f, rule in violations(response)} == {"record-iri"}
    assert embedded_repo.export_bytes() == before


# --- BOLA: another agency's licences, however they are named ---------------------------------

def _dot(catalogue):
    return next(iter(demo_rows(catalogue, 1, agency="dot")))


def bola_bodies(five, dot) -> dict[str, tuple[str, str]]:
    mine = five[0]
    dot_iri = licence_iri(dot)
    dot_graph = f"{BASE}/graph/licence/" + dot_iri.split("/id/licence/", 1)[1]
    in_graph = {"@context": CONTEXT_URL, "@id": dot_graph, "@graph": [jsonld_node(mine)]}
    return {
        "json-row": (JSON, json.dumps([mine, dot], ensure_ascii=False)),
        "jsonld-row": (JSONLD, jsonld_body([mine, dot])),
        "jsonld-@id": (JSONLD, json.dumps({"@context": CONTEXT_URL,
                                           "@graph": [{**jsonld_node(mine), "id": dot_iri}]})),
        "jsonld-named-graph": (JSONLD, json.dumps(in_graph, ensure_ascii=False)),
        "jsonld-named-graph-by-licence-iri": (JSONLD, json.dumps(
            {**in_graph, "@id": dot_iri}, ensure_ascii=False)),
        "jsonld-graph-of-stray-triples": (JSONLD, json.dumps(
            [{"@context": CONTEXT_URL, "@graph": [jsonld_node(mine)]},
             {"@context": CONTEXT_URL, "@id": dot_graph,
              "@graph": [{"id": f"{BASE}/id/agency/diw", "prefLabel": {"th": "x"}}]}],
            ensure_ascii=False)),
        "turtle-subject": (TURTLE, PREFIXES + turtle_record(mine, subject=dot_iri)),
        "turtle-stray-triple": (TURTLE, turtle_body(
            [mine], f'<{dot_iri}> schema:validUntil "2001-01-01"^^xsd:date .\n')),
        "turtle-stray-part": (TURTLE, turtle_body(
            [mine], f'<{dot_iri}#document> schema:url <https://evil.example/x.pdf> .\n')),
    }


@pytest.mark.parametrize("variant", ["json-row", "jsonld-row", "jsonld-@id", "jsonld-named-graph",
                                     "jsonld-named-graph-by-licence-iri",
                                     "jsonld-graph-of-stray-triples", "turtle-subject",
                                     "turtle-stray-triple", "turtle-stray-part"])
def test_other_agencys_licence_is_forbidden(client, embedded_repo, diw_key, catalogue, five,
                                            variant):
    dot = _dot(catalogue)
    assert dot["issuer"] == "dot" and "dot" not in catalogue.scope_of("diw")
    before = embedded_repo.export_bytes()
    content_type, body = bola_bodies(five, dot)[variant]
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 403, response.get_json()
    assert error_of(response)["code"] == "out-of-scope"
    assert "issuer-scope" in {rule for _r, _f, rule in violations(response)}
    assert embedded_repo.export_bytes() == before


def test_catalogue_triples_in_an_upload_are_ignored(client, embedded_repo, diw_key, catalogue,
                                                     five):
    catalogue_graph = f"{BASE}/graph/catalogue"
    before = sorted(str(t) for t in embedded_repo.graph_triples(catalogue_graph))
    extra = (f"<{BASE}/id/agency/diw> clc:mayPublishFor <{BASE}/id/agency/dot> .\n"
             f"<{BASE}/id/licence-type/tour-business> cv:hasCompetentAuthority "
             f"<{BASE}/id/agency/diw> .\n")
    response = post_upload(client, turtle_body(five[:1], extra), diw_key, content_type=TURTLE)
    assert response.status_code == 200, response.get_json()
    assert sorted(str(t) for t in embedded_repo.graph_triples(catalogue_graph)) == before
    assert not embedded_repo.ask(
        "ASK { GRAPH ?g { ?a <https://w3id.org/clc/def#mayPublishFor> "
        f"<{BASE}/id/agency/dot> }} }}")


# --- nothing is fetched --------------------------------------------------------------------------

class Listener:
    """A loopback TCP server that only counts the connections it is offered. A connect()
    returns once the kernel holds the connection in the listen backlog, so one made while a
    request was answered is counted as soon as the answer is there: no need to wait."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self._accepted = 0

    @property
    def connections(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return self._accepted
            self._accepted += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def remote_context_bodies(url: str, row) -> dict[str, str]:
    node = jsonld_node(row)
    return {
        "top-level": json.dumps({"@context": url, **node}),
        "in-a-list": json.dumps({"@context": [CONTEXT_URL, url], **node}),
        "on-a-node": json.dumps({"@context": CONTEXT_URL, "@graph": [{"@context": url, **node}]}),
        "imported": json.dumps({"@context": {"@import": url}, **node}),
        "scoped-in-an-inline-context": json.dumps(
            {"@context": {"x": {"@id": "http://example.org/x", "@context": url}}, **node}),
        "inline-that-is-not-ours": json.dumps({"@context": {"schema": "https://schema.org/"},
                                               "@id": licence_iri(row)}),
    }


@pytest.mark.parametrize("variant", ["top-level", "in-a-list", "on-a-node", "imported",
                                     "scoped-in-an-inline-context", "inline-that-is-not-ours"])
def test_remote_contexts_are_refused_without_connecting(client, embedded_repo, diw_key, five,
                                                        listener, variant):
    url = f"http://127.0.0.1:{listener.port}/ctx"
    before = embedded_repo.export_bytes()
    response = post_upload(client, remote_context_bodies(url, five[0])[variant], diw_key,
                           content_type=JSONLD)
    assert response.status_code == 422, response.get_json()
    assert "@context" in error_of(response)["detail"]
    assert CONTEXT_URL in error_of(response)["detail"]
    assert listener.connections == 0
    assert embedded_repo.export_bytes() == before
    # the listener does see connections: the zero above is real
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.connections == 1


def test_jsonld_without_context_uses_full_iris(client, embedded_repo, diw_key, five):
    from pyld import jsonld

    expanded = jsonld.expand(json.loads(jsonld_body(five[:2])), {
        "documentLoader": lambda url, options=None: {
            "contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": {"@context": INLINE_CONTEXT}}})
    assert "@context" not in json.dumps(expanded)
    response = post_upload(client, json.dumps(expanded, ensure_ascii=False), diw_key,
                           content_type=JSONLD)
    assert response.status_code == 200, response.get_json()
    assert licence_count(embedded_repo) == 2


@pytest.mark.parametrize("change, says", [
    (lambda n: {**n, "id": "diw/factory-operation/1"}, "relative IRI"),
    (lambda n: {**n, "document": {**n["document"], "url": "https://x.go.th/a b.pdf"}},
     "not a valid IRI"),
    (lambda n: {**n, "conditions": {"@value": "x", "@language": "th th"}}, "language tag"),
    (lambda n: "a string", "an object or an array"),
    (lambda n: {**n, "validUntill": n.get("validUntil", "2030-01-01")},
     "'validUntill' is not a term"),
    (lambda n: {**n, "document": {**n["document"], "sha265": "x"}}, "document.sha265"),
])
def test_what_jsonld_would_drop_silently_is_refused(client, diw_key, five, change, says):
    """pyld leaves out relative or ill-formed IRIs and bad language tags without a word; a
    dropped document URL would be data lost, so the upload is refused instead."""
    node = jsonld_node(next(r for r in five if r["document_url"]))
    changed = change(node)
    body = json.dumps(changed if isinstance(changed, str) else {"@context": CONTEXT_URL,
                                                                  **changed})
    response = post_upload(client, body, diw_key, content_type=JSONLD)
    assert response.status_code == 422
    assert says in error_of(response)["detail"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&lol9;</rdf:RDF>
"""


@pytest.mark.parametrize("content_type, body", [
    (TURTLE, BILLION_LAUGHS),
    (JSONLD, BILLION_LAUGHS),
    (JSON, BILLION_LAUGHS),
    (TURTLE, PREFIXES + "# <!doctype x>\n"),
    (JSONLD, json.dumps({"@context": CONTEXT_URL, "conditions": "<!Entity x 'y'>"})),
    ("text/csv", "licence_number,licence_type,issuer\n<!DOCTYPE x>,a,b\n"),
])
def test_doctype_and_entities_are_refused_before_parsing(client, diw_key, content_type, body):
    started = time.monotonic()
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    detail = error_of(response)["detail"]
    assert "DOCTYPE" in detail.upper() or "ENTITY" in detail.upper()


# --- JSON schema, parse errors -------------------------------------------------------------------

@pytest.mark.parametrize("change, index, field", [
    (lambda r: {**r, "valid_untill": "2030-01-01"}, 1, "valid_untill"),
    (lambda r: {k: v for k, v in r.items() if k != "licence_number"}, 1, "licence_number"),
    (lambda r: {**r, "holder_id": 105556012345}, 1, "holder_id"),
    (lambda r: {**r, "issued": None}, 1, "issued"),
])
def test_json_schema_violations_name_index_and_field(client, embedded_repo, diw_key, five,
                                                     change, index, field):
    rows = [dict(r) for r in five]
    rows[index] = change(rows[index])
    before = embedded_repo.export_bytes()
    response = post_upload(client, json.dumps(rows, ensure_ascii=False), diw_key, content_type=JSON)
    assert response.status_code == 422
    error = error_of(response)
    assert f"array index {index}" in error["detail"] and repr(field) in error["detail"]
    message = error["problems"][0]["message"]
    assert f"ตำแหน่ง {index}" in message["th"] and repr(field) in message["th"]
    assert embedded_repo.export_bytes() == before


@pytest.mark.parametrize("body", ['{"rows": []}', '"text"', "[[]]", '{"licences": {}}'])
def test_json_of_the_wrong_shape_is_refused(client, diw_key, body):
    response = post_upload(client, body, diw_key, content_type=JSON)
    assert response.status_code == 422
    assert "licence" in error_of(response)["detail"]


def test_schema_lists_the_template_columns():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    licence = schema["$defs"]["licence"]
    assert list(licence["properties"]) == list(COLUMNS)
    # related_licences: a string, or an array of references (tests/test_related_licences.py)
    assert all(p["type"] == "string" for name, p in licence["properties"].items()
               if name != "related_licences")
    assert licence["additionalProperties"] is False
    assert set(licence["required"]) == {"licence_number", "licence_type", "issuer"}
    assert schema["$defs"]["licences"]["maxItems"] >= 1_000_000


@pytest.mark.parametrize("path, file, content_type", [
    ("/schemas/licence-upload.json", SCHEMA_PATH, "application/schema+json"),
    ("/contexts/licence.jsonld", CONTEXT_PATH, "application/ld+json"),
])
def test_schema_and_context_are_served(client, path, file, content_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.data == file.read_bytes()
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("content_type, body, where", [
    (JSON, '[{"licence_number": "1",\n "issuer" "diw"}]', "line 2"),
    (JSONLD, '{"@context": "x",,}', "line 1"),
    (TURTLE, PREFIXES + "<http://a> schema:name\n  \"unterminated .\n", "line"),
    (TURTLE, PREFIXES + "<http://g> { <http://a> <http://b> <http://c> }\n", "line"),
    (TURTLE, PREFIXES + "<relative> <http://b> <http://c> .\n", "line"),
])
def test_unreadable_bodies_are_422_with_position(client, diw_key, content_type, body, where):
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 422
    error = error_of(response)
    assert where in error["detail"]
    assert error["problems"][0]["message"]["th"]


# --- what RDF can say that CSV cannot ------------------------------------------------------------

def _juristic(five):
    return next(r for r in five if r["holder_type"] == "juristic")


@pytest.mark.parametrize("names, rule", [
    ('"Société"@fr', "labels-language"),
    ('"ไม่มีภาษา"', "labels-language"),
    ('"บริษัท สอง จำกัด"@th', "labels-unique"),
])
def test_holder_names_follow_the_label_rules(client, diw_key, five, names, rule):
    row = _juristic(five)
    body = turtle_body([row]).replace(
        f"legal:legalName {literal(row['holder_name'], 'th')}",
        f"legal:legalName {literal(row['holder_name'], 'th')} ; legal:legalName {names}")
    assert body != turtle_body([row])
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 422
    assert violations(response) == {(licence_iri(row), "holder_name", rule)}


@pytest.mark.parametrize("content_type", [TURTLE, JSONLD])
def test_control_characters_in_rdf_literals_are_refused(client, embedded_repo, diw_key, five,
                                                        content_type):
    """A vertical tab written as \\u000B in Turtle (or JSON-LD) is the same refusal as in CSV."""
    row = dict(_juristic(five), conditions="ต้องแสดงใบอนุญาต\vณ สถานประกอบการ")
    body = turtle_body([row]) if content_type == TURTLE else jsonld_body([row])
    assert "\\u000b" in body
    before = embedded_repo.export_bytes()
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 422
    assert violations(response) == {(licence_iri(row), "conditions", "text-control-characters")}
    message = error_of(response)["problems"][0]["message"]
    assert "U+000B at character 17" in message["en"] and "U+000B" in message["th"]
    assert embedded_repo.export_bytes() == before


def test_rdf_document_without_a_url_is_kept_and_verifiable(client, embedded_repo, diw_key, five):
    """A document node with a checksum and a media type but no schema:url (the agency does not
    host the file) is stored as sent, and /verify finds the licence by that checksum."""
    url = "https://eservice.diw.go.th/licences/a.pdf"
    row = dict(_juristic(five), document_url=url, document_sha256="ab" * 32,
               document_media_type="application/pdf", document_access="public",
               document_login_url="")
    body = turtle_body([row]).replace(f" ; schema:url <{url}>", "")
    assert url not in body and "spdx:checksumValue" in body
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 200, response.get_json()
    stored = embedded_repo.export_bytes()
    assert ("ab" * 32).encode() in stored and url.encode() not in stored
    found = client.get("/verify", query_string={"sha256": "ab" * 32}).get_json()
    assert [m["licence"] for m in found["matches"]] == [licence_iri(row)]
    page = client.get(licence_iri(row)[len(BASE):], headers={"Accept": "text/html"},
                      follow_redirects=True)
    assert ("ab" * 32).encode() in page.data and b'class="document"' not in page.data


def test_unknown_licence_property_is_refused(client, diw_key, five):
    body = turtle_body(five[:1])[:-3] + ' ;\n    schema:validUntill "2030-01-01" .\n'
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 422
    assert "schema:validUntill" in error_of(response)["detail"]


def test_two_values_for_one_field_are_refused(client, diw_key, five):
    row = five[0]
    body = turtle_body([row]).replace(
        f"schema:issuedBy <{BASE}/id/agency/{row['issuer']}>",
        f"schema:issuedBy <{BASE}/id/agency/{row['issuer']}>, "
        f"<{BASE}/id/agency/chiangmai-industry>")
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 422
    assert "schema:issuedBy" in error_of(response)["detail"]


def test_unknown_type_and_issuer_iris_are_refused_by_the_standard(client, diw_key, five):
    row = five[0]
    body = turtle_body([row]).replace(f"<{BASE}/id/licence-type/{row['licence_type']}>",
                                      "<https://example.org/type/x>")
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 422
    assert (licence_iri(row), "licence_type", "type-exists") in violations(response)


SPARQL_TEXT = ('"} ; DROP ALL ; INSERT DATA { GRAPH <http://evil.example/g> { '
               '<http://evil.example/s> <http://evil.example/p> "x" } } #')


@pytest.mark.parametrize("content_type", [JSON, JSONLD, TURTLE])
def test_sparql_looking_text_is_only_text(client, embedded_repo, diw_key, five, content_type):
    row = dict(_juristic(five), holder_name=SPARQL_TEXT, conditions=SPARQL_TEXT)
    body = {JSON: lambda: json.dumps([row], ensure_ascii=False),
            JSONLD: lambda: jsonld_body([row]),
            TURTLE: lambda: turtle_body([row])}[content_type]()
    quads = embedded_repo.quad_count()
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    text = json.dumps(SPARQL_TEXT)
    found = embedded_repo.select(
        f"SELECT ?s ?p WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(STR(?o) = {text}) }} }}")
    assert sorted(r["p"].value for r in found) == [
        "http://www.w3.org/ns/legal#legalName", "https://w3id.org/clc/def#conditions"]
    assert not embedded_repo.ask("ASK { GRAPH ?g { <http://evil.example/s> ?p ?o } }")
    assert not embedded_repo.ask("ASK { GRAPH <http://evil.example/g> { ?s ?p ?o } }")
    assert embedded_repo.quad_count() > quads and licence_count(embedded_repo) == 1


@pytest.mark.parametrize("content_type", [JSON, TURTLE])
def test_sparql_looking_number_is_refused(client, embedded_repo, diw_key, five, content_type):
    row = dict(five[0], licence_number='1" } ; DROP ALL ; #')
    body = json.dumps([row]) if content_type == JSON else PREFIXES + turtle_record(
        row, subject=f"{BASE}/id/licence/diw/{row['licence_type']}/1")
    before = embedded_repo.export_bytes()
    response = post_upload(client, body, diw_key, content_type=content_type)
    assert response.status_code == 422
    assert "number-characters" in {rule for _r, _f, rule in violations(response)}
    assert embedded_repo.export_bytes() == before


def test_a_stored_record_sent_back_as_turtle_is_unchanged(client, embedded_repo, diw_key, five):
    """What the register stores (version, digest and provenance included) reads back as the
    same rows: an agency can download a record, edit it and send it back."""
    import pyoxigraph as ox

    assert post_upload(client, rows_to_csv(five), diw_key).get_json()["created"] == 5
    triples = [t for r in five for t in embedded_repo.graph_triples(
        f"{BASE}/graph/licence/" + licence_iri(r).split("/id/licence/", 1)[1])]
    assert len(triples) > 5 * 20
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE).decode()
    response = post_upload(client, body, diw_key, content_type=TURTLE)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["unchanged"], response.get_json()["rows"]) == (5, 5)


@pytest.mark.parametrize("content_type", [TURTLE, JSONLD])
def test_a_downloaded_record_uploads_again_what_the_register_set_is_ignored(
        client, embedded_repo, diw_key, five, content_type):
    """A record as /doc/ serves it, an old version included (its version, digest, modified,
    generating activity and supersededByVersion mark are the register's), is a valid upload."""
    row = _juristic(five)
    assert post_upload(client, rows_to_csv([row]), diw_key).status_code == 200
    amended = dict(row, status="suspended", status_reason="ตรวจพบการฝ่าฝืน")
    assert post_upload(client, rows_to_csv([amended]), diw_key).status_code == 200
    path = "/doc" + licence_iri(row)[len(BASE) + len("/id"):]
    old = client.get(path, query_string={"version": "1"}, headers={"Accept": content_type})
    assert old.status_code == 200 and b"supersededByVersion" in old.data
    response = post_upload(client, old.data.decode(), diw_key, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["updated"] == 1          # back to the first version's content
