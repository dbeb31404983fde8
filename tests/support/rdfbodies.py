"""Upload bodies in Turtle and JSON-LD, written from licence rows the way an agency would write
them (docs/data-model.md), not a test module: the upload-format tests and bench/jsonld.py send
them."""

from __future__ import annotations

import json

from publishing.rdfinput import CONTEXT_PATH
from registry import identifiers

from .stores import BASE

CONTEXT_URL = f"{BASE}/contexts/licence.jsonld"
INLINE_CONTEXT = json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]
PREFIXES = """\
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix schema: <https://schema.org/> .
@prefix cv: <http://data.europa.eu/m8g/> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix legal: <http://www.w3.org/ns/legal#> .
@prefix person: <http://www.w3.org/ns/person#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix clc: <https://w3id.org/clc/def#> .
@prefix clcstatus: <https://w3id.org/clc/status/> .
@prefix clcaccess: <https://w3id.org/clc/access/> .
"""


def licence_iri(row) -> str:
    return identifiers.mint(BASE, row["issuer"], row["licence_type"], row["licence_number"])


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted + (f"@{lang}" if lang else f"^^{datatype}" if datatype else "")


def _date(text: str) -> str:
    iso = len(text) == 10 and text[4] == "-"
    return literal(text, datatype="xsd:date") if iso else literal(text)


def turtle_record(row, subject: str | None = None) -> str:
    """One licence in Turtle, parts as blank nodes (docs/data-model.md)."""
    get = lambda c: (row.get(c) or "").strip()  # noqa: E731
    s = f"<{subject or licence_iri(row)}>"
    lines = [f"{s} a schema:GovernmentPermit, cv:Evidence",
             f"adms:identifier [ skos:notation {literal(row['licence_number'])} ]",
             f"dct:conformsTo <{BASE}/id/licence-type/{row['licence_type']}>",
             f"schema:issuedBy <{BASE}/id/agency/{row['issuer']}>",
             f"schema:validFrom {_date(get('issued'))}",
             f"adms:status clcstatus:{get('status') or 'active'}"]
    if get("valid_until"):
        lines.append(f"schema:validUntil {_date(get('valid_until'))}")
    if get("status_reason"):
        lines.append(f"clc:statusReason {literal(get('status_reason'), 'th')}")
    if get("conditions"):
        lines.append(f"clc:conditions {literal(get('conditions'), 'th')}")
    juristic = get("holder_type") == "juristic"
    holder = ["a legal:LegalEntity" if juristic else "a person:Person"]
    name = "legal:legalName" if juristic else "foaf:name"
    if get("holder_id"):
        holder.append(f"dct:identifier {literal(get('holder_id'))}")
    if get("holder_name"):
        holder.append(f"{name} {literal(get('holder_name'), 'th')}")
    if get("holder_name_en"):
        holder.append(f"{name} {literal(get('holder_name_en'), 'en')}")
    lines.append(f"dct:subject [ {' ; '.join(holder)} ]")
    premises = []
    if get("premises_address"):
        premises.append(f"locn:fullAddress {literal(get('premises_address'), 'th')}")
    if get("province"):
        premises.append(f"locn:adminUnitL1 {literal(get('province'), 'th')}")
    if premises:
        lines.append(f"locn:address [ {' ; '.join(premises)} ]")
    if get("document_url") or get("document_login_url"):
        document = [f"dct:accessRights clcaccess:{get('document_access') or 'public'}"]
        if get("document_url"):
            document.append(f"schema:url <{get('document_url')}>")
        if get("document_media_type"):
            document.append(f"dct:format {literal(get('document_media_type'))}")
        if get("document_login_url"):
            document.append(f"clc:loginPage <{get('document_login_url')}>")
        if get("document_sha256"):
            document.append("spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; "
                            f"spdx:checksumValue {literal(get('document_sha256'))} ]")
        lines.append(f"clc:document [ {' ; '.join(document)} ]")
    return " ;\n    ".join(lines) + " .\n"


def turtle_body(rows, extra: str = "") -> str:
    return PREFIXES + "\n".join(turtle_record(r) for r in rows) + extra


def jsonld_node(row, with_id: bool = True) -> dict:
    """One licence in JSON-LD, compacted with the project's context."""
    get = lambda c: (row.get(c) or "").strip()  # noqa: E731
    node: dict = {"type": ["Licence", "Evidence"]}
    if with_id:
        node["id"] = licence_iri(row)
    node.update({"identifier": {"notation": row["licence_number"]},
                 "licenceType": f"{BASE}/id/licence-type/{row['licence_type']}",
                 "issuer": f"{BASE}/id/agency/{row['issuer']}",
                 "validFrom": get("issued"), "status": get("status") or "active"})
    for column, term in (("valid_until", "validUntil"), ("status_reason", "statusReason"),
                         ("conditions", "conditions")):
        if get(column):
            node[term] = get(column)
    juristic = get("holder_type") == "juristic"
    holder: dict = {"type": "JuristicPerson" if juristic else "Person"}
    if get("holder_id"):
        holder["number"] = get("holder_id")
    names = {lang: get(column) for lang, column in (("th", "holder_name"),
                                                     ("en", "holder_name_en")) if get(column)}
    if names:
        holder["legalName" if juristic else "name"] = names
    node["holder"] = holder
    premises = {term: get(column) for column, term in (("premises_address", "fullAddress"),
                                                      ("province", "province")) if get(column)}
    if premises:
        node["premises"] = premises
    if get("document_url") or get("document_login_url"):
        document: dict = {"access": get("document_access") or "public"}
        for column, term in (("document_url", "url"), ("document_media_type", "format"),
                             ("document_login_url", "loginPage")):
            if get(column):
                document[term] = get(column)
        if get("document_sha256"):
            document["checksum"] = {"algorithm": "sha256", "checksumValue": get("document_sha256")}
        node["document"] = document
    return node


def jsonld_body(rows, context=CONTEXT_URL, with_id: bool = True, **top) -> str:
    return json.dumps({"@context": context, **top,
                       "@graph": [jsonld_node(r, with_id) for r in rows]}, ensure_ascii=False)
