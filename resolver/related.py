"""A licence's related licences as its page shows them (SPEC §13, issue 16): the licences it
requires (`dct:requires` in its record) and the current licences that require it, each with its
effective status today. Read-only queries, terms bound, never pasted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers
from registry.history import current_record_of
from registry.namespaces import sparql_prefixes
from registry.status import effective_status
from registry.store import Repository

REQUIRED_BY_LIMIT = 200         # dependants listed on one page; a building permit may have many

# The current records of the licences required (their graphs bound by VALUES).
_DETAILS = sparql_prefixes("adms", "schema", "skos") + """
SELECT ?g ?l ?printed ?status ?until WHERE { #VALUES_G#
  GRAPH ?g { ?l adms:status ?status ; adms:identifier ?number . ?number skos:notation ?printed }
  OPTIONAL { GRAPH ?g { ?l schema:validUntil ?until } }
}"""
# The current licences whose record requires ?this (bound as a term).
_REQUIRED_BY = sparql_prefixes("adms", "dct", "schema", "skos") + f"""
SELECT ?this ?l ?printed ?status ?until WHERE {{
  GRAPH ?g {{ ?l dct:requires ?this ; adms:status ?status ; adms:identifier ?number .
             ?number skos:notation ?printed }}
  {current_record_of("?l")}
  OPTIONAL {{ GRAPH ?g {{ ?l schema:validUntil ?until }} }}
}} LIMIT {REQUIRED_BY_LIMIT + 1}"""


@dataclass(frozen=True)
class RelatedLicence:
    iri: str
    key: identifiers.LicenceKey
    printed_number: str
    status: str                 # effective today; "" when the register does not have it

    @property
    def href(self) -> str:
        """The licence's page, as a URI path."""
        return identifiers.iri_to_uri(identifiers.doc_path("licence", self.key.path))


@dataclass(frozen=True)
class Related:
    requires: list[RelatedLicence] = field(default_factory=list)
    required_by: list[RelatedLicence] = field(default_factory=list)
    more_required_by: bool = False      # more than REQUIRED_BY_LIMIT licences require it

    @property
    def fingerprint(self) -> str:
        """What the page shows of them, for its ETag (their statuses change on their own)."""
        text = "|".join(f"{r.iri} {r.status}" for r in (*self.requires, *self.required_by))
        return hashlib.sha256(f"{text}|{self.more_required_by}".encode()).hexdigest()[:16]


def _key(base: str, iri: str) -> identifiers.LicenceKey | None:
    try:
        return identifiers.parse_licence_iri(base, iri)
    except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError):
        return None


def _status(row: dict, today: dt.date) -> str:
    until = row.get("until")
    try:
        valid_until = dt.date.fromisoformat(until.value) if until is not None else None
    except ValueError:
        valid_until = None
    return effective_status(row["status"].value.rsplit("/", 1)[-1], valid_until, today)


def related_of(repo: Repository, base: str, licence_iri: str, requires: list[str],
               today: dt.date) -> Related:
    """The licences `requires` names (with their current status) and the current licences that
    require `licence_iri`, each list in key order."""
    wanted = {iri: key for iri in dict.fromkeys(requires) if (key := _key(base, iri))}
    found: dict[str, RelatedLicence] = {}
    if wanted:
        graphs = [identifiers.licence_graph_iri(base, key) for key in wanted.values()]
        for row in repo.select_graphs(_DETAILS, graphs):
            iri = row["l"].value
            if iri in wanted:
                found[iri] = RelatedLicence(iri, wanted[iri], row["printed"].value,
                                            _status(row, today))
    required = [found.get(iri) or RelatedLicence(iri, key, key.number, "")
                for iri, key in wanted.items()]
    rows = repo.select(_REQUIRED_BY, {"this": ox.NamedNode(licence_iri)})
    dependants = {}
    for row in rows[:REQUIRED_BY_LIMIT]:
        iri = row["l"].value
        key = _key(base, iri)
        if key is not None:
            dependants[iri] = RelatedLicence(iri, key, row["printed"].value, _status(row, today))
    return Related(sorted(required, key=lambda r: r.key.path),
                   sorted(dependants.values(), key=lambda r: r.key.path),
                   len(rows) > REQUIRED_BY_LIMIT)
