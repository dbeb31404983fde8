"""Finding licences by number alone, by document checksum, and near misses for a 404."""

from __future__ import annotations

import difflib

import pyoxigraph as ox

from registry import identifiers
from registry.bulklookup import key_of
from registry.namespaces import sparql_prefixes
from registry.store import Repository

# The number bound, nothing joined: other things with a dct:identifier (a holder's ID) are told
# apart by their IRI (`key_of`). A join with `a schema:GovernmentPermit` made pyoxigraph read
# every licence's type: 250 ms a number at 100,000 licences.
_BY_NUMBER = sparql_prefixes("dct") + """
SELECT DISTINCT ?l ?n WHERE { GRAPH ?g { ?l dct:identifier ?n } }"""

_BY_CHECKSUM = sparql_prefixes("clc", "spdx") + """
SELECT DISTINCT ?l ?v WHERE { GRAPH ?g {
  ?c spdx:checksumValue ?v . ?d spdx:checksum ?c . ?l clc:document ?d } }"""

_SAME_SERIES = sparql_prefixes("dct", "schema") + """
SELECT DISTINCT ?n ?t ?a WHERE { GRAPH ?g {
  ?l dct:conformsTo ?t ; schema:issuedBy ?a ; dct:identifier ?n } }
LIMIT 20000"""


def licences_by_number(repo: Repository, base: str, canonical: str) -> list[dict]:
    """Every licence with this canonical number, whatever its issuer and type."""
    rows = repo.select(_BY_NUMBER, {"n": ox.Literal(canonical)})
    found = []
    for row in rows:
        key = key_of(base, row["l"].value)
        if key is not None:
            found.append({"iri": row["l"].value, "issuer": key.issuer, "type": key.type,
                          "number": key.number})
    return sorted(found, key=lambda f: (f["issuer"], f["type"]))


def licences_by_checksum(repo: Repository, base: str, sha256: str) -> list[identifiers.LicenceKey]:
    value = ox.Literal(sha256, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#hexBinary"))
    keys = {key_of(base, row["l"].value) for row in repo.select(_BY_CHECKSUM, {"v": value})}
    return sorted((k for k in keys if k is not None), key=lambda k: k.path)


def close_matches(repo: Repository, base: str, key: identifiers.LicenceKey,
                  limit: int = 5) -> list[dict]:
    """Licences a person may have meant: the same number elsewhere, or a near number in the
    same issuer and type (a typo)."""
    found = [f for f in licences_by_number(repo, base, key.number)]
    rows = repo.select(_SAME_SERIES, {
        "t": ox.NamedNode(identifiers.licence_type_iri(base, key.type)),
        "a": ox.NamedNode(identifiers.agency_iri(base, key.issuer))})
    numbers = [row["n"].value for row in rows]
    for number in difflib.get_close_matches(key.number, numbers, n=limit, cutoff=0.75):
        near = identifiers.LicenceKey(key.issuer, key.type, number)
        found.append({"iri": identifiers.licence_iri(base, near), "issuer": key.issuer,
                      "type": key.type, "number": number})
    unique = {f["iri"]: f for f in found}
    return list(unique.values())[:limit]


_DCT_FORMAT = "http://purl.org/dc/terms/format"


def document_type(repo: Repository, base: str, key: identifiers.LicenceKey) -> str | None:
    """What /id/ needs to answer: None when the register has no such licence, "" when it has
    no document, else the document's media type. Two index lookups, no query."""
    graph = identifiers.licence_graph_iri(base, key)
    if not repo.existing_graphs([graph]):
        return None
    document = identifiers.licence_part_iri(identifiers.licence_iri(base, key), "document")
    found = repo.objects(document, _DCT_FORMAT, graph)
    return found[0].value if found else ""
