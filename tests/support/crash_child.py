"""`licence-registry` with kill points: the child process of tests/support/crash_harness.py.

Run as `python -m tests.support.crash_child ARGS…` (the CLI's arguments) with
`CLC_CRASH_AT=point:n`: the serving worker SIGKILLs its whole process group (gunicorn's master
and workers) the n-th time the main store's commit reaches `point`. A kill so placed is the
same moment in every run, whatever the machine's speed, where a kill timed by a clock is not.

Points, in the order a commit (registry/store/embedded.py `_apply`) reaches them:

- `book`: the upload's status lists are being put into its change set (publishing/pipeline.py
  `StatusBook.change`); nothing is in the journal yet;
- `log`: the upload's Merkle log entries, tiles and head are being put into its change set
  (registry/logstore.py `LogBook.change`, right after the status lists);
- `apply`: the change set is complete (payload files in the store's scratch folder);
- `linked`: a payload part was linked into the `.partial` journal entry;
- `fsync`: payload, manifest and undo are written, not yet synced;
- `fsync_dir`: the entry is marked COMMITTED, but still named `.partial`;
- `rename` / `renamed`: just before / just after a rename (the first: the commit point; the
  second: the applied entry dropped as `.done`);
- `bulk_load`: the replaced graphs are removed from the store, the payload not yet loaded;
- `flush`: the payload is loaded, not yet flushed;
- `applied`: the commit is done, the answer not yet sent.

On a remote store (`--store-url`: the commit is one SPARQL Update request) the points are
`book`, `log`, `apply` (the request not yet sent), `sent_half` (half its body sent, chunked),
`posted` (the store answered: the update is in) and `applied`.

Only the main store's commits count (the private store's report commit does not), and only in
gunicorn's workers (not in the processes that prepare the store before serving).
"""

from __future__ import annotations

import os
import signal
import threading
from types import SimpleNamespace

from ops import server
from registry import logstore, statusstore
from registry.store import embedded, remote

_target = os.environ.get("CLC_CRASH_AT", "")
_counts: dict[str, int] = {}
_state = threading.local()          # `.active`: this thread is inside a main-store commit
_armed = False                      # set in gunicorn's workers only


def reached(point: str, *, outside_commit: bool = False) -> None:
    """Count `point`; SIGKILL the process group when it is the target."""
    if not (_armed and (outside_commit or getattr(_state, "active", False))):
        return
    _counts[point] = _counts.get(point, 0) + 1
    if f"{point}:{_counts[point]}" == _target:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _before(point: str, function):
    def hooked(*args, **kwargs):
        reached(point)
        return function(*args, **kwargs)
    return hooked


def _rename(source, target):
    reached("rename")
    os.rename(source, target)
    reached("renamed")


class _HookedStore:
    """The pyoxigraph store of a commit, with kill points at the loads and flushes."""

    def __init__(self, store):
        self._store = store

    def bulk_load(self, *args, **kwargs):
        reached("bulk_load")
        return self._store.bulk_load(*args, **kwargs)

    def flush(self):
        reached("flush")
        return self._store.flush()

    def __getattr__(self, name):
        return getattr(self._store, name)


def _committing(applying):
    """`_apply` of a store class, its main store's commits made a hooked region."""
    def apply(self, change):
        if self.holds_private:
            return applying(self, change)
        _state.active = True
        try:
            reached("apply")
            applying(self, change)
            reached("applied")
        finally:
            _state.active = False
    return apply


def _install_remote() -> None:
    repository = remote.RemoteRepository
    posting = repository._post

    def post(self, url, data, *args, **kwargs):
        if not (getattr(_state, "active", False) and not self.holds_private
                and url == self.update_url and isinstance(data, bytes)):
            return posting(self, url, data, *args, **kwargs)
        half = len(data) // 2

        def halves():
            yield data[:half]
            reached("sent_half")
            yield data[half:]

        response = posting(self, url, halves(), *args, **kwargs)
        reached("posted")
        return response

    repository._apply = _committing(repository._apply)         # type: ignore[method-assign]
    repository._post = post                                     # type: ignore[method-assign]


def _install() -> None:
    repository = embedded.EmbeddedRepository
    opened = repository.__init__

    def init(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        if not self.holds_private:
            self.store = _HookedStore(self.store)

    repository.__init__ = init                      # type: ignore[method-assign]
    repository._apply = _committing(repository._apply)     # type: ignore[method-assign]
    # Only embedded.py's own names: the rest of the process keeps the real functions.
    embedded.os = SimpleNamespace(**{name: getattr(os, name) for name in dir(os)
                                     if not name.startswith("__")})
    embedded.os.link = _after_link(os.link)
    embedded.os.fsync = _before("fsync", os.fsync)
    embedded.os.rename = _rename
    embedded._fsync_dir = _before("fsync_dir", embedded._fsync_dir)
    book_change = statusstore.StatusBook.change

    def change(self):
        reached("book", outside_commit=True)        # before the commit: _apply not yet called
        return book_change(self)

    statusstore.StatusBook.change = change          # type: ignore[method-assign]
    log_change = logstore.LogBook.change

    def logging(self):
        reached("log", outside_commit=True)         # likewise: the log's part of the change set
        return log_change(self)

    logstore.LogBook.change = logging               # type: ignore[method-assign]
    loading = server.RegistryServer.load

    def load(self):
        global _armed
        _armed = True                               # runs in each worker, after the fork
        return loading(self)

    server.RegistryServer.load = load               # type: ignore[method-assign]


def _after_link(function):
    def hooked(*args, **kwargs):
        result = function(*args, **kwargs)
        reached("linked")
        return result
    return hooked


_install()
_install_remote()

if __name__ == "__main__":
    from ops.cli import main

    main(prog_name="licence-registry")
