"""The query process: evaluates public SPARQL queries on a read-only checkpoint of the store.

pyoxigraph cannot interrupt a query, so each query runs in a process of its own that the web
process kills when the time limit passes (opendata/sparqlexec.py). The process runs at a lower
CPU priority than the web workers (nice 19) and with a cap on its memory, so a hostile query slows
only itself. It opens the newest checkpoint (registry/store/snapshots.py) read-only: it can neither
write nor see anything but the main store, which holds public data only. Before its first task
it locks itself out of the network (opendata/netlock.py), so not even a SERVICE that got past
the guard can reach another server.

Kept small on purpose: it is imported in a freshly spawned interpreter for every new process.
"""

from __future__ import annotations

import os
import resource

import pyoxigraph as ox

from opendata.netlock import NetworkLockUnavailable, lock_network
from opendata.sparqlresults import WrongFormat, write_results

NICENESS = 19


def evaluate(store: ox.Store, query: str, media_type: str, limit: int,
             base_iri: str | None = None) -> tuple[bytes, bool, int]:
    """(body, truncated, count): the results written in `media_type`, at most `limit` of them.

    The union of the store's graphs is the default graph (the main store holds only public
    graphs); relative IRIs resolve against `base_iri` (the endpoint's URL). Raises SyntaxError
    for a query pyoxigraph cannot parse, WrongFormat for a media type that does not fit the
    result, PermissionError for a SERVICE call in a locked process.
    """
    return write_results(store.query(query, use_default_graph_as_union=True, base_iri=base_iri),
                         media_type, limit)


def lower_priority(pid: int = 0) -> None:
    """The lowest CPU priority (nice 19): a resolver request waking up preempts the query at
    once. Not SCHED_IDLE: measured on the project's VM, a SCHED_IDLE loop delayed wake-ups by a
    scheduler tick (resolver p99 1.1 -> 4.6 ms) where nice 19 did not (1.45 ms). `pid` 0 is
    this process."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, NICENESS)
    except OSError:             # the process has already gone
        pass


def serve(conn, memory_limit_bytes: int, replica: str | None = None) -> None:
    """Answer tasks from the web process until it goes away (EOF on the pipe).

    First, with the network locked and `replica` (the newest checkpoint when started) opened,
    it says "ready": the web process gives it queries only then, so a query's time limit never
    pays for an interpreter starting (seconds on a busy machine, at nice 19)."""
    lower_priority()
    # RLIMIT_DATA counts memory the process writes to (heap, anonymous maps), not address space
    # merely reserved (malloc arenas, thread stacks' guard areas), which RLIMIT_AS would count.
    resource.setrlimit(resource.RLIMIT_DATA, (memory_limit_bytes, memory_limit_bytes))
    try:
        lock_network()
        unlocked = None
    except NetworkLockUnavailable as exc:   # then it answers no query (the web process, which
        unlocked = str(exc)                 # checks first, normally starts no such process)
    opened: tuple[str, ox.Store] | None = None
    if replica and not unlocked:
        try:
            opened = (replica, ox.Store.read_only(replica))
        except OSError:             # said again, to the query, when a task asks for it
            opened = None
    conn.send(("ready",))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if unlocked:
            conn.send(("store-error", unlocked))
            continue
        try:
            if opened is None or opened[0] != task["replica"]:
                opened = None          # drop the old checkpoint before opening the new one
                opened = (task["replica"], ox.Store.read_only(task["replica"]))
        except OSError as exc:
            conn.send(("store-error", str(exc)))
            continue
        answer: tuple[object, ...]     # (outcome, *what it carries)
        try:
            answer = ("ok", *evaluate(opened[1], task["query"], task["media_type"],
                                      task["limit"], task.get("base_iri")))
        except (SyntaxError, WrongFormat) as exc:
            answer = ("bad-query", str(exc))
        except RuntimeError as exc:        # pyoxigraph's evaluation errors ("… is unbound")
            answer = ("bad-query", str(exc))
        except PermissionError as exc:     # the network lock at work: a SERVICE call
            answer = ("service", "The query tried to call another server, which this "
                      f"endpoint never does ({exc}).")
        except (OSError, MemoryError) as exc:
            answer = ("store-error", str(exc))
        conn.send(answer)
