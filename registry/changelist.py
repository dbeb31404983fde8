"""The change feed's pages (SPEC §13, issue 16 item 2): the public Merkle log (registry/logstore.py)
read as "every licence change, in order", with the log index as the follower's cursor.

A page is a window of log entries; it yields one change for each licence-version entry in it
(upload and key entries are not changes of a licence: they are skipped, but the window, and so
the cursor, moves past them). Each change carries the version's effective status on the day
(in Thailand) the entry was recorded: registry/status.py `effective_status` for the version's
stored status and valid-until on that day, a fact that never changes, so a page of entries the
log already holds never changes either. "Expired" after that day is the follower's to derive
from `valid_until`, as the register derives it (docs/changes-feed.md).

Pure arithmetic (`window`) is separate from the store reads (`read_changes`): only the bundles
the window touches are read, and the versions' statuses in one query over their graphs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry import identifiers, logleaf, logstore
from registry.dates import THAILAND, parse_moment
from registry.namespaces import sparql_prefixes
from registry.status import effective_status
from registry.store import Repository

MAX_LIMIT = 1000        # log entries a page covers at most (and by default)


class CursorError(ValueError):
    """A cursor or page size the log cannot answer; `parameter` names the query parameter."""

    def __init__(self, parameter: str, rule: str, **values: int):
        super().__init__(rule)
        self.parameter = parameter
        self.rule = rule            # a key of web/messages.toml [changesfeed]
        self.values = values


@dataclass(frozen=True)
class Window:
    """The log entries [start, end) a page covers, and where the next page starts."""

    start: int
    end: int
    next_after: int         # the cursor the follower sends next (X-Next-After)
    full: bool              # covers `limit` entries, all in the log: never changes


def window(after: int | None, limit: int, size: int) -> Window:
    """The page after the cursor `after` (None: from the start) over a log of `size` entries.

    `after` = N covers entries N+1…; None and 0 both start at entry 0, so a replay from 0 never
    loses the first change (entry 0 delivered twice is harmless: applying a version is
    idempotent). A page covers at most `limit` entries. `next_after` is the last index covered,
    or the cursor itself when nothing follows it (0 on an empty log: a loop sending it back
    starts at entry 0)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise CursorError("limit", "limit_range", maximum=MAX_LIMIT)
    cursor = after or 0
    if cursor < 0:
        raise CursorError("after", "after_negative")
    if cursor > 0 and cursor > size - 1:
        raise CursorError("after", "after_beyond", after=cursor, last=size - 1)
    start = 0 if not cursor else cursor + 1
    end = min(start + limit, size)
    if end <= start:
        return Window(start, start, cursor, False)
    return Window(start, end, end - 1, end - start == limit)


@dataclass(frozen=True)
class Change:
    index: int
    licence: str
    version: int
    status: str             # effective status on the day recorded (Thailand)
    valid_until: str | None  # YYYY-MM-DD
    time: str
    upload: str
    sha256: str

    def record_url(self, base: str) -> str:
        """Where exactly this version's public graph is served as N-Triples: the licence's
        /doc/ page at `?version=N` (resolver/routes.py `describe`, the stored graph's triples,
        nothing added)."""
        tail = self.licence[len(identifiers.licence_iri_prefix(base)):]
        path = identifiers.iri_to_uri(identifiers.doc_path("licence", tail))
        return f"{base}{path}?version={self.version}&format=nt"


def recorded_day(time: str) -> dt.date | None:
    """The day in Thailand of a leaf's time (UTC, `…Z`); None if it cannot be read."""
    moment = parse_moment(time)
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(THAILAND).date()


def day_status(stored: str, valid_until: str | None, time: str) -> str:
    """The effective status of a version stored as `stored`, on the day it was recorded."""
    day = recorded_day(time)
    until = dt.date.fromisoformat(valid_until) if valid_until else None
    return stored if day is None else effective_status(stored, until, day)


@dataclass(frozen=True)
class VersionEntry:
    """A licence-version leaf's fields (every one present)."""

    index: int
    licence: str
    version: int
    time: str
    upload: str
    sha256: str


def version_leaves(leaves: list[bytes], start: int) -> list[VersionEntry]:
    """The licence-version entries among `leaves` (entries from index `start`), in log order.
    A leaf that does not parse is left out: `log verify` reports it; the feed goes on."""
    found = []
    for offset, data in enumerate(leaves):
        try:
            leaf = logleaf.parse_leaf(data)
        except logleaf.LeafError:
            continue
        if leaf.kind != logleaf.LICENCE_VERSION or leaf.index != start + offset:
            continue
        if leaf.licence and leaf.version and leaf.upload and leaf.sha256:
            found.append(VersionEntry(leaf.index, leaf.licence, leaf.version, leaf.time,
                                      leaf.upload, leaf.sha256))
    return found


_STATES = sparql_prefixes("clc", "adms", "schema") + """
SELECT ?g ?l ?v ?status ?until WHERE {
  #VALUES_G#
  GRAPH ?g { ?l clc:version ?v ; adms:status ?status OPTIONAL { ?l schema:validUntil ?until } }
}"""


def _stored_states(repo: Repository, base: str, leaves: list[VersionEntry]
                   ) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(licence, version) → (stored status code, valid-until day) read from the graphs that may
    hold each version: its kept graph `…/version/N` and the licence's current graph."""
    graphs: set[str] = set()
    for leaf in leaves:
        try:
            key = identifiers.parse_licence_iri(base, leaf.licence)
        except ValueError:      # InvalidCode, InvalidNumber: not a licence under this base
            continue
        graphs.add(identifiers.licence_graph_iri(base, key))
        graphs.add(identifiers.licence_version_graph_iri(base, key, leaf.version))
    states: dict[tuple[str, int], tuple[str, str | None]] = {}
    for row in repo.select_graphs(_STATES, sorted(graphs)):
        until = row.get("until")
        states[(row["l"].value, int(row["v"].value))] = (
            row["status"].value.rsplit("/", 1)[-1], until.value[:10] if until else None)
    return states


def read_changes(repo: Repository, base: str, page: Window) -> list[Change]:
    """The changes of the entries the page covers, read from the log's bundles and the
    versions' graphs. A version the store no longer holds is left out."""
    if page.end <= page.start:
        return []
    leaves = version_leaves(logstore.LogReader(repo, base).entries(page.start, page.end),
                            page.start)
    states = _stored_states(repo, base, leaves)
    changes = []
    for leaf in leaves:
        state = states.get((leaf.licence, leaf.version))
        if state is None:
            continue
        stored, until = state
        changes.append(Change(leaf.index, leaf.licence, leaf.version,
                              day_status(stored, until, leaf.time), until, leaf.time,
                              leaf.upload, leaf.sha256))
    return changes
