"""Opening the store the settings name: remote when STORE_URL is set, else embedded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from registry.store.interface import Repository


def open_repository(settings: Mapping[str, Any], *, create: bool = False) -> Repository:
    """The main repository the settings name, with its `private` one: remote when STORE_URL
    is set (private: PRIVATE_STORE_URL), else embedded (`{STORE}` and `{STORE}/private`)."""
    if settings["STORE_URL"]:
        from registry.store.remote import RemoteRepository

        return RemoteRepository.from_settings(settings)
    from registry.store.embedded import EmbeddedRepository

    return EmbeddedRepository(Path(settings["STORE"]), create=create)


def open_reader(settings: Mapping[str, Any]) -> Repository:
    """A read-only repository over the main store, for a child process.

    Embedded: it reads the newest published checkpoint (the owning process publishes one with
    `read_replica()`) and never opens the store itself, so it cannot block or corrupt the
    owner; writes raise StoreError. Remote: the main store's RemoteRepository. Neither has a
    `private` repository: a reader sees public data only.
    """
    if settings["STORE_URL"]:
        from registry.store.remote import RemoteRepository

        return RemoteRepository.from_settings(settings, private=False)
    from registry.store.checkpoint import CheckpointRepository

    return CheckpointRepository(Path(settings["STORE"]))
