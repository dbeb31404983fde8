"""A remote SPARQL 1.1 store (Query, Update and Graph Store Protocol): `oxigraph serve` (or a
store laid out like it), or Virtuoso open source (STORE_ENGINE=virtuoso; see virtuoso.py).

The web tier keeps no state: every read is a query, every change set is ONE update request, which
SPARQL 1.1 stores such as Oxigraph and Fuseki execute as one transaction (Virtuoso commits each
operation on its own: the Virtuoso module puts the touched graphs back when one fails). Values
are bound by serialising pyoxigraph terms (which escape them) into a VALUES clause, never by
pasting raw text.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
import requests

from registry.settings import Settings
from registry.sparqltext import with_inline_data
from registry.store import virtuoso
from registry.store.interface import ChangeSet, QueryAccess, Repository, StoreError, Term

logger = logging.getLogger(__name__)
_CHUNK = 1 << 16
# The write lease: one triple in a graph of its own in the private store, taken and released
# by single SPARQL updates (each one transaction), so web workers on many machines commit one
# at a time.
LOCK_GRAPH = "urn:x-licence-registry:lock"
LEASE_PREFIX = "urn:x-licence-registry:lease:"
_EXPIRES = "<urn:x-licence-registry:expires>"
REPLICA_BEHIND = "urn:x-licence-registry:sparql-replica-behind"
_DOUBLE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
# Each engine's query, update and Graph Store Protocol endpoints under its base URL.
LAYOUTS = {"oxigraph": ("/query", "/update", "/store"), "virtuoso": virtuoso.LAYOUT}


def credentials(user: str, password: str, kind: str) -> requests.auth.AuthBase | None:
    """The requests auth for a store's credentials (None: send none)."""
    if not user:
        return None
    if kind == "basic":
        return requests.auth.HTTPBasicAuth(user, password)
    return requests.auth.HTTPDigestAuth(user, password)


def values_clause(bindings: Mapping[str, Term] | None) -> str:
    """`VALUES (?a ?b) { (<…> "…") }` from pyoxigraph terms (their str() is N-Triples syntax)."""
    if not bindings:
        return ""
    names = " ".join(f"?{ox.Variable(name).value}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def update_from_change_set(change: ChangeSet, default_graph: str | None = None
                           ) -> Iterator[bytes]:
    """The SPARQL Update of a change set: DROP the replaced graphs, INSERT DATA the payload.

    Quads with a blank node go in an `INSERT { … } WHERE { BIND(1 AS ?one) }` of their own
    (Virtuoso takes no blank node in INSERT DATA; the meaning is the same: one fresh node per
    label). Quads of the
    default graph go in `default_graph` when one is given (Virtuoso: see its module)."""
    for replaced in change.replace:
        yield f"DROP SILENT GRAPH {ox.NamedNode(replaced)} ;\n".encode()
    with_blank: list[bytes] = []
    yield b"INSERT DATA {\n"
    for part in change.parts():
        for quad in ox.parse(part if isinstance(part, bytes) else part.read_bytes(),
                             format=ox.RdfFormat.N_QUADS):
            triple = f"{quad.subject} {quad.predicate} {quad.object}"
            graph = (ox.NamedNode(default_graph)
                     if isinstance(quad.graph_name, ox.DefaultGraph) and default_graph
                     else quad.graph_name)
            line = (f"{triple} .\n" if isinstance(graph, ox.DefaultGraph)
                    else f"GRAPH {graph} {{ {triple} }}\n").encode()
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                with_blank.append(line)
            else:
                yield line
    yield b"}\n"
    if with_blank:
        yield b";\nINSERT {\n"
        yield from with_blank
        yield b"} WHERE { BIND(1 AS ?one) }\n"       # one solution (Virtuoso: not "{}")


class RemoteRepository(Repository):
    """One remote store. The main one is given its `private` store (another RemoteRepository,
    which holds the write lease); the private one is made with `holds_private=True`."""

    def __init__(self, query_url: str, update_url: str, gsp_url: str, timeout: float, *,
                 private: RemoteRepository | None = None, holds_private: bool = False,
                 replica: RemoteRepository | None = None, engine: str = "oxigraph",
                 auth: requests.auth.AuthBase | None = None):
        self.query_url = query_url
        self.update_url = update_url
        self.gsp_url = gsp_url
        self.timeout = timeout
        self.engine = engine
        self.on_virtuoso = engine == "virtuoso"
        self.http = requests.Session()
        self.http.auth = auth           # the credentials stay in here: never in a message
        self._system: list[str] | None = None       # Virtuoso's own graphs, see system_graphs
        self.holds_private = holds_private
        self._private = private
        # The copy /sparql queries (SPARQL_STORE_URL): written after the main store, so a
        # hostile analyst's query burns the replica's CPU, never the resolver's store.
        self.replica = replica
        self._writer = threading.RLock()    # this repository's lease holders, see writing()
        self._lease_depth = 0

    @property
    def private(self) -> RemoteRepository:
        private = super().private
        if not isinstance(private, RemoteRepository):       # never: __init__ is given one
            raise TypeError(f"The private store of {self.update_url} is a "
                            f"{type(private).__name__}.")
        return private

    @classmethod
    def at(cls, url: str, timeout: float, *, engine: str = "oxigraph", **kwargs
           ) -> RemoteRepository:
        """A store at its engine's layout: `oxigraph serve`'s {url}/query, /update and /store;
        Virtuoso's {url}/sparql, /sparql-auth and /sparql-graph-crud-auth."""
        query, update, gsp = LAYOUTS[engine]
        return cls(url + query, url + update, url + gsp, timeout, engine=engine, **kwargs)

    @classmethod
    def from_settings(cls, settings: Settings, *, private: bool = True
                      ) -> RemoteRepository:
        """The main store of the settings, with its private store unless `private` is False
        (a reader that must not see private data)."""
        base, engine = settings.store_url, settings.store_engine
        auth = credentials(settings.store_user, settings.store_password, settings.store_auth)
        private_auth = (credentials(settings.private_store_user, settings.private_store_password,
                                    settings.store_auth)
                        if settings.private_store_user else auth)
        private_store = (cls.at(settings.private_store_url, settings.store_timeout,
                                engine=engine, auth=private_auth, holds_private=True)
                         if private else None)
        replica = (cls.at(settings.sparql_store_url, settings.store_timeout, engine=engine,
                          auth=auth) if settings.sparql_store_url else None)
        query, update, gsp = LAYOUTS[engine]
        return cls(settings.store_query_url or base + query,
                   settings.store_update_url or base + update,
                   settings.store_gsp_url or base + gsp,
                   settings.store_timeout, private=private_store, replica=replica,
                   engine=engine, auth=auth)

    def _post(self, url: str, data, content_type: str, accept: str | None = None,
              params: Mapping[str, str] | None = None) -> requests.Response:
        if self.on_virtuoso:
            data, content_type = virtuoso.form_body(data, content_type)
        headers = {"Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        try:
            response = self.http.post(url, data=data, headers=headers, params=params,
                                      timeout=self.timeout)
        except requests.RequestException as exc:
            raise StoreError(f"The store at {url} could not be reached: {exc}") from exc
        if response.status_code >= 400:
            raise StoreError(f"The store at {url} answered {response.status_code}: "
                             f"{response.text[:500]}")
        if self.on_virtuoso:
            virtuoso.check_complete(response, url)
        return response

    def _query(self, query: str, bindings, accept: str) -> bytes:
        # First in the WHERE group, so FILTERs see the values (as pyoxigraph's substitution).
        return self._post(self.query_url,
                          with_inline_data(query, values_clause(bindings)).encode(),
                          "application/sparql-query", accept).content

    def system_graphs(self) -> list[str]:
        """The engine's own graphs, which are not the register's: Virtuoso's, asked once (they
        are made when the database is); none on Oxigraph."""
        if not self.on_virtuoso:
            return []
        if self._system is None:
            found = self.select(virtuoso.SERVICE_GRAPHS)
            self._system = virtuoso.system_graphs([row["g"].value for row in found])
        return self._system

    def internal_select(self, query: str) -> list[dict[str, Term]]:
        """select() with its `#OWN#` placeholder keeping ?g to the register's graphs: on
        Virtuoso, never one of its own (export, counting, emptying)."""
        if self.on_virtuoso:
            query = virtuoso.own_graphs_only(query, self.system_graphs())
        return self.select(query.replace("#OWN#", ""))

    @staticmethod
    def _rows(body: bytes) -> list[dict[str, Term]]:
        solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreError("The store answered a SELECT query with a boolean.")
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in solutions]

    # Reading

    def select(self, query, bindings=None):
        body = self._query(query, bindings, "application/sparql-results+json")
        return self._rows(virtuoso.results_fixed(body) if self.on_virtuoso else body)

    def ask(self, query, bindings=None):
        body = self._query(query, bindings, "application/sparql-results+json")
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query, bindings=None):
        body = self._query(query, bindings, "application/n-triples")
        return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))

    def graph_triples(self, graph):
        return self.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                              {"g": ox.NamedNode(graph)})

    def existing_graphs(self, graphs):
        rows = self.select_graphs("SELECT DISTINCT ?g WHERE { #VALUES_G# GRAPH ?g { ?s ?p ?o } }",
                                  graphs)
        return {row["g"].value for row in rows}

    def objects(self, subject, predicate, graph):
        rows = self.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
                           {"g": ox.NamedNode(graph), "s": ox.NamedNode(subject),
                            "p": ox.NamedNode(predicate)})
        return [row["o"] for row in rows]

    def quad_count(self):
        rows = (self.internal_select(virtuoso.QUAD_COUNT) if self.on_virtuoso else
                self.select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                            "{ GRAPH ?g { ?s ?p ?o } } }"))
        return int(rows[0]["n"].value)

    def export(self, out: BinaryIO) -> None:
        if self.on_virtuoso:
            virtuoso.export(self, out)
            return
        try:
            with self.http.get(self.gsp_url, headers={"Accept": "application/n-quads"},
                               stream=True, timeout=self.timeout) as response:
                if response.status_code >= 400:
                    raise StoreError(f"The store at {self.gsp_url} answered "
                                     f"{response.status_code}: {response.text[:500]}")
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
        except requests.RequestException as exc:
            raise StoreError(f"The store at {self.gsp_url} could not be reached: {exc}") from exc

    # Writing

    lease_seconds = 900.0       # a holder that died frees the lock after this long
    poll_seconds = 0.05

    @contextmanager
    def writing(self):
        """Hold the register-wide write lease, so that reading state and applying a change set
        built from it happen with no other writer between, across processes and machines.

        The lease is kept in the PRIVATE store (it is bookkeeping, not public data), so the
        main repository's writing() and the private one's take the same lease. Re-entrant in
        a thread: a writer holding it may write the other store under it.

        Each contender inserts its own lease only when no live lease is visible, then checks it
        is the ONLY live one. Two updates running at once can both see none (stores isolate
        snapshots, so a compare-and-set alone allows write skew); whoever then sees another
        lease withdraws and retries after a random pause, so at most one proceeds.
        """
        holder = self.private
        with holder._writer:          # threads of this process queue here, not at the store
            outermost = holder._lease_depth == 0
            lease = holder._acquire() if outermost else None
            holder._lease_depth += 1
            try:
                yield
            finally:
                holder._lease_depth -= 1
                if lease is not None:
                    holder._release(lease)

    def _acquire(self) -> ox.NamedNode:
        lease = ox.NamedNode(f"{LEASE_PREFIX}{secrets.token_hex(16)}")
        deadline = time.monotonic() + self.timeout
        while not self._try_lease(lease):
            if time.monotonic() > deadline:
                raise StoreError(f"Another writer has held the write lease in {self.update_url} "
                                 f"for {self.timeout:.0f} s; try again later.")
            time.sleep(self.poll_seconds * (1 + secrets.randbelow(100) / 25))
        return lease

    def _release(self, lease: ox.NamedNode) -> None:
        self._post(self.update_url, f"DELETE WHERE {{ GRAPH <{LOCK_GRAPH}> {{ {lease} ?p ?o }} }}"
                   .encode(), "application/sparql-update")

    def _try_lease(self, lease: ox.NamedNode) -> bool:
        now = time.time()
        now_lit = ox.Literal(repr(now), datatype=_DOUBLE)
        until = ox.Literal(repr(now + self.lease_seconds), datatype=_DOUBLE)
        live = f"?other {_EXPIRES} ?e FILTER(?e > {now_lit})"
        self._post(self.update_url, (
            f"DELETE {{ GRAPH <{LOCK_GRAPH}> {{ ?old {_EXPIRES} ?gone }} }}\n"
            f"WHERE {{ GRAPH <{LOCK_GRAPH}> {{ ?old {_EXPIRES} ?gone "
            f"FILTER(?gone <= {now_lit}) }} }} ;\n"
            f"INSERT {{ GRAPH <{LOCK_GRAPH}> {{ {lease} {_EXPIRES} {until} }} }}\n"
            f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{LOCK_GRAPH}> {{ {live} }} }} }}"
        ).encode(), "application/sparql-update")
        holders = {row["other"].value for row in self.select(
            f"SELECT ?other WHERE {{ GRAPH <{LOCK_GRAPH}> {{ {live} }} }}")}
        if holders == {lease.value}:
            return True
        if lease.value in holders:          # inserted at the same moment as another: withdraw
            self._release(lease)
        return False

    def _apply(self, change: ChangeSet) -> None:
        body = self._update_body(change)
        if self.on_virtuoso:
            with self.writing():        # nobody writes the touched graphs before an undo
                virtuoso.applied_or_undone(self, change, body)
        else:
            self._post(self.update_url, body, "application/sparql-update")
        self._to_replica(body)

    def _drop_all(self) -> bytes:
        """The update operations emptying the store (on Virtuoso, the register's graphs)."""
        return virtuoso.drop_all(self) if self.on_virtuoso else b"DROP SILENT ALL ;\n"

    def _replace_all(self, nquads: Path) -> None:
        # One request: clear and load in the same transaction (on Virtuoso each operation
        # commits on its own: a failed restore is run again; docs/deployment.md).
        body = self._drop_all() + self._update_body(ChangeSet(payload=nquads))
        self._post(self.update_url, body, "application/sparql-update")
        self._to_replica(body)

    # The replica for /sparql

    def _to_replica(self, body: bytes) -> None:
        """The same update on the replica, under the same write lease, so it sees every commit
        in the same order. The main store is the register: when the replica cannot take the
        update the commit stands, and the replica is marked behind (/sparql then answers 503
        until `licence-registry sync-replica` copies the main store to it again). A replica
        already behind is left alone: it will be copied whole, and each update would wait out
        the retries."""
        if self.replica is None or self.replica_behind():
            return
        try:
            self._replica_update(self.replica, body)
        except StoreError as exc:
            self.private._post(self.private.update_url, (
                f"INSERT DATA {{ GRAPH <{LOCK_GRAPH}> {{ <{REPLICA_BEHIND}> "
                f"<{REPLICA_BEHIND}#since> {ox.Literal(repr(time.time()), datatype=_DOUBLE)} }} }}"
            ).encode(), "application/sparql-update")
            logger.error("The SPARQL replica %s missed a commit and is now marked behind: %s",
                         self.replica.update_url, exc)

    # A replica run as docs/sparql.md advises is restarted when a query takes it past its memory
    # cap; it is back within a second or two. The update replaces whole graphs, so sending it
    # again is safe.
    _REPLICA_RETRIES = (0.2, 0.5, 1.0, 2.0)

    def _replica_update(self, replica: RemoteRepository, body: bytes) -> None:
        for pause in (*self._REPLICA_RETRIES, None):
            try:
                replica._post(replica.update_url, body, "application/sparql-update")
                return
            except StoreError:
                if pause is None:
                    raise
                time.sleep(pause)

    @property
    def sparql_query_url(self) -> str:
        """Where /sparql sends queries: the replica's query endpoint, else the main store's."""
        return (self.replica or self).query_url

    def query_access(self) -> QueryAccess:
        return QueryAccess(endpoint=self.sparql_query_url, engine=self.engine)

    def replica_behind(self) -> bool:
        """Whether the replica missed a commit since it was last copied whole."""
        return self.replica is not None and self.private.ask(
            f"ASK {{ GRAPH <{LOCK_GRAPH}> {{ <{REPLICA_BEHIND}> ?p ?o }} }}")

    def sync_replica(self, scratch: Path) -> int:
        """Copy the main store to the replica whole (under the write lease); returns the
        number of bytes copied. Clears the "behind" mark."""
        if self.replica is None:
            raise StoreError("No SPARQL replica is configured (SPARQL_STORE_URL).")
        with self.writing():
            with scratch.open("wb") as out:
                self.export(out)
            body = self.replica._drop_all() + self._update_body(ChangeSet(payload=scratch))
            self.replica._post(self.replica.update_url, body, "application/sparql-update")
            self.private._post(self.private.update_url,
                               f"DELETE WHERE {{ GRAPH <{LOCK_GRAPH}> "
                               f"{{ <{REPLICA_BEHIND}> ?p ?o }} }}".encode(),
                               "application/sparql-update")
            return scratch.stat().st_size

    def _update_body(self, change: ChangeSet) -> bytes:
        default_graph = virtuoso.DEFAULT_GRAPH if self.on_virtuoso else None
        try:
            return b"".join(update_from_change_set(change, default_graph))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(
                f"The change was refused before sending (nothing written): {exc}") from exc
