"""`licence-registry`: the operator's and agency's command line (SPEC §8).

Exit codes: 0 success, 1 the input was refused (the reason printed), 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from tqdm import tqdm

from . import identifiers
from .baseiri import BaseIriMismatch, check_base
from .bootstrap import init_store, is_initialised, load_catalogue
from .csvinput import InvalidCsv
from .paths import CATALOGUE_DIR
from .settings import SettingsError, describe_settings, load_settings
from .store import StoreError, StoreNotInitialised, open_repository

REFUSED = 1


class Refused(click.ClickException):
    """The input was refused: exit 1 with the reason."""

    exit_code = REFUSED


def _settings(ctx: click.Context) -> dict:
    return ctx.obj["settings"]


def _repo(ctx: click.Context, create: bool = False, *, check: bool = True):
    """The settings' store. Checked (`check`) to be minted under the configured base IRI:
    every command refuses a store minted under another (SPEC §9, registry/baseiri.py)."""
    try:
        repo = open_repository(_settings(ctx), create=create)
    except StoreNotInitialised as exc:
        raise Refused(str(exc)) from None
    except (StoreError, OSError) as exc:
        raise Refused(f"Cannot open the store: {exc}") from None
    if check:
        _check_base(ctx, repo, record=True)
    return repo


def _check_base(ctx: click.Context, repo, *, record: bool = False) -> None:
    """Refuse (closing `repo`) a store minted under another base IRI than the configured one;
    `record` a store's base on its first use since bases were recorded."""
    try:
        check_base(repo, _settings(ctx), record=record)
    except BaseIriMismatch as exc:
        repo.close()
        raise Refused(str(exc)) from None
    except StoreError as exc:
        repo.close()
        raise Refused(f"Cannot open the store: {exc}") from None


def _progress(total: int | None, desc: str, unit: str = "row"):
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
    ctx.obj = {"settings": settings}


@main.command()
@click.pass_context
def init(ctx: click.Context):
    """Create the store (and its private store) and load the vocabulary, the data standard
    and the catalogue.

    Safe to run again: it replaces those graphs and leaves licences alone.
    """
    from .history import mark_superseded

    repo = _repo(ctx, create=True)
    try:
        counts = init_store(repo, _settings(ctx)["BASE_IRI"])
        marked = mark_superseded(repo)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    finally:
        repo.close()
    _public_data_changed(ctx)
    click.echo("Initialised: " + ", ".join(f"{n} quads in {g}" for g, n in sorted(counts.items())))
    if marked:
        click.echo(f"Marked {marked} replaced records with the version that replaced them.")


@main.command()
@click.option("--issuer", required=True, metavar="CODE",
              help="Issuing agency code, e.g. bma-bangrak.")
@click.option("--type", "type_code", required=True, metavar="CODE",
              help="Licence type code, e.g. building-construction.")
@click.argument("number")
@click.pass_context
def mint(ctx: click.Context, issuer: str, type_code: str, number: str):
    """Print the IRI of licence NUMBER (as printed) of the given issuer and type.

    The number is canonicalised (Thai digits, dashes, spaces, case) and checked against the
    type's number pattern when the store holds the catalogue.
    """
    settings = _settings(ctx)
    try:
        key = identifiers.licence_key(issuer, type_code, number)
    except identifiers.InvalidCode as exc:
        raise Refused(str(exc)) from None
    except identifiers.InvalidNumber as exc:
        raise Refused(f"{exc.en}\n{exc.th}") from None
    catalogue = _catalogue_or_bundled(ctx, quiet=True)
    licence_type = catalogue.types.get(type_code)
    if licence_type is None:
        raise Refused(f"Unknown licence type {type_code!r}.")
    try:
        identifiers.check_number_pattern(key.number, licence_type.pattern, type_code)
    except identifiers.InvalidNumber as exc:
        raise Refused(f"{exc.en}\n{exc.th}") from None
    click.echo(identifiers.licence_iri(settings["BASE_IRI"], key))


def _catalogue_or_bundled(ctx: click.Context, quiet: bool = False):
    """The store's catalogue; the bundled one when there is no embedded store yet."""
    from catalogue.model import read_catalogue

    settings = _settings(ctx)
    try:
        repo = open_repository(settings)
    except StoreNotInitialised:
        if not quiet:
            click.echo(f"Note: no store at {settings['STORE']}; using the bundled catalogue "
                       f"({CATALOGUE_DIR}).", err=True)
        return read_catalogue(CATALOGUE_DIR)
    _check_base(ctx, repo, record=True)
    try:
        if not is_initialised(repo, settings["BASE_IRI"]):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        return load_catalogue(repo)
    finally:
        repo.close()


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Refused(f"Cannot read {path}: {exc.strerror}") from None


def _validate_files(files, catalogue, agency: str | None):
    from .pipeline import validate_csv
    from .validation import ValidationContext

    if agency is not None and agency not in catalogue.agencies:
        raise Refused(f"Unknown agency {agency!r}.")
    ctx = ValidationContext.for_agency(catalogue, agency)
    reports = {}
    for path in files:
        data = _read_file(path)
        with _progress(None, f"checking {Path(path).name}") as bar:
            try:
                reports[path] = validate_csv(data, ctx, progress=bar.update)
            except InvalidCsv as exc:
                raise Refused(f"{path}: {exc.en}\n{exc.th}") from None
    return reports


def _print_reports(reports, as_json: bool) -> None:
    if as_json:
        out = {path: report.as_json() for path, report in reports.items()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for path, report in reports.items():
        for p in report.problems:
            click.echo(f"{path}: row {p.row}, {p.field}, {p.rule} ({p.severity}): {p.en} | {p.th}",
                       err=p.severity != "Warning")
        click.echo(f"{path}: {report.rows} rows, {len(report.records)} valid, "
                   f"{len(report.violations)} violations, {len(report.warnings)} warnings.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--agency", metavar="CODE", help="Also check that every issuer is in this "
              "agency's scope.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (SPEC §5: row, "
              "field, rule, severity, message {th, en}).")
@click.pass_context
def validate(ctx: click.Context, files, agency: str | None, as_json: bool):
    """Check CSV FILES against the data standard without writing anything.

    Exit 1 when any file has a violation; warnings alone do not fail.
    """
    reports = _validate_files(files, _catalogue_or_bundled(ctx, quiet=as_json), agency)
    _print_reports(reports, as_json)
    if not all(r.ok for r in reports.values()):
        ctx.exit(REFUSED)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--agency", required=True, metavar="CODE", help="The publishing agency; every "
              "issuer must be in its scope.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report and counts as JSON.")
@click.pass_context
def load(ctx: click.Context, files, agency: str, dry_run: bool, as_json: bool):
    """Validate CSV FILES and publish them as one all-or-nothing batch.

    Any violation in any file refuses the whole batch (exit 1) and nothing is written.
    """
    from .pipeline import commit

    settings = _settings(ctx)
    repo = _repo(ctx)
    try:
        if not is_initialised(repo, settings["BASE_IRI"]):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        catalogue = load_catalogue(repo)
        reports = _validate_files(files, catalogue, agency)
        _print_reports(reports, as_json)
        if not all(r.ok for r in reports.values()):
            raise Refused("Nothing was written: fix the rows above and load again.")
        records = [rec for r in reports.values() for rec in r.records]
        if dry_run:
            click.echo(f"Dry run: {len(records)} licences would be published.", err=as_json)
            return
        keys = set()    # SPEC §4.10 across the files of one batch
        for rec in records:
            if rec.key in keys:
                raise Refused(f"Licence {rec.key.path} appears in more than one file.")
            keys.add(rec.key)
        with _progress(len(records), "publishing", "licence") as bar:
            result = commit(repo, records, base=settings["BASE_IRI"], catalogue=catalogue,
                            agency=agency, progress=bar.update,
                            problems=[p for r in reports.values() for p in r.problems])
        if as_json:
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
    from .keys import issue_key, list_keys, revoke_key

    settings = _settings(ctx)
    repo = _repo(ctx)
    try:
        if not is_initialised(repo, settings["BASE_IRI"]):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        if code not in load_catalogue(repo).agencies:
            raise Refused(f"Unknown agency {code!r}.")
        if list_only:
            for listed in list_keys(repo, settings["BASE_IRI"]):
                if listed.agency == code:
                    click.echo(f"{listed.id}  created {listed.created}"
                               f"{'  REVOKED' if listed.revoked else ''}")
            return
        if revoke:
            found = revoke_key(repo, settings["BASE_IRI"], code, revoke)
            if found is None:
                raise Refused(f"Agency {code!r} has no key with id {revoke!r}.")
            click.echo(f"Revoked key {revoke} of {code}.")
            return
        key, record = issue_key(repo, settings["BASE_IRI"], code)
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
    from .demo import bad_rows, bad_rows_csv, demo_rows, rows_to_csv

    catalogue = _catalogue_or_bundled(ctx, quiet=True)
    if bad:
        # Counted as rows, not lines: a bad row's cell holds a vertical tab, a line break to
        # str.splitlines.
        Path(out).write_text(bad_rows_csv(catalogue), encoding="utf-8")
        click.echo(f"Wrote {len(bad_rows(catalogue))} bad rows to {out}.")
        return
    if agency is not None and agency not in catalogue.agencies:
        raise Refused(f"Unknown agency {agency!r}.")
    with _progress(count, "generating", "licence") as bar:
        rows = []
        for row in demo_rows(catalogue, count, seed, agency=agency):
            rows.append(row)
            bar.update(1)
    Path(out).write_text(rows_to_csv(rows), encoding="utf-8")
    click.echo(f"Wrote {count} licences to {out}.")


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.pass_context
def dump(ctx: click.Context, out: str):
    """Write the public data (the main store; never the private one) as N-Quads; OUT ending
    in .gz is gzip-compressed. Prints the SHA-256 of the file."""
    import pyoxigraph as ox

    from .bootstrap import is_public_graph

    base = _settings(ctx)["BASE_IRI"]
    repo = _repo(ctx)
    opener = gzip.open if out.endswith(".gz") else open
    digest = hashlib.sha256()
    try:
        with tempfile.TemporaryFile() as raw:
            repo.export(raw)
            raw.seek(0)
            with opener(out, "wb") as handle:
                # The main store holds public data only; filtered anyway, for a store made
                # before private data had a store of its own and not yet migrated.
                public = (q for q in ox.parse(raw, format=ox.RdfFormat.N_QUADS)
                          if isinstance(q.graph_name, ox.DefaultGraph)
                          or is_public_graph(base, q.graph_name.value))
                # pyoxigraph writes to any binary file; its stubs ask for IO[bytes] alone.
                ox.serialize(public, handle, format=ox.RdfFormat.N_QUADS)  # type: ignore[arg-type]
    finally:
        repo.close()
    with open(out, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    click.echo(f"{out} sha256:{digest.hexdigest()}")


@main.command("dumps")
@click.option("--dumps-dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Write them here [default: $LICENCE_REGISTRY_DUMPS_DIR, or STORE/dumps].")
@click.pass_context
def dumps(ctx: click.Context, dumps_dir: str | None):
    """Regenerate now the downloads that /dumps/ serves: all public data (every public graph,
    as one set of triples) as licences.nt.gz (N-Triples, gzip), licences.ttl (Turtle) and
    licences.jsonld (JSON-LD), with manifest.json giving each file's size, time and SHA-256.

    The web service regenerates them by itself after each upload, and at the next look at
    /dumps/ or /catalogue.ttl after `load`, `init`, `restore` or `check-links` from the command
    line; run this to have them at once, or from cron.
    A generation the web service has running is waited for first. The new set replaces the old
    one at once, so a download never mixes the two. Reads the newest read-only checkpoint when
    the store is being served, so uploads are not held up. Needs `sort` (coreutils) and room
    for about two copies of the dumps.
    """
    from catalogue.dumps import STAGES, regenerate
    from catalogue.dumps import dumps_dir as default_dumps_dir

    from .store import open_reader

    settings = _settings(ctx)
    folder = Path(dumps_dir) if dumps_dir else default_dumps_dir(settings)
    repo = None
    if not settings["STORE_URL"]:
        try:
            repo = open_reader(settings)   # served: the newest checkpoint, never the store's lock
        except StoreError:
            repo = None                    # not served: open the store itself
    if repo is not None:
        _check_base(ctx, repo)       # public data only: the catalogue graph's base is checked
    repo = repo or _repo(ctx)
    try:
        with _progress(len(STAGES), "dumps", "step") as bar:
            def step(stage: str) -> None:
                bar.set_description(f"dumps: {stage}")
                bar.update(1)

            manifest = regenerate(repo, settings["BASE_IRI"], folder, progress=step)
    except (StoreError, OSError, subprocess.CalledProcessError) as exc:
        raise Refused(f"The dumps could not be made (the previous ones are kept): {exc}") from None
    finally:
        repo.close()
    if manifest is None:     # never: regenerate waits for a running generator, then generates
        raise Refused("The dumps could not be made: another generator held the lock.")
    for entry in manifest["files"]:
        click.echo(f"{Path(manifest['directory']) / entry['file']}  {entry['size']} bytes  "
                   f"sha256:{entry['sha256']}")
    click.echo(f"{manifest['triples']} triples, generated {manifest['generated']}.")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_context
def backup(ctx: click.Context, directory: str):
    """Write everything — the main store and the private one — to DIRECTORY: one dataset.nq.gz
    and a manifest with its SHA-256. Works the same for the embedded and the remote store."""
    folder = Path(directory)
    repo = _repo(ctx)          # first: a refused store leaves no empty backup folder behind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with gzip.open(folder / "dataset.nq.gz", "wb") as handle:
            # Main first: an upload committed in between leaves at worst an orphan report in
            # the backup (as a crash would), never an upload without its report.
            for store in (repo, repo.private):
                store.export(handle)
        count = repo.quad_count() + repo.private.quad_count()
    finally:
        repo.close()
    sha = hashlib.sha256((folder / "dataset.nq.gz").read_bytes()).hexdigest()
    manifest = {"format": "application/n-quads+gzip", "file": "dataset.nq.gz", "sha256": sha,
                "quads": count, "base_iri": _settings(ctx)["BASE_IRI"],
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    click.echo(f"Backed up {count} quads to {folder}.")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.pass_context
def restore(ctx: click.Context, directory: str):
    """Replace both stores with the backup in DIRECTORY (checksum verified first): private
    graphs go to the private store, the rest to the main one. Restoring a backup of a store
    made before private data had a store of its own migrates it."""
    folder = Path(directory)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        data = (folder / manifest["file"]).read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise Refused(
            f"{folder} is not a backup made by `licence-registry backup`: {exc}") from None
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise Refused(f"{folder / manifest['file']} does not match the SHA-256 in its manifest: "
                      "the backup is damaged; nothing was changed.")
    from .baseiri import dataset_bases, mismatch_message, record_base
    from .history import mark_superseded
    from .store.privacy import split_nquads

    # The store's present base does not matter (all of it is replaced); the backup's does.
    repo = _repo(ctx, create=True, check=False)
    try:
        scratch = repo.scratch_dir()
        with tempfile.NamedTemporaryFile(suffix=".nq", dir=scratch) as public, \
                tempfile.NamedTemporaryFile(suffix=".nq", dir=scratch) as private:
            with gzip.open(folder / manifest["file"]) as source:
                split_nquads(source, public, private)
            public.flush()
            private.flush()
            bases = dataset_bases(Path(public.name), Path(private.name))
            problem = mismatch_message(bases, _settings(ctx)["BASE_IRI"], f"backed up in {folder}")
            if problem:
                own = bases.recorded or bases.catalogues[0]
                raise Refused(f"{problem}\nNothing was changed. To restore it under its own "
                              f"base, run restore with --base-iri {own}.")
            repo.private.replace_all(Path(private.name))
            repo.replace_all(Path(public.name))
        if bases.recorded is None and bases.catalogues:      # a backup from before bases were
            record_base(repo, _settings(ctx)["BASE_IRI"])    # recorded
        marked = mark_superseded(repo)           # a backup from before records carried it
        count = repo.quad_count()
        private_count = repo.private.quad_count()
    finally:
        repo.close()
    _public_data_changed(ctx)
    click.echo(f"Restored {count + private_count} quads from {folder} "
               f"({private_count} in the private store)"
               + (f"; marked {marked} replaced records." if marked else "."))


def _base_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .settings import SETTINGS

    try:
        return next(s for s in SETTINGS if s.name == "BASE_IRI").parse(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} {exc}") from None


@main.command("migrate-base")
@click.option("--from", "old", required=True, metavar="IRI", callback=_base_option,
              help="The base IRI the store was minted under (the one a refusal names).")
@click.option("--to", "new", required=True, metavar="IRI", callback=_base_option,
              help="The base IRI to re-mint it under; serve it and run every command with "
              "this one afterwards.")
@click.pass_context
def migrate_base(ctx: click.Context, old: str, new: str):
    """Re-mint the store under a new base IRI: every IRI that starts with the --from base
    (subjects, objects, graph names; the main store and the private one) is rewritten to
    start with the --to base, and the base recorded in the store becomes --to.

    The only command that runs on a store minted under another base than --base-iri (which it
    ignores). Each store changes in one atomic step, the main store first; if the command is
    interrupted between the two, every command refuses the store and names this command to
    run again, which finishes the work. Agency keys keep working (only their hashes are
    stored); record fingerprints are recomputed, so unchanged rows uploaded again stay
    unchanged. The dumps are regenerated at the next look at them.

    Stop `serve` first: a running service keeps its base and its /health reports the
    mismatch. Needs free disk for about three copies of the store as N-Quads (the store's
    tmp/ directory, or the temporary directory for a remote store).
    """
    from .baseiri import store_bases, where
    from .rebase import RebaseRefused, migrate

    if old == new:
        raise click.UsageError("--from and --to are the same base IRI: nothing to re-mint.")
    repo = _repo(ctx, check=False)
    try:
        minted = store_bases(repo).all
        if old not in minted:
            raise Refused(f"The store {where(_settings(ctx))} holds nothing minted under {old}; "
                          + (f"it was minted under {', '.join(sorted(minted))}."
                             if minted else "nothing is minted in it yet (run init)."))
        total = repo.quad_count() + repo.private.quad_count()
        with _progress(total, f"re-minting under {new}", "quad") as bar:
            result = migrate(repo, old, new, progress=bar.update, stage=bar.set_description)
    except (RebaseRefused, StoreError) as exc:
        raise Refused(str(exc)) from None
    finally:
        repo.close()
    _public_data_changed(ctx)
    click.echo(f"Re-minted under {new}: {result.rewritten} of "
               f"{result.main_quads + result.private_quads} quads named {old} "
               f"({result.private_quads} quads in the private store); "
               f"{result.fingerprints} record fingerprints recomputed"
               + (f", {result.fingerprints_kept} kept as they were." if result.fingerprints_kept
                  else "."))
    if _settings(ctx)["BASE_IRI"] != new:
        click.echo(f"Serve it and run commands with --base-iri {new} "
                   f"(or LICENCE_REGISTRY_BASE_IRI={new}).", err=True)


@main.command("sync-replica")
@click.pass_context
def sync_replica(ctx: click.Context):
    """Copy the main remote store whole to the SPARQL replica (SPARQL_STORE_URL).

    Needed once when the replica is set up, and again if it ever missed a commit (/sparql then
    answers 503 saying so). Holds the write lease while copying, so no commit falls between.
    """
    from .store import StoreError

    repo = _repo(ctx)
    try:
        if not hasattr(repo, "sync_replica"):
            raise click.UsageError("sync-replica needs a remote store (--store-url) with "
                                   "LICENCE_REGISTRY_SPARQL_STORE_URL set.")
        with tempfile.TemporaryDirectory() as scratch:
            click.echo("Copying the main store to the SPARQL replica…")
            size = repo.sync_replica(Path(scratch) / "main.nq")
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        repo.close()
    click.echo(f"The SPARQL replica now holds the main store ({size:,} bytes of N-Quads).")


def _public_data_changed(ctx: click.Context) -> None:
    """After a commit the dumps' licence state does not show (catalogue, link checks, restore):
    the web service regenerates the dumps at the next look at them."""
    from catalogue.dumps import mark_stale

    mark_stale(_settings(ctx))


@main.command("check-links")
@click.option("--agency", metavar="CODE", help="Only the licences this agency issued; other "
              "agencies' results are left as they are.")
@click.pass_context
def check_links(ctx: click.Context, agency: str | None):
    """Check that licences' document URLs still answer and record, per document, when it was
    last checked, last reachable and what it answered (graph {BASE}/graph/link-checks/{issuer}).

    https only; redirects followed by hand (at most 5); URLs whose host resolves to a private,
    loopback, link-local, multicast or reserved address are refused without a request. Broken
    links are findings: they are listed and the exit code is still 0. Exit 1 when the store or
    the agency is invalid.
    """
    from resolver.linkcheck import (
        Policy,
        check_urls,
        documents_to_check,
        record_results,
        recorded_issuers,
    )

    settings = _settings(ctx)
    base = settings["BASE_IRI"]
    repo = _repo(ctx)
    try:
        if not is_initialised(repo, base):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        if agency is not None and agency not in load_catalogue(repo).agencies:
            raise Refused(f"Unknown agency {agency!r}.")
        targets = documents_to_check(repo, base, agency)
        urls = sorted({t.url for t in targets})
        with _progress(len(urls), "checking links", "link") as bar:
            results = check_urls(urls, Policy.from_settings(settings), progress=bar.update)
        issuers = {agency} if agency else recorded_issuers(repo, base)
        summary = record_results(repo, base, targets, results, issuers)
    finally:
        repo.close()
    _public_data_changed(ctx)
    for target, result in summary.problems:
        click.echo(f"{target.licence}\t{result.status}\t{target.url}")
    click.echo(f"Checked {summary.checked} licence documents ({len(urls)} URLs): "
               f"{summary.reachable} reachable, {summary.unreachable} unreachable, "
               f"{summary.refused} refused.")


@main.command()
@click.option("--demo", is_flag=True, help="Into a store without licences only: initialise "
              "it if needed and load demo licences first. A store that holds any licence is "
              "served as it is (one line says so).")
@click.option("--demo-count", default=2000, show_default=True, type=click.IntRange(1),
              help="How many demo licences --demo loads.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
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
    from .baseiri import check_in_fresh_process

    settings = _settings(ctx)
    problem = check_in_fresh_process(settings)     # the master never opens the store itself
    if problem:
        raise Refused(problem)
    if demo:
        from .demoload import load_demo_into
        from .server import in_fresh_process

        in_fresh_process(load_demo_into, dict(settings), demo_count)   # see in_fresh_process
    from .server import run

    click.echo(f"Serving on http://{host}:{port}/ (store: "
               f"{settings['STORE_URL'] or settings['STORE']})")
    run(settings, host=host, port=port, workers=workers, threads=threads,
        access_log=not no_access_log)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="licence-registry")
