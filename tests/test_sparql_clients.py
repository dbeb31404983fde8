"""Real SPARQL clients (SPARQLWrapper, rdflib's SPARQLStore) against /sparql on a real HTTP server,
for every result and graph format."""

from __future__ import annotations

import csv
import io
import threading

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from werkzeug.serving import make_server

from opendata.sparql import SparqlState
from ops.demoload import load_demo
from registry.store.embedded import EmbeddedRepository
from web.app import create_app
from web.state import state_of

from .support.stores import BASE

PER_AGENCY = """PREFIX schema: <https://schema.org/>
SELECT ?agency (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l schema:issuedBy ?agency }
GROUP BY ?agency ORDER BY ?agency"""
CONSTRUCT = """PREFIX dct: <http://purl.org/dc/terms/> PREFIX schema: <https://schema.org/>
CONSTRUCT { ?l dct:identifier ?id ; schema:issuedBy ?a } WHERE {
  ?l a schema:GovernmentPermit ; dct:identifier ?id ; schema:issuedBy ?a } ORDER BY ?id LIMIT 30"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    repo = EmbeddedRepository(tmp_path_factory.mktemp("clients") / "store", create=True)
    load_demo(repo, BASE, 150)
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql", repo
    server.shutdown()
    thread.join(10)
    state_of(app).part(SparqlState).executor.close()
    repo.close()


def expected_counts(repo) -> dict[str, int]:
    rows = repo.select("""SELECT ?agency (COUNT(DISTINCT ?l) AS ?n) WHERE {
        GRAPH ?g { ?l <https://schema.org/issuedBy> ?agency } } GROUP BY ?agency""")
    return {r["agency"].value: int(r["n"].value) for r in rows}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_format(endpoint, method, return_format):
    url, repo = endpoint
    client = SPARQLWrapper(url)
    client.setQuery(PER_AGENCY)
    client.setMethod(method)
    client.setReturnFormat(return_format)
    result = client.query().convert()
    if return_format == JSON:
        counts = {b["agency"]["value"]: int(b["n"]["value"])
                  for b in result["results"]["bindings"]}
    elif return_format == XML:        # a DOM document
        counts = {}
        for node in result.getElementsByTagName("result"):
            bindings = {b.getAttribute("name"): b.firstChild.firstChild.data
                        for b in node.getElementsByTagName("binding")}
            counts[bindings["agency"]] = int(bindings["n"])
    else:
        text = result.decode() if isinstance(result, bytes) else result
        if return_format == CSV:
            rows = list(csv.reader(io.StringIO(text)))[1:]
        else:                         # Turtle terms, numbers may be short: rdflib reads them
            parsed = Result.parse(io.StringIO(text), format="tsv")
            rows = [(str(row.agency), row.n.toPython()) for row in parsed]
        counts = {a: int(n) for a, n in rows}
    assert counts == expected_counts(repo)


def test_sparqlwrapper_ask(endpoint):
    client = SPARQLWrapper(endpoint[0])
    client.setQuery("ASK { ?l a <https://schema.org/GovernmentPermit> }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize("return_format", [TURTLE, JSONLD, RDFXML, N3, XML])
def test_sparqlwrapper_construct_in_every_graph_format(endpoint, return_format):
    url, _ = endpoint
    client = SPARQLWrapper(url)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(return_format)
    result = client.query().convert()
    if isinstance(result, rdflib.Graph):
        graph = result
    else:
        text = result.decode() if isinstance(result, bytes) else result
        graph = rdflib.Graph().parse(data=text, format="turtle")
    reference = SPARQLWrapper(url)
    reference.setQuery(CONSTRUCT)
    reference.setReturnFormat(TURTLE)
    expected = rdflib.Graph().parse(data=reference.query().convert().decode(), format="turtle")
    assert len(expected) == 60
    assert isomorphic(graph, expected)


@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
def test_rdflib_sparqlstore_select_in_every_format(endpoint, return_format):
    url, repo = endpoint
    graph = rdflib.Graph(store=SPARQLStore(url, returnFormat=return_format))
    rows = list(graph.query(PER_AGENCY))
    assert {str(agency): int(n) for agency, n in rows} == expected_counts(repo)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_graph_queries(endpoint, method):
    url, _ = endpoint
    graph = rdflib.Graph(store=SPARQLStore(url, method=method))
    constructed = graph.query(CONSTRUCT).graph
    assert len(constructed) == 60
    permit = rdflib.URIRef("https://schema.org/GovernmentPermit")
    assert len(list(graph.triples((None, rdflib.RDF.type, permit)))) >= 150
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
