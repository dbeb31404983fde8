"""What the remote repository does differently on Virtuoso open source (docs/deployment.md,
"Remote stores: Oxigraph and Virtuoso", has the table).

Virtuoso keeps its own graphs in the same quad store (virtrdf#, ldp#, its /sparql service
description), answers the default graph as the union of every graph, runs each operation of a
multi-operation update as a transaction of its own (an error in the third leaves the first two
written), takes no blank node in INSERT DATA, and answers a query that ran out of time with the
rows found so far (an "Anytime" result, marked by its X-SQL-State header), and writes booleans
as 1 and 0 in its JSON results. The functions here hide each of these from the callers of
RemoteRepository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO, Protocol
from urllib.parse import quote_plus

import pyoxigraph as ox
import requests

from registry.store.interface import ChangeSet, StoreError, Term


class RemoteRepository(Protocol):
    """What these functions use of registry.store.remote.RemoteRepository (which imports this
    module, so it is not imported here)."""

    update_url: str

    def internal_select(self, query: str) -> list[dict[str, Term]]: ...

    def _post(self, url: str, data, content_type: str) -> requests.Response: ...

    def _update_body(self, change: ChangeSet) -> bytes: ...

# Query, update (digest auth, the user needs SPARQL_UPDATE) and Graph Store Protocol endpoints.
LAYOUT = ("/sparql", "/sparql-auth", "/sparql-graph-crud-auth")
# The register's default-graph quads, kept in a named graph: Virtuoso's default graph is the
# union of every graph, so quads put there could not be told apart from the named graphs' ones.
DEFAULT_GRAPH = "urn:x-licence-registry:default-graph"
# Graphs Virtuoso makes for itself, hidden from every query (never counted, exported or
# dropped), with its service description graph (http://{[URIQA] DefaultHost}/sparql), found
# by what it holds.
_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#")
SERVICE_GRAPHS = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a "
                   "<http://www.w3.org/ns/sparql-service-description#Service> } }")
QUAD_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } #OWN# }"
_ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } #OWN# }"
_OWN_GRAPH_NAMES = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } #OWN# }"
# An Anytime result (the query hit MaxQueryExecutionTime): the rows are only those found so far.
_PARTIAL_STATE = "S1TAT"


def form_body(data: bytes, content_type: str) -> tuple[bytes, str]:
    """The request as an HTML form (`query=` or `update=`): Virtuoso 7.2 does not answer a
    query POSTed directly as application/sparql-query."""
    field = "update" if content_type == "application/sparql-update" else "query"
    return (f"{field}=".encode() + quote_plus(data).encode(),
            "application/x-www-form-urlencoded")


def system_graphs(service_graphs: list[str]) -> list[str]:
    return [*_SYSTEM_GRAPHS, *service_graphs]


def own_graphs_only(query: str, system: list[str]) -> str:
    """The query with its `#OWN#` placeholder made a FILTER keeping ?g to the register's graphs.
    (Virtuoso's dataset pragmas, `define input:named-graph-exclude`, would do it for any query,
    but with one in force a `GRAPH <iri>` with a constant IRI matches nothing in 7.2.)"""
    names = ", ".join(str(ox.NamedNode(g)) for g in system)
    return query.replace("#OWN#", f"FILTER(?g NOT IN ({names}))")


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def results_fixed(body: bytes) -> bytes:
    """SPARQL JSON results as Oxigraph writes them: Virtuoso's blank node ids (`nodeID://b10000`,
    which are no valid blank node labels) made labels (`b10000`: the same node keeps the same
    label), and its xsd:boolean values "1" and "0" written "true" and "false" (its N-Triples
    already do; a boolean an expression computes comes as an xsd:integer 1 or 0, which no
    reader of the results can tell from a number)."""
    if b"nodeID://" not in body and _BOOLEAN.encode() not in body:
        return body
    results = json.loads(body)
    for row in results.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = re.sub(r"[^A-Za-z0-9]", "", term["value"].removeprefix(
                    "nodeID://"))
            elif term.get("datatype") == _BOOLEAN:
                term["value"] = {"1": "true", "0": "false"}.get(term["value"], term["value"])
    return json.dumps(results).encode()


def check_complete(response: requests.Response, url: str) -> None:
    """Refuse an Anytime (partial) result: it would be passed off as the whole answer."""
    if response.headers.get("X-SQL-State") == _PARTIAL_STATE:
        raise StoreError(f"The store at {url} ran out of time and answered with partial results "
                         f"({response.headers.get('X-SQL-Message', 'Anytime query')}); "
                         "raise [SPARQL] MaxQueryExecutionTime or narrow the query.")


# Its error for a query that passed MaxQueryExecutionTime with no Anytime timeout asked for.
_TIMED_OUT = ("SR171", "S1T00")


def timed_out(error_text: str) -> bool:
    """Whether a Virtuoso error answer says the query ran out of time."""
    return any(code in error_text for code in _TIMED_OUT)


def own_graphs(repo: RemoteRepository) -> list[str]:
    return [row["g"].value for row in repo.internal_select(_OWN_GRAPH_NAMES)]


def drop_all(repo: RemoteRepository) -> bytes:
    """Operations dropping every graph of the register's (DROP ALL would drop Virtuoso's own)."""
    return b"".join(f"DROP SILENT GRAPH {ox.NamedNode(g)} ;\n".encode() for g in own_graphs(repo))


def export(repo: RemoteRepository, out: BinaryIO) -> None:
    """Every quad of the register's graphs as N-Quads (Virtuoso's Graph Store Protocol gives one
    graph at a time); the stand-in default graph comes back as the default graph."""
    quads = (_quad(row) for row in repo.internal_select(_ALL_QUADS))
    ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)


def _quad(row) -> ox.Quad:
    graph = row["g"]
    return ox.Quad(row["s"], row["p"], row["o"],
                   ox.DefaultGraph() if graph.value == DEFAULT_GRAPH else graph)


def touched_graphs(change: ChangeSet) -> list[str]:
    """Every graph the change set writes: those it replaces and those its payload fills."""
    graphs = dict.fromkeys(change.replace)
    for part in change.parts():
        for quad in ox.parse(part if isinstance(part, bytes) else part.read_bytes(),
                             format=ox.RdfFormat.N_QUADS):
            name = quad.graph_name
            graphs[DEFAULT_GRAPH if isinstance(name, ox.DefaultGraph) else name.value] = None
    return list(graphs)


def snapshot(repo: RemoteRepository, graphs: list[str]) -> bytes:
    """The graphs' quads now, as N-Quads (named graphs kept as they are)."""
    block = " ".join(str(ox.NamedNode(g)) for g in graphs)
    rows = repo.internal_select(
        f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {block} }} GRAPH ?g {{ ?s ?p ?o }} }}")
    quads = [ox.Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[arg-type]
             for row in rows]             # (the store put each kind of term where it may be)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def applied_or_undone(repo: RemoteRepository, change: ChangeSet,
                      update: Iterator[bytes] | bytes) -> None:
    """Send the update; when Virtuoso fails it part-way (each operation commits on its own), put
    back what the touched graphs held before, so the change set is all-or-nothing. Runs under
    the write lease, so no other writer changes those graphs in between. A web process killed
    between the two requests is not covered (docs/deployment.md)."""
    graphs = touched_graphs(change)
    before = snapshot(repo, graphs)
    body = update if isinstance(update, bytes) else b"".join(update)
    try:
        repo._post(repo.update_url, body, "application/sparql-update")
    except StoreError as failed:
        try:
            repo._post(repo.update_url, repo._update_body(ChangeSet(replace=graphs,
                                                                    payload=before)),
                       "application/sparql-update")
        except StoreError as undo_failed:
            raise StoreError(f"{failed} — and putting back graphs {', '.join(graphs)} also "
                             f"failed ({undo_failed}): the change may be half applied; apply "
                             "it again.") from failed
        raise StoreError(f"{failed} (nothing written: the graphs were put back)") from failed
