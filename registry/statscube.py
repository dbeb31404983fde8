"""Licence statistics as a W3C RDF Data Cube (issue 17), kept in the SAME change set as the
records they count (docs/stats.md).

What is stored (every count is of current records only, by STORED status):

- dataset `licences` — agency × licence type × province × status × year of issue: the full
  cross-tab, one graph per (agency, type) pair, `{BASE}/graph/stats/by-pair/{issuer}/{type}`;
- the register's totals, in `{BASE}/graph/stats/totals`: `by-type` (agency × type),
  `by-province`, `by-status`, `by-year`, and, for "expired" (derived at query time, never
  stored), the ACTIVE licences that have an end date by `expiry-month` and by `expiry-date`.
  Totals, not per agency: an example query then reads tens of observations (at 1,000,000
  licences: 169 agency × type pairs, 77 provinces, ~72 months, ~2,200 dates), not thousands;
- the datasets' own descriptions (qb:DataSet, qb:structure) in `{BASE}/graph/stats`: also the
  mark that the cube exists (a store made before it gets it computed by the first commit).

A licence's issuer and type are in its key and never change, so a commit touches only the
graphs of the pairs it uploads for, and the totals: it reads their counts inside the write lock,
takes away each changed licence's old state, adds its new one, and writes those graphs back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from registry import identifiers
from registry.namespaces import CLCSTATUS, XSD, sparql_prefixes
from registry.records import LicenceRecord
from registry.store import Repository

QB = "http://purl.org/linked-data/cube#"
_CLC = "https://w3id.org/clc/def#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MEASURE = _CLC + "statLicences"
# Each dimension's property: the same names are used in the datasets' key tuples.
DIMENSIONS = {
    "agency": _CLC + "statAgency", "type": _CLC + "statLicenceType",
    "province": _CLC + "statProvince", "status": _CLC + "statStatus",
    "year": _CLC + "statIssueYear", "month": _CLC + "statExpiryMonth",
    "date": _CLC + "statExpiryDate",
}
# dataset code → (its structure in vocab/clc.ttl, its dimensions in key order)
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "licences": (_CLC + "licenceStatisticsStructure",
                 ("agency", "type", "province", "status", "year")),
    "by-type": (_CLC + "licencesByTypeStructure", ("agency", "type")),
    "by-province": (_CLC + "licencesByProvinceStructure", ("province",)),
    "by-status": (_CLC + "licencesByStatusStructure", ("status",)),
    "by-year": (_CLC + "licencesByYearStructure", ("year",)),
    "expiry-month": (_CLC + "activeLicencesByExpiryMonthStructure", ("month",)),
    # The date's month too: the query of this month's dates looks them up by it (example 07).
    "expiry-date": (_CLC + "activeLicencesByExpiryDateStructure", ("month", "date")),
}
_TITLES = {
    "licences": ("ใบอนุญาตตามหน่วยงาน ประเภท จังหวัด สถานะ และปีที่ออก",
                 "Licences by agency, type, province, status and year of issue"),
    "by-type": ("ใบอนุญาตตามหน่วยงานและประเภท", "Licences by agency and type"),
    "by-province": ("ใบอนุญาตตามจังหวัด", "Licences by province"),
    "by-status": ("ใบอนุญาตตามสถานะที่บันทึก", "Licences by stored status"),
    "by-year": ("ใบอนุญาตตามปีที่ออก", "Licences by year of issue"),
    "expiry-month": ("ใบอนุญาตที่ใช้ได้ตามเดือนที่สิ้นอายุ",
                     "Active licences by month of expiry"),
    "expiry-date": ("ใบอนุญาตที่ใช้ได้ตามวันที่สิ้นอายุ", "Active licences by date of expiry"),
}
ACTIVE = str(ox.NamedNode(str(CLCSTATUS) + "active"))

Key = tuple[str, tuple[str, ...]]          # (dataset code, dimension values as N-Triples terms)
Counts = dict[str, Counter[Key]]           # graph IRI → its cells


def stats_iri(base: str) -> str:
    """The statistics' page; the datasets and observations are fragments of it."""
    return f"{base}/stats"


def dataset_iri(base: str, code: str) -> str:
    return f"{stats_iri(base)}#{code}"


def structure_graph_iri(base: str) -> str:
    return identifiers.graph_iri(base, "stats")


def totals_graph_iri(base: str) -> str:
    return identifiers.graph_iri(base, "stats/totals")


def pair_graph_iri(base: str, issuer: str, type_code: str) -> str:
    return identifiers.graph_iri(base, f"stats/by-pair/{issuer}/{type_code}")


def is_cube_graph(base: str, graph: str) -> bool:
    return graph.startswith(identifiers.graph_iri(base, "stats/"))


@dataclass(frozen=True)
class Facts:
    """What the cube counts of one current licence: codes, and values as N-Triples terms
    ("" for a province the record does not give)."""

    issuer: str
    type_code: str
    agency: str
    licence_type: str
    province: str
    status: str
    issued: dt.date
    valid_until: dt.date | None


def _integer(value: int) -> str:
    return str(ox.Literal(str(value), datatype=XSD.integer))


def facts_of_record(base: str, rec: LicenceRecord) -> Facts:
    key = rec.key
    return Facts(key.issuer, key.type, str(ox.NamedNode(identifiers.agency_iri(base, key.issuer))),
                 str(ox.NamedNode(identifiers.licence_type_iri(base, key.type))),
                 str(ox.Literal(rec.province, language="th")) if rec.province else "",
                 str(ox.NamedNode(str(CLCSTATUS) + rec.status)), rec.issued, rec.valid_until)


def contributions(base: str, facts: Facts) -> list[tuple[str, Key]]:
    """Every (graph, cell) the licence counts in: one per dataset it belongs to."""
    year = _integer(facts.issued.year)
    pair = pair_graph_iri(base, facts.issuer, facts.type_code)
    totals = totals_graph_iri(base)
    a = facts.agency
    cells = [(pair, ("licences", (a, facts.licence_type, facts.province, facts.status, year))),
             (totals, ("by-type", (a, facts.licence_type))),
             (totals, ("by-status", (facts.status,))),
             (totals, ("by-year", (year,)))]
    if facts.province:
        cells.append((totals, ("by-province", (facts.province,))))
    if facts.status == ACTIVE and facts.valid_until is not None:
        until = facts.valid_until
        month = str(ox.Literal(f"{until:%Y-%m}", datatype=XSD.gYearMonth))
        cells.append((totals, ("expiry-month", (month,))))
        cells.append((totals, ("expiry-date", (month, str(ox.Literal(until.isoformat(),
                                                                     datatype=XSD.date))))))
    return cells


def add_facts(counts: Counts, base: str, facts: Facts, sign: int = 1) -> None:
    for graph, key in contributions(base, facts):
        counts.setdefault(graph, Counter())[key] += sign


# --- Reading licences ---------------------------------------------------------------------

_PREFIXES = sparql_prefixes("schema", "dct", "adms", "locn", "clc")
# A few named graphs (a commit's amended licences): three plain patterns, each bound graph by
# graph, joined here. One query with OPTIONALs inside `GRAPH ?g` made Oxigraph evaluate the
# optional parts over every graph of the store (190 s for 10 licences at 1,000,000; the cost of
# every amending upload grew with the register); these take 2 ms for 15 graphs, 100 ms for 1,000.
_FACTS_OF_GRAPHS = (_PREFIXES + """
SELECT ?g ?agency ?type ?status ?issued WHERE {
  #VALUES_G#
  GRAPH ?g { ?l schema:issuedBy ?agency ; dct:conformsTo ?type ; adms:status ?status ;
                schema:validFrom ?issued }
}""", _PREFIXES + """
SELECT ?g ?until WHERE {
  #VALUES_G#
  GRAPH ?g { ?l schema:issuedBy ?agency ; schema:validUntil ?until }
}""", _PREFIXES + """
SELECT ?g ?province WHERE { #VALUES_G# GRAPH ?g { ?premises locn:adminUnitL1 ?province } }""")
# Every current licence: each fact by its own sub-select, joined by hash on the record's graph
# (example 04 says why), old versions dropped by their mark (docs/sparql-examples.md).
_FACTS_OF_ALL = _PREFIXES + """
SELECT ?g ?agency ?type ?status ?issued ?until ?province WHERE {
  { SELECT ?g ?agency WHERE { GRAPH ?g { ?l schema:issuedBy ?agency } } }
  { SELECT ?g ?type WHERE { GRAPH ?g { ?l dct:conformsTo ?type } } }
  { SELECT ?g ?status WHERE { GRAPH ?g { ?l adms:status ?status } } }
  { SELECT ?g ?issued WHERE { GRAPH ?g { ?l schema:validFrom ?issued } } }
  OPTIONAL { SELECT ?g ?until WHERE { GRAPH ?g { ?l schema:validUntil ?until } } }
  OPTIONAL { SELECT ?g ?province WHERE { GRAPH ?g { ?p locn:adminUnitL1 ?province } } }
  MINUS { GRAPH ?g { ?superseded clc:supersededByVersion ?next } }
}"""


def _date(term: ox.Literal | None) -> dt.date | None:
    return None if term is None else dt.date.fromisoformat(term.value[:10])


def facts_of_row(base: str, row: dict) -> Facts:
    """One row of a facts query (`?agency ?type ?status ?issued`, optional `?until` and
    `?province`) as the cube counts it."""
    agency, licence_type = row["agency"].value, row["type"].value
    province = row.get("province")
    return Facts(agency.removeprefix(identifiers.agency_iri(base, "")),
                 licence_type.removeprefix(identifiers.licence_type_iri(base, "")),
                 str(row["agency"]), str(row["type"]), "" if province is None else str(province),
                 str(row["status"]), dt.date.fromisoformat(row["issued"].value[:10]),
                 _date(row.get("until")))


def stored_facts(repo: Repository, base: str, graphs: list[str]) -> list[Facts]:
    """The facts of the current records in `graphs` as stored."""
    if not graphs:
        return []
    main, until_query, province_query = _FACTS_OF_GRAPHS

    def by_graph(query: str, name: str) -> dict[str, list]:
        found: dict[str, list] = {}
        for row in repo.select_graphs(query, graphs):
            found.setdefault(row["g"].value, []).append(row[name])
        return found

    untils, provinces = by_graph(until_query, "until"), by_graph(province_query, "province")
    # As OPTIONAL would: a row for every value found, or one without it.
    return [facts_of_row(base, {**row, "until": until, "province": province})
            for row in repo.select_graphs(main, graphs)
            for until in untils.get(row["g"].value, [None])
            for province in provinces.get(row["g"].value, [None])]


def counts_from_licences(repo: Repository, base: str,
                         progress: Callable[[int], object] | None = None) -> Counts:
    """The whole cube computed from the current records (what `stats rebuild` compares)."""
    counts: Counts = {}
    rows = repo.select(_FACTS_OF_ALL)
    for n, row in enumerate(rows, start=1):
        add_facts(counts, base, facts_of_row(base, row))
        if progress is not None and n % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(rows) % 1000)
    return counts


# --- Reading and writing the cube ---------------------------------------------------------

_CELLS = sparql_prefixes("clc") + """
SELECT ?g ?o ?p ?v WHERE { #VALUES_G# GRAPH ?g { ?o ?p ?v } }"""
_CUBE_GRAPHS = """
SELECT DISTINCT ?g WHERE { GRAPH ?g { ?o <http://purl.org/linked-data/cube#dataSet> ?ds } }"""
_DIMENSION_NAMES = {iri: name for name, iri in DIMENSIONS.items()}


def stored_cube_graphs(repo: Repository, base: str) -> list[str]:
    return sorted(row["g"].value for row in repo.select(_CUBE_GRAPHS)
                  if is_cube_graph(base, row["g"].value))


def read_counts(repo: Repository, base: str, graphs: Iterable[str]) -> Counts:
    """The cells stored in `graphs` (each graph present, empty when it holds none)."""
    wanted = sorted(set(graphs))
    counts: Counts = {graph: Counter() for graph in wanted}
    if not wanted:
        return counts
    observations: dict[tuple[str, str], dict[str, str]] = {}
    for row in repo.select_graphs(_CELLS, wanted):
        held = observations.setdefault((row["g"].value, row["o"].value), {})
        predicate = row["p"].value
        if predicate == QB + "dataSet":
            held["dataset"] = row["v"].value.rpartition("#")[2]
        elif predicate == MEASURE:
            held["count"] = row["v"].value
        elif predicate in _DIMENSION_NAMES:
            held[_DIMENSION_NAMES[predicate]] = str(row["v"])
    for (graph, _), held in observations.items():
        code = held.get("dataset", "")
        if code not in DATASETS or "count" not in held:
            continue
        key = (code, tuple(held.get(name, "") for name in DATASETS[code][1]))
        counts[graph][key] += int(held["count"])
    return counts


def observation_iri(base: str, graph: str, key: Key) -> str:
    digest = hashlib.sha256("\x1f".join((graph, key[0], *key[1])).encode()).hexdigest()[:20]
    return f"{stats_iri(base)}#o-{digest}"


def graph_lines(base: str, graph: str, cells: Counter[Key]) -> list[str]:
    """A cube graph's N-Quads lines: one observation per cell with a count above zero."""
    g = f"<{graph}> ."
    lines: list[str] = []
    for key in sorted(cells):
        count = cells[key]
        if count <= 0:
            continue
        code, values = key
        obs = f"<{observation_iri(base, graph, key)}>"
        lines.append(f"{obs} <{QB}dataSet> <{dataset_iri(base, code)}> {g}")
        for name, value in zip(DATASETS[code][1], values, strict=True):
            if value:
                lines.append(f"{obs} <{DIMENSIONS[name]}> {value} {g}")
        lines.append(f"{obs} <{MEASURE}> {_integer(count)} {g}")
    return lines


def structure_lines(base: str) -> list[str]:
    """The datasets' descriptions: each a qb:DataSet of its structure (vocab/clc.ttl)."""
    g = f"<{structure_graph_iri(base)}> ."
    lines: list[str] = []
    for code, (structure, _) in DATASETS.items():
        ds = f"<{dataset_iri(base, code)}>"
        th, en = _TITLES[code]
        lines += [f"{ds} <{_RDF_TYPE}> <{QB}DataSet> {g}",
                  f"{ds} <{QB}structure> <{structure}> {g}",
                  f"{ds} <http://purl.org/dc/terms/title> {ox.Literal(th, language='th')} {g}",
                  f"{ds} <http://purl.org/dc/terms/title> {ox.Literal(en, language='en')} {g}"]
    return lines


def cube_present(repo: Repository, base: str) -> bool:
    graph = structure_graph_iri(base)
    return bool(repo.objects(dataset_iri(base, "licences"), QB + "structure", graph))


class CubeBook:
    """The statistics work of one commit (pattern of statusstore.StatusBook): told each new
    and each changed record, it reads the old state of the changed ones and the counts of the
    graphs they touch (inside `repo.writing()`), and gives back the graphs to replace and
    their lines, for the commit's one change set."""

    def __init__(self, repo: Repository, base: str):
        self.repo = repo
        self.base = base
        self._new: list[Facts] = []
        self._changed_graphs: list[str] = []

    def created(self, rec: LicenceRecord) -> None:
        self._new.append(facts_of_record(self.base, rec))

    def updated(self, rec: LicenceRecord, graph: str) -> None:
        """`graph`: the licence's current record graph, still holding its old state."""
        self._new.append(facts_of_record(self.base, rec))
        self._changed_graphs.append(graph)

    def change(self) -> tuple[list[str], list[str]]:
        if not self._new:
            return [], []
        old = stored_facts(self.repo, self.base, self._changed_graphs)
        extra: list[str] = []
        if cube_present(self.repo, self.base):
            touched = {graph for facts in (*old, *self._new)
                       for graph, _ in contributions(self.base, facts)}
            counts = read_counts(self.repo, self.base, touched)
        else:          # a store from before the cube: count it all once, in this change set
            counts = counts_from_licences(self.repo, self.base)
            for graph in stored_cube_graphs(self.repo, self.base):
                counts.setdefault(graph, Counter())
            extra = [structure_graph_iri(self.base)]
        for facts in old:
            add_facts(counts, self.base, facts, -1)
        for facts in self._new:
            add_facts(counts, self.base, facts)
        graphs = sorted(counts)
        lines = [line for graph in graphs for line in graph_lines(self.base, graph, counts[graph])]
        if extra:
            lines.extend(structure_lines(self.base))
        return graphs + extra, lines
