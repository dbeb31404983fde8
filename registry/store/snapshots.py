"""Read-only checkpoints of the embedded store, so many processes can read it at once.

RocksDB allows one read-write owner per directory, and opening a directory read-only while
another process writes it is undefined. A checkpoint (`Store.backup`: hard links to immutable
table files, a few milliseconds) is never written by anyone, so every web worker can open the
newest one read-only. After each commit the writer publishes a new checkpoint and points
`snapshots/CURRENT` at it; readers notice on their next request and reopen.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from registry.store.interface import StoreError

KEEP = 3                 # newest checkpoints always kept
GRACE_SECONDS = 120      # and any younger than this: a request may still be reading one
CHECK_EVERY = 0.2        # seconds between looks at CURRENT, per process


def snapshots_dir(root: Path) -> Path:
    return root / "snapshots"


def publish(store: ox.Store, root: Path) -> str:
    """Checkpoint `store` and make it the one readers open; prune old checkpoints."""
    folder = snapshots_dir(root)
    folder.mkdir(exist_ok=True)
    epoch = f"{time.time_ns():020d}"
    store.flush()
    store.backup(str(folder / epoch))
    pointer = folder / "CURRENT.tmp"
    pointer.write_text(epoch, encoding="ascii")
    os.replace(pointer, folder / "CURRENT")
    _prune(folder, epoch)
    return epoch


def _prune(folder: Path, current: str) -> None:
    epochs = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name.isdigit())
    now = time.time_ns()
    for name in epochs[:-KEEP]:
        if name != current and now - int(name) > GRACE_SECONDS * 1e9:
            shutil.rmtree(folder / name, ignore_errors=True)


def enabled(root: Path) -> bool:
    return snapshots_dir(root).is_dir()


def current(root: Path) -> Path | None:
    """The newest published checkpoint, or None when none has been published."""
    folder = snapshots_dir(root)
    # os.open/os.read rather than Path.read_text: /sparql asks on every query, and this is a
    # fifth of the cost (a few microseconds).
    try:
        fd = os.open(folder / "CURRENT", os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        epoch = os.read(fd, 64).decode("ascii").strip()
    finally:
        os.close(fd)
    return folder / epoch


class SnapshotReader:
    """The newest checkpoint, opened read-only and reopened when a newer one is published."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._epoch: Path | None = None
        self._store: ox.Store | None = None
        self._checked = 0.0

    def store(self) -> ox.Store:
        now = time.monotonic()
        if self._store is not None and now - self._checked < CHECK_EVERY:
            return self._store
        with self._lock:
            self._checked = now
            epoch = current(self.root)
            if epoch is None:
                raise StoreError(f"No read-only checkpoint of the store {self.root} has been "
                                 "published yet: the process that owns the store publishes "
                                 "one (`read_replica()`, or `licence-registry serve`).")
            if epoch != self._epoch or self._store is None:
                # Requests still using the old store keep it alive until they finish.
                self._store = ox.Store.read_only(str(epoch))
                self._epoch = epoch
            return self._store

    def refresh(self) -> None:
        self._checked = 0.0
