"""The embedded store shared by several web workers (processes) on one machine.

Reads go to the newest read-only checkpoint (registry/store/snapshots.py), so every worker and
every core reads at once. A write takes the store's inter-process lock and opens it read-write
for just that commit (`EmbeddedRepository`, which replays any journal a killed writer left and
publishes a new checkpoint when it applies); the reads a commit makes to build its change set
go to that read-write store, in that thread only.

The private store (`{STORE}/private`) is shared the same way by a second repository of this
kind. A commit holding the main store's lock may take the private store's lock (to write an
upload report); nothing takes them the other way round, so the two cannot deadlock.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from registry.store.checkpoint import CheckpointRepository
from registry.store.embedded import PRIVATE_DIR, EmbeddedRepository
from registry.store.interface import ChangeSet
from registry.store.snapshots import publish, snapshots_dir


def prepare(path: Path) -> None:
    """Before workers start: recover both stores, bring replaced records up to date (the mark
    of the version that replaced them) and publish their first checkpoints."""
    from registry.history import mark_superseded

    repo = EmbeddedRepository(path, create=True)
    try:
        mark_superseded(repo)
        for store in (repo, repo.private):
            snapshots_dir(store.path).mkdir(exist_ok=True)
            publish(store.store, store.path)
    finally:
        repo.close()


class SharedEmbeddedRepository(CheckpointRepository):
    """A checkpoint reader that can also write, by owning the store for one commit at a time.
    `read_replica()` is the checkpoint this worker reads (the newest published)."""

    def __init__(self, path: Path, *, holds_private: bool = False):
        super().__init__(path)
        self.holds_private = holds_private
        if not holds_private:
            self._private = SharedEmbeddedRepository(self.path / PRIVATE_DIR, holds_private=True)
        self._mine = threading.local()      # the read-write store while this thread commits
        self._writer = threading.RLock()

    def _read_store(self) -> ox.Store:
        writing = getattr(self._mine, "repo", None)
        return writing.store if writing is not None else self.reader.store()

    @contextmanager
    def writing(self):
        with self._writer:
            if getattr(self._mine, "repo", None) is not None:     # already inside (re-entrant)
                yield
                return
            # Only this store: the private one is opened by self.private when written.
            repo = EmbeddedRepository(self.path, holds_private=self.holds_private,
                                      with_private=False)
            self._mine.repo = repo
            try:
                yield
            finally:
                self._mine.repo = None
                repo.close()
                self.reader.refresh()

    # Checked already by apply()/replace_all() on this repository: the inner one's _apply
    # is called directly so a large payload is not scanned twice.
    def _apply(self, change: ChangeSet) -> None:
        with self.writing():
            self._mine.repo._apply(change)

    def _replace_all(self, nquads: Path) -> None:
        with self.writing():
            self._mine.repo._replace_all(nquads)

    def scratch_dir(self) -> str:
        (self.path / "tmp").mkdir(exist_ok=True)
        return str(self.path / "tmp")
