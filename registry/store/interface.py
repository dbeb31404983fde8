"""The repository interface: what the register needs from a SPARQL store, and nothing more."""


from __future__ import annotations

import abc
import io
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class StoreError(RuntimeError):
    """The store could not be reached or refused an operation; the message says which."""


class StoreNotInitialised(StoreError):
    """The embedded store directory does not exist yet."""


@dataclass
class ChangeSet:
    """One atomic write.

    `replace` lists EVERY named graph the change writes; each ends up holding exactly what
    `payload` (N-Quads, as bytes or as a file so large batches are never held twice in memory)
    puts in it. The payload writes no other graph. So applying a change set twice is the same
    as once, and undoing it means restoring just those graphs.
    """

    replace: list[str] = field(default_factory=list)
    payload: bytes | Path | list[bytes | Path] = b""

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad], replace: Iterable[str] = ()) -> ChangeSet:
        return cls(list(replace), ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b"")

    def parts(self) -> list[bytes | Path]:
        """The payload as parts to load one after another (large payloads come in files)."""
        if isinstance(self.payload, list):
            return list(self.payload)
        return [self.payload]


@dataclass(frozen=True)
class QueryAccess:
    """How the public's SPARQL queries reach a store, as the repository tells it: so nothing
    asks the settings which store it is, and the core builds no query executor (the SPARQL
    endpoint, `opendata`, builds one from this). Exactly one of the two is set."""

    # A remote store: the SPARQL query endpoint that answers them (its replica's, if any).
    endpoint: str | None = None
    # A store on this machine: the newest read-only checkpoint, which query processes open.
    checkpoint: Callable[[], Path | None] | None = None
    # The remote endpoint's engine (STORE_ENGINE): how to ask it, see opendata/sparqlexec.py.
    engine: str = "oxigraph"

    def __post_init__(self) -> None:
        if (self.endpoint is None) == (self.checkpoint is None):
            raise ValueError("QueryAccess takes an endpoint or a checkpoint, and not both.")


class Repository(abc.ABC):
    """What the register needs from a SPARQL store, and nothing more."""

    # True for the repository OF private graphs: no guard, and its `.private` is itself.
    holds_private = False
    _private: Repository | None = None

    @property
    def private(self) -> Repository:
        """The repository holding the private graphs, a store of its own so that the main
        store (which the public SPARQL endpoint reads whole) holds public data only."""
        if self.holds_private:
            return self
        if self._private is None:
            raise StoreError(f"This {type(self).__name__} was opened without its private store "
                             "(key hashes, upload reports): open it with open_repository().")
        return self._private

    @abc.abstractmethod
    def select(self, query: str,
               bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Rows of a SELECT query; `bindings` fix variables to terms (never pasted as text).

        A bound variable must be in the projection (SEP-0007 substitution, as pyoxigraph does),
        and a FILTER that uses it must be in the top-level group: the remote store binds values
        with a VALUES block placed first in that group, invisible inside nested groups.
        """

    @abc.abstractmethod
    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool: ...

    @abc.abstractmethod
    def construct(self, query: str,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]: ...

    @abc.abstractmethod
    def graph_triples(self, graph: str) -> list[ox.Triple]:
        """The triples of one named graph."""

    @abc.abstractmethod
    def existing_graphs(self, graphs: list[str]) -> set[str]:
        """Which of these named graphs exist."""

    @abc.abstractmethod
    def objects(self, subject: str, predicate: str, graph: str) -> list[Term]:
        """The objects of (subject, predicate) in one graph: the cheapest lookup there is."""

    def apply(self, change: ChangeSet) -> None:
        """Apply a change set atomically: afterwards the store is exactly as before or after.

        On the main repository a change set naming or writing a private graph raises
        StoreError and writes nothing."""
        self._refuse_private(change.replace, change.parts())
        self._apply(change)

    @abc.abstractmethod
    def _apply(self, change: ChangeSet) -> None: ...

    @abc.abstractmethod
    def export(self, out: BinaryIO) -> None:
        """Every quad, as N-Quads."""

    def replace_all(self, nquads: Path) -> None:
        """Empty the store and load a dataset (restore); the main repository refuses a dataset
        with private graphs, as `apply` does."""
        self._refuse_private([], [nquads])
        self._replace_all(nquads)

    @abc.abstractmethod
    def _replace_all(self, nquads: Path) -> None: ...

    def _refuse_private(self, replace: Iterable[str], parts: Iterable[bytes | Path]) -> None:
        if self.holds_private:
            return
        from registry.store.privacy import private_graphs_named

        try:
            found = private_graphs_named(replace, parts)
        except OSError as exc:
            raise StoreError(f"Refused (nothing written): cannot read the change's payload "
                             f"{exc.filename}: {exc.strerror}.") from exc
        if found:
            raise StoreError(f"Refused (nothing written): the main store holds public data only, "
                             f"and this change writes private graph(s) {', '.join(found)}; "
                             "write them to Repository.private.")

    @abc.abstractmethod
    def quad_count(self) -> int: ...

    def close(self) -> None:
        """Release the store (and the private one the main repository opened with it)."""
        if self._private is not None and self._private is not self:
            self._private.close()

    _writer = threading.RLock()

    @contextmanager
    def writing(self):
        """Hold while reading state and applying a change set built from it: commits in this
        process then happen one after another, each seeing the one before."""
        with self._writer:
            yield

    def replica_behind(self) -> bool:
        """Whether the copy /sparql queries missed a commit (remote stores with a replica)."""
        return False

    def scratch_dir(self) -> str:
        """Where large change-set payloads are written before they are applied."""
        return tempfile.gettempdir()

    def read_replica(self) -> Path | None:
        """A directory holding a read-only RocksDB checkpoint of this store, current as of the
        last commit, that another process may open with `pyoxigraph.Store.read_only`; None
        when the store is not on this machine (remote)."""
        return None

    @abc.abstractmethod
    def query_access(self) -> QueryAccess:
        """How the public SPARQL endpoint's queries reach this store."""

    # Shared helpers, written once on top of the abstract operations.

    def one(self, query: str, bindings: Mapping[str, Term] | None = None) -> dict[str, Term] | None:
        rows = self.select(query, bindings)
        return rows[0] if rows else None

    def select_graphs(self, query: str, graphs: list[str], chunk: int = 1000
                      ) -> list[dict[str, Term]]:
        """Run `query` for many graphs: its `?g` is bound by a VALUES block, a chunk at a time.

        The query holds the placeholder `#VALUES_G#` where the block goes; the block is made of
        pyoxigraph-serialised IRIs, never of raw text.
        """
        rows: list[dict[str, Term]] = []
        for start in range(0, len(graphs), chunk):
            block = "VALUES ?g { " + " ".join(str(ox.NamedNode(g)) for g in
                                               graphs[start:start + chunk]) + " }"
            rows.extend(self.select(query.replace("#VALUES_G#", block)))
        return rows

    def export_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.export(buffer)
        return buffer.getvalue()
