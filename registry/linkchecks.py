"""The link checker's records in the store: which documents to check, the results as one public
graph per issuer (`{BASE}/graph/link-checks/{issuer}`, replaced whole by each run that covers
that issuer), and the last result of one licence's document for its page.

    <{licence}#document> clc:lastChecked "…"^^xsd:dateTime ;
                         clc:lastReachable "…"^^xsd:dateTime ;   # kept while unreachable
                         clc:linkStatus "200" | "404" | "timeout" | "refused: loopback address" …
    <{graph}> clc:documentsChecked n ; clc:documentsReachable m ; dct:modified "…"^^xsd:dateTime .

The graph's own line counts its documents as the run wrote them (reachable: as `lastReachable`
says, 401/403 included for a restricted document), so an agency's figures are read without
going through its documents (opendata/qualityqueries.py): a million documents are counted when
they are checked, not at each look.

The checking itself (HTTP, the address policy) is `ops.linkcheck`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers
from registry.history import current_record
from registry.namespaces import CLC, DCT, XSD, sparql_prefixes
from registry.store import ChangeSet, Repository, Term

REFUSED_PREFIX = "refused: "


@dataclass(frozen=True)
class CheckResult:
    url: str
    status: str                      # "200", "404", "timeout", "refused: …", …
    checked: dt.datetime             # UTC, when the check ended
    final_url: str = ""              # the last URL asked (after redirects)

    @property
    def refused(self) -> bool:
        return self.status.startswith(REFUSED_PREFIX)

    def reachable(self, restricted: bool = False) -> bool:
        """2xx; for a restricted document 401/403 too (the file is there, behind the login)."""
        if not self.status.isdigit():
            return False
        code = int(self.status)
        return 200 <= code < 300 or (restricted and code in (401, 403))


# The store: what to check, results → quads, reading a result back
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    licence: str                     # licence IRI
    issuer: str
    url: str                         # the document's schema:url
    restricted: bool = False

    @property
    def document(self) -> str:
        return identifiers.licence_part_iri(self.licence, "document")


_DOCUMENTS = sparql_prefixes("clc", "schema", "dct") + f"""
SELECT ?l ?g ?a ?u ?access WHERE {{
  GRAPH ?g {{ ?l schema:issuedBy ?a ; clc:document ?d . ?d schema:url ?u .
             OPTIONAL {{ ?d dct:accessRights ?access }} }}
  {current_record("?g")}
}}"""


def documents_to_check(repo: Repository, base: str, issuer: str | None = None) -> list[Target]:
    """The current records' document URLs (all licences, or those the issuer issued)."""
    bindings = {"a": ox.NamedNode(identifiers.agency_iri(base, issuer))} if issuer else None
    targets = []
    for row in repo.select(_DOCUMENTS, bindings):
        try:
            key = identifiers.parse_licence_iri(base, row["l"].value)
        except (identifiers.InvalidCode, identifiers.InvalidNumber):
            continue
        access = row.get("access")
        targets.append(Target(row["l"].value, key.issuer, row["u"].value,
                              access is not None and access.value.endswith("/restricted")))
    return sorted(targets, key=lambda t: t.licence)


_RECORDED = sparql_prefixes("clc") + """
SELECT DISTINCT ?g WHERE { GRAPH ?g { ?d clc:linkStatus ?s } }"""

_PREVIOUS = sparql_prefixes("clc") + """
SELECT ?g ?d ?r WHERE { #VALUES_G# GRAPH ?g { ?d clc:lastReachable ?r } }"""


def recorded_issuers(repo: Repository, base: str) -> set[str]:
    """Issuers that have a link-check graph."""
    prefix = identifiers.link_check_graph_iri(base, "")
    return {row["g"].value[len(prefix):] for row in repo.select(_RECORDED)
            if row["g"].value.startswith(prefix)}


@dataclass
class Summary:
    checked: int = 0
    reachable: int = 0
    unreachable: int = 0
    refused: int = 0
    problems: list[tuple[Target, CheckResult]] = field(default_factory=list)


def _datetime(value: dt.datetime) -> ox.Literal:
    return ox.Literal(value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      datatype=XSD.dateTime)


def result_quads(base: str, checked: Iterable[tuple[Target, CheckResult]],
                 previous: Mapping[str, Term]) -> list[ox.Quad]:
    """The link-check quads: `previous` maps a document IRI to its earlier clc:lastReachable,
    kept when the document is not reachable now."""
    quads = []
    for target, result in checked:
        graph = ox.NamedNode(identifiers.link_check_graph_iri(base, target.issuer))
        document = ox.NamedNode(target.document)
        quads.append(ox.Quad(document, CLC.lastChecked, _datetime(result.checked), graph))
        if result.reachable(target.restricted):
            quads.append(ox.Quad(document, CLC.lastReachable, _datetime(result.checked), graph))
        elif target.document in previous:
            quads.append(ox.Quad(document, CLC.lastReachable, previous[target.document], graph))
        quads.append(ox.Quad(document, CLC.linkStatus, ox.Literal(result.status), graph))
    return quads


def summary_quads(base: str, checked: Iterable[tuple[Target, CheckResult]]) -> list[ox.Quad]:
    """Each checked issuer's graph's own line: how many documents the run checked, how many
    were reachable, and when its last check ended."""
    totals: dict[str, list] = {}
    for target, result in checked:
        found = totals.setdefault(target.issuer, [0, 0, result.checked])
        found[0] += 1
        found[1] += result.reachable(target.restricted)
        found[2] = max(found[2], result.checked)
    quads = []
    for issuer, (count, reachable, latest) in sorted(totals.items()):
        graph = ox.NamedNode(identifiers.link_check_graph_iri(base, issuer))
        quads += [ox.Quad(graph, CLC.documentsChecked, _integer(count), graph),
                  ox.Quad(graph, CLC.documentsReachable, _integer(reachable), graph),
                  ox.Quad(graph, DCT.modified, _datetime(latest), graph)]
    return quads


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD.integer)


def record_results(repo: Repository, base: str, targets: list[Target],
                   results: Mapping[str, CheckResult], issuers: Iterable[str]) -> Summary:
    """Replace the link-check graphs of `issuers` (every issuer the run covered, even those
    with nothing left to check) in one change set, keeping earlier lastReachable times."""
    graphs = sorted({identifiers.link_check_graph_iri(base, i) for i in issuers}
                    | {identifiers.link_check_graph_iri(base, t.issuer) for t in targets})
    checked = [(t, results[t.url]) for t in targets if t.url in results]
    summary = Summary(checked=len(checked))
    for target, result in checked:
        if result.reachable(target.restricted):
            summary.reachable += 1
        else:
            summary.problems.append((target, result))
            if result.refused:
                summary.refused += 1
            else:
                summary.unreachable += 1
    with repo.writing():
        previous = {row["d"].value: row["r"] for row in repo.select_graphs(_PREVIOUS, graphs)}
        repo.apply(ChangeSet.from_quads(result_quads(base, checked, previous)
                                        + summary_quads(base, checked), replace=graphs))
    return summary


@dataclass(frozen=True)
class LinkCheck:
    checked: dt.datetime | None = None
    reachable: dt.datetime | None = None
    status: str = ""


_ONE = sparql_prefixes("clc") + """
SELECT ?g ?d ?checked ?status ?reachable WHERE { GRAPH ?g {
  ?d clc:lastChecked ?checked ; clc:linkStatus ?status .
  OPTIONAL { ?d clc:lastReachable ?reachable } } }"""


def _parse_time(literal: Term | None) -> dt.datetime | None:
    if literal is None:
        return None
    try:
        return dt.datetime.fromisoformat(literal.value)
    except ValueError:
        return None


def link_check_of(repo: Repository, base: str, key: identifiers.LicenceKey) -> LinkCheck:
    """The last recorded check of the licence's document (one query; empty when never)."""
    row = repo.one(_ONE, {
        "g": ox.NamedNode(identifiers.link_check_graph_iri(base, key.issuer)),
        "d": ox.NamedNode(identifiers.licence_part_iri(identifiers.licence_iri(base, key),
                                                       "document"))})
    if row is None:
        return LinkCheck()
    return LinkCheck(_parse_time(row["checked"]), _parse_time(row.get("reachable")),
                     row["status"].value)
