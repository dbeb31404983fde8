"""Checking credentials from the command line (SPEC §11): `verify-credential FILE [--offline
DIR]` and `credential-bundle DIR`, the folder that lets a credential be checked offline
(registry/credentialcheck.py, registry/credentialbundle.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ops.clibase import Refused, main, open_store, progress_bar, settings_of
from registry.credentialbundle import BundleError, BundleSource, write_bundle
from registry.credentialcheck import (
    CheckResult,
    CredentialSource,
    IssuerSource,
    check_credential,
    parse_credential,
)
from registry.dataintegrity import MAX_DOCUMENT_CHARS
from registry.signingkeys import SigningKeyError, SigningKeys, signing_keys_path

NOT_VERIFIED = 1


def _issuer(ctx: click.Context, repo):
    from registry.credentialissue import CredentialIssuer

    settings = settings_of(ctx)
    keys = SigningKeys(signing_keys_path(settings))
    try:
        keys.all_keys()
    except (SigningKeyError, OSError) as exc:
        repo.close()
        raise Refused(f"The register's signing keys cannot be read: {exc}") from None
    return CredentialIssuer(repo, settings.base_iri, keys)


def _read_input(name: str) -> str | bytes:
    limit = MAX_DOCUMENT_CHARS * 4
    try:
        if name == "-":
            return sys.stdin.buffer.read(limit + 1)
        with open(name, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise Refused(f"Cannot read {name}: {exc.strerror or exc}.") from None


def _report(result: CheckResult, name: str) -> None:
    click.echo(f"Credential: {name}")
    licence = result.licence
    for label, value in (("Licence / ใบอนุญาต", licence.iri),
                         ("Number / เลขที่", licence.number),
                         ("Holder / ผู้ถือ", licence.holder),
                         ("Valid until / ใช้ได้ถึง", result.valid_until or "")):
        if value:
            click.echo(f"{label}: {value}")
    proof = "ผ่าน / verified" if result.verified else "ไม่ผ่าน / NOT verified"
    click.echo(f"Proof / ลายมือชื่อ: {proof}")
    click.echo(f"Effective status / สถานะ: {result.effective_status}")
    click.echo(f"  {result.status_th}")
    click.echo(f"  {result.status_en}")
    for problem in result.problems:
        click.echo(f"Problem / ปัญหา [{problem.code}]")
        click.echo(f"  {problem.th}")
        click.echo(f"  {problem.en}")
        if problem.detail:
            click.echo(f"  ({problem.detail})")


@main.command("verify-credential")
@click.argument("file", metavar="FILE")
@click.option("--offline", "offline", metavar="DIR", default=None,
              help="Check against the credential bundle in DIR (made by `credential-bundle`) "
              "instead of the register's store; no store is opened.")
@click.pass_context
def verify_credential_command(ctx: click.Context, file: str, offline: str | None):
    """Check a licence credential: its proof, its issuer and its revocation and suspension
    status, and print its effective status in Thai and English.

    FILE is the credential (JSON; `-` reads it from standard input). Online (the default) it
    is checked against the register's own DID document and status lists, from the store the
    settings name; with --offline DIR, against the bundle in DIR only. Nothing is fetched from
    the network: JSON-LD contexts are the ones bundled with the register.

    The effective status is revoked, suspended, expired, not-yet-valid, active, or unknown
    when the check could not be completed.

    Exit codes: 0 the credential verified and its status was read (whatever the status: read
    the printed one); 1 not verified, status unknown, or the input is not a credential; 2
    usage error."""
    now = dt.datetime.now(dt.UTC)
    repo = None
    source: CredentialSource
    if offline is not None:
        try:
            source = BundleSource(offline)
        except BundleError as exc:
            raise Refused(f"The bundle cannot be used: {exc}.") from None
    else:
        repo = open_store(ctx)
        source = IssuerSource(_issuer(ctx, repo))
    try:
        document, problem = parse_credential(_read_input(file))
        if problem is not None:
            raise Refused(f"{file} is not a credential [{problem.code}]: {problem.en} "
                          f"({problem.detail}) / {problem.th}")
        result = check_credential(document, source, now)
    finally:
        if repo is not None:
            repo.close()
    _report(result, file)
    if not result.complete:
        ctx.exit(NOT_VERIFIED)


@main.command("credential-bundle")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def credential_bundle_command(ctx: click.Context, folder: Path):
    """Write what checking the register's credentials offline needs into DIR: the DID
    document, every status list credential (signed) and the register's credential context.

    Layout: DIR/manifest.json (base IRI, DID, when it was made, the lists), DIR/did.json,
    DIR/status/{purpose}/{n}.json, DIR/contexts/credentials-v1.jsonld. The bundle is written
    beside DIR and renamed into place, replacing an earlier bundle there; a folder holding
    anything else is refused. A bundle says the status on the day it was made: make it again
    to see later revocations and suspensions. Use it with `verify-credential --offline DIR`."""
    repo = open_store(ctx)
    try:
        issuer = _issuer(ctx, repo)
        with progress_bar(None, "Credential bundle", "file") as bar:
            manifest = write_bundle(folder, issuer, dt.datetime.now(dt.UTC),
                                    progress=lambda name: bar.update(1))
    except (BundleError, OSError) as exc:
        raise Refused(f"Cannot write the bundle: {exc}") from None
    except SigningKeyError as exc:
        raise Refused(f"The register's signing keys cannot be read: {exc}") from None
    finally:
        repo.close()
    count = sum(len(numbers) for numbers in manifest["lists"].values())
    click.echo(f"Credential bundle written to {folder}: the DID document of {manifest['did']}, "
               f"{count} status list(s), made {manifest['made']}.")
