"""An agency's upload history, read from the store (each upload's `prov:Activity`).

Every committed upload writes one graph `{BASE}/graph/upload/{id}` holding its activity:
`prov:wasAssociatedWith` the agency, `prov:endedAtTime`, `dct:identifier` and the counts
`clc:created`, `clc:updated`, `clc:unchanged` (see `pipeline._upload_lines`). The upload page and
(later) the JSON API list them from here.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from publishing.pipeline import REPORT
from registry import identifiers
from registry.namespaces import sparql_prefixes

_QUERY = sparql_prefixes("prov", "dct", "clc") + """
SELECT ?agency ?upload ?id ?ended ?created ?updated ?unchanged WHERE {
  GRAPH ?g {
    ?upload a prov:Activity ; prov:wasAssociatedWith ?agency ; prov:endedAtTime ?ended ;
            dct:identifier ?id ; clc:created ?created ; clc:updated ?updated ;
            clc:unchanged ?unchanged .
  }
  FILTER(STRSTARTS(STR(?g), ?prefix))
}
ORDER BY DESC(?ended) DESC(?id)
"""


def list_uploads(repo, base: str, agency: str, limit: int | None = None) -> list[dict]:
    """The agency's committed uploads, newest first: `upload_id`, `iri`, `ended` (xsd:dateTime
    text, UTC), `created`, `updated`, `unchanged`. At most `limit` when given.

    Times have whole seconds; uploads ending in the same second come in upload-id order."""
    query = _QUERY.replace("?prefix", str(ox.Literal(identifiers.upload_graph_iri(base, ""))))
    if limit is not None:
        query += f"LIMIT {int(limit)}\n"
    rows = repo.select(query, {"agency": ox.NamedNode(identifiers.agency_iri(base, agency))})
    return [{"upload_id": row["id"].value, "iri": row["upload"].value,
             "ended": row["ended"].value, "created": int(row["created"].value),
             "updated": int(row["updated"].value), "unchanged": int(row["unchanged"].value)}
            for row in rows]


_PROV_AGENT = "http://www.w3.org/ns/prov#wasAssociatedWith"


def upload_report(repo, base: str, agency: str, upload_id: str) -> dict | None:
    """The report kept with one of the agency's uploads; None when it is not theirs or unknown.

    Whose upload it is comes from its activity in the main store; the report itself is in the
    private store (a report without an activity, left by a crash, is never shown)."""
    upload = identifiers.upload_iri(base, upload_id)
    owners = repo.objects(upload, _PROV_AGENT, identifiers.upload_graph_iri(base, upload_id))
    if ox.NamedNode(identifiers.agency_iri(base, agency)) not in owners:
        return None
    reports = repo.private.objects(upload, REPORT,
                                   identifiers.upload_report_graph_iri(base, upload_id))
    return json.loads(reports[0].value) if reports else None
