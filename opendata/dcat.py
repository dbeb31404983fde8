"""`/catalogue.ttl`: the register described in DCAT-AP (SPEC §3, §7), for data portals to harvest.

One `dcat:Catalog` with the SPARQL endpoint as its `dcat:DataService` and three datasets: the
licence register (one distribution per dump in `/dumps/`, with size, time and SHA-256 from the
dumps' manifest), the licence-type catalogue and the agencies (each in the four RDF formats of
`/catalogue/` and `/agencies/`). Everything the file describes has an IRI in it
(`{BASE}/catalogue.ttl#…`), so a harvester can tell one run from the next without blank nodes.

It satisfies the official DCAT-AP 3.0.0 shapes (tests/test_dcat_ap.py): the mandatory
properties (catalogue title, description and publisher; dataset title and description;
distribution access URL; data service title and endpoint URL; agent name; checksum algorithm and
value as `xsd:hexBinary`), and the classes of referenced resources — every IRI the file points to
through a property DCAT-AP gives a range (media types, languages, places, licences, pages…) is
typed here (REFERENCE_CLASSES), since a harvester cannot be expected to fetch the EU vocabularies.
`dcat:byteSize` is `xsd:decimal`, as the official DCAT-AP 3.0.0 SHACL requires: harvesters validate
with those shapes, and a whole number written as a decimal is still the size in bytes (the 3.0.0
text and DCAT 3 say `xsd:nonNegativeInteger`, SEMICeu/DCAT-AP issue 422; a later release of the
shapes may move back).
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
from flask import Response

from opendata.dumpgen import current_manifest, dumps_dir
from opendata.dumpschedule import refresh_if_stale
from registry import identifiers
from registry.namespaces import (
    DCAT,
    DCT,
    FOAF,
    RDF,
    SKOS,
    SPDX,
    XSD,
    Namespace,
    prefix_map,
    th_en,
)
from web import conneg
from web.conditional import conditional
from web.state import current_state

ADMS_PUBLISHER = Namespace("http://purl.org/adms/publishertype/")
ADMS_LICENCE = Namespace("http://purl.org/adms/licencetype/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_THEMES = ox.NamedNode("http://publications.europa.eu/resource/authority/data-theme")
EU_AVAILABILITY = Namespace(
    "http://publications.europa.eu/resource/authority/planned-availability/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
IANA = "http://www.iana.org/assignments/media-types/"

# DCAT-AP 3.0.0 range.ttl: the class an IRI must have when it is the object of these properties.
REFERENCE_CLASSES = {
    DCAT.mediaType: DCT.MediaType, DCAT.compressFormat: DCT.MediaType,
    DCT["format"]: DCT.MediaTypeOrExtent, DCT.language: DCT.LinguisticSystem,
    DCT.spatial: DCT.Location, DCT.accrualPeriodicity: DCT.Frequency,
    DCT.license: DCT.LicenseDocument, DCT.conformsTo: DCT.Standard, DCT.publisher: FOAF.Agent,
    DCT.type: SKOS.Concept, DCAT.theme: SKOS.Concept, DCAT.themeTaxonomy: SKOS.ConceptScheme,
    DCATAP.availability: SKOS.Concept, DCAT.landingPage: FOAF.Document,
    FOAF.homepage: FOAF.Document, DCAT.service: DCAT.DataService, DCAT.dataset: DCAT.Dataset,
    DCAT.distribution: DCAT.Distribution, SPDX.checksum: SPDX.Checksum,
}
# The label DCAT-AP asks of each concept (skos:prefLabel) and concept scheme (dct:title) the
# file uses: the English labels of the authority tables they come from.
REFERENCE_LABELS = {
    EU_THEME.GOVE: (SKOS.prefLabel, "Government and public sector"),
    EU_THEMES: (DCT.title, "Data theme"),
    EU_AVAILABILITY.STABLE: (SKOS.prefLabel, "stable"),
    ADMS_PUBLISHER.NationalAuthority: (SKOS.prefLabel, "National authority"),
    ADMS_LICENCE.Attribution: (SKOS.prefLabel, "Attribution"),
}

LICENCE = ox.NamedNode("http://creativecommons.org/licenses/by/4.0/")
FILE_TYPES = {conneg.TURTLE: "RDF_TURTLE", conneg.JSONLD: "JSON_LD",
              conneg.NTRIPLES: "RDF_N_TRIPLES", conneg.RDFXML: "RDF_XML"}
FORMAT_NAMES = {conneg.TURTLE: ("ttl", "Turtle"), conneg.JSONLD: ("jsonld", "JSON-LD"),
                conneg.NTRIPLES: ("nt", "N-Triples"), conneg.RDFXML: ("rdf", "RDF/XML")}

TEXT = {
    "catalogue": (
        "แคตตาล็อกใบอนุญาตกลาง", "Central Licence Catalogue",
        "ทะเบียนกลางของใบอนุญาตที่หน่วยงานของรัฐออก ทุกใบมี IRI ถาวรจากเลขที่ที่หน่วยงานออก "
        "สอบถามได้ทาง SPARQL และดาวน์โหลดได้ทั้งชุด",
        "The national register of licences issued by Thai government agencies: every licence "
        "has a persistent IRI built from the number its agency issued, queryable by SPARQL and "
        "downloadable in bulk."),
    "licences": (
        "ทะเบียนใบอนุญาต", "Licence register",
        "ใบอนุญาตทั้งหมดที่หน่วยงานเผยแพร่ พร้อมสถานะ ผู้ถือ วันที่ เอกสาร และประวัติการแก้ไข "
        "รวมถึงแคตตาล็อกประเภทใบอนุญาต หน่วยงาน คำศัพท์ และมาตรฐานข้อมูล (SHACL)",
        "Every licence the agencies have published, with status, holder, dates, documents and "
        "version history, together with the licence-type catalogue, the agencies, the "
        "vocabulary and the data standard (SHACL): all the register's public data."),
    "licence-types": (
        "แคตตาล็อกประเภทใบอนุญาต", "Licence-type catalogue",
        "ประเภทใบอนุญาต หน่วยงานผู้มีอำนาจ กฎหมาย รูปแบบเลขที่ ธีม BCG ระยะตามแผนงาน "
        "และระดับบริการอิเล็กทรอนิกส์",
        "Licence types with their competent authorities, legal basis, number pattern, BCG theme, "
        "roadmap phase and e-service level."),
    "agencies": (
        "หน่วยงานผู้ออกใบอนุญาต", "Issuing agencies",
        "หน่วยงานส่วนกลาง ส่วนภูมิภาค และส่วนท้องถิ่นที่ออกใบอนุญาต ระดับความพร้อม "
        "สังกัด และจำนวนใบอนุญาตที่เผยแพร่",
        "Central, regional and local agencies that issue licences: readiness tier, parent "
        "organisation and how many licences each has published."),
    "sparql": (
        "จุดบริการ SPARQL", "SPARQL endpoint",
        "สอบถามข้อมูลสาธารณะทั้งหมดของทะเบียนด้วย SPARQL 1.1 (อ่านอย่างเดียว)",
        "Read-only SPARQL 1.1 Protocol endpoint over all the register's public data."),
    "publisher": ("ผู้ดูแลแคตตาล็อกใบอนุญาตกลาง", "Central Licence Catalogue operator", "", ""),
}
# What each distribution holds, by dataset (Thai, English); the format is in its title.
DISTRIBUTION_TEXT = {
    "licences": ("ข้อมูลสาธารณะทั้งหมดของทะเบียนในไฟล์เดียว สร้างใหม่หลังการนำเข้าแต่ละครั้ง",
                 "All the register's public data in one file, generated again after each upload."),
    "licence-types": ("แคตตาล็อกประเภทใบอนุญาตทั้งหมด", "The whole licence-type catalogue."),
    "agencies": ("หน่วยงานทั้งหมดและจำนวนใบอนุญาตที่เผยแพร่",
                 "Every agency, with how many licences it has published."),
}


def _stamp(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=XSD.dateTime)


def dcat_triples(base: str, manifest: dict | None) -> list[ox.Triple]:
    """The DCAT-AP description of the register, its endpoint, datasets and current dumps."""
    doc = f"{base}/catalogue.ttl#"
    node = {name: ox.NamedNode(doc + name) for name in
            ("catalogue", "publisher", "sparql", "licences", "licence-types", "agencies")}
    out: list[ox.Triple] = []

    def add(s, p, o):
        out.append(ox.Triple(s, p, o))

    def describe(name: str) -> ox.NamedNode:
        th_title, en_title, th_text, en_text = TEXT[name]
        for title in th_en(th_title, en_title):
            add(node[name], DCT.title, title)
        for text in th_en(th_text, en_text):
            add(node[name], DCT.description, text)
        return node[name]

    catalogue, publisher, service = node["catalogue"], node["publisher"], node["sparql"]
    add(catalogue, RDF.type, DCAT.Catalog)
    describe("catalogue")
    add(catalogue, DCT.publisher, publisher)
    add(catalogue, DCT.license, LICENCE)
    add(catalogue, FOAF.homepage, ox.NamedNode(f"{base}/"))
    add(catalogue, DCAT.themeTaxonomy, EU_THEMES)
    for language in ("THA", "ENG"):
        add(catalogue, DCT.language, EU_LANGUAGE[language])
    add(catalogue, DCT.spatial, EU_COUNTRY.THA)
    if manifest:
        add(catalogue, DCT.modified, _stamp(manifest["generated"]))
    add(catalogue, DCAT.service, service)

    add(publisher, RDF.type, FOAF.Agent)
    for publisher_name in th_en(*TEXT["publisher"][:2]):
        add(publisher, FOAF.name, publisher_name)
    add(publisher, DCT.type, ADMS_PUBLISHER.NationalAuthority)
    add(publisher, FOAF.homepage, ox.NamedNode(f"{base}/"))
    add(LICENCE, RDF.type, DCT.LicenseDocument)
    add(LICENCE, DCT.type, ADMS_LICENCE.Attribution)

    add(service, RDF.type, DCAT.DataService)
    describe("sparql")
    add(service, DCAT.endpointURL, ox.NamedNode(identifiers.sparql_endpoint(base)))
    add(service, DCAT.endpointDescription, ox.NamedNode(identifiers.sparql_endpoint(base)))
    add(service, DCT.conformsTo, ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCT.license, LICENCE)
    add(service, DCT.publisher, publisher)
    add(service, DCAT.theme, EU_THEME.GOVE)
    add(service, DCAT.keyword, ox.Literal("SPARQL"))
    for keyword in th_en("ใบอนุญาต", "licence"):
        add(service, DCAT.keyword, keyword)

    for name in ("licences", "licence-types", "agencies"):
        dataset = node[name]
        add(dataset, RDF.type, DCAT.Dataset)
        describe(name)
        add(catalogue, DCAT.dataset, dataset)
        add(service, DCAT.servesDataset, dataset)
        add(dataset, DCT.publisher, publisher)
        add(dataset, DCAT.theme, EU_THEME.GOVE)
        add(dataset, DCT.spatial, EU_COUNTRY.THA)
        for language in ("THA", "ENG"):
            add(dataset, DCT.language, EU_LANGUAGE[language])
        add(dataset, DCT.accrualPeriodicity, EU_FREQUENCY.UPDATE_CONT)
        for keyword in th_en("ใบอนุญาต", "licence"):
            add(dataset, DCAT.keyword, keyword)
    add(node["licences"], DCAT.landingPage, ox.NamedNode(f"{base}/dumps/"))
    if manifest:
        add(node["licences"], DCT.modified, _stamp(manifest["generated"]))
        for entry in manifest["files"]:
            out += _dump_distribution(base, doc, node["licences"], entry)
    for name, path in (("licence-types", "/catalogue/"), ("agencies", "/agencies/")):
        add(node[name], DCAT.landingPage, ox.NamedNode(base + path))
        for media_type in conneg.RDF_TYPES:
            out += _page_distribution(base, doc, node[name], name, path, media_type)
    out += _reference_types(out)
    # Stable sort: each subject's statements together (Turtle groups them), in the order above;
    # a statement made twice (two datasets share a language) is written once.
    return sorted(dict.fromkeys(out), key=_subject_value)


def _subject_value(triple: ox.Triple) -> str:
    if isinstance(triple.subject, ox.Triple):    # every subject here is an IRI
        raise TypeError(f"quoted triple as the subject of {triple}")
    return triple.subject.value


def _reference_types(triples: list[ox.Triple]) -> list[ox.Triple]:
    """`rdf:type` for every IRI these statements point to through a property with a range, and
    the label of each concept among them."""
    out = list(dict.fromkeys(     # in first-use order, so the file is the same every time
        ox.Triple(t.object, RDF.type, REFERENCE_CLASSES[t.predicate]) for t in triples
        if t.predicate in REFERENCE_CLASSES and isinstance(t.object, ox.NamedNode)))
    for iri in dict.fromkeys(t.subject for t in out):
        if isinstance(iri, ox.NamedNode) and iri in REFERENCE_LABELS:
            predicate, label = REFERENCE_LABELS[iri]
            out.append(ox.Triple(iri, predicate, ox.Literal(label, language="en")))
    return out


def _dump_distribution(base: str, doc: str, dataset: ox.NamedNode, entry: dict) -> list[ox.Triple]:
    dist = ox.NamedNode(doc + entry["file"])
    checksum = ox.NamedNode(doc + entry["file"] + "-sha256")
    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (dataset, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (dist, DCT.title, ox.Literal(f"{entry['file']} ({entry['format']})", language="en")),
        (dist, DCAT.accessURL, ox.NamedNode(f"{base}/dumps/")),
        (dist, DCAT.downloadURL, ox.NamedNode(f"{base}/dumps/{entry['file']}")),
        (dist, DCAT.mediaType, ox.NamedNode(IANA + entry["media_type"])),
        (dist, DCT["format"], EU_FILE_TYPE[FILE_TYPES[entry["media_type"]]]),
        (dist, DCAT.byteSize, ox.Literal(str(entry["size"]), datatype=XSD.decimal)),
        (dist, DCT.modified, _stamp(entry["modified"])),
        (dist, DCT.license, LICENCE),
        (dist, DCATAP.availability, EU_AVAILABILITY.STABLE),
        *((dist, DCT.description, text) for text in th_en(*DISTRIBUTION_TEXT["licences"])),
        (dist, SPDX.checksum, checksum),
        (checksum, RDF.type, SPDX.Checksum),
        (checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
        (checksum, SPDX.checksumValue, ox.Literal(entry["sha256"], datatype=XSD.hexBinary)),
    ]
    if entry.get("compression") == "gzip":
        triples.append((dist, DCAT.compressFormat, ox.NamedNode(IANA + "application/gzip")))
    return [ox.Triple(*t) for t in triples]


def _page_distribution(base: str, doc: str, dataset: ox.NamedNode, name: str, path: str,
                       media_type: str) -> list[ox.Triple]:
    key, label = FORMAT_NAMES[media_type]
    dist = ox.NamedNode(f"{doc}{name}-{key}")
    triples: tuple[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal], ...] = (
        (dataset, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (dist, DCT.title, ox.Literal(f"{path} ({label})", language="en")),
        (dist, DCAT.accessURL, ox.NamedNode(base + path)),
        (dist, DCAT.downloadURL, ox.NamedNode(f"{base}{path}?format={key}")),
        (dist, DCAT.mediaType, ox.NamedNode(IANA + media_type)),
        (dist, DCT["format"], EU_FILE_TYPE[FILE_TYPES[media_type]]),
        (dist, DCT.license, LICENCE),
        (dist, DCATAP.availability, EU_AVAILABILITY.STABLE),
        *((dist, DCT.description, text) for text in th_en(*DISTRIBUTION_TEXT[name])),
    )
    return [ox.Triple(*t) for t in triples]


def catalogue_ttl():
    """GET /catalogue.ttl (registered on the pages blueprint)."""
    settings = current_state().settings
    manifest = current_manifest(dumps_dir(settings))
    refresh_if_stale(manifest)
    prefixes = prefix_map("dcat", "dct", "foaf", "spdx", "skos", "xsd", "rdf")
    prefixes["dcatap"] = str(DCATAP)
    body = ox.serialize(dcat_triples(settings.base_iri, manifest), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes)
    response = Response(body, mimetype="text/turtle")
    response.headers["Cache-Control"] = "public, max-age=60"
    if manifest:
        response.last_modified = dt.datetime.strptime(
            manifest["generated"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return conditional(response)
