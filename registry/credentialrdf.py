"""The canonical N-Quads of a licence credential and of its proof configuration, written
straight from the licence's stored triples, without JSON-LD (SPEC §11; issue 14: serving a
credential costs at most 5 ms).

Signing a credential the general way (registry/dataintegrity.py) turns its JSON-LD into RDF
with pyld and canonicalises it with RDFC-1.0: about 12 ms, nearly all of the cost of serving a
credential. But a licence credential is RDF we already hold: its subject is exactly the
record's public triples (registry/credential.py builds the JSON from them), and the rest is a
handful of statements about the credential itself. It has no blank nodes, so its canonical form
is just its distinct N-Quads lines in code point order, and the proof configuration's one blank
node is always `_:c14n0`. Terms are written by pyoxigraph, as registry/canon.py writes them, so
the escaping is the canonicaliser's to the byte.

This is a second way to the same bytes, and only as safe as its agreement with the first:
tests/test_credential_fastpath.py checks it against pyld + RDFC-1.0 on every kind of record
and on generated text. Whatever it cannot vouch for — a predicate or value outside what the
credential context writes one-to-one, a blank node, a node the JSON would leave out, a key of
the credential it does not know — raises `NotFastPath`; the caller then signs the general way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from registry import recordterms as terms
from registry.jsonldcontexts import (
    CREDENTIALS_V2,
    bundled_loader,
    credential_context,
    credential_context_url,
)

# The IRIs the credentials v2 context gives the credential's own terms (checked against pyld by
# the tests).
_CRED = "https://www.w3.org/2018/credentials#"
_STATUS = "https://www.w3.org/ns/credentials/status#"
_SEC = "https://w3id.org/security#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = ox.NamedNode(terms.TYPE.value)
_DATETIME = ox.NamedNode(_XSD + "dateTime")
_V2_TYPES = {"VerifiableCredential": _CRED + "VerifiableCredential",
             "BitstringStatusListEntry": _STATUS + "BitstringStatusListEntry"}
_ENTRY_KEYS = frozenset(("id", "type", "statusPurpose", "statusListIndex",
                         "statusListCredential"))
_CREDENTIAL_KEYS = frozenset(("@context", "id", "type", "issuer", "validFrom", "validUntil",
                              "credentialSubject", "credentialStatus"))
_PROOF_KEYS = frozenset(("type", "cryptosuite", "created", "verificationMethod",
                         "proofPurpose"))
# The one proof purpose the register signs with (its IRI checked against pyld by the tests).
_PURPOSES = frozenset(("assertionMethod",))
# JSON-LD reads "prefix:rest" as a compact IRI when the prefix is a term; no context defines
# these schemes, and every IRI of a record uses one of them.
_ABSOLUTE = re.compile(r"(https?|did):[^\s<>\"{}|^`\\]+")
# The record's bookkeeping predicates: in the licence graph, never in the credential
# (registry/credential.py leaves the same ones out).
_BOOKKEEPING = frozenset(t.value for t in (
    terms.VERSION, terms.RECORD_DIGEST, terms.MODIFIED, terms.WAS_GENERATED_BY,
    terms.SUPERSEDED_BY_VERSION, terms.STATUS_COUNTER, terms.LOG_INDEX))


class NotFastPath(ValueError):
    """The credential holds something the fast path does not write one-to-one; sign it the
    general way (pyld + RDFC-1.0) instead."""


def _names_in(context: Any) -> set[str]:
    """Every term a context defines, at any depth."""
    found: set[str] = set()
    if isinstance(context, dict):
        for name, definition in context.items():
            if not name.startswith("@"):
                found.add(name)
            found |= _names_in(definition)
    elif isinstance(context, list):
        for item in context:
            found |= _names_in(item)
    return found


@lru_cache(maxsize=1)
def _context_terms() -> tuple[dict[str, dict], dict[str, str], frozenset[str]]:
    """From the credential context: property IRI → its definition; class term name → IRI;
    and every term either context defines, at any depth (a vocabulary value spelled like one
    of them would be read as that term, not as a word of the vocabulary)."""
    properties: dict[str, dict] = {}
    classes: dict[str, str] = {}
    for name, definition in credential_context()["@context"].items():
        if name.startswith("@"):
            continue
        if isinstance(definition, str):
            if name[:1].isupper():
                classes[name] = definition
            else:
                properties[definition] = {"@id": definition}
        else:
            properties[definition["@id"]] = definition
    v2 = bundled_loader()(CREDENTIALS_V2)["document"]
    names = _names_in(credential_context()) | _names_in(v2)
    return properties, classes, frozenset(names)


def _iri(term: Any, what: str) -> str:
    if isinstance(term, ox.BlankNode):
        raise NotFastPath(f"{what} is a blank node")
    if not isinstance(term, ox.NamedNode):
        raise NotFastPath(f"{what} is not an IRI: {term}")
    if not _ABSOLUTE.fullmatch(term.value):
        raise NotFastPath(f"{what} <{term.value}> is not an http(s) or did IRI")
    return term.value


def _check_value(predicate: str, value: Any) -> bool:
    """Whether the JSON writes `value` so that it reads back as itself; for an IRI, also
    whether the JSON embeds that node (a "node" term), so the node's own statements are in it."""
    properties, _classes, names = _context_terms()
    definition = properties[predicate]
    if isinstance(value, ox.Literal):
        # Every literal reads back as itself: as the term writes it (plain, language, datatype
        # or language map), or else in full ({"@value", "@type"/"@language"}).
        return False
    iri = _iri(value, f"the object of <{predicate}>")
    kind = definition.get("@type")
    if kind == "@vocab":
        # Written as the word after the scoped @vocab; a word that is also a term of either
        # context would be read back as that term's IRI.
        vocab = definition.get("@context", {}).get("@vocab", "")
        if vocab and iri.startswith(vocab) and iri[len(vocab):] in names:
            raise NotFastPath(f"the vocabulary value <{iri}> of <{predicate}>")
        return False
    return kind == "@id"


def content_lines(statements: Iterable[Any], licence_iri: str) -> list[str]:
    """The record's public statements (its bookkeeping left out) as canonical N-Quads lines,
    exactly the RDF of the credential's subject; raises NotFastPath where it cannot vouch."""
    properties, _classes, _names = _context_terms()
    edges: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}
    checked: set[str] = set()           # IRIs already found absolute (most recur)
    for s in statements:
        subject, predicate, value = s.subject, s.predicate, s.object
        if predicate.value in _BOOKKEEPING:
            continue
        if subject.value not in checked or type(subject) is not ox.NamedNode:
            checked.add(_iri(subject, "a subject"))
        if predicate == _RDF_TYPE:
            _iri(value, "a type")
        elif predicate.value not in properties:
            raise NotFastPath(f"the credential context has no term for <{predicate.value}>")
        elif type(value) is not ox.Literal and _check_value(predicate.value, value):
            edges.setdefault(subject.value, []).append(value.value)
        # A term's text is its canonical N-Quads form (pyoxigraph writes it as RDFC-1.0 does).
        lines.setdefault(subject.value, []).append(f"{subject} {predicate} {value} .\n")
    # The JSON embeds a node only where a "node" term leads to it from the licence; another
    # node's statements would be left out of the credential, so they cannot be vouched for.
    reached, todo = {licence_iri}, [licence_iri]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    if licence_iri not in lines:
        raise NotFastPath(f"no statements about the licence {licence_iri}")
    stray = set(lines) - reached
    if stray:
        raise NotFastPath(f"statements about {min(stray)}, which the subject does not embed")
    return [line for found in lines.values() for line in found]


def _quad(subject: str, predicate: str, value: ox.NamedNode | ox.Literal) -> str:
    return f"{ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), value)} .\n"


def _text(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise NotFastPath(f"{key} is not text")
    return value


def _node(document: Mapping[str, Any], key: str) -> ox.NamedNode:
    try:
        node = ox.NamedNode(_text(document, key))
    except ValueError:
        raise NotFastPath(f"{key} is not an IRI") from None
    _iri(node, key)
    return node


def _entry_lines(credential_iri: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS \
            or entry["type"] != "BitstringStatusListEntry":
        raise NotFastPath("a credentialStatus that is not a plain BitstringStatusListEntry")
    entry_iri = _node(entry, "id").value
    return [_quad(credential_iri, _CRED + "credentialStatus", ox.NamedNode(entry_iri)),
            _quad(entry_iri, _RDF_TYPE.value, ox.NamedNode(_V2_TYPES[entry["type"]])),
            _quad(entry_iri, _STATUS + "statusPurpose", ox.Literal(_text(entry,
                                                                          "statusPurpose"))),
            _quad(entry_iri, _STATUS + "statusListIndex", ox.Literal(_text(entry,
                                                                            "statusListIndex"))),
            _quad(entry_iri, _STATUS + "statusListCredential",
                  _node(entry, "statusListCredential"))]


def credential_lines(credential: Mapping[str, Any], base: str) -> list[str]:
    """The canonical N-Quads lines of the credential's own statements (all but its subject's
    record) for an unsigned credential from registry/credential.py `unsigned_credential`."""
    if set(credential) - _CREDENTIAL_KEYS:
        raise NotFastPath(f"credential keys {sorted(set(credential) - _CREDENTIAL_KEYS)}")
    if credential.get("@context") != [CREDENTIALS_V2, credential_context_url(base)]:
        raise NotFastPath("a credential with other contexts")
    _properties, classes, _names = _context_terms()
    iri = _node(credential, "id").value
    types = credential.get("type")
    if not isinstance(types, list) or not types:
        raise NotFastPath("a credential without types")
    lines = []
    for name in types:
        type_iri = _V2_TYPES.get(name) if name == "VerifiableCredential" else classes.get(name)
        if type_iri is None:
            raise NotFastPath(f"the credential type {name!r}")
        lines.append(_quad(iri, _RDF_TYPE.value, ox.NamedNode(type_iri)))
    lines.append(_quad(iri, _CRED + "issuer", _node(credential, "issuer")))
    for key in ("validFrom", "validUntil"):
        if key in credential or key == "validFrom":
            lines.append(_quad(iri, _CRED + key, ox.Literal(_text(credential, key),
                                                            datatype=_DATETIME)))
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise NotFastPath("a credentialSubject that is not one node")
    lines.append(_quad(iri, _CRED + "credentialSubject", _node(subject, "id")))
    entries = credential.get("credentialStatus")
    if not isinstance(entries, list):
        raise NotFastPath("a credentialStatus that is not a list")
    for entry in entries:
        lines.extend(_entry_lines(iri, entry))
    return lines


def canonical_credential(statements: Iterable[Any], credential: Mapping[str, Any],
                         base: str) -> str:
    """RDFC-1.0 canonical N-Quads of `credential` (no proof), which registry/credential.py
    `unsigned_credential` made from `statements`: byte for byte what pyld + registry/canon.py
    give. Raises NotFastPath for anything it cannot vouch for."""
    subject = credential.get("credentialSubject")
    licence = subject.get("id") if isinstance(subject, dict) else None
    if not isinstance(licence, str):
        raise NotFastPath("a credentialSubject without an id")
    lines = content_lines(statements, licence) + credential_lines(credential, base)
    return "".join(sorted(set(lines)))


def canonical_proof_config(proof_options: Mapping[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of the proof configuration of `proof_options` (a
    DataIntegrityProof's options without proofValue; its @context is the credential's, whose
    first context, v2, defines every term of it)."""
    if set(proof_options) != _PROOF_KEYS:
        raise NotFastPath(f"proof options {sorted(proof_options)}")
    if proof_options["type"] != "DataIntegrityProof":
        raise NotFastPath(f"the proof type {proof_options['type']!r}")
    purpose = proof_options["proofPurpose"]
    if purpose not in _PURPOSES:
        raise NotFastPath(f"the proof purpose {purpose!r}")
    proof = ox.BlankNode("c14n0")

    def line(predicate: str, value: ox.NamedNode | ox.Literal) -> str:
        return f"{ox.Quad(proof, ox.NamedNode(predicate), value)} .\n"

    lines = [
        line(_RDF_TYPE.value, ox.NamedNode(_SEC + "DataIntegrityProof")),
        line(_SEC + "cryptosuite", ox.Literal(_text(proof_options, "cryptosuite"),
                                              datatype=ox.NamedNode(_SEC + "cryptosuiteString"))),
        line("http://purl.org/dc/terms/created",
             ox.Literal(_text(proof_options, "created"), datatype=_DATETIME)),
        line(_SEC + "verificationMethod", _node(proof_options, "verificationMethod")),
        line(_SEC + "proofPurpose", ox.NamedNode(_SEC + purpose)),
    ]
    return "".join(sorted(lines))
