"""The leaves of the register's Merkle log (SPEC §12, issue 15): one per licence version and
one per upload's public activity, as canonical JSON bytes.

A licence version's leaf commits to its place in the log, the licence, the version number, its
time, the upload that made it, and the SHA-256 of the record's content as RDFC-1.0 canonical
N-Quads. An upload's leaf commits to its place, the upload, its time, the agency, and the SHA-256
of the upload's activity graph, likewise canonical.

What is hashed (`record_nquads`): the record's content — the statements about the licence and
its parts (reached from the licence by content predicates), without the bookkeeping the store
adds and changes over time (`clc:version`, the digest, `dct:modified`, `prov:wasGeneratedBy`,
`clc:supersededByVersion`, `clc:statusCounter`, `clc:logIndex`) and without the change activity
of an amendment (reached only through `prov:wasGeneratedBy`). That is the set the licence's
credential signs (registry/credentialrdf.py `content_lines`). Version, time and upload are in
the leaf itself, so the leaf still commits to them. The triples go in the default graph, so the
current graph and its `…/version/N` copy hash alike.

Canonical form: a record has no blank nodes, so its RDFC-1.0 canonical N-Quads are its distinct
lines, each term as pyoxigraph writes it, in code point order (`record_nquads`), the bytes
registry/canon.py gives (`record_nquads_rdfc`, the general way, which the tests hold equal).
A blank node raises `NotCanonicalFast`; the caller then takes the general way.

Canonical JSON is RFC 8785 (JCS) for the values a leaf holds: an object of string keys, sorted,
no whitespace, UTF-8, strings escaped as JSON.stringify escapes them, integers as plain decimals
(no floats, no booleans, no null). `parse_leaf` refuses any bytes that are not exactly the
canonical form of a well-formed leaf.

A third kind announces a new log key (a rotation of the checkpoint key, registry/logsigning.py):
the new and the previous verifier key strings (C2SP signed-note form), the standard base64 of
the previous key's Ed25519 signature over the new key string's UTF-8 bytes, and the time. Here
only its form is checked; whether the signature holds is registry/logsigning.py's
`check_key_leaf`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from registry import rdfmap
from registry import recordterms as terms
from registry.canon import canonical_nquads
from registry.namespaces import PROV
from registry.signednote import KeyFormatError, parse_verifier_key

LICENCE_VERSION = "licence-version"
UPLOAD = "upload"
KEY = "key"

# Predicates the store adds to a record and may change later; never part of what is hashed.
BOOKKEEPING = frozenset(t.value for t in (
    terms.VERSION, terms.RECORD_DIGEST, terms.MODIFIED, terms.WAS_GENERATED_BY,
    terms.SUPERSEDED_BY_VERSION, terms.STATUS_COUNTER, terms.LOG_INDEX))
_ENDED = PROV.endedAtTime.value
_ASSOCIATED = terms.WAS_ASSOCIATED_WITH.value
_PART_OF = terms.IS_PART_OF.value

_KEYS = {LICENCE_VERSION: frozenset(("kind", "index", "licence", "version", "time", "upload",
                                     "sha256")),
         UPLOAD: frozenset(("kind", "index", "upload", "time", "agency", "sha256")),
         KEY: frozenset(("kind", "index", "key", "previous", "signature", "time"))}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_IRI = re.compile(r"https?://[^\s<>\"{}|^`\\]+")
# xsd:dateTime in UTC, as the register writes it (dct:modified, prov:endedAtTime).
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
_MAX_INT = 2**53 - 1  # JCS writes numbers as IEEE doubles: larger integers lose digits


class LeafError(ValueError):
    """Bytes that are not a canonical, well-formed log leaf, or a record no leaf can be made of."""


class NotCanonicalFast(ValueError):
    """The statements hold a blank node: canonicalise them the general way (registry/canon.py)."""


@dataclass(frozen=True)
class Leaf:
    kind: str
    index: int
    time: str
    upload: str | None = None    # licence-version and upload leaves
    sha256: str | None = None    # licence-version and upload leaves
    licence: str | None = None   # licence-version leaves
    version: int | None = None   # licence-version leaves
    agency: str | None = None    # upload leaves
    key: str | None = None       # key leaves: the new verifier key string
    previous: str | None = None  # key leaves: the verifier key string it replaces
    signature: str | None = None  # key leaves: base64 of previous's signature over `key`

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in (("kind", self.kind), ("index", self.index),
                                  ("licence", self.licence), ("version", self.version),
                                  ("time", self.time), ("upload", self.upload),
                                  ("agency", self.agency), ("sha256", self.sha256),
                                  ("key", self.key), ("previous", self.previous),
                                  ("signature", self.signature))
                if v is not None}


def canonical_json(value: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of an object of strings and integers (the subset a leaf needs)."""
    for key, item in value.items():
        if not isinstance(key, str):
            raise LeafError(f"a key that is not text: {key!r}")
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise LeafError(f"{key}: only text and integers, not {type(item).__name__}")
        if isinstance(item, int) and abs(item) > _MAX_INT:
            raise LeafError(f"{key}: {item} is beyond what JSON numbers hold exactly")
    # ensure_ascii=False + these separators is JSON.stringify's escaping (RFC 8785 §3.2.2.2):
    # \b \t \n \f \r " \\ short, other controls \u00xx lowercase, everything else as itself.
    # Keys are ASCII, so code point order is JCS's UTF-16 order.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate
        raise LeafError("text that is not Unicode scalar values") from error


def _checked(leaf: Leaf) -> Leaf:
    if leaf.kind not in _KEYS:
        raise LeafError(f"unknown leaf kind {leaf.kind!r}")
    if set(leaf.fields()) != _KEYS[leaf.kind]:
        raise LeafError(f"a {leaf.kind} leaf has keys {sorted(_KEYS[leaf.kind])}")
    if not isinstance(leaf.index, int) or isinstance(leaf.index, bool) or leaf.index < 0:
        raise LeafError(f"index {leaf.index!r} is not a non-negative integer")
    if leaf.kind == LICENCE_VERSION and (not isinstance(leaf.version, int)
                                         or isinstance(leaf.version, bool) or leaf.version < 1):
        raise LeafError(f"version {leaf.version!r} is not a positive integer")
    for name in ("licence", "upload", "agency"):
        value = getattr(leaf, name)
        if value is not None and not (isinstance(value, str) and _IRI.fullmatch(value)):
            raise LeafError(f"{name} {value!r} is not an http(s) IRI")
    if not (isinstance(leaf.time, str) and _TIME.fullmatch(leaf.time)):
        raise LeafError(f"time {leaf.time!r} is not a UTC xsd:dateTime")
    if leaf.kind == KEY:
        _check_key_fields(leaf)
    elif not (isinstance(leaf.sha256, str) and _SHA256.fullmatch(leaf.sha256)):
        raise LeafError("sha256 is not 64 lowercase hex digits")
    return leaf


def _check_key_fields(leaf: Leaf) -> None:
    for name in ("key", "previous"):
        try:
            parse_verifier_key(getattr(leaf, name))
        except KeyFormatError as error:
            raise LeafError(f"{name} is not a verifier key ({error})") from None
    if leaf.key == leaf.previous:
        raise LeafError("a key leaf announces a key other than the previous one")
    if signature_bytes(leaf.signature) is None:
        raise LeafError("signature is not standard base64 of a 64-byte Ed25519 signature")


def signature_bytes(value: object) -> bytes | None:
    """The 64 bytes of an Ed25519 signature written as standard padded base64, in its one
    canonical spelling; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if len(raw) == 64 and base64.b64encode(raw).decode("ascii") == value else None


def leaf_bytes(leaf: Leaf) -> bytes:
    return canonical_json(_checked(leaf).fields())


_TEXT = json.JSONEncoder(ensure_ascii=False).encode     # canonical_json's string escaping


def version_leaf_bytes(index: int, licence: str, version: int, time: str, upload: str,
                       sha256: str) -> bytes:
    """`leaf_bytes` of a licence-version leaf, written directly: the commit's way, a tenth of
    the cost (it writes one per new version). The commit's values are well-formed already (its
    IRIs minted and checked, its time and hash its own), and tests/test_log_leaf.py holds the
    two byte-identical; `parse_leaf` checks every leaf `log verify` reads."""
    return (f'{{"index":{index:d},"kind":"{LICENCE_VERSION}","licence":{_TEXT(licence)},'
            f'"sha256":"{sha256}","time":"{time}","upload":{_TEXT(upload)},'
            f'"version":{version:d}}}').encode()


def parse_leaf(data: bytes) -> Leaf:
    """The leaf `data` holds; refuses anything but the canonical bytes of a well-formed leaf
    (whitespace, key order, escapes, duplicate keys, numbers written otherwise, other keys)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LeafError(f"not JSON: {error}") from error
    if not isinstance(value, dict) or value.get("kind") not in _KEYS:
        raise LeafError("not a leaf object of a known kind")
    if set(value) != _KEYS[value["kind"]]:
        raise LeafError(f"a {value['kind']} leaf has keys {sorted(_KEYS[value['kind']])}")
    try:
        leaf = _checked(Leaf(**value))
    except TypeError as error:
        raise LeafError(str(error)) from error
    if canonical_json(leaf.fields()) != data:
        raise LeafError("not in canonical form (RFC 8785)")
    return leaf


def _split(line: str, named: bool) -> tuple[str, str, str]:
    """(subject, predicate, object) of one N-Quads line as pyoxigraph writes it (a graph name
    after the object when `named`). IRIs hold no spaces, so only the object needs care."""
    subject, predicate, rest = line.rstrip("\n").split(" ", 2)
    # rest is "object ." or "object <graph> ."
    value = rest.rsplit(" ", 2)[0] if named else rest[:-2]
    return subject, predicate, value


# Bookkeeping predicates as N-Quads terms, to test lines without parsing them.
_BOOKKEEPING_TERMS = frozenset(f"<{iri}>" for iri in BOOKKEEPING)


def content_nquads(lines: Iterable[str], licence_iri: str | None = None, *,
                   named: bool = True) -> str:
    """Canonical N-Quads (default graph) from N-Quads lines whose terms pyoxigraph wrote (the
    store's dump, `ox.serialize`): without bookkeeping, without graph names, and, for a record
    (`licence_iri` given), only the statements reached from the licence by content predicates
    (an amendment's change activity is reached only through bookkeeping). `licence_iri` None:
    every non-bookkeeping statement (an upload's activity graph). Raises NotCanonicalFast on a
    blank node."""
    by_subject: dict[str, list[str]] = {}
    for line in lines:
        subject, predicate, value = _split(line, named)
        if predicate in _BOOKKEEPING_TERMS:
            continue
        if subject[0] == "_" or value[0] == "_":
            raise NotCanonicalFast("a blank node")
        by_subject.setdefault(subject, []).append(f"{subject} {predicate} {value} .\n")
    if licence_iri is None:
        return "".join(sorted({t for found in by_subject.values() for t in found}))
    start = f"<{licence_iri}>"
    reached, todo, out = {start}, [start], set()
    while todo:
        for triple in by_subject.get(todo.pop(), ()):
            out.add(triple)
            value = triple.split(" ", 2)[2][:-3]
            if value[0] == "<" and value not in reached:
                reached.add(value)
                todo.append(value)
    return "".join(sorted(out))


def _text_of(statements: Iterable[Any]) -> list[str]:
    """Triples or quads as N-Quads lines, written by pyoxigraph in one call (graph names
    dropped: they never count)."""
    triples = [ox.Triple(s.subject, s.predicate, s.object) for s in statements]
    text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
    # Not splitlines(): it also splits at U+0085, U+2028…, which literals hold unescaped.
    return text.split("\n")[:-1]


def record_nquads(statements: Iterable[Any], licence_iri: str | None = None) -> str:
    """`content_nquads` of pyoxigraph triples or quads (a version graph as the store gives it)."""
    return content_nquads(_text_of(statements), licence_iri, named=False)


def record_nquads_rdfc(statements: Iterable[Any], licence_iri: str | None = None) -> str:
    """The same bytes the general way: RDFC-1.0 by registry/canon.py, over the same statements
    (chosen as `content_nquads` chooses them; with blank nodes, by every statement)."""
    found = [s for s in statements if s.predicate.value not in BOOKKEEPING]
    if licence_iri is not None:
        try:
            keep = set(content_nquads(_text_of(found), licence_iri, named=False).split("\n"))
        except NotCanonicalFast:
            keep = None
        if keep is not None:
            found = [s for s in found
                     if f"{s.subject} {s.predicate} {s.object} ." in keep]
    return canonical_nquads(ox.Quad(s.subject, s.predicate, s.object) for s in found)


# Lines from elsewhere than rdfmap may hold raw controls (rdfmap escapes them all): escaped as
# the canonical form does. A raw control can only be inside a literal: every IRI is checked.
_CONTROL_BYTES = bytes((*range(0x20), 0x7F))   # "\n" ends each line: counted there


def _bytes_of_lines(lines: list[str], graph_iri: str) -> bytes:
    suffix = f" <{graph_iri}> ."
    cut = -len(suffix)
    if not all(line.endswith(suffix) for line in lines):
        raise LeafError(f"a line not in the graph {graph_iri}")
    triples = sorted({line[:cut] for line in lines})
    data = "".join(f"{line} .\n" for line in triples).encode("utf-8")
    # A raw control (rare) needs escaping, which can reorder lines. Deleting the control bytes
    # and comparing lengths is the cheapest test (a regex over the text costs 5 times more).
    if len(data.translate(None, _CONTROL_BYTES)) != len(data) - len(triples):
        escaped = sorted({line.translate(rdfmap.CONTROL_ESCAPES) for line in triples})
        data = "".join(f"{line} .\n" for line in escaped).encode("utf-8")
    return data


def nquads_of_lines(lines: list[str], graph_iri: str) -> str:
    """Canonical N-Quads of registry/rdfmap.py `content_lines` (text, each line ending in
    ` <graph_iri> .`): for the commit, which has the text. It holds the record's content and
    nothing else, so only the graph name goes. Only as good as rdfmap's escaping agreeing with
    pyoxigraph's (tests/test_log_leaf.py holds them equal on every kind of record)."""
    return _bytes_of_lines(lines, graph_iri).decode("utf-8")


def sha256_of_lines(lines: list[str], graph_iri: str) -> str:
    """`sha256_hex(nquads_of_lines(…))`, encoding once: the commit's way."""
    return hashlib.sha256(_bytes_of_lines(lines, graph_iri)).hexdigest()


def record_hash(lines: list[str], graph_iri: str) -> str:
    """`sha256_of_lines(lines, graph_iri)` the commit's way, for every new version: its log
    leaf's record hash, which is also the version's fingerprint (an unchanged re-upload is told
    by it; docs/decisions.md). `lines` are registry/rdfmap.py `content_lines` of the graph
    `graph_iri`.

    rdfmap writes every line canonical but for its graph name (it escapes every control as
    RDFC-1.0 does), and lines all ending in ` <graph> .` sort as the same lines without it (a
    statement is never a prefix of another but for a literal followed by `@` or `^^`, both
    after the space): the canonical text is the sorted lines with that ending cut, joined.
    tests/test_log_leaf.py holds this equal to `sha256_of_lines` on every kind of record and
    on hypothesis-made text; here only what is cheap is checked (the graph named, no repeated
    line), and anything else takes `sha256_of_lines`."""
    ordered = sorted(lines)
    suffix = f" <{graph_iri}> ."
    if not ordered or not ordered[0].endswith(suffix) or not ordered[-1].endswith(suffix) \
            or len(set(ordered)) != len(ordered):
        return sha256_of_lines(lines, graph_iri)
    cut = -len(suffix)
    return hashlib.sha256((" .\n".join([line[:cut] for line in ordered]) + " .\n")
                          .encode("utf-8")).hexdigest()


def sha256_hex(nquads: str) -> str:
    return hashlib.sha256(nquads.encode("utf-8")).hexdigest()


def _objects(lines: list[str], subject: str, predicate: str, named: bool) -> list[str]:
    start = f"<{subject}> <{predicate}> "
    return [_split(line, named)[2] for line in lines if line.startswith(start)]


def _one(lines: list[str], subject: str, predicate: str, named: bool) -> str:
    """The lexical form of the one IRI or plain/typed literal `subject predicate` has."""
    found = _objects(lines, subject, predicate, named)
    if len(found) != 1:
        raise LeafError(f"<{subject}> has {len(found)} <{predicate}>, not one")
    value = found[0]
    # Values read here (IRIs, integers, xsd:dateTime) hold no escapes.
    return value[1:-1] if value[0] == "<" else value.split('"')[1]


def version_leaf_of_lines(lines: list[str], licence_iri: str, index: int, *,
                          named: bool = True) -> Leaf:
    """The leaf of the record a version graph holds, from its N-Quads lines as pyoxigraph
    writes them (the store's dump): what `log verify` recomputes."""
    generated = _one(lines, licence_iri, terms.WAS_GENERATED_BY.value, named)
    # A new licence points at its upload; an amendment at its `#change-N`, part of the upload.
    part_of = _objects(lines, generated, _PART_OF, named)
    try:
        nquads = content_nquads(lines, licence_iri, named=named)
    except NotCanonicalFast:
        raise LeafError(f"a blank node in the record of {licence_iri}") from None
    return _checked(Leaf(kind=LICENCE_VERSION, index=index, licence=licence_iri,
                         version=int(_one(lines, licence_iri, terms.VERSION.value, named)),
                         time=_one(lines, licence_iri, terms.MODIFIED.value, named),
                         upload=part_of[0][1:-1] if len(part_of) == 1 else generated,
                         sha256=sha256_hex(nquads)))


def version_leaf(statements: Iterable[Any], licence_iri: str, index: int) -> Leaf:
    """`version_leaf_of_lines` of a version graph's triples or quads (the current graph or
    `…/version/N`)."""
    return version_leaf_of_lines(_text_of(statements), licence_iri, index, named=False)


def upload_leaf(statements: Iterable[Any], upload_iri: str, index: int) -> Leaf:
    """The leaf of an upload's public activity (the triples of its `graph/upload/{id}`)."""
    found = list(statements)
    lines = _text_of(found)
    try:
        nquads = content_nquads(lines, named=False)
    except NotCanonicalFast:
        nquads = record_nquads_rdfc(found)
    return _checked(Leaf(kind=UPLOAD, index=index, upload=upload_iri,
                         time=_one(lines, upload_iri, _ENDED, False),
                         agency=_one(lines, upload_iri, _ASSOCIATED, False),
                         sha256=sha256_hex(nquads)))
