"""An agency's data quality as figures, and what it should fix next: plain values, no store, no
request (opendata/qualityqueries.py reads them, opendata/quality.py draws them).

Whose figures: the CURRENT licences whose issuer is the agency's code (a ministry's provincial
offices issue under codes of their own, and have figures of their own), and the uploads the
agency itself made.

What to fix next is a short list in a fixed order of harm, each kind only when it counts
something: documents that could not be reached at the last link check (a citizen following the
licence's link finds nothing today), licences with no document URL (nobody can get the
document), with no SHA-256 (the document cannot be verified), licences past their end date and
still recorded as active (a renewal or a change of status not uploaded), then the rules most
often warned about in the newest uploads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from opendata.qualityqueries import LinkCounts, Uploads
from registry import identifiers
from registry.history import current_record
from registry.licenceindex import QualityCount
from registry.namespaces import sparql_prefixes
from registry.problems import rule_texts
from registry.status import ACTIVE, EXPIRED

# The effective statuses (registry/status.py), in the order the agency's page offers them.
STATUSES = ("active", "expired", "suspended", "revoked", "surrendered", "replaced")
FIX_KINDS = ("unreachable", "no_document_url", "no_sha256", "past_end_date", "warning")
MAX_FIXES = 5
MAX_WARNING_FIXES = 2         # of those, the most frequent warning rules


@dataclass(frozen=True)
class Fix:
    """One thing to fix: its kind (FIX_KINDS), how many licences or warnings, a link."""

    kind: str
    count: int
    href: str = ""             # a page or a query that lists them; "" when none helps
    rule: str = ""             # the rule's code (kind "warning")


@dataclass(frozen=True)
class LicenceFigures:
    """An issuer's current licences: by effective status, with a document URL, a SHA-256."""

    by_status: dict[str, int] = field(default_factory=dict)
    with_document_url: int = 0
    with_sha256: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @classmethod
    def of(cls, counts: tuple[QualityCount, ...] | list[QualityCount]) -> LicenceFigures:
        by_status: dict[str, int] = {}
        url = sha = 0
        for count in counts:
            found = {count.status: count.licences}
            if count.status == ACTIVE:            # past its end date: expired (registry/status)
                found = {ACTIVE: count.licences - count.past_end_date,
                         EXPIRED: count.past_end_date}
            for status, n in found.items():
                by_status[status] = by_status.get(status, 0) + n
            url += count.with_document_url
            sha += count.with_sha256
        return cls(by_status, url, sha)


def by_issuer(counts: tuple[QualityCount, ...]) -> dict[str, LicenceFigures]:
    grouped: dict[str, list[QualityCount]] = {}
    for count in counts:
        grouped.setdefault(count.issuer, []).append(count)
    return {issuer: LicenceFigures.of(found) for issuer, found in grouped.items()}


def share(count: int, total: int) -> float:
    """count / total, 0 when there is nothing to share."""
    return min(1.0, count / total) if total else 0.0


@dataclass(frozen=True)
class AgencyQuality:
    code: str
    tier: int
    today: dt.date
    licences: LicenceFigures
    links: LinkCounts | None            # None: never checked
    uploads: Uploads

    @property
    def reachable(self) -> int | None:
        return None if self.links is None else min(self.links.reachable, self.licences.total)

    def to_fix(self, base: str, lang: str | None = None) -> list[Fix]:
        """What to fix next, in the order of harm (module docstring), at most MAX_FIXES."""
        total = self.licences.total
        suffix = f"&lang={lang}" if lang else ""
        found = []
        if self.links is not None and self.links.unreachable:
            found.append(Fix("unreachable", self.links.unreachable,
                             sparql_href(unreachable_query(base, self.code)) + suffix))
        for kind, having in (("no_document_url", self.licences.with_document_url),
                             ("no_sha256", self.licences.with_sha256)):
            if total - having > 0:
                found.append(Fix(kind, total - having,
                                 sparql_href(missing_query(base, self.code, kind)) + suffix))
        past = self.licences.by_status.get("expired", 0)
        if past:
            found.append(Fix("past_end_date", past,
                             f"/doc/agency/{self.code}?status=expired{suffix}#licences"))
        warnings = [r for r in self.uploads.warnings.rules if r.severity == "Warning"]
        found += [Fix("warning", r.count, rule=r.rule) for r in warnings[:MAX_WARNING_FIXES]]
        return found[:MAX_FIXES]


def rule_wording(rule: str, lang: str) -> str:
    """The standard's own words for a rule (shapes/licence.ttl); its code when it has none."""
    text = rule_texts().get(rule)
    if text is None:
        return rule
    return text.th if lang == "th" else text.en


# Queries a reader can run on /sparql to see the licences a fix is about.


def sparql_href(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def unreachable_query(base: str, code: str) -> str:
    graph = identifiers.link_check_graph_iri(base, code)
    return sparql_prefixes("clc") + f"""
SELECT ?document ?status ?lastChecked ?lastReachable WHERE {{
  GRAPH <{graph}> {{
    ?document clc:lastChecked ?lastChecked ; clc:linkStatus ?status .
    OPTIONAL {{ ?document clc:lastReachable ?lastReachable }}
  }}
  FILTER(!BOUND(?lastReachable) || ?lastReachable != ?lastChecked)
}}
ORDER BY ?document"""


def missing_query(base: str, code: str, kind: str) -> str:
    """The agency's current licences with no document URL (`no_document_url`) or no SHA-256."""
    path = "clc:document/schema:url" if kind == "no_document_url" else \
        "clc:document/spdx:checksum/spdx:checksumValue"
    agency = identifiers.agency_iri(base, code)
    return sparql_prefixes("clc", "schema", "spdx") + f"""SELECT ?licence WHERE {{
  GRAPH ?g {{
    ?licence schema:issuedBy <{agency}> ; clc:version ?version .
    FILTER NOT EXISTS {{ ?licence {path} ?value }}
  }}
  {current_record("?g")}
}}
LIMIT 1000"""
