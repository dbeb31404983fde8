"""Test stores in memory (not a test module): the embedded store syncs each change set to disk,
and on the project's VM those waits were a third of the suite's time (issue 11). The temporary
directories (tmp_path and the like) go to tmpfs, when nobody chose where temporary files go
(--basetemp, PYTEST_DEBUG_TEMPROOT, TMPDIR) and /dev/shm has room; xdist workers and the servers
the tests start inherit the choice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

MEMORY_TEMP_ROOT = Path("/dev/shm")
ROOM_NEEDED = 4 << 30            # a whole run leaves about 1 GiB (64 MiB uploads, dumps, stores)


def stores_in_memory(config: pytest.Config) -> None:
    """Point pytest's temporary directories at tmpfs (pytest reads PYTEST_DEBUG_TEMPROOT when it
    first makes one, after configuration)."""
    if config.option.basetemp or any(os.environ.get(name) for name in
                                     ("PYTEST_DEBUG_TEMPROOT", "TMPDIR")):
        return
    try:
        room = shutil.disk_usage(MEMORY_TEMP_ROOT).free
    except OSError:
        return
    if room >= ROOM_NEEDED and os.access(MEMORY_TEMP_ROOT, os.W_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_TEMP_ROOT)
