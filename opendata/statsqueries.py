"""What `/stats` reads (opendata/stats.py): its filters, checked, and the statistics cube's
observations that match them (registry/statscube.py, docs/stats.md). Values are bound as terms,
never pasted into the query.

Filters on agency and type alone read the roll-up of licences per agency and type (a couple of
hundred observations at most); a filter on province, status or year reads the full cross-tab.
The filters' values go in as a VALUES block of pyoxigraph-serialised terms (as
`Repository.select_graphs` binds graphs), checked first against the catalogue: the query
planner sees them as constants and starts from the observations they select (an index
lookup), where bindings passed beside the query are seen only once it runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MultiDict

from registry import identifiers, statscube
from registry.dates import BUDDHIST_ERA_OFFSET, common_era_year
from registry.errors import BadRequest
from registry.model import Catalogue
from registry.namespaces import CLCSTATUS, XSD, sparql_prefixes
from registry.provinces import all_provinces
from registry.records import STATUSES
from registry.store import Repository
from registry.store.remote import values_clause

FILTERS = ("agency", "type", "province", "status", "year")
YEARS = (1900, 2200)
_PREFIXES = sparql_prefixes("clc") + "PREFIX qb: <http://purl.org/linked-data/cube#>\n"
_ROLLUP = _PREFIXES + """
SELECT ?o ?dataset ?agency ?type ?n WHERE {
  GRAPH ?sg { ?dataset qb:structure clc:licencesByTypeStructure }
  GRAPH ?cg { #VALUES# ?o qb:dataSet ?dataset ; clc:statAgency ?agency ;
                 clc:statLicenceType ?type ; clc:statLicences ?n }
}"""
_FULL = _PREFIXES + """
SELECT ?o ?dataset ?agency ?type ?province ?status ?year ?n WHERE {
  GRAPH ?sg { ?dataset qb:structure clc:licenceStatisticsStructure }
  GRAPH ?cg { #VALUES#
              ?o qb:dataSet ?dataset ; clc:statAgency ?agency ; clc:statLicenceType ?type ;
                 clc:statStatus ?status ; clc:statIssueYear ?year ; clc:statLicences ?n .
              #PROVINCE# }
}"""
_OPTIONAL_PROVINCE = "OPTIONAL { ?o clc:statProvince ?province }"
_REQUIRED_PROVINCE = "?o clc:statProvince ?province ."


@dataclass(frozen=True)
class StatsFilter:
    """The filters of one request; "" for a filter not given."""

    agency: str = ""
    type: str = ""
    province: str = ""
    status: str = ""
    year: str = ""             # Common Era, whichever era it was typed in

    @property
    def needs_cells(self) -> bool:
        """Whether the full cross-tab must be read (the roll-up has no such dimension)."""
        return bool(self.province or self.status or self.year)

    def params(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name)}


def _refuse(name: str, value: str, th: str, en: str) -> BadRequest:
    shown = repr(value[:40]) + ("…" if len(value) > 40 else "")
    return BadRequest(f"{name}={shown}: {en}", parameter=name,
                      message={"th": f"{name}={shown}: {th}", "en": f"{name}={shown}: {en}"})


def parse_filters(args: MultiDict, catalogue: Catalogue) -> StatsFilter:
    """The request's filters, each checked against what the register knows; BadRequest (in
    Thai and English, naming the parameter) for a value it does not."""
    given: dict[str, str] = {}
    for name in FILTERS:
        values = args.getlist(name)
        if len(values) > 1:
            raise _refuse(name, values[0], "ระบุได้ครั้งเดียว", "give it once")
        given[name] = values[0].strip() if values else ""
    if given["agency"] and given["agency"] not in catalogue.agencies:
        raise _refuse("agency", given["agency"], "ไม่มีหน่วยงานนี้ในแคตตาล็อก",
                      "no such agency in the catalogue")
    if given["type"] and given["type"] not in catalogue.types:
        raise _refuse("type", given["type"], "ไม่มีประเภทใบอนุญาตนี้ในแคตตาล็อก",
                      "no such licence type in the catalogue")
    if given["province"] and given["province"] not in {p.name_th for p in all_provinces()}:
        raise _refuse("province", given["province"], "ต้องเป็นชื่อจังหวัดตามที่ทะเบียนจัดเก็บ",
                      "must be a province's Thai name as the register stores it")
    if given["status"] and given["status"] not in STATUSES:
        raise _refuse("status", given["status"], "ต้องเป็นสถานะที่บันทึก: " + ", ".join(STATUSES),
                      "must be a stored status: " + ", ".join(STATUSES))
    if given["year"]:
        year = common_era_year(given["year"])
        if year is None or not YEARS[0] <= year <= YEARS[1]:
            be = (YEARS[0] + BUDDHIST_ERA_OFFSET, YEARS[1] + BUDDHIST_ERA_OFFSET)
            raise _refuse("year", given["year"],
                          f"ต้องเป็นปี พ.ศ. {be[0]}–{be[1]} หรือ ค.ศ. {YEARS[0]}–{YEARS[1]}",
                          f"must be a year from {YEARS[0]} to {YEARS[1]} (Common Era) or "
                          f"{be[0]} to {be[1]} (Buddhist Era)")
        given["year"] = str(year)      # kept, and put in links, in the Common Era
    return StatsFilter(**given)


def _bindings(base: str, chosen: StatsFilter) -> dict[str, ox.NamedNode | ox.Literal]:
    bound: dict[str, ox.NamedNode | ox.Literal] = {}
    if chosen.agency:
        bound["agency"] = ox.NamedNode(identifiers.agency_iri(base, chosen.agency))
    if chosen.type:
        bound["type"] = ox.NamedNode(identifiers.licence_type_iri(base, chosen.type))
    if chosen.province:
        bound["province"] = ox.Literal(chosen.province, language="th")
    if chosen.status:
        bound["status"] = ox.NamedNode(str(CLCSTATUS) + chosen.status)
    if chosen.year:
        bound["year"] = ox.Literal(chosen.year, datatype=XSD.integer)
    return bound


def observations(repo: Repository, base: str, chosen: StatsFilter) -> list[dict]:
    """The stored observations matching the filters (rows of terms, bindings included)."""
    bound = _bindings(base, chosen)
    if chosen.needs_cells:
        query = _FULL.replace("#PROVINCE#", _REQUIRED_PROVINCE if chosen.province
                              else _OPTIONAL_PROVINCE)
    else:
        query = _ROLLUP
    rows = repo.select(query.replace("#VALUES#", values_clause(bound)))
    return [{**bound, **row} for row in rows]


def totals(base: str, rows: list[dict]) -> list[tuple[str, str, int]]:
    """(issuer code, type code, licences) per agency and type, in code order."""
    summed: Counter[tuple[str, str]] = Counter()
    for row in rows:
        issuer = row["agency"].value.removeprefix(identifiers.agency_iri(base, ""))
        type_code = row["type"].value.removeprefix(identifiers.licence_type_iri(base, ""))
        summed[(issuer, type_code)] += int(row["n"].value)
    return [(issuer, type_code, n) for (issuer, type_code), n in sorted(summed.items())]


def triples(base: str, rows: list[dict]) -> list[ox.Triple]:
    """The observations as RDF, with the descriptions of the datasets they belong to."""
    qb = "http://purl.org/linked-data/cube#"
    out: list[ox.Triple] = []
    for line in statscube.structure_lines(base):
        quad = next(iter(ox.parse(line.encode(), format=ox.RdfFormat.N_QUADS)))
        out.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    for row in rows:
        obs = row["o"]
        out.append(ox.Triple(obs, ox.NamedNode(qb + "dataSet"), row["dataset"]))
        for name, prop in statscube.DIMENSIONS.items():
            value = row.get(name)
            if value is not None:
                out.append(ox.Triple(obs, ox.NamedNode(prop), value))
        out.append(ox.Triple(obs, ox.NamedNode(statscube.MEASURE), row["n"]))
    return out
