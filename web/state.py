"""What one web app holds besides Flask's own config: its settings, its repository, and the
state each part keeps between requests; one typed object under one key of `app.extensions`.

Views reach it with `current_state()`, code holding the app with `state_of(app)`. A feature's
state is an object of the feature's own class (`state.part(SparqlState)`), so this layer holds
it without importing any feature.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from flask import Flask, current_app
from flask.globals import app_ctx

from registry.credentialissue import CredentialIssuer
from registry.dates import thai_today
from registry.logsigning import CheckpointSigner
from registry.model import Catalogue
from registry.settings import Settings
from registry.store import Repository

_EXTENSION = "licence_registry"      # the one key in app.extensions

Part = TypeVar("Part")


@dataclass
class RegistryState:
    settings: Settings
    repository: Repository
    # The register's signer (SPEC §11): credentials, status lists and the DID document.
    credentials: CredentialIssuer
    # The public log's checkpoint signer (SPEC §12): one per app, so its cache of signed notes
    # is shared by every request; it reads the log key file afresh on each use (a rotation by
    # `licence-registry log rotate-key` is seen at once).
    log_signer: CheckpointSigner
    # Licence types and agencies, for drawing pages; loaded from the store on first use.
    catalogue: Catalogue | None = None
    # What "today" is (in Thailand) for effective statuses, feeds and pages: injected by tests,
    # so no test waits for or depends on the real date.
    clock: Callable[[], dt.date] = thai_today
    _parts: dict[type, object] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def part(self, kind: type[Part]) -> Part:
        """The feature state of class `kind` this app keeps, made with `kind()` on first use."""
        with self._lock:
            found = self._parts.get(kind)
            if found is None:
                found = self._parts[kind] = kind()
            return cast(Part, found)

    def existing(self, kind: type[Part]) -> Part | None:
        """The feature state of class `kind`, or None if nothing asked for it yet."""
        with self._lock:
            return cast("Part | None", self._parts.get(kind))

    def install(self, part: object) -> None:
        """Use `part` as this app's state of its class (a limiter made with other limits)."""
        with self._lock:
            self._parts[type(part)] = part


def attach(app: Flask, state: RegistryState) -> RegistryState:
    app.extensions[_EXTENSION] = state
    return state


def state_of(app: Flask) -> RegistryState:
    return cast(RegistryState, app.extensions[_EXTENSION])


def current_state() -> RegistryState:
    """The state of the app handling the current request (or in the pushed app context)."""
    return state_of(current_app)


def today() -> dt.date:
    """Today in Thailand, by the clock of the app handling the request."""
    return current_state().clock()


def current_flask_app() -> Flask:
    """The app itself, not the request-bound proxy: for what outlives the request (a signal's
    sender, a child process's parent, a per-app cache key)."""
    return app_ctx.app
