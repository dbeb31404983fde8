"""`licence-registry log monitor URL --state FILE`: the witness an outside party runs (SPEC §12,
registry/logmonitor.py). The coordinator attaches `monitor_command` to the `log` group."""

from __future__ import annotations

from pathlib import Path

import click
import requests

from ops.clibase import RegistryCommand
from registry.logmonitor import (
    CannotCheck,
    LogClient,
    LogFailure,
    StateError,
    log_url,
    monitor,
)
from registry.signednote import KeyFormatError, parse_verifier_key

NOT_CONSISTENT = 1
BAD_USAGE = 2
UNREACHABLE = 3


class _Failed(click.ClickException):
    """The log failed a check: exit 1 with the reason (and the note that failed, if any)."""

    exit_code = NOT_CONSISTENT


class _StateUnusable(click.ClickException):
    exit_code = BAD_USAGE


class _Unreachable(click.ClickException):
    exit_code = UNREACHABLE


def _pinned(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_verifier_key(value.strip())
    except KeyFormatError as exc:
        raise click.BadParameter(f"not a verifier key (name+keyid+base64): {exc}",
                                 param_hint="--key") from None
    return value.strip()


def _monitor(url: str, state: Path, key: str | None) -> None:
    """Check that the register's public log at URL only grew since the last run: fetch its
    signed checkpoint (URL/log/checkpoint), check the signature with the key(s) the state
    file trusts, and prove with an RFC 9162 consistency proof that the new tree extends the
    one seen last time. Then keep the new checkpoint in the state file.

    URL is the register's base (https://licences.example.go.th) or its log (…/log). The
    state FILE (JSON: origin, trusted keys, last size and root, the last signed checkpoint,
    when it was seen) is written atomically, and only when every check passed: a failed run
    leaves the last good checkpoint in place, and prints the checkpoint that failed as
    evidence.

    First run (no FILE yet): trust on first use of the key at URL/log/key, and say so; or
    pin the key with --key (then URL/log/key must be that key, or a rotation from it
    announced in the log). Later runs accept a checkpoint signed by a new key only when the
    log's new entries announce the rotation: a `key` entry signed by the trusted key and
    proven included in the new tree; the new key then replaces the old one.

    Requests time out after 10 s, redirects to another host are not followed, and answers
    are of bounded size (a checkpoint at most 1 MiB). Run it on a schedule (cron) and alert
    on exit code 1.

    Exit codes: 0 consistent (or trusted on first use); 1 NOT consistent or not verified:
    bad signature, unknown key, another origin, a smaller tree, a rewritten history, or an
    answer not of the log's shape; 2 usage error, or the state file cannot be used (move it
    away to start again); 3 the register could not be asked (network, timeout, HTTP error):
    nothing learnt, try again later."""
    pinned = _pinned(key)
    try:
        base = log_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    with requests.Session() as session:
        try:
            outcome = monitor(LogClient(session, base), state, pinned)
        except LogFailure as exc:
            if exc.evidence:
                click.echo("The checkpoint that failed:\n" + exc.evidence, err=True)
            raise _Failed(f"NOT consistent: {exc}. The state file {state} still holds the "
                          "last good checkpoint.") from None
        except StateError as exc:
            raise _StateUnusable(f"{exc}.") from None
        except CannotCheck as exc:
            raise _Unreachable(f"Could not check the log: {exc}. Nothing was learnt; try "
                               "again later.") from None
    new = outcome.state
    if outcome.trusted_first is not None:
        how = "Pinned with --key" if pinned else "Trusted on first use"
        click.echo(f"{how}: {outcome.trusted_first}")
    for rotated in outcome.rotations:
        click.echo(f"Key rotation announced in the log and now trusted: {rotated}")
    if outcome.previous_size is None:
        click.echo(f"Log {new.origin}: checkpoint of {new.size} entries saved to {state}.")
    elif outcome.previous_size == new.size:
        click.echo(f"consistent: {new.size} entries, unchanged ({new.origin}).")
    else:
        click.echo(f"consistent: {outcome.previous_size} → {new.size} entries ({new.origin}).")


monitor_command = click.command("monitor", cls=RegistryCommand)(
    click.argument("url", metavar="URL")(
        click.option("--state", "state", required=True, metavar="FILE",
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="The monitor's state file (JSON); made on the first run.")(
            click.option("--key", "key", metavar="VKEY", default=None,
                         help="Pin the log's verifier key (name+keyid+base64) on the first "
                         "run instead of trusting URL/log/key.")(_monitor))))
