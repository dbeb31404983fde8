"""The licence side index: current licences in SQLite, for search, figures and paged lists.

The store is the truth; this index is a copy of what pages may show of each CURRENT licence
(registry/licencesource.py reads it), and can always be thrown away and rebuilt. It holds:

- `licences`: one row per current licence, with plain indexes on the canonical number, the
  juristic holder ID, issuer/type/status/validUntil (paged lists and figures), and whether its
  document has a URL and a SHA-256 (an agency's data quality);
- `names`: an FTS5 table with the trigram tokenizer over the holder's Thai and English names,
  so any part of a name of 3 characters or more is found without a scan (Thai has no spaces
  between words, so word tokenizers would not do);
- `uploads`: the upload activities whose licences it holds;
- `meta`: the base IRI and the store state (upload count, first and latest upload time) it was
  last brought up to.

Fresh: `refresh()` compares the store's state (one cheap query over the upload activities) with
the one recorded. When uploads were added it reads only the current records those new uploads
wrote (every commit is an upload activity; a record names the upload or change that made it)
and upserts them. Uploads, not modification times, say what is new: an upload that took long
to commit carries a time older than one committed before it. When the state went backwards
(a restore, another store) or the base IRI differs, it rebuilds. Several processes may share
one index file (WAL: readers never wait for the writer). A file of an earlier SCHEMA_VERSION
is emptied when opened and rebuilt at its first use.

Search (`search`): a text that canonicalises to a licence number, or is a 13-digit juristic ID,
is matched exactly on those. Otherwise names: every whitespace-separated term of 3 or more
characters must appear in a name (FTS5 phrase per term, bound as a parameter and quoted, so
`"`, `*`, `NEAR(` or `OR` are just characters); terms shorter than that filter the found rows
by substring. A query with no term of 3 characters (one or two letters: trigrams cannot answer)
matches names and numbers that START with it, through the plain indexes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from registry import licencesource as source
from registry import licencesql as sql
from registry.dates import thai_today
from registry.identifiers import THAI_DIGITS, InvalidNumber, canonical_number
from registry.status import ACTIVE, EXPIRED, effective_status
from registry.store import Repository

SCHEMA_VERSION = "4"
MAX_QUERY = 200               # characters of a query that are looked at (longer: cut)
Progress = Callable[[int, int], None]        # (licences done, licences in all)


@dataclass(frozen=True)
class IndexedLicence:
    iri: str
    issuer: str
    type: str
    number: str
    printed_number: str
    holder_id: str                # juristic persons only, else ""
    holder_name_th: str
    holder_name_en: str
    status: str                   # as stored (never "expired")
    valid_from: dt.date | None
    valid_until: dt.date | None

    def effective_status(self, today: dt.date) -> str:
        return effective_status(self.status, self.valid_until, today)


@dataclass(frozen=True)
class QualityCount:
    """An issuer's current licences of one stored status: how many, how many past their end
    date (an active one is then expired), with a document URL, with a SHA-256."""

    issuer: str
    status: str                   # as stored (never "expired")
    licences: int
    past_end_date: int
    with_document_url: int
    with_sha256: int


@dataclass(frozen=True)
class Figures:
    licences: int
    active: int                   # effective status active today
    agencies: int                 # issuers with at least one current licence
    types: int                    # licence types with at least one current licence
    holders: int                  # distinct juristic holders


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _licence(row: tuple) -> IndexedLicence:
    values = list(row)
    values[9], values[10] = _day(values[9]), _day(values[10])
    return IndexedLicence(*values)


def juristic_id(text: str) -> str | None:
    """The 13 digits of a juristic ID typed with Thai digits, spaces or dashes; else None."""
    digits = "".join(ch for ch in text.translate(THAI_DIGITS) if ch not in " -\u00a0")
    return digits if len(digits) == 13 and digits.isascii() and digits.isdigit() else None


def _phrase(term: str) -> str:
    """An FTS5 string: the term in double quotes, its own quotes doubled, so nothing in it is
    syntax (`*`, `NEAR(`, `OR`, `-`, `:` are characters of the phrase)."""
    return '"' + term.replace('"', '""') + '"'


def _prefix_bounds(text: str) -> tuple[str, str]:
    return text, text + "\U0010ffff"


def drop_index(path: Path) -> None:
    """Remove an index file (and its WAL files): the next use rebuilds it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


class LicenceIndex:
    """One index file over one repository. Thread-safe: each thread reads through its own
    connection; writes take a lock (and SQLite's, between processes)."""

    def __init__(self, path: Path, repository: Repository, base: str, *,
                 check_every: float = 5.0,
                 public_registers: Callable[[], Iterable[str]] | None = None):
        self.path = Path(path)
        self.repository = repository
        self.base = base
        self.check_every = check_every
        self._public_registers = public_registers
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._checked = float("-inf")
        self._figures: dict[tuple, Figures | int | tuple[QualityCount, ...]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._writing() as db:             # (_figures: by what, index state, …)
            if _outdated(db):
                for statement in sql.DROP_STATEMENTS:
                    db.execute(statement)
            for statement in (*sql.SCHEMA_STATEMENTS, *sql.INDEXES, *sql.TRIGGERS):
                db.execute(statement)

    # Connections

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                 check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _meta(self, key: str) -> str:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""

    @staticmethod
    def _set_meta(db: sqlite3.Connection, **values: str) -> None:
        db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items())

    # Keeping it fresh

    def is_built(self) -> bool:
        return (self._meta("schema") == SCHEMA_VERSION and self._meta("base") == self.base)

    def _registers(self) -> frozenset[str]:
        if self._public_registers is not None:
            return frozenset(self._public_registers())
        from registry.bootstrap import load_catalogue
        return frozenset(code for code, t in load_catalogue(self.repository).types.items()
                         if t.public_register)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Read every current licence from the store into a new index (in one transaction:
        readers see the old index until it commits). How many licences it holds."""
        # State and uploads first: what commits while the records are read is read again by
        # the next refresh (upserts are idempotent), never missed.
        state = source.index_state(self.repository, self.base)
        seen = source.uploads(self.repository)
        graphs = source.current_graphs(self.repository)
        registers = self._registers()
        step = (lambda n: progress(n, len(graphs))) if progress else None
        done = self._replace_all(source.records(self.repository, self.base, graphs, registers),
                                 state, seen, step)
        if progress:
            progress(done, len(graphs))
        self._checked = time.monotonic()
        return done

    def load_rows(self, rows: Iterable[source.SourceRow], state: str = "") -> int:
        """Replace the index with these rows, read from no store (benchmarks build 1,000,000
        licences this way; a later `refresh` rebuilds from the store)."""
        return self._replace_all(rows, state, [], None)

    def _replace_all(self, rows: Iterable[source.SourceRow], state: str, seen: list[str],
                     step: Callable[[int], object] | None) -> int:
        """Every row anew in one transaction: the FTS table is built at once at the end."""
        done = 0
        with self._writing() as db:
            _drop_triggers(db)
            db.execute("DELETE FROM licences")
            db.execute("DELETE FROM uploads")
            for row in rows:
                db.execute(sql.UPSERT, _values(row))
                done += 1
                if step and done % source.CHUNK == 0:
                    step(done)
            _rebuild_names(db)
            db.executemany("INSERT OR IGNORE INTO uploads(iri) VALUES (?)", ((u,) for u in seen))
            self._set_meta(db, schema=SCHEMA_VERSION, base=self.base, state=state)
            db.execute("ANALYZE")           # so the planner picks the right index at any size
        self._figures.clear()
        return done

    def refresh(self) -> int:
        """Bring the index up to the store: rebuild when it was never built (or for another
        base IRI, or the store went back to an earlier state), else upsert the current records
        that uploads new to it wrote. How many licences were (re)indexed. One thread at a time
        (another waits, then finds little or nothing left to do)."""
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> int:
        self._checked = time.monotonic()
        if not self.is_built():
            return self.rebuild()
        state = source.index_state(self.repository, self.base)
        known = self._meta("state")
        if state == known:
            return 0
        if not state_follows(known, state):
            return self.rebuild()
        new = self._new_uploads(state, known)
        graphs = source.written_by(self.repository, new)
        rows = list(source.records(self.repository, self.base, graphs, self._registers()))
        with self._writing() as db:
            for row in rows:
                db.execute(sql.UPSERT, _values(row))
            db.executemany("INSERT OR IGNORE INTO uploads(iri) VALUES (?)", ((u,) for u in new))
            self._set_meta(db, state=state)
        self._figures.clear()
        return len(rows)

    def _new_uploads(self, state: str, known: str) -> list[str]:
        """The store's uploads this index has not read. Those that ended up to a day before the
        newest known one are looked at first (an upload's time is when its commit began); when
        they do not account for every upload the state counts, all of them are."""
        db = self._connection()
        held = db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
        latest = (known.split("|") + ["", "", ""])[2]       # uploads|first|latest|log size
        since = ""
        with contextlib.suppress(ValueError):
            since = (dt.datetime.fromisoformat(latest.replace("Z", "+00:00"))
                     - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for window in ((since, "") if since else ("",)):
            listed = source.uploads(self.repository, window)
            new = [u for u in listed if db.execute(
                "SELECT 1 FROM uploads WHERE iri = ?", (u,)).fetchone() is None]
            if held + len(new) >= source.state_count(state):
                return new
        return new

    def refresh_if_due(self) -> None:
        """`refresh()` at most once every `check_every` seconds (changes by other processes).
        One thread refreshes; the others read the index as it is meanwhile, unless it was
        never built (then they wait for it)."""
        if time.monotonic() - self._checked < self.check_every:
            return
        if not self._refreshing.acquire(blocking=not self.is_built()):
            return
        try:
            if time.monotonic() - self._checked >= self.check_every:
                self._refresh()
        finally:
            self._refreshing.release()

    # Reading

    def _rows(self, sql: str, params: Iterable = ()) -> list[IndexedLicence]:
        return [_licence(r) for r in self._connection().execute(sql, tuple(params))]

    def fetch(self, statement: str, params: Iterable = ()) -> list[tuple]:
        """The rows of one of registry/licencesql.py's statements (values bound)."""
        return self._connection().execute(statement, tuple(params)).fetchall()

    def count(self) -> int:
        """Current licences (counted once per state of the index: 30 ms at a million)."""
        key = ("count", self._meta("state"))
        found = self._figures.get(key)
        if not isinstance(found, int):
            found = int(self._connection().execute("SELECT COUNT(*) FROM licences").fetchone()[0])
            self._figures = {k: v for k, v in self._figures.items() if k[1] == key[1]}
            self._figures[key] = found
        return found

    def iris(self, offset: int, limit: int) -> list[str]:
        """Licence IRIs in a stable order (by IRI), one page: for the sitemap."""
        rows = self._connection().execute(
            "SELECT iri FROM licences ORDER BY iri LIMIT ? OFFSET ?", (limit, max(offset, 0)))
        return [r[0] for r in rows]

    def figures(self, today: dt.date) -> Figures:
        """Headline figures (cached until the index changes or the day does)."""
        key = ("figures", self._meta("state"), today)
        found = self._figures.get(key)
        if not isinstance(found, Figures):
            db = self._connection()
            active = db.execute(
                "SELECT COUNT(*) FROM licences WHERE status = ? "
                "AND (valid_until = '' OR valid_until >= ?)", (ACTIVE, today.isoformat())
            ).fetchone()[0]
            agencies, types = (db.execute(sql.DISTINCT[c]).fetchone()[0]
                               for c in ("issuer", "type"))
            holders = db.execute("SELECT COUNT(DISTINCT holder_id) FROM licences "
                                 "WHERE holder_id != ''").fetchone()[0]
            found = Figures(self.count(), active, agencies, types, holders)
            self._figures[key] = found
        return found

    def quality_counts(self, today: dt.date, issuer: str | None = None
                       ) -> tuple[QualityCount, ...]:
        """Current licences by issuer (one, or all) and stored status, with those past their
        end date today and their document figures: read from one covering index (cached until
        the index or the day changes)."""
        key = ("quality", self._meta("state"), today, issuer)
        found = self._figures.get(key)
        if not isinstance(found, tuple):
            statement, params = ((sql.QUALITY_OF_ISSUER, (today.isoformat(), issuer)) if issuer
                                 else (sql.QUALITY_OF_ALL, (today.isoformat(),)))
            found = tuple(QualityCount(*row) for row in
                          self._connection().execute(statement, params))
            self._figures[key] = found
        return found

    def licences(self, issuer: str | None = None, type: str | None = None,
                 status: str | None = None, today: dt.date | None = None,
                 offset: int = 0, limit: int = 50) -> tuple[int, list[IndexedLicence]]:
        """Current licences of an issuer and/or type with an EFFECTIVE status (`expired`
        included), by number: (how many in all, one page)."""
        where, params = [], []
        if issuer:
            where.append("issuer = ?")
            params.append(issuer)
        if type:
            where.append("type = ?")
            params.append(type)
        if status:
            day = (today or thai_today()).isoformat()
            if status == EXPIRED:
                where.append("status = ? AND valid_until != '' AND valid_until < ?")
                params += [ACTIVE, day]
            elif status == ACTIVE:
                where.append("status = ? AND (valid_until = '' OR valid_until >= ?)")
                params += [ACTIVE, day]
            else:
                where.append("status = ?")
                params.append(status)
        clause = (" WHERE " + " AND ".join(where)) if where else ""   # fixed pieces only
        db = self._connection()
        counting = "SELECT COUNT(*) FROM licences" + clause     # noqa: S608 — fixed pieces
        total = db.execute(counting, params).fetchone()[0]
        page = self._rows(sql.SELECT + clause + " ORDER BY number, iri LIMIT ? OFFSET ?",
                          [*params, max(limit, 0), max(offset, 0)])
        return total, page

    def search(self, text: str, limit: int = 20) -> list[IndexedLicence]:
        """Licences whose number or juristic holder ID is `text`, or else whose holder's name
        holds it (see the module's docstring). At most `limit`, exact matches first."""
        query = unicodedata.normalize("NFC", " ".join(text[:MAX_QUERY].split()))
        if not query or limit <= 0:
            return []
        found = self._exact(query, limit)
        if found:
            return found
        if len(query) < 3:
            return self._prefixed(query, limit)
        rows = self._rows(sql.BY_NAME, (_phrase(query), limit))       # the text as it was typed
        terms = query.split(" ")
        long_terms = [t for t in terms if len(t) >= 3]
        if not rows and len(terms) > 1 and long_terms:              # its words in any order
            short_terms = [t.casefold() for t in terms if len(t) < 3]
            match = " AND ".join(_phrase(t) for t in long_terms)
            rows = [r for r in self._rows(sql.BY_NAME, (match, limit * 4 if short_terms else limit))
                    if all(t in r.holder_name_th.casefold() or t in r.holder_name_en.casefold()
                           for t in short_terms)]
        folded = query.casefold()
        rows.sort(key=lambda r: (not (r.holder_name_th.casefold().startswith(folded)
                                      or r.holder_name_en.casefold().startswith(folded)),
                                 r.holder_name_th, r.number))
        return rows[:limit]

    def _exact(self, query: str, limit: int) -> list[IndexedLicence]:
        found: list[IndexedLicence] = []
        with contextlib.suppress(InvalidNumber):
            found = self._rows(sql.BY_NUMBER, (canonical_number(query), limit))
        holder = juristic_id(query)
        if holder and len(found) < limit:
            found += self._rows(sql.BY_HOLDER, (holder, limit - len(found)))
        return found

    def _prefixed(self, query: str, limit: int) -> list[IndexedLicence]:
        """One or two characters: names (either language) and numbers starting with them."""
        found: dict[str, IndexedLicence] = {}
        number = query.translate(THAI_DIGITS).upper()
        for column, value in (("holder_name_th", query), ("holder_name_en", query),
                              ("number", number)):
            low, high = _prefix_bounds(value)
            for row in self._rows(sql.STARTING[column], (low, high, limit)):
                found.setdefault(row.iri, row)
        return list(found.values())[:limit]


def _drop_triggers(db: sqlite3.Connection) -> None:
    for name in ("names_insert", "names_delete", "names_update"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")


def _rebuild_names(db: sqlite3.Connection) -> None:
    """The FTS table from the licences table at once, then the triggers back."""
    db.execute("INSERT INTO names(names) VALUES ('rebuild')")
    for statement in sql.TRIGGERS:
        db.execute(statement)


def _values(row: source.SourceRow) -> tuple:
    return (row.iri, row.issuer, row.type, row.number, row.printed_number, row.holder_id,
            row.holder_name_th, row.holder_name_en, row.status, row.valid_from, row.valid_until,
            row.modified, int(row.has_document_url), int(row.has_sha256), row.version,
            row.log_index, row.document_sha256)


def _outdated(db: sqlite3.Connection) -> bool:
    """Whether the file holds an index of an earlier schema (another SCHEMA_VERSION recorded,
    or a licences table without the newest columns)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(licences)")}
    if columns and not set(sql.NEW_COLUMNS) <= columns:
        return True
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError:          # no meta table: a new file
        return False
    return row is not None and row[0] != SCHEMA_VERSION


def state_follows(known: str, now: str) -> bool:
    """Whether the store's state `now` can follow `known` by uploads alone (the same first
    upload, more uploads, none older than the newest known): else the store was restored or is
    another store, and the index is rebuilt."""
    try:
        known_count, known_first, known_latest, known_log = known.split("|")
        count, first, latest, log = now.split("|")
        more = int(count or 0) - int(known_count or 0)
        # Every commit is an upload and appends to the log: a log that grew without one was
        # built afterwards (`log init`), and wrote into records no upload names.
        return (first == known_first and more >= 0 and latest >= known_latest
                and int(log) >= int(known_log) and (more > 0 or log == known_log))
    except ValueError:
        return False
