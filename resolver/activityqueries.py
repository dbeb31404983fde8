"""An upload's public record (SPEC §10): its `prov:Activity` and the licence versions it made.

What the store holds of an upload, and where (publishing/pipeline.py):
- the main store's graph `{BASE}/graph/upload/{id}`: the activity — `a prov:Activity`,
  `prov:wasAssociatedWith` the agency, `prov:endedAtTime`, `dct:identifier`, and the counts
  `clc:created`, `clc:updated`, `clc:unchanged`. Public.
- each licence version it made: `<licence> prov:wasGeneratedBy <upload>` (a new licence), or
  `<licence> prov:wasGeneratedBy <licence#change-N>` and `<licence#change-N> dct:isPartOf
  <upload>` (an amendment), in that version's graph. Public, like the licence.
- the private store's graph `{BASE}/graph/private/upload/{id}`: the report (problems, warnings,
  which may quote what the agency sent). Never read here.
Only the ACTIVITY_PREDICATES of the upload's own node are passed on, so whatever else a
graph may come to hold stays out of the page and the RDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.namespaces import CLC, DCT, PROV, RDF, sparql_prefixes
from registry.store import Repository

UPLOAD_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,99}")
ACTIVITY_PREDICATES = frozenset({RDF.type, PROV.wasAssociatedWith, PROV.endedAtTime,
                                 DCT.identifier, CLC.created, CLC.updated, CLC.unchanged})
COUNTS = ("created", "updated", "unchanged")


@dataclass
class Activity:
    upload_id: str
    iri: str
    agency: str = ""                     # the agency's code
    ended: str = ""                      # xsd:dateTime text (UTC)
    counts: dict[str, int] = field(default_factory=dict)
    triples: list[ox.Triple] = field(default_factory=list)    # public, as stored

    @property
    def changed(self) -> int:
        """How many licence versions the upload made (new and amended)."""
        return self.counts.get("created", 0) + self.counts.get("updated", 0)


@dataclass(frozen=True)
class ChangedLicence:
    iri: str
    key: identifiers.LicenceKey
    printed_number: str
    version: int                         # the version this upload made
    change: str = ""                     # the amendment's activity (`…#change-N`), if one

    @property
    def href(self) -> str:
        """The licence's page, as a URI path (what /id/ redirects to)."""
        return identifiers.iri_to_uri(identifiers.doc_path("licence", self.key.path))

    @property
    def created(self) -> bool:
        return not self.change


def load_activity(repo: Repository, base: str, upload_id: str) -> Activity | None:
    """The upload's public activity; None for an ID that names none (or is no upload ID)."""
    if UPLOAD_ID.fullmatch(upload_id) is None:
        return None
    iri = identifiers.upload_iri(base, upload_id)
    activity = Activity(upload_id, iri)
    subject = ox.NamedNode(iri)
    agency_prefix = identifiers.agency_iri(base, "")
    for t in repo.graph_triples(identifiers.upload_graph_iri(base, upload_id)):
        o = t.object
        if t.subject != subject or t.predicate not in ACTIVITY_PREDICATES \
                or isinstance(o, ox.Triple):
            continue
        # A remote store's CONSTRUCT gives quads (in its default graph): keep the triple.
        activity.triples.append(ox.Triple(t.subject, t.predicate, o))
        if t.predicate == PROV.wasAssociatedWith and o.value.startswith(agency_prefix):
            activity.agency = o.value[len(agency_prefix):]
        elif t.predicate == PROV.endedAtTime:
            activity.ended = o.value
        elif t.predicate.value.startswith(str(CLC)) and isinstance(o, ox.Literal):
            activity.counts[t.predicate.value[len(str(CLC)):]] = int(o.value)
    if ox.Triple(subject, RDF.type, PROV.Activity) not in activity.triples:
        return None
    activity.triples.sort(key=str)
    return activity


# Bound: ?upload (projected, as Repository.select requires). Each version's generator is in
# that version's own graph, so a licence amended again by a later upload still shows here with
# the version this upload made. In the store's own order: no ORDER BY, which would read every
# licence's IRI text (an upload of 20,000 licences: 9-12 s a page against 2-60 ms). The page is
# sorted once read; an upload of one page of licences shows them all sorted.
_CHANGED = sparql_prefixes("dct", "prov") + """
SELECT ?upload ?g ?l ?change WHERE {
  { GRAPH ?g { ?l prov:wasGeneratedBy ?upload } }
  UNION
  { GRAPH ?g { ?change dct:isPartOf ?upload . ?l prov:wasGeneratedBy ?change } }
}"""
# The version and printed number of each licence of a page, from its graph.
_DETAILS = sparql_prefixes("adms", "clc", "skos") + """
SELECT ?g ?l ?version ?printed WHERE { #VALUES_G#
  GRAPH ?g { ?l clc:version ?version ; adms:identifier ?number . ?number skos:notation ?printed }
}"""


def changed_licences(repo: Repository, base: str, upload_id: str, *, offset: int = 0,
                     limit: int = 100) -> list[ChangedLicence]:
    """One page of the licence versions the upload made, sorted by licence IRI."""
    query = _CHANGED + f"\nLIMIT {int(limit)} OFFSET {int(offset)}"
    rows = repo.select(query, {"upload": ox.NamedNode(identifiers.upload_iri(base, upload_id))})
    made = {row["g"].value: (row["l"].value, row.get("change")) for row in rows}
    found = []
    for row in repo.select_graphs(_DETAILS, sorted(made)):
        licence, change = made[row["g"].value]
        if row["l"].value != licence:
            continue
        try:
            key = identifiers.parse_licence_iri(base, licence)
        except (identifiers.InvalidCode, identifiers.InvalidNumber):
            continue
        found.append(ChangedLicence(licence, key, row["printed"].value,
                                    int(row["version"].value), change.value if change else ""))
    return sorted(found, key=lambda c: (c.iri, c.version))


def changed_triples(upload_iri: str, changed: list[ChangedLicence]) -> list[ox.Triple]:
    """The stored statements that tie each changed licence to the upload."""
    upload = ox.NamedNode(upload_iri)
    out = []
    for item in changed:
        licence = ox.NamedNode(item.iri)
        if item.created:
            out.append(ox.Triple(licence, terms.WAS_GENERATED_BY, upload))
        else:
            change = ox.NamedNode(item.change)
            out += [ox.Triple(change, terms.IS_PART_OF, upload),
                    ox.Triple(licence, terms.WAS_GENERATED_BY, change)]
    return out

