"""When new dumps are made, and by whom (SPEC §7; the generation itself is opendata.dumpgen).

After each commit through the API the commit signal (`registry.events.licences_committed`,
followed by `subscribe()`) reaches `request_regeneration(app)`: it marks a rerun (`.pending`)
and, unless a generator already holds the lock, starts one in a low-priority child process
(spawned, never forked: RocksDB does not survive fork). The child reads the store through
`registry.store.opening.open_reader` — the newest read-only checkpoint, or the remote store —
so it never opens the embedded store that the serving process owns. It loops while a rerun is
pending.

A commit made elsewhere (the command line), or a change the licence state does not show (link
checks, a catalogue reloaded, a restore), only marks the dumps stale (`mark_stale`); the web
service regenerates them at its next look at them (`refresh_if_stale`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from flask import Flask

from opendata.dumpgen import (
    PENDING,
    dumps_dir,
    generate,
    generation_lock,
    is_generating,
    licence_state,
)
from registry.events import licences_committed
from registry.settings import Settings
from web.state import current_flask_app, state_of

log = logging.getLogger(__name__)


@dataclass
class DumpsState:
    """What one web app keeps about making its dumps (`web.state` part)."""

    process: BaseProcess | None = None      # the last generator child it started
    stale_asked: float = float("-inf")      # when `refresh_if_stale` last asked (monotonic)


def run_pending(settings: Settings, folder: Path) -> None:
    """Regenerate while a rerun is pending and no other generator runs, reading the store
    through `open_reader` (never opening the embedded store itself)."""
    from registry.store.opening import open_reader

    repo = None
    try:
        while (folder / PENDING).exists():
            with generation_lock(folder, wait=False) as got:
                if not got:
                    return              # another generator runs; it sees the pending mark
                while (folder / PENDING).exists():
                    (folder / PENDING).unlink(missing_ok=True)
                    repo = repo or open_reader(settings)
                    generate(repo, settings.base_iri, folder)
            # A mark made while the lock was being released is seen by the outer test.
    finally:
        if repo is not None:
            repo.close()


def _child(settings: Settings, folder: str) -> None:
    """The spawned child process: `run_pending` at low priority."""
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        run_pending(settings, Path(folder))
    except Exception:       # noqa: BLE001 — a child has no caller: say why, keep the old dumps
        log.exception("Regenerating the dumps in %s failed", folder)
        print(f"licence-registry: regenerating the dumps in {folder} failed; the previous "
              "ones are still served", file=sys.stderr)
        raise SystemExit(1) from None


_spawning = threading.Lock()


def request_regeneration(app: Flask) -> bool:
    """Ask for new dumps after a commit: mark a rerun and, unless a generator is running, start
    one in a low-priority spawned child process. True when a child was started. Never raises:
    the commit has happened whatever becomes of the dumps."""
    app = getattr(app, "_get_current_object", lambda: app)()
    state = state_of(app)
    settings, dumps = state.settings, state.part(DumpsState)
    folder = dumps_dir(settings)
    try:
        mark_stale(settings)                # first: a generator finishing now will see it
        if is_generating(folder):
            return False
        with _spawning:
            running = dumps.process
            if running is not None and running.is_alive():
                return False
            # The child reads the newest read-only checkpoint: make sure one is published.
            state.repository.read_replica()
            process = multiprocessing.get_context("spawn").Process(
                target=_child, args=(settings, str(folder)),
                name="licence-registry-dumps", daemon=True)
            process.start()
            dumps.process = process
            return True
    except Exception:       # noqa: BLE001
        log.exception("Could not start regenerating the dumps in %s", folder)
        return False


def _on_licences_committed(sender: Flask | None, *, settings: Settings, **_: object) -> None:
    """New licences: the web service starts new dumps now; elsewhere they are marked stale
    and regenerated at the web service's next look at them."""
    if sender is None:
        mark_stale(settings)
    else:
        request_regeneration(sender)


def subscribe() -> None:
    """Follow commits (registry.events.licences_committed). Idempotent."""
    licences_committed.connect(_on_licences_committed)


def mark_stale(settings: Settings) -> None:
    """Say that public data changed in a way the licence state does not show (link checks, a
    catalogue reloaded, a restore): the web service regenerates the dumps at the next look at
    them. A stat per look, where folding every lastChecked time into the state would scan a
    million documents. Never raises: the change has been committed whatever becomes of this."""
    folder = dumps_dir(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PENDING).touch()
    except OSError:
        log.exception("Could not mark the dumps in %s stale", folder)


STALE_RETRY_SECONDS = 60.0


def refresh_if_stale(manifest: dict | None) -> None:
    """Ask for new dumps when there are none yet, when they were made at another licence state
    (uploads committed by another process or machine, `load` from the command line), or when a
    rerun is pending that no generator is running (`mark_stale`, or a generator that died); at
    most once a minute from one process, so a generator that keeps failing is not restarted on
    every page view."""
    app = current_flask_app()
    state = state_of(app)
    folder, dumps = dumps_dir(state.settings), state.part(DumpsState)
    pending = (folder / PENDING).exists()
    if not pending and manifest is not None and manifest.get("store_state") == licence_state(
            state.repository):
        return
    now = time.monotonic()
    if now - dumps.stale_asked < STALE_RETRY_SECONDS:
        return
    dumps.stale_asked = now
    if not is_generating(folder):
        request_regeneration(app)
