"""The `licence-registry` command group and what its commands share (SPEC §8).

Exit codes: 0 success, 1 the input was refused (the reason printed), 2 usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import click
from tqdm import tqdm

from registry.baseiri import BaseIriMismatch, check_base
from registry.settings import Settings, SettingsError, describe_settings, load_settings
from registry.store import StoreError, StoreNotInitialised
from registry.store.opening import open_repository

REFUSED = 1
T = TypeVar("T")


class Refused(click.ClickException):
    """The input was refused: exit 1 with the reason."""

    exit_code = REFUSED


def settings_of(ctx: click.Context) -> Settings:
    """The settings of this run (flags over environment over defaults), read once, the first
    time a command asks, after its own arguments were parsed: a global option given after the
    command name counts too, and wins over the same option given before it (SPEC §9).

    A wrong setting is a usage error (exit 2) naming the setting."""
    settings = ctx.meta.get(_SETTINGS)
    if settings is None:
        flags = {**ctx.meta.get(_BEFORE, {}), **ctx.meta.get(_AFTER, {})}
        try:
            settings = load_settings(flags)
        except SettingsError as exc:
            raise click.UsageError(str(exc), ctx) from None
        ctx.meta[_SETTINGS] = settings
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


@contextmanager
def progress_steps(desc: str, steps: Sequence[str]) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps, for work that reports nothing finer (one export, one
    atomic replace): `step(name)` says the step `name` has begun."""
    with progress_bar(len(steps), desc, "step") as bar:
        def step(name: str) -> None:
            bar.set_description(f"{desc}: {name}")
            bar.update(1)
        yield step


def counted(items: Iterable[T], bar, every: int = 10_000) -> Iterator[T]:
    """The items, moving `bar` on as they pass (in batches: a bar call per item would cost
    more than writing a quad)."""
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == every:
            bar.update(pending)
            pending = 0
    bar.update(pending)


# Where the global options' values wait (click shares ctx.meta between a group's context and
# its command's) until settings_of reads them: the group parses its own options and runs before
# the command's arguments are parsed, so the settings cannot be read there.
_BEFORE = "licence_registry.options_before_command"
_AFTER = "licence_registry.options_after_command"
_SETTINGS = "licence_registry.settings"

_GLOBAL_OPTIONS = (
    ("--store", "STORE", "PATH", "Embedded store directory "
     "[default: ./var/store, or $LICENCE_REGISTRY_STORE]."),
    ("--store-url", "STORE_URL", "URL", "Use a remote SPARQL 1.1 store laid out like "
     "`oxigraph serve` (/query, /update, /store) instead of the embedded one."),
    ("--base-iri", "BASE_IRI", "IRI", "Base of minted IRIs "
     "[default: http://127.0.0.1:8000, or $LICENCE_REGISTRY_BASE_IRI]."),
)


def _remember(position: str, setting: str, ctx: click.Context, param: click.Parameter,
              value: str | None) -> None:
    if value is not None:
        ctx.meta.setdefault(position, {})[setting] = value


def global_options(position: str) -> list[click.Option]:
    """--store, --store-url and --base-iri, their values kept under `position` (_BEFORE or
    _AFTER the command name) for settings_of."""
    return [click.Option([flag], metavar=metavar, help=text, expose_value=False,
                         callback=partial(_remember, position, setting))
            for flag, setting, metavar, text in _GLOBAL_OPTIONS]


class RegistryCommand(click.Command):
    """A command of `licence-registry`: takes the global options after its name as well, and
    reads the settings before it runs, so a wrong setting stops it before any work."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options(_AFTER))

    def invoke(self, ctx: click.Context):
        settings_of(ctx)
        return super().invoke(ctx)


class RegistryGroup(click.Group):
    """The group whose every command is a RegistryCommand (`@main.command()`)."""

    command_class = RegistryCommand


@click.group(cls=RegistryGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             params=global_options(_BEFORE),
             epilog="Settings (environment variables; flags override them):\n\n"
             + describe_settings().replace("\n", "\n\n")
             + "\n\nThe options --store, --store-url and --base-iri may be given before or "
             "after the command name; given in both places, the one after it wins. Agency and "
             "licence type codes may be given in any case (DIW is diw); an unknown code is "
             "refused naming the closest ones.")
def main():
    """Central Licence Catalogue (แคตตาล็อกใบอนุญาตกลาง): one IRI for every Thai government
    licence."""


def public_data_changed(ctx: click.Context) -> None:
    """After a commit the dumps' licence state does not show (catalogue, link checks, restore):
    the web service regenerates the dumps at the next look at them."""
    from opendata.dumpschedule import mark_stale

    mark_stale(settings_of(ctx))
