"""Checking many licences at once (SPEC §13, `POST /api/v1/check`): items → keys → matches.

Three steps, so 1,000 items cost a few queries and never one per item:
1. `read_item` (pure): each item as the client gave it (a licence IRI, issuer + type + number,
   or a number alone) becomes a `Wanted`: a licence key, a canonical bare number, or an error
   naming what was wrong with it. Numbers canonicalise as SPEC §2 says (registry/identifiers).
2. Bare numbers → licence IRIs: one query binding every number in a VALUES block (made of
   pyoxigraph-serialised literals, never of the client's text).
3. Keys → what a checker needs (status, validity, version, log index, document checksum): one
   query over the licences' current graphs (`Repository.select_graphs`), whose IRIs are minted
   from the keys, so a licence that is not in the register simply yields no row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


def _key_of(base: str, iri: str) -> identifiers.LicenceKey | None:
    try:
        return identifiers.parse_licence_iri(base, iri)
    except (identifiers.InvalidCode, identifiers.InvalidNumber):
        return None


def keys_by_number(repo: Repository, base: str, numbers: Iterable[str]
                   ) -> dict[str, list[identifiers.LicenceKey]]:
    """{canonical number: every licence key with it (any issuer and type)}, in few queries."""
    wanted = sorted(set(numbers))
    found: dict[str, set[identifiers.LicenceKey]] = {}
    for start in range(0, len(wanted), _CHUNK):
        block = _values("?n", [(ox.Literal(n),) for n in wanted[start:start + _CHUNK]])
        for row in repo.select(_BY_NUMBERS.replace("#VALUES#", block)):
            # Other things have a dct:identifier too (a holder's ID): only licence IRIs count.
            key = _key_of(base, row["l"].value)
            if key is not None:
                found.setdefault(key.number, set()).add(key)
    return {n: sorted(keys, key=lambda k: (k.issuer, k.type)) for n, keys in found.items()}


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text is not None else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def matches_of(repo: Repository, base: str, keys: Iterable[identifiers.LicenceKey],
               today: dt.date) -> dict[identifiers.LicenceKey, Match]:
    """{key: its match} for the keys the register holds (current records), in few queries."""
    # Subject → (its licence, whether it is the document's checksum node), and the
    # (graph, subject) pairs the query reads: two per licence.
    subjects: dict[str, tuple[identifiers.LicenceKey, bool]] = {}
    pairs: list[tuple[ox.NamedNode | ox.Literal, ...]] = []
    for key in set(keys):
        graph = ox.NamedNode(identifiers.licence_graph_iri(base, key))
        licence = identifiers.licence_iri(base, key)
        checksum = identifiers.licence_part_iri(licence, "checksum")
        subjects[licence], subjects[checksum] = (key, False), (key, True)
        pairs += [(graph, ox.NamedNode(licence)), (graph, ox.NamedNode(checksum))]
    read: dict[identifiers.LicenceKey, dict[str, str]] = {}
    for start in range(0, len(pairs), 2 * _CHUNK):
        block = _values("?g ?s", pairs[start:start + 2 * _CHUNK])
        # CONSTRUCT: triples as they are, without a row dictionary each.
        for triple in repo.construct(_DETAILS.replace("#VALUES#", block)):
            subject, value = triple.subject, triple.object
            if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
                continue        # quoted triples: never written to a licence graph
            key, is_checksum = subjects[subject.value]
            predicate = triple.predicate.value
            if is_checksum == (predicate == _P_SHA):
                read.setdefault(key, {})[predicate] = value.value
    found: dict[identifiers.LicenceKey, Match] = {}
    for key, values in read.items():
        if _P_STATUS not in values:
            continue        # only a checksum node: no current record of the licence
        until = _date(values.get(_P_UNTIL))
        found[key] = Match(
            iri=identifiers.licence_iri(base, key), key=key,
            status=effective_status(values[_P_STATUS].rsplit("/", 1)[-1], until, today),
            valid_until=until, version=_int(values.get(_P_VERSION)) or 1,
            log_index=_int(values.get(_P_LOG)), document_sha256=values.get(_P_SHA))
    return found


def look_up(repo: Repository, base: str, wanted: list[Wanted], today: dt.date
            ) -> list[list[Match]]:
    """The matches of each item, in item order (an error or unknown item: none)."""
    by_number = keys_by_number(repo, base, [w.number for w in wanted if w.number is not None])
    keys = [w.key for w in wanted if w.key is not None]
    keys += [k for found in by_number.values() for k in found]
    matches = matches_of(repo, base, keys, today)
    out: list[list[Match]] = []
    for w in wanted:
        if w.key is not None:
            out.append([matches[w.key]] if w.key in matches else [])
        elif w.number is not None:
            out.append([matches[k] for k in by_number.get(w.number, []) if k in matches])
        else:
            out.append([])
    return out
