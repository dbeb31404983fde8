"""The licence search index from the command line: `reindex`, and the rebuild that `init` and
`restore` do so that no stale index outlives them (registry/licenceindex.py)."""

from __future__ import annotations

import contextlib

import click

from ops import clibase
from ops.clibase import Refused, main, open_store, settings_of
from registry.licenceindex import SCHEMA_VERSION, LicenceIndex
from registry.settings import Settings
from registry.store import Repository, StoreError
from web.searchindex import index_path


def rebuild_index(settings: Settings, repo: Repository) -> int:
    """Rebuild the settings' search index from `repo`, with a progress bar; how many current
    licences it holds. Raises StoreError when the store cannot be read."""
    index = LicenceIndex(index_path(settings, repo), repo, settings.base_iri)
    try:
        with clibase.progress_bar(None, "search index", "licence") as bar:
            def step(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)
            return index.rebuild(progress=step)
    finally:
        index.close()


@main.command()
@click.pass_context
def reindex(ctx: click.Context):
    """Rebuild the licence search index from the store's current licences.

    The index (a SQLite file: $LICENCE_REGISTRY_SEARCH_INDEX, by default
    STORE/search/licences.sqlite, or for a remote store a file in the temporary directory) is
    a side copy that /search, the home page's figures, the sitemap and the agency pages read.
    The store is the truth: the index can be deleted at any time, and the web service keeps it
    up to date by itself (after each upload, and every few seconds for changes made by other
    processes) and rebuilds it when it is missing. `init` and `restore` rebuild it too.

    Run it to rebuild at a quiet time instead of on the first search. Readers see the old
    index until the new one is complete, so with a remote store it is safe while the service
    runs (an embedded store is opened by one process at a time: stop the service first)."""
    settings = settings_of(ctx)
    repo = open_store(ctx)
    try:
        count = rebuild_index(settings, repo)
    except StoreError as exc:
        raise Refused(f"Cannot read the store: {exc}") from None
    finally:
        repo.close()
    click.echo(f"Search index rebuilt: {count} current licences in {index_path(settings)}.")


def is_missing(settings: Settings) -> bool:
    """Whether the settings' search index is missing (or for another base, or older): read
    from its file alone, so `serve` starts no process to build an index that is there."""
    import sqlite3

    path = index_path(settings)
    if not path.exists():
        return True
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return True
    return meta.get("schema") != SCHEMA_VERSION or meta.get("base") != settings.base_iri


def build_if_missing(settings: Settings) -> None:
    """`serve`, before the workers start (in a process of its own, as ops/server.py says why):
    build the search index when there is none, so that no worker builds it on a visitor's
    first search (minutes at a million licences). An index that exists is left to the
    workers, which bring it up to date in a moment."""
    from registry.store.opening import open_repository

    repo = open_repository(settings, create=True)
    index = LicenceIndex(index_path(settings, repo), repo, settings.base_iri)
    try:
        if not index.is_built():
            click.echo("Building the search index …", err=True)
            count = rebuild_index(settings, repo)
            click.echo(f"Search index built: {count} current licences.", err=True)
    except StoreError as exc:       # the workers try again on first use
        click.echo(f"Search index not built ({exc}); the service builds it on first use.",
                   err=True)
    finally:
        index.close()
        repo.close()
