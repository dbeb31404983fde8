"""Tests that time things (not a test module): those marked `serial` compare latencies, time a
kill or a limit, so the rest of the suite must not take the CPU from them.

The suite runs in parallel (pytest-xdist, --dist loadfile). One worker runs every `serial` test,
one after another and before anything else (SerialFirstScheduling); every other module goes to
a worker whole, so its module fixtures are made once.

- Before each serial test, its worker lowers the CPU priority of the rest of the run (the other
  workers and every process they started, thread by thread) to nice 19, as the register itself
  runs SPARQL queries beside the resolver (opendata/sparqlworker.py): what else runs then only
  takes CPU time the timed test leaves. The others stay at nice 19 to the end of the run (an
  unprivileged process cannot raise a priority again); alone, they still have every CPU.
- A test marked `serial(alone=True)` also runs with no other test running: the knock-over test,
  whose p99 ratio and restarting replica (itself at nice 19) a busy machine still moved. Every
  test holds a shared lock while it runs, fixtures included; it takes it exclusively.

(xdist's own `--dist loadgroup` would do the grouping, but with pytest 9.2 it silently stops
grouping: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

MARKER = "serial"
MARKER_HELP = ("serial(alone=False): compares latencies or times a kill or a limit; runs in one "
               "worker, first, the other tests yielding the CPU to it (alone: not running at "
               "all meanwhile) (tests/support/serial.py)")
UNIT = "serial"
LOWEST_PRIORITY = 19
PROC = Path("/proc")
_FOLDER = "serial_tests_folder"        # keys in the workers' input
_TOGETHER = "serial_tests_together"
_IDS = "serial-test-ids"               # files in that folder
_GATE, _RUNNING = "gate.lock", "running.lock"
_folder_key = pytest.StashKey[Path]()


def is_serial(item: pytest.Item) -> bool:
    return item.get_closest_marker(MARKER) is not None


def is_alone(item: pytest.Item) -> bool:
    marker = item.get_closest_marker(MARKER)
    return marker is not None and bool(marker.kwargs.get("alone", False))


def serial_first(items: list[pytest.Item]) -> None:
    """Put the tests that run alone first, then the other `serial` tests (a stable sort:
    otherwise in collection order)."""
    items.sort(key=lambda item: (not is_alone(item), not is_serial(item)))


# --- in the controller -------------------------------------------------------------------------

def share_a_folder(config: pytest.Config) -> None:
    """When the run has workers: a folder for the workers' locks and for them to say which tests
    are `serial` (they collect; the controller does not), removed by forget_the_folder."""
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        config.stash[_folder_key] = Path(tempfile.mkdtemp(prefix="licence-tests-"))


def tell_the_worker(config: pytest.Config, workerinput: dict[str, Any]) -> None:
    if _folder_key in config.stash:
        workerinput[_FOLDER] = str(config.stash[_folder_key])
    # Only SerialFirstScheduling keeps the serial tests in one worker; in another mode, two
    # workers lowering each other's priority would leave neither ahead.
    workerinput[_TOGETHER] = config.getvalue("dist") == "loadfile"


def forget_the_folder(config: pytest.Config) -> None:
    if _folder_key in config.stash:
        shutil.rmtree(config.stash[_folder_key], ignore_errors=True)


def scheduler(config: pytest.Config, log: Any) -> Any:
    """For --dist loadfile: SerialFirstScheduling."""
    from xdist.scheduler import LoadFileScheduling

    ids = config.stash[_folder_key] / _IDS if _folder_key in config.stash else None

    class SerialFirstScheduling(LoadFileScheduling):
        """loadfile, except that the `serial` tests are one unit of their own, scheduled first
        (units go out in the order of the collection, which serial_first arranged)."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            self.serial_ids: set[str] | None = None
            config.option.loadscopereorder = False      # not by size: the serial unit first

        def _split_scope(self, nodeid: str) -> str:
            if self.serial_ids is None:         # every worker has collected (and written it)
                self.serial_ids = (set(ids.read_text().splitlines())
                                   if ids is not None and ids.exists() else set())
            return UNIT if nodeid in self.serial_ids else super()._split_scope(nodeid)

    return SerialFirstScheduling(config, log)


# --- in a worker -------------------------------------------------------------------------------

def _folder(config: pytest.Config) -> Path | None:
    folder = getattr(config, "workerinput", {}).get(_FOLDER)
    return Path(folder) if folder else None


def say_which_are_serial(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Write the ids of the `serial` tests where the controller reads them."""
    folder = _folder(config)
    if folder is None:
        return
    written = folder / f"{_IDS}.{os.getpid()}"
    written.write_text("".join(item.nodeid + "\n" for item in items if is_serial(item)))
    written.replace(folder / _IDS)          # whole: every worker writes the same ids


@contextmanager
def taking_turns(item: pytest.Item) -> Iterator[None]:
    """Around one test, fixtures included: the run's lock, exclusively for a test that runs
    alone, shared for any other. Two files, so that a test waiting to run alone is not kept
    waiting by tests that keep starting: it holds the gate, which every other test shares on
    its way in."""
    folder = _folder(item.config)
    if folder is None:                          # no workers: nothing else runs anyway
        yield
        return
    gate = os.open(folder / _GATE, os.O_CREAT | os.O_RDWR, 0o600)
    running = os.open(folder / _RUNNING, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if is_alone(item):
            fcntl.flock(gate, fcntl.LOCK_EX)          # no other test starts from now on …
            fcntl.flock(running, fcntl.LOCK_EX)       # … and those running end first
        else:
            fcntl.flock(gate, fcntl.LOCK_SH)          # waits while a test runs alone
            fcntl.flock(running, fcntl.LOCK_SH)
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield
    finally:
        os.close(running)                             # closing releases the locks
        os.close(gate)


def yield_the_cpu_to_this_worker(config: pytest.Config) -> None:
    """Lower to nice 19 every thread of the run's other processes: the controller's other
    children (the other workers) and all they started, this worker's own kept as they are."""
    if not getattr(config, "workerinput", {}).get(_TOGETHER) or not PROC.is_dir():
        return
    for pid in _others_of_the_run(controller=os.getppid(), me=os.getpid()):
        for task in (PROC / str(pid) / "task").glob("[0-9]*"):
            try:
                os.setpriority(os.PRIO_PROCESS, int(task.name), LOWEST_PRIORITY)
            except OSError:                     # the thread or process has ended meanwhile
                pass


def _others_of_the_run(controller: int, me: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue                            # ended meanwhile
        # pid (comm) state ppid …: comm may hold spaces and brackets, so read after ")"
        ppid = int(text.rpartition(")")[2].split()[1])
        children[ppid].append(int(stat.parent.name))
    found, todo = [], [pid for pid in children[controller] if pid != me]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children[pid])
    return found
