"""/sparql (SPEC §7): protocol routes, formats, read-only, SERVICE refused, cap, time limit."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import time

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from opendata import sparqlresults as fmt
from opendata.sparql import HTML, SparqlState, choose_media_type
from opendata.sparql import executor as started_executor
from opendata.sparqlexec import ProcessExecutor
from opendata.sparqlguard import NotAQuery, QueryForm, ServiceRefused, UpdateRefused, inspect_query
from ops.demoload import load_demo
from registry.errors import NotAcceptable
from web.app import create_app
from web.state import state_of

from .support.stores import BASE

COUNT_TYPES = ("SELECT ?type (COUNT(?l) AS ?n) WHERE { ?l a ?type } GROUP BY ?type "
               "ORDER BY ?type")
CONSTRUCT = ("PREFIX dct: <http://purl.org/dc/terms/> "
             "CONSTRUCT { ?l dct:identifier ?id } WHERE { ?l dct:identifier ?id } LIMIT 20")


# The guard: a pure function of the text

@pytest.mark.parametrize("query, outcome", [
    ("SELECT * WHERE { ?s ?p ?o }", QueryForm.SELECT),
    ("select * { ?s ?p ?o }", QueryForm.SELECT),
    ("PREFIX ex: <http://e/> BASE <http://b/> ASK { ?s ex:p ?o }", QueryForm.ASK),
    ("CONSTRUCT WHERE { ?s ?p ?o }", QueryForm.CONSTRUCT),
    ("DESCRIBE <http://e/x>", QueryForm.DESCRIBE),
    ("# SERVICE in a comment\nSELECT * { ?s ?p 'SERVICE' }", QueryForm.SELECT),
    ('SELECT * { ?s <http://e/SERVICE> """a\nSERVICE""" }', QueryForm.SELECT),
    ("PREFIX service: <http://e/> SELECT ?service { ?service service:x ?y }", QueryForm.SELECT),
    ("SELECT * { ?a ?b ?c FILTER(?a<?b && ?c > 3) }", QueryForm.SELECT),
    ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", ServiceRefused),
    ("SELECT * { sErViCe SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }", ServiceRefused),
    ("SELECT * { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", ServiceRefused),
    ("SELECT * {SERVICE<http://127.0.0.1:9/>{?s ?p ?o}}", ServiceRefused),
    ("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }", UpdateRefused),
    ("PREFIX ex: <http://e/> DELETE WHERE { ?s ?p ?o }", UpdateRefused),
    ("drop all", UpdateRefused),
    ("LOAD <http://127.0.0.1:9/x.ttl>", UpdateRefused),
    ("CLEAR DEFAULT", UpdateRefused),
    ("WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", UpdateRefused),
    ("hello", NotAQuery),
    ("", NotAQuery),
])
def test_guard(query, outcome):
    if isinstance(outcome, QueryForm):
        assert inspect_query(query) is outcome
    else:
        with pytest.raises(outcome):
            inspect_query(query)


def _cases(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c.lower()
                              for c, u in zip(word, upper, strict=True)))


@settings(max_examples=200)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_words_inside_strings_are_never_keywords(text):
    literal = json.dumps("SERVICE " + text + " INSERT")        # a valid SPARQL string
    assert inspect_query(f"SELECT * WHERE {{ ?s ?p {literal} }}") is QueryForm.SELECT


@settings(max_examples=100)
@given(word=_cases("service"), space=st.sampled_from([" ", "\n", "\t", "  "]))
def test_service_in_any_letter_case_is_refused(word, space):
    with pytest.raises(ServiceRefused):
        inspect_query(f"SELECT * WHERE {{{space}{word}{space}<http://127.0.0.1:1/> "
                      "{ ?s ?p ?o } }")


@settings(max_examples=100)
@given(word=st.sampled_from(["insert", "delete", "load", "clear", "drop", "create", "add", "move",
                             "copy"]).flatmap(_cases))
def test_updates_in_any_letter_case_are_refused(word):
    with pytest.raises(UpdateRefused):
        inspect_query(f"PREFIX ex: <http://e/> {word} DATA {{ }}")


# Content negotiation: a pure function, table-driven

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
WRAPPER_JSON = ("application/sparql-results+json,application/json,text/javascript,"
                "application/javascript")


@pytest.mark.parametrize("form, accept, wanted, media", [
    (QueryForm.SELECT, None, None, fmt.JSON),
    (QueryForm.SELECT, "*/*", None, fmt.JSON),
    (QueryForm.SELECT, WRAPPER_JSON, None, fmt.JSON),
    (QueryForm.SELECT, "application/sparql-results+xml", None, fmt.XML),
    (QueryForm.SELECT, "application/xml", None, fmt.XML),
    (QueryForm.SELECT, "text/csv", None, fmt.CSV),
    (QueryForm.SELECT, "text/tab-separated-values", None, fmt.TSV),
    (QueryForm.SELECT, CHROME, None, HTML),
    (QueryForm.SELECT, CHROME, "csv", fmt.CSV),
    (QueryForm.ASK, "application/sparql-results+xml;q=0.5, application/sparql-results+json",
     None, fmt.JSON),
    (QueryForm.CONSTRUCT, None, None, fmt.TURTLE),
    (QueryForm.CONSTRUCT, "application/turtle,text/turtle", None, fmt.TURTLE),
    (QueryForm.CONSTRUCT, "application/ld+json,application/x-json+ld", None, fmt.JSONLD),
    (QueryForm.CONSTRUCT, "application/n-triples", None, fmt.NTRIPLES),
    (QueryForm.CONSTRUCT, "application/rdf+xml", None, fmt.RDFXML),
    (QueryForm.DESCRIBE, "application/json", None, fmt.JSONLD),
    (QueryForm.DESCRIBE, None, "xml", fmt.RDFXML),
    (QueryForm.SELECT, None, "xml", fmt.XML),
    (None, "text/turtle", None, fmt.TURTLE),
    (None, CHROME, None, HTML),
    (QueryForm.SELECT, "image/png", None, NotAcceptable),
    (QueryForm.CONSTRUCT, "text/csv", None, NotAcceptable),
])
def test_media_type(form, accept, wanted, media):
    if media is NotAcceptable:
        with pytest.raises(NotAcceptable):
            choose_media_type(form, accept, wanted)
    else:
        assert choose_media_type(form, accept, wanted) == media


# Through HTTP, on a store holding demo licences

@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One store for the module: the tests here only read, or add what others do not count."""
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(tmp_path_factory.mktemp("sparql") / "store", create=True)
    load_demo(repo, BASE, 200)
    yield repo
    repo.close()


def _app(repo, **overrides):
    return create_app({"STORE": str(repo.path), "BASE_IRI": BASE, **overrides}, repository=repo)


def _ready_executor(app) -> ProcessExecutor:
    """The app's query executor with its processes started: a test timed to the second must
    not count an interpreter starting on a busy machine."""
    found = started_executor(app)
    assert isinstance(found, ProcessExecutor) and found.wait_until_ready(120)
    return found


def _close_executor(app) -> None:
    """Stop the app's query processes, if a query started them."""
    executor = state_of(app).part(SparqlState).executor
    if executor is not None:
        executor.close()


@pytest.fixture(scope="module")
def client(loaded):
    app = _app(loaded)
    yield app.test_client()
    _close_executor(app)


def state(repo) -> str:
    return hashlib.sha256(repo.export_bytes()).hexdigest()


ROUTES = {
    "get": lambda c, q, **kw: c.get("/sparql", query_string={"query": q}, **kw),
    "post-form": lambda c, q, **kw: c.post("/sparql", data={"query": q}, **kw),
    "post-direct": lambda c, q, **kw: c.post("/sparql", data=q.encode(), **kw,
                                             content_type="application/sparql-query"),
}


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_gives_the_same_results(client, route):
    response = ROUTES[route](client, COUNT_TYPES)
    assert response.status_code == 200, response.data
    assert response.mimetype == fmt.JSON
    rows = {b["type"]["value"]: int(b["n"]["value"]) for b in response.json["results"]["bindings"]}
    assert rows["https://schema.org/GovernmentPermit"] >= 200
    assert response.headers["X-Result-Truncated"] == "false"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def _parse_results(body: bytes, media: str):
    kind = {fmt.JSON: ox.QueryResultsFormat.JSON, fmt.XML: ox.QueryResultsFormat.XML,
            fmt.CSV: ox.QueryResultsFormat.CSV, fmt.TSV: ox.QueryResultsFormat.TSV}[media]
    return ox.parse_query_results(body, format=kind)


@pytest.mark.parametrize("media", fmt.RESULT_TYPES)
def test_every_results_format_parses_to_the_same_rows(client, media):
    response = client.get("/sparql", query_string={"query": COUNT_TYPES},
                          headers={"Accept": media})
    assert response.status_code == 200 and response.mimetype == media
    if media == fmt.CSV:        # lossy by design: plain values only
        import csv
        rows = [tuple(r) for r in csv.reader(io.StringIO(response.data.decode()))][1:]
    else:
        rows = [(s["type"].value, s["n"].value) for s in _parse_results(response.data, media)]
    reference = client.get("/sparql", query_string={"query": COUNT_TYPES}).json
    assert rows == [(b["type"]["value"], b["n"]["value"])
                    for b in reference["results"]["bindings"]]


@pytest.mark.parametrize("media", fmt.RESULT_TYPES)
def test_ask_in_every_results_format(client, media):
    response = client.get("/sparql", query_string={"query": "ASK { ?s a ?t }"},
                          headers={"Accept": media})
    assert response.status_code == 200
    if media in (fmt.JSON, fmt.XML):
        assert bool(_parse_results(response.data, media)) is True
    else:
        assert b"true" in response.data


def test_every_graph_format_gives_the_same_graph(client):
    graphs = []
    for media, rdflib_format in ((fmt.TURTLE, "turtle"), (fmt.JSONLD, "json-ld"),
                                 (fmt.NTRIPLES, "nt"), (fmt.RDFXML, "xml")):
        response = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": media})
        assert response.status_code == 200 and response.mimetype == media, response.data
        graphs.append(rdflib.Graph().parse(data=response.data, format=rdflib_format))
    assert len(graphs[0]) == 20
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


@pytest.mark.parametrize("send", [
    lambda c: c.get("/sparql", query_string={"update": "DROP ALL"}),
    lambda c: c.post("/sparql", data={"update": "DROP ALL"}),
    lambda c: c.post("/sparql", data=b"DROP ALL", content_type="application/sparql-update"),
    lambda c: c.post("/sparql", data=b"INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
                     content_type="application/sparql-update"),
    lambda c: c.get("/sparql", query_string={
        "query": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"}),
    lambda c: c.post("/sparql", data={"query": "DROP ALL"}),
    lambda c: c.post("/sparql", data=b"LOAD <http://127.0.0.1:9/x.ttl>",
                     content_type="application/sparql-query"),
    lambda c: c.post("/sparql", data={"update": "LOAD <http://127.0.0.1:9/x.ttl>"}),
    lambda c: c.post("/sparql", data=b"DELETE WHERE { ?s ?p ?o }",
                     content_type="application/sparql-query"),
], ids=["get-update", "form-update", "direct-update-drop", "direct-update-insert",
        "get-query-insert", "form-query-drop", "direct-query-load", "form-update-load",
        "direct-query-delete"])
def test_updates_by_every_route_are_refused_and_change_nothing(client, loaded, send):
    before = state(loaded)
    response = send(client)
    assert response.status_code == 403, response.data
    assert response.json["error"]["code"] == "read-only"
    assert state(loaded) == before


@pytest.fixture
def listener():
    """A loopback TCP listener, and `offered()`: the connections it was offered so far. A
    connect() returns once the kernel holds the connection in the listen backlog, so one made
    while a request was answered is there to accept when the answer is: no need to wait."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    seen = []

    def offered() -> list[socket.socket]:
        while True:
            try:
                seen.append(sock.accept()[0])
            except BlockingIOError:
                return seen
    yield sock.getsockname()[1], offered
    for conn in seen:
        conn.close()
    sock.close()


@pytest.mark.parametrize("word", ["SERVICE", "service", "SeRvIcE", "\\u0053ERVICE"])
@pytest.mark.parametrize("route", ROUTES)
def test_service_is_refused_and_nothing_is_contacted(client, listener, route, word):
    port, offered = listener
    query = f"SELECT * WHERE {{ {word} <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    response = ROUTES[route](client, query)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "service-not-allowed"
    assert offered() == []


def test_private_data_is_not_in_the_default_graph_or_any_named_graph(client, loaded):
    from publishing.keys import issue_key, list_keys

    issue_key(loaded, BASE, "diw")
    hashes = [k.hash for k in list_keys(loaded, BASE)]
    graphs = client.get("/sparql", query_string={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}).json
    names = [b["g"]["value"] for b in graphs["results"]["bindings"]]
    assert names and not [g for g in names if "/graph/private" in g or g.startswith("urn:x-")]
    for value in hashes:
        found = client.get("/sparql", query_string={
            "query": f'ASK {{ {{ ?s ?p "{value}" }} UNION {{ GRAPH ?g {{ ?s ?p "{value}" }} }} }}'})
        assert found.json["boolean"] is False
    report = client.get("/sparql", query_string={
        "query": "ASK { GRAPH ?g { ?u <https://w3id.org/clc/def#report> ?r } }"}).json
    assert report["boolean"] is False


def test_the_result_cap_is_stated_never_silent(loaded):
    app = _app(loaded, SPARQL_RESULT_LIMIT=5)
    client = app.test_client()
    many = "SELECT ?l WHERE { ?l a <https://schema.org/GovernmentPermit> }"
    response = client.get("/sparql", query_string={"query": many})
    assert len(response.json["results"]["bindings"]) == 5
    assert response.json["truncated"] is True and response.json["resultLimit"] == 5
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Limit"] == "5"
    xml = client.get("/sparql", query_string={"query": many}, headers={"Accept": fmt.XML})
    assert fmt.TRUNCATED_LINK.encode() in xml.data
    csv = client.get("/sparql", query_string={"query": many, "format": "csv"})
    assert csv.data.count(b"\r\n") == 6 and csv.headers["X-Result-Truncated"] == "true"
    graph = client.get("/sparql", query_string={"query": CONSTRUCT.replace("LIMIT 20", "")},
                       headers={"Accept": fmt.NTRIPLES})
    assert graph.data.count(b"\n") == 5 and graph.headers["X-Result-Truncated"] == "true"
    exact = client.get("/sparql", query_string={"query": many + " LIMIT 5"})
    assert exact.headers["X-Result-Truncated"] == "false" and "truncated" not in exact.json
    _close_executor(app)


SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")


@pytest.mark.serial            # timed to the second: the other tests yield the CPU to it
def test_the_time_limit_stops_the_query_and_the_next_one_is_answered(loaded):
    app = _app(loaded, SPARQL_TIME_LIMIT=2, SPARQL_WORKERS=1)
    client = app.test_client()
    _ready_executor(app)
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": SLOW})
    took = time.monotonic() - started
    assert response.status_code == 503, response.data
    assert response.json["error"]["code"] == "query-time-limit"
    assert took < 2 + 2
    started = time.monotonic()
    simple = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert simple.status_code == 200 and time.monotonic() - started < 1
    _close_executor(app)


def test_a_started_spare_takes_a_stopped_process_s_place_at_once(loaded):
    # Deterministic half of the test above: after the kill a started process is already
    # waiting, so the next query never waits for an interpreter to start.
    app = _app(loaded, SPARQL_TIME_LIMIT=1, SPARQL_WORKERS=1)
    client = app.test_client()
    executor = _ready_executor(app)
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    first = executor.idle.queue[0]
    spare = executor.spare.queue[0]
    assert client.get("/sparql", query_string={"query": SLOW}).status_code == 503
    assert executor.idle.queue == [spare] and not first.process.is_alive()
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    _close_executor(app)


def test_a_query_needing_too_much_memory_is_stopped(loaded):
    app = _app(loaded, SPARQL_TIME_LIMIT=30, SPARQL_MEMORY_LIMIT_MB=600)
    client = app.test_client()
    hostile = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    response = client.get("/sparql", query_string={"query": hostile})
    assert response.status_code == 503
    assert response.json["error"]["code"] in ("query-memory-limit", "query-time-limit")
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    _close_executor(app)


def test_commits_are_seen_by_later_queries(loaded, client, catalogue, publish):
    ask = ("ASK { ?l <http://purl.org/dc/terms/identifier> \"ZZ-0001\" }")
    assert client.get("/sparql", query_string={"query": ask}).json["boolean"] is False
    from ops.demo import demo_rows

    row = next(r for r in demo_rows(catalogue, 50, seed=99, agency="diw"))
    key, = publish(loaded, [row], "diw").keys
    ask = ("ASK { ?l <http://purl.org/dc/terms/identifier> ?id "
           f"FILTER(?id = \"{key.number}\") }}")
    assert client.get("/sparql", query_string={"query": ask}).json["boolean"] is True


def test_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef(f"{BASE}/sparql#service")
    assert (service, sd.endpoint, rdflib.URIRef(f"{BASE}/sparql")) in graph
    assert (service, sd.feature, sd.UnionDefaultGraph) in graph
    assert len(list(graph.objects(service, sd.resultFormat))) == 8
    limit = graph.value(service, rdflib.URIRef("https://w3id.org/clc/def#resultLimit"))
    assert int(limit) == 50_000


@pytest.mark.parametrize("send, status, code", [
    (lambda c: c.get("/sparql", query_string={"query": "SELECT * { ?s ?p }"}), 400,
     "invalid-query"),
    (lambda c: c.get("/sparql", query_string={"query": "hello"}), 400, "invalid-query"),
    (lambda c: c.post("/sparql", data=b"SELECT * {}", content_type="text/plain"), 415,
     "unsupported-media-type"),
    (lambda c: c.get("/sparql", query_string={"query": "SELECT * {" + " " * 100_001 + "}"}),
     413, "query-too-large"),
    (lambda c: c.post("/sparql", data=b"ASK {}" + b" " * 5_000_000,
                      content_type="application/sparql-query"), 413, "query-too-large"),
    (lambda c: c.post("/sparql", data={"query": "ASK {" + "ก" * 100_000 + "}"}), 413,
     "query-too-large"),
    (lambda c: c.get("/sparql", query_string={"query": "SELECT * {}",
                                              "default-graph-uri": "http://e/g"}), 400,
     "bad-request"),
    (lambda c: c.get("/sparql", query_string=[("query", "ASK {}"), ("query", "ASK {}")]), 400,
     "bad-request"),
    (lambda c: c.get("/sparql", query_string={"query": "ASK {}"},
                     headers={"Accept": "image/png"}), 406, "not-acceptable"),
    (lambda c: c.get("/sparql", query_string={"query": "ASK {}", "format": "pdf"}), 400,
     "bad-request"),
    (lambda c: c.get("/sparql", query_string={"query": "SELECT * {}"},
                     headers={"Accept": "text/turtle"}), 406, "not-acceptable"),
])
def test_errors_take_the_one_json_shape(client, send, status, code):
    response = send(client)
    assert response.status_code == status, response.data
    assert response.json["error"]["code"] == code
    assert set(response.json["error"]) >= {"status", "code", "title", "detail"}


def test_preflight_allows_cross_origin_queries(client):
    response = client.options("/sparql", headers={"Origin": "https://analyst.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_a_store_not_yet_migrated_is_not_served(tmp_path):
    """A store from before private data had its own store: /sparql refuses it, saying how to
    migrate, rather than publishing the key hashes still in its main store."""
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(tmp_path / "old", create=True)
    load_demo(repo, BASE, 5)
    old_graph = ox.NamedNode(f"{BASE}/graph/private")           # as the old layout had it
    repo.store.add(ox.Quad(ox.NamedNode(f"{BASE}/id/key/abc"),
                           ox.NamedNode("https://w3id.org/clc/def#keyHash"),
                           ox.Literal("abc"), old_graph))
    app = _app(repo)
    response = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 503
    assert "restore" in response.json["error"]["detail"]
    _close_executor(app)
    repo.close()
