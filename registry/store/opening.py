"""Opening the store the settings name: remote when STORE_URL is set, else embedded.

The one place that asks the settings which kind of store this is; everything after asks the
repository (`Repository.query_access`, `read_replica`).
"""

from __future__ import annotations

from pathlib import Path

from registry.settings import Settings
from registry.store.interface import Repository, StoreError


def open_repository(settings: Settings, *, create: bool = False) -> Repository:
    """The main repository the settings name, with its `private` one: remote when STORE_URL
    is set (private: PRIVATE_STORE_URL), else embedded (`{STORE}` and `{STORE}/private`)."""
    if settings.store_url:
        from registry.store.remote import RemoteRepository

        return RemoteRepository.from_settings(settings)
    from registry.store.embedded import EmbeddedRepository

    return EmbeddedRepository(Path(settings.store), create=create)


def open_reader(settings: Settings) -> Repository:
    """A read-only repository over the main store, for a child process.

    Embedded: it reads the newest published checkpoint (the owning process publishes one with
    `read_replica()`) and never opens the store itself, so it cannot block or corrupt the
    owner; writes raise StoreError. Remote: the main store's RemoteRepository. Neither has a
    `private` repository: a reader sees public data only.
    """
    if settings.store_url:
        from registry.store.remote import RemoteRepository

        return RemoteRepository.from_settings(settings, private=False)
    from registry.store.checkpoint import CheckpointRepository

    return CheckpointRepository(Path(settings.store))


def open_checkpoint_reader(settings: Settings) -> Repository | None:
    """A reader of the embedded store's newest published checkpoint (a store being served
    publishes them), so a long read holds no lock a commit needs; None for a remote store, or
    an embedded one with no checkpoint yet (open the store itself then)."""
    if settings.store_url:
        return None
    try:
        return open_reader(settings)
    except StoreError:
        return None


def open_for_workers(settings: Settings) -> Repository:
    """The repository a web worker process serves from: an embedded store shared by all the
    workers (registry/store/shared.py; prepared first by `prepare_for_workers`), else as
    `open_repository` opens it."""
    if settings.store_url:
        return open_repository(settings)
    from registry.store.shared import SharedEmbeddedRepository

    return SharedEmbeddedRepository(Path(settings.store))


def prepare_for_workers(settings: Settings) -> None:
    """Before the web workers start, in a process of its own (ops/server.py says why): an
    embedded store is recovered and its first checkpoints published; a remote one needs
    nothing."""
    if settings.store_url:
        return
    from registry.store.shared import prepare

    prepare(Path(settings.store))
