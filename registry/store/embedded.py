"""The embedded store: pyoxigraph on disk, owned by one process.

Layout of the store directory:

    data/        the pyoxigraph (RocksDB) database
    journal/     change sets that are committed but maybe not yet fully applied
    snapshots/   read-only checkpoints for other processes (registry/store/snapshots.py)
    private/     the private store (key hashes, upload reports), laid out the same way

Why a journal: pyoxigraph's transactional `load` takes about 12 µs a quad and holds the whole
batch in memory (100,000 licences ≈ 3 million quads ≈ 40 s and many GB), while `bulk_load` is
about three times faster and streams from a file, but is not atomic. So a change set is first
written to the journal and marked committed (one atomic rename), then applied with the fast,
non-atomic operations, then removed. A process killed at any moment leaves either no committed
journal entry (the store was not touched: state before) or one that is replayed when the store
is next opened (state after). Replaying is safe because a change set is idempotent.

Each entry also keeps the old content of the graphs it replaces (`undo.nq`): if applying fails
(say, a payload pyoxigraph refuses), those graphs are restored and the entry dropped, so the
store is back exactly as before and the error is raised.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from registry.store import interface, snapshots

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


def _bindings(
    bindings: Mapping[str, interface.Term] | None,
) -> dict[ox.Variable, interface.Term] | None:
    return {ox.Variable(k): v for k, v in bindings.items()} if bindings else None


def _discard(entry: Path) -> None:
    """Remove a finished journal entry. Renamed first (one atomic step), so a process killed
    while deleting its files never leaves a committed entry with parts missing."""
    done = entry.with_suffix(".done")
    os.rename(entry, done)
    shutil.rmtree(done)


class PyoxigraphReads(interface.Repository):
    """The read operations over a pyoxigraph store, shared by the embedded repository (its own
    read-write store) and the shared one (the newest read-only checkpoint)."""

    def _read_store(self) -> ox.Store:
        raise NotImplementedError

    def _reading(self):
        return contextlib.nullcontext()

    def select(self, query, bindings=None):
        with self._reading():
            solutions = self._read_store().query(query, substitutions=_bindings(bindings))
            names = [v.value for v in solutions.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in solutions]

    def ask(self, query, bindings=None):
        with self._reading():
            return bool(self._read_store().query(query, substitutions=_bindings(bindings)))

    def construct(self, query, bindings=None):
        with self._reading():
            return list(self._read_store().query(query, substitutions=_bindings(bindings)))

    def graph_triples(self, graph):
        with self._reading():
            return [q.triple for q in
                    self._read_store().quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def existing_graphs(self, graphs):
        with self._reading():
            store = self._read_store()
            return {g for g in graphs if store.contains_named_graph(ox.NamedNode(g))}

    def objects(self, subject, predicate, graph):
        with self._reading():
            return [q.object for q in self._read_store().quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.NamedNode(graph))]

    def quad_count(self):
        with self._reading():
            return len(self._read_store())

    def export(self, out: BinaryIO) -> None:
        with self._reading():
            self._read_store().dump(out, format=ox.RdfFormat.N_QUADS)

    def query_access(self) -> interface.QueryAccess:
        """A store on this machine: query processes open its newest checkpoint."""
        return interface.QueryAccess(checkpoint=self.read_replica)


class StoreBusy(interface.StoreError):
    """Another process has held the store for writing longer than we wait."""


def _lock_exclusively(path: Path, wait: float) -> int:
    """An inter-process lock on the store: one writer at a time (the CLI, a web worker)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreBusy(f"The store {path.parent} is being written by another process; "
                                f"waited {wait:.0f} s. Try again when it has finished.") from None
            time.sleep(0.05)


PRIVATE_DIR = "private"


class EmbeddedRepository(PyoxigraphReads):
    """The store opened read-write by this process (the CLI, tests, or a web worker committing).

    When the store is served (`snapshots/` exists), every applied change set also publishes a
    read-only checkpoint for the web workers (registry/store/snapshots.py).

    The main store opens its private store (`{path}/private`, created when missing: a store
    made before private data had a store of its own is migrated by backup and restore) with
    the same journal and locks, unless `with_private` is False (the shared repository opens the
    private store separately, only for private writes). `holds_private` opens a store AS the
    private one.
    """

    def __init__(self, path: Path, *, create: bool = False, wait: float = 600.0,
                 holds_private: bool = False, with_private: bool = True):
        self.path = Path(path)
        self.holds_private = holds_private
        data = self.path / "data"
        if not data.exists() and not create:
            raise interface.StoreNotInitialised(
                f"No store at {self.path}. "
                f"Create it with `licence-registry init --store {self.path}`.")
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock_exclusively(self.path / "write.lock", wait)
        self.journal = self.path / "journal"
        self.journal.mkdir(parents=True, exist_ok=True)
        self.store = ox.Store(str(data))
        self._lock = ReadWriteLock()
        self._write_mutex = threading.RLock()
        self._writer = self._write_mutex
        self.scratch = self.path / "tmp"
        self.scratch.mkdir(exist_ok=True)
        self.recover()
        if with_private and not holds_private:
            try:
                self._private = EmbeddedRepository(self.path / PRIVATE_DIR, create=True,
                                                   wait=wait, holds_private=True)
            except BaseException:
                self.close()
                raise

    @property
    def private(self) -> EmbeddedRepository:
        private = super().private
        if not isinstance(private, EmbeddedRepository):     # never: __init__ opens one
            raise TypeError(f"The private store of {self.path} is a {type(private).__name__}.")
        return private

    def _read_store(self) -> ox.Store:
        return self.store

    def _reading(self):
        return self._lock.reading()

    # Writing

    def _apply(self, change: interface.ChangeSet) -> None:
        with self._write_mutex:
            entry = self._write_journal(change)
            with self._lock.writing():
                self._replay_or_undo(entry)
            if snapshots.enabled(self.path):
                snapshots.publish(self.store, self.path)

    def _replace_all(self, nquads: Path) -> None:
        with self._write_mutex, self._lock.writing():
            self.store.clear()
            self.store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
            self.store.flush()
            if snapshots.enabled(self.path):
                snapshots.publish(self.store, self.path)

    def _write_journal(self, change: interface.ChangeSet) -> Path:
        name = f"{time.time_ns():020d}"
        entry = self.journal / (name + ".partial")
        entry.mkdir()
        parts = []
        for number, part in enumerate(change.parts()):
            target = entry / f"payload-{number:04d}.nq"
            if isinstance(part, Path):
                # Same file system: a hard link, not a copy of hundreds of megabytes.
                try:
                    os.link(part, target)
                except OSError:
                    shutil.copyfile(part, target)
            else:
                target.write_bytes(part)
            parts.append(target)
        manifest = entry / "manifest.json"
        manifest.write_text(json.dumps({"replace": change.replace}), encoding="utf-8")
        undo = entry / "undo.nq"
        with open(undo, "wb") as out:
            for graph in change.replace:
                node = ox.NamedNode(graph)
                if self.store.contains_named_graph(node):
                    ox.serialize(self.store.quads_for_pattern(None, None, None, node), out,
                                 format=ox.RdfFormat.N_QUADS)
        for f in (*parts, manifest, undo):
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        (entry / _COMMITTED).touch()
        _fsync_dir(entry)
        # The commit point: one atomic rename makes the entry count.
        done = self.journal / name
        os.rename(entry, done)
        _fsync_dir(self.journal)
        return done

    def _restore(self, entry: Path, pattern: str) -> None:
        """Make the entry's graphs hold exactly the files `pattern` names (payload: redo,
        undo: undo). Parts are loaded one by one: the bulk loader's memory grows with the
        size of one call (about 0.5 KB a quad), so 1.5 million quads a part keeps it near 1 GB."""
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        for graph in manifest["replace"]:
            self.store.remove_graph(ox.NamedNode(graph))
        for path in sorted(entry.glob(pattern)):
            if path.stat().st_size:
                self.store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        self.store.flush()

    def _replay_or_undo(self, entry: Path) -> None:
        try:
            self._restore(entry, "payload-*.nq")
        except (SyntaxError, ValueError, OSError) as exc:
            self._restore(entry, "undo.nq")
            _discard(entry)
            raise interface.StoreError(
                f"The change was refused by the store and undone: {exc}") from exc
        _discard(entry)

    def recover(self) -> list[str]:
        """Finish committed change sets a killed process left; drop uncommitted ones."""
        replayed = []
        for entry in sorted(self.journal.iterdir()):
            if entry.suffix in (".partial", ".done") or not (entry / _COMMITTED).exists():
                shutil.rmtree(entry, ignore_errors=True)
                continue
            with self._lock.writing():
                try:
                    self._replay_or_undo(entry)
                except interface.StoreError:
                    continue        # undone: the store is as it was before that change
            replayed.append(entry.name)
        if replayed and snapshots.enabled(self.path):
            snapshots.publish(self.store, self.path)    # readers must see what was replayed
        return replayed

    def read_replica(self) -> Path:
        """The newest checkpoint. The first call turns publishing on (`snapshots/`): from
        then on every applied change set publishes one, so it stays current."""
        replica = snapshots.current(self.path)
        if replica is None:
            with self._write_mutex:         # not while a commit is publishing its own
                replica = snapshots.current(self.path)
                if replica is None:
                    snapshots.publish(self.store, self.path)
                    replica = snapshots.current(self.path)
        if replica is None:         # never: a checkpoint was published just above
            raise interface.StoreError(f"No checkpoint of the store {self.path} was published.")
        return replica

    def scratch_dir(self) -> str:
        return str(self.scratch)   # same file system as the journal: payloads are hard-linked

    def close(self) -> None:
        super().close()
        if not hasattr(self, "store"):
            return
        self.store.flush()
        del self.store
        os.close(self._lock_fd)        # releases the inter-process lock

    def __del__(self) -> None:
        # A repository dropped without close() must not keep other writers waiting.
        if hasattr(self, "store"):
            del self.store
            os.close(self._lock_fd)
