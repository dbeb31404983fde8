"""A credential bundle: the folder that lets anyone check the register's credentials offline
(SPEC §11; `licence-registry credential-bundle DIR` writes it, `verify-credential --offline
DIR` reads it).

Layout (every file UTF-8 JSON):

    DIR/manifest.json                  {"format", "base", "did", "made", "lists", "contexts"}
    DIR/did.json                       the DID document (every key, retired ones too)
    DIR/status/{purpose}/{n}.json      each status list credential, signed
    DIR/contexts/credentials-v1.jsonld the register's credential context

`contexts` in the manifest maps each context URL to its file. The files are for any verifier;
this program reads contexts only from its own bundled copies, and takes a bundle's context only
for a URL under the bundle's base that it does not know itself (a later version of the
register's context), never in place of one it knows.

The bundle is written into a fresh sibling folder and renamed into place: a reader sees the
old bundle or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry import statuslist
from registry.credentialcheck import list_address
from registry.didweb import did_for_base
from registry.jsonldcontexts import (
    DocumentLoader,
    bundled_loader,
    context_url,
    credential_context,
    credential_context_url,
    w3c_context_urls,
)
from registry.statusstore import next_counter

FORMAT = "licence-registry credential bundle 1"
MANIFEST = "manifest.json"
DID_FILE = "did.json"
CONTEXT_FILE = "contexts/credentials-v1.jsonld"
MAX_FILE_BYTES = 4 * 1024 * 1024       # a signed list is ~1 KB-200 KB; a DID document less


class BundleError(ValueError):
    """A folder that is not a usable credential bundle (the reason names the file)."""


def status_path(purpose: str, number: int) -> str:
    return f"status/{purpose}/{number}.json"


# --- writing ----------------------------------------------------------------------------------

def list_numbers(repo: Any, base: str) -> range:
    """The numbers of the status lists in which some licence has a place."""
    taken = next_counter(repo, base)
    return range(-(-taken // statuslist.LIST_SIZE))


def write_bundle(folder: Path, issuer: Any, now: dt.datetime,
                 progress: Callable[[str], None] = lambda name: None) -> dict:
    """Write the bundle of `issuer` (a CredentialIssuer) into `folder`, replacing a bundle
    already there; the manifest written. `progress(name)` is called after each file."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).is_file():
        raise BundleError(f"{folder} is a folder that holds something other than a credential "
                          "bundle; give an empty or new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.parent / f".{folder.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    fresh.mkdir()                        # the umask's mode, as the bundle's folder will have
    try:
        manifest = _fill(fresh, issuer, now, progress)
        _swap_in(fresh, folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return manifest


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _fill(fresh: Path, issuer: Any, now: dt.datetime, progress: Callable[[str], None]) -> dict:
    _write_json(fresh / DID_FILE, issuer.did_document())
    progress(DID_FILE)
    lists: dict[str, list[int]] = {purpose: [] for purpose in statuslist.PURPOSES}
    for number in list_numbers(issuer.repo, issuer.base):
        for purpose in statuslist.PURPOSES:
            issued = issuer.status_list_credential(purpose, number)
            if issued is None:
                continue
            path = fresh / status_path(purpose, number)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(issued.body)
            lists[purpose].append(number)
            progress(status_path(purpose, number))
    _write_json(fresh / CONTEXT_FILE, credential_context())
    manifest = {"format": FORMAT, "base": issuer.base, "did": issuer.did,
                "made": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lists": lists,
                "contexts": {credential_context_url(issuer.base): CONTEXT_FILE}}
    _write_json(fresh / MANIFEST, manifest)       # last: a folder without it is unfinished
    return manifest


def _swap_in(fresh: Path, folder: Path) -> None:
    if not folder.exists():
        os.rename(fresh, folder)
        return
    old = folder.parent / f".{folder.name}.old-{os.getpid()}"
    os.rename(folder, old)
    os.rename(fresh, folder)
    shutil.rmtree(old, ignore_errors=True)


# --- reading ----------------------------------------------------------------------------------

def _read_json(path: Path) -> Any:
    """The JSON in `path`; None when there is no such file. Raises BundleError when the file
    is there but unreadable."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BundleError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        raise BundleError(f"{path} cannot be read as JSON: {str(exc)[:200]}") from None


class BundleSource:
    """A credential bundle folder as a CredentialSource (registry/credentialcheck.py)."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise BundleError(f"{self.folder} is not a folder")
        manifest = _read_json(self.folder / MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BundleError(f"{self.folder / MANIFEST} is missing or is not a credential "
                              f"bundle manifest ({FORMAT!r}); make the bundle with "
                              "`licence-registry credential-bundle DIR`")
        base = manifest.get("base")
        try:
            self.did = did_for_base(base) if isinstance(base, str) else ""
        except ValueError:
            self.did = ""
        if not self.did or manifest.get("did") != self.did:
            raise BundleError(f"{self.folder / MANIFEST}: its base and did do not agree")
        self.base: str = base if isinstance(base, str) else ""
        self.made = manifest.get("made")
        self.loader: DocumentLoader = bundled_loader(self.base, self._contexts(manifest))

    def _contexts(self, manifest: dict) -> dict[str, dict]:
        known = w3c_context_urls() | {credential_context_url(self.base), context_url(self.base)}
        extra: dict[str, dict] = {}
        named = manifest.get("contexts")
        for url, name in (named.items() if isinstance(named, dict) else ()):
            if not isinstance(url, str) or url in known or not url.startswith(self.base + "/") \
                    or not isinstance(name, str) or ".." in name or name.startswith("/"):
                continue
            document = _read_json(self.folder / name)
            if isinstance(document, dict):
                extra[url] = document
        return extra

    def did_document(self) -> dict | None:
        found = _read_json(self.folder / DID_FILE)
        return found if isinstance(found, dict) else None

    def status_list(self, url: str) -> Any:
        address = list_address(self.base, url)
        if address is None:
            return None
        try:
            return _read_json(self.folder / status_path(*address))
        except BundleError as exc:
            return str(exc)             # there but unreadable: reported as an invalid list
