"""Licence types and agencies resolve on both store kinds (the remote store binds values with an
inline VALUES block that the query's FILTERs must see)."""

from __future__ import annotations

import pytest

from registry.sparqltext import with_inline_data
from web.app import create_app

from .support.stores import BASE
from .support.stores import store_kind_on_every_engine as store_kind  # noqa: F401 Virtuoso too


@pytest.mark.parametrize("path, words", [
    ("/id/licence-type/factory-operation", ["ประกอบกิจการโรงงาน"]),
    ("/id/agency/diw", ["กรมโรงงานอุตสาหกรรม"]),
])
def test_catalogue_terms_resolve_on_every_store(repo, path, words):
    client = create_app({"BASE_IRI": BASE}, repository=repo).test_client()
    page = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert page.status_code == 200
    assert all(word in page.get_data(as_text=True) for word in words)
    turtle = client.get(path, headers={"Accept": "text/turtle"}, follow_redirects=True)
    assert turtle.status_code == 200 and len(turtle.data) > 200


@pytest.mark.parametrize("query, expected", [
    ("SELECT ?s WHERE { ?s ?p ?o FILTER(?s = ?t) }",
     "SELECT ?s WHERE { VALUES (?t) { (<x:y>) }  ?s ?p ?o FILTER(?s = ?t) }"),
    ("select ?s { ?s ?p '{WHERE {' }", "select ?s { VALUES (?t) { (<x:y>) }  ?s ?p '{WHERE {' }"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
     "CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?t) { (<x:y>) }  ?s ?p ?o }"),
    ("ASK { ?t ?p ?o }", "ASK { VALUES (?t) { (<x:y>) }  ?t ?p ?o }"),
    ("PREFIX e: <http://e/where#> DESCRIBE ?t",
     "PREFIX e: <http://e/where#> DESCRIBE ?t\nVALUES (?t) { (<x:y>) }"),
])
def test_values_go_first_in_the_where_group(query, expected):
    assert with_inline_data(query, "VALUES (?t) { (<x:y>) }") == expected
