"""The `licence-registry` command group and what its commands share (SPEC §8).

Exit codes: 0 success, 1 the input was refused (the reason printed), 2 usage error.
"""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from registry.baseiri import BaseIriMismatch, check_base
from registry.settings import Settings, SettingsError, describe_settings, load_settings
from registry.store import StoreError, StoreNotInitialised
from registry.store.opening import open_repository

REFUSED = 1


class Refused(click.ClickException):
    """The input was refused: exit 1 with the reason."""

    exit_code = REFUSED


def settings_of(ctx: click.Context) -> Settings:
    """The settings `main` read (flags over environment over defaults): the context's object."""
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("No settings: run the command through `licence-registry`.")
    return settings


def open_store(ctx: click.Context, create: bool = False, *, check: bool = True):
    """The settings' store. Checked (`check`) to be minted under the configured base IRI:
    every command refuses a store minted under another (SPEC §9, registry/baseiri.py)."""
    try:
        repo = open_repository(settings_of(ctx), create=create)
    except StoreNotInitialised as exc:
        raise Refused(str(exc)) from None
    except (StoreError, OSError) as exc:
        raise Refused(f"Cannot open the store: {exc}") from None
    if check:
        check_store_base(ctx, repo, record=True)
    return repo


def check_store_base(ctx: click.Context, repo, *, record: bool = False) -> None:
    """Refuse (closing `repo`) a store minted under another base IRI than the configured one;
    `record` a store's base on its first use since bases were recorded."""
    try:
        check_base(repo, settings_of(ctx), record=record)
    except BaseIriMismatch as exc:
        repo.close()
        raise Refused(str(exc)) from None
    except StoreError as exc:
        repo.close()
        raise Refused(f"Cannot open the store: {exc}") from None


def progress_bar(total: int | None, desc: str, unit: str = "row"):
    """A progress bar on stderr for long work (hidden when stderr is not a terminal)."""
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr,
                disable=None, leave=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Settings (environment variables; flags override them):\n\n"
             + describe_settings().replace("\n", "\n\n"))
@click.option("--store", "store", metavar="PATH", help="Embedded store directory "
              "[default: ./var/store, or $LICENCE_REGISTRY_STORE].")
@click.option("--store-url", metavar="URL", help="Use a remote SPARQL 1.1 store laid out like "
              "`oxigraph serve` (/query, /update, /store) instead of the embedded one.")
@click.option("--base-iri", metavar="IRI", help="Base of minted IRIs "
              "[default: http://127.0.0.1:8000, or $LICENCE_REGISTRY_BASE_IRI].")
@click.pass_context
def main(ctx: click.Context, store: str | None, store_url: str | None, base_iri: str | None):
    """Central Licence Catalogue (แคตตาล็อกใบอนุญาตกลาง): one IRI for every Thai government
    licence."""
    try:
        settings = load_settings({"STORE": store, "STORE_URL": store_url, "BASE_IRI": base_iri})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    ctx.obj = settings


def public_data_changed(ctx: click.Context) -> None:
    """After a commit the dumps' licence state does not show (catalogue, link checks, restore):
    the web service regenerates the dumps at the next look at them."""
    from opendata.dumpschedule import mark_stale

    mark_stale(settings_of(ctx))
