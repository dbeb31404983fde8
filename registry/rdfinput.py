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

import copy
import io
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache

import pyoxigraph as ox

from . import identifiers
from . import namespaces as ns
from . import recordterms as T
from .jsoninput import parse_json
from .paths import VOCAB_DIR
from .uploadformats import InvalidUploadFormat

CONTEXT_PATH = VOCAB_DIR / "context.jsonld"
CONTEXT_ROUTE = "/contexts/licence.jsonld"
# Relative IRIs in JSON-LD are resolved against this (a reserved, never-resolving name) and
# then refused: pyld would otherwise resolve them against http://example.org/base/.
_RELATIVE_BASE = "http://relative-iri.invalid/"

# Namespace IRIs are spelled once, in registry/namespaces.py.
_RDF, _CLC, _DCT = str(ns.RDF), str(ns.CLC), str(ns.DCT)
_SCHEMA, _ADMS, _SPDX, _LOCN = str(ns.SCHEMA), str(ns.ADMS), str(ns.SPDX), str(ns.LOCN)
STATUS_NS, ACCESS_NS = str(ns.CLCSTATUS), str(ns.CLCACCESS)
# The record's terms are named once, in registry/recordterms.py (T).
PERMIT_TYPES = frozenset({T.GOVERNMENT_PERMIT, T.EVIDENCE})

# What a licence node may say: the data model's properties (dct:issued and dct:publisher are
# read as schema:validFrom and schema:issuedBy), plus what the register sets on commit.
_LICENCE_PROPERTIES = frozenset({
    T.TYPE, T.IDENTIFIER, T.DCT_IDENTIFIER, T.CONFORMS_TO, T.ISSUED_BY, T.PUBLISHER,
    T.VALID_FROM, T.ISSUED, T.VALID_UNTIL, T.STATUS, T.STATUS_REASON, T.SUBJECT, T.ADDRESS,
    T.CONDITIONS, T.DOCUMENT})
_SET_ON_COMMIT = frozenset({T.VERSION, T.RECORD_DIGEST, T.MODIFIED, T.WAS_GENERATED_BY,
                            T.SUPERSEDED_BY_VERSION})


def _short(iri: str) -> str:
    for prefix, space in (("rdf:", _RDF), ("clc:", _CLC), ("dct:", _DCT), ("schema:", _SCHEMA),
                          ("adms:", _ADMS), ("spdx:", _SPDX), ("locn:", _LOCN)):
        if iri.startswith(space):
            return prefix + iri[len(space):]
    return f"<{iri}>"


def _label(term) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return getattr(term, "value", str(term))


# --- Turtle -----------------------------------------------------------------------------------

def read_turtle(body: bytes, base: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of a Turtle upload (UTF-8, a BOM allowed; no named graphs, no relative IRIs)."""
    stream = io.BytesIO(body)            # shares the bytes: no copy
    if body.startswith(b"\xef\xbb\xbf"):
        stream.seek(3)
    try:
        index = _Index.build(ox.parse(stream, format=ox.RdfFormat.TURTLE, base_iri=None), base)
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        where_th = f" (บรรทัด {line} คอลัมน์ {column})" if line else ""
        raise InvalidUploadFormat(
            f"The body is not valid Turtle: {exc.msg}. Prefixes must be declared and IRIs "
            "absolute; named graphs (TriG) are not accepted.",
            f"ข้อมูลไม่ใช่ Turtle ที่ถูกต้อง{where_th}: {exc.msg}") from None
    return index.rows()


# --- JSON-LD ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def project_context() -> dict:
    """The value of `@context` in vocab/context.jsonld (what `/contexts/licence.jsonld` serves)."""
    return json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]


def context_url(base: str) -> str:
    return base + CONTEXT_ROUTE


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


class _RefusedUrl(Exception):
    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def _document_loader(url: str):
    """A pyld document loader that knows one document and fetches nothing."""
    def load(requested: str, options=None):
        if requested != url:
            raise _RefusedUrl(requested)
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": {"@context": copy.deepcopy(project_context())}}
    return load


def _refused_in(exc: BaseException | None) -> str | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _RefusedUrl):
            return exc.url
        exc = exc.__cause__ or exc.__context__
    return None


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
        index = _Index.build(_absolute_only(quads), base)
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
    from pyld.context_resolver import ContextResolver

    document = parse_json(body)
    if not isinstance(document, (dict, list)):
        raise InvalidUploadFormat("A JSON-LD upload is an object or an array of objects.",
                                  "ข้อมูล JSON-LD ต้องเป็นออบเจกต์หรืออาร์เรย์ของออบเจกต์")
    url = context_url(base)
    check_contexts(document, url)
    check_known_keys(document)
    loader = _document_loader(url)
    # A resolver of our own: pyld's shared cache is global, and ours must only ever hold what
    # our loader gave it.
    options = {"base": _RELATIVE_BASE, "documentLoader": loader,
               "contextResolver": ContextResolver({}, loader)}
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
        refused = _refused_in(exc)
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
            f"{what} {value[:200]!r} ใน JSON-LD ไม่ใช่ IRI ที่ถูกต้อง") from None


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


# --- RDF → rows --------------------------------------------------------------------------------

class _Index:
    """The upload's quads in memory, with the records and licence IRIs found while reading."""

    def __init__(self, base: str):
        self.base = base
        self.dataset = ox.Dataset()
        self.permits: dict = {}                  # record subjects, in document order
        self.references: dict[str, None] = {}    # licence IRIs used as subjects or graph names
        self.graphs: dict[ox.NamedNode, None] = {}
        self.licence_prefix = f"{base}/id/licence/"
        self.graph_prefix = f"{base}/graph/licence/"
        self.type_prefix = f"{base}/id/licence-type/"
        self.agency_prefix = f"{base}/id/agency/"
        self.juristic_prefix = f"{base}/id/juristic-person/"

    @classmethod
    def build(cls, quads: Iterable[ox.Quad], base: str) -> _Index:
        index = cls(base)
        add = index.dataset.add
        permits, references, graphs = index.permits, index.references, index.graphs
        for quad in quads:
            add(quad)
            subject = quad.subject
            if quad.predicate == T.TYPE and quad.object in PERMIT_TYPES:
                permits.setdefault(subject)
            if isinstance(subject, ox.NamedNode):
                reference = index.licence_reference(subject.value)
                if reference is not None:
                    references.setdefault(reference)
            if isinstance(quad.graph_name, ox.NamedNode):
                graphs.setdefault(quad.graph_name)
        return index

    def licence_reference(self, iri: str) -> str | None:
        """The licence IRI an IRI under `/id/licence/` or `/graph/licence/` is about, or None."""
        iri = identifiers.uri_to_iri(iri)
        if iri.startswith(self.graph_prefix):
            iri = self.licence_prefix + iri[len(self.graph_prefix):]
        elif not iri.startswith(self.licence_prefix):
            return None
        return iri.split("#", 1)[0]

    # -- reading one node

    def properties(self, node) -> dict[ox.NamedNode, list]:
        """predicate → distinct objects, over every graph."""
        found: dict[ox.NamedNode, dict] = {}
        for quad in self.dataset.quads_for_subject(node):
            found.setdefault(quad.predicate, {})[quad.object] = None
        return {p: list(objects) for p, objects in found.items()}

    def part(self, term, owner, predicate: ox.NamedNode) -> dict[ox.NamedNode, list]:
        """The properties of a part of a record (its identifier, holder, premises, document,
        checksum), which must be a node: text or an RDF 1.2 triple term there is refused."""
        if not isinstance(term, (ox.NamedNode, ox.BlankNode)):
            what = (f"the text {term.value[:80]!r}" if isinstance(term, ox.Literal)
                    else f"the triple term {str(term)[:120]}")
            raise InvalidUploadFormat(
                f"{_label(owner)} {_short(predicate.value)} must be a node with properties of "
                f"its own, not {what}.",
                f"{_label(owner)} {_short(predicate.value)} ต้องเป็นโหนดที่มีคุณสมบัติของตนเอง "
                f"ไม่ใช่ {what}")
        return self.properties(term)

    def graph_names(self, node) -> set:
        return {q.graph_name for q in self.dataset.quads_for_subject(node)
                if isinstance(q.graph_name, ox.NamedNode)}

    @staticmethod
    def one(props: dict, node, *predicates: ox.NamedNode):
        values = list(dict.fromkeys(v for p in predicates for v in props.get(p, ())))
        if len(values) > 1:
            shown = ", ".join(_label(v)[:80] for v in values[:3])
            names = " / ".join(_short(p.value) for p in predicates)
            raise InvalidUploadFormat(
                f"{_label(node)} has {len(values)} values for {names} ({shown}); give one.",
                f"{_label(node)} มีค่า {names} {len(values)} ค่า ({shown}) ให้ระบุค่าเดียว")
        return values[0] if values else None

    @staticmethod
    def text(term, node, predicate: ox.NamedNode) -> str:
        if term is None:
            return ""
        if isinstance(term, (ox.Literal, ox.NamedNode)):
            return term.value
        raise InvalidUploadFormat(
            f"{_label(node)} {_short(predicate.value)} must be a value, not a node.",
            f"{_label(node)} {_short(predicate.value)} ต้องเป็นค่า ไม่ใช่โหนด")

    def code(self, term, prefix: str, node, predicate: ox.NamedNode) -> str:
        """A catalogue code from its IRI under `prefix`; any other IRI is passed whole, so
        validation refuses it as an unknown type or issuer."""
        text = self.text(term, node, predicate)
        if isinstance(term, ox.NamedNode) and text.startswith(prefix):
            return text[len(prefix):]
        return text

    def scheme(self, term, namespace: str, node, predicate: ox.NamedNode) -> str:
        text = self.text(term, node, predicate)
        if isinstance(term, ox.NamedNode) and text.startswith(namespace):
            return text[len(namespace):]
        return text

    def record(self, node) -> dict[str, str]:
        """One licence node → the template's columns (docs/data-model.md in reverse)."""
        props = self.properties(node)
        unknown = [p for p in props if p not in _LICENCE_PROPERTIES and p not in _SET_ON_COMMIT]
        if unknown:
            names = ", ".join(_short(p.value) for p in unknown[:5])
            raise InvalidUploadFormat(
                f"{_label(node)} has the property {names}, which the licence data model "
                "(docs/data-model.md) does not have.",
                f"{_label(node)} มีคุณสมบัติ {names} ซึ่งไม่มีในแบบจำลองข้อมูลใบอนุญาต")
        one, text = self.one, self.text
        values: dict[str, str] = {}

        # number: skos:notation of adms:identifier (as printed), else dct:identifier
        identifier = one(props, node, T.IDENTIFIER)
        notation = None
        if isinstance(identifier, ox.Literal):
            notation = identifier.value
        elif identifier is not None:
            found = one(self.part(identifier, node, T.IDENTIFIER), identifier, T.NOTATION)
            notation = text(found, identifier, T.NOTATION) if found is not None else None
        canonical = one(props, node, T.DCT_IDENTIFIER)
        canonical_text = text(canonical, node, T.DCT_IDENTIFIER) if canonical is not None else None
        if notation is not None and canonical_text is not None:
            _same_number(node, notation, canonical_text)
        values["licence_number"] = notation if notation is not None else (canonical_text or "")

        values["licence_type"] = self.code(one(props, node, T.CONFORMS_TO), self.type_prefix,
                                           node, T.CONFORMS_TO)
        values["issuer"] = self.code(one(props, node, T.ISSUED_BY, T.PUBLISHER),
                                     self.agency_prefix, node, T.ISSUED_BY)
        values["issued"] = text(one(props, node, T.VALID_FROM, T.ISSUED), node, T.VALID_FROM)
        values["valid_until"] = text(one(props, node, T.VALID_UNTIL), node, T.VALID_UNTIL)
        values["status"] = self.scheme(one(props, node, T.STATUS), STATUS_NS, node, T.STATUS)
        values["status_reason"] = text(one(props, node, T.STATUS_REASON), node, T.STATUS_REASON)
        values["conditions"] = text(one(props, node, T.CONDITIONS), node, T.CONDITIONS)
        self._holder(one(props, node, T.SUBJECT), node, values)
        premises = one(props, node, T.ADDRESS)
        if premises is not None:
            self._premises(premises, node, values)
        document = one(props, node, T.DOCUMENT)
        if document is not None:
            self._document(document, node, values)
        return values

    def _holder(self, holder, licence, values: dict[str, str]) -> None:
        if holder is None:
            values["holder_type"] = ""
            return
        if isinstance(holder, ox.Literal):
            raise InvalidUploadFormat(
                f"{_label(licence)} dct:subject must be the holder's node, not the text "
                f"{holder.value[:80]!r}.",
                f"{_label(licence)} dct:subject ต้องเป็นโหนดของผู้ถือใบอนุญาต ไม่ใช่ข้อความ")
        props = self.part(holder, licence, T.SUBJECT)
        types = set(props.get(T.TYPE, ()))
        kinds = [kind for kind, cls in (("juristic", T.LEGAL_ENTITY), ("natural", T.NATURAL_PERSON))
                 if cls in types]
        values["holder_type"] = " ".join(kinds)        # none or both: refused as holder-type
        identifier = self.one(props, holder, T.DCT_IDENTIFIER)
        if identifier is not None:
            values["holder_id"] = self.text(identifier, holder, T.DCT_IDENTIFIER)
        elif isinstance(holder, ox.NamedNode) and holder.value.startswith(self.juristic_prefix):
            values["holder_id"] = holder.value[len(self.juristic_prefix):]
        names: dict[str, list[str]] = {"th": [], "en": []}
        bad: list[str] = []
        for name in list(dict.fromkeys([*props.get(T.LEGAL_NAME, ()), *props.get(T.NAME, ())])):
            language = (name.language or "") if isinstance(name, ox.Literal) else ""
            primary = language.split("-", 1)[0].lower()
            if isinstance(name, ox.Literal) and primary in names:
                names[primary].append(name.value)
            else:
                bad.append(f'"{_label(name)[:80]}"@{language}' if language
                           else f'"{_label(name)[:80]}" (no language tag)')
        if names["th"]:
            values["holder_name"] = names["th"][0]
        if names["en"]:
            values["holder_name_en"] = names["en"][0]
        if bad:
            values["_labels_bad_language"] = ", ".join(bad)
        duplicated = [lang for lang, found in names.items() if len(found) > 1]
        if duplicated:
            values["_labels_duplicate"] = " ".join(duplicated)

    def _premises(self, premises, licence, values: dict[str, str]) -> None:
        props = self.part(premises, licence, T.ADDRESS)
        values["premises_address"] = self.text(self.one(props, premises, T.FULL_ADDRESS),
                                               premises, T.FULL_ADDRESS)
        values["province"] = self.text(self.one(props, premises, T.ADMIN_UNIT), premises,
                                       T.ADMIN_UNIT)

    def _document(self, document, licence, values: dict[str, str]) -> None:
        if isinstance(document, ox.Literal):
            values["document_url"] = document.value
            return
        one, text = self.one, self.text
        props = self.part(document, licence, T.DOCUMENT)
        url = one(props, document, T.URL)
        if url is not None:
            values["document_url"] = text(url, document, T.URL)
        elif isinstance(document, ox.NamedNode) and not document.value.startswith(self.base + "/"):
            values["document_url"] = document.value    # the document named by its own URL
        values["document_media_type"] = text(one(props, document, T.FORMAT), document, T.FORMAT)
        values["document_access"] = self.scheme(one(props, document, T.ACCESS), ACCESS_NS,
                                                document, T.ACCESS)
        values["document_login_url"] = text(one(props, document, T.LOGIN), document, T.LOGIN)
        checksum = one(props, document, T.CHECKSUM)
        if checksum is None:
            return
        if isinstance(checksum, ox.Literal):
            values["document_sha256"] = checksum.value
            return
        cprops = self.part(checksum, document, T.CHECKSUM)
        algorithm = one(cprops, checksum, T.ALGORITHM)
        if algorithm is not None and algorithm != T.SHA256:
            raise InvalidUploadFormat(
                f"{_label(checksum)} uses the checksum algorithm {_label(algorithm)}; only "
                "spdx:checksumAlgorithm_sha256 is accepted.",
                f"{_label(checksum)} ใช้อัลกอริทึม {_label(algorithm)} รับเฉพาะ SHA-256")
        values["document_sha256"] = text(one(cprops, checksum, T.CHECKSUM_VALUE), checksum,
                                         T.CHECKSUM_VALUE)

    # -- records → rows

    def _given_iri(self, candidates: list[str], values: dict[str, str]) -> str:
        """The one IRI validation checks when a record's subject and graph name differ: the one
        most likely to be refused (another issuer, not a licence IRI, not the minted IRI)."""
        def key(iri):
            try:
                return identifiers.parse_licence_iri(self.base, iri)
            except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError):
                return None
        keys = [key(iri) for iri in candidates]
        if keys[0] is not None and all(k == keys[0] for k in keys):
            return candidates[-1]
        issuer = values.get("issuer", "").strip()
        try:
            minted = identifiers.LicenceKey(issuer, values.get("licence_type", "").strip(),
                                            identifiers.canonical_number(
                                                values.get("licence_number", "")))
        except identifiers.InvalidNumber:
            minted = None
        for wanted in (lambda k: k is not None and k.issuer != issuer,
                       lambda k: k is None,
                       lambda k: k != minted):
            for iri, k in zip(candidates, keys, strict=True):
                if wanted(k):
                    return iri
        return candidates[-1]

    def rows(self) -> Iterator[tuple[str, dict[str, str]]]:
        covered: set[str] = set()
        for node in self.permits:
            values = self.record(node)
            candidates: list[str] = []
            graphs = self.graph_names(node)
            if len(graphs) > 1:
                shown = ", ".join(sorted(g.value for g in graphs)[:3])
                raise InvalidUploadFormat(
                    f"{_label(node)} is in {len(graphs)} named graphs ({shown}); a record is "
                    "in one graph, named by its licence IRI.",
                    f"{_label(node)} อยู่ใน {len(graphs)} กราฟ ({shown}) "
                    "ระเบียนหนึ่งต้องอยู่ในกราฟเดียว")
            for graph in graphs:
                name = self.licence_reference(graph.value) or graph.value
                candidates.append(name)
                covered.add(name)
            if isinstance(node, ox.NamedNode):
                candidates.append(node.value)
                covered.add(self.licence_reference(node.value) or node.value)
            if candidates:
                values["_iri"] = (candidates[0] if len(candidates) == 1
                                  else self._given_iri(candidates, values))
            yield _label(node), values
        # Licences touched without being records here, and graphs named after no record.
        for reference in self.references:
            if reference not in covered:
                covered.add(reference)
                yield reference, {"_iri": reference}
        for graph in self.graphs:
            name = self.licence_reference(graph.value) or graph.value
            if name not in covered:
                covered.add(name)
                yield graph.value, {"_iri": name}


def _same_number(node, notation: str, canonical: str) -> None:
    """dct:identifier, when given beside skos:notation, must be its canonical form."""
    try:
        expected = identifiers.canonical_number(notation)
    except identifiers.InvalidNumber:
        return                      # validation reports the printed number
    try:
        given = identifiers.canonical_number(canonical)
    except identifiers.InvalidNumber:
        given = canonical
    if given != expected:
        raise InvalidUploadFormat(
            f"{_label(node)} dct:identifier {canonical[:100]!r} is not the canonical form of "
            f"its printed number {notation[:100]!r} ({expected!r}).",
            f"{_label(node)} dct:identifier {canonical[:100]!r} ไม่ตรงกับเลขที่พิมพ์ "
            f"{notation[:100]!r} ({expected!r})")
