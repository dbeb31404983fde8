"""RDF → rows: an upload's quads read back into the CSV template's columns (docs/data-model.md
in reverse), one row per licence node, for the one validator. The readers are in rdfinput.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from publishing.formatbase import InvalidUploadFormat
from registry import identifiers
from registry import namespaces as ns
from registry import recordterms as T

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
    T.CONDITIONS, T.DOCUMENT, T.REQUIRES})
_SET_ON_COMMIT = frozenset({T.VERSION, T.RECORD_DIGEST, T.MODIFIED, T.WAS_GENERATED_BY,
                            T.SUPERSEDED_BY_VERSION, T.STATUS_COUNTER, T.LOG_INDEX})


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


# --- RDF → rows --------------------------------------------------------------------------------

class RdfIndex:
    """The upload's quads in memory, with the records and licence IRIs found while reading."""

    def __init__(self, base: str):
        self.base = base
        self.dataset = ox.Dataset()
        self.permits: dict = {}                  # record subjects, in document order
        self.references: dict[str, None] = {}    # licence IRIs used as subjects or graph names
        self.graphs: dict[ox.NamedNode, None] = {}
        self.licence_prefix = identifiers.licence_iri_prefix(base)
        self.graph_prefix = identifiers.licence_graph_prefix(base)
        self.type_prefix = identifiers.licence_type_iri(base, "")
        self.agency_prefix = identifiers.agency_iri(base, "")
        self.juristic_prefix = identifiers.juristic_person_iri(base, "")

    @classmethod
    def build(cls, quads: Iterable[ox.Quad], base: str) -> RdfIndex:
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
        # Each required licence's IRI (a text value is read as a reference too): one a line.
        values["related_licences"] = "\n".join(
            _label(value) for value in props.get(T.REQUIRES, ()))
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
                f"{_label(licence)} dct:subject ต้องเป็นโหนดของผู้ถือใบอนุญาต ไม่ใช่ข้อความ "
                f"{holder.value[:80]!r}")
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
