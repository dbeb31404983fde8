"""Licence types and agencies: read from `data/catalogue/*.csv`, written to and read from RDF.

The CSV files are the editable source; the store's catalogue graph is what the running register
trusts. Both directions live here so the mapping is written once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import TypeVar

import pyoxigraph as ox

from registry import identifiers
from registry.namespaces import (
    ADMS,
    CLC,
    CLCBCG,
    CLCES,
    CLCLEVEL,
    CPSV,
    CV,
    DCT,
    ELI,
    FOAF,
    ORG,
    RDF,
    SKOS,
    XSD,
    lit,
    sparql_prefixes,
    th_en,
)


class CatalogueError(ValueError):
    """The catalogue source is inconsistent; the message names the file, row and field."""


@dataclass(frozen=True)
class Agency:
    code: str
    label_th: str
    label_en: str
    level: str                    # central | regional | local
    tier: int                     # readiness tier 1–3
    parent: str = ""
    official_id: str = ""
    homepage: str = ""
    scope: frozenset[str] = frozenset()   # issuers it may publish for, itself included
    email: str = ""               # the public contact point, when the agency has one
    phone: str = ""


@dataclass(frozen=True)
class LicenceType:
    code: str
    title_th: str
    title_en: str
    authorities: frozenset[str]
    number_pattern: str
    number_example: str = ""
    legal_basis_th: str = ""
    legal_basis_en: str = ""
    bcg_theme: str = ""
    phase: int = 1
    eservice_level: str = "L0"
    public_register: bool = False
    validity_years: int | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(self.number_pattern))


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, LicenceType]
    agencies: dict[str, Agency]

    def scope_of(self, agency: str) -> frozenset[str]:
        found = self.agencies.get(agency)
        return found.scope if found else frozenset()


LEVELS = ("central", "regional", "local")
BCG_THEMES = ("", "bio", "circular", "green")
ESERVICE_LEVELS = ("L0", "L1", "L2", "L3")


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(";") if c.strip()]


def _csv_text(resource: Traversable) -> io.TextIOWrapper:
    """A CSV file opened as the csv module wants it (newline=""), BOM or not."""
    return io.TextIOWrapper(resource.open("rb"), encoding="utf-8-sig", newline="")


_Row = TypeVar("_Row")


def _read_rows(source: Traversable, parse: Callable[[dict[str, str]], _Row]) -> list[_Row]:
    """Every row of a catalogue CSV file, parsed; a row that does not parse is refused by its
    spreadsheet row number (the header is row 1)."""
    parsed: list[_Row] = []
    with _csv_text(source) as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                parsed.append(parse(row))
            except (identifiers.InvalidCode, re.error, ValueError, KeyError) as exc:
                raise CatalogueError(f"{source.name} row {line}: {exc}") from None
    return parsed


# A contact as a page links it (mailto:, tel:): one address, or one number of digits with the
# usual separators and an optional leading +.
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{1,30}")


def _contact(row: dict[str, str], column: str, form: re.Pattern[str]) -> str:
    value = (row.get(column) or "").strip()
    if value and not form.fullmatch(value):
        raise CatalogueError(f"{column} {value!r} is not an e-mail address or phone number")
    return value


def _agency(row: dict[str, str]) -> Agency:
    code = identifiers.check_code(row["code"], "Agency")
    if row["level"] not in LEVELS:
        raise CatalogueError(f"level {row['level']!r} is not one of {LEVELS}")
    homepage = row.get("homepage") or ""
    if homepage and not homepage.startswith("https://"):
        raise CatalogueError(f"homepage {homepage!r} is not an https:// URL")
    return Agency(
        code=code, label_th=row["label_th"], label_en=row["label_en"],
        level=row["level"], tier=int(row["tier"]), parent=row["parent"] or "",
        official_id=row.get("official_id") or "", homepage=homepage,
        scope=frozenset([code, *_codes(row.get("scope") or "")]),
        email=_contact(row, "email", _EMAIL), phone=_contact(row, "phone", _PHONE))


def _licence_type(row: dict[str, str]) -> LicenceType:
    return LicenceType(
        code=identifiers.check_code(row["code"], "Licence type"),
        title_th=row["title_th"], title_en=row["title_en"],
        authorities=frozenset(_codes(row["authorities"])),
        number_pattern=row["number_pattern"], number_example=row["number_example"],
        legal_basis_th=row.get("legal_basis_th") or "",
        legal_basis_en=row.get("legal_basis_en") or "",
        bcg_theme=row.get("bcg_theme") or "", phase=int(row["phase"]),
        eservice_level=row["eservice_level"],
        public_register=row.get("public_register", "").strip().lower() == "true",
        validity_years=int(row["validity_years"]) if row.get("validity_years") else None)


def read_catalogue(folder: Traversable) -> Catalogue:
    """Read and cross-check `agencies.csv` and `licence-types.csv`."""
    agencies = {a.code: a for a in _read_rows(folder / "agencies.csv", _agency)}
    types = {t.code: t for t in _read_rows(folder / "licence-types.csv", _licence_type)}
    catalogue = Catalogue(types, agencies)
    _check(catalogue)
    return catalogue


def _check(catalogue: Catalogue) -> None:
    known = catalogue.agencies
    for agency in known.values():
        for code in [agency.parent, *agency.scope]:
            if code and code not in known:
                raise CatalogueError(f"agencies.csv: {agency.code} names unknown agency {code!r}")
    for t in catalogue.types.values():
        unknown = sorted(t.authorities - known.keys())
        if not t.authorities or unknown:
            raise CatalogueError(f"licence-types.csv: {t.code} has unknown or no authorities "
                                 f"{unknown}")
        if t.bcg_theme not in BCG_THEMES or t.eservice_level not in ESERVICE_LEVELS \
                or t.phase not in (1, 2, 3):
            raise CatalogueError(f"licence-types.csv: {t.code} has a bad BCG theme, e-service "
                                 "level or phase")
        if t.number_example and not t.pattern.fullmatch(t.number_example):
            raise CatalogueError(f"licence-types.csv: {t.code} example {t.number_example!r} "
                                 f"does not match its pattern {t.number_pattern}")


def catalogue_quads(catalogue: Catalogue, base: str, graph: ox.NamedNode | ox.DefaultGraph
                    ) -> list[ox.Quad]:
    """The catalogue as RDF (docs/data-model.md), in one graph (named, but for Turtle)."""
    out: list[ox.Quad] = []

    def add(s, p, o):
        out.append(ox.Quad(s, p, o, graph))

    for a in catalogue.agencies.values():
        s = ox.NamedNode(identifiers.agency_iri(base, a.code))
        add(s, RDF.type, CV.PublicOrganisation)
        add(s, DCT.identifier, lit(a.code))
        add(s, SKOS.notation, lit(a.code))
        for label in th_en(a.label_th, a.label_en):
            add(s, SKOS.prefLabel, label)
        add(s, CLC.governmentLevel, CLCLEVEL[a.level])
        add(s, CLC.readinessTier, ox.Literal(str(a.tier), datatype=XSD.integer))
        if a.parent:
            add(s, ORG.subOrganizationOf, ox.NamedNode(identifiers.agency_iri(base, a.parent)))
        if a.official_id:
            ident = ox.NamedNode(f"{s.value}#official-id")
            add(s, ADMS.identifier, ident)
            add(ident, SKOS.notation, lit(a.official_id))
        if a.homepage:
            add(s, FOAF.homepage, ox.NamedNode(a.homepage))
        if a.email or a.phone:
            contact = ox.NamedNode(f"{s.value}#contact")
            add(s, CV.contactPoint, contact)
            if a.email:
                add(contact, CV.email, lit(a.email))
            if a.phone:
                add(contact, CV.telephone, lit(a.phone))
        for code in sorted(a.scope - {a.code}):
            add(s, CLC.mayPublishFor, ox.NamedNode(identifiers.agency_iri(base, code)))
    for t in catalogue.types.values():
        s = ox.NamedNode(identifiers.licence_type_iri(base, t.code))
        add(s, RDF.type, CPSV.PublicService)
        add(s, RDF.type, CV.EvidenceType)
        add(s, DCT.identifier, lit(t.code))
        add(s, SKOS.notation, lit(t.code))
        for title in th_en(t.title_th, t.title_en):
            add(s, DCT.title, title)
            add(s, SKOS.prefLabel, title)
        for code in sorted(t.authorities):
            add(s, CV.hasCompetentAuthority, ox.NamedNode(identifiers.agency_iri(base, code)))
        if t.legal_basis_th or t.legal_basis_en:
            law = ox.NamedNode(f"{s.value}#law")
            add(s, CV.hasLegalResource, law)
            add(law, RDF.type, ELI.LegalResource)
            for title in th_en(t.legal_basis_th, t.legal_basis_en):
                add(law, DCT.title, title)
        add(s, CLC.numberPattern, lit(t.number_pattern))
        if t.number_example:
            add(s, SKOS.example, lit(t.number_example))
        if t.bcg_theme:
            add(s, CLC.bcgTheme, CLCBCG[t.bcg_theme])
        add(s, CLC.roadmapPhase, ox.Literal(str(t.phase), datatype=XSD.integer))
        add(s, CLC.eServiceLevel, CLCES[t.eservice_level])
        add(s, CLC.publicRegister, ox.Literal("true" if t.public_register else "false",
                                              datatype=XSD.boolean))
        if t.validity_years is not None:
            add(s, CLC.typicalValidityYears,
                ox.Literal(str(t.validity_years), datatype=XSD.integer))
    return out


TYPES_QUERY = sparql_prefixes("cv", "dct", "clc", "skos") + """
SELECT ?code ?title_th ?title_en ?pattern ?example ?phase ?level ?bcg ?public ?years
       (GROUP_CONCAT(?authority; separator=";") AS ?authorities)
WHERE { GRAPH ?g {
  ?t a cv:EvidenceType ; dct:identifier ?code ; clc:numberPattern ?pattern ;
     clc:roadmapPhase ?phase ; clc:eServiceLevel ?level ; clc:publicRegister ?public ;
     cv:hasCompetentAuthority ?a .
  ?t dct:title ?title_th . FILTER(LANG(?title_th) = "th")
  ?t dct:title ?title_en . FILTER(LANG(?title_en) = "en")
  OPTIONAL { ?t skos:example ?example }
  OPTIONAL { ?t clc:bcgTheme ?bcg }
  OPTIONAL { ?t clc:typicalValidityYears ?years }
  ?a dct:identifier ?authority .
} }
GROUP BY ?code ?title_th ?title_en ?pattern ?example ?phase ?level ?bcg ?public ?years
"""

AGENCIES_QUERY = sparql_prefixes("cv", "dct", "clc", "skos", "org", "adms", "foaf") + """
SELECT ?code ?label_th ?label_en ?level ?tier ?parent ?official ?homepage ?email ?phone
       (GROUP_CONCAT(?scope; separator=";") AS ?scopes)
WHERE { GRAPH ?g {
  ?a a cv:PublicOrganisation ; dct:identifier ?code ; clc:governmentLevel ?level ;
     clc:readinessTier ?tier .
  ?a skos:prefLabel ?label_th . FILTER(LANG(?label_th) = "th")
  ?a skos:prefLabel ?label_en . FILTER(LANG(?label_en) = "en")
  OPTIONAL { ?a org:subOrganizationOf/dct:identifier ?parent }
  OPTIONAL { ?a clc:mayPublishFor/dct:identifier ?scope }
  OPTIONAL { ?a adms:identifier/skos:notation ?official }
  OPTIONAL { ?a foaf:homepage ?homepage }
  OPTIONAL { ?a cv:contactPoint/cv:email ?email }
  OPTIONAL { ?a cv:contactPoint/cv:telephone ?phone }
} }
GROUP BY ?code ?label_th ?label_en ?level ?tier ?parent ?official ?homepage ?email ?phone
"""


def _local(term: ox.NamedNode) -> str:
    return term.value.rsplit("/", 1)[-1]


_CATALOGUE_GRAPHS = sparql_prefixes("cv") + """
SELECT DISTINCT ?g WHERE {
  { GRAPH ?g { ?a a cv:PublicOrganisation } } UNION { GRAPH ?g { ?t a cv:EvidenceType } }
}"""


def _in_each_catalogue_graph(repo, query: str) -> list[dict]:
    """`query`'s rows in each graph that holds agencies or licence types, the graph named in
    the query: with `GRAPH ?g` left open, Oxigraph evaluated the OPTIONALs over every graph of
    the store (3.9 s at 1,000,000 licences, at every start and every `load`)."""
    graphs = sorted(row["g"].value for row in repo.select(_CATALOGUE_GRAPHS))
    return [row for graph in graphs
            for row in repo.select(query.replace("GRAPH ?g {", f"GRAPH {ox.NamedNode(graph)} {{"))]


def catalogue_from_repository(repo) -> Catalogue:
    """The catalogue as the store holds it (what validation trusts at run time)."""
    agencies = {}
    for row in _in_each_catalogue_graph(repo, AGENCIES_QUERY):
        code = row["code"].value

        def text(name: str, row=row) -> str:
            return row[name].value if name in row else ""

        agencies[code] = Agency(code, row["label_th"].value, row["label_en"].value,
                                _local(row["level"]), int(row["tier"].value), text("parent"),
                                official_id=text("official"), homepage=text("homepage"),
                                scope=frozenset([code, *_codes(text("scopes"))]),
                                email=text("email"), phone=text("phone"))
    types = {}
    for row in _in_each_catalogue_graph(repo, TYPES_QUERY):
        code = row["code"].value
        types[code] = LicenceType(
            code, row["title_th"].value, row["title_en"].value,
            frozenset(_codes(row["authorities"].value)), row["pattern"].value,
            row["example"].value if "example" in row else "",
            bcg_theme=_local(row["bcg"]) if "bcg" in row else "",
            phase=int(row["phase"].value), eservice_level=_local(row["level"]),
            public_register=row["public"].value == "true",
            validity_years=int(row["years"].value) if "years" in row else None)
    return Catalogue(types, agencies)
