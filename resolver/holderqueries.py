"""A juristic person as the register holds it (SPEC §10): read-only queries, terms bound, never
pasted. Only CURRENT records count (registry.history): a licence whose holder changed, or an old
name, stays in its `…/version/N` graph.

The holder's node is written into each of its licences' graphs (registry/rdfmap.py:
`legal:LegalEntity`, `dct:identifier`, `legal:legalName` th/en), so "the holder as stored" is
the union of those statements over its current licences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers, thaiid
from registry import recordterms as terms
from registry.history import current_record_of
from registry.namespaces import sparql_prefixes
from registry.status import effective_status
from registry.store import Repository


@dataclass(frozen=True)
class HeldLicence:
    """One current licence of the holder, as its page lists it."""

    iri: str
    key: identifiers.LicenceKey
    printed_number: str
    status: str                      # as stored (local name)
    valid_until: dt.date | None

    @property
    def href(self) -> str:
        """The licence's page, as a URI path (what /id/ redirects to)."""
        return identifiers.iri_to_uri(identifiers.doc_path("licence", self.key.path))

    def effective_status(self, today: dt.date) -> str:
        return effective_status(self.status, self.valid_until, today)


@dataclass
class Holder:
    holder_id: str
    iri: str
    triples: list[ox.Triple] = field(default_factory=list)   # the holder node's, as stored
    names: dict[str, str] = field(default_factory=dict)      # language → legal name
    total: int = 0                                           # current licences
    licences: list[HeldLicence] = field(default_factory=list)   # one page of them


def juristic_id(raw: str) -> tuple[str, bool] | None:
    """The canonical 13 digits of a juristic person's ID written any way (Thai digits, dashes,
    spaces), and whether `raw` was already that; None for anything that is not a juristic
    person's ID — a natural person's (not starting with 0) or a wrong check digit alike."""
    canonical = thaiid.canonical_id(raw)
    if not (thaiid.is_thirteen_digits(canonical) and canonical.startswith("0")
            and thaiid.has_valid_check_digit(canonical)):
        return None
    return canonical, canonical == raw


_HOLDS = sparql_prefixes("dct") + f"""
SELECT ?l ?holder WHERE {{
  GRAPH ?g {{ ?l dct:subject ?holder }}
  {current_record_of("?l")}
}} LIMIT 1"""

_COUNT = sparql_prefixes("dct") + f"""
SELECT ?holder (COUNT(DISTINCT ?l) AS ?n) WHERE {{
  GRAPH ?g {{ ?l dct:subject ?holder }}
  {current_record_of("?l")}
}} GROUP BY ?holder"""

# A page of the holder's current licences' graphs, in the store's own order: no ORDER BY,
# which would read every licence's IRI text (a holder with 20,000 licences: 9 s against 50 ms).
# The page is sorted once read; a holder with one page of licences sees them all sorted.
_PAGE = sparql_prefixes("dct") + f"""
SELECT ?holder ?g ?l WHERE {{
  GRAPH ?g {{ ?l dct:subject ?holder }}
  {current_record_of("?l")}
}}"""

# Of a page's graphs: each licence's details, and the holder's own statements. The OPTIONAL
# stays outside the GRAPH, so it extends the page's rows rather than every licence's (2-3 s).
_DETAILS = sparql_prefixes("adms", "dct", "schema", "skos") + """
SELECT ?g ?l ?printed ?status ?until WHERE { #VALUES_G#
  GRAPH ?g { ?l dct:subject ?h ; adms:status ?status ; adms:identifier ?number .
             ?number skos:notation ?printed }
  OPTIONAL { GRAPH ?g { ?l schema:validUntil ?until } }
}"""
_OWN = sparql_prefixes("dct") + """
SELECT DISTINCT ?h ?p ?o WHERE { #VALUES_G# GRAPH ?g { ?l dct:subject ?h . ?h ?p ?o } }"""


def _holder_term(base: str, holder_id: str) -> dict[str, ox.NamedNode]:
    return {"holder": ox.NamedNode(identifiers.juristic_person_iri(base, holder_id))}


def holds_licences(repo: Repository, base: str, holder_id: str) -> bool:
    """Whether the juristic person holds at least one current licence (has a page)."""
    return bool(repo.select(_HOLDS, _holder_term(base, holder_id)))


def _page_graphs(repo: Repository, bound: dict[str, ox.NamedNode], offset: int, limit: int
                 ) -> dict[str, str]:
    rows = repo.select(_PAGE + f"\nLIMIT {int(limit)} OFFSET {int(offset)}", bound)
    return {row["g"].value: row["l"].value for row in rows}


def load_holder(repo: Repository, base: str, holder_id: str, *, offset: int = 0,
                limit: int = 100) -> Holder | None:
    """The holder: its own statements as its current licences' graphs hold them, how many
    current licences it holds, and one page of them (by expiry, then IRI). None when it holds
    none (so it has no page)."""
    bound = _holder_term(base, holder_id)
    counted = repo.select(_COUNT, bound)
    total = int(counted[0]["n"].value) if counted and "n" in counted[0] else 0
    if total == 0:
        return None
    holder = Holder(holder_id, bound["holder"].value, total=total)
    graphs = _page_graphs(repo, bound, offset, limit)
    holder.licences = _licences(repo, base, graphs)
    # A page past the last one still names the holder, from the first of its licences.
    named_by = graphs or _page_graphs(repo, bound, 0, 1)
    for row in repo.select_graphs(_OWN, sorted(named_by)):
        p, o = row["p"], row["o"]
        if row["h"] != bound["holder"] or not isinstance(p, ox.NamedNode) \
                or not isinstance(o, ox.NamedNode | ox.Literal):
            continue
        holder.triples.append(ox.Triple(bound["holder"], p, o))
        if p == terms.LEGAL_NAME and isinstance(o, ox.Literal):
            holder.names[o.language or "th"] = o.value
    holder.triples = sorted(set(holder.triples), key=str)
    return holder


def _licences(repo: Repository, base: str, graphs: dict[str, str]) -> list[HeldLicence]:
    found = []
    for row in repo.select_graphs(_DETAILS, sorted(graphs)):
        if graphs.get(row["g"].value) != row["l"].value:
            continue
        try:
            key = identifiers.parse_licence_iri(base, row["l"].value)
        except (identifiers.InvalidCode, identifiers.InvalidNumber):
            continue
        until = row.get("until")
        found.append(HeldLicence(row["l"].value, key, row["printed"].value,
                                 row["status"].value.rsplit("/", 1)[-1],
                                 dt.date.fromisoformat(until.value) if until else None))
    return sorted(found, key=lambda h: (h.valid_until is None, h.valid_until or dt.date.min,
                                        h.iri))
