"""A follower of GET /api/v1/changes that knows only HTTP keeps an exact copy of the register
(SPEC §13, issue 16 item 2): replaying the feed from 0 into an empty pyoxigraph store, fetching
each line's `record` and replacing its copy of that licence's graph, ends with the register's
current public licence graphs, graph for graph; after an amending upload, continuing from its
cursor (or replaying from 0 again) ends in the new state."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from ops.demo import rows_to_csv
from registry import history
from registry.namespaces import sparql_prefixes
from registry.store import Repository
from web.app import create_app

from .support.builders import agency_key, post_upload, rows_of
from .support.publish import dumps_made
from .support.sharedstores import copy_of_store
from .support.stores import BASE

pytestmark = pytest.mark.filterwarnings("error")

PAGE = 7            # small, so that a replay crosses many pages
AGENCIES = {"diw": 12, "fda": 12, "dot": 8}


class Follower:
    """Another agency's system: an empty store, a cursor, and the feed over HTTP. Its copy holds
    one graph per licence, named by the licence's IRI."""

    def __init__(self, client):
        self.client = client
        self.copy = ox.Store()
        self.cursor: int | None = None
        self.pages = 0

    def follow(self) -> None:
        """Read pages until the feed says none is full (no Link rel=next)."""
        while True:
            query = f"limit={PAGE}" if self.cursor is None else f"after={self.cursor}&limit={PAGE}"
            response = self.client.get(f"/api/v1/changes?{query}")
            assert response.status_code == 200, response.get_data(as_text=True)
            self.pages += 1
            for text in response.get_data(as_text=True).splitlines():
                self.apply(json.loads(text))
            self.cursor = int(response.headers["X-Next-After"])
            if "Link" not in response.headers:
                return

    def apply(self, line: dict) -> None:
        assert line["record"].startswith(BASE)
        record = self.client.get(line["record"][len(BASE):])
        assert record.status_code == 200
        graph = ox.NamedNode(line["licence"])
        self.copy.remove_graph(graph)
        self.copy.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in
                         ox.parse(record.get_data(), format=ox.RdfFormat.N_TRIPLES))

    def graphs(self) -> dict[str, set[ox.Triple]]:
        found: dict[str, set[ox.Triple]] = {}
        for quad in self.copy:
            assert isinstance(quad.graph_name, ox.NamedNode)
            found.setdefault(quad.graph_name.value, set()).add(
                ox.Triple(quad.subject, quad.predicate, quad.object))
        return found


_CURRENT = sparql_prefixes("clc") + f"""
SELECT ?g ?l WHERE {{ GRAPH ?g {{ ?l clc:version ?v }} {history.current_record()} }}"""


def register_graphs(repo: Repository) -> dict[str, set[ox.Triple]]:
    """Each licence's current public graph in the register's store, by licence IRI."""
    return {row["l"].value: set(repo.graph_triples(row["g"].value))
            for row in repo.select(_CURRENT)}


def assert_same_dataset(copy: dict[str, set[ox.Triple]], register: dict[str, set[ox.Triple]]
                        ) -> None:
    """Isomorphic, graph for graph. A licence record has no blank nodes (docs/log.md), so two
    of its graphs are isomorphic exactly when they hold the same triples."""
    for triples in register.values():
        assert not any(isinstance(term, ox.BlankNode) for t in triples
                       for term in (t.subject, t.object))
    assert copy.keys() == register.keys()
    for licence, triples in register.items():
        assert copy[licence] == triples, licence


@pytest.fixture
def register(tmp_path, initialised_template, catalogue):
    repo = copy_of_store(initialised_template, tmp_path / "store")
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo)
    keys = {agency: agency_key(repo, agency) for agency in AGENCIES}
    rows = {agency: rows_of(catalogue, agency, count + 3, seed=11)
            for agency, count in AGENCIES.items()}
    client = app.test_client()
    for agency, count in AGENCIES.items():
        response = post_upload(client, rows_to_csv(rows[agency][:count]), keys[agency])
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["created"] == count
    yield app, repo, client, keys, rows
    dumps_made(app)
    repo.close()


def _amend(client, keys, rows) -> None:
    """diw suspends one licence and adds three; fda renames a holder and ends a licence early."""
    diw = rows["diw"]
    suspended = {**diw[0], "status": "suspended", "status_reason": "ตรวจพบการฝ่าฝืนเงื่อนไข"}
    response = post_upload(client, rows_to_csv([suspended, *diw[12:15]]), keys["diw"])
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["created"], response.get_json()["updated"]) == (3, 1)
    fda = rows["fda"]
    renamed = {**fda[1], "holder_name": fda[1]["holder_name"] + " (สาขาใหม่)",
               "holder_name_en": fda[1]["holder_name_en"] + " (new branch)"}
    surrendered = {**fda[2], "status": "surrendered", "status_reason": ""}
    response = post_upload(client, rows_to_csv([renamed, surrendered]), keys["fda"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["updated"] == 2


def test_a_follower_keeps_an_exact_copy_through_an_amendment(register):
    app, repo, client, keys, rows = register
    follower = Follower(app.test_client())
    follower.follow()
    assert follower.pages > 3                       # the replay crossed pages
    before = register_graphs(repo)
    assert len(before) == sum(AGENCIES.values())
    assert_same_dataset(follower.graphs(), before)

    _amend(client, keys, rows)
    after = register_graphs(repo)
    assert after != before and len(after) == len(before) + 3
    assert follower.graphs() != after               # not followed yet: the check can fail
    cursor = follower.cursor
    follower.follow()
    assert follower.cursor is not None and cursor is not None and follower.cursor > cursor
    assert_same_dataset(follower.graphs(), after)

    fresh = Follower(app.test_client())
    fresh.follow()
    assert_same_dataset(fresh.graphs(), after)
    assert fresh.cursor == follower.cursor


def test_a_poll_with_nothing_new_changes_nothing(register):
    app, repo, *_ = register
    follower = Follower(app.test_client())
    follower.follow()
    cursor, copy = follower.cursor, follower.graphs()
    follower.follow()
    assert (follower.cursor, follower.graphs()) == (cursor, copy)
    assert_same_dataset(copy, register_graphs(repo))
