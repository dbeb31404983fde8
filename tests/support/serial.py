"""Tests that must run alone (not a test module): those marked `serial` compare latencies or
time a kill, so the other tests of the run must not load the machine meanwhile.

The suite runs in parallel (pytest-xdist). Every test of a worker holds a shared lock while it
runs, fixtures included; a `serial` test takes it exclusively, so it starts once the tests
running elsewhere have ended, and no other test starts until it has ended. The lock files live
in the run's base temporary directory, which the workers share; so separate runs do not wait
for each other, and a run without workers takes no locks.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = "serial"
MARKER_HELP = ("serial: compares latencies or times a kill; runs with no other test running "
               "(tests/support/serial.py)")


def lock_folder(basetemp: str | None) -> Path | None:
    """Where the run's workers meet: the parent of a worker's base temporary directory (xdist
    gives each worker --basetemp <run's basetemp>/gw<n>); None outside a worker."""
    if basetemp is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    return Path(basetemp).parent


@contextmanager
def taking_turns(folder: Path | None, alone: bool) -> Iterator[None]:
    """Hold the run's lock around one test: exclusively when `alone`, else shared.

    Two files, so that a test waiting to run alone is not kept waiting by tests that keep
    starting: the gate is held exclusively by a test waiting for its turn and briefly shared by
    every other test on its way in."""
    if folder is None:
        yield
        return
    gate = os.open(folder / "serial.gate", os.O_CREAT | os.O_RDWR, 0o600)
    running = os.open(folder / "serial.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if alone:
            fcntl.flock(gate, fcntl.LOCK_EX)          # no other test starts from now on …
            fcntl.flock(running, fcntl.LOCK_EX)       # … and those running end first
        else:
            fcntl.flock(gate, fcntl.LOCK_SH)          # waits while a serial test has its turn
            fcntl.flock(running, fcntl.LOCK_SH)
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield
    finally:
        os.close(running)                             # closing releases the locks
        os.close(gate)
