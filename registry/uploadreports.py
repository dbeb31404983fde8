"""Agencies' uploads as the store holds them: each committed upload's public activity, and the
report kept with it in the private store. Read by the upload API and page (publishing/uploads.py)
and by an agency's data-quality page (opendata/quality.py), which must not import each other.

Every committed upload writes one graph `{BASE}/graph/upload/{id}` holding its activity:
`prov:wasAssociatedWith` the agency, `prov:endedAtTime`, `dct:identifier` and the counts
`clc:created`, `clc:updated`, `clc:unchanged` (publishing/pipeline.py `_upload_lines`). Its report
(the batch's warnings, which may quote what the agency sent: natural persons' IDs and names) is
the JSON literal of `clc:report` in the private graph `{BASE}/graph/private/upload/{id}`:
`{"problems": [{row, field, rule, severity, message}], "more_problems": n, "summary": [{rule,
field, severity, count, rows, message}]}` (`summary`, counted over every problem, in reports
written since issue 13). `rule_counts` passes on only how many problems each rule had: never a
row, a value or a message from a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers
from registry.namespaces import sparql_prefixes
from registry.store import Repository

REPORT = "https://w3id.org/clc/def#report"
_PROV_AGENT = "http://www.w3.org/ns/prov#wasAssociatedWith"
# A rule code as the standard writes them (shapes/licence.ttl): anything else in a stored report
# is not passed on, whatever it holds.
_RULE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

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

# Each agency's newest upload. Only upload activities carry clc:created (a licence's change
# activity names the agency too, one per amended licence): the pattern starts from them.
_LATEST = sparql_prefixes("prov", "clc") + """
SELECT ?agency (MAX(?ended) AS ?latest) (COUNT(?upload) AS ?uploads) WHERE {
  GRAPH ?g { ?upload clc:created ?created ; prov:wasAssociatedWith ?agency ;
                     prov:endedAtTime ?ended }
}
GROUP BY ?agency
"""


def list_uploads(repo: Repository, base: str, agency: str, limit: int | None = None
                 ) -> list[dict]:
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


def latest_uploads(repo: Repository, base: str) -> dict[str, tuple[str, int]]:
    """Agency code → (when its newest upload ended, xsd:dateTime text; how many it made)."""
    prefix = identifiers.agency_iri(base, "")
    return {row["agency"].value[len(prefix):]: (row["latest"].value, int(row["uploads"].value))
            for row in repo.select(_LATEST)
            if row["agency"].value.startswith(prefix) and "latest" in row}


def stored_report(repo: Repository, base: str, upload_id: str) -> dict | None:
    """The report kept with an upload in the private store (None when there is none). Whose
    upload it is, is the caller's to check: see `upload_report`."""
    upload = identifiers.upload_iri(base, upload_id)
    reports = repo.private.objects(upload, REPORT,
                                   identifiers.upload_report_graph_iri(base, upload_id))
    return json.loads(reports[0].value) if reports else None


def upload_report(repo: Repository, base: str, agency: str, upload_id: str) -> dict | None:
    """The report kept with one of the agency's uploads; None when it is not theirs or unknown.

    Whose upload it is comes from its activity in the main store; the report itself is in the
    private store (a report without an activity, left by a crash, is never shown)."""
    upload = identifiers.upload_iri(base, upload_id)
    owners = repo.objects(upload, _PROV_AGENT, identifiers.upload_graph_iri(base, upload_id))
    if ox.NamedNode(identifiers.agency_iri(base, agency)) not in owners:
        return None
    return stored_report(repo, base, upload_id)


@dataclass
class RuleCount:
    """How many problems of one rule some uploads' reports counted, and in how many uploads."""

    rule: str
    severity: str
    count: int = 0
    uploads: int = 0


@dataclass
class RuleCounts:
    rules: list[RuleCount] = field(default_factory=list)     # most frequent first
    uncounted: int = 0       # problems beyond a report's kept list that it did not summarise


def _counts_of(report: dict) -> tuple[dict[tuple[str, str], int], int]:
    """(rule, severity) → problems in one report: its `summary` (over every problem) when it
    has one, else its kept `problems` (and `more_problems` left uncounted)."""
    counted: dict[tuple[str, str], int] = {}
    summary = report.get("summary")
    items = summary if isinstance(summary, list) else report.get("problems") or []
    for item in items:
        if not isinstance(item, dict):
            continue
        rule, severity = str(item.get("rule", "")), str(item.get("severity", ""))
        count = item.get("count", 1) if isinstance(summary, list) else 1
        if _RULE.fullmatch(rule) and isinstance(count, int) and count > 0:
            key = (rule, severity if severity in ("Violation", "Warning") else "Warning")
            counted[key] = counted.get(key, 0) + count
    more = report.get("more_problems", 0)
    uncounted = more if not isinstance(summary, list) and isinstance(more, int) else 0
    return counted, max(0, uncounted)


def rule_counts(reports: Iterable[dict]) -> RuleCounts:
    """The problems of these reports by rule, most frequent first (then by rule code)."""
    by_rule: dict[tuple[str, str], RuleCount] = {}
    total = RuleCounts()
    for report in reports:
        counted, uncounted = _counts_of(report)
        total.uncounted += uncounted
        for (rule, severity), count in counted.items():
            found = by_rule.setdefault((rule, severity), RuleCount(rule, severity))
            found.count += count
            found.uploads += 1
    total.rules = sorted(by_rule.values(), key=lambda r: (-r.count, r.rule, r.severity))
    return total
