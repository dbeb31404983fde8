"""Vocabulary namespaces (docs/data-model.md) as pyoxigraph terms, plus small term builders."""

from __future__ import annotations

import pyoxigraph as ox


class Namespace:
    """`NS.term` and `NS["term"]` give NamedNodes; `str(NS)` is the namespace IRI.

    Not a str subclass: `DCT.title` must be the term, not str.title.
    """

    def __init__(self, iri: str):
        self.iri = iri

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        return ox.NamedNode(self.iri + name)

    def __getitem__(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self.iri + name)

    def __str__(self) -> str:
        return self.iri


CLC = Namespace("https://w3id.org/clc/def#")
CLCSTATUS = Namespace("https://w3id.org/clc/status/")
CLCLEVEL = Namespace("https://w3id.org/clc/level/")
CLCBCG = Namespace("https://w3id.org/clc/bcg/")
CLCES = Namespace("https://w3id.org/clc/e-service/")
CLCACCESS = Namespace("https://w3id.org/clc/access/")
CLCSHAPE = Namespace("https://w3id.org/clc/shapes#")
CV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
SCHEMA = Namespace("https://schema.org/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCT = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
LEGAL = Namespace("http://www.w3.org/ns/legal#")
PERSON = Namespace("http://www.w3.org/ns/person#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = {
    "clc": CLC, "clcstatus": CLCSTATUS, "clclevel": CLCLEVEL, "clcbcg": CLCBCG,
    "clceservice": CLCES, "clcaccess": CLCACCESS, "clcshape": CLCSHAPE, "cv": CV, "cpsv": CPSV,
    "schema": SCHEMA, "adms": ADMS, "dct": DCT, "skos": SKOS, "legal": LEGAL, "person": PERSON,
    "locn": LOCN, "spdx": SPDX, "prov": PROV, "dcat": DCAT, "foaf": FOAF, "org": ORG, "eli": ELI,
    "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "sh": SH,
}


def sparql_prefixes(*names: str) -> str:
    """The PREFIX block of a query: every query's prefixes come from PREFIXES, through here."""
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in names)


def prefix_map(*names: str) -> dict[str, str]:
    """{prefix: namespace IRI} for a Turtle or RDF/XML serialiser: these names, or all."""
    return {n: str(PREFIXES[n]) for n in (names or PREFIXES)}


def lit(text: str) -> ox.Literal:
    return ox.Literal(text)


def th_en(th: str, en: str) -> list[ox.Literal]:
    """Language-tagged labels, skipping empty ones."""
    return [ox.Literal(t, language=lang) for t, lang in ((th, "th"), (en, "en")) if t]
