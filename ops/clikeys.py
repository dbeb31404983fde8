"""The register's signing keys from the command line: `keys rotate`, `keys list`, and the key
file that `init` makes (registry/signingkeys.py, registry/didweb.py)."""

from __future__ import annotations

import datetime as dt

import click

from ops.clibase import Refused, main, open_store, settings_of
from ops.keyfiles import ensure_keys
from registry.didweb import did_document_path, did_for_base
from registry.signingkeys import SigningKeyError, SigningKeys, signing_keys_path


def _key_file(ctx: click.Context) -> SigningKeys:
    return SigningKeys(signing_keys_path(settings_of(ctx)))


def _did(ctx: click.Context) -> str:
    try:
        return did_for_base(settings_of(ctx).base_iri)
    except ValueError as exc:
        raise Refused(f"The base IRI cannot name the register's DID: {exc}.") from None


def ensure_key_file(ctx: click.Context) -> str:
    """Make the settings' key files if they are absent (for `init`): the credentials' and the
    log's; lines saying what was done. An existing file is checked and kept."""
    try:
        return "\n".join(ensure_keys(settings_of(ctx)))
    except (SigningKeyError, OSError) as exc:
        raise Refused(str(exc)) from None


@main.command("keys")
@click.argument("action", type=click.Choice(["rotate", "list"]))
@click.pass_context
def keys_command(ctx: click.Context, action: str):
    """Rotate or list the register's signing keys (secret; never printed).

    `keys rotate` adds a new key that signs from now on; the old one is kept, marked retired,
    and stays in the DID document so that credentials it signed still verify. `keys list`
    prints each key's id, when it was made and whether it is retired.

    The key file ($LICENCE_REGISTRY_SIGNING_KEYS, by default keys/signing-keys.json beside
    the store folder) is outside the store, mode 0600. Like every command, these refuse a
    store minted under another base IRI: the DID is made from the base IRI."""
    did = _did(ctx)
    open_store(ctx).close()                         # the store's base is the configured one
    keys = _key_file(ctx)
    try:
        if action == "rotate":
            fresh = keys.rotate(dt.datetime.now(dt.UTC))
            click.echo(f"New signing key {fresh.id}; the older ones are kept, retired.")
            base = settings_of(ctx).base_iri
            click.echo(f"DID {did} (its document: {base}{did_document_path(base)})")
            return
        click.echo(f"DID {did}")
        for key in keys.all_keys():
            state = f"retired {key.retired}" if key.retired else "current"
            click.echo(f"{key.id}  created {key.created}  {state}")
    except (SigningKeyError, OSError) as exc:
        raise Refused(str(exc)) from None
