"""`licence-registry log …`: the public Merkle log from the command line (SPEC §12, issue 15):
`log init` (build the log of a store made before it; make the log key file), `log verify`
(check the log against the store), `log rotate-key` and `log key` (the checkpoint key), and
`log monitor` (ops/clilogmonitor.py, the witness an outside party runs).

Exit codes: 0 done (or nothing to do), 1 refused or the log does not verify (the reasons
printed), 2 usage error."""

from __future__ import annotations

import datetime as dt
import time

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
from ops.clilogmonitor import monitor_command
from ops.keyfiles import ensure_key_file
from registry import logcheck, logleaf, logstore
from registry.loginit import LogInitError, init_log
from registry.logsigning import CheckpointSigner, log_signing_keys, note_verifier_key
from registry.signingkeys import SigningKeyError, SigningKeys, log_keys_path, timestamp


class LogGroup(RegistryGroup, RegistryCommand):
    """The `log` group: takes the global options after its name too (a RegistryCommand, like
    every command of `licence-registry`), but leaves reading the settings to its command, which
    may still be given some after its own name."""


@main.group("log", cls=LogGroup)
@click.pass_context
def log(ctx: click.Context):
    """The register's public, append-only Merkle log of every licence version and upload
    (SPEC §12): build it for an older store, verify it against the store, rotate the key that
    signs its checkpoints, or watch another register's log.

    The log key file ($LICENCE_REGISTRY_LOG_KEYS, by default keys/log-keys.json beside the
    store folder) is outside the store, mode 0600, and separate from the credential signing
    key file."""
    # RegistryCommand read the settings before this command's own options were parsed; they
    # are read again, with them, by the command.
    ctx.meta.pop(_SETTINGS, None)


log.add_command(monitor_command)


def _log_keys(ctx: click.Context) -> SigningKeys:
    return log_signing_keys(log_keys_path(settings_of(ctx)))


def ensure_log_key_file(ctx: click.Context) -> str:
    """Make the log key file if it is absent (for `init` and `log init`); a line saying what
    was done. An existing file is checked and kept."""
    try:
        return ensure_key_file("Log key file", _log_keys(ctx))
    except (SigningKeyError, OSError) as exc:
        raise Refused(str(exc)) from None


@log.command("init")
@click.pass_context
def init_command(ctx: click.Context):
    """Build the log of a store that has licence versions but no log (a store made before the
    log existed), and make the log key file if it is absent.

    Every version graph (current records and kept past versions) and every upload gets one
    entry, in the order the register made them: uploads by time, each upload's versions (by
    licence IRI, then version) followed by the upload's own entry. Each version graph is
    rewritten with the `clc:logIndex` of its entry. It is ONE change set: stopped at any
    moment, the store has the whole log or none of it.

    A store that already has a log is left alone (exit 0). A store whose log does not name
    some of its versions is refused (exit 1): run `log verify` to see them."""
    base = settings_of(ctx).base_iri
    repo = open_store(ctx)
    started = time.perf_counter()
    try:
        with progress_bar(None, "log init", "graph") as bar:
            def total(count: int) -> None:
                bar.total = count
                bar.refresh()
            result = init_log(repo, base, progress=bar.update, on_total=total)
        size = logstore.LogReader(repo, base).size()
    except LogInitError as exc:
        raise Refused(str(exc)) from None
    finally:
        repo.close()
    if result is None:
        click.echo(f"The store already has a log ({size} entries): nothing to do.")
    else:
        click.echo(f"Log built: {size} entries ({result.versions} versions, {result.uploads} "
                   f"uploads), root {logstore.b64(result.root)} — in "
                   f"{time.perf_counter() - started:.1f} s.")
        if result.relabelled:
            click.echo(f"{result.relabelled} versions named entries of a log no longer in the "
                       "store; they now name their entries in this one.")
    click.echo(ensure_log_key_file(ctx))


@log.command("verify")
@click.option("--limit", default=50, show_default=True, metavar="N",
              type=click.IntRange(min=1),
              help="Print at most N problems (all are counted).")
@click.option("--processes", default=None, metavar="N", type=click.IntRange(min=1),
              help="Processes that read the store's versions (default: one per core; the "
                   "read is CPU-bound and shares out evenly).")
@click.pass_context
def verify_command(ctx: click.Context, limit: int, processes: int | None):
    """Recompute every entry of the log from the store and the tree, and report each mismatch
    by licence and version and by log entry.

    Checked: every entry is a well-formed leaf at its place; the stored tree (its leaf-level
    hashes and its root) is the tree of the entries; every licence version in the store names,
    by its clc:logIndex, the entry for that licence and version, whose SHA-256 of the record
    (RDFC-1.0 canonical N-Quads), time and upload are the store's; every entry for a version
    names one the store holds; every upload's entry is recomputed from its upload graph; each
    key rotation is signed by the key before it.

    Exit codes: 0 the log verifies; 1 a mismatch (each one printed) or the store cannot be
    read; 2 usage error."""
    base = settings_of(ctx).base_iri
    repo = open_store(ctx)
    started = time.perf_counter()
    try:
        with progress_bar(None, "log verify", "entry") as bar:
            def total(count: int) -> None:
                bar.total = count
                bar.refresh()
            found = logcheck.check_log(repo, base, progress=bar.update, on_total=total,
                                       processes=processes)
    finally:
        repo.close()
    took = time.perf_counter() - started
    if found.ok:
        click.echo(f"Log verified: {found.size} entries ({found.versions} versions, "
                   f"{found.uploads} uploads, {found.keys} key rotations), root "
                   f"{logstore.b64(found.root)} — in {took:.1f} s.")
        return
    for problem in found.problems[:limit]:
        click.echo(f"MISMATCH {problem}", err=True)
    if len(found.problems) > limit:
        click.echo(f"… and {len(found.problems) - limit} more.", err=True)
    raise Refused(f"The log does NOT verify: {len(found.problems)} problem(s) in {found.size} "
                  f"entries (checked in {took:.1f} s). The store and its log disagree: "
                  "restore both from a backup that verifies, and find out who changed them.")


@log.command("key")
@click.option("--all", "every", is_flag=True,
              help="Print every key the log has used, oldest first (retired ones too).")
@click.pass_context
def key_command(ctx: click.Context, every: bool):
    """Print the log's verifier key (signed-note form, name+keyid+base64): what GET /log/key
    serves and what a monitor pins with `log monitor --key`. Never the secret."""
    base = settings_of(ctx).base_iri
    open_store(ctx).close()                         # the store's base is the configured one
    signer = CheckpointSigner(_log_keys(ctx), base)
    try:
        keys = signer.verifier_keys() if every else [signer.verifier_key()]
    except (SigningKeyError, OSError) as exc:
        raise Refused(str(exc)) from None
    for line in keys:
        click.echo(line)


@log.command("rotate-key")
@click.pass_context
def rotate_key_command(ctx: click.Context):
    """Rotate the key that signs the log's checkpoints, and announce the new key in the log:
    an entry of kind `key` naming the new and the previous verifier key, signed by the previous
    key, so that a monitor trusting the old key learns the new one from the log itself.

    The key file is rewritten first (the old key kept, retired), then the announcement is
    appended. Stopped between the two, the new key signs checkpoints not yet announced: run
    `log rotate-key` again — it announces the rotations the log lacks instead of rotating
    again."""
    base = settings_of(ctx).base_iri
    repo = open_store(ctx)
    try:
        signer = CheckpointSigner(_log_keys(ctx), base)
        try:
            missing = _unannounced(repo, base, signer)
            if not missing:
                previous = signer.keys.current_key()
                new = signer.keys.rotate(dt.datetime.now(dt.UTC))
                missing = [(previous, new)]
                click.echo(f"New log key {new.id}; the older ones are kept, retired.")
            else:
                click.echo(f"{len(missing)} key rotation(s) not yet in the log: announcing "
                           "them (no new key made).")
        except (SigningKeyError, OSError) as exc:
            raise Refused(str(exc)) from None
        when = timestamp(dt.datetime.now(dt.UTC))

        def leaves(first: int) -> list[bytes]:
            return [logleaf.leaf_bytes(signer.key_leaf(first + n, old, fresh, when))
                    for n, (old, fresh) in enumerate(missing)]
        indices = logstore.append_leaves(repo, base, leaves)
    finally:
        repo.close()
    for index, (_, fresh) in zip(indices, missing, strict=True):
        click.echo(f"Announced in the log as entry {index}: "
                   f"{note_verifier_key(signer.origin, fresh)}")


def _unannounced(repo, base: str, signer: CheckpointSigner) -> list:
    """The (previous, new) key pairs of the key file that no key entry of the log announces."""
    reader = logstore.LogReader(repo, base)
    announced = set()
    size = reader.size()
    for start in range(0, size, logstore.TILE_WIDTH):
        for data in reader.entries(start, min(start + logstore.TILE_WIDTH, size)):
            if b'"kind":"key"' in data:
                leaf = logleaf.parse_leaf(data)
                announced.add((leaf.previous, leaf.key))
    return [(old, new) for old, new in signer.handovers()
            if (note_verifier_key(signer.origin, old),
                note_verifier_key(signer.origin, new)) not in announced]
