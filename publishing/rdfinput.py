"""Reading RDF uploads (SPEC §5): Turtle and JSON-LD, read back into the CSV template's columns.

The mapping is docs/data-model.md in reverse, so the same licence sent as CSV, JSON, JSON-LD or
Turtle becomes the same row, the same IRI and the same stored record, and every record meets
the one validator (`registry/validation.py`). Nothing given in an upload is stored as given:
the stored record is always minted again from the row.

- Every subject typed `schema:GovernmentPermit` or `cv:Evidence` is one record, named (`row`)
  by its IRI (or `_:label` for a blank node). Its IRI — and the name of the JSON-LD graph it is
  in — go to validation as `values["_iri"]`, which must be the minted IRI and in the uploading
  agency's scope.
- Any other subject or graph name under `{BASE}/id/licence/` or `{BASE}/graph/licence/` (a
  triple about some licence that is not a record here) becomes a row of its own holding only
  that IRI, so an attempt to touch another agency's licence is refused as out of scope rather
  than silently ignored. Triples about anything else (catalogue terms, agencies, licence types)
  are ignored: an upload can never change the catalogue.
- Holder names are placed by language tag (`th` → holder_name, `en` → holder_name_en). Names in
  another language, without one, or two in one language go to validation as
  `_labels_bad_language` / `_labels_duplicate` (rules labels-language, labels-unique).
- A property of the licence that the data model does not know is refused (like an unknown CSV
  column), except the ones set on commit (version, digest, modified, wasGeneratedBy), which are
  ignored so a record downloaded from the register can be edited and sent back.

JSON-LD is parsed by pyld with a document loader that serves only the project's own context
(`{BASE}/contexts/licence.jsonld`) and raises for every other URL; before pyld runs, every
`@context` in the document must be that URL, the same object inline, or absent (full IRIs).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from publishing.formatbase import InvalidUploadFormat
from publishing.jsoninput import parse_json
from publishing.rdfrows import RdfIndex
from registry.jsonldcontexts import (
    context_url,
    document_loader,
    project_context,
    pyld_options,
    refused_url,
)
from registry.paths import JSONLD_CONTEXT

CONTEXT_PATH = JSONLD_CONTEXT
# Relative IRIs in JSON-LD are resolved against this (a reserved, never-resolving name) and
# then refused: pyld would otherwise resolve them against http://example.org/base/.
_RELATIVE_BASE = "http://relative-iri.invalid/"

# --- Turtle -----------------------------------------------------------------------------------

def read_turtle(body: bytes, base: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of a Turtle upload (UTF-8, a BOM allowed; no named graphs, no relative IRIs)."""
    stream = io.BytesIO(body)            # shares the bytes: no copy
    if body.startswith(b"\xef\xbb\xbf"):
        stream.seek(3)
    try:
        index = RdfIndex.build(ox.parse(stream, format=ox.RdfFormat.TURTLE, base_iri=None), base)
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        where_th = f" (บรรทัด {line} คอลัมน์ {column})" if line else ""
        raise InvalidUploadFormat(
            f"The body is not valid Turtle: {exc.msg}. Prefixes must be declared and IRIs "
            "absolute; named graphs (TriG) are not accepted.",
            f"ข้อมูลไม่ใช่ Turtle ที่ถูกต้อง{where_th}: {exc.msg}") from None
    return index.rows()


# --- JSON-LD ----------------------------------------------------------------------------------

def _refuse_context(value, url: str) -> InvalidUploadFormat:
    shown = json.dumps(value, ensure_ascii=False)[:200]
    return InvalidUploadFormat(
        f"The JSON-LD @context {shown} is not accepted. Contexts are never fetched: use "
        f"\"{url}\", the same object inline, or full IRIs without a context.",
        f"ไม่รับ @context {shown} ระบบไม่ดึงข้อมูล context จากภายนอก ให้ใช้ \"{url}\" "
        "หรือคัดลอก context เดียวกันมาใส่ในเอกสาร หรือใช้ IRI เต็มโดยไม่มี context")


def _check_context_value(value, url: str) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item is None or item == url or (isinstance(item, dict) and item == project_context()):
            continue
        raise _refuse_context(item, url)


def check_contexts(document, url: str) -> None:
    """Every `@context` in the document is the project's (by URL or inline) or null; no
    `@import`. Iterative, so depth cannot exhaust the stack."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    _check_context_value(value, url)      # accepted: not looked into
                elif key == "@import":
                    raise _refuse_context({"@import": value}, url)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


_MAP_CONTAINERS = {"@language", "@index", "@id", "@type"}


def check_known_keys(document) -> None:
    """Every key is a keyword, a term of the project's context or an IRI (`prefix:x`, `https:…`).

    pyld drops a key its context does not define without a word, so a misspelt `validUntill`
    would lose the date silently; it is refused instead, like an unknown CSV column.
    """
    terms = project_context()
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{where}[{n}]") for n, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if key in ("@context", "@value"):
                continue
            if not key.startswith("@") and key not in terms and ":" not in key:
                raise InvalidUploadFormat(
                    f"{path}: the key {key!r} is not a term of the licence context "
                    "(/contexts/licence.jsonld) nor a full IRI; check its spelling.",
                    f"{path}: คีย์ {key!r} ไม่มีใน context ของใบอนุญาต "
                    "(/contexts/licence.jsonld) และไม่ใช่ IRI เต็ม โปรดตรวจสอบการสะกด")
            definition = terms.get(key)
            if isinstance(definition, dict) and definition.get("@container") in _MAP_CONTAINERS \
                    and isinstance(value, dict):
                # A language (or index) map: its keys are languages, its values the data.
                stack.extend((item, f"{path}.{lang}") for lang, item in value.items())
            else:
                stack.append((value, path))


def read_jsonld(body: bytes, base: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of a JSON-LD upload (contexts as `check_contexts` allows; nothing fetched)."""
    expanded = expand_checked(body, base)
    # The expanded document has no context left: pyoxigraph reads it as RDF in a fourteenth of
    # the time of pyld's own to_rdf (which was three quarters of the time of a JSON-LD upload;
    # bench/jsonld.py), the same RDF once blank nodes are named and directions dropped as pyld
    # does (tests/test_jsonld_to_rdf.py).
    prepare_for_rdf(expanded)
    try:
        expanded_json = json.dumps(expanded, ensure_ascii=False).encode()
    except RecursionError:
        raise _too_deep() from None
    try:
        quads = ox.parse(expanded_json, format=ox.RdfFormat.JSON_LD, base_iri=_RELATIVE_BASE)
        index = RdfIndex.build(_absolute_only(quads), base)
    except SyntaxError as exc:
        raise InvalidUploadFormat(
            f"The JSON-LD gives a term RDF cannot hold (an invalid IRI or literal): {exc.msg}",
            "JSON-LD มีค่าที่ใช้ใน RDF ไม่ได้ (IRI หรือค่าตัวอักษรไม่ถูกต้อง): "
            f"{exc.msg}") from None
    return index.rows()


def expand_checked(body: bytes, base: str) -> list:
    """A JSON-LD upload expanded by pyld with no context but the project's, and every IRI and
    language tag of the expanded form one RDF can hold."""
    from pyld import jsonld

    document = parse_json(body)
    if not isinstance(document, (dict, list)):
        raise InvalidUploadFormat("A JSON-LD upload is an object or an array of objects.",
                                  "ข้อมูล JSON-LD ต้องเป็นออบเจกต์หรืออาร์เรย์ของออบเจกต์")
    url = context_url(base)
    check_contexts(document, url)
    check_known_keys(document)
    # Uploads get the project's context only (not the W3C ones a credential may use).
    options = pyld_options(document_loader({url: {"@context": project_context()}}),
                           base=_RELATIVE_BASE)
    try:
        expanded = jsonld.expand(document, options)
        # pyld leaves out what RDF cannot hold (relative or ill-formed IRIs, bad language
        # tags) without a word; a dropped document URL would lose data silently.
        check_expanded_terms(expanded)
    except InvalidUploadFormat:
        raise
    except RecursionError:
        raise _too_deep() from None
    except Exception as exc:                              # pyld raises many kinds
        refused = refused_url(exc)
        if refused is not None:
            raise _refuse_context(refused, url) from None
        reason = "; ".join(dict.fromkeys(
            str(e.args[0]) if e.args else type(e).__name__ for e in _chain(exc)))[:500]
        raise InvalidUploadFormat(f"The body is not valid JSON-LD: {reason}",
                                  f"ข้อมูลไม่ใช่ JSON-LD ที่ถูกต้อง: {reason}") from None
    return expanded


def _too_deep() -> InvalidUploadFormat:
    return InvalidUploadFormat("The JSON-LD is nested too deeply.",
                               "ข้อมูล JSON-LD ซ้อนกันลึกเกินไป")


def _relative(value: str) -> InvalidUploadFormat:
    relative = value[len(_RELATIVE_BASE):]
    return InvalidUploadFormat(
        f"The JSON-LD uses the relative IRI {relative!r}; give full IRIs "
        "(there is no base to resolve it against).",
        f"JSON-LD ใช้ IRI แบบสัมพัทธ์ {relative!r} ให้ใช้ IRI แบบเต็ม")


def _check_iri(value, what: str, blank_allowed: bool = True) -> None:
    if not isinstance(value, str):
        return                                            # pyld has refused it already
    if blank_allowed and value.startswith("_:"):
        return
    if value.startswith(_RELATIVE_BASE):
        raise _relative(value)
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise InvalidUploadFormat(
            f"The JSON-LD {what} {value[:200]!r} is not a valid IRI ({exc}).",
            f"{what} {value[:200]!r} ใน JSON-LD ไม่ใช่ IRI ที่ถูกต้อง ({exc})") from None


def check_expanded_terms(expanded) -> None:
    """Every IRI and language tag of expanded JSON-LD is one RDF can hold (else pyld would
    drop the statement silently). Iterative, so depth cannot exhaust the stack."""
    stack = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
            continue
        if not isinstance(node, dict):
            continue
        if "@value" in node:                              # a literal: not looked into
            language = node.get("@language")
            if isinstance(language, str):
                try:
                    ox.Literal("x", language=language)
                except ValueError:
                    raise InvalidUploadFormat(
                        f"The JSON-LD language tag {language[:50]!r} is not valid.",
                        f"แท็กภาษา {language[:50]!r} ใน JSON-LD ไม่ถูกต้อง") from None
            if node.get("@type") not in (None, "@json"):
                _check_iri(node["@type"], "datatype", blank_allowed=False)
            continue
        for key, value in node.items():
            if key == "@id":
                _check_iri(value, "@id")
            elif key == "@type":
                for item in value if isinstance(value, list) else [value]:
                    _check_iri(item, "@type")
            elif not key.startswith("@"):
                _check_iri(key, "property", blank_allowed=False)
            if isinstance(value, (dict, list)):
                stack.append(value)


def prepare_for_rdf(expanded) -> None:
    """Make expanded JSON-LD read by pyoxigraph give what pyld's to_rdf gives: every node
    object without `@id` gets a blank node label of its own, `_:b0`, `_:b1`… in document order
    (skipping labels the document uses), so a report names an unlabelled record the same way
    every time (pyoxigraph would label it at random); `@direction` is dropped from literals
    (pyld's default; pyoxigraph would make "x"@en--rtl, a language tag no rule accepts).
    Iterative, so depth cannot exhaust the stack."""
    taken: set[str] = set()
    nodes: list[dict] = []
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))          # document order
            continue
        if not isinstance(item, dict):
            continue
        if "@value" in item:                      # a literal (an @json one is not looked into)
            item.pop("@direction", None)
            continue
        if "@list" in item or "@set" in item:
            stack.append(item.get("@list", item.get("@set")))
            continue
        label = item.get("@id")
        if isinstance(label, str) and label.startswith("_:"):
            taken.add(label)
        elif label is None:
            nodes.append(item)
        for key, value in reversed(list(item.items())):
            if key == "@reverse" and isinstance(value, dict):
                stack.extend(reversed(list(value.values())))      # property → node objects
            elif key not in ("@id", "@type", "@index") and isinstance(value, (list, dict)):
                stack.append(value)
    counter = 0
    for node in nodes:
        while f"_:b{counter}" in taken:
            counter += 1
        node["@id"] = f"_:b{counter}"
        counter += 1


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__


def _absolute_only(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    for quad in quads:
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(_RELATIVE_BASE):
                raise _relative(term.value)
        yield quad
