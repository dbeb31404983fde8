"""Status lists in the store (SPEC §11, issue 14 item 3): each licence's fixed position, the
counter that hands positions out, and the lists' `encodedList` text, all written in the SAME
change set as the records they describe.

Layout (public graphs of the main store; the lists are published anyway):

- `{BASE}/graph/status-lists`: `<that graph> clc:nextStatusCounter N` — the counter the next
  new licence takes (absent: 0, so the first commit starts it);
- `{BASE}/graph/status-lists/{purpose}/{n}`: `<{BASE}/status/{purpose}/{n}> clc:encodedList
  "u…"` and `dct:modified` (when the commit that last changed it ran: the status list
  credential's `validFrom`) — one graph per list, so a commit replaces only the lists whose
  bits it changed;
- in each licence graph, beside its version metadata (rdfmap.version_lines, outside the
  record digest): `<licence> clc:statusCounter C`; its position is `position_for(C)`. Old
  versions keep it (they are copies of the record they replace) and every new version gets it
  again from the book.

Why this is atomic: `Repository.apply` takes one ChangeSet, and a ChangeSet's `replace` may name
any public graph, records and lists alike. The embedded store journals the whole change set and
makes it count with one rename (registry/store/embedded.py `_write_journal`, "the commit
point"); `recover` replays a committed entry or drops an uncommitted one, so after a kill the
store holds all of the change set or none of it. The remote store sends it as ONE SPARQL Update
request (registry/store/remote.py `_apply` / `update_from_change_set`), which the server runs as
one transaction. Lists and records therefore never disagree.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.namespaces import CLCSTATUS, sparql_prefixes
from registry.records import LicenceRecord
from registry.statuslist import (
    LIST_SIZE,
    REVOCATION,
    ListPosition,
    StatusList,
    bits_for,
    list_url,
    position_for,
)
from registry.store import ChangeSet, Repository

_CLC = "https://w3id.org/clc/def#"
NEXT_COUNTER = _CLC + "nextStatusCounter"
ENCODED_LIST = _CLC + "encodedList"
MODIFIED = terms.MODIFIED.value
_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
STATUS_COUNTER = terms.STATUS_COUNTER.value
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_STATUS_PREFIX = str(CLCSTATUS)


def counter_graph_iri(base: str) -> str:
    return identifiers.graph_iri(base, "status-lists")


def list_graph_iri(base: str, purpose: str, number: int) -> str:
    return identifiers.graph_iri(base, f"status-lists/{purpose}/{number}")


def counter_line(base: str, key: identifiers.LicenceKey, counter: int) -> str:
    """The licence graph's N-Quads line recording the licence's status counter."""
    return (f"<{identifiers.licence_iri(base, key)}> <{STATUS_COUNTER}> "
            f"\"{counter}\"^^<{_INTEGER}> <{identifiers.licence_graph_iri(base, key)}> .")


def _integer(terms: list) -> int | None:
    return int(terms[0].value) if terms else None


def next_counter(repo: Repository, base: str) -> int:
    graph = counter_graph_iri(base)
    return _integer(repo.objects(graph, NEXT_COUNTER, graph)) or 0


def keep_counter_at_least(repo: Repository, base: str, at_least: int) -> bool:
    """Make the counter at least `at_least`; whether it moved. `restore` of an older backup
    brings back that backup's counter, and positions handed out since would be handed out
    again: a credential issued for a licence the restore lost would then show another
    licence's bits. Going on from where the replaced store had reached never reuses one."""
    with repo.writing():
        if next_counter(repo, base) >= at_least:
            return False
        graph = counter_graph_iri(base)
        line = f"<{graph}> <{NEXT_COUNTER}> \"{at_least}\"^^<{_INTEGER}> <{graph}> .\n"
        repo.apply(ChangeSet(replace=[graph], payload=line.encode()))
    return True


def status_position(repo: Repository, base: str, key: identifiers.LicenceKey
                    ) -> ListPosition | None:
    """Where the licence's bits live; None for a licence without one (not yet backfilled)."""
    counter = _integer(repo.objects(identifiers.licence_iri(base, key), STATUS_COUNTER,
                                    identifiers.licence_graph_iri(base, key)))
    return None if counter is None else position_for(counter)


def status_list(repo: Repository, base: str, purpose: str, number: int) -> StatusList | None:
    """List `number` of `purpose` as stored; all clear when some licence has a position in it
    but no bit was ever set there; None when no licence has a position in it."""
    url = list_url(base, purpose, number)        # checks the purpose
    found = repo.objects(url, ENCODED_LIST, list_graph_iri(base, purpose, number))
    if found:
        return StatusList.decode(found[0].value)
    if 0 <= number and number * LIST_SIZE < next_counter(repo, base):
        return StatusList()
    return None


def status_list_modified(repo: Repository, base: str, purpose: str, number: int) -> str | None:
    """When list `number` of `purpose` last changed (xsd:dateTime text, UTC); None for a list
    never written, or written before lists carried the time."""
    found = repo.objects(list_url(base, purpose, number), MODIFIED,
                         list_graph_iri(base, purpose, number))
    return found[0].value if found else None


class StatusBook:
    """The status work of one commit: read what it needs from `repo` (inside
    `repo.writing()`), hand out positions, set bits, and give back the graphs to replace and
    their lines, to go into the commit's one change set. `modified`: the commit's time
    (xsd:dateTime text, UTC), written into each list graph the commit changes."""

    def __init__(self, repo: Repository, base: str, modified: str):
        self.repo = repo
        self.base = base
        self.modified = modified
        self._next: int | None = None
        self._allocated = False
        self._lists: dict[tuple[str, int], StatusList] = {}
        self._touched: set[tuple[str, int]] = set()

    def _list(self, purpose: str, number: int) -> StatusList:
        held = self._lists.get((purpose, number))
        if held is None:
            stored = self.repo.objects(list_url(self.base, purpose, number), ENCODED_LIST,
                                       list_graph_iri(self.base, purpose, number))
            if stored:
                held = StatusList.decode(stored[0].value)
            else:
                held = StatusList()
                self._touched.add((purpose, number))       # a new list: written, all clear
            self._lists[(purpose, number)] = held
        return held

    def allocate(self) -> int:
        if self._next is None:
            self._next = next_counter(self.repo, self.base)
        counter = self._next
        self._next += 1
        self._allocated = True
        return counter

    def record(self, counter: int, status: str) -> None:
        """Set the bits of the licence at `counter` for its stored `status`. Revocation is
        final (Bitstring Status List): a bit already set stays set."""
        at = position_for(counter)
        ever_revoked = self._list(REVOCATION, at.number).get(at.index)
        for purpose, value in bits_for(status, ever_revoked=ever_revoked).items():
            bits = self._list(purpose, at.number)
            if bits.get(at.index) != value:
                bits.set(at.index, value)
                self._touched.add((purpose, at.number))

    def licence_lines(self, rec: LicenceRecord, counter: int | None) -> list[str]:
        """For a created or updated record (`counter`: the one it holds, None for a licence
        without one): take a position if needed, set its bits, and return the line its new
        version carries.

        A licence keeps its position for life, with one exception: a revoked (surrendered,
        replaced) licence uploaded again with a status that does not revoke (a correction).
        Revocation is final in a status list, so the credentials issued while it was revoked
        stay revoked; the record's new version takes a fresh position, whose bits are its own,
        so its credential says what the record says."""
        if counter is None or self._revoked_for_good(counter, rec.status):
            counter = self.allocate()
        self.record(counter, rec.status)
        return [counter_line(self.base, rec.key, counter)]

    def _revoked_for_good(self, counter: int, status: str) -> bool:
        at = position_for(counter)
        return (self._list(REVOCATION, at.number).get(at.index)
                and not bits_for(status)[REVOCATION])

    def change(self) -> tuple[list[str], list[str]]:
        """(graphs to replace, their N-Quads lines): the counter if positions were taken, and
        every list whose bits changed or that was made. Empty when nothing changed."""
        graphs: list[str] = []
        lines: list[str] = []
        if self._allocated:
            graph = counter_graph_iri(self.base)
            graphs.append(graph)
            lines.append(f"<{graph}> <{NEXT_COUNTER}> \"{self._next}\"^^<{_INTEGER}> <{graph}> .")
        for purpose, number in sorted(self._touched):
            graph = list_graph_iri(self.base, purpose, number)
            graphs.append(graph)
            literal = ox.Literal(self._lists[(purpose, number)].encode())
            url = list_url(self.base, purpose, number)
            lines.append(f"<{url}> <{ENCODED_LIST}> {literal} <{graph}> .")
            lines.append(f"<{url}> <{MODIFIED}> \"{self.modified}\"^^<{_DATETIME}> <{graph}> .")
        return graphs, lines


_MISSING_QUERY = sparql_prefixes("clc", "adms") + """
SELECT ?g ?licence ?status WHERE {
  GRAPH ?g {
    ?licence clc:version ?version ; adms:status ?status .
    FILTER NOT EXISTS { ?licence clc:statusCounter ?counter }
    FILTER NOT EXISTS { ?licence clc:supersededByVersion ?next }
  }
} ORDER BY ?g"""


def assign_missing_positions(repo: Repository, base: str, now: dt.datetime) -> int:
    """Give every current licence without a status position one, and set its bits: a one-off
    for stores made before status lists (`licence-registry init` runs it; a no-op after).
    One change set: each such licence graph rewritten with its counter line, with the counter
    and lists. Returns how many licences took a position."""
    with repo.writing():
        rows = repo.select(_MISSING_QUERY)
        if not rows:
            return 0
        book = StatusBook(repo, base, now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        fd, name = tempfile.mkstemp(suffix=".nq", dir=repo.scratch_dir())
        path = Path(name)
        try:
            replace: list[str] = []
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                for row in rows:
                    graph, licence = row["g"].value, row["licence"]
                    counter = book.allocate()
                    book.record(counter, row["status"].value.removeprefix(_STATUS_PREFIX))
                    replace.append(graph)
                    _write(out, repo.graph_triples(graph), graph)
                    out.write(f"{licence} <{STATUS_COUNTER}> \"{counter}\"^^<{_INTEGER}> "
                              f"<{graph}> .\n")
                graphs, lines = book.change()
                replace.extend(graphs)
                out.write("".join(line + "\n" for line in lines))
            repo.apply(ChangeSet(replace=replace, payload=path))
        finally:
            path.unlink(missing_ok=True)
    return len(rows)


def _write(out, triples: Iterable[ox.Triple], graph: str) -> None:
    node = ox.NamedNode(graph)
    for triple in triples:
        out.write(f"{ox.Quad(triple.subject, triple.predicate, triple.object, node)} .\n")
