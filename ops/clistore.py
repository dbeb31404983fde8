"""The store's upkeep from the command line: dump, dumps, backup, restore, migrate-base,
sync-replica and check-links (registered on the `licence-registry` group)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import click

from ops import clibase
from ops.clibase import Refused, main
from ops.clicodes import resolve_agency
from registry.bootstrap import is_initialised, load_catalogue
from registry.store import StoreError


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.pass_context
def dump(ctx: click.Context, out: str):
    """Write the public data (the main store; never the private one) as N-Quads; OUT ending
    in .gz is gzip-compressed. Prints the SHA-256 of the file."""
    import pyoxigraph as ox

    from registry.bootstrap import is_public_graph

    base = clibase.settings_of(ctx).base_iri
    repo = clibase.open_store(ctx)
    opener = gzip.open if out.endswith(".gz") else open
    try:
        with tempfile.TemporaryFile() as raw, \
                clibase.progress_bar(repo.quad_count(), "dump: exporting", "quad") as bar:
            repo.export(raw)
            raw.seek(0)
            bar.set_description("dump: writing")
            with opener(out, "wb") as handle:
                # The main store holds public data only; filtered anyway, for a store made
                # before private data had a store of its own and not yet migrated.
                quads = clibase.counted(ox.parse(raw, format=ox.RdfFormat.N_QUADS), bar)
                public = (q for q in quads if isinstance(q.graph_name, ox.DefaultGraph)
                          or is_public_graph(base, q.graph_name.value))
                # pyoxigraph writes to any binary file; its stubs ask for IO[bytes] alone.
                ox.serialize(public, handle, format=ox.RdfFormat.N_QUADS)  # type: ignore[arg-type]
    finally:
        repo.close()
    click.echo(f"{out} sha256:{_sha256(Path(out))}")


def _sha256(path: Path) -> str:
    """The file's SHA-256, read a block at a time (a dump or backup can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    from opendata.dumpgen import STAGES, regenerate
    from opendata.dumpgen import dumps_dir as default_dumps_dir
    from registry.store.opening import open_checkpoint_reader

    settings = clibase.settings_of(ctx)
    folder = Path(dumps_dir) if dumps_dir else default_dumps_dir(settings)
    # Served: the newest checkpoint, never the store's lock; else the store itself.
    repo = open_checkpoint_reader(settings)
    if repo is not None:
        # public data only: the catalogue graph's base is checked
        clibase.check_store_base(ctx, repo)
    repo = repo or clibase.open_store(ctx)
    try:
        with clibase.progress_steps("dumps", STAGES) as step:
            manifest = regenerate(repo, settings.base_iri, folder, progress=step)
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
    # first: a refused store leaves no empty backup folder behind
    repo = clibase.open_store(ctx)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with clibase.progress_steps("backup", ("main store", "private store", "checksum")) \
                as step:
            with gzip.open(folder / "dataset.nq.gz", "wb") as handle:
                # Main first: an upload committed in between leaves at worst an orphan report
                # in the backup (as a crash would), never an upload without its report.
                for name, store in (("main store", repo), ("private store", repo.private)):
                    step(name)
                    store.export(handle)
            count = repo.quad_count() + repo.private.quad_count()
            step("checksum")
            sha = _sha256(folder / "dataset.nq.gz")
    finally:
        repo.close()
    manifest = {"format": "application/n-quads+gzip", "file": "dataset.nq.gz", "sha256": sha,
                "quads": count, "base_iri": clibase.settings_of(ctx).base_iri,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    click.echo(f"Backed up {count} quads to {folder}.")


_RESTORE_STEPS = ("reading", "private store", "main store", "replaced records")


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
        with clibase.progress_steps("restore", ("checksum",)) as step:
            step("checksum")
            sha = _sha256(folder / manifest["file"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused(
            f"{folder} is not a backup made by `licence-registry backup`: {exc}") from None
    if sha != manifest["sha256"]:
        raise Refused(f"{folder / manifest['file']} does not match the SHA-256 in its manifest: "
                      "the backup is damaged; nothing was changed.")
    from registry import statusstore
    from registry.baseiri import dataset_bases, mismatch_message, record_base
    from registry.history import mark_superseded
    from registry.statsrebuild import ensure_cube
    from registry.store.privacy import split_nquads

    # The store's present base does not matter (all of it is replaced); the backup's does.
    repo = clibase.open_store(ctx, create=True, check=False)
    try:
        scratch = repo.scratch_dir()
        with tempfile.NamedTemporaryFile(suffix=".nq", dir=scratch) as public, \
                tempfile.NamedTemporaryFile(suffix=".nq", dir=scratch) as private, \
                clibase.progress_steps("restore", _RESTORE_STEPS) as step:
            step("reading")
            with gzip.open(folder / manifest["file"]) as source:
                split_nquads(source, public, private)
            public.flush()
            private.flush()
            bases = dataset_bases(Path(public.name), Path(private.name))
            problem = mismatch_message(bases, clibase.settings_of(ctx).base_iri,
                                       f"backed up in {folder}")
            if problem:
                own = bases.recorded or bases.catalogues[0]
                raise Refused(f"{problem}\nNothing was changed. To restore it under its own "
                              f"base, run restore with --base-iri {own}.")
            base = clibase.settings_of(ctx).base_iri
            reached = statusstore.next_counter(repo, base)  # the replaced store's
            step("private store")
            repo.private.replace_all(Path(private.name))
            step("main store")
            repo.replace_all(Path(public.name))
            step("replaced records")
            if bases.recorded is None and bases.catalogues:  # a backup from before bases were
                record_base(repo, base)                                  # recorded
            marked = mark_superseded(repo)       # a backup from before records carried it
            # Status positions: never handed out twice; a backup from before status lists
            # gets them, as `init` gives them.
            statusstore.keep_counter_at_least(repo, base, reached)
            statusstore.assign_missing_positions(repo, base, dt.datetime.now(dt.UTC))
            ensure_cube(repo, base)             # a backup from before the statistics cube
        from ops.clisearch import rebuild_index
        indexed = rebuild_index(clibase.settings_of(ctx), repo)     # never the old store's
        count = repo.quad_count()
        private_count = repo.private.quad_count()
    finally:
        repo.close()
    clibase.public_data_changed(ctx)
    click.echo(f"Restored {count + private_count} quads from {folder} "
               f"({private_count} in the private store)"
               + (f"; marked {marked} replaced records." if marked else ".")
               + f" Search index rebuilt: {indexed} current licences.")


def _base_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from registry.settings import SETTINGS

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
    unchanged. The dumps are regenerated at the next look at them. The public log names the
    licences' IRIs and its origin comes from the base, so the old log is dropped and a new one
    (another origin) is built from the versions, in the same order `log init` uses.

    Stop `serve` first: a running service keeps its base and its /health reports the
    mismatch. Needs free disk for about three copies of the store as N-Quads (the store's
    tmp/ directory, or the temporary directory for a remote store).
    """
    from ops.rebase import RebaseRefused, migrate
    from registry.baseiri import store_bases, where
    from registry.checkpoint import log_origin

    if old == new:
        raise click.UsageError("--from and --to are the same base IRI: nothing to re-mint.")
    repo = clibase.open_store(ctx, check=False)
    try:
        minted = store_bases(repo).all
        if old not in minted:
            location = where(clibase.settings_of(ctx))
            raise Refused(f"The store {location} holds nothing minted under {old}; "
                          + (f"it was minted under {', '.join(sorted(minted))}."
                             if minted else "nothing is minted in it yet (run init)."))
        total = repo.quad_count() + repo.private.quad_count()
        with clibase.progress_bar(total, f"re-minting under {new}", "quad") as bar:
            result = migrate(repo, old, new, progress=bar.update, stage=bar.set_description)
    except (RebaseRefused, StoreError) as exc:
        raise Refused(str(exc)) from None
    finally:
        repo.close()
    clibase.public_data_changed(ctx)
    click.echo(f"Re-minted under {new}: {result.rewritten} of "
               f"{result.main_quads + result.private_quads} quads named {old} "
               f"({result.private_quads} quads in the private store); "
               f"{result.fingerprints} record fingerprints recomputed"
               + (f", {result.fingerprints_kept} kept as they were." if result.fingerprints_kept
                  else "."))
    click.echo(f"A new public log was built under {new}: {result.logged} entries (its origin "
               f"is {log_origin(new)}; monitors of the old one must start again with it).")
    if clibase.settings_of(ctx).base_iri != new:
        click.echo(f"Serve it and run commands with --base-iri {new} "
                   f"(or LICENCE_REGISTRY_BASE_IRI={new}).", err=True)


@main.command("sync-replica")
@click.pass_context
def sync_replica(ctx: click.Context):
    """Copy the main remote store whole to the SPARQL replica (SPARQL_STORE_URL).

    Needed once when the replica is set up, and again if it ever missed a commit (/sparql then
    answers 503 saying so). Holds the write lease while copying, so no commit falls between.
    """
    from registry.store import StoreError

    repo = clibase.open_store(ctx)
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
    from ops.linkcheck import Policy, check_urls
    from registry.linkchecks import documents_to_check, record_results, recorded_issuers

    settings = clibase.settings_of(ctx)
    base = settings.base_iri
    repo = clibase.open_store(ctx)
    try:
        if not is_initialised(repo, base):
            raise Refused("The store has no catalogue: run `licence-registry init` first.")
        if agency is not None:
            agency = resolve_agency(load_catalogue(repo), agency)
        targets = documents_to_check(repo, base, agency)
        urls = sorted({t.url for t in targets})
        with clibase.progress_bar(len(urls), "checking links", "link") as bar:
            results = check_urls(urls, Policy.from_settings(settings), progress=bar.update)
        issuers = {agency} if agency else recorded_issuers(repo, base)
        summary = record_results(repo, base, targets, results, issuers)
    finally:
        repo.close()
    clibase.public_data_changed(ctx)
    for target, result in summary.problems:
        click.echo(f"{target.licence}\t{result.status}\t{target.url}")
    click.echo(f"Checked {summary.checked} licence documents ({len(urls)} URLs): "
               f"{summary.reachable} reachable, {summary.unreachable} unreachable, "
               f"{summary.refused} refused.")
