"""The public /sparql endpoint over a remote store on each engine (`oxigraph serve` and Virtuoso
open source), through the real app: every result and graph format of SPEC §7 comes out the same
as the repository reads it, the result cap is reported, updates are refused, and on Virtuoso a
query past the time limit is stopped (its partial "Anytime" answer is never passed off as whole).
"""

from __future__ import annotations

import csv
import io
import json
import time

import pyoxigraph as ox
import pytest
import requests

from opendata.sparqlexec import QueryFailed, virtuoso_checked
from ops.demo import demo_rows
from registry.bootstrap import init_store, load_catalogue
from web.app import create_app

from .support.loopback import recording_listener
from .support.stores import BASE, engine_repository, engine_settings

pytestmark = pytest.mark.remote

RESULT_LIMIT = 5
TIME_LIMIT = 1.0
PERMIT = "<https://schema.org/GovernmentPermit>"
# Every statement about the licences, in a fixed order (more rows than the cap).
STATEMENTS = (f"SELECT ?l ?p ?o WHERE {{ GRAPH ?g {{ ?l a {PERMIT} ; ?p ?o }} }} "
              "ORDER BY ?l ?p ?o")
GRAPH_OF_ONE = "CONSTRUCT { ?l ?p ?o } WHERE { GRAPH ?g { ?l a " + PERMIT + " ; ?p ?o } } "
SOME_PROPERTIES = ("<https://schema.org/issuedBy>", "<http://purl.org/dc/terms/identifier>",
                   "<https://schema.org/validFrom>", "<http://purl.org/dc/terms/modified>")
# Thousands of Virtuoso's own triples (its default graph is the union) crossed three times.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module", params=["remote", "virtuoso"])
def sparql_app(request, publish):
    """(engine kind, repository, app) over an initialised store holding a few licences, with a
    small result cap and time limit."""
    kind = request.param
    engine = "virtuoso" if kind == "virtuoso" else "oxigraph"
    servers = request.getfixturevalue(f"{engine}_servers")
    repo = engine_repository(engine, servers)
    init_store(repo, BASE)
    publish(repo, demo_rows(load_catalogue(repo), 3, seed=7, agency="diw"), "diw")
    app = create_app({"BASE_IRI": BASE, **engine_settings(engine, servers),
                      "SPARQL_RESULT_LIMIT": RESULT_LIMIT, "SPARQL_TIME_LIMIT": TIME_LIMIT},
                     repository=repo)
    yield kind, repo, app
    repo.close()


def _ask(app, query: str, accept: str):
    return app.test_client().post("/sparql", data={"query": query}, headers={"Accept": accept})


def _rows_read_by(repo, query: str) -> list[tuple[str, ...]]:
    return [tuple(str(row[n]) for n in ("l", "p", "o")) for row in repo.select(query)]


def _table(body: bytes, media_type: str) -> list[tuple[str, ...]]:
    if media_type == "text/csv":        # values without N-Triples syntax: compared as text
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
        return [tuple(row) for row in rows]
    kinds = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
             "application/sparql-results+xml": ox.QueryResultsFormat.XML,
             "text/tab-separated-values": ox.QueryResultsFormat.TSV}
    solutions = ox.parse_query_results(body, format=kinds[media_type])
    return [tuple(str(row[n]) for n in ("l", "p", "o")) for row in solutions]


def _plain(term: str) -> str:
    """A term as CSV writes it: an IRI or a literal's text."""
    quads = ox.parse(f"<x:s> <x:p> {term} .".encode(), format=ox.RdfFormat.N_TRIPLES)
    return str(next(quads).object.value)


@pytest.mark.parametrize("media_type", ["application/sparql-results+json",
                                        "application/sparql-results+xml",
                                        "text/tab-separated-values", "text/csv"])
def test_a_select_comes_out_in_each_format_capped_and_said(sparql_app, media_type):
    _, repo, app = sparql_app
    expected = _rows_read_by(repo, STATEMENTS)
    assert len(expected) > RESULT_LIMIT
    response = _ask(app, STATEMENTS, media_type)
    assert response.status_code == 200, response.data
    assert response.mimetype == media_type
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Count"] == str(RESULT_LIMIT)
    wanted = expected[:RESULT_LIMIT]
    if media_type == "text/csv":
        wanted = [tuple(_plain(term) for term in row) for row in wanted]
    assert _table(response.data, media_type) == wanted


def test_a_select_under_the_cap_is_whole(sparql_app):
    _, repo, app = sparql_app
    query = f"SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE {{ GRAPH ?g {{ ?l a {PERMIT} }} }}"
    response = _ask(app, query, "application/sparql-results+json")
    assert response.headers["X-Result-Truncated"] == "false"
    assert int(response.json["results"]["bindings"][0]["n"]["value"]) == 3


def test_ask_answers_true_and_false(sparql_app):
    _, _, app = sparql_app
    for query, answer in ((f"ASK {{ GRAPH ?g {{ ?l a {PERMIT} }} }}", True),
                          ("ASK { GRAPH ?g { <urn:x:none> ?p ?o } }", False)):
        response = _ask(app, query, "application/sparql-results+json")
        assert json.loads(response.data)["boolean"] is answer


@pytest.mark.parametrize("media_type, rdf_format", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_a_construct_comes_out_in_each_graph_format(sparql_app, media_type, rdf_format):
    _, repo, app = sparql_app
    licence = repo.select(f"SELECT ?l WHERE {{ GRAPH ?g {{ ?l a {PERMIT} }} }} ORDER BY ?l "
                          "LIMIT 1")[0]["l"]
    # Under the cap: an IRI, a Thai string, a date, a dateTime.
    query = (f"CONSTRUCT {{ {licence} ?p ?o }} WHERE {{ GRAPH ?g {{ {licence} ?p ?o }} "
             f"VALUES ?p {{ {' '.join(SOME_PROPERTIES)} }} }}")
    expected = {quad.triple for quad in repo.construct(query)}
    response = _ask(app, query, media_type)
    assert response.status_code == 200, response.data
    assert response.mimetype == media_type
    got = set(ox.parse(response.data, format=rdf_format))
    assert {quad.triple for quad in got} == expected and expected


def test_a_construct_past_the_cap_is_cut_and_said(sparql_app):
    _, _, app = sparql_app
    response = _ask(app, GRAPH_OF_ONE, "application/n-triples")
    assert response.headers["X-Result-Truncated"] == "true"
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES))) == RESULT_LIMIT


@pytest.mark.parametrize("send", [
    lambda c: c.post("/sparql", data={"update": "DROP ALL"}),
    lambda c: c.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update"),
    lambda c: c.get("/sparql", query_string={"query": "INSERT DATA { <x:a> <x:b> <x:c> }"}),
], ids=["form-update", "direct-update", "update-as-query"])
def test_updates_are_refused_and_change_nothing(sparql_app, send):
    _, repo, app = sparql_app
    before = repo.quad_count()
    assert send(app.test_client()).status_code == 403
    assert repo.quad_count() == before


def test_a_query_past_the_time_limit_is_stopped(sparql_app):
    kind, _, app = sparql_app
    if kind != "virtuoso":
        pytest.skip("oxigraph serve here has no --timeout-s: an abandoned query would run on "
                    "(tests/test_sparql_knockover.py times it on a supervised store)")
    started = time.monotonic()
    response = _ask(app, HEAVY, "application/sparql-results+json")
    assert response.status_code == 503, response.data
    assert response.json["error"]["code"] == "query-time-limit"
    assert time.monotonic() - started < TIME_LIMIT + 2


def _answer(status: int, headers: dict[str, str], text: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code, response.url, response._content = status, "http://store/sparql", \
        text.encode()
    response.headers.update(headers)
    return response


@pytest.mark.parametrize("status, headers, text, outcome", [
    (200, {"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"}, "",
     "time-limit"),
    (500, {}, "Virtuoso S1T00 Error SR171: Transaction timed out", "time-limit"),
    (500, {}, "Virtuoso 42000 Error: something else", RESULT_LIMIT),
    (200, {"X-SPARQL-MaxRows": str(RESULT_LIMIT + 1)}, "", RESULT_LIMIT),
    (200, {"X-SPARQL-MaxRows": "3"}, "", 2),        # the store's own cap is lower: said cut
    (200, {}, "", RESULT_LIMIT),
], ids=["anytime", "timed-out", "other-error", "our-cap", "store-cap-lower", "plain"])
def test_virtuoso_answers_are_checked(status, headers, text, outcome):
    answer = _answer(status, headers, text)
    if outcome == "time-limit":
        with pytest.raises(QueryFailed) as failed:
            virtuoso_checked(answer, TIME_LIMIT, RESULT_LIMIT)
        assert failed.value.kind == "time-limit"
    else:
        assert virtuoso_checked(answer, TIME_LIMIT, RESULT_LIMIT) == outcome


def test_stored_booleans_read_as_true_and_false(sparql_app):
    """Virtuoso's JSON results write xsd:boolean as 1 and 0: the repository and /sparql give
    the canonical form, as Oxigraph does."""
    _, repo, app = sparql_app
    query = ("SELECT DISTINCT ?v WHERE { GRAPH ?g { "
             "?t <https://w3id.org/clc/def#publicRegister> ?v } }")
    read = {row["v"].value for row in repo.select(query)}
    response = _ask(app, query, "application/sparql-results+json")
    shown = {row["v"]["value"] for row in response.json["results"]["bindings"]}
    assert read == shown == {"true", "false"}


@pytest.fixture
def listener():
    """(port, the peers that connected): a socket on loopback that records every connection."""
    with recording_listener() as found:
        yield found


@pytest.mark.parametrize("call", [
    'bif:http_get("http://127.0.0.1:PORT/a")',
    'b:http_get("http://127.0.0.1:PORT/b")',
    '<bif:http_get>("http://127.0.0.1:PORT/c")',
    '<\\u0062if:http_get>("http://127.0.0.1:PORT/d")',
    '<BIF:http_get>("http://127.0.0.1:PORT/e")',
    'sql:http_get("http://127.0.0.1:PORT/f")',
])
def test_virtuoso_procedures_are_never_called(sparql_app, listener, call):
    """Virtuoso runs bif: functions (bif:http_get fetches any URL) and sql: procedures for the
    anonymous /sparql user: such a query is refused before it reaches the store."""
    kind, _, app = sparql_app
    port, seen = listener
    query = f"PREFIX b: <bif:> SELECT ({call.replace('PORT', str(port))} AS ?x) WHERE {{}}"
    response = app.test_client().post("/sparql", data={"query": query})
    if kind == "virtuoso":
        assert response.status_code == 403, response.data
    # (A call the store made would be recorded before its answer, so before this one.)
    assert seen == []
