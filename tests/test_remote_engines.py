"""The remote store on both engines it supports, real servers: `oxigraph serve` and Virtuoso open
source. Where Virtuoso differs (docs/deployment.md, "Remote stores: Oxigraph and Virtuoso"), the
remote repository adapts; these tests hold it to the same meaning on both."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

from registry.settings import load_settings
from registry.store import ChangeSet, StoreError
from registry.store import virtuoso as vt
from registry.store.remote import RemoteRepository

from .support.stores import VIRTUOSO_PASSWORD, engine_repository

pytestmark = pytest.mark.remote

G1 = "http://127.0.0.1:8000/graph/licence/a/b/1"
G2 = "http://127.0.0.1:8000/graph/licence/a/b/2"
XSD = "http://www.w3.org/2001/XMLSchema#"
S = ox.NamedNode("http://x/1")
P = ox.NamedNode("http://example.org/p")


@pytest.fixture(params=["oxigraph", "virtuoso"])
def engine_repo(request):
    """An emptied remote repository on each engine (the session's servers)."""
    repo = engine_repository(request.param, request.getfixturevalue(f"{request.param}_servers"))
    yield repo
    repo.close()


LITERALS = [
    ox.Literal("ร้านอาหาร \"ครัวไทย\"\nบรรทัดสอง", language="th"),
    ox.Literal("กรุงเทพฯ"),
    ox.Literal("2024-02-29", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("2024-02-29T23:59:59Z", datatype=ox.NamedNode(XSD + "dateTime")),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("tab\there \\ back", language="en"),
]


def test_literals_round_trip_exactly(engine_repo):
    engine_repo.apply(ChangeSet.from_quads([ox.Quad(S, P, lit, ox.NamedNode(G1))
                                            for lit in LITERALS], replace=[G1]))
    stored = {t.object for t in engine_repo.graph_triples(G1)}
    assert stored == set(LITERALS)
    exported = set(ox.parse(engine_repo.export_bytes(), format=ox.RdfFormat.N_QUADS))
    assert {q.object for q in exported} == set(LITERALS)


def test_blank_nodes_and_default_graph_quads_keep_their_meaning(engine_repo):
    blank = ox.BlankNode()
    quads = [ox.Quad(S, P, blank, ox.NamedNode(G1)),
             ox.Quad(blank, P, ox.Literal("in the node"), ox.NamedNode(G1)),
             ox.Quad(S, P, ox.Literal("default"), ox.DefaultGraph())]
    engine_repo.apply(ChangeSet.from_quads(quads, replace=[G1]))
    assert engine_repo.quad_count() == 3
    # The one blank node links both triples (one fresh node per label, on either engine).
    rows = engine_repo.select("SELECT ?v WHERE { GRAPH ?g { ?s ?p ?b . ?b ?p ?v } }",
                              {"g": ox.NamedNode(G1), "s": S})
    assert [r["v"].value for r in rows] == ["in the node"]
    exported = list(ox.parse(engine_repo.export_bytes(), format=ox.RdfFormat.N_QUADS))
    in_default = [q.object.value for q in exported if isinstance(q.graph_name, ox.DefaultGraph)]
    assert in_default == ["default"]
    assert not engine_repo.existing_graphs([vt.DEFAULT_GRAPH]) - {vt.DEFAULT_GRAPH}


def test_a_large_change_set_is_one_update(engine_repo):
    quads = [ox.Quad(ox.NamedNode(f"http://x/{i}"), P, ox.Literal(f"ค่า {i}"),
                     ox.NamedNode(G1 if i % 2 else G2)) for i in range(20_000)]
    engine_repo.apply(ChangeSet.from_quads(quads, replace=[G1, G2]))
    assert engine_repo.quad_count() == 20_000


class _FailingHalfWay(RemoteRepository):
    """Sends the change set followed by an operation the store refuses when it runs it
    (DROP of a graph that does not exist, not SILENT): the store has run the change set's
    own operations by then."""

    sent = 0

    def _update_body(self, change):
        body = super()._update_body(change)
        self.sent += 1
        # The first update only: the second is the repository putting the graphs back.
        return body + b";\nDROP GRAPH <urn:x-test:no-such-graph>\n" if self.sent == 1 else body


def test_an_update_failing_half_way_changes_nothing(request, engine_repo):
    """Virtuoso commits each operation of an update on its own: the repository puts the touched
    graphs back. Oxigraph runs the update as one transaction."""
    engine_repo.apply(ChangeSet.from_quads([ox.Quad(S, P, ox.Literal("keep"), ox.NamedNode(G1))]))
    before = sorted(engine_repo.export_bytes().splitlines())
    failing = _FailingHalfWay(engine_repo.query_url, engine_repo.update_url, engine_repo.gsp_url,
                              60, engine=engine_repo.engine, auth=engine_repo.http.auth,
                              private=engine_repo.private)
    change = ChangeSet.from_quads([ox.Quad(S, P, ox.Literal("new"), ox.NamedNode(G1)),
                                   ox.Quad(S, P, ox.Literal("two"), ox.NamedNode(G2))],
                                  replace=[G1])
    with pytest.raises(StoreError):
        failing.apply(change)
    assert sorted(engine_repo.export_bytes().splitlines()) == before


def test_wrong_credentials_are_a_store_error_that_never_shows_the_password(virtuoso_servers):
    repo = RemoteRepository.at(virtuoso_servers[0], 30, engine="virtuoso",
                               auth=requests.auth.HTTPDigestAuth("dba", "not-" +
                                                                 VIRTUOSO_PASSWORD + "-x"))
    with pytest.raises(StoreError) as caught:
        repo._post(repo.update_url, b"INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 1 } }",
                   "application/sparql-update")
    assert "401" in str(caught.value)
    assert "not-dba-x" not in str(caught.value)


def test_the_settings_give_each_engine_its_layout_and_credentials():
    settings = load_settings({"STORE_URL": "http://127.0.0.1:8890",
                              "PRIVATE_STORE_URL": "http://127.0.0.1:8891",
                              "STORE_ENGINE": "virtuoso", "STORE_USER": "registry",
                              "STORE_PASSWORD": "s3cret-value"}, environ={})
    assert "s3cret-value" not in repr(settings)
    repo = RemoteRepository.from_settings(settings)
    assert (repo.query_url, repo.update_url, repo.gsp_url) == (
        "http://127.0.0.1:8890/sparql", "http://127.0.0.1:8890/sparql-auth",
        "http://127.0.0.1:8890/sparql-graph-crud-auth")
    assert repo.private.update_url == "http://127.0.0.1:8891/sparql-auth"
    assert isinstance(repo.http.auth, requests.auth.HTTPDigestAuth)
    assert repo.private.http.auth.username == "registry"
    plain = RemoteRepository.from_settings(settings.replace(store_engine="oxigraph",
                                                            store_user=""))
    assert plain.update_url == "http://127.0.0.1:8890/update" and plain.http.auth is None


def _response(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers.update(headers)
    return response


@pytest.mark.parametrize(("headers", "partial"), [
    ({}, False),
    ({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"}, True),
    ({"X-SQL-State": "00000"}, False),
])
def test_an_anytime_partial_answer_is_refused(headers, partial):
    if partial:
        with pytest.raises(StoreError, match="partial results"):
            vt.check_complete(_response(headers), "http://127.0.0.1:1/sparql")
    else:
        vt.check_complete(_response(headers), "http://127.0.0.1:1/sparql")
