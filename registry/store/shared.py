"""The embedded store shared by several web workers (processes) on one machine.

Reads go to the newest read-only checkpoint (registry/store/snapshots.py), so every worker and
every core reads at once. A write takes the store's inter-process lock and opens it read-write
for just that commit (`EmbeddedRepository`, which replays any journal a killed writer left and
publishes a new checkpoint when it applies); the reads a commit makes to build its change set
go to that read-write store, in that thread only.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from . import ChangeSet
from .checkpoint import CheckpointRepository
from .embedded import EmbeddedRepository
from .snapshots import publish, snapshots_dir


def prepare(path: Path) -> None:
    """Before workers start: recover the store and publish its first checkpoint."""
    repo = EmbeddedRepository(path, create=True)
    try:
        snapshots_dir(repo.path).mkdir(exist_ok=True)
        publish(repo.store, repo.path)
    finally:
        repo.close()


class SharedEmbeddedRepository(CheckpointRepository):
    """A checkpoint reader that can also write, by owning the store for one commit at a time.
    `read_replica()` is the checkpoint this worker reads (the newest published)."""

    def __init__(self, path: Path):
        super().__init__(path)
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
            repo = EmbeddedRepository(self.path)
            self._mine.repo = repo
            try:
                yield
            finally:
                self._mine.repo = None
                repo.close()
                self.reader.refresh()

    def apply(self, change: ChangeSet) -> None:
        with self.writing():
            self._mine.repo.apply(change)

    def replace_all(self, nquads: Path) -> None:
        with self.writing():
            self._mine.repo.replace_all(nquads)

    def scratch_dir(self) -> str:
        (self.path / "tmp").mkdir(exist_ok=True)
        return str(self.path / "tmp")
