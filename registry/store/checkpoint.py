"""A read-only repository over the newest checkpoint of an embedded store.

For a process that must read the store but never own it — a child process serving the public
SPARQL endpoint, say — while another process writes. It opens only checkpoints (never the
store itself, which RocksDB lets one process own read-write), follows each newly published
one, and refuses every write.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from registry.store.embedded import PyoxigraphReads
from registry.store.interface import ChangeSet, StoreError
from registry.store.snapshots import SnapshotReader, current


class CheckpointRepository(PyoxigraphReads):
    def __init__(self, path: Path):
        self.path = Path(path)
        self.reader = SnapshotReader(self.path)
        self.reader.store()         # no checkpoint yet: say so now, not at the first query

    def _read_store(self) -> ox.Store:
        return self.reader.store()

    def read_replica(self) -> Path | None:
        return current(self.path)

    def _refuse(self) -> StoreError:
        return StoreError(f"The store {self.path} is open read-only here (a checkpoint reader); "
                          "write through the process that owns it.")

    def _apply(self, change: ChangeSet) -> None:
        raise self._refuse()

    def _replace_all(self, nquads: Path) -> None:
        raise self._refuse()
