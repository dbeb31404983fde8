"""`licence-registry stats …`: the statistics cube from the command line (issue 17;
registry/statscube.py, docs/stats.md).

`stats rebuild` recomputes the cube from the current licence records and prints each cell
whose stored count differs. Exit codes: 0 the cube agreed, or was rewritten to agree; 1 a
`--dry-run` found a difference (so a scheduled check can alert), or the store was refused;
2 usage error."""

from __future__ import annotations

import click

from ops.clibase import (
    _SETTINGS,
    Refused,
    RegistryCommand,
    RegistryGroup,
    main,
    open_store,
    progress_bar,
    settings_of,
)
from registry.statsrebuild import rebuild
from registry.store import StoreError

SHOWN = 50          # differing cells printed; the rest are counted


class StatsGroup(RegistryGroup, RegistryCommand):
    """The `stats` group: global options after its name too (as `log`)."""


@main.group("stats", cls=StatsGroup)
@click.pass_context
def stats(ctx: click.Context):
    """The licence statistics (a W3C RDF Data Cube served at /stats), kept by every commit."""
    ctx.meta.pop(_SETTINGS, None)      # read again, with the command's own options


@stats.command("rebuild")
@click.option("--dry-run", is_flag=True,
              help="Only compare and report; change nothing (exit 1 when a cell differs).")
@click.pass_context
def rebuild_command(ctx: click.Context, dry_run: bool):
    """Recompute the statistics cube from the current licence records and report every cell
    whose stored count differs; then (unless --dry-run) replace the cube with the recomputed
    one, in one change set. Each commit keeps the cube by itself: this is for a check, or for
    a store whose cube was lost. Safe while the service runs on a remote store (it holds the
    write lock, so no upload comes between the count and the write)."""
    base = settings_of(ctx).base_iri
    repo = open_store(ctx)
    try:
        with progress_bar(None, "stats rebuild", "licence") as bar:
            result = rebuild(repo, base, dry_run=dry_run, progress=bar.update)
    except StoreError as exc:
        raise Refused(f"Cannot read the store: {exc}") from None
    finally:
        repo.close()
    for difference in result.differences[:SHOWN]:
        click.echo(difference.describe())
    if len(result.differences) > SHOWN:
        click.echo(f"… and {len(result.differences) - SHOWN} more differing cells.")
    if result.structure_missing:
        click.echo("The store had no statistics cube.")
    if result.in_step:
        click.echo("The statistics cube agrees with the licences: nothing to do.")
    elif result.written:
        click.echo(f"Statistics cube rebuilt: {len(result.differences)} differing cells fixed.")
    else:
        click.echo(f"Dry run: {len(result.differences)} cells differ; nothing was changed.")
        ctx.exit(1)
