"""The SPARQL 1.1 Service Description of /sparql: what it runs, in which formats, with which
limits."""

from __future__ import annotations

import pyoxigraph as ox

from registry.identifiers import sparql_endpoint
from registry.namespaces import CLC, DCT, Namespace
from registry.settings import Settings

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"

RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "JSON-LD", "N-Triples", "RDF_XML")


def service_description(settings: Settings) -> list[ox.Triple]:
    endpoint = sparql_endpoint(settings.base_iri)
    service = ox.NamedNode(f"{endpoint}#service")
    dataset = ox.NamedNode(f"{endpoint}#dataset")
    default_graph = ox.NamedNode(f"{endpoint}#default-graph")

    def t(s, p, o):
        return ox.Triple(s, p, o)

    triples = [
        t(service, RDF_TYPE, SD.Service),
        t(service, SD.endpoint, ox.NamedNode(endpoint)),
        t(service, SD.supportedLanguage, SD.SPARQL11Query),
        t(service, SD.feature, SD.UnionDefaultGraph),
        t(service, SD.defaultDataset, dataset),
        t(service, DCT.title, ox.Literal("จุดบริการ SPARQL ของแคตตาล็อกใบอนุญาตกลาง", language="th")),
        t(service, DCT.title, ox.Literal("SPARQL endpoint of the Central Licence Catalogue",
                                         language="en")),
        t(service, DCT.description, ox.Literal(
            "อ่านได้อย่างเดียว ไม่รับ SERVICE ผลลัพธ์ไม่เกินจำนวนที่กำหนดและคำค้นถูกหยุดเมื่อเกินเวลา",
            language="th")),
        t(service, DCT.description, ox.Literal(
            "Read-only; SERVICE is refused; results are capped (the response says when) and a "
            "query is stopped at the time limit.", language="en")),
        t(service, CLC.resultLimit, ox.Literal(str(settings.sparql_result_limit),
                                               datatype=ox.NamedNode(XSD + "integer"))),
        t(service, CLC.queryTimeLimit, ox.Literal(f"{float(settings.sparql_time_limit):.1f}",
                                                  datatype=ox.NamedNode(XSD + "decimal"))),
        t(dataset, RDF_TYPE, SD.Dataset),
        t(dataset, SD.defaultGraph, default_graph),
        t(default_graph, RDF_TYPE, SD.Graph),
        t(default_graph, DCT.description, ox.Literal(
            "The union of the register's public graphs: current licence records, their earlier "
            "versions (…/version/N graphs), the licence-type catalogue, the vocabulary, the "
            "data standard, uploads and link checks.", language="en")),
    ]
    triples += [t(service, SD.resultFormat, FORMATS[name]) for name in RESULT_FORMATS]
    return triples
