"""Running public SPARQL queries with a time limit that really stops them.

Embedded store — `ProcessExecutor`: a few query processes (opendata/sparqlworker.py) per web
process, each reading the newest read-only checkpoint. A query that passes the time limit is
stopped by killing its process (SIGKILL: pyoxigraph cannot be interrupted otherwise) and a
fresh process takes its place. Remote store — `RemoteExecutor`: the query goes to the store's
query endpoint; at the limit the request is abandoned (the connection closed) and the store's
own timeout (`oxigraph serve --timeout-s`) ends the evaluation there; Virtuoso is sent the limit
with the query (its `timeout`) and its partial ("Anytime") answer is refused as a time-limit one.

Both cap the results and bound how many queries run at once per web process, so a flood of
queries queues (up to the time limit) and then gets 503, and never starves the resolver.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import requests
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util import Timeout

from opendata import netlock, sparqlworker
from opendata.sparqlguard import QueryForm, readings
from opendata.sparqlresults import JSON, NTRIPLES, WrongFormat, write_results
from registry.namespaces import sparql_prefixes
from registry.sparqltext import with_base
from registry.store import QueryAccess, StoreError, virtuoso


@dataclass
class Outcome:
    body: bytes
    media_type: str
    truncated: bool
    count: int
    elapsed_ms: float


class QueryFailed(Exception):
    """The query could not be answered; `kind` says why (see opendata/sparql.py)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        # "bad-query" | "time-limit" | "memory" | "busy" | "store-error" | "service"
        self.kind = kind

    @classmethod
    def over_time(cls, time_limit: float, ending: str) -> QueryFailed:
        return cls("time-limit", f"The query ran longer than the time limit ({time_limit:g} s) "
                   f"and {ending}.")


# How long a fresh query process may take to say it is ready (an interpreter, pyoxigraph and
# the checkpoint, at nice 19 on a busy machine) before it is taken for failed.
START_LIMIT = 120.0


class _Worker:
    def __init__(self, context, memory_limit: int, replica: str | None):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=sparqlworker.serve,
                                       args=(child, memory_limit, replica),
                                       daemon=True, name="sparql-query")
        self.process.start()
        child.close()
        # At once, not only when the child gets to it: starting Python and importing pyoxigraph
        # takes CPU too, and a fresh process replaces each killed one.
        sparqlworker.lower_priority(self.process.pid)

    def wait_ready(self, timeout: float) -> bool:
        """Whether the process said it is ready in time; if not, it is stopped."""
        try:
            if self.conn.poll(timeout) and self.conn.recv() == ("ready",):
                return True
        except (EOFError, OSError):
            pass
        self.kill()
        return False

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class ProcessExecutor:
    def __init__(self, replica: Callable[[], Path | str | None], *, workers: int, time_limit: float,
                 memory_limit_mb: int, base_iri: str | None = None):
        self.replica = replica
        self.time_limit = time_limit
        self.memory_limit = memory_limit_mb * 1024 * 1024
        self.base_iri = base_iri
        # No query process without its network lock (opendata/netlock.py): said on every query.
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        # One started, idle spare: the query after a kill takes it at once instead of waiting
        # for a fresh interpreter to start (seconds on a busy machine, at nice 19).
        self.spare: queue.Queue[_Worker] = queue.Queue(maxsize=1)
        try:
            netlock.check_available()
            self.unavailable = None
        except netlock.NetworkLockUnavailable as exc:
            self.unavailable = str(exc)
            return
        # Spawned, not forked: RocksDB's threads do not survive fork (ops/server.py).
        self.context = multiprocessing.get_context("spawn")
        # Processes still starting, and whether close() was called (a process that gets ready
        # after it is stopped at once).
        self.starting = 0
        self.closed = False
        self.changes = threading.Condition()
        # Last in, first out (self.idle): the process used last has the warmest caches.
        for _ in range(workers):
            self._start(self.idle.put)
        self._start(self.spare.put)

    def _start(self, settle: Callable[[_Worker], None]) -> None:
        """A fresh process, handed to `settle` once it says it is ready; never before, so no
        query is sent to a process still starting."""
        # The checkpoint is found here, not in the thread: the repository may be closed by then.
        replica = self._newest_replica()
        with self.changes:
            self.starting += 1
        threading.Thread(target=self._settle, args=(settle, replica), daemon=True).start()

    def _settle(self, settle: Callable[[_Worker], None], replica: str | None) -> None:
        try:
            for _ in range(3):          # a process that fails to start is tried again, twice
                with self.changes:
                    if self.closed:
                        return
                worker = _Worker(self.context, self.memory_limit, replica)
                if worker.wait_ready(START_LIMIT):
                    with self.changes:
                        if self.closed:
                            worker.kill()
                        else:
                            settle(worker)
                    return
        finally:
            with self.changes:
                self.starting -= 1
                self.changes.notify_all()

    def _newest_replica(self) -> str | None:
        """The checkpoint a fresh process opens before it says it is ready (None: the first
        query opens it)."""
        try:
            found = self.replica()
        except (OSError, StoreError):
            return None
        return None if found is None else str(found)

    def wait_until_ready(self, timeout: float) -> bool:
        """Whether every process being started is ready (or has failed) within `timeout`."""
        with self.changes:
            return self.changes.wait_for(lambda: self.starting == 0, timeout)

    def _replace_later(self) -> None:
        """The spare takes the killed process's place now, and a fresh process becomes the
        spare once ready; with no spare left (kills in quick succession) the fresh process
        goes to work itself, and the replacement already under way becomes the spare."""
        try:
            self.idle.put(self.spare.get_nowait())
            self._start(self.spare.put)
        except queue.Empty:
            self._start(self.idle.put)

    def run(self, query: str, form: QueryForm, media_type: str, limit: int) -> Outcome:
        if self.unavailable:
            raise QueryFailed("store-error", self.unavailable)
        started = time.monotonic()
        try:
            worker = self.idle.get(timeout=self.time_limit)
        except queue.Empty:
            raise QueryFailed("busy", "Every query process is busy; try again shortly.") from None
        task = {"query": query, "media_type": media_type, "limit": limit,
                "replica": str(self.replica()), "base_iri": self.base_iri}
        try:
            worker.conn.send(task)
            # The limit is the evaluation's; the wait for a free process is bounded above.
            if not worker.conn.poll(self.time_limit):
                worker.kill()
                self._replace_later()
                raise QueryFailed.over_time(self.time_limit, "was stopped")
            answer = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            worker.kill()
            self._replace_later()
            raise QueryFailed("memory", "The query needed more memory than a query may use and "
                              "was stopped.") from None
        if answer[0] == "store-error":      # a fresh process for the next query, to be sure
            worker.kill()
            self._replace_later()
        else:
            self.idle.put(worker)
        if answer[0] != "ok":
            raise QueryFailed(answer[0], answer[1])
        body, truncated, count = answer[1:]
        return Outcome(body, media_type, truncated, count, (time.monotonic() - started) * 1000)

    def misses_union(self) -> bool | None:
        """Never: pyoxigraph is asked for the union default graph directly."""
        return False

    def close(self) -> None:
        if self.unavailable:
            return
        with self.changes:
            self.closed = True
        for waiting in (self.idle, self.spare):
            while True:
                try:
                    waiting.get_nowait().kill()
                except queue.Empty:
                    break


def executor_for(access: QueryAccess, *, workers: int, time_limit: float, memory_limit_mb: int,
                 union_parameter: str, base_iri: str) -> ProcessExecutor | RemoteExecutor:
    """The executor for a store reached as its repository says (`Repository.query_access`):
    query processes over its checkpoints on this machine, or its remote query endpoint."""
    if access.endpoint is not None:
        return RemoteExecutor(access.endpoint, workers=workers, time_limit=time_limit,
                              union_parameter=union_parameter, base_iri=base_iri,
                              engine=access.engine)
    if access.checkpoint is None:       # never: QueryAccess holds one of the two
        raise ValueError("QueryAccess holds neither an endpoint nor a checkpoint.")
    return ProcessExecutor(access.checkpoint, workers=workers, time_limit=time_limit,
                           memory_limit_mb=memory_limit_mb, base_iri=base_iri)


# The catalogue's licence types live in a named graph; a default graph that is the union of the
# graphs shows them too.
_TYPES_IN_DEFAULT = sparql_prefixes("cv") + "ASK { ?type a cv:EvidenceType }"
_TYPES_IN_NAMED = sparql_prefixes("cv") + "ASK { GRAPH ?g { ?type a cv:EvidenceType } }"


class RemoteExecutor:
    """Queries the remote store's SPARQL endpoint; results are re-written here, capped."""

    def __init__(self, query_url: str, *, workers: int, time_limit: float,
                 union_parameter: str = "union-default-graph", base_iri: str | None = None,
                 engine: str = "oxigraph"):
        self.query_url = query_url
        self.base_iri = base_iri
        self.time_limit = time_limit
        self.slots = threading.BoundedSemaphore(workers)
        self.on_virtuoso = engine == "virtuoso"
        # Virtuoso's default graph always is the union of its graphs: no parameter asks for it.
        self.params = ({union_parameter: ""} if union_parameter and not self.on_virtuoso
                       else {})

    def misses_union(self) -> bool | None:
        """Whether the store's default graph, as asked for, lacks the catalogue that its named
        graphs hold (the union parameter is not understood); None when no graph holds it yet
        (a store not initialised), so nothing can be told."""
        if self._ask(_TYPES_IN_DEFAULT):
            return False
        return True if self._ask(_TYPES_IN_NAMED) else None

    def _ask(self, query: str) -> bool:
        return json.loads(self.run(query, QueryForm.ASK, JSON, 1).body)["boolean"]

    def run(self, query: str, form: QueryForm, media_type: str, limit: int) -> Outcome:
        started = time.monotonic()
        if self.on_virtuoso and calls_virtuoso_procedures(query):
            raise QueryFailed("service", _PROCEDURES_MESSAGE)
        if self.base_iri:       # relative IRIs resolve against the endpoint, as embedded
            query = with_base(query, self.base_iri)
        if not self.slots.acquire(timeout=self.time_limit):
            raise QueryFailed("busy", "Every query slot is busy; try again shortly.")
        try:
            deadline = started + self.time_limit
            body, truncated, count = self._fetch(query, form, media_type, limit, deadline)
        finally:
            self.slots.release()
        return Outcome(body, media_type, truncated, count, (time.monotonic() - started) * 1000)

    def _fetch(self, query, form, media_type, limit, deadline) -> tuple[bytes, bool, int]:
        """The answer, read before the deadline. A store that refuses the connection is being
        (re)started: asked again until the deadline. One that drops the connection after taking
        the query stopped while answering it — under a memory cap (docs/sparql.md), because the
        query needed more memory than the store may use."""
        while True:
            try:
                return self._fetch_once(query, form, media_type, limit, deadline)
            except requests.ConnectionError as exc:
                if not _never_connected(exc):
                    raise QueryFailed("memory", "The store stopped while answering this query "
                                      "(most likely it needed more memory than the store may "
                                      "use) and is being restarted.") from None
                if time.monotonic() + 0.1 >= deadline:
                    raise QueryFailed("store-error",
                                      f"The store could not be reached: {exc}") from None
                time.sleep(0.1)

    def _fetch_once(self, query, form, media_type, limit, deadline):
        # TSV for tables and N-Triples for graphs: one result per line, so the cap is applied
        # while reading and the rest is never transferred.
        accept = {QueryForm.SELECT: "text/tab-separated-values",
                  QueryForm.ASK: JSON}.get(form, NTRIPLES)
        remaining = max(deadline - time.monotonic(), 0.01)
        params, data, content_type = self.params, query.encode(), "application/sparql-query"
        if self.on_virtuoso:
            # A form (Virtuoso 7.2 never answers application/sparql-query); its TSV is not
            # SPARQL's (IRIs and literals alike in quotes): SELECT as JSON, capped by the store
            # (`maxrows`) since JSON cannot be cut while reading; the limit as its timeout (ms).
            accept = JSON if form is QueryForm.SELECT else accept
            params = {"timeout": str(max(int(remaining * 1000), 1)),
                      **({"maxrows": str(limit + 1)} if form is QueryForm.SELECT else {})}
            data, content_type = virtuoso.form_body(data, content_type)
        lines: list[bytes] = []
        try:
            # A connection of its own (no keep-alive), so a dropped connection is this query's.
            # A session of its own too: a pooled one would be sent the next query although the
            # store, told Connection: close, is closing it (reset, and taken for a stopped store).
            # `total` bounds connecting and waiting for the answer together.
            with requests.Session() as http, http.post(
                    self.query_url, params=params, data=data, stream=True,
                    headers={"Content-Type": content_type, "Accept": accept,
                             "Connection": "close", "Accept-Encoding": "identity"},
                    timeout=Timeout(total=remaining)) as response:
                if self.on_virtuoso:
                    limit = virtuoso_checked(response, self.time_limit, limit)
                if response.status_code == 400:
                    raise QueryFailed("bad-query", response.text[:2000])
                if response.status_code >= 300:
                    raise QueryFailed("store-error", f"The store answered "
                                      f"{response.status_code}: {response.text[:500]}")
                wanted = limit + 2 if form is QueryForm.SELECT else limit + 1
                whole = form is QueryForm.ASK or accept == JSON
                for line in _lines_until(response, deadline):
                    lines.append(line)
                    if len(lines) >= wanted and not whole:
                        break
        except (TimeoutError, ReadTimeoutError):
            raise QueryFailed.over_time(self.time_limit, "was abandoned") from None
        except (ProtocolError, ConnectionError) as exc:
            raise requests.ConnectionError(str(exc)) from exc      # dropped while answering
        except requests.RequestException as exc:
            # requests reports a read timeout while streaming as a ConnectionError.
            if isinstance(exc, requests.Timeout) or _caused_by(exc, ReadTimeoutError):
                raise QueryFailed.over_time(self.time_limit, "was abandoned") from None
            if isinstance(exc, requests.exceptions.ChunkedEncodingError):
                raise requests.ConnectionError(str(exc)) from exc  # dropped while answering
            if isinstance(exc, requests.ConnectionError):
                raise
            raise QueryFailed("store-error", f"The store could not be reached: {exc}") from None
        if self.on_virtuoso and form is QueryForm.SELECT:
            lines = [virtuoso.results_fixed(b"\n".join(lines))]
        return _rewrite(lines, form, media_type, limit, self.time_limit,
                        table=ox.QueryResultsFormat.JSON if accept == JSON
                        else ox.QueryResultsFormat.TSV)


def virtuoso_checked(response: requests.Response, time_limit: float, limit: int) -> int:
    """The cap to apply to Virtuoso's answer, once it is known to be whole: an Anytime answer
    (the rows found when its timeout passed) or its "transaction timed out" error is the
    time limit; a store whose ResultSetMaxRows is below the cap cut the table there, so one
    row less is shown and the table said cut when it is that long."""
    try:
        virtuoso.check_complete(response, response.url)
    except StoreError:
        raise QueryFailed.over_time(time_limit, "was stopped by the store") from None
    if response.status_code >= 500 and virtuoso.timed_out(response.text[:500]):
        raise QueryFailed.over_time(time_limit, "was stopped by the store")
    store_cap = int(response.headers.get("X-SPARQL-MaxRows") or 0)
    return min(limit, store_cap - 1) if 0 < store_cap <= limit else limit


# Virtuoso runs a function IRI in the bif: scheme as its built-in function and one in sql: as a
# stored procedure, for the anonymous /sparql user too: bif:http_get fetches any URL (measured
# on 7.2.5; any other function IRI is looked up as a procedure DB.DBA.<the IRI>, which does not
# exist). So no IRI in either scheme, nor a prefixed name with either prefix (Virtuoso knows
# them undeclared), reaches it, in either reading of the query (sparqlguard.readings).
_PROCEDURE_SCHEMES = ("bif:", "sql:")
_PROCEDURES_MESSAGE = ("Virtuoso's built-in functions and SQL procedures (the bif: and sql: "
                       "schemes) may not be called from this endpoint.")


def calls_virtuoso_procedures(query: str) -> bool:
    for read, _ in readings(query):
        for token in read:
            text = token.text.lower()
            if token.kind == "IRIREF" and text[1:].strip().startswith(_PROCEDURE_SCHEMES):
                return True
            if token.kind in ("PNAME_LN", "PNAME_NS") and text.startswith(_PROCEDURE_SCHEMES):
                return True
    return False


def _lines_until(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """The body's lines as they arrive, and never a wait past the deadline: each read takes
    what has come (read1) with the socket's timeout set to the time left, so neither a silent
    store nor one trickling rows keeps the request beyond the limit."""
    raw = response.raw
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            # urllib3's types ask for the pool; no pool is at hand, and none is read.
            raise ReadTimeoutError(None, None, "the time limit passed")  # type: ignore[arg-type]
        if sock is not None:
            sock.settimeout(left)
        chunk = raw.read1(1 << 16)
        if not chunk:
            break
        *complete, pending = (pending + chunk).split(b"\n")
        yield from complete
    if pending:
        yield pending


def _caused_by(exc: BaseException, kinds) -> bool:
    """Whether `exc` or what it wraps (requests and urllib3 nest their errors) is of `kinds`."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__ or (
            seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None)
    return False


def _never_connected(exc: BaseException) -> bool:
    """Whether a requests ConnectionError happened before the connection was made (refused)."""
    return _caused_by(exc, (NewConnectionError, ConnectionRefusedError))


def _rewrite(lines: list[bytes], form: QueryForm, media_type: str, limit: int,
             time_limit: float, table: ox.QueryResultsFormat = ox.QueryResultsFormat.TSV):
    """The store's answer (JSON for ASK, `table` for SELECT, N-Triples for graphs) written
    here."""
    body = b"\n".join(lines) + b"\n"
    results: ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]
    try:
        if form is QueryForm.ASK:
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        elif form is QueryForm.SELECT:
            results = ox.parse_query_results(body, format=table)
        else:
            results = (quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        return write_results(results, media_type, limit)
    except WrongFormat as exc:
        raise QueryFailed("bad-query", str(exc)) from None
    except SyntaxError:
        # Oxigraph ends a streamed answer with a line of text when its own timeout cancels it.
        if b"cancelled" in body[-500:]:
            raise QueryFailed.over_time(time_limit, "was stopped by the store") from None
        raise QueryFailed("store-error", "The store's answer could not be read.") from None
