"""The register's own vocabulary (vocab/clc.ttl) declares every `clc:` term the code writes or
queries, each with a Thai and an English label and definition — including the terms of the
verifiable licences (SPEC §11): the credential's type and the status lists' bookkeeping."""

from __future__ import annotations

import re
from pathlib import Path

import rdflib

from registry.paths import VOCAB_DIR

CLC = rdflib.Namespace("https://w3id.org/clc/def#")
# Plain namespaces: pytest trips over rdflib's closed ones (OWL, RDFS …) at module level.
OWL = rdflib.Namespace("http://www.w3.org/2002/07/owl#")
RDFS = rdflib.Namespace("http://www.w3.org/2000/01/rdf-schema#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
RDF_TYPE = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ROOT = Path(__file__).resolve().parent.parent
# Where terms are used: the code, its templates and queries, the shapes and both contexts.
SOURCES = ("registry", "publishing", "resolver", "opendata", "ops", "web", "shapes", "vocab")
SUFFIXES = {".py", ".html", ".rq", ".ttl", ".jsonld"}
USES = re.compile(r"""(?:\bCLC\.|\bclc:|w3id\.org/clc/def#|_CLC \+ "|\bclc \+ ")([A-Za-z]\w*)""")
# Terms of the private store only (agency key hashes, upload reports): never in public data,
# so the public vocabulary does not describe them (docs/data-model.md, "graphs").
PRIVATE = {"apiKey", "keyHash", "keyFor", "revoked", "report"}


def _vocabulary() -> rdflib.Graph:
    return rdflib.Graph().parse(data=(VOCAB_DIR / "clc.ttl").read_bytes(), format="turtle")


def _used_terms() -> dict[str, str]:
    """Each term's local name → one file that uses it."""
    used: dict[str, str] = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in SUFFIXES or "__pycache__" in path.parts:
                continue
            if path.name == "clc.ttl":
                continue
            for name in USES.findall(path.read_text(encoding="utf-8")):
                used.setdefault(name, str(path.relative_to(ROOT)))
    return used


def test_every_term_the_code_uses_is_declared():
    declared = {str(s)[len(str(CLC)):] for s in _vocabulary().subjects()
                if str(s).startswith(str(CLC))}
    used = _used_terms()
    assert {"statusCounter", "nextStatusCounter", "encodedList", "LicenceCredential"} <= \
        set(used), "the scan no longer finds the credential terms"
    missing = {name: where for name, where in used.items()
               if name not in declared and name not in PRIVATE}
    assert not missing, f"declare these in vocab/clc.ttl: {missing}"


def test_every_term_has_thai_and_english_label_and_definition():
    graph = _vocabulary()
    terms = {s for s in graph.subjects() if str(s).startswith(str(CLC))}
    for term in terms:
        for predicate in (RDFS.label, SKOS.definition):
            texts = list(graph.objects(term, predicate))
            assert {o.language for o in texts} == {"th", "en"}, (term, predicate)
            thai = next(str(o) for o in texts if o.language == "th")
            assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai), (term, predicate)
        assert (term, RDFS.isDefinedBy, rdflib.URIRef("https://w3id.org/clc/def")) in graph, term


def test_the_credential_terms():
    graph = _vocabulary()
    assert (CLC.LicenceCredential, RDF_TYPE, OWL.Class) in graph
    assert (CLC.LicenceCredential, RDFS.subClassOf,
            rdflib.URIRef("https://www.w3.org/2018/credentials#VerifiableCredential")) in graph
    for name, kind, range_ in (("statusCounter", OWL.DatatypeProperty, XSD.integer),
                               ("nextStatusCounter", OWL.DatatypeProperty, XSD.integer),
                               ("encodedList", OWL.DatatypeProperty, XSD.string),
                               ("recordDigest", OWL.DatatypeProperty, XSD.string)):
        assert (CLC[name], RDF_TYPE, kind) in graph, name
        assert (CLC[name], RDFS.range, range_) in graph, name
    assert (CLC.statusCounter, RDFS.domain,
            rdflib.URIRef("https://schema.org/GovernmentPermit")) in graph
