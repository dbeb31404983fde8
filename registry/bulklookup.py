"""Checking many licences at once (SPEC §13, `POST /api/v1/check`): items → keys → matches.

Three steps, so 1,000 items cost a few reads and never one per item:
1. `read_item` (pure): each item as the client gave it (a licence IRI, issuer + type + number,
   or a number alone) becomes a `Wanted`: a licence key, a canonical bare number, or an error
   naming what was wrong with it. Numbers canonicalise as SPEC §2 says (registry/identifiers).
2. Bare numbers → licence keys (`CheckSource.keys_by_number`).
3. Keys → what a checker needs (status, validity, version, log index, document checksum:
   `CheckSource.current`); `look_up` makes each a `Match` with its effective status today.

Two sources answer the same: `StoreSource` reads the store (two queries whose VALUES blocks are
made of pyoxigraph-serialised terms, never of the client's text, bound on graph and subject so
every licence is an index look-up), and registry/checkindex.py `IndexSource` reads the licence
side index, which the route uses (≈ 40 times faster per licence at 1,000,000).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from registry import identifiers
from registry.namespaces import sparql_prefixes
from registry.status import effective_status
from registry.store import Repository

MAX_ITEMS = 1000
_CHUNK = 1000            # VALUES entries per query

# Field names an object item (or a CSV row) may use, first the canonical one.
ISSUER_FIELDS = ("issuer",)
TYPE_FIELDS = ("type", "licence_type")
NUMBER_FIELDS = ("number", "licence_number")
IRI_FIELDS = ("iri",)


@dataclass(frozen=True)
class ItemError:
    """Why one item cannot be read: a code, and the words in Thai and English."""

    code: str
    en: str
    th: str

    def message(self) -> dict[str, str]:
        return {"th": self.th, "en": self.en}


@dataclass(frozen=True)
class Wanted:
    """One item read: exactly one of `key` (a licence), `number` (canonical, any issuer and
    type) and `error` is set."""

    key: identifiers.LicenceKey | None = None
    number: str | None = None
    error: ItemError | None = None


@dataclass(frozen=True)
class Match:
    """A licence the register holds, as a checker sees it today."""

    iri: str
    key: identifiers.LicenceKey
    status: str                  # effective today (registry/status.py)
    valid_until: dt.date | None
    version: int
    log_index: int | None
    document_sha256: str | None

    def as_dict(self) -> dict:
        return {"iri": self.iri, "issuer": self.key.issuer, "licence_type": self.key.type,
                "number": self.key.number, "status": self.status,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "version": self.version, "log_index": self.log_index,
                "document_sha256": self.document_sha256}


class UnreadableItem(ValueError):
    """An item that is neither a string nor an object: the whole request is refused."""

    def __init__(self, position: int, found: str):
        super().__init__(f"item {position} is {found}")
        self.position = position
        self.found = found


def _invalid_number(exc: identifiers.InvalidNumber) -> ItemError:
    return ItemError("invalid-number", exc.en, exc.th)


def _invalid_code(field: str, value: str) -> ItemError:
    return ItemError(
        f"invalid-{field}",
        f"The {field} code {value!r} is not valid: use 1–64 lowercase ASCII letters, digits "
        "and '-', starting with a letter or digit.",
        f"รหัส{'หน่วยงานผู้ออก' if field == 'issuer' else 'ประเภทใบอนุญาต'} {value!r} "
        "ไม่ถูกต้อง ใช้ได้เฉพาะอักษรอังกฤษตัวเล็ก ตัวเลข และ - ยาว 1–64 ตัว")


def read_number(text: str) -> Wanted:
    """A number alone: every licence with it, whatever its issuer and type."""
    try:
        return Wanted(number=identifiers.canonical_number(text))
    except identifiers.InvalidNumber as exc:
        return Wanted(error=_invalid_number(exc))


def read_iri(base: str, iri: str) -> Wanted:
    """A licence IRI under `base`, Unicode or percent-encoded, `/id/` or `/doc/` form."""
    doc_prefix = f"{base}/doc/licence/"
    text = iri.strip()
    if text.startswith(doc_prefix):
        text = identifiers.licence_iri_prefix(base) + text[len(doc_prefix):]
    try:
        return Wanted(key=identifiers.parse_licence_iri(base, text))
    except identifiers.InvalidNumber as exc:
        return Wanted(error=_invalid_number(exc))
    except (identifiers.InvalidCode, UnicodeDecodeError):
        return Wanted(error=ItemError(
            "not-a-licence-iri",
            f"{iri!r} is not a licence IRI of this register: expected "
            f"{base}/id/licence/{{issuer}}/{{type}}/{{number}}.",
            f"{iri!r} ไม่ใช่ IRI ของใบอนุญาตในทะเบียนนี้ รูปแบบที่ถูกต้องคือ "
            f"{base}/id/licence/{{issuer}}/{{type}}/{{number}}"))


def read_key(issuer: str, type_code: str, number: str) -> Wanted:
    """Issuer + type + printed number."""
    for field, value in (("issuer", issuer), ("type", type_code)):
        try:
            identifiers.check_code(value, field)
        except identifiers.InvalidCode:
            return Wanted(error=_invalid_code(field, value))
    try:
        return Wanted(key=identifiers.LicenceKey(issuer, type_code,
                                                 identifiers.canonical_number(number)))
    except identifiers.InvalidNumber as exc:
        return Wanted(error=_invalid_number(exc))


def _field(fields: Mapping[str, object], names: tuple[str, ...]) -> tuple[str, object]:
    """(the name used, its value) of the first of `names` present and not empty."""
    for name in names:
        value = fields.get(name)
        if value is not None and value != "":
            return name, value
    return names[0], None


def read_fields(base: str, fields: Mapping[str, object]) -> Wanted:
    """An object item or a CSV row: `iri`, or `issuer` + `type` + `number`, or `number`."""
    found = {}
    for names in (IRI_FIELDS, ISSUER_FIELDS, TYPE_FIELDS, NUMBER_FIELDS):
        name, value = _field(fields, names)
        if value is not None and not isinstance(value, str):
            return Wanted(error=ItemError(
                "field-not-text", f"The field {name!r} must be text (a JSON string).",
                f"ช่อง {name!r} ต้องเป็นข้อความ (สตริงของ JSON)"))
        found[names[0]] = value
    iri, issuer, type_code, number = (found[n] for n in ("iri", "issuer", "type", "number"))
    if isinstance(iri, str):
        return read_iri(base, iri)
    if isinstance(issuer, str) and isinstance(type_code, str) and isinstance(number, str):
        return read_key(issuer, type_code, number)
    if issuer is None and type_code is None and isinstance(number, str):
        return read_number(number)
    missing = [n for n in ("issuer", "type", "number") if found[n] is None]
    return Wanted(error=ItemError(
        "incomplete-item",
        f"The item lacks {', '.join(missing)}: give an iri, or issuer, type and number, "
        "or a number alone.",
        f"รายการขาด {', '.join(missing)} ให้ระบุ iri หรือ issuer type และ number ครบ "
        "หรือระบุ number อย่างเดียว"))


def read_item(base: str, item: object, position: int) -> Wanted:
    """One item of a JSON request. Raises UnreadableItem for anything but a string or object."""
    if isinstance(item, str):
        if item.strip().lower().startswith(("http://", "https://")):
            return read_iri(base, item)
        return read_number(item)
    if isinstance(item, dict):
        return read_fields(base, item)
    kind = "null" if item is None else type(item).__name__
    raise UnreadableItem(position, {"bool": "a boolean", "int": "a number", "float": "a number",
                                    "list": "an array", "null": "null"}.get(kind, kind))


# Queries. Their VALUES blocks are made of pyoxigraph-serialised terms (`_values`), so no client
# text reaches a query. Each binds the subjects and graphs it reads, so pyoxigraph looks every
# one up in its indexes; a pattern left to join (OPTIONALs, a VALUES of predicates, a type
# test) makes it read every licence's triples instead: 0.6 s for 1,000 licences of 10,000.
_BY_NUMBERS = sparql_prefixes("dct") + """
SELECT DISTINCT ?l WHERE { #VALUES# GRAPH ?g { ?l dct:identifier ?n } }"""

# The licence's own statements and its document checksum's, in its current graph (a CONSTRUCT:
# its triples come back as they are, without a row dictionary each, three times faster).
_DETAILS = sparql_prefixes("adms", "clc", "schema", "spdx") + """
CONSTRUCT { ?s ?p ?o } WHERE { #VALUES# GRAPH ?g { ?s ?p ?o }
  FILTER(?p IN (adms:status, clc:version, schema:validUntil, clc:logIndex, spdx:checksumValue))
}"""
_P_STATUS = "http://www.w3.org/ns/adms#status"
_P_VERSION = "https://w3id.org/clc/def#version"
_P_UNTIL = "https://schema.org/validUntil"
_P_LOG = "https://w3id.org/clc/def#logIndex"
_P_SHA = "http://spdx.org/rdf/terms#checksumValue"


def _values(names: str, rows: list[tuple[ox.NamedNode | ox.Literal, ...]]) -> str:
    """`VALUES (?a ?b) { (<…> "…") … }` from terms, each written by pyoxigraph."""
    body = " ".join("(" + " ".join(str(term) for term in row) + ")" for row in rows)
    return f"VALUES ({names}) {{ {body} }}"


@dataclass(frozen=True)
class Stored:
    """What the register holds of a licence's current record, as stored."""

    status: str                  # the stored status's code ("active", "revoked", …)
    valid_until: dt.date | None
    version: int
    log_index: int | None
    document_sha256: str | None


class CheckSource(Protocol):
    """Where the check reads: the store itself (`StoreSource`) or the licence side index
    (registry/checkindex.py `IndexSource`, the same answers from a copy kept fresh)."""

    def keys_by_number(self, numbers: Iterable[str]) -> dict[str, list[identifiers.LicenceKey]]:
        """{canonical number: every licence key with it (any issuer and type)}."""

    def current(self, keys: Iterable[identifiers.LicenceKey]
                ) -> dict[identifiers.LicenceKey, Stored]:
        """{key: its current record} for the keys the register holds."""


def key_of(base: str, iri: str) -> identifiers.LicenceKey | None:
    """The key of a licence IRI under `base`; None for any other IRI."""
    try:
        return identifiers.parse_licence_iri(base, iri)
    except (identifiers.InvalidCode, identifiers.InvalidNumber):
        return None


def by_issuer_and_type(found: Mapping[str, Iterable[identifiers.LicenceKey]]
                       ) -> dict[str, list[identifiers.LicenceKey]]:
    """Each number's keys in the answer's order: by issuer, then licence type."""
    return {n: sorted(set(keys), key=lambda k: (k.issuer, k.type)) for n, keys in found.items()}


def stored_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def stored_int(text: str | int | None) -> int | None:
    try:
        return int(text) if text is not None and text != "" else None
    except ValueError:
        return None


class StoreSource:
    """The check read from the store, in few queries (never one per item)."""

    def __init__(self, repo: Repository, base: str):
        self.repo = repo
        self.base = base

    def keys_by_number(self, numbers: Iterable[str]) -> dict[str, list[identifiers.LicenceKey]]:
        wanted = sorted(set(numbers))
        found: dict[str, set[identifiers.LicenceKey]] = {}
        for start in range(0, len(wanted), _CHUNK):
            block = _values("?n", [(ox.Literal(n),) for n in wanted[start:start + _CHUNK]])
            for row in self.repo.select(_BY_NUMBERS.replace("#VALUES#", block)):
                # Other things have a dct:identifier too (a holder's ID): only licences count.
                key = key_of(self.base, row["l"].value)
                if key is not None:
                    found.setdefault(key.number, set()).add(key)
        return by_issuer_and_type(found)

    def current(self, keys: Iterable[identifiers.LicenceKey]
                ) -> dict[identifiers.LicenceKey, Stored]:
        # Subject → (its licence, whether it is the document's checksum node), and the
        # (graph, subject) pairs the query reads: two per licence.
        subjects: dict[str, tuple[identifiers.LicenceKey, bool]] = {}
        pairs: list[tuple[ox.NamedNode | ox.Literal, ...]] = []
        for key in set(keys):
            graph = ox.NamedNode(identifiers.licence_graph_iri(self.base, key))
            licence = identifiers.licence_iri(self.base, key)
            checksum = identifiers.licence_part_iri(licence, "checksum")
            subjects[licence], subjects[checksum] = (key, False), (key, True)
            pairs += [(graph, ox.NamedNode(licence)), (graph, ox.NamedNode(checksum))]
        read: dict[identifiers.LicenceKey, dict[str, str]] = {}
        for start in range(0, len(pairs), 2 * _CHUNK):
            block = _values("?g ?s", pairs[start:start + 2 * _CHUNK])
            for triple in self.repo.construct(_DETAILS.replace("#VALUES#", block)):
                subject, value = triple.subject, triple.object
                if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
                    continue        # quoted triples: never written to a licence graph
                key, is_checksum = subjects[subject.value]
                predicate = triple.predicate.value
                if is_checksum == (predicate == _P_SHA):
                    read.setdefault(key, {})[predicate] = value.value
        return {key: Stored(status=values[_P_STATUS].rsplit("/", 1)[-1],
                            valid_until=stored_date(values.get(_P_UNTIL)),
                            version=stored_int(values.get(_P_VERSION)) or 1,
                            log_index=stored_int(values.get(_P_LOG)),
                            document_sha256=values.get(_P_SHA))
                for key, values in read.items()
                if _P_STATUS in values}     # only a checksum node: no current record


def look_up(source: CheckSource, base: str, wanted: list[Wanted], today: dt.date
            ) -> list[list[Match]]:
    """The matches of each item, in item order (an error or unknown item: none)."""
    by_number = source.keys_by_number([w.number for w in wanted if w.number is not None])
    keys = [w.key for w in wanted if w.key is not None]
    keys += [k for found in by_number.values() for k in found]
    matches = {key: Match(iri=identifiers.licence_iri(base, key), key=key,
                          status=effective_status(held.status, held.valid_until, today),
                          valid_until=held.valid_until, version=held.version,
                          log_index=held.log_index, document_sha256=held.document_sha256)
               for key, held in source.current(keys).items()}
    out: list[list[Match]] = []
    for w in wanted:
        if w.key is not None:
            out.append([matches[w.key]] if w.key in matches else [])
        elif w.number is not None:
            out.append([matches[k] for k in by_number.get(w.number, []) if k in matches])
        else:
            out.append([])
    return out
