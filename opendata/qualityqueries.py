"""What an agency's data-quality figures are read from (opendata/quality.py draws them); the
views never touch the store themselves.

- Licences by effective status, with a document URL and with a SHA-256: the licence side index
  (web/searchindex.py), counted with GROUP BY on one covering index: never a scan of the store.
- Reachable documents: the link checker's public graph of the issuer
  (`{BASE}/graph/link-checks/{issuer}`, registry/linkchecks.py), from the counts the checker
  states of the graph itself (`clc:documentsChecked`, `clc:documentsReachable`, `dct:modified`):
  a few statements per issuer, never its documents one by one (counting a million documents'
  results at each look takes seconds). A graph written before those counts reads as "not
  checked yet" until the next run.
- Uploads: the agency's newest uploads and the warnings their reports counted, by rule
  (registry/uploadreports.py; the reports are in the private store, and only counts by rule
  leave it).

What depends on the uploads is kept per app (a `web.state` part) until the store's upload state
changes (one cheap query tells); the link checks' counts are read at each look (a few statements
per issuer), so a run of the checker shows at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox

from registry import identifiers, uploadreports
from registry.licencesource import store_state
from registry.namespaces import sparql_prefixes
from registry.store import Repository
from web.state import current_state

LAST_UPLOADS = 5              # the uploads whose warnings a quality page counts

Value = TypeVar("Value")


@dataclass(frozen=True)
class LinkCounts:
    """An issuer's documents at its last link check."""

    checked: int
    reachable: int
    last_checked: str = ""       # xsd:dateTime text (UTC) of the newest check

    @property
    def unreachable(self) -> int:
        return self.checked - self.reachable


@dataclass(frozen=True)
class Uploads:
    """An agency's newest uploads (at most LAST_UPLOADS) and their warnings by rule."""

    latest: dict | None                  # the newest upload (uploadreports.list_uploads' row)
    read: int                            # how many uploads' reports were counted
    warnings: uploadreports.RuleCounts


@dataclass
class QualityCache:
    """Figures kept by one web app (a `web.state` part): key → (store state, value)."""

    kept: dict[tuple, tuple[object, object]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _by_state(key: tuple, repo: Repository, compute: Callable[[], Value]) -> Value:
    """`compute()`, kept until an upload changes the store."""
    state = store_state(repo)
    cache = current_state().part(QualityCache)
    found = cache.kept.get(key)
    if found is not None and found[0] == state:
        return found[1]  # type: ignore[return-value]
    value = compute()
    with cache.lock:
        if len(cache.kept) > 10_000:          # every agency's, many times over: start again
            cache.kept.clear()
        cache.kept[key] = (state, value)
    return value


# Link checks

_LINK_COUNTS = sparql_prefixes("clc", "dct") + """
SELECT ?g ?checked ?reachable ?last WHERE {
  GRAPH ?g { ?g clc:documentsChecked ?checked ; clc:documentsReachable ?reachable .
             OPTIONAL { ?g dct:modified ?last } }
}"""


def _number(term) -> int:
    try:
        return max(0, int(term.value))
    except ValueError:
        return 0


def _link_rows(repo: Repository, base: str, issuer: str | None) -> dict[str, LinkCounts]:
    prefix = identifiers.link_check_graph_iri(base, "")
    bindings = {"g": ox.NamedNode(prefix + issuer)} if issuer else None
    found = {}
    for row in repo.select(_LINK_COUNTS, bindings):
        if row["g"].value.startswith(prefix):
            checked = _number(row["checked"])
            found[row["g"].value[len(prefix):]] = LinkCounts(
                checked, min(checked, _number(row["reachable"])),
                row["last"].value if "last" in row else "")
    return found


def link_counts(repo: Repository, base: str, issuer: str) -> LinkCounts | None:
    """The issuer's documents at the last link check; None when they were never checked."""
    return _link_rows(repo, base, issuer).get(issuer)


def all_link_counts(repo: Repository, base: str) -> dict[str, LinkCounts]:
    """Every checked issuer's documents at its last link check, by issuer code."""
    return _link_rows(repo, base, None)


# Uploads


def agency_uploads(repo: Repository, base: str, agency: str) -> Uploads:
    """The agency's newest uploads, and the warnings of their reports by rule."""
    def read() -> Uploads:
        newest = uploadreports.list_uploads(repo, base, agency, limit=LAST_UPLOADS)
        reports = [report for upload in newest
                   if (report := uploadreports.stored_report(repo, base, upload["upload_id"]))]
        return Uploads(newest[0] if newest else None, len(newest),
                       uploadreports.rule_counts(reports))
    return _by_state(("uploads", agency), repo, read)


def latest_uploads(repo: Repository, base: str) -> dict[str, tuple[str, int]]:
    """Agency code → (when its newest upload ended, how many uploads it made)."""
    return _by_state(("latest",), repo, lambda: uploadreports.latest_uploads(repo, base))
