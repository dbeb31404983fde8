"""The embedded store: pyoxigraph on disk, owned by one process.

Layout of the store directory:

    data/        the pyoxigraph (RocksDB) database
    journal/     change sets that are committed but maybe not yet fully applied

Why a journal: pyoxigraph's transactional `load` takes about 12 µs a quad and holds the whole
batch in memory (100,000 licences ≈ 3 million quads ≈ 40 s and many GB), while `bulk_load` is
about three times faster and streams from a file, but is not atomic. So a change set is first
written to the journal and marked committed (one atomic rename), then applied with the fast,
non-atomic operations, then removed. A process killed at any moment leaves either no committed
journal entry (the store was not touched: state before) or one that is replayed when the store
is next opened (state after). Replaying is safe because a change set is idempotent.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping

import pyoxigraph as ox

from . import ChangeSet, Repository, StoreNotInitialised, Term

_COMMITTED = "COMMITTED"


class ReadWriteLock:
    """Many readers or one writer: readers never see a change set half applied."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True        # new readers wait from now on
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _bindings(bindings: Mapping[str, Term] | None) -> dict[ox.Variable, Term] | None:
    return {ox.Variable(k): v for k, v in bindings.items()} if bindings else None


class EmbeddedRepository(Repository):
    def __init__(self, path: Path, *, create: bool = False):
        self.path = Path(path)
        data = self.path / "data"
        if not data.exists() and not create:
            raise StoreNotInitialised(
                f"No store at {self.path}. Create it with `licence-registry init --store {self.path}`.")
        self.journal = self.path / "journal"
        self.journal.mkdir(parents=True, exist_ok=True)
        self.store = ox.Store(str(data))
        self._lock = ReadWriteLock()
        self._write_mutex = threading.RLock()
        self._writer = self._write_mutex
        self.scratch = self.path / "tmp"
        self.scratch.mkdir(exist_ok=True)
        self.recover()

    # Reading

    def select(self, query, bindings=None):
        with self._lock.reading():
            solutions = self.store.query(query, substitutions=_bindings(bindings))
            names = [v.value for v in solutions.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in solutions]

    def ask(self, query, bindings=None):
        with self._lock.reading():
            return bool(self.store.query(query, substitutions=_bindings(bindings)))

    def construct(self, query, bindings=None):
        with self._lock.reading():
            return list(self.store.query(query, substitutions=_bindings(bindings)))

    def graph_triples(self, graph):
        with self._lock.reading():
            return [q.triple for q in
                    self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def existing_graphs(self, graphs):
        with self._lock.reading():
            return {g for g in graphs if self.store.contains_named_graph(ox.NamedNode(g))}

    def quad_count(self):
        with self._lock.reading():
            return len(self.store)

    def export(self, out: BinaryIO) -> None:
        with self._lock.reading():
            self.store.dump(out, format=ox.RdfFormat.N_QUADS)

    # Writing

    def apply(self, change: ChangeSet) -> None:
        with self._write_mutex:
            entry = self._write_journal(change)
            with self._lock.writing():
                self._replay(entry)
            shutil.rmtree(entry)

    def replace_all(self, nquads: Path) -> None:
        with self._write_mutex, self._lock.writing():
            self.store.clear()
            self.store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
            self.store.flush()

    def _write_journal(self, change: ChangeSet) -> Path:
        name = f"{time.time_ns():020d}"
        entry = self.journal / (name + ".partial")
        entry.mkdir()
        payload = entry / "payload.nq"
        if isinstance(change.payload, Path):
            # Same file system: a rename, not a copy of hundreds of megabytes.
            try:
                os.link(change.payload, payload)
            except OSError:
                shutil.copyfile(change.payload, payload)
        else:
            payload.write_bytes(change.payload)
        manifest = entry / "manifest.json"
        manifest.write_text(json.dumps({"replace": change.replace}), encoding="utf-8")
        for f in (payload, manifest):
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        (entry / _COMMITTED).touch()
        _fsync_dir(entry)
        # The commit point: one atomic rename makes the entry count.
        done = self.journal / name
        os.rename(entry, done)
        _fsync_dir(self.journal)
        return done

    def _replay(self, entry: Path) -> None:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        for graph in manifest["replace"]:
            self.store.remove_graph(ox.NamedNode(graph))
        payload = entry / "payload.nq"
        if payload.stat().st_size:
            self.store.bulk_load(path=str(payload), format=ox.RdfFormat.N_QUADS)
        self.store.flush()

    def recover(self) -> list[str]:
        """Finish committed change sets a killed process left; drop uncommitted ones."""
        replayed = []
        for entry in sorted(self.journal.iterdir()):
            if entry.suffix == ".partial" or not (entry / _COMMITTED).exists():
                shutil.rmtree(entry, ignore_errors=True)
                continue
            with self._lock.writing():
                self._replay(entry)
            shutil.rmtree(entry)
            replayed.append(entry.name)
        return replayed

    def scratch_dir(self) -> str:
        return str(self.scratch)   # same file system as the journal: payloads are hard-linked

    def close(self) -> None:
        self.store.flush()
        del self.store
