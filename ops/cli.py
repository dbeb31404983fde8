"""`licence-registry`: the operator's and agency's command line (SPEC §8).

Exit codes: 0 success, 1 the input was refused (the reason printed), 2 usage error. The group
and its shared helpers are in ops/clibase.py; the store's own upkeep (dumps, backup, restore,
migrate-base, sync-replica, check-links) in ops/clistore.py; the signing keys (`keys`) in
ops/clikeys.py; checking credentials (`verify-credential`, `credential-bundle`) in
ops/clicredentials.py; the public Merkle log (`log init|verify|key|rotate-key|monitor`) in
ops/clilog.py.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ops import clicodes, clicredentials, clikeys, clilog, clireport, clisearch, clistats, clistore
from ops.clibase import (
    REFUSED,
    Refused,
    check_store_base,
    main,
    open_store,
    progress_bar,
    progress_steps,
    public_data_changed,
    settings_of,
)
from registry import identifiers
from registry.bootstrap import init_store, is_initialised, load_catalogue
from registry.errors import InvalidUpload, OutOfScope
from registry.paths import CATALOGUE_DIR
from registry.store import StoreNotInitialised
from registry.store.opening import open_repository

if TYPE_CHECKING:       # publishing.service is imported by the commands that use it (start-up)
    from publishing.service import UnreadableUpload, Upload

__all__ = ["main", "clicredentials", "clikeys", "clilog", "clisearch", "clistats", "clistore",
           "REFUSED"]


@main.command()
@click.pass_context
def init(ctx: click.Context):
    """Create the store (and its private store) and load the vocabulary, the data standard
    and the catalogue; make the signing key file and the log key file if they are absent
    (mode 0600, outside the store: $LICENCE_REGISTRY_SIGNING_KEYS, $LICENCE_REGISTRY_LOG_KEYS).

    Safe to run again: it replaces those graphs and leaves licences alone.
    """
    from registry.history import mark_superseded
    from registry.statsrebuild import ensure_cube
    from registry.statusstore import assign_missing_positions

    repo = open_store(ctx, create=True)
    try:
        with progress_steps("init", ("catalogue", "replaced records")) as step:
            step("catalogue")
            counts = init_store(repo, settings_of(ctx).base_iri)
            step("replaced records")
            marked = mark_superseded(repo)
            assign_missing_positions(repo, settings_of(ctx).base_iri, dt.datetime.now(dt.UTC))
            ensure_cube(repo, settings_of(ctx).base_iri)     # a store from before the cube
        # Type titles and public registers may have changed: no stale search index survives.
        indexed = clisearch.rebuild_index(settings_of(ctx), repo)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    finally:
        repo.close()
    public_data_changed(ctx)
    click.echo("Initialised: " + ", ".join(f"{n} quads in {g}" for g, n in sorted(counts.items())))
    if marked:
        click.echo(f"Marked {marked} replaced records with the version that replaced them.")
    click.echo(f"Search index rebuilt: {indexed} current licences.")
    click.echo(clikeys.ensure_key_file(ctx))      # the signing and log keys, outside the store


@main.command()
@click.option("--issuer", required=True, metavar="CODE",
              help="Issuing agency code, e.g. bma-bangrak (any case).")
@click.option("--type", "type_code", required=True, metavar="CODE",
              help="Licence type code, e.g. building-construction (any case).")
@click.argument("number")
@click.pass_context
def mint(ctx: click.Context, issuer: str, type_code: str, number: str):
    """Print the IRI of licence NUMBER (as printed) of the given issuer and type.

    The issuer must be an agency of the catalogue that issues licences of the type (exit 1
    naming the closest codes, or the type's issuers, otherwise). The number is canonicalised
    (Thai digits, dashes, spaces, case) and checked against the type's number pattern.
    """
    settings = settings_of(ctx)
    catalogue = _catalogue_or_bundled(ctx, quiet=True)
    issuer = clicodes.resolve_agency(catalogue, issuer)
    type_code = clicodes.resolve_licence_type(catalogue, type_code)
    clicodes.check_authority(catalogue, issuer, type_code)
    try:
        key = identifiers.licence_key(issuer, type_code, number)
        identifiers.check_number_pattern(key.number, catalogue.types[type_code].pattern,
                                         type_code)
    except identifiers.InvalidNumber as exc:
        raise Refused(f"{exc.en}\n{exc.th}") from None
    click.echo(identifiers.licence_iri(settings.base_iri, key))


def _catalogue_or_bundled(ctx: click.Context, quiet: bool = False):
    """The store's catalogue; the bundled one when there is no embedded store yet."""
    from registry.model import read_catalogue

    settings = settings_of(ctx)
    try:
        repo = open_repository(settings)
    except StoreNotInitialised:
        if not quiet:
            click.echo(f"Note: no store at {settings.store}; using the bundled catalogue "
                       f"({CATALOGUE_DIR}).", err=True)
        return read_catalogue(CATALOGUE_DIR)
    check_store_base(ctx, repo, record=True)
    try:
        if not is_initialised(repo, settings.base_iri):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        return load_catalogue(repo)
    finally:
        repo.close()


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Refused(f"Cannot read {path}: {exc.strerror}") from None


def _upload_files(files) -> list[Upload]:
    """The files as one batch of uploads, each read when its turn comes; each one's type from
    its first bytes (a workbook) or its extension (.xlsx, .csv, .json, .jsonld, .ttl; CSV when
    neither says)."""
    from publishing.service import Upload
    from publishing.uploadformats import media_type_for_file

    def head(path: str) -> bytes:
        try:
            with open(path, "rb") as handle:
                return handle.read(8)
        except OSError:
            return b""                  # _read_file says why, when the file's turn comes

    return [Upload(media_type_for_file(path, head(path)), partial(_read_file, path), name=path)
            for path in files]


def _known_agency(catalogue, agency: str | None) -> str | None:
    """The agency's code as the catalogue spells it (any case given); refused when unknown."""
    return None if agency is None else clicodes.resolve_agency(catalogue, agency)


def _unreadable(exc: UnreadableUpload) -> Refused:
    return Refused(f"{exc.name}: {exc.en}\n{exc.th}")


REPORT_OPTION = click.option(
    "--report", "report_file", metavar="FILE.csv", type=click.Path(dir_okay=False),
    help="Also write every problem to FILE.csv (row, field, rule, severity, message_th, "
    "message_en, file), for Excel.")


def _print_reports(reports, as_json: bool, report_file: str | None = None) -> None:
    clireport.print_reports(reports, as_json, report_file)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--agency", metavar="CODE", help="Also check that every issuer is in this "
              "agency's scope.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (SPEC §5: row, "
              "field, rule, severity, message {th, en}; and the summary).")
@REPORT_OPTION
@click.pass_context
def validate(ctx: click.Context, files, agency: str | None, as_json: bool,
             report_file: str | None):
    """Check FILES against the data standard without writing anything.

    FILES are Excel workbooks (.xlsx, first sheet) or CSV (UTF-8 or Windows-874), or JSON,
    JSON-LD and Turtle, told apart by their extension.

    Exit 1 when any file has a violation; warnings alone do not fail.
    """
    from publishing.service import UnreadableUpload, check
    from registry.validation import ValidationContext

    catalogue = _catalogue_or_bundled(ctx, quiet=as_json)
    agency = _known_agency(catalogue, agency)
    try:
        reports = check(_upload_files(files), ValidationContext.for_agency(catalogue, agency),
                        meters=progress_bar)
    except UnreadableUpload as exc:
        raise _unreadable(exc) from None
    _print_reports(reports, as_json, report_file)
    if not all(r.ok for r in reports.values()):
        ctx.exit(REFUSED)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--agency", required=True, metavar="CODE", help="The publishing agency; every "
              "issuer must be in its scope.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report and counts as JSON.")
@REPORT_OPTION
@click.pass_context
def load(ctx: click.Context, files, agency: str, dry_run: bool, as_json: bool,
         report_file: str | None):
    """Validate FILES and publish them as one all-or-nothing batch.

    FILES are Excel workbooks (.xlsx, first sheet) or CSV (UTF-8 or Windows-874), or JSON,
    JSON-LD and Turtle, told apart by their extension.

    Any violation in any file refuses the whole batch (exit 1) and nothing is written.
    """
    from opendata.dumpschedule import subscribe as dumps_follow_commits
    from publishing.service import DuplicateAcrossUploads, UnreadableUpload, publish
    from web.cachepurge import follow_commits as purge_cache_after_commits

    settings = settings_of(ctx)
    repo = open_store(ctx)
    try:
        if not is_initialised(repo, settings.base_iri):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        catalogue = load_catalogue(repo)
        agency = clicodes.resolve_agency(catalogue, agency)
        dumps_follow_commits()      # the commit (sender None) marks the dumps stale, once
        purge_cache_after_commits()  # and purges nginx's cache (CACHE_PURGE_URLS), if any
        try:
            published = publish(repo, base=settings.base_iri, catalogue=catalogue,
                                agency=agency, uploads=_upload_files(files), dry_run=dry_run,
                                sender=None, settings=settings, meters=progress_bar,
                                on_checked=lambda reports: _print_reports(reports, as_json,
                                                                         report_file))
        except UnreadableUpload as exc:
            raise _unreadable(exc) from None
        except DuplicateAcrossUploads as exc:
            raise Refused(exc.detail) from None
        except (InvalidUpload, OutOfScope):
            raise Refused("Nothing was written: fix the rows above and load again.") from None
        result = published.result
        if result is None:
            click.echo(f"Dry run: {published.licences} licences would be published.",
                       err=as_json)
        elif as_json:
            click.echo(json.dumps(result.as_json()))
        else:
            click.echo(f"Upload {result.upload_id}: {result.created} created, "
                       f"{result.updated} updated, {result.unchanged} unchanged.")
    finally:
        repo.close()


@main.command("agency-key")
@click.argument("code")
@click.option("--revoke", metavar="KEY_ID", help="Revoke the key with this id instead.")
@click.option("--list", "list_only", is_flag=True, help="List the agency's keys (ids only).")
@click.pass_context
def agency_key(ctx: click.Context, code: str, revoke: str | None, list_only: bool):
    """Print a new upload key for agency CODE, once: only its hash is stored."""
    from publishing.keys import issue_key, list_keys, revoke_key

    settings = settings_of(ctx)
    repo = open_store(ctx)
    try:
        if not is_initialised(repo, settings.base_iri):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        code = clicodes.resolve_agency(load_catalogue(repo), code)
        if list_only:
            for listed in list_keys(repo, settings.base_iri):
                if listed.agency == code:
                    click.echo(f"{listed.id}  created {listed.created}"
                               f"{'  REVOKED' if listed.revoked else ''}")
            return
        if revoke:
            found = revoke_key(repo, settings.base_iri, code, revoke)
            if found is None:
                raise Refused(f"Agency {code!r} has no key with id {revoke!r}.")
            click.echo(f"Revoked key {revoke} of {code}.")
            return
        key, record = issue_key(repo, settings.base_iri, code)
        click.echo(key)
        click.echo(f"Key id {record.id} for {code}. Keep the key secret: it is shown only now.",
                   err=True)
    finally:
        repo.close()


@main.command("demo-data")
@click.option("--count", required=True, type=click.IntRange(1), help="How many licences.")
@click.option("--seed", default=2567, show_default=True, help="Same seed, same rows.")
@click.option("--agency", metavar="CODE", help="Only issuers in this agency's scope, so the "
              "file can be loaded with `load --agency CODE`.")
@click.option("--bad", is_flag=True, help="Write instead the deliberately bad rows, one per rule "
              "of the standard, with the rule and field each breaks in two extra columns.")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.pass_context
def demo_data(ctx: click.Context, count: int, seed: int, agency: str | None, bad: bool, out: str):
    """Write COUNT synthetic licences that pass the standard to OUT.csv (deterministic):
    invented holders with valid ID check digits, a mix of statuses, dates and documents."""
    from ops.demo import bad_rows, bad_rows_csv, demo_rows, rows_to_csv

    catalogue = _catalogue_or_bundled(ctx, quiet=True)
    if bad:
        # Counted as rows, not lines: a bad row's cell holds a vertical tab, a line break to
        # str.splitlines.
        Path(out).write_text(bad_rows_csv(catalogue), encoding="utf-8")
        click.echo(f"Wrote {len(bad_rows(catalogue))} bad rows to {out}.")
        return
    agency = _known_agency(catalogue, agency)
    with progress_bar(count, "generating", "licence") as bar:
        rows = []
        for row in demo_rows(catalogue, count, seed, agency=agency):
            rows.append(row)
            bar.update(1)
    Path(out).write_text(rows_to_csv(rows), encoding="utf-8")
    click.echo(f"Wrote {count} licences to {out}.")


@main.command()
@click.option("--demo", is_flag=True, help="Into a store without licences only: initialise "
              "it if needed and load demo licences first. A store that holds any licence is "
              "served as it is (one line says so).")
@click.option("--demo-count", default=2000, show_default=True, type=click.IntRange(1),
              help="How many demo licences --demo loads.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1),
              help="Worker processes (each reads the store's newest checkpoint).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1),
              help="Request threads in each worker.")
@click.option("--no-access-log", is_flag=True, help="Do not log each request.")
@click.pass_context
def serve(ctx: click.Context, demo: bool, demo_count: int, host: str, port: int, workers: int,
          threads: int, no_access_log: bool):
    """Run the web service (resolver, catalogue, API): gunicorn's worker processes, each
    reading whole requests with waitress before a request thread sees them (slow clients hold
    no thread; limits and timeouts: the FRONT_* settings, docs/deployment.md).

    Refuses (exit 1) a store minted under another base IRI than --base-iri, before anything
    starts; see migrate-base."""
    from registry.baseiri import check_in_fresh_process, where

    settings = settings_of(ctx)
    problem = check_in_fresh_process(settings)     # the master never opens the store itself
    if problem:
        raise Refused(problem)
    from ops.server import in_fresh_process, run

    if demo:
        from ops.demoload import load_demo_into

        in_fresh_process(load_demo_into, settings, demo_count)   # see in_fresh_process
    if clisearch.is_missing(settings):           # so no worker builds it on a visitor's search
        in_fresh_process(clisearch.build_if_missing, settings)

    click.echo(f"Serving on http://{host}:{port}/ (store: {where(settings)})")
    run(settings, host=host, port=port, workers=workers, threads=threads,
        access_log=not no_access_log)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="licence-registry")
