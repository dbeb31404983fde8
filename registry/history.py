"""A licence's versions, and the licence as it was at a version or on a date.

Every accepted change is a new version (SPEC §5): the current record lives in the licence's
graph, each replaced one in `…/version/N`, each stating its own `clc:version`, `dct:modified`
and status. "As it was on a date" means as the register held it at the end of that day (UTC).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.namespaces import sparql_prefixes
from registry.store import ChangeSet, Repository


@dataclass(frozen=True)
class Version:
    number: int
    modified: str           # xsd:dateTime, UTC
    status: str             # local name in the status scheme
    graph: str


_VERSIONS = sparql_prefixes("clc", "dct", "adms") + """
SELECT ?l ?g ?v ?modified ?status WHERE {
  GRAPH ?g { ?l clc:version ?v ; dct:modified ?modified ; adms:status ?status }
}"""


# "Current record" in SPARQL, for every query of the register: a replaced record
# (`…/version/N`) carries the mark `clc:supersededByVersion N+1` and a current one never does
# (docs/data-model.md), so a query keeps the graphs without the mark. Two spellings of that one
# test, by cost (pyoxigraph, docs/sparql-examples.md): over many licences a MINUS reads the marks
# once (one per amendment) and joins them by hash on the graph; where the other patterns leave
# a few rows, looking each row's mark up costs less than reading every mark.


def current_record(graph: str = "?g") -> str:
    """Keep only current records' graphs: put beside `GRAPH ?g { … }`, in the group that binds
    `graph` (not inside the GRAPH). For queries over many licences. The query must not use
    `?superseded` or `?next` itself, so that the MINUS joins on the graph alone."""
    return f"MINUS {{ GRAPH {graph} {{ ?superseded {terms.SUPERSEDED_BY_VERSION} ?next }} }}"


def current_record_of(licence: str, graph: str = "?g") -> str:
    """The same test for queries whose other patterns leave few rows: the mark of `licence`
    looked up in `graph` for each row. The query must not use `?next` itself."""
    return (f"FILTER NOT EXISTS {{ GRAPH {graph} "
            f"{{ {licence} {terms.SUPERSEDED_BY_VERSION} ?next }} }}")


def versions(repo: Repository, base: str, key: identifiers.LicenceKey) -> list[Version]:
    """Every version of the licence, oldest first (empty when the register never had it)."""
    rows = repo.select(_VERSIONS, {"l": ox.NamedNode(identifiers.licence_iri(base, key))})
    found = [Version(int(r["v"].value), r["modified"].value,
                     r["status"].value.rsplit("/", 1)[-1], r["g"].value) for r in rows]
    return sorted(found, key=lambda v: v.number)


def version_at(all_versions: list[Version], *, number: int | None = None,
               on: dt.date | None = None) -> Version | None:
    """The version with that number, or the one in the register at the end of that day."""
    if number is not None:
        return next((v for v in all_versions if v.number == number), None)
    if on is not None:
        # By the day's text, not the next day's: 9999-12-31 has no next day (OverflowError).
        day = on.isoformat()
        earlier = [v for v in all_versions if v.modified[:10] <= day]
        return earlier[-1] if earlier else None
    return all_versions[-1] if all_versions else None


def record_triples(repo: Repository, version: Version) -> list[ox.Triple]:
    return repo.graph_triples(version.graph)


# Replaced records that lack the mark of the version that replaced them, so still pass for
# current ones: stores written before replaced records carried it. GRAPH everywhere (a remote
# store's default graph is its own).
_UNMARKED = sparql_prefixes("clc") + f"""
SELECT DISTINCT ?g ?licence ?older WHERE {{
  GRAPH ?newer {{ ?licence clc:version ?newest }} FILTER(?newest > 1)
  GRAPH ?g {{ ?licence clc:version ?older }} FILTER(?older < ?newest)
  {current_record_of("?licence")}
}}"""


def mark_superseded(repo: Repository) -> int:
    """Give each replaced record without it the mark `clc:supersededByVersion N+1` (pipeline
    writes it with every amendment; this brings older stores up to date). Idempotent; run by
    `init`, `restore` and before `serve` starts on an embedded store. How many were marked."""
    with repo.writing():
        rows = repo.select(_UNMARKED)
        if rows:
            repo.apply(ChangeSet.from_quads(
                ox.Quad(row["licence"], terms.SUPERSEDED_BY_VERSION,
                        ox.Literal(int(row["older"].value) + 1), row["g"]) for row in rows
                # always: a subject or a graph name is never a literal
                if not isinstance(row["licence"], ox.Literal)
                and not isinstance(row["g"], ox.Literal)))
    return len(rows)
