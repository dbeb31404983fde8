"""The reference path: raw rows → RDF without checking anything → pyshacl over `shapes/licence.ttl`.

`registry/validation.py` (the fast validator) is what uploads go through; this module is what it
is measured against. It is deliberately naive and slow (pyshacl 0.40 took about 20 s per 1,000
licences here, most of it re-parsing the SPARQL constraints for every licence), and it is never
used on the upload path:

- `lenient_graph` maps raw CSV rows to RDF the way docs/data-model.md says, but keeps bad values
  so the shapes can see them. It maps each row as `registry/rowvalues.py` reads it (Thai words
  for codes, provinces by name or code, Thai dates): reading values comes before the standard,
  as on the upload path, and is not a rule SHACL checks. Then a date `parse_date` cannot read
  stays as its raw text typed `xsd:date`, a non-https URL stays an IRI, an unknown status
  becomes `clcstatus:{text}`, an unknown province stays as written, and an empty column simply
  leaves its statement out.
- `reference_problems` runs pyshacl and reads each result's rule code from its `sh:sourceShape`
  (`clcshape:{code}` or `clcshape:{code}--{variant}`), attributed to rows via the focus node.
- `naive_validate_turtle` is the naive ingest path for the benchmark (bench/ingest.py): rdflib
  parses a Turtle document and pyshacl checks the whole graph.

Predicates and classes come from `registry.recordterms`, as for the write path (rdfmap) and the
RDF reader (rdfinput), so the three cannot drift apart on an IRI.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources.abc import Traversable

import pyoxigraph as ox
import pyshacl
from rdflib import RDF, SH, XSD, BNode, Graph, Literal, URIRef

from registry import identifiers, thaiid
from registry import recordterms as terms
from registry.codedvalues import CodedValues
from registry.dates import InvalidDate, parse_date
from registry.model import Catalogue, catalogue_quads
from registry.namespaces import CLC, CLCACCESS, CLCSHAPE, CLCSTATUS
from registry.paths import SHAPES_DIR
from registry.rowvalues import normalise_row

LICENCE_SHAPES = SHAPES_DIR / "licence.ttl"
_SHAPE_NS = str(CLCSHAPE)
_CLC_PIPELINE_RULE = URIRef(CLC.PipelineRule.value)


# The record's terms as rdflib nodes, from the one list of them (registry/recordterms.py).
P = {name: URIRef(term.value) for name, term in terms.by_name().items()}
STATUS_NS, ACCESS_NS = str(CLCSTATUS), str(CLCACCESS)

FocusRows = dict[URIRef, set]          # focus node → the rows that produced it


def _text(raw: Mapping[str, str], column: str) -> str:
    return (raw.get(column) or "").strip()


def _number(printed: str) -> tuple[str | None, str | None]:
    """(canonical number, the text dct:identifier shows). The raw text when it cannot be
    canonicalised (the shapes then see what the agency wrote); nothing when nothing is left."""
    try:
        number = identifiers.canonical_number(printed)
        return number, number
    except identifiers.InvalidNumber as exc:
        return None, (None if exc.rule == "number-required" else printed)


def _licence_iri(base: str, row, issuer: str, type_code: str, number: str | None,
                 taken: set[str]) -> str:
    """The minted licence IRI when the number and codes allow, else `{base}/upload-row/{row}`."""
    try:
        minted = identifiers.licence_iri(base, identifiers.LicenceKey(
            identifiers.check_code(issuer, "Issuer"),
            identifiers.check_code(type_code, "Licence type"), number)) if number else None
    except identifiers.InvalidCode:
        minted = None
    # A second row with the same (issuer, type, number) would merge into the first row's node
    # and mix their values; batch-duplicate is a pipeline rule, so keep the rows apart here.
    if minted is None or minted in taken:
        return f"{base}/upload-row/{row}"
    taken.add(minted)
    return minted


def _date(text: str) -> Literal:
    """A date as the pipeline would write it, or the raw text typed xsd:date (ill-typed)."""
    try:
        return Literal(parse_date(text).value.isoformat(), datatype=XSD.date)
    except InvalidDate:
        return Literal(text, datatype=XSD.date, normalize=False)


def lenient_graph(rows: Iterable[tuple[object, Mapping[str, str]]], base: str,
                  catalogue: Catalogue, focus_rows: FocusRows | None = None) -> Graph:
    """Raw rows `(row, {column: text})` → one rdflib Graph of their licence statements, unchecked.

    When `focus_rows` is given it is filled with every node a shape can target (the licence,
    its `#holder`, `#document` and `#checksum`, the juristic person) → the rows behind it.
    """
    g = Graph()
    add = g.add
    focus: FocusRows = focus_rows if focus_rows is not None else {}
    taken: set[str] = set()
    coded = CodedValues(catalogue)
    for row, given in rows:
        raw, _readings = normalise_row(row, dict(given), coded)
        # The helpers bind this row's values as defaults: a closure would see the loop's latest.
        def get(column: str, raw: Mapping[str, str] = raw) -> str:
            return _text(raw, column)

        printed, type_code, issuer = get("licence_number"), get("licence_type"), get("issuer")
        number, shown = _number(printed) if printed else (None, None)
        iri = _licence_iri(base, row, issuer, type_code, number, taken)
        L = URIRef(iri)

        def node(part: str, iri: str = iri, row: object = row) -> URIRef:
            ref = URIRef(f"{iri}#{part}")
            focus.setdefault(ref, set()).add(row)
            return ref

        focus.setdefault(L, set()).add(row)
        add((L, RDF.type, P["EVIDENCE"]))
        add((L, RDF.type, P["GOVERNMENT_PERMIT"]))
        if printed:
            ident = node("identifier")
            add((L, P["IDENTIFIER"], ident))
            add((ident, P["NOTATION"], Literal(printed)))
            if shown:
                add((L, P["DCT_IDENTIFIER"], Literal(shown)))
        if type_code:
            add((L, P["CONFORMS_TO"], URIRef(identifiers.licence_type_iri(base, type_code))))
        if issuer:
            add((L, P["ISSUED_BY"], URIRef(identifiers.agency_iri(base, issuer))))
        for column, predicate in (("issued", "VALID_FROM"), ("valid_until", "VALID_UNTIL")):
            if get(column):
                add((L, P[predicate], _date(get(column))))
        add((L, P["STATUS"], URIRef(STATUS_NS + (get("status").lower() or "active"))))
        if get("status_reason"):
            add((L, P["STATUS_REASON"], Literal(get("status_reason"), lang="th")))
        _holder(g, focus, row, base, iri, raw, catalogue)
        if get("premises_address") or get("province"):
            premises = node("premises")
            add((L, P["ADDRESS"], premises))
            if get("premises_address"):
                add((premises, P["FULL_ADDRESS"], Literal(get("premises_address"), lang="th")))
            if get("province"):
                add((premises, P["ADMIN_UNIT"], Literal(get("province"), lang="th")))
        if get("conditions"):
            add((L, P["CONDITIONS"], Literal(get("conditions"), lang="th")))
        _document(g, node, L, get)
    return g


def _holder(g: Graph, focus: FocusRows, row, base: str, iri: str, raw: Mapping[str, str],
            catalogue: Catalogue) -> None:
    holder_type = _text(raw, "holder_type").lower()
    name_predicate: URIRef | None
    names = [(_text(raw, "holder_name"), "th"), (_text(raw, "holder_name_en"), "en")]
    if holder_type == "juristic":
        holder_id = thaiid.canonical_id(_text(raw, "holder_id"))
        # An empty ID would give every such row the same node `{base}/id/juristic-person/`;
        # the licence's own `#holder` keeps it apart (and has no dct:identifier to check).
        H = URIRef(f"{base}/id/juristic-person/{holder_id}" if holder_id else f"{iri}#holder")
        g.add((H, RDF.type, P["LEGAL_ENTITY"]))
        if holder_id:
            g.add((H, P["DCT_IDENTIFIER"], Literal(holder_id)))
        name_predicate = P["LEGAL_NAME"]
    elif holder_type == "natural":
        H = URIRef(f"{iri}#holder")            # never built from (nor stating) the person's ID
        g.add((H, RDF.type, P["NATURAL_PERSON"]))
        licence_type = catalogue.types.get(_text(raw, "licence_type"))
        name_predicate = P["NAME"] if licence_type and licence_type.public_register else None
    else:
        return                                  # holder-type is a pipeline rule
    focus.setdefault(H, set()).add(row)
    g.add((URIRef(iri), P["SUBJECT"], H))
    if name_predicate is not None:
        for name, lang in names:
            if name:
                g.add((H, name_predicate, Literal(name, lang=lang)))


def _document(g: Graph, node, L: URIRef, get) -> None:
    """The document part, whenever any document column is filled in (so a checksum, media type
    or access given without a URL is still checked, as the pipeline checks it)."""
    columns = ("document_url", "document_sha256", "document_media_type", "document_access",
               "document_login_url")
    if not any(get(column) for column in columns):
        return
    D = node("document")
    g.add((L, P["DOCUMENT"], D))
    if get("document_url"):
        g.add((D, P["URL"], URIRef(get("document_url"))))
    if get("document_media_type"):
        g.add((D, P["FORMAT"], Literal(get("document_media_type").lower())))
    g.add((D, P["ACCESS"], URIRef(ACCESS_NS + (get("document_access").lower() or "public"))))
    if get("document_login_url"):
        g.add((D, P["LOGIN"], URIRef(get("document_login_url"))))
    if get("document_sha256"):
        checksum = node("checksum")
        g.add((D, P["CHECKSUM"], checksum))
        g.add((checksum, P["ALGORITHM"], P["SHA256"]))
        g.add((checksum, P["CHECKSUM_VALUE"],
               Literal(get("document_sha256").lower(), datatype=XSD.hexBinary, normalize=False)))


def to_rdflib(term):
    """A pyoxigraph term as the equal rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):      # a simple literal, as rdflib writes it
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def catalogue_graph(catalogue: Catalogue, base: str, into: Graph | None = None) -> Graph:
    """The catalogue (licence types, agencies) as rdflib triples, via registry.model."""
    g = into if into is not None else Graph()
    for quad in catalogue_quads(catalogue, base, ox.NamedNode(f"{base}/graph/catalogue")):
        g.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return g


def catalogue_turtle(catalogue: Catalogue, base: str) -> bytes:
    """The catalogue as a Turtle document (for `naive_validate_turtle`)."""
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in catalogue_quads(catalogue, base, ox.DefaultGraph())]
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b""


@lru_cache(maxsize=4)
def shapes_graph(path: Traversable = LICENCE_SHAPES) -> Graph:
    """The shapes, parsed once (pyshacl does not modify the shapes graph)."""
    return Graph().parse(data=path.read_bytes(), format="turtle")


def rule_code(shape) -> str | None:
    """`clcshape:{code}--{variant}` → `{code}`; None for anything outside the shapes namespace."""
    text = str(shape)
    if not text.startswith(_SHAPE_NS):
        return None
    return text[len(_SHAPE_NS):].split("--")[0]


def shape_rule_codes(path: Traversable = LICENCE_SHAPES) -> frozenset[str]:
    """Rule codes that SHACL checks: shapes typed sh:NodeShape or sh:PropertyShape."""
    g = shapes_graph(path)
    return frozenset(code for kind in (SH.NodeShape, SH.PropertyShape)
                     for shape in g.subjects(RDF.type, kind)
                     if (code := rule_code(shape)) is not None)


def pipeline_rule_codes(path: Traversable = LICENCE_SHAPES) -> frozenset[str]:
    """Rule codes declared as clc:PipelineRule (enforced by registry/validation.py only)."""
    g = shapes_graph(path)
    return frozenset(code for shape in g.subjects(RDF.type, _CLC_PIPELINE_RULE)
                     if (code := rule_code(shape)) is not None)


def shacl_results(data: Graph, path: Traversable = LICENCE_SHAPES) -> tuple[bool, Graph]:
    conforms, results, _text_report = pyshacl.validate(
        data, shacl_graph=shapes_graph(path), advanced=True, inference="none",
        allow_warnings=True)
    return conforms, results


def reference_problems(rows: Iterable[tuple[object, Mapping[str, str]]], base: str,
                       catalogue: Catalogue) -> dict[object, set[str]]:
    """row → the rule codes pyshacl reports for it (every row present, clean rows with none).

    The data graph is the rows' lenient RDF plus the catalogue (the SPARQL constraints and
    `sh:class cv:EvidenceType` read licence types from it); the shapes are shapes/licence.ttl
    only. A result on a juristic person shared by several rows counts for each of them.
    """
    rows = list(rows)
    focus: FocusRows = {}
    data = lenient_graph(rows, base, catalogue, focus)
    catalogue_graph(catalogue, base, into=data)
    _conforms, results = shacl_results(data)
    return rule_codes_by_row(results, focus, [row for row, _raw in rows])


def rule_codes_by_row(results: Graph, focus: FocusRows, rows: Iterable) -> dict[object, set[str]]:
    """Each sh:ValidationResult's rule code, attributed through its focus node to the rows."""
    found: dict[object, set[str]] = {row: set() for row in rows}
    for result in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(result, SH.sourceShape)
        node = results.value(result, SH.focusNode)
        code = rule_code(shape)
        if code is None or not isinstance(node, URIRef) or node not in focus:
            raise ValueError(f"SHACL result not attributable to a row: shape {shape}, "
                             f"focus node {node}")
        for row in focus[node]:
            found[row].add(code)
    return found


def naive_validate_turtle(turtle_bytes: bytes, catalogue_turtle: bytes | str
                          ) -> tuple[bool, float, float]:
    """The naive ingest path: rdflib parses the licences' Turtle, pyshacl checks the whole graph.

    Returns (conforms, seconds to parse the licences' Turtle, seconds pyshacl took). The
    catalogue (needed in the data graph) is parsed before the clock starts, as are the shapes.
    """
    data = Graph()
    data.parse(data=catalogue_turtle, format="turtle")
    shapes_graph()
    start = time.perf_counter()
    data.parse(data=turtle_bytes, format="turtle")
    parsed = time.perf_counter()
    conforms, _results = shacl_results(data)
    return conforms, parsed - start, time.perf_counter() - parsed
