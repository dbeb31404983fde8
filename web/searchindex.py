"""The app's licence side index (registry/licenceindex.py): where it lives, and keeping it fresh.

`current_index()` gives the index of the app handling the request, built on first use when its
file is missing. It is refreshed after every commit made by this process (the
`licences_committed` signal, followed by `follow_commits()`) and, for commits made by other
processes (other web workers, `licence-registry load`), when a reader asks for it and its last
look at the store is more than a few seconds old: one cheap query over the upload activities
tells whether anything changed.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from registry.errors import StoreUnavailable
from registry.events import licences_committed
from registry.licenceindex import LicenceIndex
from registry.settings import Settings
from registry.store import Repository, StoreError
from web.state import current_state, state_of

log = logging.getLogger(__name__)

# Seconds between two looks at the store for changes made by other processes.
CHECK_EVERY = 3.0
# Seconds an upload's answer waits for the index to take its licences in.
COMMIT_WAIT = 10.0


def index_path(settings: Settings, repository: Repository | None = None) -> Path:
    """SEARCH_INDEX; else beside the embedded store's data (`{store}/search/licences.sqlite`),
    or for a remote store a file in the temporary directory named after the store and base.

    The store is the `repository`'s when one is given (an app may be handed a repository other
    than the settings name: tests, `serve`'s workers), so two stores never share an index."""
    if settings.search_index:
        return Path(settings.search_index)
    local = getattr(repository, "path", None)
    remote = getattr(repository, "query_url", None)
    if isinstance(local, Path):
        return local / "search" / "licences.sqlite"
    if not isinstance(remote, str):
        if not settings.store_url:
            return Path(settings.store) / "search" / "licences.sqlite"
        remote = settings.store_query_url or settings.store_url
    name = hashlib.sha256(f"{remote} {settings.base_iri}".encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "licence-registry-search" / f"{name}.sqlite"


@dataclass
class SearchState:
    """The app's index, opened on first use (a `web.state` part)."""

    index: LicenceIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _index_of(app_state) -> LicenceIndex:
    part = app_state.part(SearchState)
    with part.lock:
        if part.index is None:
            settings = app_state.settings
            part.index = LicenceIndex(index_path(settings, app_state.repository),
                                      app_state.repository,
                                      settings.base_iri, check_every=CHECK_EVERY)
        return part.index


def current_index() -> LicenceIndex:
    """The index of the app handling the request, brought up to the store at most every few
    seconds. When the store cannot be reached, an index already built answers as it is;
    one never built raises StoreUnavailable (503)."""
    index = _index_of(current_state())
    try:
        index.refresh_if_due()
    except (StoreError, sqlite3.OperationalError) as exc:
        if not index.is_built():
            raise StoreUnavailable(str(exc)) from None
        log.warning("Search index not refreshed (answering from the last copy): %s", exc)
    return index


def fresh_index() -> LicenceIndex:
    """The app's index brought up to the store NOW (one cheap query when nothing changed):
    for answers that must not lag behind a commit by another process, such as the batch check
    (SPEC §13). When the store cannot be reached: StoreUnavailable (503), never an old copy."""
    index = _index_of(current_state())
    try:
        index.refresh()
    except (StoreError, sqlite3.OperationalError) as exc:
        raise StoreUnavailable(str(exc)) from None
    return index


def _committed(sender: object, settings: Settings | None = None, **_: object) -> None:
    """After a commit by this app: bring its index up to date (if it has one open). The answer
    to the upload waits for that up to COMMIT_WAIT seconds (every upload of a few thousand
    licences is searchable when its answer arrives); a larger one finishes in the background
    while searches answer from the index as it was."""
    if not isinstance(sender, Flask):
        return
    part = state_of(sender).existing(SearchState)
    if part is None or part.index is None:
        return                  # not opened yet: the first use builds it from the store
    worker = threading.Thread(target=_refresh_quietly, args=(part.index,), daemon=True,
                              name="search-index-refresh")
    worker.start()
    worker.join(COMMIT_WAIT)


def _refresh_quietly(index: LicenceIndex) -> None:
    try:
        index.refresh()
    except (StoreError, sqlite3.Error) as exc:      # the next reader tries again
        log.warning("Search index not refreshed after a commit: %s", exc)
    finally:
        index.close()           # this thread's connection


def follow_commits() -> None:
    """Refresh each app's index after its commits (idempotent: blinker keeps one receiver)."""
    licences_committed.connect(_committed)
