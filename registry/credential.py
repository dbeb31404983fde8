"""A licence's record as an unsigned W3C Verifiable Credential 2.0 (SPEC §11).

`credentialSubject` says exactly what the licence's public record says (registry/rdfmap.py
`content_lines`): the same triples about the licence and its parts, no more and no less. It is
built from those triples, not from an upload row, so what the register serves and what it signs
cannot drift apart, and it is written with the terms of the register's credential context
(vocab/credential-context.jsonld, served at `credential_context_url(base)`), read from that
file: each term's definition says how its values are written, so the file is the one place
that names them.

Why a context of its own, and not vocab/context.jsonld: that one is `@protected` and gives
`issuer`, `validFrom`, `validUntil`, `name`, `description` and `mediaType` meanings of its own,
which the credentials v2 context also protects; the two together are invalid JSON-LD. The
credential context defines no term v2 defines, at any depth (tests check it).

The register's bookkeeping in the licence graph (version, digest, modified, provenance, status
counter, log index) is left out: the credential's `id` carries the version, and the rest is
about the register's records, not the licence. A predicate the context has no term for is
refused, never dropped: a new field of the record must be given a term (in a new version of the
context) before it is signed.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.jsonldcontexts import CREDENTIALS_V2, credential_context, credential_context_url
from registry.statuslist import PURPOSES

CREDENTIAL_TYPE = "LicenceCredential"
ENTRY_TYPE = "BitstringStatusListEntry"
# A licence date is a Thai calendar day: valid from its first second to its last, in Thailand
# (registry/status.py: a licence is still valid on its valid-until day).
THAILAND = dt.timezone(dt.timedelta(hours=7))

_RDF_TYPE = terms.TYPE.value
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# What the licence graph holds about the register's records rather than the licence.
_BOOKKEEPING = frozenset(t.value for t in (
    terms.VERSION, terms.RECORD_DIGEST, terms.MODIFIED, terms.WAS_GENERATED_BY,
    terms.SUPERSEDED_BY_VERSION, terms.STATUS_COUNTER, terms.LOG_INDEX))


class CredentialError(ValueError):
    """The triples cannot be a licence credential (missing licence, unknown predicate, a
    natural person's ID, a blank node)."""


class _Statement(Protocol):
    """An ox.Triple or ox.Quad."""

    @property
    def subject(self) -> Any: ...

    @property
    def predicate(self) -> ox.NamedNode: ...

    @property
    def object(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Term:
    """How the credential context writes one property's values."""

    name: str
    kind: str               # "node", "vocab", "plain", "lang", "langmap", "typed"
    datatype: str = ""      # kind "typed"
    language: str = ""      # kind "lang"
    vocab: str = ""         # kind "vocab": the scoped @vocab
    names: tuple[tuple[str, str], ...] = ()     # kind "vocab": scoped term → IRI


def _term_of(name: str, definition: dict) -> _Term:
    kind_type = definition.get("@type")
    if definition.get("@container") == "@language":
        return _Term(name, "langmap")
    if "@language" in definition:
        return _Term(name, "lang", language=definition["@language"])
    if kind_type == "@id":
        return _Term(name, "node")
    if kind_type == "@vocab":
        scoped = definition.get("@context", {})
        return _Term(name, "vocab", vocab=scoped.get("@vocab", ""),
                     names=tuple((k, v) for k, v in scoped.items() if not k.startswith("@")))
    if kind_type:
        return _Term(name, "typed", datatype=kind_type)
    return _Term(name, "plain")


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, _Term], dict[str, str], dict[str, int]]:
    """From the credential context: property IRI → term, class IRI → term name, and each
    term's place in the file (the order keys are written in)."""
    properties: dict[str, _Term] = {}
    classes: dict[str, str] = {}
    order: dict[str, int] = {}
    for place, (name, definition) in enumerate(credential_context()["@context"].items()):
        if name.startswith("@"):
            continue
        order[name] = place
        if isinstance(definition, str):
            if name[:1].isupper():
                classes[definition] = name
            else:
                properties[definition] = _Term(name, "plain")
        else:
            properties[definition["@id"]] = _term_of(name, definition)
    return properties, classes, order


def record_triples(lines: Iterable[str]) -> list[ox.Quad]:
    """N-Quads lines (registry/rdfmap.py `content_lines`) as quads."""
    return list(ox.parse("\n".join(lines), format=ox.RdfFormat.N_QUADS))


def _iri_of(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        raise CredentialError("a licence record has no blank nodes")
    if not isinstance(term, ox.NamedNode):
        raise CredentialError(f"not an IRI: {term}")
    return term.value


def _literal_value(literal: ox.Literal) -> dict:
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if literal.datatype.value == _XSD_STRING:
        return {"@value": literal.value}
    return {"@value": literal.value, "@type": literal.datatype.value}


def _written(term: _Term, value: Any) -> Any | None:
    """`value` as the term writes it, or None when the term cannot (the caller then writes it
    under the full property IRI, fully expanded)."""
    if isinstance(value, ox.Literal):
        datatype = value.datatype.value
        if term.kind == "plain" and datatype == _XSD_STRING:
            return value.value
        if term.kind == "lang" and value.language == term.language:
            return value.value
        if term.kind == "typed" and datatype == term.datatype:
            return value.value
        return None
    iri = _iri_of(value)
    if term.kind == "node":
        return iri
    if term.kind == "vocab":
        for name, named in term.names:
            if named == iri:
                return name
        rest = iri[len(term.vocab):] if term.vocab and iri.startswith(term.vocab) else ""
        if rest and rest.isascii() and rest.replace("-", "").replace("_", "").isalnum():
            return rest
        return iri
    return None


class _Builder:
    def __init__(self, statements: Iterable[_Statement]):
        self.about: dict[str, list[tuple[str, Any]]] = {}
        for s in statements:
            if isinstance(s.subject, ox.BlankNode) or isinstance(s.object, ox.BlankNode):
                raise CredentialError("a licence record has no blank nodes")
            if isinstance(s.subject, ox.NamedNode):
                self.about.setdefault(s.subject.value, []).append((s.predicate.value, s.object))
        self.embedded: set[str] = set()

    def node(self, iri: str) -> dict:
        properties, classes, order = _vocabulary()
        self.embedded.add(iri)
        node: dict[str, Any] = {"id": iri}
        types: list[str] = []
        by_key: dict[str, list[Any]] = {}
        langmaps: dict[str, dict[str, list[str]]] = {}
        for predicate, value in sorted(self.about.get(iri, []), key=lambda pv: (pv[0], str(pv[1]))):
            if predicate == _RDF_TYPE:
                type_iri = _iri_of(value)
                types.append(classes.get(type_iri, type_iri))
                continue
            if predicate in _BOOKKEEPING:
                continue
            term = properties.get(predicate)
            if term is None:
                raise CredentialError(f"the credential context has no term for <{predicate}>")
            if term.kind == "langmap" and isinstance(value, ox.Literal) and value.language:
                langmaps.setdefault(term.name, {}).setdefault(value.language, []).append(
                    value.value)
                continue
            if term.kind == "node" and isinstance(value, ox.NamedNode) \
                    and value.value in self.about and value.value not in self.embedded:
                by_key.setdefault(term.name, []).append(self.node(value.value))
                continue
            written = _written(term, value)
            if written is None:     # a value the term cannot write: its full, expanded form
                expanded = ({"@id": _iri_of(value)} if not isinstance(value, ox.Literal)
                            else _literal_value(value))
                by_key.setdefault(predicate, []).append(expanded)
            else:
                by_key.setdefault(term.name, []).append(written)
        self._check_person(iri, types, by_key)
        if types:
            node["type"] = types[0] if len(types) == 1 else sorted(types)
        for name, languages in langmaps.items():
            by_key[name] = [{lang: (texts[0] if len(texts) == 1 else texts)
                             for lang, texts in sorted(languages.items())}]
        for key in sorted(by_key, key=lambda k: (order.get(k, len(order)), k)):
            values = by_key[key]
            node[key] = values[0] if len(values) == 1 else values
        return node

    @staticmethod
    def _check_person(iri: str, types: list[str], by_key: dict[str, list[Any]]) -> None:
        _properties, classes, _order = _vocabulary()
        person = classes.get(terms.NATURAL_PERSON.value, terms.NATURAL_PERSON.value)
        number = _vocabulary()[0][terms.DCT_IDENTIFIER.value].name
        if person in types and (number in by_key or terms.DCT_IDENTIFIER.value in by_key):
            raise CredentialError(f"{iri}: a natural person's ID is never published")


def credential_subject(statements: Iterable[_Statement], licence_iri: str) -> dict:
    """The licence's public record as the credential's subject (id: the licence IRI)."""
    builder = _Builder(statements)
    if licence_iri not in builder.about:
        raise CredentialError(f"no statements about the licence {licence_iri}")
    return builder.node(licence_iri)


def valid_from_time(day: dt.date) -> str:
    """The first second of a licence's first day in Thailand, as VC 2.0 writes it."""
    return dt.datetime.combine(day, dt.time(0, 0, 0), THAILAND).isoformat()


def valid_until_time(day: dt.date) -> str:
    """The last second of a licence's last day in Thailand."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), THAILAND).isoformat()


def _date_of(statements: Sequence[_Statement], licence_iri: str, predicate: str) -> dt.date | None:
    for s in statements:
        if (isinstance(s.subject, ox.NamedNode) and s.subject.value == licence_iri
                and s.predicate.value == predicate and isinstance(s.object, ox.Literal)):
            try:
                return dt.date.fromisoformat(s.object.value)
            except ValueError as exc:
                raise CredentialError(f"<{predicate}> is not a date: {s.object.value!r}") from exc
    return None


def _checked_entries(status_entries: Sequence[dict]) -> list[dict]:
    purposes = sorted(e.get("statusPurpose", "") for e in status_entries
                      if isinstance(e, dict) and e.get("type") == ENTRY_TYPE)
    if len(status_entries) != len(PURPOSES) or purposes != sorted(PURPOSES):
        raise CredentialError(f"a licence credential has one {ENTRY_TYPE} for each of "
                              f"{', '.join(PURPOSES)}")
    return copy.deepcopy(list(status_entries))


def unsigned_credential(statements: Iterable[_Statement], *, base: str, did: str,
                        key: identifiers.LicenceKey, version: int,
                        status_entries: Sequence[dict]) -> dict:
    """One version of a licence as an unsigned VC 2.0 (registry/dataintegrity.py signs it).

    `statements`: the licence's public record (the triples of its graph, or `content_lines`
    parsed by `record_triples`); `validFrom`/`validUntil` are read from it, so the credential
    cannot disagree with its subject. `status_entries`: its two BitstringStatusListEntry dicts
    (registry/statuslist.py `licence_entries`)."""
    statements = list(statements)
    licence = identifiers.licence_iri(base, key)
    subject = credential_subject(statements, licence)
    valid_from = _date_of(statements, licence, terms.VALID_FROM.value)
    if valid_from is None:
        raise CredentialError(f"the licence {licence} has no valid-from date")
    valid_until = _date_of(statements, licence, terms.VALID_UNTIL.value)
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, credential_context_url(base)],
        "id": identifiers.licence_credential_iri(base, key, version),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": did,
        "validFrom": valid_from_time(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until_time(valid_until)
    credential["credentialSubject"] = subject
    credential["credentialStatus"] = _checked_entries(status_entries)
    return credential
