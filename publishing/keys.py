"""Agency API keys: shown once, stored only as hashes in the private graph, revocable.

A key is 32 random bytes, so a plain SHA-256 is the right hash: there is nothing to brute-force
that a slow hash would protect. The private graph lives in the private store (`repo.private`),
so it is never part of a dump, a page or the public SPARQL endpoint. Every function takes the
main repository (or the private one: its `.private` is itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyoxigraph as ox

from registry import identifiers
from registry.namespaces import CLC, DCT, RDF, XSD
from registry.store import ChangeSet, Repository

KEY_PREFIX = "clc_"
_XSD_DATETIME = XSD.dateTime
_KEY = CLC.apiKey
_HASH = CLC.keyHash
_FOR = CLC.keyFor
_CREATED = DCT.created
_REVOKED = CLC.revoked


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyRecord:
    id: str          # the first characters of the hash: names a key without revealing it
    agency: str
    hash: str
    created: str
    revoked: bool


def _private(base: str) -> str:
    return identifiers.graph_iri(base, "private")


def list_keys(repo: Repository, base: str) -> list[KeyRecord]:
    rows = repo.private.select(
        f"""SELECT ?g ?agency ?hash ?created ?revoked WHERE {{ GRAPH ?g {{
              ?k <{_FOR.value}> ?a ; <{_HASH.value}> ?hash ; <{_CREATED.value}> ?created .
              ?a {DCT.identifier} ?agency .
              OPTIONAL {{ ?k <{_REVOKED.value}> ?revoked }} }} }}""",
        {"g": ox.NamedNode(_private(base))})
    return [KeyRecord(r["hash"].value[:12], r["agency"].value, r["hash"].value,
                      r["created"].value, "revoked" in r) for r in rows]


def _write(repo: Repository, base: str, keys: list[KeyRecord]) -> None:
    graph = ox.NamedNode(_private(base))
    quads = []
    for key in keys:
        node = ox.NamedNode(identifiers.api_key_iri(base, key.hash))
        agency = ox.NamedNode(identifiers.agency_iri(base, key.agency))
        quads += [
            ox.Quad(node, RDF.type, _KEY, graph),
            ox.Quad(node, _HASH, ox.Literal(key.hash), graph),
            ox.Quad(node, _FOR, agency, graph),
            ox.Quad(agency, DCT.identifier, ox.Literal(key.agency), graph),
            ox.Quad(node, _CREATED, ox.Literal(key.created, datatype=_XSD_DATETIME), graph),
        ]
        if key.revoked:
            quads.append(ox.Quad(node, _REVOKED, ox.Literal("true", datatype=XSD.boolean),
                                 graph))
    repo.private.apply(ChangeSet.from_quads(quads, replace=[graph.value]))


def issue_key(repo: Repository, base: str, agency: str) -> tuple[str, KeyRecord]:
    """A new key for `agency`: the key itself (to show once) and what is stored about it."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = KeyRecord(hash_key(key)[:12], agency, hash_key(key),
                       dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), False)
    with repo.private.writing():
        _write(repo, base, [*list_keys(repo, base), record])
    return key, record


def revoke_key(repo: Repository, base: str, agency: str, key_id: str) -> KeyRecord | None:
    """Revoke the agency's key whose id (hash prefix) is `key_id`; None when it has none."""
    with repo.private.writing():
        keys = list_keys(repo, base)
        match = next((k for k in keys if k.id == key_id and k.agency == agency), None)
        if match is None:
            return None
        _write(repo, base, [KeyRecord(k.id, k.agency, k.hash, k.created, k.revoked or k is match)
                            for k in keys])
    return match


def agency_for_key(repo: Repository, base: str, presented: str) -> str | None:
    """The agency a presented key belongs to, or None (unknown, malformed or revoked)."""
    if not presented.startswith(KEY_PREFIX) or len(presented) > 200:
        return None
    wanted = hash_key(presented)
    for key in list_keys(repo, base):
        # Constant-time comparison of every stored hash: no early exit on a near match.
        if hmac.compare_digest(key.hash, wanted) and not key.revoked:
            return key.agency
    return None
