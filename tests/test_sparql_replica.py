"""Remote store with a SPARQL replica (SPARQL_STORE_URL): every commit reaches it, /sparql reads
it, a missed commit is said (503) until `sync-replica` copies the main store again."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from ops.cli import main as cli
from ops.demo import demo_rows
from registry.bootstrap import init_store, load_catalogue
from registry.settings import load_settings
from registry.store.opening import open_repository
from web.app import create_app

from .support.stores import BASE, empty_remote_store, serve_oxigraph

pytestmark = pytest.mark.remote

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture
def stores(oxigraph_servers, tmp_path):
    replica_url, process = serve_oxigraph(tmp_path / "replica")
    for url in (*oxigraph_servers, replica_url):
        empty_remote_store(url)
    urls = {"STORE_URL": oxigraph_servers[0], "PRIVATE_STORE_URL": oxigraph_servers[1],
            "SPARQL_STORE_URL": replica_url}
    yield urls, process
    process.kill()
    process.wait(10)


def count(url: str) -> int:
    response = requests.get(url + "/query", params={"query": COUNT},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _commit_some(publish, repo, seed: int) -> None:
    catalogue = load_catalogue(repo)
    publish(repo, demo_rows(catalogue, 20, seed=seed, agency="diw"), "diw")


def test_every_commit_reaches_the_replica_and_sparql_reads_it(stores, publish):
    urls, _ = stores
    settings = load_settings({**urls, "BASE_IRI": BASE})
    repo = open_repository(settings)
    init_store(repo, BASE)
    _commit_some(publish, repo, 1)
    assert count(urls["SPARQL_STORE_URL"]) == count(urls["STORE_URL"]) > 0
    assert count(urls["PRIVATE_STORE_URL"]) > 0 and not repo.replica_behind()
    app = create_app(settings)
    response = app.test_client().get("/sparql", query_string={"query": COUNT})
    assert int(response.json["results"]["bindings"][0]["n"]["value"]) == count(urls["STORE_URL"])


def test_a_missed_commit_is_said_until_the_replica_is_copied_again(stores, tmp_path, publish):
    urls, replica = stores
    settings = load_settings({**urls, "BASE_IRI": BASE})
    repo = open_repository(settings)
    init_store(repo, BASE)
    replica.kill()
    replica.wait(10)
    _commit_some(publish, repo, 2)      # the commit stands on the main store
    assert repo.replica_behind()
    client = create_app(settings).test_client()
    response = client.get("/sparql", query_string={"query": COUNT})
    assert response.status_code == 503 and "sync-replica" in response.json["error"]["detail"]

    # A new replica (the old one is gone): copy the main store to it.
    new_url, new_process = serve_oxigraph(tmp_path / "replica-2")
    try:
        env = {f"LICENCE_REGISTRY_{k}": v for k, v in {**urls, "SPARQL_STORE_URL": new_url}.items()}
        result = CliRunner().invoke(cli, ["--base-iri", BASE, "sync-replica"], env=env)
        assert result.exit_code == 0, result.output
        assert count(new_url) == count(urls["STORE_URL"])
        assert not repo.replica_behind()
        settings = load_settings({**urls, "SPARQL_STORE_URL": new_url, "BASE_IRI": BASE})
        fresh = create_app(settings).test_client().get("/sparql", query_string={"query": COUNT})
        assert fresh.status_code == 200
    finally:
        new_process.kill()
        new_process.wait(10)



def test_a_store_whose_default_graph_is_not_the_union_is_said(stores):
    """Without the union parameter oxigraph's default graph is its own (empty) one: /sparql
    says which setting to change instead of answering every query with nothing."""
    urls, _ = stores
    settings = load_settings({**urls, "BASE_IRI": BASE})
    empty = create_app(settings).test_client().get("/sparql", query_string={"query": COUNT})
    assert empty.status_code == 200           # nothing in any graph yet: nothing to tell
    init_store(open_repository(settings), BASE)
    plain = load_settings({**urls, "BASE_IRI": BASE, "SPARQL_UNION_PARAMETER": ""})
    response = create_app(plain).test_client().get(
        "/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 503
    assert "LICENCE_REGISTRY_SPARQL_UNION_PARAMETER" in response.json["error"]["detail"]
    union = create_app(settings).test_client().get(
        "/sparql",
        query_string={"query": "ASK { ?type a <http://data.europa.eu/m8g/EvidenceType> }"})
    assert union.status_code == 200 and union.json["boolean"] is True
