"""Issuing credentials on demand (SPEC §11): a licence version as a signed VC 2.0, a status
list as a signed BitstringStatusListCredential, and the register's DID document.

Nothing is signed at upload time: a 100,000-licence load would otherwise pay for 100,000
signatures that few will ever ask for. A credential is signed the first time it is asked for
and kept in a bounded cache keyed by what it is made from — the licence's version (a version
never changes), the status list's text, and the signing key — so a rotation re-signs.

Signing is deterministic (Ed25519 signs deterministically, and every input is stored): the
proof's `created` is when the version was recorded, or when the signing key was made if that
is later (a signature cannot predate its key). Every web worker therefore serves the same bytes
for the same version, and the ETag is the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from registry import (
    credential,
    credentialrdf,
    dataintegrity,
    didweb,
    history,
    identifiers,
    statuslist,
)
from registry import recordterms as terms
from registry.errors import RegistryError
from registry.jsonldcontexts import bundled_loader
from registry.signingkeys import SigningKey, SigningKeys
from registry.statusstore import status_list, status_list_modified
from registry.store import Repository

CACHE_SIZE = 20_000          # signed credentials kept per process (~3 KB each: ~60 MB at most)
MEDIA_TYPE = "application/vc"


class CredentialUnavailable(RegistryError):
    """The licence exists but has no status position yet (a store from before status lists
    where `init` has not run since)."""

    status = 503
    code = "credential-unavailable"
    title = "The credential cannot be issued yet"


@dataclass(frozen=True)
class IssuedCredential:
    """A signed credential as served: its JSON bytes and their validator."""

    body: bytes
    etag: str
    version: int            # the licence version (0 for a status list)
    latest: bool            # the licence's current version (or a status list): may change


def _later(first: str, second: str) -> str:
    """The later of two xsd:dateTime texts in UTC (`…Z`)."""
    def moment(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return first if moment(first) >= moment(second) else second


def _serialised(document: dict) -> tuple[bytes, str]:
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:32]


class _Cache:
    """A small thread-safe LRU of signed credentials."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, IssuedCredential] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], IssuedCredential]
                    ) -> IssuedCredential:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = make()                    # outside the lock: signing is the slow part
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made


class CredentialIssuer:
    """The register's signer, for one store and base IRI; the key file is read on each call
    (`keys rotate` takes effect without a restart)."""

    def __init__(self, repo: Repository, base: str, keys: SigningKeys, *,
                 cache_size: int = CACHE_SIZE):
        self.repo = repo
        self.base = base
        self.keys = keys
        self.did = didweb.did_for_base(base)
        self.loader = bundled_loader(base)
        self._cache = _Cache(cache_size)

    def did_document(self) -> dict:
        return didweb.did_document(self.base, self.keys.all_keys())

    def _sign(self, document: dict, key: SigningKey, created: str,
              statements: list | None = None) -> dict:
        """Sign `document`; a licence credential (`statements`: its record) the fast way,
        its canonical text written from the triples (registry/credentialrdf.py), unless it
        holds something only the general way (pyld + RDFC-1.0) can vouch for."""
        method = didweb.verification_method_id(self.did, key)
        if statements is not None:
            def canonical(unsecured: dict, proof_options: dict) -> tuple[str, str]:
                return (credentialrdf.canonical_proof_config(proof_options),
                        credentialrdf.canonical_credential(statements, unsecured, self.base))
            try:
                return dataintegrity.sign(document, secret_key=key.secret_key,
                                          verification_method=method, created=created,
                                          loader=self.loader, canonical=canonical)
            except credentialrdf.NotFastPath:
                pass
        return dataintegrity.sign(document, secret_key=key.secret_key,
                                  verification_method=method, created=created,
                                  loader=self.loader)

    def licence_credential(self, key: identifiers.LicenceKey, version: int | None = None
                           ) -> IssuedCredential | None:
        """The licence's current version (or version `version`) as a signed credential; None
        when the register has no such licence or version."""
        chosen = self.version(key, version)
        if chosen is None:
            return None
        signing_key = self.keys.current_key()
        latest = chosen.graph == identifiers.licence_graph_iri(self.base, key)
        cache_key = ("licence", chosen.graph, chosen.number, chosen.modified, signing_key.id)

        def make() -> IssuedCredential:
            statements = history.record_triples(self.repo, chosen)
            counter = self._counter(statements, identifiers.licence_iri(self.base, key))
            unsigned = credential.unsigned_credential(
                statements, base=self.base, did=self.did, key=key, version=chosen.number,
                status_entries=statuslist.licence_entries(self.base, counter))
            signed = self._sign(unsigned, signing_key,
                                _later(chosen.modified, signing_key.created), statements)
            body, etag = _serialised(signed)
            return IssuedCredential(body, etag, chosen.number, latest)

        # The graph is in the key, and whether it is the current one decides `latest`.
        return self._cache.get_or_make(cache_key, make)

    def version(self, key: identifiers.LicenceKey, number: int | None
                 ) -> history.Version | None:
        """The version asked for (the current one when `number` is None), from index lookups
        in its graph: no query, since this is on every request. The current record is in the
        licence's graph, each replaced one in `…/version/N`."""
        licence = identifiers.licence_iri(self.base, key)
        current = identifiers.licence_graph_iri(self.base, key)
        found = self._version_in(licence, current)
        if found is None or number is None or found.number == number:
            return found
        if not 1 <= number < found.number:
            return None
        return self._version_in(licence, identifiers.licence_version_graph_iri(
            self.base, key, number))

    def _version_in(self, licence: str, graph: str) -> history.Version | None:
        numbers = self.repo.objects(licence, terms.VERSION.value, graph)
        modified = self.repo.objects(licence, terms.MODIFIED.value, graph)
        if not numbers or not modified:
            return None
        return history.Version(int(numbers[0].value), modified[0].value, "", graph)

    def _counter(self, statements: list, licence_iri: str) -> int:
        for s in statements:
            if s.subject.value == licence_iri and s.predicate == terms.STATUS_COUNTER:
                return int(s.object.value)
        raise CredentialUnavailable(
            f"The licence {licence_iri} has no place in the status lists yet; the register's "
            "operator runs `licence-registry init` to give every licence one.")

    def status_list_credential(self, purpose: str, number: int) -> IssuedCredential | None:
        """Status list `number` of `purpose` as a signed BitstringStatusListCredential; None
        when no licence has a place in it. Raises ValueError for an unknown purpose."""
        bits = status_list(self.repo, self.base, purpose, number)
        if bits is None:
            return None
        encoded = bits.encode()
        modified = status_list_modified(self.repo, self.base, purpose, number)
        signing_key = self.keys.current_key()
        valid_from = modified or signing_key.created
        cache_key = ("status", purpose, number, hashlib.sha256(encoded.encode()).hexdigest(),
                     valid_from, signing_key.id)

        def make() -> IssuedCredential:
            unsigned = statuslist.status_list_credential(
                statuslist.list_url(self.base, purpose, number), purpose, self.did,
                dt.datetime.fromisoformat(valid_from.replace("Z", "+00:00")), encoded)
            signed = self._sign(unsigned, signing_key, _later(valid_from, signing_key.created))
            body, etag = _serialised(signed)
            return IssuedCredential(body, etag, 0, True)

        return self._cache.get_or_make(cache_key, make)
