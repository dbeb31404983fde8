"""SERVICE is refused however it is written, by every protocol route, on both store kinds, and
a loopback listener the queries name is never contacted. Also: relative IRIs in a query
resolve against the endpoint's URL (SPARQL 1.1 Protocol), on both store kinds."""

from __future__ import annotations

import pytest

from opendata.sparql import SparqlState
from registry.bootstrap import init_store
from web.app import create_app
from web.state import state_of

from .support.loopback import recording_listener
from .support.stores import BASE, empty_remote_store

ESCAPES = "_~.-!$&'()*+,;=/?#@%"
GROUP = "{ ?x ?y ?z }"
SVC = "<http://127.0.0.1:PORT/>"

# Each is a whole query; PORT is the listener's port.
CORPUS = [
    f"SELECT * WHERE {{ SERVICE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ service {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ SeRvIcE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ sERVICE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{SERVICE{SVC}{GROUP}}}",
    f"SELECT * WHERE {{ SERVICE#c\n{SVC} {GROUP} }}",
    f"SELECT * WHERE {{ SERVICE # SERV\n {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ \\u0053ERVICE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ SERVIC\\u0045 {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ \\U00000053ERVICE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ \\u0073\\u0065rvice {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ SERVICE SILENT {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ service silent {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ SERVICESILENT{SVC} {GROUP} }}",
    f"SELECT * WHERE {{ BIND({SVC} AS ?v) SERVICE ?v {GROUP} }}",
    f"SELECT * WHERE {{ VALUES ?v {{ {SVC} }} SERVICE SILENT ?v {GROUP} }}",
    f"SELECT * WHERE {{ ?s ?p ?o SERVICE $v {GROUP} }}",
    f"PREFIX ex: {SVC} SELECT * WHERE {{ SERVICE ex: {GROUP} }}",
    f"PREFIX ex: {SVC} SELECT * WHERE {{ SERVICE ex:sparql {GROUP} }}",
    f"SELECT * WHERE {{ {{ {{ SERVICE {SVC} {GROUP} }} }} }}",
    f"SELECT * WHERE {{ OPTIONAL {{ SERVICE {SVC} {GROUP} }} }}",
    f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE {SVC} {GROUP} }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE {SVC} {GROUP} }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE {SVC} {GROUP} }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE {SVC} {GROUP} }} }}",
    f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {SVC} {GROUP} }} }} }}",
    f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE {SVC} {GROUP} }} }}",
    f"ASK {{ SERVICE {SVC} {GROUP} }}",
    f"CONSTRUCT {{ ?x ?y ?z }} WHERE {{ SERVICE {SVC} {GROUP} }}",
    f"DESCRIBE ?x WHERE {{ SERVICE {SVC} {GROUP} }}",
    f"SELECT (EXISTS {{ SERVICE {SVC} {GROUP} }} AS ?e) WHERE {{ }}",
    # Strings with escapes before it: none of them swallows the keyword.
    f"SELECT * WHERE {{ ?s ?p 'it\\'s' . SERVICE {SVC} {GROUP} }}",
    f'SELECT * WHERE {{ ?s ?p "a \\"{{\\" #" . SERVICE {SVC} {GROUP} }}',
    f"SELECT * WHERE {{ ?s ?p '''a '' \\''' b''' . SERVICE {SVC} {GROUP} }}",
    f'SELECT * WHERE {{ ?s ?p """ "" \\""" """ . SERVICE {SVC} {GROUP} }}',
    f"SELECT * WHERE {{ ?s ?p '\\\\' . SERVICE {SVC} {GROUP} }}",
    f"SELECT * WHERE {{ ?s ?p '\\u0027 }} SERVICE {SVC} {GROUP} #' }}",
    f"PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ex:a\\'b 'x' . SERVICE {SVC} {GROUP} "
    "?s ?p 'y' }",
    # Oxigraph reads a keyword at the start of a prefixed name that does not fit where it is.
    f"PREFIX ex: {SVC} SELECT * WHERE {{ SERVICEex:a {GROUP} }}",
    f"PREFIX ex: {SVC} SELECT * WHERE {{ SERVICESILENTex:a {GROUP} }}",
    f"PREFIX : {SVC} SELECT * WHERE {{ ?s ?p ?o . service:x {GROUP} }}",
    f"PREFIX : {SVC} SELECT * WHERE {{ ?s ?p ?o ; service:x {GROUP} }}",
    f"PREFIX : {SVC} SELECT * WHERE {{ ?s ?p 1service:x {GROUP} }}",
    f"PREFIX : {SVC} SELECT * WHERE {{ ?s ?p [] servicesilent: {GROUP} }}",
    # A prefixed name with every PN_LOCAL_ESC character, before and after the SERVICE.
    *[f"PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ex:a\\{c}b ?o . SERVICE {SVC} {GROUP} "
      f"?s ex:c\\{c}d ?o }}" for c in ESCAPES],
]


@pytest.fixture
def listener():
    """A loopback TCP listener recording every connection it is offered."""
    with recording_listener() as found:
        yield found


def _embedded_app(tmp_path_factory):
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(tmp_path_factory.mktemp("service") / "store", create=True)
    init_store(repo, BASE)
    return create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo), repo


@pytest.fixture(scope="module", params=["embedded", pytest.param("remote",
                                                                 marks=pytest.mark.remote)])
def sparql_app(request, tmp_path_factory):
    """The app over each store kind, holding the vocabulary and catalogue."""
    if request.param == "embedded":
        app, repo = _embedded_app(tmp_path_factory)
    else:
        main, private = request.getfixturevalue("oxigraph_servers")
        for url in (main, private):
            empty_remote_store(url)
        app = create_app({"STORE_URL": main, "PRIVATE_STORE_URL": private, "BASE_IRI": BASE})
        repo = state_of(app).repository
        init_store(repo, BASE)
    yield app
    close = getattr(state_of(app).part(SparqlState).executor, "close", None)
    if close:
        close()
    repo.close()


ROUTES = {
    "get": lambda c, q: c.get("/sparql", query_string={"query": q}),
    "post-form": lambda c, q: c.post("/sparql", data={"query": q}),
    "post-direct": lambda c, q: c.post("/sparql", data=q.encode(),
                                       content_type="application/sparql-query"),
}


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 50 and len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("route", ROUTES)
def test_every_spelling_of_service_is_refused_and_nothing_is_contacted(sparql_app, listener,
                                                                       route):
    port, seen = listener
    client = sparql_app.test_client()
    for written in CORPUS:
        query = written.replace("PORT", str(port))
        response = ROUTES[route](client, query)
        assert response.status_code == 403, (query, response.data)
        assert response.json["error"]["code"] == "service-not-allowed", query
    # A request the store had sent would have been accepted before the store answered.
    assert seen == []


@pytest.mark.parametrize("query", [
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b ?o }",
    "PREFIX service: <http://e/> SELECT ?service { ?service service:x ?y }",
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s a dcat:DataService }",
    "SELECT * { ?s ?p 'SERVICE <http://127.0.0.1:1/> { }' } # SERVICE",
    "PREFIX ex: <http://e/> SELECT * { ?s ?p ?o FILTER(?o = ex:a\\'b || ?o = ex:c\\'d) }",
])
def test_lookalikes_are_answered(sparql_app, query):
    response = sparql_app.test_client().get("/sparql", query_string={"query": query})
    assert response.status_code == 200, response.data


# Item 8c: relative IRIs resolve against the endpoint's URL.

def _values(response, name: str) -> list[str]:
    assert response.status_code == 200, response.data
    return [b[name]["value"] for b in response.json["results"]["bindings"]]


@pytest.mark.parametrize("query, expected", [
    ("SELECT ?i WHERE { BIND(<x> AS ?i) }", f"{BASE}/x"),
    ("SELECT ?i WHERE { BIND(<> AS ?i) }", f"{BASE}/sparql"),
    ("SELECT ?i WHERE { BIND(<id/licence-type/> AS ?i) }", f"{BASE}/id/licence-type/"),
    ("PREFIX t: <id/licence-type/> SELECT ?i WHERE { BIND(t:x AS ?i) }",
     f"{BASE}/id/licence-type/x"),
    ("BASE <http://other.example/q/> SELECT ?i WHERE { BIND(<x> AS ?i) }",
     "http://other.example/q/x"),
])
def test_relative_iris_resolve_against_the_endpoint(sparql_app, query, expected):
    response = sparql_app.test_client().get("/sparql", query_string={"query": query})
    assert _values(response, "i") == [expected]


def test_a_relative_iri_finds_the_register_s_own_terms(sparql_app):
    query = "SELECT ?p WHERE { <id/licence-type/factory-operation> ?p ?o }"
    response = sparql_app.test_client().post("/sparql", data={"query": query})
    assert len(_values(response, "p")) > 3
