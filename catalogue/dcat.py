"""`/catalogue.ttl`: the register described in DCAT-AP (SPEC §3, §7), for data portals to harvest.

One `dcat:Catalog` with the SPARQL endpoint as its `dcat:DataService` and three datasets: the
licence register (one distribution per dump in `/dumps/`, with size, time and SHA-256 from the
dumps' manifest), the licence-type catalogue and the agencies (each in the four RDF formats of
`/catalogue/` and `/agencies/`). Everything the file describes has an IRI in it
(`{BASE}/catalogue.ttl#…`), so a harvester can tell one run from the next without blank nodes.

It satisfies the DCAT-AP 2 and 3 mandatory properties: catalogue title, description and
publisher; dataset title and description; distribution access URL; data service title and
endpoint URL; agent name; checksum algorithm and value (`xsd:hexBinary`).
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
from flask import Response, current_app

from registry.namespaces import DCAT, DCT, FOAF, Namespace, PREFIXES, RDF, SPDX, XSD, th_en
from resolver import conneg

from .dumps import current_manifest, dumps_dir, refresh_if_stale

ADMS_PUBLISHER = Namespace("http://purl.org/adms/publishertype/")
ADMS_LICENCE = Namespace("http://purl.org/adms/licencetype/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
IANA = "http://www.iana.org/assignments/media-types/"

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
    add(catalogue, DCAT.themeTaxonomy,
        ox.NamedNode("http://publications.europa.eu/resource/authority/data-theme"))
    for language in ("THA", "ENG"):
        add(catalogue, DCT.language, EU_LANGUAGE[language])
    add(catalogue, DCT.spatial, EU_COUNTRY.THA)
    if manifest:
        add(catalogue, DCT.modified, _stamp(manifest["generated"]))
    add(catalogue, DCAT.service, service)

    add(publisher, RDF.type, FOAF.Agent)
    for name in th_en(*TEXT["publisher"][:2]):
        add(publisher, FOAF.name, name)
    add(publisher, DCT.type, ADMS_PUBLISHER.NationalAuthority)
    add(publisher, FOAF.homepage, ox.NamedNode(f"{base}/"))
    add(LICENCE, RDF.type, DCT.LicenseDocument)
    add(LICENCE, DCT.type, ADMS_LICENCE.Attribution)

    add(service, RDF.type, DCAT.DataService)
    describe("sparql")
    add(service, DCAT.endpointURL, ox.NamedNode(f"{base}/sparql"))
    add(service, DCAT.endpointDescription, ox.NamedNode(f"{base}/sparql"))
    add(service, DCT.conformsTo, ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCT.license, LICENCE)
    add(service, DCT.publisher, publisher)

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
    # Stable sort: each subject's statements together (Turtle groups them), in the order above.
    return sorted(out, key=lambda t: t.subject.value)


def _dump_distribution(base: str, doc: str, dataset: ox.NamedNode, entry: dict) -> list[ox.Triple]:
    dist = ox.NamedNode(doc + entry["file"])
    checksum = ox.NamedNode(doc + entry["file"] + "-sha256")
    triples = [
        (dataset, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (dist, DCT.title, ox.Literal(f"{entry['file']} ({entry['format']})", language="en")),
        (dist, DCAT.accessURL, ox.NamedNode(f"{base}/dumps/")),
        (dist, DCAT.downloadURL, ox.NamedNode(f"{base}/dumps/{entry['file']}")),
        (dist, DCAT.mediaType, ox.NamedNode(IANA + entry["media_type"])),
        (dist, DCT["format"], EU_FILE_TYPE[FILE_TYPES[entry["media_type"]]]),
        (dist, DCAT.byteSize, ox.Literal(str(entry["size"]), datatype=XSD.nonNegativeInteger)),
        (dist, DCT.modified, _stamp(entry["modified"])),
        (dist, DCT.license, LICENCE),
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
    return [ox.Triple(*t) for t in (
        (dataset, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (dist, DCT.title, ox.Literal(f"{path} ({label})", language="en")),
        (dist, DCAT.accessURL, ox.NamedNode(base + path)),
        (dist, DCAT.downloadURL, ox.NamedNode(f"{base}{path}?format={key}")),
        (dist, DCAT.mediaType, ox.NamedNode(IANA + media_type)),
        (dist, DCT["format"], EU_FILE_TYPE[FILE_TYPES[media_type]]),
        (dist, DCT.license, LICENCE),
    )]


def catalogue_ttl():
    """GET /catalogue.ttl (registered on the pages blueprint)."""
    settings = current_app.config["REGISTRY"]
    manifest = current_manifest(dumps_dir(settings))
    refresh_if_stale(manifest)
    prefixes = {k: str(PREFIXES[k]) for k in ("dcat", "dct", "foaf", "spdx", "xsd", "rdf")}
    body = ox.serialize(dcat_triples(settings["BASE_IRI"], manifest), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes)
    response = Response(body, mimetype="text/turtle")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    if manifest:
        response.last_modified = dt.datetime.strptime(
            manifest["generated"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return response
